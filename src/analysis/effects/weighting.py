"""Overlap weights (ATO), entropy balancing and trimming rules.

Overlap weights (Li, Morgan & Zaslavsky 2018) give participants ``1 - e`` and comparison persons
``e``: the estimand is the effect in the *overlap population* (persons who could as well have taken
part as not), not the ATT, and the report says so. The weighted covariate means of the two groups
are equal by construction when ``e`` comes from a logit with those covariates.

Entropy balancing (Hainmueller 2012) reweights the comparison group, ``w_j ∝ exp(lambda'x_j)``,
so that its covariate means equal the participants' exactly, with weights as close to uniform as
possible (minimum Kullback–Leibler divergence). The ATT is the participants' mean minus the
weighted comparison mean. Its standard error comes from the stacked estimating equations
(participants' means, the balancing condition, the two outcome means; Zhao & Percival 2017).

Both standard errors are M-estimation sandwiches that include the estimation of ``e`` or
``lambda``, clustered by person when the sample has several rows per person.
"""

from __future__ import annotations

import numpy as np

from analysis.effects.design import Sample
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.result import EffectResult, influence_se

CRUMP = (0.1, 0.9)


def trim_mask(ps: PropensityResult, rule) -> np.ndarray:
    """Rows kept by a trimming rule.

    ``"none"`` keeps everyone; ``"support"`` drops participants whose score lies outside the
    comparison group's range; ``"crump"`` keeps ``0.1 <= e <= 0.9`` (Crump, Hotz, Imbens &
    Mitnik 2009); a pair ``(lower, upper)`` keeps ``lower <= e <= upper``.
    """
    if rule == "none":
        return np.ones(len(ps.d), dtype=bool)
    if rule == "support":
        return ~ps.outside_support
    lo, hi = CRUMP if rule == "crump" else tuple(rule)
    return (ps.ps >= lo) & (ps.ps <= hi)


def overlap_att(sample: Sample, ps: PropensityResult | None = None) -> EffectResult:
    """Effect in the overlap population: participants weighted ``1 - e``, comparison persons ``e``.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from analysis.effects.design import Sample
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000); d = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(np.int8)
    >>> s = Sample(y=x + 1.0 * d + rng.normal(size=2000), d=d, X=pd.DataFrame({"x": x}))
    >>> round(overlap_att(s).estimate, 1)
    1.0
    """
    ps = ps if ps is not None else fit_propensity(sample.X, sample.d)
    y, d = sample.y, sample.d == 1
    e = np.clip(ps.ps, 1e-12, 1 - 1e-12)
    Z = ps.design
    n = len(y)
    a1 = np.where(d, 1 - e, 0.0)
    a0 = np.where(d, 0.0, e)
    c1, c0 = a1.mean(), a0.mean()
    mu1 = np.sum(a1 * y) / np.sum(a1)
    mu0 = np.sum(a0 * y) / np.sum(a0)
    # d/d beta of E[d (1-e)(y - mu1)] and E[(1-d) e (y - mu0)]: de/dbeta = e (1-e) Z
    v = e * (1 - e)
    H1 = -(Z * (np.where(d, v, 0.0) * (y - mu1))[:, None]).sum(axis=0) / n
    H0 = (Z * (np.where(d, 0.0, v) * (y - mu0))[:, None]).sum(axis=0) / n
    A = (Z * v[:, None]).T @ Z / n
    score = Z * (d.astype(float) - e)[:, None]  # logit score per row; beta's influence is A^-1 score
    corr1 = score @ np.linalg.solve(A, H1)
    corr0 = score @ np.linalg.solve(A, H0)
    phi = (a1 * (y - mu1) + corr1) / c1 - (a0 * (y - mu0) + corr0) / c0
    w = a1 / a1.sum() * d.sum() + a0 / a0.sum() * d.sum()
    ess = a0.sum() ** 2 / np.sum(a0**2)
    return EffectResult(
        "overlap",
        sample.outcome,
        float(mu1 - mu0),
        influence_se(phi, sample.cluster),
        int(d.sum()),
        int((~d).sum()),
        "influence function (incl. propensity score)",
        {"estimand": "ato", "ess_control": float(ess), "ess_treated": float(a1.sum() ** 2 / np.sum(a1**2))},
        weights=w,
    )


