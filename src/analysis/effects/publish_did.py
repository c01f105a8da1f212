"""The published tables of the staggered-start DiD: numbers and codes only (the report adds the words).

Two tables: ``did/overall`` (one row per panel outcome, the doubly robust DiD against never-started
and against not-yet-started persons) and ``did/event`` (the main result by month from start: the
participants' share, the weighted comparison share, the effect with its pointwise interval and the
simultaneous band). The persons of the DiD sample are published through the effects design's
:class:`~analysis.effects.publish.DesignCounts` (protected with the participants they come from and
those left out for a missing covariate). The persons observed in each month are not published: the
months differ only by the cohorts observed, and the differences would be counts of a few persons.
A share of participants is hidden where its successes or failures would be a small count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.disclosure.published import Cell, Column, PublishedTable, value_cell
from analysis.disclosure.suppression import protect_share
from analysis.effects.did import AttGtResult, DidResult

EVENT_MONTHS = (-12, -6, -3, -1, 0, 3, 6, 12, 18, 24)  # the months the report's table shows
SUMMARY = "simple"  # the overall effect: every post-start ATT(g, t) weighted by cohort size


def _share(share: float, n: int, min_cell: int) -> Cell:
    """A share of ``n`` persons, hidden when its successes or failures are a small count."""
    if not np.isfinite(share) or n <= 0:
        return Cell()
    hidden = protect_share(int(round(share * n)), int(n), min_cell).hidden
    return Cell(None, "..") if hidden else value_cell(share)


def event_table(r: AttGtResult, min_cell: int) -> PublishedTable:
    """By month from start: shares, the effect with its 95 % interval and the simultaneous band."""
    table = PublishedTable(
        "did_event",
        [
            Column("share_treated", "share", digits=0),
            Column("share_comparison_weighted", "share", digits=0),
            Column("estimate", "estimate", digits=1, of="pp"),
            Column("band", "interval", digits=1, of="pp"),
            Column("se", "pp", digits=3, shown=False),
            Column("share_comparison", "share", digits=0, shown=False),
        ],
        rows_are="event_month",
        min_cell=min_cell,
    )
    for e, row in r.event.iterrows():
        ref = bool(row["reference"])
        table.add_row(
            str(int(e)),
            {
                "share_treated": _share(row["mean_treated"], int(row["n_treated"]), min_cell),
                "share_comparison_weighted": value_cell(row["comparison_weighted"]),
                "estimate": value_cell(None if ref else [row["estimate"], row["lower"], row["upper"]]),
                "band": value_cell(None if ref else [row["band_lower"], row["band_upper"]]),
                "se": value_cell(None if ref else row["se"]),
                "share_comparison": _share(row["mean_control"], int(row["n_control"]), min_cell),
            },
        )
    table.meta.update(outcome=r.outcome, method=r.method, control=r.control, base_period=r.base_period)
    table.meta["critical_value"] = r.critical_value
    table.meta["ref"] = -1  # the month before start: every effect is the change since then (0 there)
    table.meta["shown_months"] = [k for k in EVENT_MONTHS if k in r.event.index]
    return table


def overall_table(res: DidResult, method: str, min_cell: int) -> PublishedTable:
    """One row per panel outcome: the overall effect against each comparison group and the pre-trend test."""
    controls = [c for c in ("never", "notyet") if any(k[1:] == (method, c) for k in res.results)]
    cols = []
    for c in controls:
        cols += [
            Column("estimate", "estimate", group=c, digits=1, of="pp"),
            Column("se", "pp", group=c, digits=3, shown=False),
            Column("dynamic", "estimate", group=c, digits=1, of="pp", shown=False),
            Column("pretrend_p", "p", group=c),
        ]
    table = PublishedTable("did_overall", cols, rows_are="panel_outcome", groups_are="did_control", min_cell=min_cell)
    for outcome in dict.fromkeys(k[0] for k in res.results):
        cells: dict[str, Any] = {}
        for c in controls:
            r = res.get(outcome, method, c)
            if r is None or SUMMARY not in r.overall:
                continue
            s, d = r.overall[SUMMARY], r.overall.get("dynamic", {})
            cells[f"{c}/estimate"] = [s["estimate"], s["lower"], s["upper"]]
            cells[f"{c}/se"] = s["se"]
            cells[f"{c}/dynamic"] = [d.get("estimate"), d.get("lower"), d.get("upper")] if d else None
            cells[f"{c}/pretrend_p"] = r.pretrend["p"] if r.pretrend else None
        table.add_row(outcome, cells)
    table.meta.update(method=method, summary=SUMMARY, window=list(res.window))
    return table


def did_published(res: DidResult, counts: dict[str, Cell], method: str = "dr") -> dict[str, Any]:
    """The ``effects.did`` node: the design facts, the overall table and the main event-study table."""
    main = res.main
    assert main is not None
    return {
        "estimator": method,
        "main": {"outcome": main.outcome, "control": main.control},
        "base_period": main.base_period,
        "covariates": res.covariates,
        "window": list(res.window),
        "seed": res.seed,
        **counts,
        "pretrend": main.pretrend,
        "overall": overall_table(res, method, res.min_cell),
        "event": event_table(main, res.min_cell),
    }
