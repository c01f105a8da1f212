"""Shares with Wilson intervals, and distributions of a category by group.

:class:`Distribution` is the workhorse behind the participant and outcome
tables: counts -> disclosure control -> shares with intervals -> one
:class:`~analysis.disclosure.published.PublishedTable` (numbers and codes; the
report translates and formats it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure.intervals import share_table
from analysis.disclosure.published import (
    TOTAL_CODE,
    Cell,
    Column,
    PublishedTable,
    code,
    count_cell,
    unless,
    value_cell,
)
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
    ProtectedTable,
    _lines_2d,
    combination_range,
    protect_counts,
    protect_shares,
)

MISSING = "__missing__"

SHARE_COLUMNS = (("count", "count", None), ("share", "share", None), ("ci", "interval", "share"))


def share_columns(group: str | None = None, interval_shown: bool = False) -> list[Column]:
    """The count, share and (by default unshown) interval columns of one group."""
    return [
        Column("count", "count", group),
        Column("share", "share", group, digits=1),
        Column("ci", "interval", group, digits=1, of="share", shown=interval_shown),
    ]


# --------------------------------------------------------------------------
# Distribution: a category (rows) by group (columns)
# --------------------------------------------------------------------------


@dataclass
class Distribution:
    """Counts and within-group shares of one categorical variable.

    Attributes
    ----------
    variable, by : str
        Column described and grouping column (``None``: one group).
    table : DataFrame
        Tidy: ``category, group, count, n, share, lower, upper`` (true values; not for publishing).
    protected : ProtectedTable
        Counts (categories x groups with margins) after disclosure control.
    rows_are, groups_are : str
        The vocabularies of the category and group codes (the report's labels).
    population : str
        Who is counted (``enrolled``, ``exited``, ``followed_up_6``).
    """

    variable: str
    by: str | None
    table: pd.DataFrame
    protected: ProtectedTable
    rows_are: str | None = None
    groups_are: str | None = None
    population: str | None = None

    @property
    def min_cell(self) -> int:
        return self.protected.min_cell

    @property
    def n(self) -> int:
        """Everyone counted (true value)."""
        return int(self.protected.counts.loc[TOTAL].iloc[-1])

    def safe_table(self) -> pd.DataFrame:
        """The tidy table with hidden counts, shares and intervals set to NaN."""
        col = None if self.by is None else "group"
        tab = self.table.copy()
        if self.by is None:
            tab = tab.drop(columns="group")
        return protect_shares(tab, self.protected, row="category", col=col)

    def _share_cells(self, cat, group) -> tuple[Cell, Cell]:
        """Share and interval of one cell: published when its count and its denominator are."""
        pt = self.protected
        n = pt.counts.loc[TOTAL, group]
        if n == 0:
            return Cell(), Cell()
        den_hidden = bool(pt.hidden.loc[TOTAL, group])
        if cat == TOTAL:
            return unless(den_hidden, 1.0), Cell()
        if self.by is not None and group == TOTAL:  # share of everyone, from the margins
            hidden = den_hidden or bool(pt.hidden.loc[cat, TOTAL])
            k = pt.counts.loc[cat, TOTAL]
        else:
            hidden = den_hidden or bool(pt.hidden.loc[cat, group])
            k = pt.counts.loc[cat, group]
        row = self.table[(self.table["category"] == cat) & (self.table["group"] == group)].iloc[0]
        if hidden:
            return unless(True, None), unless(True, None)
        return value_cell(k / n), value_cell([row["lower"], row["upper"]])

    def published(self) -> PublishedTable:
        """The table as it may be published: per category (and group) the count, share and interval."""
        pt = self.protected
        groups = ["count"] if self.by is None else list(pt.counts.columns)
        gcode = {g: (None if self.by is None else code(g)) for g in groups}
        columns = [c for g in groups for c in share_columns(gcode[g])]
        table = PublishedTable(
            self.variable, columns, rows_are=self.rows_are, groups_are=self.groups_are, min_cell=self.min_cell
        )
        table.withheld = pt.exposed
        for cat in pt.counts.index:
            cells: dict[str, Cell] = {}
            for g in groups:
                prefix = "" if gcode[g] is None else f"{gcode[g]}/"
                share, ci = self._share_cells(cat, g)
                cells[f"{prefix}count"] = count_cell(pt, cat, g)
                cells[f"{prefix}share"] = share
                cells[f"{prefix}ci"] = ci
            table.add_row(code(cat), cells)
        return table

    def to_results(self) -> dict:
        """The published table's ``results.json`` node with the population it counts."""
        return {"population": self.population, **self.published().to_results()}


def distribution(
    df: pd.DataFrame,
    variable: str,
    by: str | None = None,
    *,
    categories: Sequence | None = None,
    groups: Sequence | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    rows_are: str | None = None,
    groups_are: str | None = None,
    population: str | None = None,
    missing: bool = True,
    alpha: float = 0.05,
    total_column: pd.Series | None = None,
    total_row: pd.Series | None = None,
    prefer_rows: Sequence | None = None,
) -> Distribution:
    """Count ``variable`` (rows) by ``by`` (columns) and compute within-group shares.

    Parameters
    ----------
    df
        One row per person.
    categories, groups
        Fixed order (and completeness: absent categories appear with 0).
        Values not listed are kept after the listed ones.
    rows_are, groups_are
        Vocabularies of the category and group codes (default: the variable names).
    missing
        Count missing values as a category ``"__missing__"`` (label "Uppgift saknas");
        without it they are left out of the denominator.
    total_column, total_row
        Where the margins of this table are published in another table (the distribution of
        ``variable``, or of ``by``, among the same persons), that table's hidden mask by
        category: the margin is then hidden exactly where it is hidden there (see
        :func:`~analysis.disclosure.suppression.protect_counts`).
    prefer_rows
        Categories whose cells are complementary cells first (see ``protect_counts``).
    """
    values = df[variable].astype("object")
    if missing:
        values = values.where(values.notna(), MISSING)
    keep = values.notna()
    if by is None:
        grp = pd.Series("count", index=df.index)
    else:
        grp = df[by].astype("object").where(df[by].notna(), MISSING)
    values, grp = values[keep], grp[keep]
    cats, gcols = _category_order(values, categories), _group_order(grp, by, groups)
    # plain groupby + reindex: pd.crosstab on categoricals mislabels sparse tables
    sizes = pd.DataFrame({"v": values.to_numpy(), "g": grp.to_numpy()}).groupby(["v", "g"]).size()
    counts = pd.DataFrame(
        0, index=pd.Index(cats, dtype="object"), columns=pd.Index(gcols, dtype="object"), dtype="int64"
    )
    for (v, g_), k in sizes.items():
        counts.loc[v, g_] = int(k)
    linked: dict = {"total_column": total_column, "total_row": total_row, "prefer_rows": prefer_rows}
    prot = protect_counts(counts["count"], min_cell) if by is None else protect_counts(counts, min_cell, **linked)
    tidy = _tidy_shares(prot.counts, alpha)
    return Distribution(variable, by, tidy, prot, rows_are or variable, groups_are or by, population)


def _category_order(values: pd.Series, categories: Sequence | None) -> list:
    """The row order: the listed categories, then unlisted values seen, then the missing category last."""
    seen = list(pd.unique(values))
    cats = list(categories) if categories is not None else sorted(seen, key=str)
    cats += [c for c in seen if c not in cats and c != MISSING]
    if MISSING in seen and MISSING not in cats:
        cats.append(MISSING)
    return cats


def _group_order(grp: pd.Series, by: str | None, groups: Sequence | None) -> list:
    """The column order: one ``count`` column without ``by``, else the listed groups then unlisted ones seen."""
    if by is None:
        return ["count"]
    gseen = list(pd.unique(grp))
    gcols = list(groups) if groups is not None else sorted(gseen, key=str)
    gcols += [g for g in gseen if g not in gcols]
    return gcols


def _tidy_shares(full: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """One row per category and group of the protected counts, with the within-group share and its interval."""
    rows = []
    for g in full.columns:
        n = full.loc[TOTAL, g]
        k = full[g].to_numpy()
        st = share_table(k, np.full(k.shape, n), alpha=alpha)
        for c, (_, s) in zip(full.index, st.iterrows()):
            rows.append(
                {
                    "category": c,
                    "group": g,
                    "count": int(full.loc[c, g]),
                    "n": int(n),
                    "share": s["share"],
                    "lower": s["lower"],
                    "upper": s["upper"],
                }
            )
    return pd.DataFrame(rows)


@dataclass
class BinaryShares:
    """A yes/no outcome by group: n, successes, share, Wilson interval, disclosure-checked."""

    name: str
    by: str | None
    table: pd.DataFrame  # group, n, successes, share, lower, upper (true values)
    protected: ProtectedTable  # yes/no x groups with margins
    groups_are: str | None = None

    @property
    def min_cell(self) -> int:
        return self.protected.min_cell

    def published(self) -> PublishedTable:
        """Per group (and the total): N, the number with the outcome, the share and its interval."""
        pt = self.protected
        table = PublishedTable(
            self.name,
            [
                Column("n", "count"),
                Column("successes", "count"),
                Column("share", "share", digits=1),
                Column("ci", "interval", digits=1, of="share"),
            ],
            rows_are=self.groups_are,
            min_cell=self.min_cell,
        )
        table.withheld = pt.exposed  # protection failed (or its source table's did): not published
        for r in self.table.itertuples():
            col = r.column
            hidden = bool(pt.hidden.loc["yes", col] or pt.hidden.loc["no", col] or pt.hidden.loc[TOTAL, col])
            empty = pt.counts.loc[TOTAL, col] == 0
            table.add_row(
                TOTAL_CODE if r.group == "all" else code(r.group),
                {
                    "n": count_cell(pt, TOTAL, col),
                    "successes": count_cell(pt, "yes", col),
                    "share": Cell() if empty else unless(hidden, r.share),
                    "ci": Cell() if empty else unless(hidden, [r.lower, r.upper]),
                },
            )
        return table

    def to_results(self) -> dict:
        return {"by": self.by, **self.published().to_results()}


def binary_shares(
    success: pd.Series,
    by: pd.Series | None = None,
    *,
    name: str = "share",
    min_cell: int = DEFAULT_MIN_CELL,
    groups: Sequence | None = None,
    groups_are: str | None = None,
) -> BinaryShares:
    """Share of ``success`` (bool; NaN = not observed, dropped) overall and by group.

    Disclosure: the yes/no x group table with margins goes through
    :func:`protect_counts`; a share is published only when both its yes and no
    cells and its group total are published.
    """
    s = success.dropna().astype(bool)
    if by is None:
        g = pd.Series("all", index=s.index)
    else:
        g = by.reindex(s.index).astype("object").where(by.reindex(s.index).notna(), MISSING)
    gseen = list(pd.unique(g))
    gcols = list(groups) if groups is not None else sorted(gseen, key=str)
    gcols += [x for x in gseen if x not in gcols]
    counts = pd.DataFrame(
        {x: [int((s[g == x]).sum()), int((~s[g == x]).sum())] for x in gcols}, index=["yes", "no"], dtype="int64"
    )
    empty = counts.shape[1] == 0
    if empty:
        counts = pd.DataFrame({"all": [0, 0]}, index=["yes", "no"])
        gcols = ["all"]
    prot = protect_counts(counts, min_cell)
    cols = gcols if by is None else ([TOTAL] if empty else gcols + [TOTAL])
    full = prot.counts
    st = share_table(full.loc["yes", cols].to_numpy(), full.loc[TOTAL, cols].to_numpy())
    st.insert(0, "group", ["all" if by is None else ("all" if c == TOTAL else c) for c in cols])
    st.insert(1, "column", cols)
    return BinaryShares(
        name,
        None if by is None else by.name,
        st.reset_index(drop=True),
        prot,
        groups_are or (by.name if by is not None else None),
    )


def binary_from_distribution(
    dist: Distribution, successes: Sequence[str], unknown: Sequence[str], *, name: str, groups_are: str | None = None
) -> BinaryShares:
    """A yes/no share by group computed from an already protected distribution, never beside it.

    ``successes`` are the categories counted as yes, ``unknown`` those left out of the
    denominator (an unknown status is not a no). Every count is a sum or difference of the
    distribution's cells and is hidden when any of those is hidden, so the share table
    publishes nothing the distribution does not: protecting it on its own would choose other
    complementary cells, and the two tables together could pin a hidden cell (the
    report-wide audit in :mod:`analysis.disclosure.audit` finds such pairs).
    """
    pt = dist.protected
    counts = pt.counts
    cols = list(counts.columns)
    yes_rows = [c for c in counts.index if c in set(successes)]
    out_rows = [c for c in counts.index if c in set(unknown)]
    yes = counts.loc[yes_rows].sum(axis=0) if yes_rows else pd.Series(0, index=cols)
    n = counts.loc[TOTAL] - (counts.loc[out_rows].sum(axis=0) if out_rows else 0)
    values = pd.DataFrame([yes, n - yes, n], index=["yes", "no", TOTAL], columns=cols).astype("int64")
    yes_hidden = pd.Series({c: not _follows(pt, yes_rows, [], c) for c in cols})
    n_hidden = pd.Series({c: not _follows(pt, [TOTAL], out_rows, c) for c in cols})
    masks = pd.DataFrame([yes_hidden, yes_hidden | n_hidden, n_hidden], index=values.index, columns=cols)
    small = (values > 0) & (values < pt.min_cell)
    masks.loc["no"] |= small.loc["no"]  # a small "no" would show beside its share
    primary = masks & small
    primary.loc[TOTAL] |= small.loc[TOTAL]  # a small N is never printed, even where it is a difference
    secondary = masks & ~primary
    keep = [c for c in cols if c == TOTAL or values.loc[TOTAL, c] > 0 or masks.loc[TOTAL, c]]  # no rows of zeros
    prot = ProtectedTable(values[keep], primary[keep], secondary[keep], pt.min_cell, False, True, pt.exposed)
    st = share_table(values.loc["yes", keep].to_numpy(), values.loc[TOTAL, keep].to_numpy())
    st.insert(0, "group", ["all" if c == TOTAL else c for c in keep])
    st.insert(1, "column", keep)
    return BinaryShares(name, dist.by, st.reset_index(drop=True), prot, groups_are or dist.groups_are)


def _follows(pt: ProtectedTable, plus: Sequence, minus: Sequence, col: object) -> bool:
    """Whether sum(cells ``plus``) - sum(cells ``minus``) of column ``col`` follows from the published table."""
    if not any(pt.hidden.loc[r, col] for r in [*plus, *minus]):
        return True
    if not pt.margins:
        return False
    shape = pt.counts.shape
    n_rows = shape[0] - 1
    lines = [(list(range(n_rows)), n_rows)] if pt.one_dimensional else _lines_2d(n_rows, shape[1] - 1)
    j, w = pt.counts.columns.get_loc(col), shape[1]
    weights: dict[int, float] = {}
    for r, sign in [(r, 1.0) for r in plus] + [(r, -1.0) for r in minus]:
        k = pt.counts.index.get_loc(r) * w + j
        weights[k] = weights.get(k, 0.0) + sign
    lo, hi = combination_range(
        pt.counts.to_numpy(dtype=float).ravel(),
        lines,
        pt.hidden.to_numpy().ravel(),
        pt.primary.to_numpy().ravel(),
        weights,
        pt.min_cell,
    )
    return bool(hi - lo < 1e-6)
