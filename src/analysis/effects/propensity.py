"""The propensity score: a logit of taking part on the covariates, and common support."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm


@dataclass
class PropensityResult:
    """A fitted propensity score.

    Attributes
    ----------
    ps : ndarray
        Estimated probability of taking part, per row.
    score : ndarray
        The linear predictor (log odds); matching uses it.
    design : ndarray
        The standardised design matrix with intercept the logit was fitted on
        (the weighting estimators need it for their standard errors).
    d : ndarray
        Treatment indicator.
    converged : bool
    separated : bool
        True when the fit needed a small ridge penalty (complete or quasi separation).
    """

    ps: np.ndarray
    score: np.ndarray
    design: np.ndarray
    d: np.ndarray
    columns: list
    converged: bool = True
    separated: bool = False

    @property
    def support(self) -> tuple[float, float]:
        """Range of the comparison group's scores (common support for the ATT)."""
        s = self.score[self.d == 0]
        return float(s.min()), float(s.max())

    @property
    def outside_support(self) -> np.ndarray:
        """Treated rows whose score lies outside the comparison group's range."""
        lo, hi = self.support
        return (self.d == 1) & ((self.score < lo) | (self.score > hi))

    @property
    def n_outside_support(self) -> int:
        return int(self.outside_support.sum())

    def summary(self) -> pd.DataFrame:
        rows = []
        for g, name in ((1, "treated"), (0, "control")):
            p = self.ps[self.d == g]
            rows.append(
                {
                    "group": name,
                    "n": len(p),
                    "mean": p.mean(),
                    "min": p.min(),
                    "p05": np.quantile(p, 0.05),
                    "median": np.median(p),
                    "p95": np.quantile(p, 0.95),
                    "max": p.max(),
                }
            )
        return pd.DataFrame(rows).set_index("group")

    def plot(self, ax=None, labels=("Participants", "Comparison"), xlabel="Propensity score", min_cell: int = 5):
        """Overlap plot: mirrored histograms of the score by group (bins with fewer than ``min_cell`` hidden)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.6))
        bins = np.linspace(0, 1, 26)
        for g, sign, lab, colour in ((1, 1, labels[0], "#1f5f8b"), (0, -1, labels[1], "#c8553d")):
            counts, edges = np.histogram(self.ps[self.d == g], bins=bins)
            share = counts / max(counts.sum(), 1)
            share = np.where((counts > 0) & (counts < min_cell), 0.0, share)  # disclosure: small bins not drawn
            ax.bar(edges[:-1], sign * share, width=np.diff(edges), align="edge", color=colour, alpha=0.8, label=lab)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel(xlabel)
        ax.set_xlim(0, 1)  # the y axis holds shares, mirrored: the report formats its ticks in its language
        ax.legend(frameon=False)
        return ax


def logit_start(y: np.ndarray, n_params: int) -> np.ndarray:
    """Newton start for a logit with an intercept first: the intercept-only solution.

    statsmodels starts at zero (every probability 0.5); with 2 % participants that
    costs several extra Newton steps, each a pass over a million rows.
    """
    mean = float(np.clip(np.mean(y), 1e-6, 1 - 1e-6)) if len(y) else 0.5
    start = np.zeros(n_params)
    start[0] = np.log(mean / (1 - mean))
    return start


def _standardise(X: np.ndarray) -> np.ndarray:
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - mu) / sd


def fit_propensity(X: pd.DataFrame | np.ndarray, d: np.ndarray) -> PropensityResult:
    """Logit of ``d`` on ``X`` (an intercept is added) by Newton–Raphson (statsmodels).

    The columns are standardised first (the fitted probabilities do not change)
    for numerical stability. Under complete separation the maximum-likelihood
    estimate does not exist; a tiny ridge penalty then keeps the scores finite
    and ``separated`` is set so that the report can say so.
    """
    cols = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
    Z = _standardise(np.asarray(X, dtype=float))
    design = np.column_stack([np.ones(len(Z)), Z])
    d = np.asarray(d).astype(float)
    separated = False
    converged = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(d, design).fit(
                disp=0, method="newton", maxiter=100, start_params=logit_start(d, design.shape[1])
            )
            params = np.asarray(fit.params)
            converged = bool(fit.mle_retvals.get("converged", True))
            if not converged or not np.all(np.isfinite(params)) or np.abs(design @ params).max() > 30:
                raise np.linalg.LinAlgError("separation")
        except Exception:  # noqa: BLE001 - perfect separation or singular Hessian
            separated = True
            fit = sm.Logit(d, design).fit_regularized(method="l1", alpha=1e-4 * len(d), disp=0, trim_mode="off")
            params = np.asarray(fit.params)
            converged = True
    score = design @ params
    ps = 1.0 / (1.0 + np.exp(-score))
    return PropensityResult(
        ps=ps, score=score, design=design, d=d.astype(np.int8), columns=cols, converged=converged, separated=separated
    )
