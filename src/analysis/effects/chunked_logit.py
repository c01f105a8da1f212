"""The propensity logit (and a binary outcome's logit) by Newton-Raphson over chunks of persons.

Each Newton step is one pass: the log likelihood, ``Z'(target - e)`` and ``Z'WZ`` are accumulated
chunk by chunk at the current coefficients, on the standardised design of the moments pass. The
first step comes from the moments (the intercept-only solution), so no pass is spent on it. The
result is the maximum-likelihood fit, the same as statsmodels' ``Logit`` on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.effects.chunks import Moments, Passes, gram

__all__ = ["LogitState", "fit_logit_chunked", "logit_pass", "logit_start"]


@dataclass
class LogitState:
    """The propensity logit at one set of coefficients (standardised design)."""

    beta: np.ndarray
    loglik: float
    grad: np.ndarray
    hess: np.ndarray
    support: tuple[float, float]  # the comparison group's score range at beta


def logit_start(m: Moments, outcome: bool = False) -> LogitState:
    """The intercept-only solution and its derivatives, from the moments (no pass).

    The propensity logit is ``d`` on everyone; the outcome logit (``outcome``) is a binary ``y`` on
    the comparison group.
    """
    q = m.gram1.shape[0] - 1  # columns of [1, Z]
    if outcome:
        G, n = m.gram0, m.n - m.n1
        ones = G[:q, 0]  # sum of [1, Z] over the comparison group
        mean = G[0, q] / n + m.y_shift
        if not 0 < mean < 1:
            raise ValueError("a binary outcome needs both values in the comparison group")
        sum_target = G[:q, q] + m.y_shift * ones
    else:
        G, n = m.gram1 + m.gram0, m.n
        ones, mean, sum_target = G[:q, 0], m.n1 / m.n, m.gram1[:q, 0]
    beta = np.zeros(q)
    beta[0] = np.log(mean / (1 - mean))
    loglik = n * (mean * np.log(mean) + (1 - mean) * np.log(1 - mean))
    grad, hess = sum_target - mean * ones, mean * (1 - mean) * G[:q, :q]
    return LogitState(beta, float(loglik), grad, hess, (beta[0], beta[0]))


def logit_pass(passes: Passes, m: Moments, beta: np.ndarray, outcome: bool = False) -> LogitState:
    q = len(beta)
    loglik, grad, hess = 0.0, np.zeros(q), np.zeros((q, q))
    lo, hi = np.inf, -np.inf
    for d, y, X in passes:
        if outcome and not np.all((y == 0) | (y == 1) | (d == 1)):
            raise ValueError("kind='binary' needs an outcome of 0 and 1")
        ll, g, h, (c_lo, c_hi) = _logit_chunk(m, beta, y if outcome else d, X, d, outcome)
        loglik, grad, hess = loglik + ll, grad + g, hess + h
        lo, hi = min(lo, c_lo), max(hi, c_hi)
    return LogitState(beta, loglik, grad, hess, (lo, hi))


def _logit_chunk(m: Moments, beta: np.ndarray, target: np.ndarray, X: np.ndarray, d: np.ndarray, controls: bool):
    """One chunk's log likelihood, score, information (over the comparison group only with
    ``controls``) and the comparison group's range of the linear predictor; its design is freed on return."""
    Z = m.design(X)
    eta = Z @ beta
    e = 1 / (1 + np.exp(-eta))
    c = eta[d != 1]
    support = (float(c.min()), float(c.max())) if len(c) else (np.inf, -np.inf)
    w = (d != 1).astype(float) if controls else np.ones(len(d))
    target = np.where(w > 0, target, 0.0)  # a participant's outcome does not enter the outcome logit
    loglik = float(np.sum(w * (target * eta - np.logaddexp(0, eta))))
    return loglik, Z.T @ (w * (target - e)), gram(Z, np.sqrt(w * e * (1 - e))), support


def fit_logit_chunked(
    passes: Passes, m: Moments, outcome: bool = False, tol: float = 1e-10, maxiter: int = 50
) -> tuple[LogitState, int]:
    """Newton-Raphson with step halving; returns the state at the optimum and the Newton steps taken.

    It stops when the next Newton step is below ``tol`` in every standardised coefficient: the
    returned coefficients are then within about that of the maximum, and the score range and the
    derivatives belong to them (no further pass).
    """
    state = logit_start(m, outcome)
    for it in range(maxiter):
        try:
            step = np.linalg.solve(state.hess, state.grad)
        except np.linalg.LinAlgError:  # a singular information matrix: separation or collinear columns
            break
        if not np.all(np.isfinite(step)):
            break
        if np.max(np.abs(step)) < tol:
            return state, it
        size = 1.0
        new = logit_pass(passes, m, state.beta + step, outcome)
        while not new.loglik >= state.loglik - 1e-12 * abs(state.loglik) and size > 1e-6:
            size /= 2  # the log likelihood is concave: a shorter step gains
            new = logit_pass(passes, m, state.beta + size * step, outcome)
        state = new
    which = "outcome" if outcome else "propensity"
    raise ValueError(
        f"the chunked {which} logit did not converge (separation?): fit this sample with "
        "analysis.effects.estimators, whose logit diagnoses separation exactly"
    )
