"""Covariate balance: standardised mean differences and variance ratios before and after adjustment.

The standardised mean difference (SMD) of a covariate is the difference in
(weighted) means divided by the pooled standard deviation *before* adjustment,
``sqrt((s1^2 + s0^2) / 2)``, so that before and after are on the same scale
(Austin 2009). Rules of thumb used in the report: ``|SMD| < 0.1`` and a
variance ratio (participants / comparison) between 0.5 and 2 are balanced
(Rubin 2001; Stuart 2010).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SMD_LIMIT = 0.1
VR_LIMITS = (0.5, 2.0)
KS_LIMIT = 0.1  # cobalt's default threshold for the Kolmogorov-Smirnov statistic


def _wks(x: np.ndarray, w1: np.ndarray, x0: np.ndarray, w0: np.ndarray) -> float:
    """Weighted Kolmogorov–Smirnov statistic: the largest gap between the two weighted CDFs."""
    if w1.sum() <= 0 or w0.sum() <= 0:
        return np.nan
    grid = np.unique(np.concatenate([x, x0]))
    o1, o0 = np.argsort(x, kind="stable"), np.argsort(x0, kind="stable")
    c1 = np.cumsum(w1[o1]) / w1.sum()
    c0 = np.cumsum(w0[o0]) / w0.sum()
    f1 = np.concatenate([[0.0], c1])[np.searchsorted(x[o1], grid, side="right")]
    f0 = np.concatenate([[0.0], c0])[np.searchsorted(x0[o0], grid, side="right")]
    return float(np.abs(f1 - f0).max())


def _wmean_var(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sw = w.sum()
    mu = (w[:, None] * X).sum(axis=0) / sw
    var = (w[:, None] * (X - mu) ** 2).sum(axis=0) / sw
    return mu, var


@dataclass
class BalanceResult:
    """Balance of each covariate before and after each adjustment.

    ``table`` has one row per covariate and columns ``smd_<stage>`` and
    ``vr_<stage>`` for the stages (``before``, then each weighting such as
    ``matching``, ``ipw``).
    """

    table: pd.DataFrame
    stages: list[str] = field(default_factory=list)
    ess: dict[str, float] = field(default_factory=dict)
    ess_treated: dict[str, float] = field(default_factory=dict)

    def max_ks(self, stage: str) -> float:
        col = f"ks_{stage}"
        return float(self.table[col].max()) if col in self.table and len(self.table) else 0.0

    def max_abs_smd(self, stage: str) -> float:
        return float(self.table[f"smd_{stage}"].abs().max()) if len(self.table) else 0.0

    def n_imbalanced(self, stage: str) -> int:
        return int((self.table[f"smd_{stage}"].abs() > SMD_LIMIT).sum())

    def balanced(self, stage: str) -> bool:
        """All |SMD| below the limit and all variance ratios inside the limits (continuous covariates)."""
        vr = self.table[f"vr_{stage}"].dropna()
        return self.n_imbalanced(stage) == 0 and bool(((vr >= VR_LIMITS[0]) & (vr <= VR_LIMITS[1])).all())

    def failures(self, stage: str) -> list[str]:
        """Which balance checks fail after ``stage``: ``smd``, ``variance_ratio``, ``ks`` (cobalt's thresholds)."""
        out = []
        if self.n_imbalanced(stage):
            out.append("smd")
        vr = self.table[f"vr_{stage}"].dropna()
        if not ((vr >= VR_LIMITS[0]) & (vr <= VR_LIMITS[1])).all():
            out.append("variance_ratio")
        if self.max_ks(stage) > KS_LIMIT:
            out.append("ks")
        return out

    def summary(self) -> pd.DataFrame:
        return self.table

    def to_results(self) -> dict:
        return {
            s: {
                "max_abs_smd": self.max_abs_smd(s),
                "n_imbalanced": self.n_imbalanced(s),
                "balanced": self.balanced(s),
                "max_vr": float(self.table[f"vr_{s}"].max()) if self.table[f"vr_{s}"].notna().any() else None,
                "max_ks": self.max_ks(s),
                **({"ess_control": self.ess[s]} if s in self.ess else {}),
                **({"ess_treated": self.ess_treated[s]} if s in self.ess_treated else {}),
            }
            for s in self.stages
        }

    def plot(
        self,
        ax=None,
        labels: dict[str, str] | None = None,
        stage_labels: dict[str, str] | None = None,
        xlabel: str = "|Standardised mean difference|",
    ):
        """Love plot: |SMD| per covariate, one marker per stage, with the 0.1 limit."""
        import matplotlib.pyplot as plt

        tab = self.table
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.32 * len(tab) + 1.4))
        ys = np.arange(len(tab))[::-1]
        markers = ["o", "s", "^", "D", "v"]
        colours = ["#c8553d", "#1f5f8b", "#3a8d5c", "#7b4fa0", "#b08a2e"]
        for i, s in enumerate(self.stages):
            ax.plot(
                tab[f"smd_{s}"].abs().to_numpy(),
                ys,
                markers[i % 5],
                color=colours[i % 5],
                label=(stage_labels or {}).get(s, s),
                alpha=0.85,
                ms=5,
            )
        ax.axvline(SMD_LIMIT, color="grey", ls="--", lw=1)
        ax.set_yticks(ys)
        ax.set_yticklabels([(labels or {}).get(c, c) for c in tab.index])
        ax.set_xlabel(xlabel)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the points, not over them
        return ax


