"""Disclosure control: the one place where published counts are protected.

Every table that reaches the report or ``results.json`` goes through
:func:`protect_counts` (or :func:`protect_linked` for hierarchical counts such
as the participant flow), and every plotted group through :func:`plot_groups`.

Rules
-----
Primary suppression
    A cell (interior or total) with ``0 < count < min_cell`` is shown as
    ``"<5"`` (``f"<{min_cell}"``).
Zeros
    Zeros are published as ``"0"`` by default: an empty cell describes nobody.
    They are never used as complementary cells, because a hidden zero can be
    pinned by non-negativity. ``protect_zeros=True`` treats zeros as primary
    cells instead (for tables where "nobody" is itself sensitive).
Secondary suppression
    A cell hidden only so that a primary cell cannot be recovered from the
    totals is shown as :data:`SECONDARY_MARKER` (``".."``, the Swedish official
    statistics sign for "not shown"). Every additive line (a row with its
    total, a column with its total, the totals row and totals column) that
    holds a hidden cell must hold at least two; the smallest other non-zero
    cell (interior before total) is added until a fixed point. Then a
    linear-programming audit bounds every hidden cell subject to all published
    cells and line sums, with what the markers reveal (``"<5"`` means 1..4,
    ``".."`` means at least ``min_cell``); a cell whose minimum equals its
    maximum gets another complement, and the loop repeats.
Shares
    A share is published only when both its numerator and denominator cell
    are published (:func:`protect_shares`); a binary share ``k / n`` is
    treated as the table ``[k, n - k]`` with total ``n`` (:func:`protect_share`),
    so a share cannot reveal a small complement either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SECONDARY_MARKER = ".."
DEFAULT_MIN_CELL = 5
TOTAL = "__total__"  # label of margins in count frames; summaries translate it


def primary_marker(min_cell: int) -> str:
    return f"<{min_cell}"


# --------------------------------------------------------------------------
# core: values + additive lines
# --------------------------------------------------------------------------

Line = tuple[list[int], int]  # (interior cell indices, total cell index)


def _primary(values: np.ndarray, min_cell: int, protect_zeros: bool) -> np.ndarray:
    small = values < min_cell
    return small if protect_zeros else small & (values > 0)


def _bounds(
    values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, min_cell: int, protect_zeros: bool
) -> list[tuple[int, int | None]]:
    """What a reader knows about each hidden cell from its marker."""
    lo_primary = 0 if protect_zeros else 1
    out: list[tuple[int, int | None]] = []
    for i in np.flatnonzero(hidden):
        if primary[i]:
            out.append((lo_primary, min_cell - 1))
        else:
            out.append((min_cell, None))
    return out


def combination_range(
    values: Sequence[float] | np.ndarray,
    lines: Sequence[Line],
    hidden: Sequence[bool] | np.ndarray,
    primary: Sequence[bool] | np.ndarray,
    weights: dict[int, float],
    min_cell: int = DEFAULT_MIN_CELL,
    protect_zeros: bool = False,
) -> tuple[float, float]:
    """Smallest and largest value a reader can give ``sum(weights[c] * cell c)`` from the published table.

    Used to decide whether a number computed from a protected table (a sum of its cells) follows
    from what the table shows: then hiding it protects nothing.
    """
    from scipy.optimize import linprog

    vals = np.asarray(values, dtype=float)
    hid = np.asarray(hidden, dtype=bool)
    idx = np.flatnonzero(hid)
    known = sum(w * vals[c] for c, w in weights.items() if not hid[c])
    if idx.size == 0:
        return known, known
    pos = {int(c): k for k, c in enumerate(idx)}
    a_eq, b_eq = _line_equations(vals, lines, hid, idx)
    obj = np.zeros(idx.size)
    for c, w in weights.items():
        if hid[c]:
            obj[pos[c]] += w
    if not obj.any():
        return known, known
    bounds = _bounds(vals, hid, np.asarray(primary, dtype=bool), min_cell, protect_zeros)
    out = []
    for sign in (1.0, -1.0):
        r = linprog(
            sign * obj,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=np.array(b_eq) if b_eq else None,
            bounds=bounds,
            method="highs",
        )
        out.append((sign * r.fun if r.status == 0 else sign * np.inf) + known)
    return out[0], out[1]


def audit(
    values: Sequence[float] | np.ndarray,
    lines: Sequence[Line],
    hidden: Sequence[bool] | np.ndarray,
    primary: Sequence[bool] | np.ndarray | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    protect_zeros: bool = False,
) -> pd.DataFrame:
    """Linear-programming audit: the range each hidden cell can take.

    Parameters
    ----------
    values, lines
        Cell values and the additive lines (interior indices, total index).
    hidden, primary
        Masks of hidden cells and of those shown as ``"<min_cell"``.
        With ``primary=None`` only non-negativity is assumed.

    Returns
    -------
    DataFrame with one row per hidden cell: ``cell``, ``value``, ``min``, ``max``.
    """
    vals = np.asarray(values, dtype=float)
    hid = np.asarray(hidden, dtype=bool)
    idx = np.flatnonzero(hid)
    if idx.size == 0:
        return pd.DataFrame(columns=["cell", "value", "min", "max"])
    a_eq, b_eq = _line_equations(vals, lines, hid, idx)
    if primary is None:
        bounds: list[tuple[int, int | None]] = [(0, None)] * idx.size
    else:
        bounds = _bounds(vals, hid, np.asarray(primary, dtype=bool), min_cell, protect_zeros)
    rows = []
    for k, cell in enumerate(idx.tolist()):
        low, high = _cell_range(k, idx.size, a_eq, b_eq, bounds)
        rows.append({"cell": cell, "value": vals[cell], "min": low, "max": high})
    return pd.DataFrame(rows)


def _line_equations(
    vals: np.ndarray, lines: Sequence[Line], hid: np.ndarray, idx: np.ndarray
) -> tuple[list[np.ndarray], list[float]]:
    """Each additive line as an equation in the hidden cells (the shown cells moved to the right-hand side)."""
    pos: dict[int, int] = {int(c): k for k, c in enumerate(idx)}
    a_eq, b_eq = [], []
    for interior, total in lines:
        row = np.zeros(idx.size)
        rhs = 0.0
        for c, sign in [(c, 1.0) for c in interior] + [(total, -1.0)]:
            if hid[c]:
                row[pos[c]] += sign
            else:
                rhs -= sign * vals[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    return a_eq, b_eq


def _cell_range(k: int, n: int, a_eq: list, b_eq: list, bounds: list) -> tuple[float, float]:
    """The smallest and largest value hidden cell ``k`` can take (infinite when unbounded, NaN on failure)."""
    from scipy.optimize import linprog  # here, not at the top: the index page imports this module

    obj = np.zeros(n)
    obj[k] = 1.0
    res = []
    for sign in (1.0, -1.0):
        r = linprog(
            sign * obj,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=np.array(b_eq) if b_eq else None,
            bounds=bounds,
            method="highs",
        )
        if r.status == 3:  # unbounded
            res.append(-np.inf if sign > 0 else np.inf)
        elif r.status != 0:
            res.append(np.nan)
        else:
            res.append(sign * r.fun)
    return res[0], res[1]


def _complement(
    values: np.ndarray,
    hidden: np.ndarray,
    candidates: Sequence[int],
    totals: set[int],
    prefer: frozenset[int] = frozenset(),
    fixed: frozenset[int] = frozenset(),
    pinned_by_fixed: frozenset[int] = frozenset(),
) -> int | None:
    """The smallest visible non-zero cell among ``candidates``: preferred cells first, then interior cells.

    ``fixed`` cells are published in another table and cannot be hidden here; ``pinned_by_fixed``
    cells lie on a line whose other cells are all fixed and shown, so hiding them protects nothing.
    """
    best = None
    for c in candidates:
        if hidden[c] or values[c] <= 0 or c in fixed or c in pinned_by_fixed:
            continue
        key = (c not in prefer, c in totals, values[c], c)
        if best is None or key < best[0]:
            best = (key, c)
    return None if best is None else best[1]


def _pinned_by_fixed(lines: Sequence[Line], hidden: np.ndarray, fixed: frozenset[int]) -> frozenset[int]:
    """Cells on a line whose every other cell is fixed (shown elsewhere) and not hidden."""
    if not fixed:
        return frozenset()
    out = set()
    for interior, total in lines:
        cells = [*interior, total]
        for c in cells:
            if all(o in fixed and not hidden[o] for o in cells if o != c):
                out.add(c)
    return frozenset(out)


def _suppress(
    values: np.ndarray,
    lines: Sequence[Line],
    min_cell: int,
    protect_zeros: bool,
    prefer: frozenset[int] = frozenset(),
    force: frozenset[int] = frozenset(),
    fixed: frozenset[int] = frozenset(),
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Primary and hidden masks, and whether some hidden cell can still be worked out (nothing left to hide)."""
    primary = _primary(values, min_cell, protect_zeros)
    hidden = primary.copy()
    hidden[list(force)] = True  # hidden in another published table: hidden here too
    if not lines:
        return primary, hidden, False
    totals = {t for _, t in lines}
    useless = _pinned_by_fixed(lines, hidden, fixed)
    # A primary that cannot be pinned by anything (min_cell <= 2 and zeros shown) is skipped by the audit.
    pinned_by_marker = primary & ((min_cell - 1) == (0 if protect_zeros else 1))
    for _ in range(values.size + 1):
        # 1) every line: zero or at least two hidden cells (fixed point)
        changed = True
        while changed:
            changed = False
            for interior, total in lines:
                cells = list(interior) + [total]
                if int(hidden[cells].sum()) == 1:
                    c = _complement(values, hidden, cells, totals, prefer, fixed, useless)
                    if c is not None:
                        hidden[c] = True
                        changed = True
        # 2) LP audit with what the markers reveal
        report = audit(values, lines, hidden, primary, min_cell, protect_zeros)
        pinned = (
            report[(report["max"] - report["min"] < 1 - 1e-6) & ~pinned_by_marker[report["cell"].to_numpy(int)]]
            if len(report)
            else report
        )
        if pinned.empty:
            return primary, hidden, False
        cell = int(pinned.iloc[0]["cell"])
        near = sorted({c for interior, total in lines if cell in interior or cell == total for c in [*interior, total]})
        c = _complement(values, hidden, near, totals, prefer, fixed, useless)
        if c is None:
            c = _complement(values, hidden, range(values.size), totals, prefer, fixed, useless)
        if c is None:
            break  # everything that could be hidden is hidden, and a cell is still pinned (zeros around it)
        hidden[c] = True
    return primary, hidden, True


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


