"""Two-period difference-in-differences on a panel with covariates (Sant'Anna & Zhao 2020).

Each estimator takes, for ``n`` persons observed in a base period and a later period, the change
``dy = y_post - y_base``, the group ``d`` (1 treated, 0 comparison), a covariate design ``X`` *with*
an intercept column and optional sampling weights, and returns the ATT and its influence function
(one value per person, ``att_hat - att ~ mean(psi)``), so that ``se = sqrt(mean(psi^2) / n)``.

``dr`` (default)
    The improved, locally efficient doubly robust estimator (Sant'Anna & Zhao 2020, section 3.1):
    the propensity score by inverse probability tilting (Graham, Pinto & Egel 2012), which makes
    the comparison weights ``e/(1-e)`` balance the treated covariate means exactly, and the outcome
    regression of ``dy`` by weighted least squares on the comparison group with those weights.
    Both first-stage estimation effects then vanish: the influence function has only its leading term.
``dr_traditional``
    The same doubly robust form with a maximum-likelihood logit and unweighted OLS (their eq. 3.1,
    R ``DRDID::drdid_panel``), with both estimation effects in its influence function.
``ipw``
    Normalised (Hajek) inverse-probability weighting of ``dy`` (Abadie 2005), logit score.
``reg``
    Outcome regression (Heckman, Ichimura & Todd 1997): OLS of ``dy`` on ``X`` in the comparison group.

As in R's DRDID, probabilities are capped at ``1 - 1e-6`` and comparison persons with a score at or
above ``trim_level`` (0.995) get no weight.
"""

from __future__ import annotations

import warnings

import numpy as np

from analysis.effects.logit import fit_logit

METHODS = ("dr", "dr_traditional", "ipw", "reg")
TRIM_LEVEL = 0.995


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))


def pscore_ipt(d: np.ndarray, X: np.ndarray, w: np.ndarray, maxiter: int = 200) -> np.ndarray:
    """Inverse probability tilting for the ATT: minimise ``-mean(w (d X'g - (1-d) exp(X'g)))``.

    The first-order condition is ``sum_{d=1} w X = sum_{d=0} w exp(X'g) X``: the comparison weights
    ``exp(X'g) = e/(1-e)`` reproduce the treated covariate totals. Newton steps with a backtracking
    line search from the logit solution (the loss is convex). Returns ``e = logistic(X'g)``.
    """
    return _logistic(X @ ipt_coefficients(d, X, w, maxiter))


def ipt_coefficients(
    d: np.ndarray, X: np.ndarray, w: np.ndarray, maxiter: int = 200, start: np.ndarray | None = None
) -> np.ndarray:
    """The coefficients ``g`` of :func:`pscore_ipt`, by Newton from ``start`` or the intercept-only solution.

    The loss is strictly convex, so every start reaches the same minimum; a start near it (the fit of
    the same cohort one month earlier, whose sample differs by a few persons) needs one or two steps
    instead of six or more: at register scale the DiD fits hundreds of these on a million persons.
    """
    n = len(d)
    treated = d == 1
    if start is None:
        p1 = float(np.clip(np.average(d, weights=w), 1e-6, 1 - 1e-6))
        g = np.zeros(X.shape[1])
        g[0] = np.log(p1 / (1 - p1))  # the intercept-only solution; the loss is convex, Newton needs no better start
    else:
        g = np.asarray(start, dtype=float).copy()

    def loss(z: np.ndarray) -> float:
        return float(-np.mean(w * np.where(treated, z, -np.exp(np.minimum(z, 700)))))

    z = X @ g
    cur = loss(z)
    for _ in range(maxiter):
        ez = np.exp(np.minimum(z, 700))
        grad = -(X.T @ (w * np.where(treated, 1.0, -ez))) / n
        hess = (X.T * (w * ~treated * ez)) @ X / n
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t, z_step = 1.0, X @ step
        new = loss(z - z_step)
        while t > 1e-10 and not (np.isfinite(new) and new <= cur - 1e-4 * t * float(grad @ step)):
            t /= 2
            new = loss(z - t * z_step)
        if not np.isfinite(new) or new > cur:
            break
        g, z, old, cur = g - t * step, z - t * z_step, cur, new
        if np.max(np.abs(grad)) < 1e-12 or old - cur < 1e-15 * max(1.0, abs(cur)):
            break
    return g


