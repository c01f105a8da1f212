"""Pricing the month effects: kronor per actor, discounted and cumulated, the payback time and the return.

Every number here is a linear function ``c' vec(tau)`` of the month effects of
:mod:`analysis.payback.estimate`, so its standard error is ``sqrt(c' V c)`` and its 95 % interval
``estimate +- 1.96 se``. After the last month the data support (``K``) the effect of the last
observed year (``min(12, K)`` months) is carried forward unchanged (``extrapolate="last_year"``), or
the calculation stops there (``"none"``). Month ``k`` is discounted by ``(1 + r) ** (-k / 12)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.payback.costs import CostTable
from analysis.payback.estimate import MonthEffects

Z975 = 1.959963984540054
TOTALS = ("public", "society")  # every actor but the individual; every actor


@dataclass
class PriceMatrix:
    """Kronor per month of each source (rows) for each actor and total (columns), and what is not priced."""

    sources: list[str]
    columns: list[str]
    values: np.ndarray  # (J, A)
    entry_of: dict[str, str | None]
    unattributed: list[str] = field(default_factory=list)  # no actor (mapped to null or not mapped)
    unpriced: list[str] = field(default_factory=list)  # mapped to an entry without an amount


def price_matrix(sources: list[str], mapping: dict[str, str | None], table: CostTable) -> PriceMatrix:
    """The price of one month of each source per actor, plus the public-sector and society totals."""
    actors = table.actors
    cols = [*actors, *TOTALS]
    P = np.zeros((len(sources), len(cols)))
    entry_of, unattributed, unpriced = {}, [], []
    for j, s in enumerate(sources):
        entry = mapping.get(s)
        entry_of[s] = entry
        if entry is None or entry not in table.entries:
            unattributed.append(s)
            continue
        flows = table.flows(entry)
        if flows is None:
            unpriced.append(s)
            continue
        for a, v in flows.items():
            P[j, actors.index(a)] = v
    P[:, cols.index("public")] = P[:, [actors.index(a) for a in actors if a != "individual"]].sum(axis=1)
    P[:, cols.index("society")] = P[:, : len(actors)].sum(axis=1)
    return PriceMatrix(sources, cols, P, entry_of, unattributed, unpriced)


def discount(months: int, rate: float) -> np.ndarray:
    """Discount factors of months 0..months-1 at an annual rate."""
    return (1.0 + rate) ** (-np.arange(months) / 12.0)


def horizon_weights(K: int, horizon: int, rate: float, extrapolate: str) -> np.ndarray | None:
    """Weights ``c`` over the estimated months 0..K-1 such that the cumulated, discounted effect over
    ``horizon`` months is ``c @ tau``; None when the horizon is beyond the data and nothing is extrapolated."""
    if K == 0 or (horizon > K and extrapolate == "none"):
        return None
    d = discount(max(horizon, K), rate)
    c = np.zeros(K)
    c[: min(horizon, K)] = d[: min(horizon, K)]
    if horizon > K:
        window = min(12, K)
        c[K - window :] += d[K:horizon].sum() / window
    return c


@dataclass
class Curves:
    """Cumulated discounted net effect per participant after ``m = 1..H`` months, per column."""

    months: np.ndarray  # 1..H
    estimate: pd.DataFrame  # index months, columns actors + totals
    se: pd.DataFrame
    observed: int  # months estimated from data (K); later ones are extrapolated

    def lower(self) -> pd.DataFrame:
        return self.estimate - Z975 * self.se

    def upper(self) -> pd.DataFrame:
        return self.estimate + Z975 * self.se


def curves(me: MonthEffects, prices: PriceMatrix, horizon: int, rate: float, extrapolate: str) -> Curves | None:
    """The cumulated net effect after every month up to ``horizon`` (None if no month is estimated)."""
    K = me.n_months
    if K == 0:
        return None
    ms = [m for m in range(1, horizon + 1) if horizon_weights(K, m, rate, extrapolate) is not None]
    C = np.array([horizon_weights(K, m, rate, extrapolate) for m in ms])  # (M, K)
    per_month = me.tau @ prices.values  # (K, A)
    est = C @ per_month
    V4 = me.cov.reshape(K, len(me.sources), K, len(me.sources))
    var = np.empty_like(est)
    for a in range(prices.values.shape[1]):
        p = prices.values[:, a]
        B = np.einsum("kjlm,j,m->kl", V4, p, p)
        var[:, a] = np.einsum("mk,kl,ml->m", C, B, C)
    idx = pd.Index(ms, name="months")
    return Curves(
        months=np.asarray(ms),
        estimate=pd.DataFrame(est, index=idx, columns=prices.columns),
        se=pd.DataFrame(np.sqrt(np.clip(var, 0, None)), index=idx, columns=prices.columns),
        observed=K,
    )


def cost_curve(cost: float, months: np.ndarray, rate: float, spread_months: int = 0) -> np.ndarray:
    """Cumulated discounted cost per participant after each month: all at the start, or spread evenly."""
    if spread_months <= 0:
        return np.full(len(months), float(cost))
    d = discount(int(max(months.max(), spread_months)), rate)
    per = np.where(np.arange(len(d)) < spread_months, cost / spread_months, 0.0) * d
    return np.cumsum(per)[months - 1]


def payback_month(net: np.ndarray, cost: np.ndarray, months: np.ndarray) -> int | None:
    """The first month from which the cumulated net effect covers the cost and keeps covering it to the
    end of the curve (None: not covered at the end, i.e. not paid back within the horizon; censored)."""
    short = np.flatnonzero(net < cost)
    if not len(short):
        return int(months[0]) if len(months) else None
    last = short[-1]
    return int(months[last + 1]) if last + 1 < len(months) else None


def months_in_sources(me: MonthEffects, horizon: int, extrapolate: str) -> pd.DataFrame:
    """Effect on the number of months with each source over ``horizon`` months (undiscounted), with se."""
    c = horizon_weights(me.n_months, horizon, 0.0, extrapolate)
    J = len(me.sources)
    if c is None:
        return pd.DataFrame({"effect": np.nan, "se": np.nan}, index=pd.Index(me.sources, name="source"))
    est = c @ me.tau
    V4 = me.cov.reshape(me.n_months, J, me.n_months, J)
    var = np.einsum("k,kjlj,l->j", c, V4, c)
    return pd.DataFrame(
        {"effect": est, "se": np.sqrt(np.clip(var, 0, None))}, index=pd.Index(me.sources, name="source")
    )
