"""Sensitivity to hidden bias: Rosenbaum bounds, the robustness value, and placebo outcomes.

Rosenbaum bounds (Rosenbaum 2002, *Observational Studies*, ch. 4) for the matched estimate. Within a
matched set a hidden confounder may make one person's odds of taking part up to ``Gamma`` times
another's; ``Gamma = 1`` is no hidden bias. For each ``Gamma`` the bound gives the largest one-sided
p-value of the test of no effect; ``gamma_star`` is the smallest ``Gamma`` at which it exceeds
``alpha / 2`` (the effect "stops being significant").

* 0/1 outcome: the treated-outcome statistic ``T = sum_i y_treated,i`` over matched sets with one
  participant and ``m_i`` comparison persons. In a set with ``a_i`` of its ``m_i + 1`` members at 1,
  the participant is the one at 1 with probability at most ``Gamma a_i / (Gamma a_i + m_i + 1 - a_i)``
  (the bound is attained with the hidden confounder equal to the outcome); with pairs only this is
  McNemar's test with the exact binomial tail ``P(Bin(D, Gamma / (1 + Gamma)) >= T)`` over the ``D``
  discordant pairs, otherwise the normal approximation of the sum of independent Bernoullis.
* Continuous outcome: Wilcoxon's signed-rank statistic of the matched differences ``y_treated - mean
  of the set's comparison persons`` (with ``k:1`` matching the set's mean plays the partner of a pair:
  an approximation, documented), upper bound ``E = p sum r``, ``V = p (1 - p) sum r^2``, ``p = Gamma /
  (1 + Gamma)``.

Matching with replacement reuses comparison persons across sets; the bounds treat the sets as
independent, as the R package ``rbounds`` does on such a sample (approximate).

Robustness value (Cinelli & Hazlett 2020, JRSS-B 82:39-67) of the linear regression of the outcome on
taking part and the covariates: ``RV_q`` is the partial R^2 that a confounder would need with both
the treatment and the outcome to reduce the estimate by ``100 q %``; ``RV_{q,alpha}`` to make it
not significant at ``alpha``. With ``f = t / sqrt(df)``: ``RV_q = (sqrt(f_q^4 + 4 f_q^2) - f_q^2) / 2``,
``f_q = q |f|``; for ``RV_{q,alpha}`` ``f_q`` is replaced by ``f_q - f*`` with ``f* = |t_{alpha/2,
df-1}| / sqrt(df - 1)`` (0 when negative; ``(f_q^2 - f*^2) / (1 + f_q^2)`` when ``f_q > 1/f*``).
The partial R^2 of the treatment is ``t^2 / (t^2 + df)``.

Placebo outcomes: the panel outcome in months *before* the start (``placebo_months``), estimated with
every estimator of the effects section; a real effect on the past is impossible, so an estimate away
from zero points to bias. (In the panel-built design the history covariates count the months in work
or study in the last 12 and 24 months, so the placebo there is partly adjusted away: it tests the
timing within those windows.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.disclosure.suppression import DEFAULT_MIN_CELL
from analysis.effects.adjust import EffectOptions, run_estimators
from analysis.effects.design import (
    OutcomeSpec,
    Sample,
    build_design,
    covariate_matrix,
    outcome_frame,
    persons,
    resolve_covariates,
    status_at,
)
from analysis.effects.matching import _cell_axis, nearest_neighbours
from analysis.effects.panel_source import PanelSource
from analysis.effects.propensity import fit_propensity

PLACEBO_MONTHS = (-12, -6)
GAMMAS = (1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


# --------------------------------------------------------------------------
# Rosenbaum bounds
# --------------------------------------------------------------------------


def rosenbaum_binary(y_treated: np.ndarray, ones_control: np.ndarray, m: np.ndarray, gamma: float) -> float:
    """Upper bound of the one-sided p-value (effect > 0) for 0/1 outcomes in 1:m_i matched sets.

    ``ones_control[i]`` is the number of the set's ``m[i]`` comparison persons with outcome 1.
    """
    a = y_treated + ones_control
    size = m + 1
    use = (a > 0) & (a < size)
    if not use.any():
        return 1.0
    t = float(y_treated[use].sum())
    if (m[use] == 1).all():  # pairs: McNemar, exact binomial over the discordant pairs
        return float(stats.binom.sf(t - 1, int(use.sum()), gamma / (1 + gamma)))
    p = gamma * a[use] / (gamma * a[use] + size[use] - a[use])
    mean, var = p.sum(), (p * (1 - p)).sum()
    return float(stats.norm.sf((t - mean - 0.5) / np.sqrt(var)))


def rosenbaum_signed_rank(diff: np.ndarray, gamma: float) -> float:
    """Upper bound of the one-sided p-value (effect > 0) of Wilcoxon's signed-rank test of matched differences."""
    d = diff[diff != 0]
    if not len(d):
        return 1.0
    r = stats.rankdata(np.abs(d))
    t = float(r[d > 0].sum())
    p = gamma / (1 + gamma)
    mean, var = p * r.sum(), p * (1 - p) * np.sum(r**2)
    return float(stats.norm.sf((t - mean) / np.sqrt(var)))


