"""Shares with Wilson intervals.

:func:`wilson_interval` equals ``statsmodels.stats.proportion.proportion_confint(
method="wilson")`` but is vectorised and returns NaN for ``n == 0`` instead of
warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def wilson_interval(successes, n, alpha: float = 0.05) -> tuple[Any, Any]:
    """Wilson score interval for ``successes / n`` (vectorised).

    Parameters
    ----------
    successes, n : array-like
        Counts; ``n == 0`` gives NaN.
    alpha : float
        1 - confidence level.

    Returns
    -------
    (lower, upper) : arrays (or floats for scalar input)

    Example
    -------
    >>> lower, upper = wilson_interval(18, 36)
    >>> round(lower, 3), round(upper, 3)
    (0.345, 0.655)
    >>> lower, upper = wilson_interval(0, 36)  # 0 of 36: the lower bound is 0 up to rounding
    >>> round(lower, 12), round(upper, 3)
    (0.0, 0.096)
    """
    from scipy.stats import norm  # here, not at the top: the index page formats shares without scipy

    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.isf(alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z**2 / (4.0 * n**2)) / denom
        lower, upper = centre - half, centre + half
    bad = n <= 0
    # at 0 of n (n of n) the bound is exactly 0 (1); rounding leaves 6.9e-18, which breaks error bars
    lower = np.where(bad, np.nan, np.where(k <= 0, 0.0, np.clip(lower, 0.0, 1.0)))
    upper = np.where(bad, np.nan, np.where(k >= n, 1.0, np.clip(upper, 0.0, 1.0)))
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def share_table(successes, n, index=None, alpha: float = 0.05) -> pd.DataFrame:
    """Tidy frame ``n, successes, share, lower, upper`` (share NaN when n == 0)."""
    k = np.asarray(successes, dtype=float)
    nn = np.asarray(n, dtype=float)
    lo, hi = wilson_interval(k, nn, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(nn > 0, k / nn, np.nan)
    return pd.DataFrame({"n": nn, "successes": k, "share": share, "lower": lo, "upper": hi}, index=index)
