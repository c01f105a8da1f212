"""Staggered-start difference-in-differences on the monthly panel: the entry point and its result.

:func:`did_analysis` takes the processed tables (participants with a start date, the comparison
persons, ``status_monthly``) and ``project.yml`` and estimates, for every panel outcome (in work or
study, on income support), the group-time effects ATT(g, t) of :mod:`analysis.effects.attgt` by
start-month cohort with the doubly robust DiD of Sant'Anna & Zhao (and IPW and outcome regression
beside it), against never-starters (the comparison file) and against not-yet-started persons.

Time is the calendar month; a person's outcome in a month is 1 when the panel status is in the
outcome's statuses, 0 otherwise, unobserved without a panel row or after ``data_end``. Covariates
are the person-level covariates of the effects section (``covariates`` or the standard ones; the
propensity formula when given), standardised, with complete cases only (the others are counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure.suppression import DEFAULT_MIN_CELL
from analysis.effects.attgt import NEVER, Z975, by_cohort, event_time, group_time_att, overall, sup_t_critical
from analysis.effects.design import covariate_matrix, panel_codes, persons, resolve_covariates
from analysis.effects.panel_source import PanelSource
from analysis.project.contract import panel_measures
from analysis.project.dates import month_number, month_numbers

OUTCOME_STATUSES = ("work_or_study", "income_support")
METHODS = ("dr", "ipw", "reg")
CONTROLS = ("never", "notyet")


@dataclass
class AttGtResult:
    """One outcome x method x comparison group: cells, event-time and cohort aggregations, overall effects.

    Attributes
    ----------
    event : DataFrame
        Indexed by event time ``e`` (months since start): ``estimate``, ``se``, ``lower``/``upper``
        (pointwise 95 %), ``band_lower``/``band_upper`` (simultaneous 95 % band over all event times),
        ``cohorts``, ``n_treated`` (person-cells), ``n_control``, ``mean_treated`` (participants' share),
        ``comparison_weighted`` (the comparison group's share with the estimator's weights),
        ``mean_control`` (unweighted) and ``counterfactual`` (participants' share minus the effect).
    cohorts : DataFrame
        Indexed by start month number ``g``: each cohort's mean post-start effect.
    overall : dict
        ``simple``, ``dynamic`` and ``group`` summaries: ``estimate``, ``se``, ``lower``, ``upper``.
    pretrend : dict
        Wald test that every pre-start event-time estimate is zero: ``statistic``, ``df``, ``p``.
    """

    outcome: str
    method: str
    control: str
    base_period: str
    cells: pd.DataFrame
    event: pd.DataFrame
    cohorts: pd.DataFrame
    overall: dict[str, dict[str, float]]
    pretrend: dict[str, float] | None
    critical_value: float
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Event-time estimates followed by the overall ones (``e`` = ``simple``/``dynamic``/``group``)."""
        ev = self.event[["estimate", "se", "lower", "upper", "band_lower", "band_upper", "n_treated", "n_control"]]
        ov = pd.DataFrame.from_dict(self.overall, orient="index")
        out = pd.concat([ev.rename(index=str), ov])
        out.index.name = "e"
        return out.assign(outcome=self.outcome, method=self.method, control=self.control)

    def plot(self, axes=None, labels=("Participants", "Comparison (weighted)"), xlabel="Months from start"):
        """Top: participants' share and the weighted comparison share by event time; bottom: the effect with
        its pointwise interval and simultaneous band."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
        e = self.event
        ks = e.index.to_numpy()
        top, bottom = axes
        top.plot(ks, 100 * e["mean_treated"], color="#1f5f8b", lw=1.8, label=labels[0])
        top.plot(ks, 100 * e["comparison_weighted"], color="#c8553d", lw=1.8, label=labels[1])
        top.set_ylabel("%")
        top.legend(frameon=False)
        bottom.fill_between(ks, 100 * e["band_lower"], 100 * e["band_upper"], color="#1f5f8b", alpha=0.12, lw=0)
        bottom.fill_between(ks, 100 * e["lower"], 100 * e["upper"], color="#1f5f8b", alpha=0.25, lw=0)
        bottom.plot(ks, 100 * e["estimate"], "o-", color="#1f5f8b", ms=3, lw=1.2)
        bottom.axhline(0, color="black", lw=0.8)
        for ax in axes:
            ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
        bottom.set_xlabel(xlabel)
        bottom.set_ylabel("Percentage points")
        return axes


@dataclass
class DidResult:
    """Every :class:`AttGtResult` of a project, keyed by ``(outcome, method, control)``."""

    results: dict[tuple[str, str, str], AttGtResult] = field(default_factory=dict)
    covariates: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    window: tuple[int, int] = (-12, 24)
    min_cell: int = DEFAULT_MIN_CELL
    seed: int = 0
    reason: str | None = None  # no_panel, no_participants, too_few

    @property
    def available(self) -> bool:
        return bool(self.results)

    @property
    def main(self) -> AttGtResult | None:
        """Work or study, doubly robust, against never-starters when there are any (else not-yet-started)."""
        for key in (("work_or_study", "dr", "never"), ("work_or_study", "dr", "notyet")):
            if key in self.results:
                return self.results[key]
        return next(iter(self.results.values()), None)

    def get(self, outcome: str, method: str = "dr", control: str = "never") -> AttGtResult | None:
        return self.results.get((outcome, method, control))

    def summary(self) -> pd.DataFrame:
        """Every overall estimate (outcome x method x comparison group x summary)."""
        rows = []
        for (o, m, c), r in self.results.items():
            for kind, v in r.overall.items():
                rows.append({"outcome": o, "method": m, "control": c, "summary": kind, **v})
            if r.pretrend:
                rows[-1]["pretrend_p"] = r.pretrend["p"]
        return pd.DataFrame(rows).set_index(["outcome", "method", "control", "summary"]) if rows else pd.DataFrame()

    def plot(self, outcome: str = "work_or_study", method: str = "dr", control: str | None = None, **kw):
        r = (
            self.main
            if control is None and outcome == "work_or_study"
            else self.get(outcome, method, control or "never")
        )
        if r is None:
            raise KeyError(f"no DiD result for {outcome}/{method}/{control}")
        return r.plot(**kw)


def outcome_grid(
    frame: pd.DataFrame, panel: pd.DataFrame, statuses: Sequence[str], data_end: dt.date | pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Persons x calendar months array (1 in ``statuses``, 0 other status, NaN unobserved) and the month numbers."""
    keys, person, pk, pmonth, hit = panel_codes(frame, panel, statuses)
    end = month_number(data_end)
    use = pmonth <= end
    if not use.any():
        return np.full((len(frame), 0), np.nan), np.zeros(0, dtype=int)
    lo, hi = int(pmonth[use].min()), int(pmonth[use].max())
    grid = np.full((len(keys), hi - lo + 1), np.nan)
    grid[pk[use], pmonth[use] - lo] = hit[use]
    rows = np.where(person >= 0, person, 0)
    out = grid[rows]
    out[person < 0] = np.nan
    return out, np.arange(lo, hi + 1)


def _design(frame: pd.DataFrame, config) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Standardised covariate design with an intercept, the complete-case mask and the covariates used."""
    covs = resolve_covariates(config, frame)
    X, complete = covariate_matrix(frame, covs, getattr(config, "propensity_formula", None))
    Z = X.to_numpy(dtype=float)
    Z = (Z - Z.mean(axis=0)) / np.where(Z.std(axis=0) > 0, Z.std(axis=0), 1.0)
    return np.column_stack([np.ones(len(Z)), Z]), complete, covs


def _pretrend(event: pd.DataFrame, psi: np.ndarray) -> dict[str, float] | None:
    if not len(event):
        return None
    pre = np.flatnonzero((event.index.to_numpy() < -1) & (event["se"].to_numpy() > 0))
    if not len(pre):
        return None
    n = psi.shape[0]
    b = event["estimate"].to_numpy()[pre]
    V = psi[:, pre].T @ psi[:, pre] / n**2
    stat = float(b @ np.linalg.pinv(V) @ b)
    df = int(np.linalg.matrix_rank(V))
    return {"statistic": stat, "df": df, "p": float(stats.chi2.sf(stat, df)) if df else float("nan")}


def estimate_attgt(
    Y: np.ndarray,
    G: np.ndarray,
    X: np.ndarray,
    periods: np.ndarray,
    outcome: str,
    method: str = "dr",
    control: str = "never",
    *,
    base_period: str = "universal",
    window: tuple[int, int] = (-12, 24),
    min_cell: int = DEFAULT_MIN_CELL,
    seed: int = 20260101,
    draws: int = 999,
) -> AttGtResult:
    """ATT(g, t), its aggregations, the simultaneous band and the pre-trend test for one array of outcomes."""
    gt = group_time_att(
        Y, G, X, method=method, control=control, base_period=base_period, window=window,
        min_treated=max(min_cell, 2), min_control=max(min_cell, 2), periods=periods,
    )  # fmt: skip
    event, psi_e = event_time(gt)
    cohorts, _ = by_cohort(gt)
    if len(event):
        se = event["se"].to_numpy()
        crit = sup_t_critical(psi_e, se, 0.05, draws, seed)
        event["lower"], event["upper"] = event["estimate"] - Z975 * se, event["estimate"] + Z975 * se
        event["band_lower"], event["band_upper"] = event["estimate"] - crit * se, event["estimate"] + crit * se
    else:
        crit = Z975
    skipped = gt.cells["skipped"].notna().sum() if "skipped" in gt.cells else 0
    counts = {**gt.counts, "cells": int(len(gt.cells)), "cells_not_estimated": int(skipped)}
    return AttGtResult(
        outcome, method, control, base_period, gt.cells, event, cohorts, overall(gt), _pretrend(event, psi_e),
        crit, counts,
    )  # fmt: skip


def did_analysis(
    tables: dict[str, pd.DataFrame],
    config,
    data_end: dt.date | pd.Timestamp,
    *,
    methods: Sequence[str] = METHODS,
    controls: Sequence[str] = CONTROLS,
    base_period: str = "universal",
    window: tuple[int, int] = (-12, 24),
    seed: int = 20260101,
    draws: int = 999,
) -> DidResult:
    """Staggered-start DiD for every panel outcome of a project (see the module docstring).

    Parameters
    ----------
    methods
        2x2 estimators of :mod:`analysis.effects.did2x2` (``dr`` = improved doubly robust).
    controls
        ``never`` (comparison-file persons; needs a comparison file) and/or ``notyet``.
    base_period
        ``universal`` (every estimate is the change since the month before start) or ``varying``.
    window
        Event times (months from start) estimated; the overall effects average months ``0..window[1]``.
    seed, draws
        Multiplier bootstrap of the simultaneous band.

    Example
    -------
    >>> res = did_analysis(ctx.tables, ctx.config, ctx.data_end)  # doctest: +SKIP
    >>> res.summary()  # doctest: +SKIP
    >>> res.main.plot()  # doctest: +SKIP
    """
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    res = DidResult(window=window, min_cell=min_cell, seed=seed)
    panel = PanelSource(tables)
    frame = persons(tables)
    if not panel.available:
        res.reason = "no_panel"
        return res
    if not len(frame) or not (frame["treated"] == 1).any():
        res.reason = "no_participants"
        return res
    X, complete, res.covariates = _design(frame, config)
    frame = frame[complete].reset_index(drop=True)
    start = month_numbers(frame["t0"]).astype(float)
    G = np.where(frame["treated"].to_numpy() == 1, start, NEVER)
    res.counts = {
        "participants": int((frame["treated"] == 1).sum()),
        "comparison_persons": int((frame["treated"] == 0).sum()),
        "n_missing_covariates": int((~complete).sum()),
    }
    options = {"base_period": base_period, "window": window, "min_cell": min_cell, "seed": seed, "draws": draws}
    res.results.update(_estimate_outcomes(frame, panel, config, data_end, X, G, methods, controls, options))
    res.reason = None if res.results else "too_few"
    return res


def _estimate_outcomes(
    frame: pd.DataFrame,
    panel: PanelSource,
    config,
    data_end: dt.date | pd.Timestamp,
    X: np.ndarray,
    G: np.ndarray,
    methods: Sequence[str],
    controls: Sequence[str],
    options: dict[str, Any],
) -> dict[tuple[str, str, str], AttGtResult]:
    """Every (outcome, method, control) estimate with at least one post-start effect, for the panel's outcomes."""
    results: dict[tuple[str, str, str], AttGtResult] = {}
    domain = getattr(config, "panel_domain", None) or "activity"
    for outcome in OUTCOME_STATUSES:
        if not panel_measures(domain, outcome):
            continue
        statuses = ["income_support"] if outcome == "income_support" else list(config.panel_work_or_study)
        Y, periods = panel.grid(frame, partial(outcome_grid, statuses=statuses, data_end=data_end))
        for control in controls:
            if control == "never" and not np.isinf(G).any():
                continue
            for method in methods:
                r = estimate_attgt(Y, G, X, periods, outcome, method, control, **options)
                if r.overall:  # at least one post-start effect was estimated
                    results[(outcome, method, control)] = r
    return results


def results_node(res: DidResult) -> dict[str, Any]:
    """Numbers and codes of :class:`DidResult` (no disclosure control: the publishing step adds it)."""
    out: dict[str, Any] = {"available": res.available, "reason": res.reason, "window": list(res.window)}
    out.update(covariates=res.covariates, counts=res.counts, seed=res.seed, estimates=[])
    for (o, m, c), r in res.results.items():
        out["estimates"].append(
            {
                "outcome": o, "method": m, "control": c, "base_period": r.base_period,
                "overall": r.overall, "pretrend": r.pretrend, "critical_value": r.critical_value,
                "event": r.event.reset_index().to_dict(orient="records"), "counts": r.counts,
            }
        )  # fmt: skip
    return out