def balance_table(X: pd.DataFrame, d: np.ndarray, weights: dict[str, np.ndarray] | None = None) -> BalanceResult:
    """SMDs and variance ratios of the columns of ``X`` before and after each set of weights.

    Parameters
    ----------
    X
        Covariates (one row per person in the sample).
    d
        Treatment indicator.
    weights
        Stage name -> weights aligned with the rows of ``X`` (zero = not used),
        e.g. the ``weights`` of a matching or IPW :class:`EffectResult`.
    """
    Xa = X.to_numpy(dtype=float)
    t = np.asarray(d) == 1
    mu1, v1 = Xa[t].mean(axis=0), Xa[t].var(axis=0, ddof=1)
    mu0, v0 = Xa[~t].mean(axis=0), Xa[~t].var(axis=0, ddof=1)
    pooled = np.sqrt((v1 + v0) / 2)
    pooled[pooled == 0] = np.nan
    binary = np.array([set(np.unique(Xa[:, j])) <= {0.0, 1.0} for j in range(Xa.shape[1])]) if Xa.size else np.array([])
    ones1, ones0 = np.ones(int(t.sum())), np.ones(int((~t).sum()))
    data = {
        "mean_treated": mu1,
        "mean_control": mu0,
        "smd_before": (mu1 - mu0) / pooled,
        "vr_before": np.where(binary, np.nan, v1 / np.where(v0 > 0, v0, np.nan)),
        "ks_before": [_wks(Xa[t, j], ones1, Xa[~t, j], ones0) for j in range(Xa.shape[1])],
    }
    stages = ["before"]
    ess: dict[str, float] = {"before": float(len(ones0))}
    ess_t: dict[str, float] = {"before": float(len(ones1))}
    for name, w in (weights or {}).items():
        w = np.asarray(w, dtype=float)
        m1, s1 = _wmean_var(Xa[t], w[t])
        m0, s0 = _wmean_var(Xa[~t], w[~t])
        data[f"smd_{name}"] = (m1 - m0) / pooled
        data[f"vr_{name}"] = np.where(binary, np.nan, s1 / np.where(s0 > 0, s0, np.nan))
        data[f"ks_{name}"] = [_wks(Xa[t, j], w[t], Xa[~t, j], w[~t]) for j in range(Xa.shape[1])]
        stages.append(name)
        ess[name] = _ess(w[~t])
        ess_t[name] = _ess(w[t])
    return BalanceResult(pd.DataFrame(data, index=X.columns), stages, ess, ess_t)


def _ess(w: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    return float(w.sum() ** 2 / np.sum(w**2)) if w.sum() > 0 else 0.0
