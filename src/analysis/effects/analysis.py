"""The effects section of one project: every estimator, diagnostic, event study and E-value.

:func:`effects_analysis` takes the processed tables and ``project.yml`` and
returns an :class:`EffectsAnalysis`; its ``to_results`` gives the
suppression-safe numbers for ``results.json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.published import linked_cell, place, small_count_cell
from analysis.disclosure.suppression import DEFAULT_MIN_CELL, protect_share
from analysis.effects.balance import BalanceResult, balance_table
from analysis.effects.design import (
    OutcomeSpec,
    Sample,
    build_design,
    clear_panel_cache,
    covariate_matrix,
    outcome_frame,
    persons,
    resolve_covariates,
)
from analysis.effects.estimators import aipw_att, ipw_att, match_att, regression_adjustment, unadjusted
from analysis.effects.panel import EventStudyResult, event_panel, event_study
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.publish import (
    balance_published,
    design_counts,
    estimates_table,
    evalues_table,
    panel_published,
)
from analysis.effects.result import EffectResult, EffectTable
from analysis.effects.sensitivity import evalue_rd, evalue_smd

ESTIMATORS = ("unadjusted", "regression", "matching", "ipw", "aipw")
ADJUSTED = ("regression", "matching", "ipw", "aipw")
PANEL_OUTCOMES = ("work_or_study", "income_support")
# planted_truth keys of the synthetic examples -> outcome columns
PLANTED_KEYS = {"effect_work_or_study_12m": "wos_12m", "effect_earnings_after_sek": "earnings_after"}


@dataclass
class OutcomeEffects:
    """All estimates for one outcome, with its sample and diagnostics."""

    spec: OutcomeSpec
    n_treated: int
    n_control: int
    estimates: EffectTable | None = None
    propensity: PropensityResult | None = None
    balance: BalanceResult | None = None
    evalues: dict[str, dict] = field(default_factory=dict)
    mean_treated: float | None = None
    mean_control: float | None = None
    suppressed: bool = False
    skipped: str | None = None  # too_few, failed
    errors: dict[str, str] = field(default_factory=dict)  # estimator -> failure code (see ``failure_code``)
    error_messages: dict[str, str] = field(default_factory=dict, repr=False)  # for the log, never published
    sample: Sample | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.estimates is not None and not self.suppressed and self.skipped is None

    @property
    def status(self) -> str:
        """``ok``, ``suppressed`` (a share would reveal a small count) or why it was skipped (``too_few``)."""
        return "ok" if self.ok else ("suppressed" if self.suppressed else (self.skipped or "failed"))

    def published(self, min_cell: int) -> dict[str, Any]:
        """The outcome's node: sample, estimates, balance and overlap, with every count of persons protected."""
        out: dict[str, Any] = {"kind": self.spec.kind, "months": self.spec.months, "status": self.status}
        if self.errors:
            out["failed"] = dict(self.errors)  # estimators that could not be computed, by failure code
        if not self.ok:
            return out
        assert self.estimates is not None
        counts = design_counts(self.n_treated, self.n_control, self.estimates, self.propensity, min_cell)
        out.update(
            n_treated=linked_cell(counts, "treated"),
            n_control=linked_cell(counts, "control"),
            mean_treated=self.mean_treated,
            mean_control=self.mean_control,
            estimates=estimates_table(self.spec.name, self.spec.kind, self.estimates, self.evalues, counts),
        )
        if self.balance is not None:
            out["balance"] = balance_published(self.balance, min_cell)
        if self.propensity is not None:
            out["overlap"] = {
                "n_outside_support": linked_cell(counts, "outside_support"),
                "separated": self.propensity.separated,
            }
        return out


