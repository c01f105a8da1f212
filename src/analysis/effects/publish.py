"""The published tables of the effects section: numbers and codes only (the report adds the words).

Every count of persons an estimator used or left out is protected together with
the counts it can be subtracted from (:func:`design_counts`), so that a "<5"
left out cannot be worked out from the participants each estimator used. The
estimates table is generic over estimator rows: a new estimator appears as a new
row without new code here.
"""

from __future__ import annotations

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
from analysis.effects.panel import EventStudyResult
from analysis.effects.propensity import PropensityResult
from analysis.effects.result import EffectTable

PANEL_MONTHS = (-12, -6, -3, 0, 3, 6, 12, 18, 24)  # the months the report's table shows


def design_counts(
    n_treated: int, n_control: int, estimates: EffectTable, propensity: PropensityResult | None, min_cell: int
) -> ProtectedCounts:
    """The persons each estimator used and left out, protected with the sample they come from.

    For every estimator ``e``: ``e:treated + e:left_out = treated`` and
    ``e:control + e:unused = control``; with a propensity score also
    ``inside_support + outside_support = treated``. An estimator whose counts do not
    come from this sample (more persons than the sample has) is protected on its own.
    """
    values = {"treated": int(n_treated), "control": int(n_control)}
    relations: list[tuple[list[str], str]] = []
    for r in estimates.results:
        e = r.estimator
        for side, used, total, rest in (
            ("treated", r.n_treated, n_treated, "left_out"),
            ("control", r.n_control, n_control, "unused"),
        ):
            values[f"{e}:{side}"] = int(used)
            if 0 <= used <= total:
                values[f"{e}:{rest}"] = int(total - used)
                relations.append(([f"{e}:{side}", f"{e}:{rest}"], side))
    if propensity is not None:
        outside = int(propensity.n_outside_support)
        values.update(outside_support=outside, inside_support=int(n_treated) - outside)
        relations.append((["inside_support", "outside_support"], "treated"))
    return protect_linked(values, relations, min_cell)


def _count(pc: ProtectedCounts, name: str) -> Cell:
    return linked_cell(pc, name) if name in pc.values else Cell()


def estimates_table(
    outcome: str, kind: str, estimates: EffectTable, evalues: dict[str, dict], counts: ProtectedCounts
) -> PublishedTable:
    """One row per estimator: effect, interval, standard error, p, persons used and left out, E-values.

    ``kind``: ``binary`` (effects are risk differences, shown in percentage points) or ``continuous``.
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
                "n_treated": _count(counts, f"{e}:treated"),
                "n_control": _count(counts, f"{e}:control"),
                "n_left_out": _count(counts, f"{e}:left_out"),
                "evalue": ev.get("evalue"),
                "evalue_ci": ev.get("evalue_ci"),
                "se_method": r.se_method or None,
                **{c.key: _detail(r.details, ev, c.key) for c in details},
            },
        )
    table.meta["outcome"] = outcome
    table.withheld = counts.exposed
    return table


# Estimator details that are counts of persons: published as n_treated, n_control and n_left_out (protected together)
PERSON_DETAILS = frozenset({"n_unmatched", "n_trimmed"})
SHOWN = {"estimate", "ci", "se", "p", "n_treated", "n_control", "n_left_out", "evalue", "evalue_ci", "se_method"}


def _detail_columns(estimates: EffectTable, evalues: dict[str, dict]) -> list[Column]:
    """One results.json-only column per scalar detail any estimator reports (a new estimator's details too).

    A detail that counts persons must not be published on its own (it could undo the
    protection of the left-out counts): names starting with ``n_`` are left out.
    """
    cols: dict[str, Column] = {}
    for r in estimates.results:
        ev = {k: v for k, v in (evalues.get(r.estimator) or {}).items() if k not in ("evalue", "evalue_ci")}
        items = list(r.details.items()) + [(f"evalue_{k}", v) for k, v in ev.items()]
        for key, v in items:
            if key in SHOWN or key in cols or key.startswith("n_") or key in PERSON_DETAILS:
                continue
            if isinstance(v, str):
                cols[key] = Column(key, "text", shown=False)
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                cols[key] = Column(key, "number", digits=4, shown=False)
    return list(cols.values())


def _detail(details: dict, evalue: dict, key: str):
    if key.startswith("evalue_"):
        return evalue.get(key[len("evalue_") :])
    return details.get(key)


def balance_published(balance: BalanceResult, min_cell: int) -> PublishedTable:
    """Standardised mean differences and variance ratios per covariate and stage (before, each weighting)."""
    stages = balance.stages
    cols = [Column(f"smd_{s}", "number", digits=2) for s in stages]
    cols += [Column(f"vr_{s}", "number", digits=2) for s in stages if f"vr_{s}" in balance.table]
    table = PublishedTable("balance", cols, rows_are="covariate", min_cell=min_cell)
    for cov, row in balance.table.iterrows():
        table.add_row(str(cov), {c.key: row.get(c.key) for c in cols})
    table.meta["summary"] = balance.to_results()
    return table


def distinct_stages(balance: BalanceResult) -> list[str]:
    """Stages whose weights differ from every earlier stage's (the doubly robust estimate reuses the IPW weights)."""
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
