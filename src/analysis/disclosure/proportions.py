"""Shares with Wilson intervals, and distributions of a category by group.

:class:`Distribution` is the workhorse behind the participant and
outcome tables: counts -> disclosure control -> shares with intervals ->
display frame / figure / JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.disclosure.intervals import share_table
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    SECONDARY_MARKER,
    TOTAL,
    ProtectedTable,
    plot_groups,
    primary_marker,
    protect_counts,
    protect_shares,
)

# --------------------------------------------------------------------------
# formatting helpers shared by the summaries
# --------------------------------------------------------------------------


def fmt_pct(x: float | None, lang: str = "sv") -> str:
    """A share as a percentage with one decimal (decimal comma in Swedish); hidden -> "–"."""
    if x is None or not np.isfinite(x):
        return "–"
    s = f"{100 * x:.1f}"
    return s.replace(".", ",") if lang == "sv" else s


def fmt_ci(lo: float | None, hi: float | None, lang: str = "sv") -> str:
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return "–"
    sep = "–"
    return f"{fmt_pct(lo, lang)}{sep}{fmt_pct(hi, lang)}"


def label_for(prefix: str | None, lang: str) -> Callable[[object], str]:
    """A translator for category codes: ``t(f"{prefix}_{code}")`` when that key exists."""
    from analysis.project.i18n import t, table

    def lab(code: object) -> str:
        if code == TOTAL:
            return t("total", lang)
        if prefix is not None and f"{prefix}_{code}" in table():
            return t(f"{prefix}_{code}", lang)
        if code == "__missing__":
            return t("missing", lang)
        return str(code)

    return lab


MISSING = "__missing__"


# --------------------------------------------------------------------------
# Distribution: a category (rows) by group (columns)
# --------------------------------------------------------------------------


@dataclass
class Distribution:
    """Counts and within-group shares of one categorical variable.

    Attributes
    ----------
    variable, by : str
        Column described and grouping column (``None``: one group "all").
    table : DataFrame
        Tidy: ``category, group, count, n, share, lower, upper`` (true values; not for publishing).
    protected : ProtectedTable
        Counts (categories x groups with margins) after disclosure control.
    label_prefix, group_prefix : str
        i18n key prefixes for category and group codes.
    title_key : str
        i18n key of a caption.
    """

    variable: str
    by: str | None
    table: pd.DataFrame
    protected: ProtectedTable
    label_prefix: str | None = None
    group_prefix: str | None = None
    title_key: str | None = None
    population: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def min_cell(self) -> int:
        return self.protected.min_cell

    def safe_table(self) -> pd.DataFrame:
        """The tidy table with hidden counts, shares and intervals set to NaN."""
        col = None if self.by is None else "group"
        tab = self.table.copy()
        if self.by is None:
            tab = tab.drop(columns="group")
        return protect_shares(tab, self.protected, row="category", col=col)

    def caption(self, lang: str = "sv") -> str | None:
        from analysis.project.i18n import t

        return t(self.title_key, lang) if self.title_key else None

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        """Display frame: per group a column ``N`` and a column ``%`` (one decimal)."""
        from analysis.project.i18n import t

        lab = label_for(self.label_prefix, lang)
        glab = label_for(self.group_prefix, lang)
        disp = self.protected.display
        safe = self.safe_table()
        cats = list(self.protected.counts.index)
        groups = ["count"] if self.by is None else list(self.protected.counts.columns)
        cols = {}
        for g in groups:
            gname = t("total", lang) if g == TOTAL else (glab(g) if self.by is not None else None)
            n_col = t("n", lang) if gname is None else f"{gname}: {t('n', lang)}"
            p_col = "%" if gname is None else f"{gname}: %"
            cols[n_col] = [disp.loc[c, g] for c in cats]
            pcts = []
            for c in cats:
                if c == TOTAL:
                    pcts.append("100,0" if lang == "sv" else "100.0") if disp.loc[TOTAL, g] not in (
                        SECONDARY_MARKER,
                        primary_marker(self.min_cell),
                    ) and self.protected.counts.loc[TOTAL, g] > 0 else pcts.append("–")
                    continue
                if g == TOTAL:
                    row = self._total_share(c)
                else:
                    row = safe[(safe["category"] == c) & ((safe["group"] == g) if self.by is not None else True)]
                    row = None if row.empty else row.iloc[0]["share"]
                pcts.append(fmt_pct(row, lang))
            cols[p_col] = pcts
        out = pd.DataFrame(cols, index=[lab(c) for c in cats])
        out.index.name = ""
        return out

    def _total_share(self, cat) -> float | None:
        pt = self.protected
        if pt.hidden.loc[cat, TOTAL] or pt.hidden.loc[TOTAL, TOTAL] or pt.counts.loc[TOTAL, TOTAL] == 0:
            return None
        return pt.counts.loc[cat, TOTAL] / pt.counts.loc[TOTAL, TOTAL]

    def note(self, lang: str = "sv") -> str | None:
        return self.protected.note(lang)

    def plot(self, lang: str = "sv", ax=None):
        """Horizontal bars of shares with Wilson intervals; small groups/cells left out with a note."""
        import matplotlib.pyplot as plt

        from analysis.project.style import set_style

        set_style()
        lab = label_for(self.label_prefix, lang)
        glab = label_for(self.group_prefix, lang)
        safe = self.safe_table()
        safe = safe[safe["category"] != TOTAL]
        if self.by is None:
            safe = safe.assign(group="all")
        n_by_group = self.table.groupby("group")["n"].first()
        pg = plot_groups(n_by_group, self.min_cell)
        safe = safe[safe["group"].isin(pg.keep) & safe["share"].notna()]
        fig = ax.figure if ax is not None else plt.figure(figsize=(7.5, 0.35 * max(4, len(safe)) + 1.2))
        ax = ax or fig.add_subplot()
        if safe.empty:
            ax.text(0.5, 0.5, _t("tab_nothing_to_plot", lang, min_cell=self.min_cell), ha="center", va="center")
            ax.set_axis_off()
            return fig
        safe = safe.assign(
            cat_label=safe["category"].map(lab),
            group_label=safe["group"].map(glab),
            pct=100 * safe["share"],
            lo=100 * safe["lower"],
            hi=100 * safe["upper"],
        )
        groups = list(dict.fromkeys(safe["group_label"]))
        cats = list(dict.fromkeys(safe["cat_label"]))
        height = 0.8 / len(groups)
        for gi, g in enumerate(groups):
            sub = safe[safe["group_label"] == g].set_index("cat_label").reindex(cats)
            y = np.arange(len(cats)) + gi * height - 0.4 + height / 2
            ax.barh(y, sub["pct"], height=height * 0.95, label=g if self.by is not None else None)
            err = [np.clip(sub["pct"] - sub["lo"], 0, None), np.clip(sub["hi"] - sub["pct"], 0, None)]
            ax.errorbar(sub["pct"], y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.set_yticks(np.arange(len(cats)), cats)
        ax.invert_yaxis()
        ax.set_xlabel(_t("tab_axis_percent", lang))
        ax.set_xlim(0, 100)
        if self.by is not None:
            ax.legend(frameon=False, fontsize=9)
        notes = [n for n in (pg.note(lang), self.note(lang)) if n]
        if notes:
            fig.text(0.01, 0.0, "\n".join(notes), fontsize=7, va="top", wrap=True)
        fig.tight_layout()
        return fig

    def to_results(self) -> dict:
        """JSON-ready, suppression-safe: hidden values are null with ``suppressed: true``."""
        safe = self.safe_table()
        if self.by is None:
            safe = safe.assign(group="all")
        groups = []
        display = self.protected.display  # what the report shows: a number, "<5" or ".."
        for g, sub in safe.groupby("group", sort=False):
            col = "count" if self.by is None else g
            n_hidden = bool(self.protected.hidden.loc[TOTAL, col])
            n_val = None if n_hidden else int(self.protected.counts.loc[TOTAL, col])
            cats = []
            for _, r in sub.iterrows():
                if r["category"] == TOTAL:
                    continue
                entry = {
                    "category": str(r["category"]),
                    "count": None if r["suppressed"] else int(r["count"]),
                    "share": _f(r["share"]),
                    "lower": _f(r["lower"]),
                    "upper": _f(r["upper"]),
                    "suppressed": bool(r["suppressed"]),
                }
                if r["suppressed"]:  # the marker the report shows instead (readers of the HTML know it too)
                    entry["shown"] = str(display.loc[r["category"], col])
                cats.append(entry)
            group = {
                "group": "total" if g == TOTAL else str(g),
                "n": n_val,
                "n_suppressed": n_hidden,
                "categories": cats,
            }
            if n_hidden:
                group["n_shown"] = str(display.loc[TOTAL, col])
            groups.append(group)
        return {
            "variable": self.variable,
            "by": self.by,
            "population": self.population,
            "min_cell": self.min_cell,
            "groups": groups,
        }


def _f(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _t(key, lang, **kw):
    from analysis.project.i18n import t

    return t(key, lang, **kw)


def distribution(
    df: pd.DataFrame,
    variable: str,
    by: str | None = None,
    *,
    categories: Sequence | None = None,
    groups: Sequence | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    label_prefix: str | None = None,
    group_prefix: str | None = None,
    title_key: str | None = None,
    population: str | None = None,
    missing: bool = True,
    alpha: float = 0.05,
) -> Distribution:
    """Count ``variable`` (rows) by ``by`` (columns) and compute within-group shares.

    Parameters
    ----------
    df
        One row per person.
    categories, groups
        Fixed order (and completeness: absent categories appear with 0).
        Values not listed are kept after the listed ones.
    missing
        Count missing values as a category ``"__missing__"`` (label "Uppgift saknas");
        without it they are left out of the denominator.
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
    seen = list(pd.unique(values))
    cats = list(categories) if categories is not None else sorted(seen, key=str)
    cats += [c for c in seen if c not in cats and c != MISSING]
    if MISSING in seen and MISSING not in cats:
        cats.append(MISSING)
    if by is None:
        gcols = ["count"]
    else:
        gseen = list(pd.unique(grp))
        gcols = list(groups) if groups is not None else sorted(gseen, key=str)
        gcols += [g for g in gseen if g not in gcols]
    # plain groupby + reindex: pd.crosstab on categoricals mislabels sparse tables
    sizes = pd.DataFrame({"v": values.to_numpy(), "g": grp.to_numpy()}).groupby(["v", "g"]).size()
    counts = pd.DataFrame(
        0, index=pd.Index(cats, dtype="object"), columns=pd.Index(gcols, dtype="object"), dtype="int64"
    )
    for (v, g_), k in sizes.items():
        counts.loc[v, g_] = int(k)
    if by is None:
        prot = protect_counts(counts["count"], min_cell)
    else:
        prot = protect_counts(counts, min_cell)
    full = prot.counts
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
    tidy = pd.DataFrame(rows)
    return Distribution(variable, by, tidy, prot, label_prefix, group_prefix, title_key, population)


