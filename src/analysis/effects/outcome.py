"""One outcome of one design: every estimate, its diagnostics and E-values (published by :mod:`analysis.effects.publish`).

Shared by the comparison-file design (:mod:`analysis.effects.analysis`) and the panel-built one
(:mod:`analysis.effects.dynamic`), so that both report the same numbers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.disclosure.suppression import DEFAULT_MIN_CELL, protect_share
from analysis.effects.adjust import WEIGHTED, EffectOptions, run_estimators
from analysis.effects.balance import BalanceResult
from analysis.effects.design import OutcomeSpec, Sample
from analysis.effects.missing import pool_rubin
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.result import EffectResult, EffectTable
from analysis.effects.sensitivity import evalue_rd, evalue_smd


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
    errors: dict[str, str] = field(default_factory=dict)  # estimator -> failure code (adjust.failure_code)
    sample: Sample | None = field(default=None, repr=False)
    trimmed: dict[str, int] = field(default_factory=dict)
    imputations: int = 0

    @property
    def ok(self) -> bool:
        return self.estimates is not None and not self.suppressed and self.skipped is None

    @property
    def status(self) -> str:
        """``ok``, ``suppressed`` (a share would reveal a small count) or why it was skipped (``too_few``)."""
        return "ok" if self.ok else ("suppressed" if self.suppressed else (self.skipped or "failed"))

    def rows(self) -> list[EffectResult]:
        """The estimates (empty when there are none)."""
        return self.estimates.results if self.estimates is not None else []

    def result(self, estimator: str) -> EffectResult | None:
        if self.estimates is None:
            return None
        return next((r for r in self.estimates.results if r.estimator == estimator), None)

    def warnings(self, min_cell: int) -> list[str]:
        """Codes of the diagnostics that failed: ``balance_<stage>``, ``overlap``, ``separation``,
        ``weights``, ``unmatched``."""
        out: list[str] = []
        if not self.ok:
            return out
        if self.balance is not None:
            out += [f"balance_{s}" for s in WEIGHTED if s in self.balance.stages and self.balance.failures(s)]
        if self.propensity is not None:
            if self.propensity.n_outside_support > 0:
                out.append("overlap")
            if self.propensity.separated:
                out.append("separation")
        ipw = self.result("ipw")
        if ipw is not None and (
            ipw.details.get("ess_control", np.inf) < 2 * min_cell or ipw.details.get("max_weight_share", 0) > 0.1
        ):
            out.append("weights")
        mt = self.result("matching")
        if mt is not None and mt.details.get("n_unmatched", 0) > 0:
            out.append("unmatched")
        return out


def _evalues(o: OutcomeEffects, sample: Sample | None) -> None:
    if sample is None:
        return
    for r in o.rows():
        if r.estimator == "unadjusted":
            continue
        lo, hi = r.ci
        if sample.kind == "binary":
            w = r.weights
            t = sample.d == 1
            ok = w is not None and len(w) == len(t) and w[t].sum() > 0
            p1 = float(np.average(sample.y[t], weights=w[t])) if ok and w is not None else float(sample.y[t].mean())
            o.evalues[r.estimator] = evalue_rd(p1, r.estimate, lo, hi)
        else:
            sd = float(sample.y[sample.d == 0].std(ddof=1))
            if sd > 0:
                o.evalues[r.estimator] = evalue_smd(r.estimate / sd, r.se / sd)


def _screen(sample: Sample, spec: OutcomeSpec, min_cell: int) -> OutcomeEffects:
    """Counts, means and the disclosure screen that come before any estimate."""
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


def _propensity(sample: Sample, cache: dict | None) -> PropensityResult:
    """The propensity fit of ``sample``, shared through ``cache`` by samples of the same persons."""
    signature = (sample.X.index.to_numpy().tobytes(), sample.d.tobytes(), tuple(sample.X.columns))
    ps = cache.get(signature) if cache is not None else None
    if ps is None:
        # without the penalty first: when the separated rows are comparison persons only, they are
        # dropped and the score refitted (_drop_off_support), so the slow penalised fit would be thrown away
        ps = fit_propensity(sample.X, sample.d, penalise=False)
        if ps.provisional and not _droppable(sample, ps):
            ps = fit_propensity(sample.X, sample.d)
        if cache is not None:
            cache[signature] = ps
    return ps


def _droppable(sample: Sample, ps: PropensityResult) -> bool:
    """Separated rows that are all comparison persons (outside the support of the ATT)."""
    rows = ps.separated_rows
    return bool(ps.separated and rows is not None and rows.any() and not (sample.d[rows] == 1).any())


def _drop_off_support(
    sample: Sample, ps: PropensityResult, cache: dict | None = None
) -> tuple[Sample, PropensityResult, int]:
    """Comparison persons that the covariates separate perfectly from every participant (quasi-complete
    separation with only comparison persons on the separated side) are outside the support of the ATT:
    they would get zero weight and no match. They are left out and the score refitted; a separation
    that involves participants stays, and the report warns about it."""
    from analysis.effects.adjust import _subset

    dropped = 0
    for _ in range(3):
        if not _droppable(sample, ps):
            break
        rows = ps.separated_rows
        assert rows is not None
        dropped += int(rows.sum())
        sample = _subset(sample, ~rows)
        ps = _propensity(sample, cache)
    if ps.provisional:  # still separated after three rounds: the penalised fit after all
        ps = fit_propensity(sample.X, sample.d)
    return sample, ps, dropped


def estimate_outcome(
    sample: Sample,
    spec: OutcomeSpec,
    min_cell: int = DEFAULT_MIN_CELL,
    options: EffectOptions | None = None,
    propensity_cache: dict | None = None,
) -> OutcomeEffects:
    """Every estimator for one outcome, with balance, overlap and E-values.

    ``propensity_cache`` (a dict) lets outcomes observed for the same persons share
    one propensity fit: the score depends only on who is in the sample.
    """
    options = options or EffectOptions()
    o = _screen(sample, spec, min_cell)
    if o.skipped or o.suppressed:
        return o
    ps = _propensity(sample, propensity_cache)
    sample, ps, off = _drop_off_support(sample, ps, propensity_cache)
    o.sample, o.n_treated, o.n_control = sample, sample.n_treated, sample.n_control
    o.propensity = ps
    refit = (lambda s: _propensity(s, propensity_cache)) if propensity_cache is not None else None
    results, o.errors, o.balance, o.trimmed = run_estimators(sample, ps, options, refit)
    if off:
        o.trimmed = {**o.trimmed, "n_off_support_control": off}
    o.estimates = EffectTable(results)
    _evalues(o, sample)
    return o


def estimate_imputed(samples: list[Sample], spec: OutcomeSpec, min_cell: int, options: EffectOptions) -> OutcomeEffects:
    """Every estimator on each completed data set, pooled by Rubin's rules; diagnostics of the first."""
    fits = [estimate_outcome(s, spec, min_cell, options) for s in samples]
    o = fits[0]
    if not o.ok:
        return o
    names = [r.estimator for r in o.rows()]
    pooled = []
    for name in names:
        per = [f.result(name) for f in fits]
        if all(r is not None for r in per):
            pooled.append(pool_rubin([r for r in per if r is not None]))
    o.estimates = EffectTable(pooled)
    o.imputations = len(samples)
    o.evalues = {}
    _evalues(o, o.sample)
    return o
