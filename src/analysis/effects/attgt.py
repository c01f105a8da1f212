"""Group-time average treatment effects ATT(g, t) with staggered starts (Callaway & Sant'Anna 2021).

A *cohort* ``g`` is everybody who starts in period (month) ``g``. For every cohort and period ``t``,
ATT(g, t) is a two-period DiD (:func:`analysis.effects.did2x2.did_panel`) of the cohort against a
comparison group between a base period and ``t``:

* ``control="never"``: persons who never start (the comparison file);
* ``control="notyet"``: those plus persons who have not started by ``max(t, base)`` (later
  starters before their start), the cohort itself excluded.

Base period ``"universal"``: ``g - 1`` for every ``t`` (the event-study convention: every estimate
is a change since the month before start, and ATT(g, g-1) = 0). ``"varying"``: ``t - 1`` before the
start (short placebo differences) and ``g - 1`` after, as R's ``did`` by default.

Each ATT(g, t) has an influence function over all ``n`` persons (zero outside its sample, scaled
by ``n / n_cell``), so every aggregation is a linear combination with an influence function too:

* by event time ``e = t - g`` (dynamic): ``theta(e) = sum_g P(G=g | cell) ATT(g, g+e)``;
* by cohort: ``theta(g)`` = the mean of its post-start ATT(g, t);
* overall: ``simple`` (every post-start cell weighted by cohort size), ``dynamic`` (the mean of
  ``theta(e)`` over ``e >= 0``) and ``group`` (``theta(g)`` weighted by cohort size).

The cohort-size weights are estimated, and their influence (R ``did``'s ``wif``) is included.
Standard errors are ``sqrt(mean(psi^2) / n)``. Simultaneous bands over event times use the
multiplier bootstrap (Mammen weights, seeded) of the sup-t statistic standardised by the analytic
standard errors. Cells are estimated only for event times inside ``window`` (the aggregations say
so: the overall effect is that of the first ``window[1] + 1`` months).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.effects.did2x2 import control_weights, did_panel, fit_score_coefficients

NEVER = np.inf
Z975 = float(stats.norm.ppf(0.975))


@dataclass
class GroupTime:
    """Every estimated ATT(g, t) with its influence function and the means the figure needs."""

    cells: pd.DataFrame  # g, t, e, base, att, se, n_treated, n_control, mean_treated, mean_control_w, ...
    influence: np.ndarray  # n x cells
    cohorts: np.ndarray  # cohort of every person (NEVER for never-starters)
    method: str
    control: str
    base_period: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.influence.shape[0])

    def se(self, psi: np.ndarray) -> np.ndarray:
        """Analytic standard error(s) of influence function column(s)."""
        P = np.atleast_2d(psi.T).T  # column by column: no squared copy of a persons x cells matrix
        return np.sqrt(np.einsum("ij,ij->j", P, P) / P.shape[0] / self.n)


def _controls(G: np.ndarray, g: float, t: int, base: int, control: str, anticipation: int) -> np.ndarray:
    if control == "never":
        return ~np.isfinite(G)
    return ~np.isfinite(G) | ((max(t, base) + anticipation < G) & (g != G))


def _on_support(X: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a cell's design that identify the ATT.

    An indicator column on which the cohort's persons all have the same value (a level nobody of a
    small cohort has) would separate the score: comparison persons with the other value can never
    resemble the cohort and get zero weight in the limit. They are left out, and the column with
    them; so are columns constant in the cell. (Minimum and maximum instead of sorting a million
    values per column and cell.)
    """
    rows = np.ones(len(X), dtype=bool)
    cols = np.ones(X.shape[1], dtype=bool)
    if not len(X):
        return rows, cols
    lo, hi = X.min(axis=0), X.max(axis=0)
    Xt = X[treated]
    lo_t, hi_t = (Xt.min(axis=0), Xt.max(axis=0)) if len(Xt) else (lo, lo + 1.0)
    for j in range(1, X.shape[1]):
        x = X[:, j]
        single = len(Xt) > 0 and lo_t[j] == hi_t[j]
        if single and bool(np.all((x == 0.0) | (x == 1.0))) or lo[j] == hi[j]:
            rows &= x == (Xt[0, j] if len(Xt) else x[0])
            cols[j] = False
    return rows, cols