@dataclass
class ProtectedTable:
    """A count table after disclosure control.

    Attributes
    ----------
    counts : DataFrame
        The true counts with margins (row and column label ``TOTAL``). Never publish.
    primary, secondary : DataFrame of bool
        Cells shown as ``"<min_cell"`` and as ``SECONDARY_MARKER``.
    min_cell : int
    one_dimensional : bool
        True when built from a Series (single column ``"count"``).
    """

    counts: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    min_cell: int
    one_dimensional: bool = False
    margins: bool = True
    exposed: bool = False  # a hidden cell can still be worked out (zeros pin it): do not publish the table

    @property
    def hidden(self) -> pd.DataFrame:
        return self.primary | self.secondary

    @property
    def any_hidden(self) -> bool:
        return bool(self.hidden.to_numpy().any())

    @property
    def display(self) -> pd.DataFrame:
        """Published strings: counts, ``"<min_cell"`` or ``SECONDARY_MARKER``."""
        out = self.counts.astype("Int64").astype(str)
        out = out.mask(self.primary, primary_marker(self.min_cell))
        out = out.mask(self.secondary, SECONDARY_MARKER)
        return out

    def safe_counts(self) -> pd.DataFrame:
        """Counts with hidden cells as ``<NA>`` (nullable integers), for JSON."""
        return self.counts.astype("Int64").mask(self.hidden)

    def is_hidden(self, row, col=None) -> bool:
        col = "count" if col is None and self.one_dimensional else col
        return bool(self.hidden.loc[row, col])