def gamma_star(pvalue, alpha: float = 0.05, upper: float = 100.0) -> float:
    """Smallest Gamma >= 1 at which the bound on the one-sided p-value reaches ``alpha / 2`` (``inf``: beyond ``upper``)."""
    level = alpha / 2
    if pvalue(1.0) >= level:
        return 1.0
    if pvalue(upper) < level:
        return float("inf")
    return float(np.exp(optimize.brentq(lambda lg: pvalue(np.exp(lg)) - level, 0.0, np.log(upper), xtol=1e-6)))


def matched_sets(sample: Sample, options: EffectOptions) -> pd.DataFrame:
    """The matched sets of the matching estimator (with replacement, ties included, exact cells respected).

    One row per matched participant: ``y_treated``, ``m`` (comparison persons in the set),
    ``ones_control`` and ``mean_control`` (their outcomes).
    """
    ps = fit_propensity(sample.X, sample.d)
    score = ps.score if options.on == "logit" else ps.ps
    cal = None if options.caliper is None else float(options.caliper) * float(np.std(score))
    axis, cal_axis = _cell_axis(score, sample.cells, cal)
    d = sample.d == 1
    t_rows, c_rows = np.flatnonzero(d), np.flatnonzero(~d)
    order, lo, hi = nearest_neighbours(axis[t_rows], axis[c_rows], options.k, cal_axis)
    yc = sample.y[c_rows][order]
    cum = np.concatenate([[0.0], np.cumsum(yc)])
    m = hi - lo
    ok = m > 0
    s = cum[hi] - cum[lo]
    return pd.DataFrame(
        {"y_treated": sample.y[t_rows][ok], "m": m[ok], "ones_control": s[ok], "mean_control": s[ok] / m[ok]}
    )


def rosenbaum_bounds(sets: pd.DataFrame, kind: str, alpha: float = 0.05, gammas=GAMMAS) -> dict[str, Any]:
    """Gamma* and the p-value bounds at ``gammas`` for the matched sets (direction of the observed effect)."""
    diff = (sets["y_treated"] - sets["mean_control"]).to_numpy()
    sign = 1.0 if diff.mean() >= 0 else -1.0
    if kind == "binary":
        y = sets["y_treated"].to_numpy() if sign > 0 else 1 - sets["y_treated"].to_numpy()
        ones = sets["ones_control"].to_numpy() if sign > 0 else sets["m"].to_numpy() - sets["ones_control"].to_numpy()
        m = sets["m"].to_numpy()

        def pvalue(g: float) -> float:
            return rosenbaum_binary(y, ones, m, g)

        test = "mcnemar" if (m == 1).all() else "binary_sets"
    else:

        def pvalue(g: float) -> float:
            return rosenbaum_signed_rank(sign * diff, g)

        test = "signed_rank"
    return {
        "test": test,
        "direction": "positive" if sign > 0 else "negative",
        "sets": int(len(sets)),
        "max_controls": int(sets["m"].max()) if len(sets) else 0,
        "gamma_star": gamma_star(pvalue, alpha),
        "bounds": [{"gamma": g, "p_upper": pvalue(g)} for g in gammas],
    }


# --------------------------------------------------------------------------
# robustness value (Cinelli & Hazlett 2020)
# --------------------------------------------------------------------------


def robustness_value(t: float, df: int, q: float = 1.0, alpha: float | None = None) -> float:
    """``RV_q`` (``alpha=None``) or ``RV_{q,alpha}`` from the t statistic and residual degrees of freedom."""
    fq = q * abs(t) / np.sqrt(df)
    if alpha is None:
        return float(0.5 * (np.sqrt(fq**4 + 4 * fq**2) - fq**2))
    fcrit = abs(stats.t.ppf(alpha / 2, df - 1)) / np.sqrt(df - 1)
    fqa = fq - fcrit
    if fqa < 0:
        return 0.0
    if fq > 1 / fcrit:
        return float((fq**2 - fcrit**2) / (1 + fq**2))
    return float(0.5 * (np.sqrt(fqa**4 + 4 * fqa**2) - fqa**2))


def regression_robustness(sample: Sample, q: float = 1.0, alpha: float = 0.05) -> dict[str, float]:
    """OLS of ``y`` on an intercept, taking part and the covariates; its treatment t, partial R^2, RV_q, RV_{q,a}."""
    X = np.column_stack([np.ones(len(sample.y)), sample.d.astype(float), sample.X.to_numpy(dtype=float)])
    beta, *_ = np.linalg.lstsq(X, sample.y, rcond=None)
    resid = sample.y - X @ beta
    df = len(sample.y) - np.linalg.matrix_rank(X)
    sigma2 = float(resid @ resid) / df
    se = float(np.sqrt(sigma2 * np.linalg.pinv(X.T @ X)[1, 1]))
    t = float(beta[1] / se)
    return {
        "estimate": float(beta[1]),
        "se": se,
        "t": t,
        "df": int(df),
        "partial_r2": t**2 / (t**2 + df),
        "rv_q": robustness_value(t, df, q),
        "rv_qa": robustness_value(t, df, q, alpha),
        "q": q,
        "alpha": alpha,
    }