def _base_of(g: int, t: int, base_period: str, anticipation: int) -> int:
    if base_period == "universal" or t >= g - anticipation:
        return g - 1 - anticipation
    return t - 1


def _cells_to_estimate(G, periods, window, base_period, anticipation):
    """(g, t, base) for every cohort and period with ``t - g`` in ``window`` and both periods in the panel."""
    lo, hi = int(periods.min()), int(periods.max())
    out = []
    for g in np.unique(G[np.isfinite(G)]).astype(int):
        for e in range(window[0], window[1] + 1):
            t = g + e
            base = _base_of(g, t, base_period, anticipation)
            if lo <= t <= hi and lo <= base <= hi:
                out.append((g, t, base))
    return out


def group_time_att(
    Y: np.ndarray,
    G: np.ndarray,
    X: np.ndarray | None = None,
    *,
    method: str = "dr",
    control: str = "notyet",
    base_period: str = "universal",
    anticipation: int = 0,
    window: tuple[int, int] = (-12, 24),
    min_treated: int = 5,
    min_control: int = 5,
    periods: np.ndarray | None = None,
) -> GroupTime:
    """Every ATT(g, t) of a person x period outcome array (see the module docstring).

    Parameters
    ----------
    Y
        ``n x T`` outcomes, NaN where a person is not observed; column ``j`` is period ``periods[j]``.
    G
        Cohort (period of start) of every person; ``np.inf`` for persons who never start.
    X
        Time-invariant covariates as a design with an intercept column (``None``: unconditional DiD).
    min_treated, min_control
        Cells with fewer persons of the cohort or the comparison group observed in both periods are not
        estimated (NaN), nor those whose score fit fails.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> G = rng.choice([3.0, 5.0, np.inf], size=900)
    >>> Y = rng.normal(size=(900, 8)) + (np.arange(8) >= G[:, None]) * 1.0
    >>> gt = group_time_att(Y, G, method="reg", window=(-2, 2))
    >>> round(float(gt.cells.loc[gt.cells.e == 0, "att"].mean()), 0)
    1.0
    """
    n, T = Y.shape
    periods = np.arange(T) if periods is None else np.asarray(periods)
    col = {int(p): j for j, p in enumerate(periods)}
    G = np.asarray(G, dtype=float)
    X = np.ones((n, 1)) if X is None else np.asarray(X, dtype=float)
    Y = np.asfortranarray(Y, dtype=float)  # every cell reads two columns of it
    observed = np.asfortranarray(~np.isnan(Y))
    rows = []
    scores = _ScoreCache()
    cells = _cells_to_estimate(G, periods, window, base_period, anticipation)
    psi = np.empty((n, len(cells)), order="F")  # filled column by column: no second copy by stacking
    for k, (g, t, base) in enumerate(cells):
        row, psi[:, k] = _estimate_cell(
            Y, G, X, observed, col, (g, t, base), control, anticipation, method, (min_treated, min_control), scores
        )
        rows.append(row)
    return _group_time_result(rows, psi, n, G, method, control, base_period)


@dataclass
class _ScoreCache:
    """The last fitted score (a cell with the same cohort and sample reuses it: a complete panel's cells of
    one cohort all have the same sample) and each cohort's last coefficients, which start the next fit:
    a sample that differs by the few persons missing a month needs one or two Newton steps, not six.
    Only one score is kept: the cells run cohort by cohort, and a million persons' score is 8 MB."""

    key: bytes = b""
    score: np.ndarray | None = None
    starts: dict[tuple[int, bytes], np.ndarray] = field(default_factory=dict)

    def fit(self, g: int, sample: np.ndarray, cols: np.ndarray, d: np.ndarray, X: np.ndarray, method: str):
        key = g.to_bytes(8, "little", signed=True) + np.packbits(sample).tobytes() + cols.tobytes()
        if key != self.key or self.score is None:
            near = (g, cols.tobytes())
            self.score, coef = fit_score_coefficients(d, X, None, method, self.starts.get(near))
            self.key, self.starts[near] = key, coef
        return self.score


