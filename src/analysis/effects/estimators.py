"""Estimators of the average effect on the treated (ATT): did participants do better than they would have without?

All take a :class:`~analysis.effects.design.Sample` (outcome ``y``, treatment
``d``, covariates ``X``) and return an :class:`~analysis.effects.result.EffectResult`.
Everything is vectorised and uses memory linear in the number of persons, so
that 20 000 participants against a million register controls is routine:
matching searches a sorted array of scores, never a treated x control matrix.

Standard errors
---------------
unadjusted      Welch (unequal variances).
regression      M-estimation sandwich (influence function), i.e. heteroskedasticity-robust.
matching        Abadie & Imbens (2006) variance for the population ATT, with the
                conditional outcome variance estimated by matching within the group.
ipw             Influence function of the normalised (Hajek) ATT weighting estimator,
                including the estimation of the propensity score (stacked M-estimation).
aipw            Efficient influence function of the doubly robust ATT (orthogonal to both models).
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from analysis.effects.design import Sample
from analysis.effects.logit import fit_logit
from analysis.effects.matching import match_att, nearest_neighbours
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.result import EffectResult, influence_se

__all__ = [
    "aipw_att",
    "ipw_att",
    "match_att",
    "nearest_neighbours",
    "regression_adjustment",
    "unadjusted",
]


def _as_design(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(len(X)), X]) if X.ndim == 2 else np.ones((len(X), 1))


# --------------------------------------------------------------------------
# unadjusted
# --------------------------------------------------------------------------


def unadjusted(sample: Sample) -> EffectResult:
    """Raw difference in means between participants and the comparison group (Welch standard error)."""
    y, d = sample.y, sample.d == 1
    y1, y0 = y[d], y[~d]
    est = y1.mean() - y0.mean()
    se = np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))
    return EffectResult(
        "unadjusted",
        sample.outcome,
        float(est),
        float(se),
        len(y1),
        len(y0),
        "Welch",
        {"mean_treated": float(y1.mean()), "mean_control": float(y0.mean())},
    )


# --------------------------------------------------------------------------
# outcome model for the comparison group (regression adjustment, AIPW)
# --------------------------------------------------------------------------


def _control_model(sample: Sample, Xd: np.ndarray):
    """Fit E[y | X, d=0]: OLS (continuous) or logit (binary) on the comparison group.

    Returns predictions for everyone, the coefficient influence values (n x p; zero
    rows for treated) and the derivative of the prediction w.r.t. the coefficients (n x p).
    The fit is kept on the sample: regression adjustment and AIPW use the same model,
    and on a register-sized comparison group each logit fit costs seconds.
    """
    cached = sample.__dict__.get("_control_fit")
    if cached is not None and cached[0].shape == Xd.shape and np.array_equal(cached[0], Xd):
        return cached[1]
    fitted = _fit_control_model(sample, Xd)
    sample.__dict__["_control_fit"] = (Xd, fitted)
    return fitted


def _fit_control_model(sample: Sample, Xd: np.ndarray):
    d0 = sample.d == 0
    y0, X0 = sample.y[d0], Xd[d0]
    n = len(sample.y)
    if sample.kind == "binary":
        # separation is diagnosed on the fit, as for the propensity score (a large linear predictor is fine)
        beta = fit_logit(y0, X0).params
        eta = Xd @ beta
        m = 1 / (1 + np.exp(-eta))
        dm = (m * (1 - m))[:, None] * Xd  # d m / d beta
        resid0 = y0 - m[d0]
        A = (X0 * (m[d0] * (1 - m[d0]))[:, None]).T @ X0 / n
    else:
        fit = sm.OLS(y0, X0).fit()
        beta = np.asarray(fit.params)
        m = Xd @ beta
        dm = Xd
        resid0 = y0 - m[d0]
        A = X0.T @ X0 / n
    infl = np.zeros((n, Xd.shape[1]))
    infl[d0] = np.linalg.solve(A, (X0 * resid0[:, None]).T).T  # influence of beta-hat (n * (beta-hat - beta))
    return m, infl, dm, beta


def regression_adjustment(sample: Sample) -> EffectResult:
    """ATT by regression adjustment.

    An outcome model is fitted to the comparison group only -- OLS for a
    continuous outcome, a logit for a binary one -- and each participant's
    outcome without the programme is predicted from it. The ATT is the mean
    over participants of observed minus predicted outcome (for a binary outcome
    the average marginal effect of taking part among participants). The
    standard error is the robust (sandwich) one from the stacked estimating
    equations, so it includes the uncertainty of the outcome model.
    """
    Xd = _as_design(sample.X)
    d = sample.d == 1
    n, n1 = len(d), int(d.sum())
    m, infl_beta, dm, _ = _control_model(sample, Xd)
    resid = sample.y - m
    est = resid[d].mean()
    p = n1 / n
    grad = dm[d].sum(axis=0) / n  # E[D * dm/dbeta]
    phi = (d * (resid - est) - infl_beta @ grad) / p
    se = influence_se(phi, sample.cluster)
    model = "logit" if sample.kind == "binary" else "OLS"
    return EffectResult(
        "regression",
        sample.outcome,
        float(est),
        float(se),
        n1,
        n - n1,
        f"sandwich ({model})",
        {"outcome_model": model, "mean_treated": float(sample.y[d].mean()), "mean_counterfactual": float(m[d].mean())},
        influence=phi,
    )


# --------------------------------------------------------------------------
# weighting
# --------------------------------------------------------------------------


def _propensity(sample: Sample, ps: PropensityResult | None) -> PropensityResult:
    return ps if ps is not None else fit_propensity(sample.X, sample.d)


def _keep(ps: PropensityResult, trim: bool) -> np.ndarray:
    return ~ps.outside_support if trim else np.ones(len(ps.d), dtype=bool)


def ipw_att(sample: Sample, ps: PropensityResult | None = None, trim: bool = True) -> EffectResult:
    """ATT by inverse-probability weighting with normalised weights.

    Participants get weight 1, comparison persons ``e/(1-e)`` scaled to sum to
    the number of participants. With ``trim`` participants whose score lies
    outside the comparison group's range (no comparable persons) are left out
    and counted in ``details['n_trimmed']``. The standard error is the
    influence function of the stacked equations (propensity logit + two
    weighted means), so it accounts for the estimated propensity score.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from analysis.effects.design import Sample
    >>> rng = np.random.default_rng(0)
    >>> age = rng.normal(40, 10, 400)
    >>> d = (rng.random(400) < 1 / (1 + np.exp(-(age - 40) / 10))).astype(int)  # older persons take part more
    >>> y = 2.0 * d + 0.1 * age + rng.normal(size=400)  # the true effect is 2
    >>> sample = Sample(y=y, d=d, X=pd.DataFrame({"age": age}))
    >>> res = ipw_att(sample)
    >>> round(res.estimate, 1), res.n_treated, res.details["n_trimmed"]
    (2.1, 178, 11)
    >>> [round(v, 1) for v in res.ci]
    [1.9, 2.3]
    """
    ps = _propensity(sample, ps)
    y, d = sample.y, sample.d == 1
    keep = _keep(ps, trim)
    t = d & keep
    n = len(y)
    e = np.clip(ps.ps, 1e-12, 1 - 1e-12)
    r = np.where(d, 0.0, e / (1 - e))
    mu1 = y[t].mean()
    mu0 = np.sum(r * y) / np.sum(r)
    est = mu1 - mu0
    Z = ps.design
    p_t = t.mean()
    c0 = r.mean()
    # influence of the logit coefficients: A^-1 Z (D - e), A = E[e(1-e) Z Z']
    A = (Z * (e * (1 - e))[:, None]).T @ Z / n
    H = (Z * (r * (y - mu0))[:, None]).sum(axis=0) / n  # d/d beta of E[(1-D) r (y - mu0)]
    corr = Z @ np.linalg.solve(A, H)  # H' A^-1 Z_i
    phi1 = t * (y - mu1) / p_t
    phi0 = (r * (y - mu0) + corr * (d.astype(float) - e)) / c0
    phi = phi1 - phi0
    se = influence_se(phi, sample.cluster)
    w = np.where(t, 1.0, 0.0) + r / r.sum() * t.sum()
    ess = r.sum() ** 2 / np.sum(r**2)
    return EffectResult(
        "ipw",
        sample.outcome,
        float(est),
        float(se),
        int(t.sum()),
        int((~d).sum()),
        "influence function (incl. propensity score)",
        {"n_trimmed": int((d & ~keep).sum()), "ess_control": float(ess), "max_weight_share": float(r.max() / r.sum())},
        weights=w,
        influence=phi,
    )


def aipw_att(sample: Sample, ps: PropensityResult | None = None, trim: bool = True) -> EffectResult:
    """Doubly robust (augmented IPW) ATT.

    ``mean_{participants}(y - m0(X)) - weighted mean_{comparison}(y - m0(X))``
    with ``m0`` the comparison-group outcome model of :func:`regression_adjustment`
    and normalised ATT weights ``e/(1-e)``. Consistent when either the outcome
    model or the propensity model is right. Its influence function is
    orthogonal to both models, so the standard error uses it directly.

    Example: as :func:`ipw_att` (same sample, estimate 2.1, interval 1.9 to 2.4).
    """
    ps = _propensity(sample, ps)
    y, d = sample.y, sample.d == 1
    keep = _keep(ps, trim)
    t = d & keep
    Xd = _as_design(sample.X)
    m, _, _, _ = _control_model(sample, Xd)
    R = y - m
    e = np.clip(ps.ps, 1e-12, 1 - 1e-12)
    r = np.where(d, 0.0, e / (1 - e))
    a1 = R[t].mean()
    a0 = np.sum(r * R) / np.sum(r)
    est = a1 - a0
    phi = t * (R - a1) / t.mean() - r * (R - a0) / r.mean()
    se = influence_se(phi, sample.cluster)
    return EffectResult(
        "aipw",
        sample.outcome,
        float(est),
        float(se),
        int(t.sum()),
        int((~d).sum()),
        "efficient influence function",
        {"n_trimmed": int((d & ~keep).sum())},
        weights=np.where(t, 1.0, 0.0) + r / r.sum() * t.sum(),
        influence=phi,
    )
