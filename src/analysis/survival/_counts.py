"""Event tables: counts at each distinct time, for one or several groups at once.

Everything downstream (Kaplan–Meier, log-rank, Aalen–Johansen) works on these
aggregated tables, so the cost after one ``np.unique`` is O(distinct times x groups).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class EventTable:
    """Counts per group (rows) and distinct time (columns).

    ``at_risk[g, j]`` follows lifelines' event table: persons with ``entry <= t_j <=
    duration``. ``risk_set`` is what the estimators use: late entrants join the risk
    set just after their entry time (``entry < t_j <= duration``), as in the counting
    process and in lifelines' estimates; those entering at the first time count.
    """

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray  # any event (code != 0)
    censored: np.ndarray
    entered: np.ndarray
    by_cause: dict[int, np.ndarray]
    risk_set: np.ndarray


def group_codes(groups, order=None) -> tuple[np.ndarray, list]:
    """Integer codes 0..G-1 of group labels (-1 for missing or not in ``order``) and the level list."""
    arr = np.asarray(groups)
    codes, uniques = pd.factorize(arr, sort=False)
    uniq = list(uniques)
    levels = list(order) if order is not None else sorted(uniq, key=str)
    pos = {v: i for i, v in enumerate(levels)}
    remap = np.array([pos.get(u, -1) for u in uniq] + [-1], dtype=np.int64)
    return remap[codes], levels  # code -1 (missing) picks the trailing -1


def as_arrays(durations, events=None, entry=None):
    t = np.asarray(durations, dtype=float)
    if t.ndim != 1:
        raise ValueError("durations must be one-dimensional")
    if np.isnan(t).any():
        raise ValueError("durations contain missing values")
    if (t < 0).any():
        raise ValueError("durations must be non-negative")
    e = np.ones(t.size, dtype=np.int64) if events is None else np.asarray(events).astype(np.int64)
    if e.shape != t.shape:
        raise ValueError("durations and events differ in length")
    en = None if entry is None else np.asarray(entry, dtype=float)
    if en is not None and (en > t).any():
        raise ValueError("entry after duration")
    return t, e, en


def event_table(
    durations,
    events=None,
    groups=None,
    entry=None,
    n_groups: int | None = None,
    add_zero: bool = True,
    causes: tuple[int, ...] = (),
) -> EventTable:
    """Aggregate to distinct times (plus 0) with ``np.unique`` and ``bincount``.

    Parameters
    ----------
    groups : array of int codes 0..G-1, optional
    causes : event codes to count separately (for competing risks)
    """
    t, e, en = as_arrays(durations, events, entry)
    g = np.zeros(t.size, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    n_g = int(n_groups if n_groups is not None else (g.max() + 1 if g.size else 1))
    if en is None:
        times, ti = np.unique(t, return_inverse=True)
        if add_zero and (times.size == 0 or times[0] > 0):
            times, ti = np.r_[0.0, times], ti + 1
    else:
        times = np.unique(np.concatenate([t, en]))
        if add_zero and (times.size == 0 or times[0] > 0):
            times = np.r_[0.0, times]
        ti = np.searchsorted(times, t)
    k = times.size
    flat = g * k + ti

    def count(mask):
        return np.bincount(flat[mask], minlength=n_g * k).reshape(n_g, k).astype(float)

    removed = count(np.ones(t.size, dtype=bool))
    ev = count(e != 0)
    if en is None:
        entered = np.zeros((n_g, k))
        entered[:, 0] = np.bincount(g, minlength=n_g)
    else:
        entered = np.bincount(g * k + np.searchsorted(times, en), minlength=n_g * k).reshape(n_g, k).astype(float)
    # at risk at t_j = entered by t_j - removed before t_j
    at_risk = np.cumsum(entered, axis=1) - np.c_[np.zeros((n_g, 1)), np.cumsum(removed, axis=1)[:, :-1]]
    by_cause = {c: count(e == c) for c in causes}
    late = entered.copy()
    late[:, 0] = 0
    return EventTable(times, at_risk, ev, removed - ev, entered, by_cause, at_risk - late)