def _lines_2d(n_rows: int, n_cols: int) -> list[Line]:
    """Additive lines of an (R+1) x (C+1) table with margins, flattened row-major."""
    w = n_cols + 1

    def ix(i, j):
        return i * w + j

    lines: list[Line] = []
    for i in range(n_rows + 1):  # every row incl. the totals row
        lines.append(([ix(i, j) for j in range(n_cols)], ix(i, n_cols)))
    for j in range(n_cols + 1):  # every column incl. the totals column
        lines.append(([ix(i, j) for i in range(n_rows)], ix(n_rows, j)))
    # a 1-column or 1-row table repeats lines; dedupe keeps the audit small
    seen, out = set(), []
    for interior, total in lines:
        key = (tuple(interior), total)
        if key not in seen:
            seen.add(key)
            out.append((interior, total))
    return out


def protect_counts(
    table: pd.Series | pd.DataFrame,
    min_cell: int = DEFAULT_MIN_CELL,
    margins: bool = True,
    protect_zeros: bool = False,
    total_column: pd.Series | None = None,
    total_row: pd.Series | None = None,
    prefer_rows: Sequence | None = None,
) -> ProtectedTable:
    """Protect a 1-D (Series) or 2-D (DataFrame) table of counts.

    Parameters
    ----------
    table
        Counts without totals. A Series becomes a one-column table ``"count"``.
    min_cell
        Smallest count that may be published.
    margins
        Add and protect row/column totals (label ``TOTAL``). Without margins
        only primary suppression applies: nothing can be subtracted.
    protect_zeros
        Treat zero cells as sensitive (hidden as ``"<min_cell"``).
    total_column
        The hidden mask (by row, totals row included) of the same counts published in another
        table: the overall distribution of which this table is a breakdown. The total column
        is then hidden exactly where that table hides it and never elsewhere, so the two
        tables together reveal no more than each alone (complementary cells are found inside).
    total_row
        The same for the totals row (by column label): the distribution of the column variable
        published in another table.
    prefer_rows
        Rows whose cells are complementary cells first (when the default choice leaves one exposed).

    Returns
    -------
    ProtectedTable
    """
    one_d = isinstance(table, pd.Series)
    frame = table.to_frame("count") if one_d else table.copy()
    frame = frame.fillna(0)
    if (frame.to_numpy() < 0).any():
        raise ValueError("counts must be non-negative")
    frame = frame.astype("int64")
    if margins:
        if not one_d:
            frame[TOTAL] = frame.sum(axis=1)
        frame.loc[TOTAL] = frame.sum(axis=0)
        n_rows = frame.shape[0] - 1
        n_cols = frame.shape[1] - (0 if one_d else 1)
        lines = [(list(range(n_rows)), n_rows)] if one_d else _lines_2d(n_rows, n_cols)
    else:
        lines = []
    values = frame.to_numpy(dtype=float).ravel()
    force, fixed = _linked_total(frame, total_column, total_row)
    prefer = _row_cells(frame, prefer_rows)
    primary, hidden, exposed = _suppress(values, lines, min_cell, protect_zeros, prefer, force=force, fixed=fixed)
    shape = frame.shape
    prim = pd.DataFrame(primary.reshape(shape), index=frame.index, columns=frame.columns)
    sec = pd.DataFrame((hidden & ~primary).reshape(shape), index=frame.index, columns=frame.columns)
    return ProtectedTable(frame, prim, sec, min_cell, one_d, margins, exposed)