@dataclass
class EffectsAnalysis:
    """Everything the effects section shows.

    ``available`` is False (``reason``: ``no_comparison``, ``no_participants``,
    ``too_few``) when no effect can be estimated; the panel before/after may
    still be there.
    """

    available: bool
    reason: str | None = None
    min_cell: int = DEFAULT_MIN_CELL
    covariates: list[str] = field(default_factory=list)
    n_missing_covariates: int = 0
    outcomes: dict[str, OutcomeEffects] = field(default_factory=dict)
    main_outcome: str | None = None
    panel: dict[str, EventStudyResult] = field(default_factory=dict)
    planted: dict[str, float] = field(default_factory=dict)
    caliper: float | None = 0.2
    k: int = 1

    @property
    def main(self) -> OutcomeEffects | None:
        return self.outcomes.get(self.main_outcome) if self.main_outcome else None

    def table(self) -> pd.DataFrame:
        """Every published estimate (outcome x estimator)."""
        frames = [o.estimates.summary() for o in self.outcomes.values() if o.ok]
        return pd.concat(frames) if frames else pd.DataFrame()

    def warnings(self) -> list[str]:
        """Codes of the diagnostics that failed (shown as plain-language warnings)."""
        out = []
        m = self.main
        if m is None or not m.ok:
            return out
        if m.balance is not None:
            for stage in ("matching", "ipw"):
                if stage in m.balance.stages and not m.balance.balanced(stage):
                    out.append(f"balance_{stage}")
        if m.propensity is not None:
            if m.propensity.n_outside_support > 0:
                out.append("overlap")
            if m.propensity.separated:
                out.append("separation")
        ipw = next((r for r in m.estimates.results if r.estimator == "ipw"), None)
        if ipw is not None and (
            ipw.details.get("ess_control", np.inf) < 2 * self.min_cell or ipw.details.get("max_weight_share", 0) > 0.1
        ):
            out.append("weights")
        mt = next((r for r in m.estimates.results if r.estimator == "matching"), None)
        if mt is not None and mt.details.get("n_unmatched", 0) > 0:
            out.append("unmatched")
        return out

    def headline(self) -> dict | None:
        m = self.main
        if m is None or not m.ok:
            return None
        r = next((r for r in m.estimates.results if r.estimator == "aipw"), None)
        if r is None:
            return None
        lo, hi = r.ci
        return {
            "estimate": r.estimate,
            "lower": lo,
            "upper": hi,
            "outcome": m.spec.name,
            "method": "aipw",
            "scale": "risk_difference" if m.spec.kind == "binary" else "difference",
        }

    def published(self) -> dict[str, Any]:
        """The section's tree: numbers and codes only, every count of persons protected."""
        out: dict[str, Any] = {
            "min_cell": self.min_cell,
            "covariates": self.covariates,
            "n_missing_covariates": small_count_cell(self.n_missing_covariates, self.min_cell),
            "main_outcome": self.main_outcome,
            "matching": {"k": self.k, "caliper_sd": self.caliper},
            "outcomes": {name: o.published(self.min_cell) for name, o in self.outcomes.items()},
            "warnings": self.warnings(),
            "headline": self.headline(),
            "panel": {name: panel_published(es) for name, es in self.panel.items()},
        }
        evalues = {n: o.evalues["aipw"] for n, o in self.outcomes.items() if o.ok and o.evalues.get("aipw")}
        if evalues:
            out["evalues"] = evalues_table(evalues, self.min_cell)
        if not self.available:
            out["no_data"] = {"effects": self.reason or "too_few"}
        if not self.panel:
            out.setdefault("no_data", {})["panel"] = "no_panel"
        if self.planted:
            out["planted"] = self.planted
        return out

    def to_results(self) -> dict[str, Any]:
        return place(self.published(), "/effects")


def failure_code(err: Exception) -> str:
    """Why an estimator could not be computed, as a code the report explains in plain words."""
    if isinstance(err, np.linalg.LinAlgError):
        return "singular"
    if "caliper" in str(err):
        return "no_match"
    return "failed"


def _evalues(o: OutcomeEffects, sample: Sample) -> None:
    for r in o.estimates.results:
        if r.estimator == "unadjusted":
            continue
        lo, hi = r.ci
        if sample.kind == "binary":
            w = r.weights
            t = sample.d == 1
            p1 = (
                float(np.average(sample.y[t], weights=w[t]))
                if w is not None and w[t].sum() > 0
                else float(sample.y[t].mean())
            )
            o.evalues[r.estimator] = evalue_rd(p1, r.estimate, lo, hi)
        else:
            sd = float(sample.y[sample.d == 0].std(ddof=1))
            if sd > 0:
                o.evalues[r.estimator] = evalue_smd(r.estimate / sd, r.se / sd)


