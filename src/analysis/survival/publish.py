"""The published tables of the survival section: numbers and codes only (the report adds the words).

Counts of persons are protected together with the counts they can be subtracted
from: each grouping's persons and events with their totals (the margins of one
count table), the groups of a cumulative-incidence table with everyone in it, and
the Cox model's persons and events with the persons it left out (levels too small
to describe). Values resting on fewer than ``min_cell`` persons at risk are not
published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure.published import (
    TOTAL_CODE,
    Cell,
    Column,
    PublishedTable,
    code,
    count_cell,
    linked_cell,
    small_count_cell,
    value_cell,
)
from analysis.disclosure.suppression import (
    REST,
    TOTAL,
    ProtectedCounts,
    protect_counts,
    protect_linked,
    protect_subgroups,
)
from analysis.survival.cif import CumulativeIncidenceResult
from analysis.survival.cox import CoxPHResult
from analysis.survival.km import KaplanMeierGroups

GROUPING_CODES = {"all": TOTAL_CODE}
VOCABULARY = {"all": "total", "cohort": "cohort", "track": "track", "gender": "gender", "group": "survival_group"}


def grouping_code(by: str) -> str:
    """The published name of a grouping: ``"total"`` for everyone together."""
    return GROUPING_CODES.get(by, by)


def group_code(g: object) -> str:
    return TOTAL_CODE if g == "all" else code(g)


def km_table(
    groups: KaplanMeierGroups,
    summary: pd.DataFrame,
    by: str,
    times: tuple[int, ...],
    min_cell: int,
    everyone: tuple[int, int] | None = None,
):
    """Per group: persons, events, median with interval, and the share still in work or study at ``times``.

    ``summary`` is :meth:`SurvivalAnalysis.survival_table` (values already hidden where few are at risk).
    The counts are protected with their margins; ``everyone`` (persons, events of the whole group,
    published in the table of everyone) adds the persons in no group (grouping variable missing),
    so that they cannot be found by subtraction either.
    """
    events = pd.Series({g: groups.curves[g].n_events for g in summary.index}, dtype="int64")
    counts = pd.DataFrame({"events": events, "censored": summary["n"].astype("int64") - events})
    if everyone is not None and everyone[0] > int(summary["n"].sum()):
        rest_events = int(everyone[1] - events.sum())
        counts.loc[REST] = [rest_events, int(everyone[0] - summary["n"].sum()) - rest_events]
    prot = protect_counts(counts, min_cell)
    cols = [
        Column("n", "count"),
        Column("events", "count"),
        Column("median", "estimate", digits=None, of="general"),
    ]
    cols += [Column(f"s{t}", "estimate", digits=0, of="share") for t in times]
    table = PublishedTable(f"kaplan_meier_{grouping_code(by)}", cols, rows_are=VOCABULARY[by], min_cell=min_cell)
    table.withheld = prot.exposed
    for g, r in summary.iterrows():
        cells: dict[str, Cell] = {
            "n": count_cell(prot, g, TOTAL),
            "events": count_cell(prot, g, "events"),
            "median": value_cell([r["median"], r["lower"], r["upper"]]) if np.isfinite(r["median"]) else Cell(),
        }
        for t in times:
            s = r[f"S({t:g})"]
            cells[f"s{t}"] = value_cell([s, r[f"S({t:g}) lower"], r[f"S({t:g}) upper"]]) if np.isfinite(s) else Cell()
        table.add_row(group_code(g), cells)
    return table


def cif_table(
    curves: dict[str, CumulativeIncidenceResult],
    by: str,
    times: tuple[int, ...],
    min_cell: int,
    total: int | None = None,
):
    """Per group: persons and the cumulative incidence of first work or study at ``times``.

    ``total``: everyone the groups come from (published in another table), when more than their sum.
    """
    sizes = {group_code(g): int(c.n) for g, c in curves.items()}
    whole = max(int(total or 0), sum(sizes.values()))
    pc = protect_subgroups(sizes, whole, min_cell) if len(sizes) > 1 else None
    cols = [Column("n", "count")] + [Column(f"i{t}", "estimate", digits=0, of="share") for t in times]
    table = PublishedTable(f"first_work_or_study_{grouping_code(by)}", cols, rows_are=VOCABULARY[by])
    table.min_cell = min_cell
    table.withheld = pc is not None and pc.exposed
    for g, c in curves.items():
        key = group_code(g)
        ok = c.n >= min_cell
        cells: dict[str, Cell] = {"n": linked_cell(pc, key) if pc is not None else small_count_cell(c.n, min_cell)}
        for r in c.incidence_at(times).itertuples():
            shown = ok and r.at_risk >= min_cell and np.isfinite(r.incidence)
            cells[f"i{int(r.time)}"] = value_cell([r.incidence, r.lower, r.upper]) if shown else Cell()
        table.add_row(key, cells)
    return table


def cox_counts(cox: CoxPHResult, n_first: int, first_events: int, min_cell: int) -> ProtectedCounts:
    """The model's persons and events with those left out (levels too small to describe)."""
    values = {
        "persons": int(n_first),
        "model_persons": int(cox.n),
        "left_out_persons": int(n_first) - int(cox.n),
        "events": int(first_events),
        "model_events": int(cox.n_events),
        "left_out_events": int(first_events) - int(cox.n_events),
    }
    relations = [
        (["model_persons", "left_out_persons"], "persons"),
        (["model_events", "left_out_events"], "events"),
    ]
    return protect_linked(values, relations, min_cell, prefer=["model_persons", "model_events"])


def cox_published(cox: CoxPHResult, ph_test: pd.DataFrame | None, counts: ProtectedCounts) -> dict:
    """Hazard ratios with intervals and p per term, the proportional-hazards test, persons and events."""
    terms = PublishedTable(
        "cox",
        [Column("hr", "number", digits=2), Column("ci", "interval", digits=2, of="number"), Column("p", "p")],
        rows_are="cox_term",
        min_cell=counts.min_cell,
    )
    for term, r in cox.summary().iterrows():
        terms.add_row(
            str(term),
            {"hr": r["exp(coef)"], "ci": [r["exp(coef) lower"], r["exp(coef) upper"]], "p": r["p"]},
        )
    out: dict = {
        "n": linked_cell(counts, "model_persons"),
        "events": linked_cell(counts, "model_events"),
        "log_likelihood": cox.log_likelihood,
        "concordance": cox.concordance,
        "terms": terms,
    }
    if ph_test is not None:
        ph = PublishedTable("ph_test", [Column("statistic", "number", digits=2), Column("p", "p")], rows_are="cox_term")
        for term, r in ph_test.iterrows():
            ph.add_row(str(term), {"statistic": r["statistic"], "p": r["p"]})
        out["ph_test"] = ph
    return out


def planted_table(check: pd.DataFrame, min_cell: int) -> PublishedTable:
    """Planted and estimated monthly hazards of leaving per cohort (synthetic projects)."""
    table = PublishedTable(
        "planted_check",
        [Column("planted", "number", digits=3), Column("hazard", "estimate", digits=3, of="number")],
        rows_are="cohort",
        min_cell=min_cell,
    )
    for k, r in check.iterrows():
        est = [r["hazard"], r["lower"], r["upper"]] if np.isfinite(r["hazard"]) else None
        table.add_row(str(k), {"planted": r["planted"], "hazard": value_cell(est)})
    return table
