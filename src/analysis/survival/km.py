"""Kaplan–Meier estimator with Greenwood variance and log-log (exponential Greenwood) bands.

Matches ``lifelines.KaplanMeierFitter`` (same timeline, estimate, bands and
numbers at risk, including late entry); the work is one ``np.unique`` and a few
``bincount``/``cumsum`` calls, for any number of groups at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.survival._counts import event_table, group_codes


def _loglog_bounds(s: np.ndarray, var_log: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of S on the log(-log) scale from the Greenwood sum ``sum d / (n (n - d))``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(s)
        lower = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var_log) / v))
        upper = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var_log) / v))
    # S = 1 (nothing happened yet) or S = 0: lifelines fills 1.0; at S = 0 both bounds are 0 by continuity
    lower = np.where(np.isnan(lower), 1.0, lower)
    upper = np.where(np.isnan(upper), 1.0, upper)
    zero = s <= 0
    return np.where(zero, 0.0, lower), np.where(zero, 0.0, upper)


@dataclass
class KaplanMeierResult:
    """One Kaplan–Meier curve.

    Attributes
    ----------
    timeline : ndarray
        Distinct times (0 first).
    survival, lower, upper : ndarray
        Estimate and pointwise ``1 - alpha`` band (log-log).
    greenwood : ndarray
        Greenwood sum ``sum d / (n (n - d))`` (variance of log S).
    at_risk, events, censored : ndarray
        Counts at each time.
    """

    timeline: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    greenwood: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    alpha: float = 0.05
    label: str = "KM"

    @property
    def n(self) -> int:
        return int(self.events.sum() + self.censored.sum())

    @property
    def n_events(self) -> int:
        return int(self.events.sum())

    def _index_at(self, times) -> np.ndarray:
        return np.searchsorted(self.timeline, np.asarray(times, dtype=float), side="right") - 1

    def survival_at(self, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """Estimate, band and number at risk at given times (NaN beyond the last observed time)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        i = self._index_at(times)
        beyond = times > self.timeline[-1]
        ok = (i >= 0) & ~beyond
        ii = np.clip(i, 0, None)

        def pick(a, fill=np.nan):
            return np.where(ok, a[ii], fill)

        return pd.DataFrame(
            {
                "time": times,
                "survival": pick(self.survival),
                "lower": pick(self.lower),
                "upper": pick(self.upper),
                "at_risk": self.at_risk_at(times),
            }
        )

    def at_risk_at(self, times: Sequence[float] | np.ndarray) -> np.ndarray:
        """Number at risk at each time: at risk at the first distinct time >= t (0 beyond the data)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        j = np.searchsorted(self.timeline, times, side="left")
        removed_after = np.r_[self.at_risk, 0.0]
        return removed_after[np.minimum(j, self.timeline.size)].astype(int)

    def quantile(self, q: float = 0.5) -> tuple[float, float, float]:
        """Time where S first reaches ``q`` or below, with the interval from the band (inf when not reached)."""

        def first(curve):
            hit = np.flatnonzero(curve <= q)
            return float(self.timeline[hit[0]]) if hit.size else np.inf

        return first(self.survival), first(self.lower), first(self.upper)

    def median(self) -> tuple[float, float, float]:
        """Median duration with the band-inverted interval ``(median, lower, upper)``."""
        return self.quantile(0.5)

    def summary(self) -> pd.DataFrame:
        """The event table with estimate and band, one row per distinct time."""
        return pd.DataFrame(
            {
                "at_risk": self.at_risk.astype(int),
                "events": self.events.astype(int),
                "censored": self.censored.astype(int),
                "survival": self.survival,
                "lower": self.lower,
                "upper": self.upper,
            },
            index=pd.Index(self.timeline, name="time"),
        )

    def cut(self, min_at_risk: int) -> int:
        """Index of the last time whose number at risk is at least ``min_at_risk`` (-1 if none)."""
        ok = np.flatnonzero(self.at_risk >= min_at_risk)
        return int(ok[-1]) if ok.size else -1

    def plot(self, ax=None, min_at_risk: int = 1, color=None, band: bool = True, label: str | None = None):
        """Step curve with band, drawn only while at least ``min_at_risk`` are at risk."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        last = self.cut(min_at_risk)
        if last < 0:
            return ax
        t = self.timeline[: last + 1]
        line = ax.step(t, self.survival[: last + 1], where="post", color=color, label=label or self.label)[0]
        if band:
            ax.fill_between(
                t,
                self.lower[: last + 1],
                self.upper[: last + 1],
                step="post",
                alpha=0.2,
                color=line.get_color(),
                linewidth=0,
            )
        return ax


def _curve(times, n, d, c, alpha, label, risk=None) -> KaplanMeierResult:
    at_risk, n = n, (n if risk is None else risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 0, 1.0 - d / np.where(n > 0, n, 1.0), 1.0)
        s = np.cumprod(factor)
        gw = np.where((n > 0) & (n > d), d / (n * (n - d)), 0.0)  # lifelines: inf -> 0
    gw = np.cumsum(gw)
    lo, hi = _loglog_bounds(s, gw, float(norm.ppf(1 - alpha / 2)))
    return KaplanMeierResult(times, s, lo, hi, gw, at_risk, d, c, alpha, label)


