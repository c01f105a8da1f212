"""The published tables of the effects section: numbers and codes only (the report adds the words).

Every count of persons a design publishes is protected together with the counts it
can be added to or subtracted from (:class:`DesignCounts`, one
:func:`~analysis.disclosure.suppression.protect_linked` per design): the persons each
estimator used and left out with the persons of the outcome, those with the
participants (or the eligible participants of a panel-built comparison) they come
from, those left out for a missing covariate or an unobserved outcome, the rows of a
panel-built comparison with the rows it has. A count published twice under two names
(the persons inside the common support are those IPW used; an effective sample size
of equal weights is a number of persons) is hidden in both places or in neither. The
estimates table is generic over estimator rows: a new estimator appears as a new row
without new code here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.published import (
    Cell,
    Column,
    PublishedTable,
    linked_cell,
    small_count_cell,
    unless,
    value_cell,
)
from analysis.disclosure.suppression import ProtectedCounts, protect_linked
from analysis.effects.balance import BalanceResult
from analysis.effects.outcome import OutcomeEffects
from analysis.effects.panel import EventStudyResult
from analysis.effects.result import EffectTable

PANEL_MONTHS = (-12, -6, -3, 0, 3, 6, 12, 18, 24)  # the months the report's table shows


@dataclass
class DesignCounts:
    """The named counts of persons of one design and the additive relations a reader can use on them.

    ``aliases`` are pairs of names for one and the same number published in two places;
    ``hide`` are counts that are published although they are no count of the design
    (an effective sample size that happens to be a whole number): hidden as ``..``.
    """

    values: dict[str, int] = field(default_factory=dict)
    relations: list[tuple[list[str], str]] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    hide: set[str] = field(default_factory=set)

    def add(self, name: str, value: int | float) -> str:
        self.values[name] = int(value)
        return name

    def relate(self, parts: Sequence[str], total: str) -> None:
        self.relations.append((list(parts), total))

    def alias(self, a: str, b: str) -> None:
        self.aliases.append((a, b))

    def protect(self, min_cell: int) -> ProtectedCounts:
        """Protect every count together; a hidden count hides its aliases too (passed back as ``force``)."""
        force = set(self.hide)
        for _ in range(len(self.values) + 1):
            pc = protect_linked(self.values, self.relations, min_cell, force=sorted(force))
            hidden = pc.hidden
            more = {n for a, b in self.aliases if hidden[a] != hidden[b] for n in (a, b) if not hidden[n]}
            if not more:
                return pc
            force |= more
        return pc  # pragma: no cover - every round hides at least one more count


def _cell(pc: ProtectedCounts, name: str) -> Cell:
    return linked_cell(pc, name) if name in pc.values else Cell()


def _whole(x: float | None) -> bool:
    return x is not None and np.isfinite(x) and abs(x - round(x)) < 1e-9


def add_outcome(dc: DesignCounts, prefix: str, o: OutcomeEffects) -> None:
    """The persons of one outcome's sample, those each estimator used and left out, the common support,
    the trimmed persons and every effective sample size that is a whole number of persons.

    For every estimator ``e``: ``e:treated + e:left_out = treated`` and
    ``e:control + e:unused = control``. An estimator whose counts do not come from
    this sample (more persons than the sample has) is protected on its own.
    """
    n1, n0 = int(o.n_treated), int(o.n_control)
    total = {"treated": dc.add(f"{prefix}treated", n1), "control": dc.add(f"{prefix}control", n0)}
    for r in o.rows():
        e = r.estimator
        for side, used, n, rest in (("treated", r.n_treated, n1, "left_out"), ("control", r.n_control, n0, "unused")):
            name = dc.add(f"{prefix}{e}:{side}", used)
            if 0 <= used <= n:
                dc.relate([name, dc.add(f"{prefix}{e}:{rest}", n - int(used))], total[side])
    if o.propensity is not None:
        out = dc.add(f"{prefix}outside_support", o.propensity.n_outside_support)
        _alias_equal(dc, out, [f"{prefix}{e}:left_out" for e in ("ipw", "aipw")])
    for key, v in o.trimmed.items():
        name = dc.add(f"{prefix}{key}", v)
        if key.startswith("n_trimmed_"):  # trimmed by the score: what the weighting estimators leave out
            side = "left_out" if key.endswith("_treated") else "unused"
            _alias_equal(dc, name, [f"{prefix}{e}:{side}" for e in ("ipw", "aipw", "entropy")])
    if o.balance is not None:
        for stage in o.balance.stages:
            for side, ess in (("treated", o.balance.ess_treated), ("control", o.balance.ess)):
                x = ess.get(stage)
                if not _whole(x):
                    continue  # unequal weights: an effective size, not a number of persons
                assert x is not None
                name = dc.add(f"{prefix}ess:{stage}:{side}", round(x))
                same = total[side] if stage == "before" else f"{prefix}{stage}:{side}"
                if dc.values.get(same) == dc.values[name]:
                    dc.alias(name, same)
                else:
                    dc.hide.add(name)


def _alias_equal(dc: DesignCounts, name: str, others: Sequence[str]) -> None:
    for other in others:
        if other in dc.values and dc.values[other] == dc.values[name]:
            dc.alias(name, other)


def estimates_table(
    outcome: str, kind: str, estimates: EffectTable, evalues: dict[str, dict], counts: ProtectedCounts, prefix: str
) -> PublishedTable:
    """One row per estimator: effect, interval, standard error, p, persons used and left out, E-values.

    ``kind``: ``binary`` (effects are risk differences, shown in percentage points) or ``continuous``.
    ``prefix``: the outcome's names in ``counts`` (see :func:`add_outcome`).
    """
    effect_kind, digits = ("pp", 1) if kind == "binary" else ("number", 0)
    details = _detail_columns(estimates, evalues)
    table = PublishedTable(
        "estimates",
        [
            Column("estimate", effect_kind, digits=digits),
            Column("ci", "interval", digits=digits, of=effect_kind),
            Column("se", effect_kind, digits=digits + 2, shown=False),
            Column("p", "p", shown=False),
            Column("n_treated", "count"),
            Column("n_control", "count"),
            Column("n_left_out", "count", shown=False),
            Column("evalue", "number", digits=2),
            Column("evalue_ci", "number", digits=2),
            Column("se_method", "text", shown=False),
            Column("df", "number", digits=1, shown=False),
            *details,
        ],
        rows_are="estimator",
        min_cell=counts.min_cell,
    )
    for r in estimates.results:
        e = r.estimator
        ev = evalues.get(e) or {}
        table.add_row(
            e,
            {
                "estimate": r.estimate,
                "ci": list(r.ci),
                "se": r.se,
                "p": r.p_value,
                "n_treated": _cell(counts, f"{prefix}{e}:treated"),
                "n_control": _cell(counts, f"{prefix}{e}:control"),
                "n_left_out": _cell(counts, f"{prefix}{e}:left_out"),
                "evalue": ev.get("evalue"),
                "evalue_ci": ev.get("evalue_ci"),
                "se_method": r.se_method or None,
                "df": r.df,
                **{c.key: _detail(r.details, ev, c.key) for c in details},
            },
        )
    table.meta["outcome"] = outcome
    table.withheld = counts.exposed
    return table


SHOWN = {"estimate", "ci", "se", "p", "n_treated", "n_control", "n_left_out", "evalue", "evalue_ci", "se_method", "df"}


def _detail_columns(estimates: EffectTable, evalues: dict[str, dict]) -> list[Column]:
    """One results.json-only column per scalar detail any estimator reports (a new estimator's details too).

    A detail that counts persons must not be published on its own (it could undo the
    protection of the left-out counts): names starting with ``n_`` are left out, and so
    are the effective sample sizes (``ess_``), which the diagnostics table publishes
    protected.
    """
    cols: dict[str, Column] = {}
    for r in estimates.results:
        ev = {k: v for k, v in (evalues.get(r.estimator) or {}).items() if k not in ("evalue", "evalue_ci")}
        items = list(r.details.items()) + [(f"evalue_{k}", v) for k, v in ev.items()]
        for key, v in items:
            if key in SHOWN or key in cols or key.startswith(("n_", "ess_")):
                continue
            if isinstance(v, str):
                cols[key] = Column(key, "text", shown=False)
            elif isinstance(v, (bool, np.bool_)):
                cols[key] = Column(key, "code", of="yes_no", shown=False)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                cols[key] = Column(key, "number", digits=4, shown=False)
    return list(cols.values())


def _detail(details: dict, evalue: dict, key: str) -> Any:
    if key.startswith("evalue_"):
        return evalue.get(key[len("evalue_") :])
    return details.get(key)


def balance_published(balance: BalanceResult, min_cell: int) -> PublishedTable:
    """Standardised mean differences, variance ratios and KS distances per covariate and stage."""
    stages = balance.stages
    cols = [Column(f"smd_{s}", "number", digits=2) for s in stages]
    cols += [Column(f"vr_{s}", "number", digits=2) for s in stages if f"vr_{s}" in balance.table]
    cols += [Column(f"ks_{s}", "number", digits=2, shown=False) for s in stages if f"ks_{s}" in balance.table]
    table = PublishedTable("balance", cols, rows_are="covariate", min_cell=min_cell)
    for cov, row in balance.table.iterrows():
        table.add_row(str(cov), {c.key: row.get(c.key) for c in cols})
    return table


def diagnostics_table(balance: BalanceResult, counts: ProtectedCounts, prefix: str) -> PublishedTable:
    """Per adjustment (cobalt's summary): largest |SMD|, variance ratio and KS distance, effective sizes.

    An effective sample size of equal weights is a number of persons: it is shown as the
    count it equals (protected with it, see :func:`add_outcome`).
    """
    table = PublishedTable(
        "diagnostics",
        [
            Column("max_abs_smd", "number", digits=2),
            Column("max_vr", "number", digits=2),
            Column("max_ks", "number", digits=2),
            Column("ess_treated", "number", digits=0),
            Column("ess_control", "number", digits=0),
            Column("n_imbalanced", "number", digits=0, shown=False),
            Column("balanced", "code", of="yes_no", shown=False),
        ],
        rows_are="balance_stage",
        min_cell=counts.min_cell,
    )
    summary = balance.to_results()
    for stage in balance.stages:
        b = summary[stage]
        cells: dict[str, Any] = {k: b.get(k) for k in ("max_abs_smd", "max_vr", "max_ks", "n_imbalanced", "balanced")}
        for side, key in (("treated", "ess_treated"), ("control", "ess_control")):
            name = f"{prefix}ess:{stage}:{side}"
            x = b.get(key)
            if name in counts.values:
                pc = linked_cell(counts, name)
                cells[key] = Cell(None if pc.value is None else float(x), pc.marker)
            else:
                cells[key] = value_cell(x)
        table.add_row(stage, cells)
    return table


def outcome_published(o: OutcomeEffects, counts: ProtectedCounts | None, prefix: str, min_cell: int) -> dict:
    """The node of one outcome: status, failed estimators, sample, estimates, balance, diagnostics and overlap."""
    out: dict[str, Any] = {"kind": o.spec.kind, "months": o.spec.months, "status": o.status}
    if o.errors:
        out["failed"] = dict(o.errors)  # estimators that could not be computed, by failure code
    if not o.ok or counts is None:
        return out
    assert o.estimates is not None
    out.update(
        n_treated=_cell(counts, f"{prefix}treated"),
        n_control=_cell(counts, f"{prefix}control"),
        mean_treated=o.mean_treated,
        mean_control=o.mean_control,
        imputations=o.imputations,
        estimates=estimates_table(o.spec.name, o.spec.kind, o.estimates, o.evalues, counts, prefix),
        warnings=o.warnings(min_cell),
    )
    for key in ("no_outcome_treated", "no_outcome_control", "treated_out"):
        if f"{prefix}{key}" in counts.values:
            out[f"n_{key}"] = _cell(counts, f"{prefix}{key}")
    if o.trimmed:
        out["trimmed"] = {k: _cell(counts, f"{prefix}{k}") for k in o.trimmed}
    if o.balance is not None:
        out["balance"] = balance_published(o.balance, min_cell)
        out["diagnostics"] = diagnostics_table(o.balance, counts, prefix)
    if o.propensity is not None:
        out["overlap"] = {
            "n_outside_support": _cell(counts, f"{prefix}outside_support"),
            "separated": o.propensity.separated,
            "separation": o.propensity.separation,
        }
    return out


def distinct_stages(balance: BalanceResult) -> list[str]:
    """Stages whose weights differ from every earlier stage's (two weightings may give the same balance)."""
    out: list[str] = []
    for s in balance.stages:
        col = balance.table[f"smd_{s}"].to_numpy(dtype=float)
        if not any(np.allclose(col, balance.table[f"smd_{o}"].to_numpy(dtype=float), equal_nan=True) for o in out):
            out.append(s)
    return out


def evalues_table(rows: dict[str, dict], min_cell: int) -> PublishedTable:
    """E-values of the doubly robust estimate per outcome: risk ratio, E-value of the point and of the interval."""
    table = PublishedTable(
        "evalues",
        [
            Column("rr", "number", digits=2),
            Column("evalue", "number", digits=2),
            Column("evalue_ci", "number", digits=2),
        ],
        rows_are="outcome",
        min_cell=min_cell,
    )
    for outcome, ev in rows.items():
        table.add_row(outcome, {"rr": ev.get("rr"), "evalue": ev.get("evalue"), "evalue_ci": ev.get("evalue_ci")})
    return table


def protocol_table(rows: list[dict[str, Any]], min_cell: int) -> PublishedTable:
    """The target-trial protocol: one row per component, its settings (codes and numbers) in one cell.

    The report words each setting in its language (:mod:`analysis.report.sections.design`).
    """
    table = PublishedTable(
        "protocol", [Column("setting", "code", of="protocol_setting")], rows_are="protocol_component", min_cell=min_cell
    )
    for r in rows:
        table.add_row(r["component"], {"setting": value_cell({k: v for k, v in r.items() if k != "component"})})
    return table


def panel_counts(es: EventStudyResult) -> dict[int, ProtectedCounts]:
    """Persons observed at each event month, protected with the persons of the group (1 participants, 0 comparison).

    ``observed_k + missing_k = persons``: a month where a few persons lack a
    panel row would otherwise give them away by subtraction.
    """
    out = {}
    for g, col, name in ((1, "n_treated", "treated"), (0, "n_control", "control")):
        if g == 0 and not es.has_comparison:
            continue
        total = int(es.n_persons.get(name, 0))
        ns = es.estimates[col].astype(int)
        if total <= 0 or (ns > total).any():
            continue
        values = {"persons": total}
        relations = []
        for k, n in ns.items():
            values[f"{k}"], values[f"missing_{k}"] = int(n), total - int(n)
            relations.append(([f"{k}", f"missing_{k}"], "persons"))
        out[g] = protect_linked(values, relations, es.min_cell)
    return out


def panel_table(es: EventStudyResult, counts: dict[int, ProtectedCounts]) -> PublishedTable:
    """Per event month: the share of each group, the estimate with its interval and the persons observed."""
    cols = [Column("share_treated", "share", digits=0)]
    if es.has_comparison:
        cols.append(Column("share_control", "share", digits=0))
    cols += [
        Column("estimate", "estimate", digits=1, of="pp"),
        Column("se", "pp", digits=3, shown=False),
        Column("n_treated", "count", shown=False),
    ]
    if es.has_comparison:
        cols.append(Column("n_control", "count", shown=False))
    table = PublishedTable(f"panel_{es.outcome}", cols, rows_are="event_month", min_cell=es.min_cell)
    safe = es.safe_shares().set_index(["group", "k"])
    for k, e in es.estimates.iterrows():
        cells: dict[str, Cell] = {
            "share_treated": _share(safe, 1, k),
            "estimate": value_cell([e["estimate"], e["lower"], e["upper"]]),
            "se": value_cell(e["se"]),
            "n_treated": linked_cell(counts[1], str(k))
            if 1 in counts
            else small_count_cell(e["n_treated"], es.min_cell),
        }
        if es.has_comparison:
            cells["share_control"] = _share(safe, 0, k)
            cells["n_control"] = (
                linked_cell(counts[0], str(k)) if 0 in counts else small_count_cell(e["n_control"], es.min_cell)
            )
        table.add_row(str(int(k)), cells)
    table.meta["ref"] = int(es.ref)
    table.withheld = any(pc.exposed for pc in counts.values())
    table.meta["shown_months"] = [k for k in PANEL_MONTHS if k in es.estimates.index]
    return table


def _share(safe: pd.DataFrame, g: int, k: int) -> Cell:
    if (g, k) not in safe.index:
        return Cell()
    row = safe.loc[(g, k)]
    return unless(bool(row["suppressed"]), row["share"])


def panel_published(es: EventStudyResult) -> dict:
    """The node of one panel outcome: design facts, the persons of each group and the per-month table."""
    counts = panel_counts(es)
    persons = {name: linked_cell(counts[g], "persons") for g, name in ((1, "treated"), (0, "control")) if g in counts}
    return {
        "has_comparison": es.has_comparison,
        "ref": int(es.ref),
        "pretrend": es.pretrend,
        "persons": persons,
        "estimates": panel_table(es, counts),
    }
