"""Result objects of the effect estimators: the numbers, a summary() table and a plot()."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

Z975 = float(stats.norm.ppf(0.975))


@dataclass
class EffectResult:
    """One estimate of the average effect on the treated (ATT).

    Attributes
    ----------
    estimator : str
        ``unadjusted``, ``regression``, ``matching``, ``ipw`` or ``aipw``.
    outcome : str
    estimate, se : float
        Point estimate and standard error (``se_method`` says how it was computed).
    n_treated, n_control : int
        Persons used (for matching: treated matched and distinct controls used).
    details : dict
        Estimator-specific extras (e.g. number of treated without a match, effective sample size).
    """

    estimator: str
    outcome: str
    estimate: float
    se: float
    n_treated: int
    n_control: int
    se_method: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    weights: np.ndarray | None = field(default=None, repr=False)  # control weights (balance diagnostics)
    df: float | None = None  # degrees of freedom of a pooled (multiple-imputation) estimate; None: normal
    influence: np.ndarray | None = field(default=None, repr=False)  # per row, se = sqrt(sum(cluster sums^2)) / n

    @property
    def ci(self) -> tuple[float, float]:
        """95 % confidence interval (normal approximation; t with ``df`` after multiple imputation)."""
        q = Z975 if self.df is None else float(stats.t.ppf(0.975, self.df))
        return self.estimate - q * self.se, self.estimate + q * self.se

    @property
    def z(self) -> float:
        return self.estimate / self.se if self.se > 0 else np.nan

    @property
    def p_value(self) -> float:
        if not np.isfinite(self.z):
            return np.nan
        return float(2 * (stats.norm.sf(abs(self.z)) if self.df is None else stats.t.sf(abs(self.z), self.df)))

    def covers(self, value: float) -> bool:
        lo, hi = self.ci
        return bool(lo <= value <= hi)

    def summary(self) -> pd.DataFrame:
        lo, hi = self.ci
        return pd.DataFrame(
            [
                {
                    "estimator": self.estimator,
                    "outcome": self.outcome,
                    "estimate": self.estimate,
                    "se": self.se,
                    "lower": lo,
                    "upper": hi,
                    "p": self.p_value,
                    "n_treated": self.n_treated,
                    "n_control": self.n_control,
                    "se_method": self.se_method,
                }
            ]
        ).set_index(["outcome", "estimator"])

    def to_results(self) -> dict[str, Any]:
        lo, hi = self.ci
        out = {
            "estimator": self.estimator,
            "outcome": self.outcome,
            "estimate": self.estimate,
            "se": self.se,
            "lower": lo,
            "upper": hi,
            "p": self.p_value,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "se_method": self.se_method,
        }
        out.update({k: v for k, v in self.details.items() if np.isscalar(v) or v is None})
        return out

    def plot(self, ax=None, **kw):
        return EffectTable([self]).plot(ax=ax, **kw)


@dataclass
class EffectTable:
    """Several :class:`EffectResult` (estimators x outcomes) shown together."""

    results: list[EffectResult]

    def summary(self) -> pd.DataFrame:
        if not self.results:
            return pd.DataFrame()
        return pd.concat([r.summary() for r in self.results])

    def for_outcome(self, outcome: str) -> EffectTable:
        return EffectTable([r for r in self.results if r.outcome == outcome])

    def plot(
        self,
        ax=None,
        labels: dict[str, str] | None = None,
        xlabel: str = "Effect",
        truth: float | None = None,
        scale: float = 1.0,
        truth_label: str = "Planted effect",
    ):
        """Forest plot: each estimate with its 95 % interval (``scale`` e.g. 100 for percentage points)."""
        import matplotlib.pyplot as plt

        res = self.results
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * len(res) + 1.2))
        ys = np.arange(len(res))[::-1]
        for y, r in zip(ys, res):
            lo, hi = r.ci
            colour = "#888888" if r.estimator == "unadjusted" else "#1f5f8b"
            ax.plot([lo * scale, hi * scale], [y, y], color=colour, lw=2)
            ax.plot(r.estimate * scale, y, "o", color=colour)
        ax.axvline(0, color="black", lw=0.8)
        if truth is not None:
            ax.axvline(truth * scale, color="#c8553d", ls="--", lw=1, label=truth_label)
            ax.legend(frameon=False, loc="best")
        names = [(labels or {}).get(r.estimator, r.estimator) for r in res]
        ax.set_yticks(ys)
        ax.set_yticklabels(names)
        ax.set_xlabel(xlabel)
        return ax


def att_from_influence(estimate: float, influence: np.ndarray) -> float:
    """Standard error ``sqrt(sum(phi^2)) / n`` from per-person influence values ``phi`` (mean zero)."""
    n = len(influence)
    return float(np.sqrt(np.sum(influence**2)) / n)


def influence_se(phi: np.ndarray, cluster: np.ndarray | None = None) -> float:
    """``sqrt(sum_g (sum_{i in g} phi_i)^2) / n``: the influence-function standard error, summed within
    clusters (persons in several rows of a panel-built sample) when ``cluster`` is given."""
    n = len(phi)
    if cluster is None:
        return float(np.sqrt(np.sum(phi**2)) / n)
    g = np.unique(np.asarray(cluster), return_inverse=True)[1]
    return float(np.sqrt(np.sum(np.bincount(g, weights=phi) ** 2)) / n)


def names(results: Sequence[EffectResult]) -> list[str]:
    return [r.estimator for r in results]