def _row_cells(frame: pd.DataFrame, rows: Sequence | None) -> frozenset[int]:
    """Flat indices of the cells of ``rows``."""
    w, wanted = frame.shape[1], set(rows or ())
    return frozenset(i * w + j for i, row in enumerate(frame.index) if row in wanted for j in range(w))


def _linked_total(
    frame: pd.DataFrame, total_column: pd.Series | None, total_row: pd.Series | None
) -> tuple[frozenset[int], frozenset[int]]:
    """Flat indices of the margins' cells to hide (hidden elsewhere) and to keep (shown elsewhere)."""
    w = frame.shape[1]
    force: set[int] = set()
    fixed: set[int] = set()
    if total_column is not None and TOTAL in frame.columns:
        j = frame.columns.get_loc(TOTAL)
        for i, row in enumerate(frame.index):
            if row in total_column.index:
                (force if bool(total_column[row]) else fixed).add(i * w + j)
    if total_row is not None and TOTAL in frame.index:
        i = frame.index.get_loc(TOTAL)
        for j, col in enumerate(frame.columns):
            if col in total_row.index:
                (force if bool(total_row[col]) else fixed).add(i * w + j)
    return frozenset(force), frozenset(fixed - force)


@dataclass
class ProtectedCounts:
    """Named counts linked by additive relations (e.g. the participant flow)."""

    values: dict[str, int]
    primary: dict[str, bool]
    secondary: dict[str, bool]
    min_cell: int
    exposed: bool = False  # a hidden count can still be worked out: do not publish them

    @property
    def hidden(self) -> dict[str, bool]:
        return {k: self.primary[k] or self.secondary[k] for k in self.values}

    def safe(self) -> dict[str, int | None]:
        return {k: (None if self.hidden[k] else int(v)) for k, v in self.values.items()}

    def display(self) -> dict[str, str]:
        out = {}
        for k, v in self.values.items():
            out[k] = (
                primary_marker(self.min_cell)
                if self.primary[k]
                else SECONDARY_MARKER
                if self.secondary[k]
                else str(int(v))
            )
        return out