@dataclass
class BinaryShares:
    """A yes/no outcome by group: n, successes, share, Wilson interval, disclosure-checked."""

    name: str
    by: str | None
    table: pd.DataFrame  # group, n, successes, share, lower, upper, suppressed, n_suppressed
    min_cell: int
    group_prefix: str | None = None
    title_key: str | None = None

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.project.i18n import t

        glab = label_for(self.group_prefix, lang)
        out = pd.DataFrame(
            {
                t("n", lang): list(self.table["n_display"]),
                "%": [fmt_pct(None if r.suppressed else r.share, lang) for r in self.table.itertuples()],
                t("ci95", lang): [
                    fmt_ci(*((None, None) if r.suppressed else (r.lower, r.upper)), lang)
                    for r in self.table.itertuples()
                ],
            },
            index=[glab(g) if g != "all" else t("total", lang) for g in self.table["group"]],
        )
        return out

    def to_results(self) -> dict:
        rows = []
        for r in self.table.itertuples():
            rows.append(
                {
                    "group": str(r.group),
                    "n": None if r.n_suppressed else int(r.n),
                    "successes": None if r.suppressed else int(r.successes),
                    "share": None if r.suppressed else _f(r.share),
                    "lower": None if r.suppressed else _f(r.lower),
                    "upper": None if r.suppressed else _f(r.upper),
                    "suppressed": bool(r.suppressed),
                }
            )
        return {"name": self.name, "by": self.by, "min_cell": self.min_cell, "groups": rows}