def _estimate_cell(
    Y: np.ndarray,
    G: np.ndarray,
    X: np.ndarray,
    observed: np.ndarray,
    col: dict[int, int],
    cell: tuple,
    control: str,
    anticipation: int,
    method: str,
    minimum: tuple[int, int],
    scores: _ScoreCache,
) -> tuple[dict, np.ndarray]:
    """One ATT(g, t) against base period: its table row and its influence function over all persons."""
    g, t, base = cell
    n = len(G)
    treated = g == G
    ok = observed[:, col[t]] & observed[:, col[base]]
    sample = ok & (treated | _controls(G, g, t, base, control, anticipation))
    X_sample = X[sample]
    rows_ok, cols_ok = _on_support(X_sample, treated[sample])
    sample[np.flatnonzero(sample)[~rows_ok]] = False
    n1, n0 = int((sample & treated).sum()), int((sample & ~treated).sum())
    row = {"g": g, "t": t, "e": t - g, "base": base, "n_treated": n1, "n_control": n0}
    row["n_off_support"] = int((~rows_ok).sum())
    psi_full = np.zeros(n)
    if n1 < minimum[0] or n0 < minimum[1]:
        return {**row, "att": np.nan, "reference": t == base, "skipped": "too_few"}, np.full(n, np.nan)
    if t == base:  # the reference period of the universal base: zero by construction
        row.update(att=0.0, reference=True, **_means(Y, sample, treated, col[t], col[base], None))
        return row, psi_full
    dy = Y[sample, col[t]] - Y[sample, col[base]]
    d = treated[sample].astype(float)
    Xs = X_sample[rows_ok][:, cols_ok] if not rows_ok.all() or not cols_ok.all() else X_sample
    try:
        score = None if method == "reg" else scores.fit(int(g), sample, cols_ok, d, Xs, method)
        att, psi = did_panel(dy, d, Xs, method=method, pscore=score)
        w0 = control_weights(d, Xs, method, pscore=score)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return {**row, "att": np.nan, "skipped": "failed"}, np.full(n, np.nan)
    psi_full[sample] = psi * n / int(sample.sum())
    row.update(att=att, reference=False, **_means(Y, sample, treated, col[t], col[base], w0))
    return row, psi_full


def _group_time_result(
    rows: list[dict], psi_mat: np.ndarray, n: int, G: np.ndarray, method: str, control: str, base_period: str
) -> GroupTime:
    """The cells as a table with standard errors from their influence functions, and the sample counts."""
    cells = pd.DataFrame(rows)
    if len(cells):
        cells["reference"] = [bool(r.get("reference", False)) for r in rows]
    gt = GroupTime(cells, psi_mat, G, method, control, base_period)
    if len(cells):
        cells["se"] = gt.se(psi_mat)
    gt.counts = {
        "persons": n,
        "participants": int(np.isfinite(G).sum()),
        "never_participants": int((~np.isfinite(G)).sum()),
        "cohorts": int(len(np.unique(G[np.isfinite(G)]))),
    }
    return gt


def _means(Y, sample, treated, jt, jb, w0) -> dict[str, float]:
    """Participants' mean at ``t`` and at the base period, and the comparison group's (weighted and not)."""
    t1, c0 = sample & treated, sample & ~treated
    out = {
        "mean_treated": float(Y[t1, jt].mean()),
        "mean_treated_base": float(Y[t1, jb].mean()),
        "mean_control": float(Y[c0, jt].mean()),
        "mean_control_base": float(Y[c0, jb].mean()),
    }
    if w0 is None:
        out["mean_control_w"], out["mean_control_w_base"] = out["mean_control"], out["mean_control_base"]
    else:
        wc = w0[~treated[sample]]
        out["mean_control_w"] = float(wc @ Y[c0, jt] / wc.sum())
        out["mean_control_w_base"] = float(wc @ Y[c0, jb] / wc.sum())
    return out