def kaplan_meier(durations, events=None, entry=None, alpha: float = 0.05, label: str = "KM") -> KaplanMeierResult:
    """Fit one Kaplan–Meier curve.

    Parameters
    ----------
    durations : array-like
        Time to event or censoring (non-negative).
    events : array-like of {0, 1} or bool, optional
        1 = event observed (default: all observed).
    entry : array-like, optional
        Late entry (left truncation) times; a person is in the risk set at ``t`` when ``entry < t <= duration`` (those entering at the first time count from it, as in lifelines).
    alpha : float
        1 - level of the pointwise band.

    Example
    -------
    >>> km = kaplan_meier([2, 3, 3, 5, 8, 9], events=[1, 1, 0, 1, 0, 1])
    >>> km.survival_at([3, 6]).round(3)
       time  survival  lower  upper  at_risk
    0   3.0     0.667  0.195  0.904        5
    1   6.0     0.444  0.066  0.785        2
    """
    tab = event_table(durations, events, entry=entry)
    return _curve(tab.times, tab.at_risk[0], tab.events[0], tab.censored[0], alpha, label, tab.risk_set[0])


@dataclass
class KaplanMeierGroups:
    """Kaplan–Meier curves of several groups fitted on one shared timeline."""

    curves: dict
    alpha: float = 0.05
    title: str = ""
    n_by_group: pd.Series = field(default_factory=pd.Series)

    def survival_at(self, times: Sequence[float] = (6, 12, 24), min_at_risk: int = 1) -> pd.DataFrame:
        """Tidy frame ``group, time, survival, lower, upper, at_risk, suppressed``.

        Values are NaN (``suppressed``) where fewer than ``min_at_risk`` are at risk.
        """
        frames = []
        for g, c in self.curves.items():
            f = c.survival_at(times)
            f.insert(0, "group", g)
            frames.append(f)
        out = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["group", "time", "survival", "lower", "upper", "at_risk"])
        )
        out["suppressed"] = out["at_risk"] < min_at_risk
        for col in ("survival", "lower", "upper"):
            out[col] = out[col].astype(float).mask(out["suppressed"])
        return out

    def medians(self) -> pd.DataFrame:
        rows = [
            {
                "group": g,
                "n": c.n,
                "events": c.n_events,
                "median": c.median()[0],
                "lower": c.median()[1],
                "upper": c.median()[2],
            }
            for g, c in self.curves.items()
        ]
        return pd.DataFrame(rows)

    def summary(self, times: Sequence[float] = (6, 12, 24), min_at_risk: int = 1) -> pd.DataFrame:
        """One row per group: n, events, median with interval, survival at ``times`` with intervals."""
        med = self.medians().set_index("group")
        at = self.survival_at(times, min_at_risk)
        for t in times:
            part = at[at["time"] == t].set_index("group")
            med[f"S({t:g})"] = part["survival"]
            med[f"S({t:g}) lower"] = part["lower"]
            med[f"S({t:g}) upper"] = part["upper"]
        return med

    def plot(
        self,
        min_cell: int = 1,
        ticks: Sequence[float] | None = None,
        xlabel: str = "",
        ylabel: str = "",
        title: str | None = None,
        labels: dict | None = None,
    ):
        """Curves with bands and a numbers-at-risk table under the plot (see :func:`plots.km_figure`)."""
        from analysis.survival.plots import km_figure

        return km_figure(
            self,
            min_cell=min_cell,
            ticks=ticks,
            xlabel=xlabel,
            ylabel=ylabel,
            title=self.title if title is None else title,
            labels=labels,
        )


def kaplan_meier_by(
    durations, events, groups, entry=None, alpha: float = 0.05, order: Sequence | None = None, title: str = ""
) -> KaplanMeierGroups:
    """Kaplan–Meier curves by group (missing group labels are left out).

    ``order`` fixes the order of the groups (default: sorted labels).
    """
    codes, levels = group_codes(groups, order)
    keep = codes >= 0
    t = np.asarray(durations, dtype=float)[keep]
    e = None if events is None else np.asarray(events)[keep]
    en = None if entry is None else np.asarray(entry, dtype=float)[keep]
    tab = event_table(t, e, groups=codes[keep], entry=en, n_groups=len(levels))
    curves = {}
    for i, g in enumerate(levels):
        n = tab.at_risk[i]
        # each group's own timeline: the shared grid up to the group's last time
        present = (tab.events[i] + tab.censored[i] + tab.entered[i]) > 0
        present[0] = True
        curves[g] = _curve(
            tab.times[present],
            n[present],
            tab.events[i][present],
            tab.censored[i][present],
            alpha,
            str(g),
            tab.risk_set[i][present],
        )
    counts = pd.Series({g: curves[g].n for g in levels})
    return KaplanMeierGroups(curves, alpha, title, counts)
