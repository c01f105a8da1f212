"""The propensity score: a logit of taking part on the covariates, and common support."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.effects.logit import fit_logit, logit_start

__all__ = ["PropensityResult", "fit_propensity", "logit_start"]


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
        True when the maximum-likelihood estimate does not exist (complete or quasi-complete
        separation, found by the linear program of :mod:`analysis.effects.logit`) or the fit
        failed; the scores then come from a slightly penalised fit.
    separation : str or None
        Why (``separation``, ``no_convergence``, ``failed``).
    n_separated : int
        Rows the separating direction predicts perfectly.
    """

    ps: np.ndarray
    score: np.ndarray
    design: np.ndarray
    d: np.ndarray
    columns: list
    converged: bool = True
    separated: bool = False
    separation: str | None = None
    n_separated: int = 0
    separated_rows: np.ndarray | None = None
    provisional: bool = False  # separated and fitted without the penalty: its scores are not for estimation

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


def _standardise(X: np.ndarray) -> np.ndarray:
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - mu) / sd


def fit_propensity(X: pd.DataFrame | np.ndarray, d: np.ndarray, penalise: bool = True) -> PropensityResult:
    """Logit of ``d`` on ``X`` (an intercept is added) by Newton–Raphson (statsmodels).

    The columns are standardised first (the fitted probabilities do not change)
    for numerical stability. Separation is diagnosed on the fitted model
    (:func:`analysis.effects.logit.fit_logit`: non-convergence, fitted
    probabilities at 0 or 1, exploding coefficients, then Konis' exact linear
    program); a converged fit with a large linear predictor keeps its
    maximum-likelihood estimate. Only under real separation a tiny penalty keeps
    the scores finite, and ``separated`` is set so that the report can say so.
    With ``penalise=False`` a separated fit skips that penalised fit (the slow part) and
    comes back ``provisional``: good for finding the separated rows, not for estimation.

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=500)})
    >>> d = (rng.random(500) < 1 / (1 + np.exp(-X["x"]))).astype(int)
    >>> fit_propensity(X, d).separated
    False
    """
    cols = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
    Z = _standardise(np.asarray(X, dtype=float))
    design = np.column_stack([np.ones(len(Z)), Z])
    d = np.asarray(d).astype(float)
    fit = fit_logit(d, design, penalise=penalise)
    score = design @ fit.params
    ps = 1.0 / (1.0 + np.exp(-score))
    return PropensityResult(
        ps=ps,
        score=score,
        design=design,
        d=d.astype(np.int8),
        columns=cols,
        converged=fit.converged,
        separated=fit.separated,
        separation=fit.reason,
        n_separated=fit.n_separated,
        separated_rows=fit.separated_rows,
        provisional=fit.separated and not penalise,
    )