def protect_linked(
    values: dict[str, int],
    relations: Sequence[tuple[Sequence[str], str]],
    min_cell: int = DEFAULT_MIN_CELL,
    protect_zeros: bool = False,
    prefer: Sequence[str] = (),
    force: Sequence[str] = (),
    fixed: Sequence[str] = (),
) -> ProtectedCounts:
    """Protect named counts where ``sum(parts) == total`` for each relation.

    Every count that a reader could work out from the published ones by adding or
    subtracting must be listed with its relation: a participant flow
    (``active + exited = enrolled``), the persons an estimator used and left out
    (``used + left_out = participants``), the groups of a table and their total.

    Parameters
    ----------
    values
        Named counts (every one of them is published unless hidden here).
    relations
        ``(parts, total)`` pairs with ``sum(values[parts]) == values[total]``.
    prefer
        Counts to hide first when a complement is needed, e.g. one that is published
        nowhere else (hiding a count that another table shows would protect nothing).
    force
        Counts hidden in another published table: hidden here too (as complements),
        so that this table cannot undo that suppression.
    fixed
        Counts that cannot serve as complements: shown in another table, or never published
        (hiding them protects nothing); a reader is assumed to know them unless they are small.

    Example
    -------
    >>> pc = protect_linked({"used": 377, "left_out": 3, "all": 380}, [(["used", "left_out"], "all")])
    >>> pc.display()
    {'used': '..', 'left_out': '<5', 'all': '380'}
    """
    names = list(values)
    ix = {k: i for i, k in enumerate(names)}
    arr = np.array([values[k] for k in names], dtype=float)
    for parts, total in relations:
        if abs(sum(values[p] for p in parts) - values[total]) > 1e-9:
            raise ValueError(f"{' + '.join(parts)} != {total}")
    lines = [([ix[p] for p in parts], ix[total]) for parts, total in relations]
    sets = [frozenset(ix[p] for p in group) for group in (prefer, force, fixed)]
    primary, hidden, exposed = _suppress(arr, lines, min_cell, protect_zeros, *sets)
    return ProtectedCounts(
        {k: int(values[k]) for k in names},
        {k: bool(primary[ix[k]]) for k in names},
        {k: bool(hidden[ix[k]] and not primary[ix[k]]) for k in names},
        min_cell,
        exposed,
    )


REST = "__rest__"


def protect_subgroups(
    counts: dict[str, int], total: int, min_cell: int = DEFAULT_MIN_CELL, force: Sequence[str] = ()
) -> ProtectedCounts:
    """Protect the sizes of subgroups together with the size of the whole group.

    ``total - sum(counts)`` (persons in no listed subgroup, e.g. with the grouping
    variable missing) takes part as ``REST``. It is treated as if it were published
    (another table may well show it), so a hidden subgroup always gets a complement
    among the published counts.

    Example
    -------
    >>> pc = protect_subgroups({"2019": 150, "2020": 147, "2021": 3}, 300)
    >>> {k: v for k, v in pc.display().items() if k != REST}
    {'2019': '150', '2020': '..', '2021': '<5', 'total': '300'}
    """
    rest = int(total) - int(sum(counts.values()))
    if rest < 0:
        raise ValueError("subgroups larger than their total")
    values = {**{str(k): int(v) for k, v in counts.items()}, REST: rest, "total": int(total)}
    return protect_linked(values, [([*map(str, counts), REST], "total")], min_cell, force=force)