def entropy_weights(X: np.ndarray, d: np.ndarray, tol: float = 1e-10, max_iter: int = 200):
    """Entropy-balancing weights of the comparison rows (``d == 0``) and the multipliers ``lambda``.

    Newton's method on the convex dual ``log sum_j exp(lambda'(x_j - xbar_1))`` with step halving;
    the columns are standardised first (the weights do not change). Returns ``(w, lambda, converged,
    max_abs_diff)``: ``w`` sums to 1 over the comparison rows (zero for participants), ``lambda`` on
    the standardised columns.
    """
    t = np.asarray(d) == 1
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - X[t].mean(axis=0)) / sd  # centred at the participants' means: the target is 0
    Zc = Z[~t]
    lam = np.zeros(Z.shape[1])

    def dual(lv):
        eta = Zc @ lv
        m = eta.max() if len(eta) else 0.0
        return m + np.log(np.exp(eta - m).sum()), eta

    f, eta = dual(lam)
    converged = False
    for _ in range(max_iter):
        p = np.exp(eta - eta.max())
        p /= p.sum()
        grad = Zc.T @ p
        if np.abs(grad).max() < tol:
            converged = True
            break
        H = (Zc * p[:, None]).T @ Zc - np.outer(grad, grad)
        step = np.linalg.lstsq(H, grad, rcond=None)[0]
        size = 1.0
        while True:
            f_new, eta_new = dual(lam - size * step)
            if f_new <= f + 1e-12 or size < 1e-8:
                break
            size /= 2
        lam, f, eta = lam - size * step, f_new, eta_new
    p = np.exp(eta - eta.max())
    p /= p.sum()
    w = np.zeros(len(d))
    w[~t] = p
    return w, lam, converged, float(np.abs(Zc.T @ p).max() * sd.max())


def entropy_att(sample: Sample) -> EffectResult:
    """ATT with entropy-balancing weights on the covariates ``sample.X`` (their means balanced exactly)."""
    X = sample.X.to_numpy(dtype=float)
    y, d = sample.y, sample.d == 1
    n = len(y)
    w, lam, converged, maxdiff = entropy_weights(X, d)
    if not converged:
        raise ValueError(
            "entropy balancing did not converge: the participants' covariate means are outside "
            "the range the comparison group can be reweighted to"
        )
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - X[d].mean(axis=0)) / sd
    p1 = d.mean()
    mu1 = y[d].mean()
    mu0 = float(np.sum(w * y))
    u = np.where(d, 0.0, np.exp(Z @ lam - (Z[~d] @ lam).max()))  # unnormalised weights
    cu = u.mean()
    # stacked equations: mx (participants' means), lambda (balance), mu1, mu0
    phi_mx = (d[:, None] * Z) / p1  # influence of the participants' mean of Z (centred at it: mean 0)
    G_lam = (Z * u[:, None]).T @ Z / n
    psi_lam = Z * u[:, None]
    infl_lam = -np.linalg.solve(G_lam, (psi_lam - cu * phi_mx).T).T  # d/d mx of E[u (Z - mx)] = -cu I
    g_mu0 = (Z * (u * (y - mu0))[:, None]).sum(axis=0) / n
    phi0 = (u * (y - mu0) + infl_lam @ g_mu0) / cu
    phi1 = d * (y - mu1) / p1
    wts = np.where(d, 1.0, w * d.sum())
    return EffectResult(
        "entropy",
        sample.outcome,
        float(mu1 - mu0),
        influence_se(phi1 - phi0, sample.cluster),
        int(d.sum()),
        int((~d).sum()),
        "M-estimation sandwich (incl. the balancing weights)",
        {"ess_control": float(1.0 / np.sum(w[~d] ** 2)), "max_abs_diff": maxdiff, "max_weight_share": float(w.max())},
        weights=wts,
    )
