"""Before/after and difference-in-differences on the monthly panel (event study).

Event time ``k`` is the calendar month minus the month of time zero (start for
participants, ``reference_date`` for the comparison group). For an outcome
``y`` (0/1: in income support, in work or study) and a reference month
``ref`` (default ``-1``, the month before start) the event-study coefficient is

    delta_k = mean_participants(y_k - y_ref) - mean_comparison(y_k - y_ref)

over persons observed in both months. This is the coefficient of the
participant x event-time indicator in the saturated regression of
``y_ik - y_i,ref`` on event-time and participant x event-time indicators;
its covariance is the cluster-robust (by person, CR0) sandwich of that
regression, computed here from per-person influence values in blocks so that
memory stays linear. Pre-trend test: Wald test that all ``delta_k`` before
``ref`` are zero. Without a comparison group the same numbers for
participants alone are the descriptive before/after change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.effects.design import panel_codes
from analysis.effects.result import Z975
from analysis.project.dates import month_numbers

BLOCK = 100_000  # persons per block when accumulating the cluster covariance


@dataclass
class EventStudyResult:
    """Shares by event time and group, and the event-study (or before/after) estimates.

    Attributes
    ----------
    outcome : str
        ``income_support`` or ``work_or_study``.
    shares : DataFrame
        ``group`` (1 participants, 0 comparison), ``k``, ``n``, ``successes``, ``share``.
    estimates : DataFrame
        Indexed by ``k``: ``estimate``, ``se``, ``lower``, ``upper``, ``n_treated``, ``n_control``;
        differences-in-differences with a comparison group, else participants' change since ``ref``.
    cov : ndarray
        Cluster-robust covariance of ``estimates['estimate']``.
    has_comparison : bool
    pretrend : dict
        ``statistic``, ``df``, ``p`` of the joint test of the pre-period estimates (None without any).
    """

    outcome: str
    ref: int
    shares: pd.DataFrame
    estimates: pd.DataFrame
    cov: np.ndarray
    has_comparison: bool
    pretrend: dict | None = None
    min_cell: int = 5
    n_persons: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return self.estimates

    def estimate_at(self, k: int) -> dict | None:
        if k not in self.estimates.index:
            return None
        r = self.estimates.loc[k]
        return {
            "k": int(k),
            "estimate": float(r["estimate"]),
            "se": float(r["se"]),
            "lower": float(r["lower"]),
            "upper": float(r["upper"]),
            "n_treated": int(r["n_treated"]),
            "n_control": int(r["n_control"]),
        }

    def safe_shares(self) -> pd.DataFrame:
        """Shares with points hidden where successes, failures or n are below ``min_cell`` (but not zero)."""
        s = self.shares.copy()
        m = self.min_cell
        fail = s["n"] - s["successes"]
        hide = ((s["successes"] > 0) & (s["successes"] < m)) | ((fail > 0) & (fail < m)) | (s["n"] < m)
        s.loc[hide, ["share", "successes"]] = np.nan
        s["suppressed"] = hide
        return s

    def plot_shares(self, ax=None, labels=("Participants", "Comparison"), xlabel="Months from start", ylabel="Share"):
        """Share by event time for each group (points hidden by disclosure control are not drawn)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.6))
        s = self.safe_shares()
        for g, lab, colour in ((1, labels[0], "#1f5f8b"), (0, labels[1], "#c8553d")):
            part = s[s["group"] == g].sort_values("k")
            if len(part):
                ax.plot(part["k"], part["share"], color=colour, label=lab, lw=1.8)
        ax.axvline(0, color="grey", lw=0.8, ls=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1)  # a share: the report sets a percent tick format in its language
        ax.legend(frameon=False)
        return ax

    def plot(self, ax=None, xlabel="Months from start", ylabel="Difference (percentage points)"):
        """Event-study plot: estimates with 95 % person-clustered confidence intervals."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.6))
        e = self.estimates
        ks = e.index.to_numpy()
        ax.fill_between(ks, 100 * e["lower"], 100 * e["upper"], color="#1f5f8b", alpha=0.2, lw=0)
        ax.plot(ks, 100 * e["estimate"], "o-", color="#1f5f8b", ms=3, lw=1.2)
        ax.plot([self.ref], [0], "o", color="black", ms=4)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(self.ref + 0.5, color="grey", lw=0.8, ls=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return ax


def event_panel(
    frame: pd.DataFrame, panel: pd.DataFrame, statuses: Sequence[str], window: tuple[int, int] = (-12, 24)
) -> pd.DataFrame:
    """Long table ``person, group, k, y`` of the panel rows inside the event window."""
    keys, person_of, p, pmonth, hit = panel_codes(frame, panel, statuses)
    t0 = np.full(len(keys), -1, dtype=np.int64)
    grp = np.zeros(len(keys), dtype=np.int8)
    t0[person_of] = month_numbers(frame["t0"])
    grp[person_of] = frame["treated"].to_numpy()
    k = pmonth - t0[p]
    inside = (t0[p] >= 0) & (k >= window[0]) & (k <= window[1])
    return pd.DataFrame(
        {
            "person": p[inside].astype(np.int32),
            "group": grp[p[inside]],
            "k": k[inside].astype(np.int16),
            "y": hit[inside].astype(np.int8),
        }
    )


def _core_grid(person, g, k, y, ref, groups, threshold):
    """The same numbers as :func:`_core_long` from a dense persons x event-time array.

    A register panel gives ~30 million (person, k) rows; as a persons x months array
    (float32 for a 0/1 outcome, the comparison group's rows after the participants')
    every step is a pass over contiguous memory and the covariance is accumulated
    over blocks of persons. Returns None when a person has two rows for one event
    time or rows in both groups (then the long rows are used).
    """
    if len(person) == 0:
        return None
    kmin, kspan = int(k.min()), int(k.max() - k.min()) + 1
    n_persons = int(person.max()) + 1
    if n_persons * kspan > 200_000_000:
        return None
    group_of = np.full(n_persons, -1, dtype=np.int8)
    group_of[person] = g
    if not (group_of[person] == g).all():
        return None
    # rows of the grid: participants first, then the comparison group, persons without rows left out
    present = np.zeros(n_persons, bool)
    present[person] = True
    order = [np.flatnonzero(present & (group_of == gg)) for gg in groups]
    position = np.full(n_persons, -1, dtype=np.int64)
    bounds = np.cumsum([0] + [len(o) for o in order])
    for o, start in zip(order, bounds):
        position[o] = start + np.arange(len(o))
    dtype = np.float32 if np.issubdtype(y.dtype, np.integer) or np.isin(y, (0, 1)).all() else np.float64
    grid = np.full(bounds[-1] * kspan, np.nan, dtype=dtype)
    flat = position[person] * kspan + (k - kmin)
    grid[flat] = y
    if np.count_nonzero(~np.isnan(grid)) != np.count_nonzero(~np.isnan(y)):
        return None  # duplicate (person, k)
    grid = grid.reshape(-1, kspan)
    r = ref - kmin
    if not 0 <= r < kspan:
        return [], {gg: np.zeros(0) for gg in groups}, np.zeros(0), np.zeros((0, 0))
    grid -= grid[:, [r]]  # change since the reference month; NaN where either is unobserved
    grid[:, r] = np.nan
    n, mean = {}, {}
    for gg, lo, hi in zip(groups, bounds[:-1], bounds[1:]):
        part = grid[lo:hi]
        n[gg] = np.count_nonzero(~np.isnan(part), axis=0).astype(float)
        mean[gg] = np.nansum(part, axis=0, dtype=np.float64) / np.maximum(n[gg], 1)
    keep = np.all([n[gg] >= threshold for gg in groups], axis=0)
    cols = np.flatnonzero(keep)
    ks = [kmin + int(c) for c in cols]
    est = mean[1][cols] - (mean[0][cols] if len(groups) == 2 else 0.0)
    cov = np.zeros((len(cols), len(cols)))
    for gg, lo, hi in zip(groups, bounds[:-1], bounds[1:]):
        sign = 1.0 if gg == 1 else -1.0
        for b in range(lo, hi, BLOCK):
            block = (grid[b : min(b + BLOCK, hi)][:, cols].astype(np.float64) - mean[gg][cols]) * (sign / n[gg][cols])
            np.nan_to_num(block, copy=False)  # unobserved (person, k): no influence
            cov += block.T @ block
    return ks, {gg: n[gg][cols] for gg in groups}, est, cov


def _core_long(person_all, g, k_all, y_all, ref, kmin, kspan, groups, threshold):
    """Event-study estimates and cluster covariance from the long rows (any layout)."""
    has_comp = len(groups) == 2
    at_ref = k_all == ref
    # y at the reference month per person; the first row wins, as drop_duplicates did
    size = int(person_all.max()) + 1 if len(person_all) else 0
    base, has_base = np.zeros(size), np.zeros(size, bool)
    ref_rows = np.flatnonzero(at_ref)[::-1]
    base[person_all[ref_rows]] = y_all[ref_rows].astype(float)
    has_base[person_all[ref_rows]] = True
    keep_rows = ~at_ref & has_base[person_all] if len(person_all) else np.zeros(0, bool)
    person = person_all[keep_rows]
    delta = y_all[keep_rows].astype(float) - base[person]
    grp = g[keep_rows]
    kk = k_all[keep_rows]
    code2 = (kk - kmin) * 2 + grp
    n2 = np.bincount(code2, minlength=2 * kspan).astype(float)
    mean2 = np.bincount(code2, weights=delta, minlength=2 * kspan) / np.maximum(n2, 1)
    ks = [kmin + j for j in range(kspan) if all(n2[j * 2 + gg] >= threshold for gg in groups)]
    K = len(ks)
    col_of = np.full(kspan, -1)
    col_of[np.asarray(ks, dtype=np.int64) - kmin] = np.arange(K)
    col = col_of[kk - kmin]
    use = col >= 0
    person, delta, grp, col = person[use], delta[use], grp[use], col[use]
    slots = (np.asarray(ks, dtype=np.int64) - kmin) * 2
    n_gk = {gg: n2[slots + gg] for gg in groups}
    mean_gk = {gg: mean2[slots + gg] for gg in groups}
    est = mean_gk[1] - (mean_gk[0] if has_comp else 0.0)
    # influence value of each (person, k) observation on delta_k; summed within person
    sign = np.where(grp == 1, 1.0, -1.0)
    nn = np.where(grp == 1, n_gk[1][col], n_gk[0][col] if has_comp else np.nan)
    mm = np.where(grp == 1, mean_gk[1][col], mean_gk[0][col] if has_comp else np.nan)
    infl = sign * (delta - mm) / nn
    # cluster (person) covariance: sum over persons of b_i b_i', b_i = the person's influence values by k.
    # With persons x K small enough, one bincount gives every b_i at once; otherwise persons go in blocks.
    cov: np.ndarray = np.zeros((K, K))
    n_persons = int(person.max()) + 1 if len(person) else 0
    if n_persons * K <= 50_000_000:
        B = np.bincount(person.astype(np.int64) * K + col, weights=infl, minlength=n_persons * K).reshape(n_persons, K)
        cov = B.T @ B
    else:
        order = np.argsort(person, kind="stable")
        person, col, infl = person[order], col[order], infl[order]
        uniq, starts = np.unique(person, return_index=True)
        bounds = np.append(starts, len(person))
        for b in range(0, len(uniq), BLOCK):
            lo, hi = bounds[b], bounds[min(b + BLOCK, len(uniq))]
            rank = np.searchsorted(uniq[b : b + BLOCK], person[lo:hi])
            block = np.bincount(rank * K + col[lo:hi], weights=infl[lo:hi], minlength=min(BLOCK, len(uniq) - b) * K)
            block = block.reshape(-1, K)
            cov += block.T @ block
    return ks, n_gk, est, cov


def event_study(
    long: pd.DataFrame,
    outcome: str = "y",
    ref: int = -1,
    min_cell: int = 5,
    min_per_cell: int | None = None,
    method: str = "auto",
) -> EventStudyResult:
    """Event study (with a comparison group) or before/after (participants only) from :func:`event_panel` rows.

    Parameters
    ----------
    long
        Columns ``person`` (int), ``group`` (1/0), ``k``, ``y``.
    ref
        Reference event time; estimates are changes since then.
    min_per_cell
        Event times with fewer persons than this in a group are left out (default ``min_cell``).
    method
        ``"grid"`` (a persons x event-time array; used by ``"auto"`` when each person has at
        most one row per event time) or ``"long"`` (row by row). Both give the same numbers.
    """
    min_per_cell = min_cell if min_per_cell is None else min_per_cell
    g = long["group"].to_numpy()
    has_comp = bool((g == 0).any())
    y_all = long["y"].to_numpy()
    k_all = long["k"].to_numpy().astype(np.int64)
    kmin = int(k_all.min()) if len(k_all) else 0
    kspan = int(k_all.max()) - kmin + 1 if len(k_all) else 1
    shares = _cell_shares(g, k_all, y_all, kmin, kspan)
    person_all = long["person"].to_numpy()
    groups = (1, 0) if has_comp else (1,)
    threshold = max(min_per_cell, 1)
    core = _core_grid(person_all, g, k_all, y_all, ref, groups, threshold) if method in ("auto", "grid") else None
    if core is None:
        core = _core_long(person_all, g, k_all, y_all, ref, kmin, kspan, groups, threshold)
    ks, n_gk, est, cov = core
    estimates = _estimate_table(ks, n_gk, est, cov, has_comp)
    pretrend = _pretrend_test(ks, est, cov, ref) if has_comp else None
    npers = {
        name: int(np.count_nonzero(np.bincount(person_all[g == gg]))) if (g == gg).any() else 0
        for name, gg in (("treated", 1), ("control", 0))
    }
    return EventStudyResult(outcome, ref, shares, estimates, cov, has_comp, pretrend, min_cell, npers)


def _cell_shares(g: np.ndarray, k_all: np.ndarray, y_all: np.ndarray, kmin: int, kspan: int) -> pd.DataFrame:
    """Persons, successes and share per group and event time (cells without rows left out)."""
    # cell counts by bincount on integer codes: a register panel gives tens of millions of rows
    code = g.astype(np.int64) * kspan + (k_all - kmin)
    n_cell = np.bincount(code, minlength=2 * kspan)
    s_cell = np.bincount(code, weights=y_all.astype(float), minlength=2 * kspan)
    nz = np.flatnonzero(n_cell)
    successes = np.round(s_cell[nz]).astype(np.int64) if np.issubdtype(y_all.dtype, np.integer) else s_cell[nz]
    shares = pd.DataFrame(
        {"group": (nz // kspan).astype(g.dtype), "k": nz % kspan + kmin, "n": n_cell[nz], "successes": successes}
    )
    shares["share"] = shares["successes"] / shares["n"]
    return shares


def _estimate_table(ks, n_gk: np.ndarray, est: np.ndarray, cov: np.ndarray, has_comp: bool) -> pd.DataFrame:
    """The estimate per event time with its standard error, 95% interval and persons per group."""
    K = len(ks)
    se = np.sqrt(np.diag(cov))
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "lower": est - Z975 * se,
            "upper": est + Z975 * se,
            "n_treated": n_gk[1].astype(int),
            "n_control": n_gk[0].astype(int) if has_comp else np.zeros(K, int),
        },
        index=pd.Index(ks, name="k"),
    )


def _pretrend_test(ks, est: np.ndarray, cov: np.ndarray, ref: int) -> dict | None:
    """Wald test that every estimate before the reference time is zero (None without such times)."""
    pre = [i for i, k in enumerate(ks) if k < ref]
    if not pre:
        return None
    b = est[pre]
    V = cov[np.ix_(pre, pre)]
    stat = float(b @ np.linalg.pinv(V) @ b)
    df = int(np.linalg.matrix_rank(V))
    return {"statistic": stat, "df": df, "p": float(stats.chi2.sf(stat, df)) if df else np.nan}