def binary_shares(
    success: pd.Series,
    by: pd.Series | None = None,
    *,
    name: str = "share",
    min_cell: int = DEFAULT_MIN_CELL,
    groups: Sequence | None = None,
    group_prefix: str | None = None,
    title_key: str | None = None,
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
    if counts.shape[1] == 0:
        counts = pd.DataFrame({"all": [0, 0]}, index=["yes", "no"])
        gcols = ["all"]
    prot = protect_counts(counts, min_cell)
    hid = prot.hidden
    cols = gcols if by is None else gcols + [TOTAL]
    full = prot.counts
    st = share_table(full.loc["yes", cols].to_numpy(), full.loc[TOTAL, cols].to_numpy())
    st.insert(0, "group", ["all" if by is None else ("all" if c == TOTAL else c) for c in cols])
    st["n_suppressed"] = [bool(hid.loc[TOTAL, c]) for c in cols]
    st["n_display"] = [prot.display.loc[TOTAL, c] for c in cols]
    st["suppressed"] = [
        bool(hid.loc["yes", c] or hid.loc["no", c] or hid.loc[TOTAL, c]) or full.loc[TOTAL, c] == 0 for c in cols
    ]
    return BinaryShares(
        name, None if by is None else by.name, st.reset_index(drop=True), min_cell, group_prefix, title_key
    )
