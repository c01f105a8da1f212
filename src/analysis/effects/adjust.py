"""Every adjusted estimator of one sample, with the options of ``comparison:`` in project.yml.

:func:`run_estimators` is what an outcome of either design (comparison file or panel-built) calls:
unadjusted, regression adjustment, matching (k, caliper, replacement, bias correction, exact cells),
IPW and AIPW (after the trimming rule), overlap weights (ATO) and entropy balancing, and the
balance of every weighting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.effects.balance import BalanceResult, balance_table
from analysis.effects.design import Sample
from analysis.effects.estimators import aipw_att, ipw_att, regression_adjustment, unadjusted
from analysis.effects.matching import match_att
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.result import EffectResult
from analysis.effects.weighting import entropy_att, overlap_att, trim_mask
from analysis.project.comparison import ComparisonSpec

log = logging.getLogger(__name__)

ATT_ESTIMATORS = ("regression", "matching", "ipw", "aipw", "entropy")
ESTIMATORS = ("unadjusted", *ATT_ESTIMATORS, "overlap")
WEIGHTED = ("matching", "ipw", "overlap", "entropy")  # each has its balance stage


@dataclass
class EffectOptions:
    """The estimator options (``comparison.matching``, ``comparison.trimming``)."""

    k: int = 1
    caliper: float | None = 0.2
    replacement: bool = True
    bias_correction: bool = False
    on: str = "logit"
    trimming: object = "support"

    @classmethod
    def from_spec(cls, spec: ComparisonSpec) -> EffectOptions:
        m = spec.matching
        return cls(m.k, m.caliper, m.replacement, m.bias_correction, m.on, spec.trimming)


def _subset(sample: Sample, keep: np.ndarray) -> Sample:
    return Sample(
        y=sample.y[keep],
        d=sample.d[keep],
        X=sample.X.loc[sample.X.index[keep]],
        outcome=sample.outcome,
        kind=sample.kind,
        keys=None if sample.keys is None else sample.keys[keep],
        n_missing_covariates=sample.n_missing_covariates,
        n_missing_outcome=sample.n_missing_outcome,
        cluster=None if sample.cluster is None else sample.cluster[keep],
        cells=None if sample.cells is None else sample.cells[keep],
    )


def trimmed(sample: Sample, ps: PropensityResult, rule, refit=None) -> tuple[Sample, PropensityResult, dict[str, int]]:
    """The sample the weighting estimators use after a score-based trimming rule (refitted score).

    ``"none"`` and ``"support"`` keep the sample (support trimming happens inside IPW/AIPW, as
    before); ``"crump"`` or bounds drop the rows outside and refit the score on the rest.
    """
    if rule in ("none", "support"):
        return sample, ps, {}
    keep = trim_mask(ps, rule)
    dropped = {
        "n_trimmed_treated": int(((sample.d == 1) & ~keep).sum()),
        "n_trimmed_control": int(((sample.d == 0) & ~keep).sum()),
    }
    if keep.all():
        return sample, ps, dropped
    sub = _subset(sample, keep)
    return sub, (refit(sub) if refit is not None else fit_propensity(sub.X, sub.d)), dropped


def failure_code(err: Exception) -> str:
    """Why an estimator could not be computed, as a code the report explains in plain words."""
    if isinstance(err, np.linalg.LinAlgError):
        return "singular"
    text = str(err)
    if "caliper" in text:
        return "no_match"
    if "did not converge" in text:
        return "no_convergence"
    return "failed"


def run_estimators(
    sample: Sample,
    ps: PropensityResult,
    options: EffectOptions,
    refit: Callable[[Sample], PropensityResult] | None = None,
) -> tuple[list[EffectResult], dict[str, str], BalanceResult, dict[str, int]]:
    """Every estimator on ``sample``; returns results, failure codes by estimator (:func:`failure_code`),
    balance and trimming counts. The messages of the failures go to the log, never to the page.

    ``refit(sample)`` fits the score of the trimmed sample (a cached fit: outcomes of the same persons share it).
    """
    tsample, tps, dropped = trimmed(sample, ps, options.trimming, refit)
    support = options.trimming == "support"
    calls = {
        "regression": lambda: regression_adjustment(sample),
        "matching": lambda: match_att(
            sample,
            ps,
            k=options.k,
            caliper=options.caliper,
            on=options.on,
            replacement=options.replacement,
            bias_correction=options.bias_correction,
            cells=sample.cells,
        ),
        "ipw": lambda: ipw_att(tsample, tps, trim=support),
        "aipw": lambda: aipw_att(tsample, tps, trim=support),
        "entropy": lambda: entropy_att(tsample),
        "overlap": lambda: overlap_att(sample, ps),
    }
    results: list[EffectResult] = [unadjusted(sample)]
    errors: dict[str, str] = {}
    for name, call in calls.items():
        try:
            r = call()
        except (ValueError, np.linalg.LinAlgError) as err:  # e.g. nobody within the caliper
            errors[name] = failure_code(err)
            log.info("%s could not be computed: %s", name, err)
            continue
        r.details.update(dropped if name in ("ipw", "aipw", "entropy") else {})
        results.append(r)
    weights = {}
    for r in results:
        if r.estimator in WEIGHTED and r.weights is not None:
            w = r.weights
            if len(w) != len(sample.y):  # estimated on the trimmed sample: zero weight for the rows left out
                full = np.zeros(len(sample.y))
                full[trim_mask(ps, options.trimming)] = w
                w = full
            weights[r.estimator] = w
    return results, errors, balance_table(sample.X, sample.d, weights), dropped
