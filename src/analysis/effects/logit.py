"""Maximum-likelihood logit with a diagnosis of separation made on the fitted model.

The maximum-likelihood estimate of a logit does not exist when the covariates
separate the outcome completely or quasi-completely: some direction ``b`` has
``x_i'b >= 0`` for every ``y_i = 1`` and ``x_i'b <= 0`` for every ``y_i = 0``
(Albert & Anderson 1984). A large linear predictor is *not* a sign of that: a
comparison person who looks nothing like the participants rightly gets a log
odds of -40, and replacing such a converged fit by a penalised one moves every
estimate that uses the score.

The diagnosis (:func:`fit_logit`):

1. Newton–Raphson (statsmodels) from the intercept-only solution. Non-finite
   coefficients or no convergence in ``maxiter`` (25) steps -> separation is checked.
2. A converged fit whose fitted probabilities reach 0 or 1 within ``1e-10`` for
   some rows, or whose standardised coefficients or standard errors explode
   (``> 1e3``), is the signature separation leaves on a fitted model. Only then
   the exact check runs.
3. The exact check is Konis' (2007) linear program: maximise ``sum_i s_i x_i'b``
   subject to ``s_i x_i'b >= 0`` (``s_i = 2 y_i - 1``) and ``-1 <= b_j <= 1``.
   Its optimum is positive exactly when the data are (quasi-)separated; the rows
   with ``s_i x_i'b > 0`` at the optimum are the separated ones.

Only when the linear program finds separation (or the fit failed outright) is a
penalised fit used instead; its reason is kept so that the report can say which.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

P_EDGE = 1e-10  # fitted probabilities this close to 0 or 1 are "at the boundary"
EXPLODE = 1e3  # standardised coefficients or standard errors beyond this are "exploding"
# Newton-Raphson on a logit converges in a handful of steps when the estimate exists; 25 steps without
# convergence send the fit to the exact separation check, and an estimate that exists after all gets
# RETRY_MAXITER more steps from where it stopped (a separated design used to cost 100 futile steps)
RETRY_MAXITER = 500


@dataclass
class LogitFit:
    """A fitted logit and its diagnosis.

    Attributes
    ----------
    params : ndarray
        Coefficients on the columns of the design it was fitted on.
    converged : bool
        Newton–Raphson met its tolerance.
    separated : bool
        The data are completely or quasi-completely separated (linear program), or the fit failed:
        ``params`` are then those of a slightly penalised fit.
    reason : str or None
        ``separation`` (complete or quasi-complete), ``no_convergence`` or ``failed`` when
        ``separated``; None for a maximum-likelihood fit.
    n_separated : int
        Rows predicted perfectly by the separating direction (0 without separation).
    checked : bool
        Whether the exact linear-program check ran (it runs only on the signature of separation).
    max_abs_eta : float
        Largest absolute linear predictor (for the record: large is not a problem by itself).
    """

    params: np.ndarray
    converged: bool
    separated: bool = False
    reason: str | None = None
    n_separated: int = 0
    checked: bool = False
    max_abs_eta: float = 0.0
    separated_rows: np.ndarray | None = None  # the rows the separating direction predicts perfectly


def logit_start(y: np.ndarray, n_params: int) -> np.ndarray:
    """Newton start for a logit with an intercept first: the intercept-only solution.

    statsmodels starts at zero (every probability 0.5); with 2 % participants that
    costs several extra Newton steps, each a pass over a million rows.
    """
    mean = float(np.clip(np.mean(y), 1e-6, 1 - 1e-6)) if len(y) else 0.5
    start = np.zeros(n_params)
    start[0] = np.log(mean / (1 - mean))
    return start


def separation_lp(design: np.ndarray, y: np.ndarray, tol: float = 1e-7, rows: bool = False):
    """Konis' linear program: are the rows of ``design`` (with intercept) separated by ``y``?

    Returns ``(separated, n_separated_rows)``, and the mask of those rows as a third item with ``rows``. The columns are scaled to unit standard
    deviation first so that the box ``|b_j| <= 1`` and the tolerance mean the same for every column.
    """
    from scipy.optimize import linprog

    s = np.where(np.asarray(y) > 0.5, 1.0, -1.0)
    A = design / _column_scale(design) * s[:, None]  # separation does not depend on the columns' units
    n, p = A.shape
    res = linprog(
        c=-A.sum(axis=0),
        A_ub=-A,
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * p,
        method="highs",
    )
    if res.status != 0 or res.x is None:
        return (False, 0, np.zeros(n, bool)) if rows else (False, 0)
    margin = A @ res.x
    scale = max(1.0, float(np.abs(A).sum(axis=1).max()))
    separated = bool(-res.fun > tol * n * scale)
    mask = (margin > tol * scale) & separated
    return (separated, int(mask.sum()), mask) if rows else (separated, int(mask.sum()))


def _column_scale(design: np.ndarray) -> np.ndarray:
    """Standard deviation of each column, 1 for constant columns (the intercept)."""
    sd = design.std(axis=0)
    return np.where(sd > 0, sd, 1.0)


def _signature(design: np.ndarray, params: np.ndarray, bse: np.ndarray | None) -> bool:
    """Does the fitted model carry the marks separation leaves (boundary probabilities, exploding terms)?"""
    eta = design @ params
    p = 1.0 / (1.0 + np.exp(-np.clip(eta, -700, 700)))
    at_edge = bool(((p < P_EDGE) | (p > 1 - P_EDGE)).any())
    scale = _column_scale(design)  # coefficients per standard deviation of their column
    exploding = bool(np.abs(params * scale).max(initial=0.0) > EXPLODE)
    if bse is not None:
        exploding |= bool(~np.isfinite(bse).all() or np.abs(bse * scale).max(initial=0.0) > EXPLODE)
    return at_edge or exploding


def _penalised(y: np.ndarray, design: np.ndarray) -> np.ndarray:
    """A tiny L1 penalty keeps the coefficients finite when the maximum-likelihood estimate does not exist."""
    fit = sm.Logit(y, design).fit_regularized(method="l1", alpha=1e-4 * len(y), disp=0, trim_mode="off")
    return np.asarray(fit.params)


def fit_logit(y: np.ndarray, design: np.ndarray, maxiter: int = 25, penalise: bool = True) -> LogitFit:
    """Logit of 0/1 ``y`` on ``design`` (first column the intercept), with separation diagnosed on the fit.

    With ``penalise=False`` a separated fit keeps the last Newton step's coefficients instead of
    the penalised fit's (for a caller that only needs the separated rows, see ``separated_rows``).

    Example
    -------
    >>> import numpy as np
    >>> x = np.linspace(-3, 3, 200)
    >>> y = (x + np.random.default_rng(0).normal(size=200) > 1).astype(float)
    >>> fit = fit_logit(y, np.column_stack([np.ones(200), x]))
    >>> fit.converged, fit.separated
    (True, False)
    """
    y = np.asarray(y, dtype=float)
    params, bse, converged, failed = None, None, False, False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(y, design).fit(
                disp=0, method="newton", maxiter=maxiter, start_params=logit_start(y, design.shape[1])
            )
            params = np.asarray(fit.params)
            converged = bool(fit.mle_retvals.get("converged", True)) and bool(np.all(np.isfinite(params)))
            if converged:
                try:
                    bse = np.asarray(fit.bse)
                except Exception:  # noqa: BLE001 - a singular Hessian: the exact check decides
                    bse = np.full(len(params), np.inf)
        except Exception:  # noqa: BLE001 - singular Hessian or perfect prediction raised inside statsmodels
            failed = True
    suspect = failed or not converged or params is None or _signature(design, params, bse)
    separated, n_sep, checked, mask = False, 0, False, None
    if suspect:
        checked = True
        separated, n_sep, mask = separation_lp(design, y, rows=True)
    if (
        not separated and not failed and not converged and params is not None
    ):  # the estimate exists: Newton needs more steps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, design).fit(disp=0, method="newton", maxiter=RETRY_MAXITER, start_params=params)
        params = np.asarray(fit.params)
        converged = bool(fit.mle_retvals.get("converged", True)) and bool(np.all(np.isfinite(params)))
    if separated or failed or not converged or params is None:
        reason = "failed" if failed and not separated else None
        if separated:
            reason = "separation"
        elif not converged and not failed:
            reason = "no_convergence"
        if penalise or params is None or not np.all(np.isfinite(params)):
            params = _penalised(y, design)
        return LogitFit(params, False, True, reason, n_sep, checked, float(np.abs(design @ params).max()), mask)
    return LogitFit(params, True, False, None, 0, checked, float(np.abs(design @ params).max()))