def logit_newton(d: np.ndarray, X: np.ndarray, w: np.ndarray | None = None, maxiter: int = 50) -> np.ndarray:
    """Maximum-likelihood logit coefficients by Newton-Raphson with step halving (first column the intercept).

    Hundreds of small fits (one per cohort and month) make statsmodels' overhead the cost; when Newton
    does not converge (separation), :func:`analysis.effects.logit.fit_logit` diagnoses the data instead.
    """
    w = np.ones(len(d)) if w is None else w
    p1 = float(np.clip(np.average(d, weights=w), 1e-6, 1 - 1e-6))
    b = np.zeros(X.shape[1])
    b[0] = np.log(p1 / (1 - p1))

    def nll(beta: np.ndarray) -> float:
        z = X @ beta
        return float(np.sum(w * (np.logaddexp(0, z) - d * z)))

    cur = nll(b)
    for _ in range(maxiter):
        e = _logistic(X @ b)
        grad = X.T @ (w * (d - e))
        info = (X * (w * e * (1 - e))[:, None]).T @ X
        step = np.linalg.solve(info, grad)
        t, new = 1.0, nll(b + step)
        while new > cur and t > 1e-8:
            t /= 2
            new = nll(b + t * step)
        b, old, cur = b + t * step, cur, new
        if abs(old - cur) < 1e-10 * max(1.0, abs(cur)):
            if np.abs(b).max() < 30:  # a converged finite fit; runaway coefficients signal separation
                return b
            break
    return fit_logit(d, X).params


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares by the normal equations (small designs; least squares if singular)."""
    Xw = X * w[:, None]
    try:
        return np.linalg.solve(Xw.T @ X, Xw.T @ y)
    except np.linalg.LinAlgError:
        sw = np.sqrt(w)
        return np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]


def _trimmed_score(e: np.ndarray, d: np.ndarray, trim_level: float) -> tuple[np.ndarray, np.ndarray]:
    e = np.minimum(e, 1 - 1e-6)
    keep = np.where(d == 1, True, e < trim_level)
    return e, keep.astype(float)


def _logit_linearisation(d: np.ndarray, X: np.ndarray, w: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Influence of the logit coefficients, ``n (X'WX)^-1 x_i w_i (d_i - e_i)`` (one row per person)."""
    n = len(d)
    info = (X * (w * e * (1 - e))[:, None]).T @ X
    return (X * (w * (d - e))[:, None]) @ np.linalg.inv(info) * n


def _ols_linearisation(resid: np.ndarray, X: np.ndarray, w0: np.ndarray) -> np.ndarray:
    """Influence of (weighted) OLS coefficients on the comparison group, ``(X'W0X/n)^-1 x_i w0_i r_i``."""
    n = len(resid)
    A = (X * w0[:, None]).T @ X / n
    return (X * (w0 * resid)[:, None]) @ np.linalg.inv(A)


