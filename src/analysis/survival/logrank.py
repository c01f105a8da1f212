"""Log-rank test for k groups, with a trend test for ordered groups.

Same statistic as ``lifelines.statistics.multivariate_logrank_test``
(``(O - E)' V^- (O - E)`` on k - 1 groups, chi-squared with k - 1 df) and, for
ordered groups with scores ``w``, the trend statistic ``(w'(O - E))^2 / w'Vw``
(chi-squared, 1 df). Counts come from one shared event table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from analysis.survival._counts import event_table, group_codes


@dataclass
class LogRankResult:
    """Result of :func:`logrank_test`."""

    groups: list
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    statistic: float
    df: int
    p_value: float
    trend_statistic: float | None = None
    trend_p_value: float | None = None
    scores: np.ndarray | None = None

    def summary(self) -> pd.DataFrame:
        """Observed and expected events per group; the test in ``attrs``."""
        out = pd.DataFrame(
            {"observed": self.observed, "expected": self.expected, "O/E": self.observed / self.expected},
            index=pd.Index(self.groups, name="group"),
        )
        out.attrs.update(
            statistic=self.statistic,
            df=self.df,
            p_value=self.p_value,
            trend_statistic=self.trend_statistic,
            trend_p_value=self.trend_p_value,
        )
        return out

    def plot(self, ax=None):
        """Observed vs expected events per group."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        x = np.arange(len(self.groups))
        ax.bar(x - 0.2, self.observed, 0.4, label="observed")
        ax.bar(x + 0.2, self.expected, 0.4, label="expected")
        ax.set_xticks(x, [str(g) for g in self.groups])
        ax.legend()
        return ax


def logrank_test(
    durations,
    events,
    groups,
    entry=None,
    order: Sequence | None = None,
    scores: Sequence[float] | None = None,
    trend: bool = False,
) -> LogRankResult:
    """k-group log-rank test.

    Parameters
    ----------
    durations, events, groups : array-like
        ``groups`` are labels; missing labels are left out.
    entry : array-like, optional
        Late entry times (risk sets as in :func:`analysis.survival.kaplan_meier`).
    order : sequence, optional
        Group order (default: sorted labels).
    scores : sequence of float, optional
        Scores of the ordered groups for the trend test (default 0, 1, ..., k-1 when ``trend``).
    """
    codes, levels = group_codes(groups, order)
    keep = codes >= 0
    e_all = np.ones(codes.size, dtype=int) if events is None else np.asarray(events)
    tab = event_table(
        np.asarray(durations, float)[keep],
        e_all[keep],
        groups=codes[keep],
        entry=None if entry is None else np.asarray(entry, float)[keep],
        n_groups=len(levels),
        add_zero=False,
    )
    d = tab.events.sum(axis=0)
    n = tab.risk_set.sum(axis=0)
    use = (d > 0) & (n > 0)
    nj, dj, d, n = tab.risk_set[:, use], tab.events[:, use], d[use], n[use]
    observed = dj.sum(axis=1)
    expected = (nj * (d / n)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, d * (n - d) / (n * n * (n - 1)), 0.0)
    # V_gh = sum_t factor * (n * delta_gh * n_g - n_g * n_h)
    v = np.diag((factor * n * nj).sum(axis=1)) - (nj * factor) @ nj.T
    z = observed - expected
    k = len(levels)
    stat = float(z[:-1] @ np.linalg.pinv(v[:-1, :-1]) @ z[:-1]) if k > 1 else np.nan
    dfree = k - 1
    res = LogRankResult(levels, observed, expected, v, stat, dfree, float(chi2.sf(stat, dfree)) if k > 1 else np.nan)
    if (trend or scores is not None) and k > 1:
        w = np.arange(k, dtype=float) if scores is None else np.asarray(scores, float)
        tstat = float((w @ z) ** 2 / (w @ v @ w))
        res.trend_statistic, res.trend_p_value, res.scores = tstat, float(chi2.sf(tstat, 1)), w
    return res