# --------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------


def _weight_influence(cohort_of_cell: np.ndarray, pg: np.ndarray, G: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``wif @ a``: the influence of the estimated cohort shares ``pg`` in weights ``pg_k / sum(pg)`` (R
    ``did``'s ``wif``), times the cells' estimates ``a``, without the persons x cells matrix ``wif``
    (at a million persons and hundreds of cells it would take gigabytes).

    ``wif[i, k] = ind[i, k] / s - sum_l ind[i, l] * pg_k / s**2`` with ``ind[i, k] = 1{G_i = g_k} - pg_k``
    and ``s = sum(pg)``; a person's row of ``ind`` depends only on their cohort.
    """
    s = pg.sum()
    cohorts, of_cell = np.unique(cohort_of_cell, return_inverse=True)
    sum_a = np.bincount(of_cell, weights=a, minlength=len(cohorts))  # sum of a over a cohort's cells
    count = np.bincount(of_cell, minlength=len(cohorts)).astype(float)
    pos = np.clip(np.searchsorted(cohorts, G), 0, len(cohorts) - 1)
    match = cohorts[pos] == G
    ind_a = np.where(match, sum_a[pos], 0.0) - pg @ a  # ind @ a
    ind_sum = np.where(match, count[pos], 0.0) - s  # ind.sum(axis=1)
    return ind_a / s - ind_sum * (pg @ a) / s**2


def aggregate(gt: GroupTime, keep: np.ndarray, with_wif: bool = True) -> tuple[float, np.ndarray]:
    """Cohort-size weighted mean of the cells in ``keep`` and its influence function."""
    c = gt.cells
    att = c["att"].to_numpy(float)
    g_cell = c["g"].to_numpy(float)
    pg_of = {g: float(np.mean(gt.cohorts == g)) for g in np.unique(g_cell)}
    pg = np.array([pg_of[g] for g in g_cell])
    idx = np.flatnonzero(keep)
    w = pg[idx] / pg[idx].sum()
    psi = np.zeros(gt.n)
    for k, wk in zip(idx, w, strict=True):  # column by column: a selection of hundreds of columns is a copy
        psi += wk * gt.influence[:, k]
    if with_wif:
        psi = psi + _weight_influence(g_cell[idx], pg[idx], gt.cohorts, att[idx])
    return float(att[idx] @ w), psi


def _usable(c: pd.DataFrame) -> np.ndarray:
    return c["att"].notna().to_numpy()


def event_time(gt: GroupTime) -> tuple[pd.DataFrame, np.ndarray]:
    """Dynamic aggregation: ``theta(e)`` for every event time with at least one estimated cell."""
    c = gt.cells
    ok = _usable(c)
    rows, cols = [], []
    for e in sorted(c.loc[ok, "e"].unique()):
        keep = ok & (c["e"].to_numpy() == e)
        est, psi = aggregate(gt, keep)
        sub = c[keep]
        pg = np.array([np.mean(gt.cohorts == g) for g in sub["g"]])
        w = pg / pg.sum()
        reference = bool(sub["reference"].all())
        rows.append(
            {
                "e": int(e),
                "estimate": est,
                "se": 0.0 if reference else float(gt.se(psi)[0]),
                "cohorts": int(keep.sum()),
                "n_treated": int(sub["n_treated"].sum()),
                "n_control": int(sub["n_control"].max()),
                "mean_treated": float(w @ sub["mean_treated"]),
                "mean_control": float(w @ sub["mean_control"]),
                "comparison_weighted": float(w @ sub["mean_control_w"]),
                "reference": reference,
            }
        )
        cols.append(psi)
    tab = pd.DataFrame(rows).set_index("e") if rows else pd.DataFrame()
    if len(tab):
        tab["counterfactual"] = tab["mean_treated"] - tab["estimate"]
    return tab, (np.column_stack(cols) if cols else np.zeros((gt.n, 0)))


def by_cohort(gt: GroupTime) -> tuple[pd.DataFrame, np.ndarray]:
    """``theta(g)``: each cohort's mean post-start effect (equal weights over its periods)."""
    c = gt.cells
    ok = _usable(c) & (c["e"].to_numpy() >= 0)
    rows, cols = [], []
    for g in sorted(c.loc[ok, "g"].unique()):
        keep = ok & (c["g"].to_numpy() == g)
        est, psi = aggregate(gt, keep, with_wif=False)
        rows.append({"g": int(g), "estimate": est, "se": float(gt.se(psi)[0]), "periods": int(keep.sum())})
        rows[-1]["n_treated"] = int(np.sum(gt.cohorts == g))
        cols.append(psi)
    tab = pd.DataFrame(rows).set_index("g") if rows else pd.DataFrame()
    return tab, (np.column_stack(cols) if cols else np.zeros((gt.n, 0)))


def overall(gt: GroupTime) -> dict[str, dict[str, float]]:
    """The three overall summaries (``simple``, ``dynamic``, ``group``) with standard errors."""
    c = gt.cells
    out: dict[str, dict[str, float]] = {}
    post = _usable(c) & (c["e"].to_numpy() >= 0)
    if not post.any():
        return out
    est, psi = aggregate(gt, post)
    out["simple"] = {"estimate": est, "se": float(gt.se(psi)[0])}
    ev, psi_e = event_time(gt)
    pos = ev.index.to_numpy() >= 0
    out["dynamic"] = {"estimate": float(ev["estimate"][pos].mean()), "se": float(gt.se(psi_e[:, pos].mean(axis=1))[0])}
    gr, psi_g = by_cohort(gt)
    pg = np.array([np.mean(gt.cohorts == g) for g in gr.index])
    theta = gr["estimate"].to_numpy()
    s = pg.sum()
    psi_group = psi_g @ (pg / s) + _weight_influence(gr.index.to_numpy(float), pg, gt.cohorts, theta)
    out["group"] = {"estimate": float(theta @ pg / s), "se": float(gt.se(psi_group)[0])}
    for v in out.values():
        v["lower"], v["upper"] = v["estimate"] - Z975 * v["se"], v["estimate"] + Z975 * v["se"]
    return out


def mammen(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Mammen's two-point multiplier weights (mean 0, variance 1, third moment 1)."""
    s5 = np.sqrt(5.0)
    lo, hi = (1 - s5) / 2, (1 + s5) / 2
    return np.where(rng.random(size) < (s5 + 1) / (2 * s5), lo, hi)


def sup_t_critical(
    psi: np.ndarray, se: np.ndarray, alpha: float = 0.05, draws: int = 999, seed: int = 20260101, block: int = 100
) -> float:
    """Critical value of the simultaneous band ``estimate +- c * se`` over the columns of ``psi``.

    ``c`` is the ``1 - alpha`` quantile of ``max_k |mean(v psi_k)| / se_k`` over multiplier draws ``v``
    (Mammen weights), columns with a zero standard error left out.
    """
    n = psi.shape[0]
    use = se > 0
    if not use.any():
        return Z975
    P, s = psi[:, use], se[use]
    rng = np.random.default_rng(seed)
    sup = np.empty(draws)
    # the draws are the same whatever the block (rng.random fills row after row); at a million
    # persons 100 rows of weights are 800 MB, so a block holds at most 20 million weights
    block = max(1, min(block, 20_000_000 // max(n, 1)))
    for b in range(0, draws, block):
        m = min(block, draws - b)
        V = mammen(rng, (m, n))
        sup[b : b + m] = np.max(np.abs(V @ P / n) / s[None, :], axis=1)
    return float(np.quantile(sup, 1 - alpha))