def did_panel(
    dy: np.ndarray,
    d: np.ndarray,
    X: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: str = "dr",
    trim_level: float = TRIM_LEVEL,
    pscore: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """ATT of a two-period panel DiD and its influence function (see the module docstring).

    Parameters
    ----------
    dy
        ``y_post - y_base`` per person.
    d
        1 for the treated group, 0 for the comparison group.
    X
        Covariate design including an intercept column (``None``: intercept only, the plain DiD).
    weights
        Sampling weights (default 1).
    method
        ``dr``, ``dr_traditional``, ``ipw`` or ``reg``.
    pscore
        The fitted (untrimmed) score of :func:`fit_score` for these persons, when already known
        (it depends only on who is in the sample, not on the outcome).

    Returns
    -------
    att : float
    psi : ndarray
        Influence function; ``sqrt(mean(psi**2) / n)`` is the standard error.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000); d = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(float)
    >>> dy = 0.5 * x + 1.0 * d + rng.normal(size=2000)
    >>> att, psi = did_panel(dy, d, np.column_stack([np.ones(2000), x]))
    >>> round(att, 1)
    1.0
    """
    if method not in METHODS:
        raise ValueError(f"unknown DiD method {method!r}; allowed: {', '.join(METHODS)}")
    dy = np.asarray(dy, dtype=float)
    d = np.asarray(d, dtype=float)
    n = len(d)
    X = np.ones((n, 1)) if X is None else np.asarray(X, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _estimate(method, dy, d, X, w, trim_level, pscore)


def _estimate(
    method: str,
    dy: np.ndarray,
    d: np.ndarray,
    X: np.ndarray,
    w: np.ndarray,
    trim_level: float,
    pscore: np.ndarray | None,
) -> tuple[float, np.ndarray]:
    """Run the chosen 2x2 estimator (fitting the score unless given; trimmed except for the improved DR)."""
    if method == "reg":
        return _reg(dy, d, X, w)
    e = fit_score(d, X, w, method) if pscore is None else pscore
    if method == "dr":
        return _dr_improved(dy, d, X, w, e, trim_level)
    e, keep = _trimmed_score(e, d, trim_level)
    if method == "ipw":
        return _ipw(dy, d, X, w, e, keep)
    return _dr_traditional(dy, d, X, w, e, keep)


def _reg(dy, d, X, w) -> tuple[float, np.ndarray]:
    w0 = w * (1 - d)
    beta = _wls(dy[d == 0], X[d == 0], w0[d == 0])
    m = X @ beta
    w1 = w * d
    p1 = w1.mean()
    att = float(np.mean(w1 * (dy - m)) / p1)
    lin = _ols_linearisation(dy - m, X, w0)
    psi = (w1 * (dy - m - att) - lin @ (w1[:, None] * X).mean(axis=0)) / p1
    return att, psi


def _ipw(dy, d, X, w, e, keep) -> tuple[float, np.ndarray]:
    w1 = keep * w * d
    w0 = keep * w * e * (1 - d) / (1 - e)
    mu1, mu0 = np.mean(w1 * dy) / w1.mean(), np.mean(w0 * dy) / w0.mean()
    lin = _logit_linearisation(d, X, w, e)
    m2 = (w0 * (dy - mu0))[:, None] * X
    psi = w1 * (dy - mu1) / w1.mean() - (w0 * (dy - mu0) + lin @ m2.mean(axis=0)) / w0.mean()
    return float(mu1 - mu0), psi


def _dr_traditional(dy, d, X, w, e, keep) -> tuple[float, np.ndarray]:
    w_ols = w * (1 - d)
    beta = _wls(dy[d == 0], X[d == 0], w_ols[d == 0])
    r = dy - X @ beta
    w1 = keep * w * d
    w0 = keep * w * e * (1 - d) / (1 - e)
    eta1, eta0 = np.mean(w1 * r) / w1.mean(), np.mean(w0 * r) / w0.mean()
    lin_ols = _ols_linearisation(r, X, w_ols)
    lin_ps = _logit_linearisation(d, X, w, e)
    inf1 = (w1 * (r - eta1) - lin_ols @ (w1[:, None] * X).mean(axis=0)) / w1.mean()
    m2 = ((w0 * (r - eta0))[:, None] * X).mean(axis=0)
    m3 = (w0[:, None] * X).mean(axis=0)
    inf0 = (w0 * (r - eta0) + lin_ps @ m2 - lin_ols @ m3) / w0.mean()
    return float(eta1 - eta0), inf1 - inf0


def _dr_improved(dy, d, X, w, e, trim_level) -> tuple[float, np.ndarray]:
    e, keep = _trimmed_score(e, d, trim_level)
    odds = e / (1 - e)
    # the comparison group's regression as zero weights on the treated: no copy of a million-row design
    beta = _wls(dy, X, w * odds * (1 - d))
    r = dy - X @ beta
    w1 = keep * w * d
    w0 = keep * w * odds * (1 - d)
    eta1, eta0 = np.mean(w1 * r) / w1.mean(), np.mean(w0 * r) / w0.mean()
    # no estimation effects: the tilting and the weighted regression are orthogonal to both nuisances
    psi = w1 * (r - eta1) / w1.mean() - w0 * (r - eta0) / w0.mean()
    return float(eta1 - eta0), psi


def fit_score(d: np.ndarray, X: np.ndarray, w: np.ndarray | None = None, method: str = "dr") -> np.ndarray:
    """The propensity score ``method`` uses: tilting (``dr``) or the maximum-likelihood logit (others)."""
    return fit_score_coefficients(d, X, w, method)[0]


def fit_score_coefficients(
    d: np.ndarray, X: np.ndarray, w: np.ndarray | None = None, method: str = "dr", start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_score` and its coefficients; the tilting starts from ``start`` when given."""
    w = np.ones(len(d)) if w is None else w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "dr":
            g = ipt_coefficients(d, X, w, start=start)
            return _logistic(X @ g), g
        try:
            b = logit_newton(d, X, w)
            return _logistic(X @ b), b
        except np.linalg.LinAlgError:
            b = np.asarray(fit_logit(d, X).params, dtype=float)
            return _logistic(X @ b), b


def control_weights(
    d: np.ndarray, X: np.ndarray, method: str = "dr", trim_level: float = TRIM_LEVEL, pscore: np.ndarray | None = None
) -> np.ndarray:
    """The comparison persons' normalised weights of ``method`` (sum 1 over the comparison group; 0 for the treated).

    ``reg`` and the plain DiD weight every comparison person equally. Used for the weighted comparison
    path of the event-study figure.
    """
    d = np.asarray(d, dtype=float)
    n = len(d)
    w = np.ones(n)
    if method == "reg" or X.shape[1] == 1:
        raw = 1 - d
    else:
        e = fit_score(d, X, w, method) if pscore is None else pscore
        e, keep = _trimmed_score(e, d, trim_level)
        raw = keep * (1 - d) * e / (1 - e)
    return raw / raw.sum()
