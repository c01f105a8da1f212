"""The cost table: what one month in a status or with an income source is worth to each actor.

The bundled table (``resources/payback/cost_table.yml``, versioned) holds national figures, each
with its source, year and the quoted sentence; a project overrides any entry or rate in
``payback.entries`` / ``payback.rates`` of project.yml. :func:`cost_table` merges the two and
:meth:`CostTable.flows` turns an entry into kronor per month for each actor (see the table's header
for the flows of a transfer, a taxable transfer and a wage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.project.payback import ACTORS, PaybackConfig, bundled_cost_table

JOINT_TAX_ACTOR = "kommun_region"  # the municipal tax while the region's share is not set


@dataclass
class Entry:
    """One cost-table entry after the project's overrides.

    ``status`` says where the figure comes from: ``sourced`` (as in the quoted source),
    ``derived`` (arithmetic on quoted figures), ``second_hand`` (a site citing the statistic),
    ``rule`` (zero by definition), ``project`` (set by the project with its source), ``example``
    (a made-up value of a bundled example) or ``input`` (missing: the project must set it).
    """

    name: str
    kind: str  # transfer, wage, none
    amount: float | None
    per: str = "month"
    days_per_month: float | None = None
    actor: str | None = None
    taxable: bool = False
    year: str | None = None
    status: str = "input"
    unit: str | None = None
    sources: list[dict[str, str]] = field(default_factory=list)
    statistic: str | None = None
    note: str | None = None
    derivation: str | None = None

    @property
    def monthly(self) -> float | None:
        """Kronor per month (a daily amount times the days paid per month); None when not set."""
        if self.amount is None:
            return None
        return float(self.amount) * (float(self.days_per_month or 0) if self.per == "day" else 1.0)

    @property
    def priced(self) -> bool:
        return self.monthly is not None


@dataclass
class Rate:
    name: str
    value: float | None
    year: str | None = None
    status: str = "input"
    unit: str | None = None
    sources: list[dict[str, str]] = field(default_factory=list)
    statistic: str | None = None
    note: str | None = None


@dataclass
class CostTable:
    """The merged cost table of one project: entries, rates and the bundled table's version."""

    version: str
    entries: dict[str, Entry]
    rates: dict[str, Rate]

    @property
    def regional_share(self) -> float | None:
        return self.rates["regional_share"].value

    @property
    def actors(self) -> list[str]:
        """The actors flows can go to, in report order (``kommun_region`` while the split is not set)."""
        out = list(ACTORS)
        if self.regional_share is None:
            out.insert(out.index("region") + 1, JOINT_TAX_ACTOR)
        return out

    def _tax(self, amount: float) -> dict[str, float]:
        tax = amount * float(self.rates["municipal_tax"].value or 0.0)
        s = self.regional_share
        if s is None:
            return {JOINT_TAX_ACTOR: tax}
        return {"kommun": tax * (1 - s), "region": tax * s}

    def flows(self, name: str) -> dict[str, float] | None:
        """Kronor per month to each actor (negative: the actor pays) of one month in entry ``name``.

        None when the entry has no amount (an input the project has not set).
        """
        e = self.entries[name]
        a = e.monthly
        if a is None:
            return None
        out: dict[str, float] = dict.fromkeys(self.actors, 0.0)
        if e.kind == "none" or a == 0:
            return out
        if e.kind == "wage":
            tax = self._tax(a)
            out["individual"] += a - sum(tax.values())
            for k, v in tax.items():
                out[k] += v
            out["staten"] += a * float(self.rates["employer_contributions"].value or 0.0)
            return out
        out[str(e.actor)] -= a
        if e.taxable:
            tax = self._tax(a)
            out["individual"] += a - sum(tax.values())
            for k, v in tax.items():
                out[k] += v
        else:
            out["individual"] += a
        return out

    def example_values(self) -> list[str]:
        """Names of the entries and rates that hold made-up example values."""
        return [n for n, e in self.entries.items() if e.status == "example"] + [
            n for n, r in self.rates.items() if r.status == "example"
        ]


def _entry(name: str, data: dict[str, Any]) -> Entry:
    return Entry(
        name=name,
        kind=str(data["kind"]),
        amount=None if data.get("amount") is None else float(data["amount"]),
        per=str(data.get("per") or "month"),
        days_per_month=data.get("days_per_month"),
        actor=data.get("actor"),
        taxable=bool(data.get("taxable", False)),
        year=None if data.get("year") is None else str(data["year"]),
        status=str(data.get("status") or "input"),
        unit=data.get("unit"),
        sources=list(data.get("sources") or []),
        statistic=data.get("statistic"),
        note=data.get("note"),
        derivation=data.get("derivation"),
    )


def _override_entry(base: Entry | None, name: str, o) -> Entry:
    """Apply a project's :class:`~analysis.project.payback.EntryOverride` to an entry (or create one)."""
    e = base or Entry(name=name, kind=str(o.kind), amount=None)
    for f in ("per", "days_per_month", "kind", "actor", "taxable"):
        if getattr(o, f) is not None:
            setattr(e, f, getattr(o, f))
    if o.amount is not None:
        e.amount = float(o.amount)
        e.status = "example" if o.example else "project"
        e.year = None if o.year is None else str(o.year)
        e.sources = [] if o.source is None else [{"source": o.source}]
        e.derivation = None
    elif o.example:
        e.status = "example"
    return e


def cost_table(config: PaybackConfig | None = None) -> CostTable:
    """The bundled cost table with the project's overrides applied.

    Example
    -------
    >>> from analysis.payback.costs import cost_table
    >>> table = cost_table()
    >>> round(table.flows("income_support")["kommun"])
    -11370
    """
    raw = bundled_cost_table()
    entries = {n: _entry(n, d) for n, d in raw["entries"].items()}
    rates = {
        n: Rate(
            name=n,
            value=None if d.get("value") is None else float(d["value"]),
            year=None if d.get("year") is None else str(d["year"]),
            status=str(d.get("status") or "input"),
            unit=d.get("unit"),
            sources=list(d.get("sources") or []),
            statistic=d.get("statistic"),
            note=d.get("note"),
        )
        for n, d in raw["rates"].items()
    }
    if config is not None:
        for name, o in config.entries.items():
            entries[name] = _override_entry(entries.get(name), name, o)
        for name, ro in config.rates.items():
            r = rates[name]
            r.value, r.year = float(ro.value), None if ro.year is None else str(ro.year)
            r.status = "example" if ro.example else "project"
            r.sources = [] if ro.source is None else [{"source": ro.source}]
    return CostTable(version=str(raw["version"]), entries=entries, rates=rates)