# --------------------------------------------------------------------------
# the entry point
# --------------------------------------------------------------------------


@dataclass
class SensitivityResult:
    """Rosenbaum bounds of the matched estimate, the regression's robustness value and placebo estimates."""

    outcome: str
    design: str
    rosenbaum: dict[str, Any] | None
    robustness: dict[str, float] | None
    placebo: pd.DataFrame
    matched_estimate: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """One row per number: ``measure`` (gamma_star, rv_q, rv_qa, partial_r2, placebo_<est>_<month>) and ``value``."""
        rows: list[dict[str, Any]] = []
        if self.rosenbaum:
            rows.append({"measure": "gamma_star", "value": self.rosenbaum["gamma_star"]})
            rows += [
                {"measure": f"p_upper_gamma_{b['gamma']:g}", "value": b["p_upper"]} for b in self.rosenbaum["bounds"]
            ]
        if self.robustness:
            rows += [{"measure": k, "value": self.robustness[k]} for k in ("partial_r2", "rv_q", "rv_qa")]
        for _, r in self.placebo.iterrows():
            rows.append(
                {"measure": f"placebo_{r['estimator']}_{int(r['months'])}m", "value": r["estimate"], "p": r["p"]}
            )
        return pd.DataFrame(rows).set_index("measure")

    def plot(self, ax=None, xlabel: str = "Gamma (hidden bias)", ylabel: str = "Largest p-value"):
        """The Rosenbaum bound of the p-value against Gamma, with the significance level."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.4))
        if self.rosenbaum:
            b = self.rosenbaum["bounds"]
            ax.plot([x["gamma"] for x in b], [x["p_upper"] for x in b], "o-", color="#1f5f8b")
            ax.axhline(0.025, color="#c8553d", ls="--", lw=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return ax


def _placebo_samples(frame, tables, config, data_end, X, complete, months) -> dict[int, Sample]:
    panel = PanelSource(tables)
    if not panel.available:
        return {}
    wos = status_at(panel, frame, list(months), config.panel_work_or_study, data_end)
    out = {}
    for m in months:
        spec = OutcomeSpec(f"wos_{m}m", "binary", m, "panel")
        out[m] = build_design(frame, wos, X, complete, spec)
    return out


def sensitivity_analysis(
    tables: dict[str, pd.DataFrame],
    config,
    data_end: dt.date | pd.Timestamp,
    outcome: str = "wos_12m",
    placebo_months: tuple[int, ...] = PLACEBO_MONTHS,
    alpha: float = 0.05,
) -> SensitivityResult | None:
    """Rosenbaum bounds, robustness value and placebo outcomes for the comparison-file design.

    None without participants and comparison persons or without the outcome.

    Example
    -------
    >>> sens = sensitivity_analysis(ctx.tables, ctx.config, ctx.data_end)  # doctest: +SKIP
    >>> sens.rosenbaum["gamma_star"], sens.robustness["rv_q"]  # doctest: +SKIP
    """
    frame = persons(tables)
    if not len(frame) or not ((frame["treated"] == 1).any() and (frame["treated"] == 0).any()):
        return None
    options = EffectOptions.from_spec(config.comparison)
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    outcomes, specs = outcome_frame(frame, tables, config, data_end)
    spec = next((s for s in specs if s.name == outcome), None)
    if spec is None:
        return None
    X, complete = covariate_matrix(frame, resolve_covariates(config, frame), config.propensity_formula)
    sample = build_design(frame, outcomes, X, complete, spec)
    if min(sample.n_treated, sample.n_control) < max(min_cell, 2):
        return None
    sets = matched_sets(sample, options)
    bounds = rosenbaum_bounds(sets, spec.kind, alpha) if len(sets) >= max(min_cell, 2) else None
    rows = []
    for m, ps_sample in _placebo_samples(frame, tables, config, data_end, X, complete, placebo_months).items():
        if min(ps_sample.n_treated, ps_sample.n_control) < max(min_cell, 2):
            continue
        results, _, _, _ = run_estimators(ps_sample, fit_propensity(ps_sample.X, ps_sample.d), options)
        for r in results:
            lo, hi = r.ci
            rows.append(
                {"estimator": r.estimator, "months": m, "estimate": r.estimate, "se": r.se, "lower": lo, "upper": hi}
            )
            rows[-1].update(p=r.p_value, n_treated=r.n_treated, n_control=r.n_control)
    placebo = pd.DataFrame(
        rows, columns=["estimator", "months", "estimate", "se", "lower", "upper", "p", "n_treated", "n_control"]
    )
    diff = sets["y_treated"] - sets["mean_control"]
    return SensitivityResult(
        outcome, "file", bounds, regression_robustness(sample, alpha=alpha), placebo,
        float(diff.mean()) if len(sets) else None, {"matched_sets": int(len(sets))},
    )  # fmt: skip