def estimate_outcome(
    sample: Sample,
    spec: OutcomeSpec,
    min_cell: int = DEFAULT_MIN_CELL,
    k: int = 1,
    caliper: float | None = 0.2,
    propensity_cache: dict | None = None,
) -> OutcomeEffects:
    """Every estimator for one outcome, with balance, overlap and E-values.

    ``propensity_cache`` (a dict) lets outcomes observed for the same persons share
    one propensity fit: the score depends only on who is in the sample.
    """
    o = OutcomeEffects(spec, sample.n_treated, sample.n_control, sample=sample)
    if min(o.n_treated, o.n_control) < max(min_cell, 2):
        o.skipped = "too_few"
        return o
    t = sample.d == 1
    o.mean_treated, o.mean_control = float(sample.y[t].mean()), float(sample.y[~t].mean())
    if spec.kind == "binary":  # a share that would reveal a small count hides the whole outcome
        s1 = protect_share(int(sample.y[t].sum()), int(t.sum()), min_cell)
        s0 = protect_share(int(sample.y[~t].sum()), int((~t).sum()), min_cell)
        if s1.hidden or s0.hidden:
            o.suppressed = True
            return o
    signature = (sample.X.index.to_numpy().tobytes(), sample.d.tobytes(), tuple(sample.X.columns))
    ps = propensity_cache.get(signature) if propensity_cache is not None else None
    if ps is None:
        ps = fit_propensity(sample.X, sample.d)
        if propensity_cache is not None:
            propensity_cache[signature] = ps
    o.propensity = ps
    results: list[EffectResult] = [unadjusted(sample)]
    calls = {
        "regression": lambda: regression_adjustment(sample),
        "matching": lambda: match_att(sample, ps, k=k, caliper=caliper),
        "ipw": lambda: ipw_att(sample, ps),
        "aipw": lambda: aipw_att(sample, ps),
    }
    for name, call in calls.items():
        try:
            results.append(call())
        except (ValueError, np.linalg.LinAlgError) as err:  # e.g. nobody within the caliper
            o.errors[name] = failure_code(err)
            o.error_messages[name] = str(err)
    o.estimates = EffectTable(results)
    weights = {r.estimator: r.weights for r in results if r.weights is not None}
    o.balance = balance_table(sample.X, sample.d, weights)
    _evalues(o, sample)
    return o


def effects_analysis(
    tables: dict[str, pd.DataFrame],
    config,
    data_end: dt.date | pd.Timestamp,
    *,
    k: int = 1,
    caliper: float | None = 0.2,
    window: tuple[int, int] = (-12, 24),
) -> EffectsAnalysis:
    """Estimate the effects section for a project (see the module docstring of :mod:`analysis.effects`)."""
    try:
        return _effects_analysis(tables, config, data_end, k=k, caliper=caliper, window=window)
    finally:
        clear_panel_cache()


def _effects_analysis(tables, config, data_end, *, k, caliper, window) -> EffectsAnalysis:
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    frame = persons(tables)
    res = EffectsAnalysis(available=False, min_cell=min_cell, k=k, caliper=caliper)
    truth = getattr(config, "planted_truth", None) or {}
    res.planted = {v: float(truth[key]) for key, v in PLANTED_KEYS.items() if key in truth}
    panel = tables.get("status_monthly")
    if panel is not None and len(panel) and len(frame):
        for name in PANEL_OUTCOMES:
            statuses = ["income_support"] if name == "income_support" else list(config.panel_work_or_study)
            long = event_panel(frame, panel, statuses, window)
            if len(long) and (long["group"] == 1).any():
                es = event_study(long, name, ref=-1, min_cell=min_cell)
                if len(es.estimates):
                    res.panel[name] = es
    n1 = int((frame["treated"] == 1).sum()) if len(frame) else 0
    n0 = int((frame["treated"] == 0).sum()) if len(frame) else 0
    if n1 == 0:
        res.reason = "no_participants"
        return res
    if n0 == 0:
        res.reason = "no_comparison"
        return res
    covs = resolve_covariates(config, frame)
    res.covariates = covs
    X, complete = covariate_matrix(frame, covs, getattr(config, "propensity_formula", None))
    res.n_missing_covariates = int((~complete).sum())
    outcomes, specs = outcome_frame(frame, tables, config, data_end)
    propensity_cache: dict = {}
    for spec in specs:
        sample = build_design(frame, outcomes, X, complete, spec)
        res.outcomes[spec.name] = estimate_outcome(sample, spec, min_cell, k, caliper, propensity_cache)
    ok = [n for n, o in res.outcomes.items() if o.ok]
    res.main_outcome = "wos_12m" if "wos_12m" in ok else (ok[0] if ok else None)
    res.available = bool(ok)
    if not ok:
        res.reason = "too_few"
    return res