@dataclass
class ProtectedShare:
    """A binary share ``successes / n`` after disclosure control."""

    n: int
    successes: int
    share: float
    lower: float
    upper: float
    min_cell: int
    n_hidden: bool = False
    hidden: bool = False

    def to_results(self) -> dict:
        return {
            "n": None if self.n_hidden else int(self.n),
            "successes": None if self.hidden else int(self.successes),
            "share": None if self.hidden else _num(self.share),
            "lower": None if self.hidden else _num(self.lower),
            "upper": None if self.hidden else _num(self.upper),
            "suppressed": bool(self.hidden),
        }


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def protect_share(successes: int, n: int, min_cell: int = DEFAULT_MIN_CELL) -> ProtectedShare:
    """Protect one binary share as the table ``[successes, n - successes]`` with total ``n``.

    The share and its interval are hidden when the successes or the complement
    is a hidden cell; ``n`` is hidden only when it is itself small.
    """
    from analysis.disclosure.intervals import wilson_interval

    successes, n = int(successes), int(n)
    pt = protect_counts(pd.Series({"yes": successes, "no": n - successes}), min_cell)
    lo, hi = wilson_interval(successes, n)
    share = successes / n if n else np.nan
    n_hidden = pt.is_hidden(TOTAL)
    hidden = n == 0 or n_hidden or pt.is_hidden("yes") or pt.is_hidden("no")
    return ProtectedShare(n, successes, share, float(lo), float(hi), min_cell, n_hidden, bool(hidden))


def share_from_linked(pc: ProtectedCounts, successes: str, complement: str, total: str) -> ProtectedShare:
    """A :class:`ProtectedShare` whose cells were protected jointly by :func:`protect_linked`."""
    from analysis.disclosure.intervals import wilson_interval

    k, n = pc.values[successes], pc.values[total]
    lo, hi = wilson_interval(k, n)
    hid = pc.hidden
    return ProtectedShare(
        n,
        k,
        k / n if n else np.nan,
        float(lo),
        float(hi),
        pc.min_cell,
        hid[total],
        bool(n == 0 or hid[total] or hid[successes] or hid[complement]),
    )


def protect_shares(
    shares: pd.DataFrame,
    protected: ProtectedTable,
    row: str = "category",
    col: str | None = "group",
    denominator: str = "column",
    value_cols: Sequence[str] = ("count", "share", "lower", "upper"),
) -> pd.DataFrame:
    """Hide shares (and intervals) whose numerator or denominator cell is hidden.

    Parameters
    ----------
    shares
        Tidy frame, one row per cell, with the cell's row label in ``row`` and
        column label in ``col`` (``None`` for a 1-D table), and ``n``.
    protected
        The :class:`ProtectedTable` of the same counts.
    denominator
        ``"column"``: n is the column total (shares within each group);
        ``"row"``: the row total; ``"total"``: the grand total.

    Returns
    -------
    A copy with ``value_cols`` set to NaN where hidden and bool columns
    ``suppressed`` (cell hidden or its share not publishable) and ``n_suppressed``.
    """
    out = shares.copy()
    hid = protected.hidden
    cell_hidden, n_hidden = [], []
    for _, r in out.iterrows():
        c = "count" if col is None else r[col]
        cell = bool(hid.loc[r[row], c])
        if denominator == "column":
            den = bool(hid.loc[TOTAL, c])
        elif denominator == "row":
            den = bool(hid.loc[r[row], TOTAL if col is not None else "count"])
        else:
            den = bool(hid.loc[TOTAL, TOTAL if col is not None else "count"])
        cell_hidden.append(cell or den)
        n_hidden.append(den)
    out["suppressed"] = cell_hidden
    out["n_suppressed"] = n_hidden
    for c in value_cols:
        if c in out:
            out[c] = out[c].astype(float).mask(out["suppressed"])
    if "n" in out:
        out["n"] = out["n"].astype(float).mask(out["n_suppressed"])
    return out


@dataclass
class PlotGroups:
    """Which groups a plot may draw; ``dropped`` and ``merged`` are the ones left out or merged."""

    keep: list
    dropped: list = field(default_factory=list)
    merged: list = field(default_factory=list)
    merged_label: str | None = None


def plot_groups(counts: pd.Series, min_cell: int = DEFAULT_MIN_CELL, merge_label: str | None = None) -> PlotGroups:
    """Groups large enough to plot.

    Groups with fewer than ``min_cell`` persons are left out. With
    ``merge_label`` they are instead merged into one group of that name when
    the merged group reaches ``min_cell`` (and is not a single group).
    Zero-count groups are dropped silently (nothing to draw).
    """
    counts = counts[counts > 0]
    small = [g for g, v in counts.items() if v < min_cell]
    keep = [g for g, v in counts.items() if v >= min_cell]
    merged: list = []
    if merge_label is not None and len(small) >= 2 and counts[small].sum() >= min_cell:
        merged, small = small, []
    return PlotGroups(keep=keep, dropped=small, merged=merged, merged_label=merge_label if merged else None)
