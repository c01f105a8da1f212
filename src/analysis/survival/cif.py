"""Cumulative incidence with competing events (Aalen–Johansen).

``F_k(t) = sum_{t_i <= t} S(t_i-) d_k(t_i) / n(t_i)`` with ``S`` the all-cause
Kaplan–Meier. The variance is the delta-method Greenwood form of Collett
(3rd ed., p. 411) that ``lifelines.AalenJohansenFitter`` uses, evaluated with
cumulative sums instead of a row loop, and the band is on the log(-log) scale.
Unlike lifelines, tied times are not jittered (the estimator handles ties: all
events at a time share the same ``S(t-)``), and events at time 0 count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.survival._counts import event_table


@dataclass
class CumulativeIncidenceResult:
    """Cumulative incidence of one event type."""

    timeline: np.ndarray
    incidence: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    variance: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray  # events of interest
    competing: np.ndarray  # other events
    censored: np.ndarray
    event_of_interest: int = 1
    alpha: float = 0.05
    label: str = "CIF"

    @property
    def n(self) -> int:
        return int(self.events.sum() + self.competing.sum() + self.censored.sum())

    def incidence_at(self, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """Incidence, band and number at risk at given times (NaN beyond the last time)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        i = np.searchsorted(self.timeline, times, side="right") - 1
        ok = (i >= 0) & (times <= self.timeline[-1])
        ii = np.clip(i, 0, None)
        j = np.searchsorted(self.timeline, times, side="left")
        at_risk = np.r_[self.at_risk, 0][np.minimum(j, self.timeline.size)]
        return pd.DataFrame(
            {
                "time": times,
                "incidence": np.where(ok, self.incidence[ii], np.nan),
                "lower": np.where(ok, self.lower[ii], np.nan),
                "upper": np.where(ok, self.upper[ii], np.nan),
                "at_risk": at_risk.astype(int),
            }
        )

    def at_risk_at(self, times: Sequence[float]) -> np.ndarray:
        """Number at risk at each time (at the first distinct time >= t; 0 beyond the data)."""
        j = np.searchsorted(self.timeline, np.atleast_1d(np.asarray(times, dtype=float)), side="left")
        return np.r_[self.at_risk, 0][np.minimum(j, self.timeline.size)].astype(int)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "at_risk": self.at_risk.astype(int),
                "events": self.events.astype(int),
                "competing": self.competing.astype(int),
                "censored": self.censored.astype(int),
                "incidence": self.incidence,
                "lower": self.lower,
                "upper": self.upper,
            },
            index=pd.Index(self.timeline, name="time"),
        )

    def cut(self, min_at_risk: int) -> int:
        ok = np.flatnonzero(self.at_risk >= min_at_risk)
        return int(ok[-1]) if ok.size else -1

    def plot(self, ax=None, min_at_risk: int = 1, color=None, band: bool = True, label: str | None = None):
        """Step curve with band while at least ``min_at_risk`` are at risk."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        last = self.cut(min_at_risk)
        if last < 0:
            return ax
        t = self.timeline[: last + 1]
        line = ax.step(t, self.incidence[: last + 1], where="post", color=color, label=label or self.label)[0]
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


def aalen_johansen(
    durations, events, event_of_interest: int = 1, entry=None, alpha: float = 0.05, label: str = "CIF"
) -> CumulativeIncidenceResult:
    """Aalen–Johansen cumulative incidence.

    Parameters
    ----------
    durations : array-like
    events : array-like of int
        0 = censored, ``event_of_interest`` = the event, any other code = a competing event.
    entry : array-like, optional
        Late entry times.
    """
    tab = event_table(durations, events, entry=entry, causes=(int(event_of_interest),))
    n, d, c = tab.risk_set[0], tab.events[0], tab.censored[0]
    dk = tab.by_cause[int(event_of_interest)][0]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 0, 1.0 - d / np.where(n > 0, n, 1.0), 1.0)
        s = np.cumprod(factor)
        lag_s = np.r_[1.0, s[:-1]]
        hk = np.where(n > 0, dk / np.where(n > 0, n, 1.0), 0.0)
        f = np.cumsum(lag_s * hk)
        # Var F(t) = sum a_i (F(t) - F_i)^2 + sum b_i - 2 sum c_i (F(t) - F_i), as prefix sums
        a = np.where(d > 0, d / (n * (n - d)), 0.0)
        b = np.where(dk > 0, lag_s**2 * dk * (n - dk) / n**3, 0.0)
        cc = np.where(dk > 0, lag_s * dk / n**2, 0.0)
        sa, saf, saff = np.cumsum(a), np.cumsum(a * f), np.cumsum(a * f * f)
        var = f * f * sa - 2 * f * saf + saff + np.cumsum(b) - 2 * (f * np.cumsum(cc) - np.cumsum(cc * f))
        var = np.maximum(var, 0.0)
        z = float(norm.ppf(1 - alpha / 2))
        tr = np.log(-np.log(f))
        se = np.sqrt(var) / (f * np.abs(np.log(f)))
        b1 = np.exp(-np.exp(tr + z * se))
        b2 = np.exp(-np.exp(tr - z * se))
    lower, upper = np.fmin(b1, b2), np.fmax(b1, b2)
    lower = np.where(f <= 0, 0.0, lower)
    upper = np.where(f <= 0, 0.0, upper)
    return CumulativeIncidenceResult(
        tab.times, f, lower, upper, var, tab.at_risk[0], dk, d - dk, c, int(event_of_interest), alpha, label
    )


def aalen_johansen_by(
    durations,
    events,
    groups,
    event_of_interest: int = 1,
    entry=None,
    alpha: float = 0.05,
    order: Sequence | None = None,
) -> dict:
    """Cumulative incidence per group label (missing labels left out): ``{group: result}``."""
    g = pd.Series(np.asarray(groups, dtype=object))
    levels = list(order) if order is not None else sorted(g.dropna().unique().tolist(), key=str)
    t = np.asarray(durations, float)
    e = np.asarray(events)
    en = None if entry is None else np.asarray(entry, float)
    out = {}
    for lv in levels:
        m = (g == lv).to_numpy()
        if m.any():
            out[lv] = aalen_johansen(t[m], e[m], event_of_interest, None if en is None else en[m], alpha, str(lv))
    return out
