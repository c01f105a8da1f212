"""Figures drawn from published tables only, in the report language.

A figure can show nothing that its table hides: every bar, point and interval
comes from a cell of a :class:`~analysis.disclosure.published.PublishedTable`;
a hidden cell is not drawn (or, for a distribution of answers, drawn together with
the other hidden cells as one grey segment whose size the table gives away anyway:
N minus the shown cells). A figure with nothing to draw is not made (``None``).
Numbers on the axes use the language's formatter.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from analysis.disclosure.published import PublishedTable
from analysis.report.format import formatter
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.style import PALETTE, diverging, set_style

HIDDEN_GREY = "#6b6b6b"  # hatched in white: not the grey of a scale's middle answer
HIDDEN_HATCH = "#ffffff"


def _bars(
    pt: PublishedTable, groups: Sequence[str | None]
) -> list[tuple[str | None, list[tuple[str, float, float, float]]]]:
    """Per group: (row, share, lower, upper) of every published share (the total row left out)."""
    out = []
    for g in groups:
        points = []
        for r in pt.rows:
            if r == "total":
                continue
            share, ci = pt.cell(r, "share", g), pt.cell(r, "ci", g)
            if share.value is None or pt.cell(r, "count", g).value == 0:
                continue  # hidden, or nobody in the row (the table leaves such rows out too)
            lo, hi = ci.value if ci.value is not None else (share.value, share.value)
            points.append((r, float(share.value), float(lo), float(hi)))
        if points:
            out.append((g, points))
    return out


def share_bars(pt: PublishedTable, lang: str, labels: Labels, ax=None, title: str | None = None):
    """Horizontal bars of the published shares with their Wilson intervals (one colour per group).

    Returns the figure, or None when no share of the table may be published.
    """
    set_style()
    groups: list[str | None] = [g for g in pt.groups if g != "total"] or [None]
    series = _bars(pt, groups)
    if not series:
        return None
    rows = [r for r in pt.rows if r != "total" and any(r == p[0] for _, pts in series for p in pts)]
    fig = ax.figure if ax is not None else plt.figure(figsize=(7.5, 0.35 * max(4, len(rows) * len(series)) + 1.2))
    ax = ax or fig.add_subplot()
    height = 0.8 / len(series)
    for gi, (g, points) in enumerate(series):
        at = {p[0]: p for p in points}
        y = np.array([rows.index(r) for r in at]) + gi * height - 0.4 + height / 2
        pct = np.array([100 * at[r][1] for r in at])
        lo = np.array([100 * at[r][2] for r in at])
        hi = np.array([100 * at[r][3] for r in at])
        label = labels(pt.groups_are, g) if g is not None else None
        ax.barh(y, pct, height=height * 0.95, label=label, color=PALETTE[gi % len(PALETTE)])
        ax.errorbar(
            pct,
            y,
            xerr=[np.clip(pct - lo, 0, None), np.clip(hi - pct, 0, None)],
            fmt="none",
            ecolor="black",
            elinewidth=0.8,
            capsize=2,
        )
    ax.set_yticks(np.arange(len(rows)), [labels(pt.rows_are, r) for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(t("tab_axis_percent", lang))
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(formatter(lang).tick("number"))
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def panels(tables: Sequence[tuple[str, PublishedTable]], lang: str, labels: Labels):
    """Several distributions side by side (status at exit and at each follow-up); None when none can be drawn."""
    drawable = [(title, pt) for title, pt in tables if _bars(pt, [g for g in pt.groups if g != "total"] or [None])]
    if not drawable:
        return None
    set_style()
    fig, axes = plt.subplots(1, len(drawable), figsize=(4.2 * len(drawable), 4.5), squeeze=False)
    for ax, (title, pt) in zip(axes[0], drawable):
        share_bars(pt, lang, labels, ax=ax, title=title)
    fig.tight_layout()
    return fig


def targets_figure(pt: PublishedTable, lang: str, labels: Labels):
    """Share targets: the published value with its interval against the threshold; None without share targets."""
    set_style()
    rows = [r for r in pt.rows if (pt.cell(r, "value").kind or "share") == "share"]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.6 * max(len(rows), 2) + 1.2))
    y = np.arange(len(rows))
    thresholds = [100 * float(pt.cell(r, "threshold").value) for r in rows]
    ax.scatter(thresholds, y, marker="|", s=400, color="black", label=t("tab_col_threshold", lang), zorder=3)
    shown = [(i, r) for i, r in enumerate(rows) if pt.cell(r, "value").value is not None]
    if shown:
        v = np.array([100 * pt.cell(r, "value").value for _, r in shown])
        ci = [pt.cell(r, "ci").value or [pt.cell(r, "value").value] * 2 for _, r in shown]
        lo, hi = np.array([100 * c[0] for c in ci]), np.array([100 * c[1] for c in ci])
        ax.errorbar(
            v,
            [i for i, _ in shown],
            xerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)],
            fmt="o",
            capsize=3,
            label=t("tab_col_value", lang),
            zorder=4,
        )
    ax.set_yticks(y, [labels(pt.rows_are, r) for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("tab_axis_percent", lang))
    ax.xaxis.set_major_formatter(formatter(lang).tick("number"))
    # under the axes: a legend inside would cover a target line or a point
    ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    if len(shown) < len(rows):
        fig.text(0.01, 0.0, t("tab_note_targets_not_plotted", lang), fontsize=9, va="top")
    fig.tight_layout()
    return fig


def answers_figure(pt: PublishedTable, scale_labels: list[str], lang: str, labels: Labels):
    """100 % bars of the answers per item and wave, from the published counts; hidden answers as one grey segment.

    Items with fewer than ``min_cell`` answers (N hidden) are not drawn. None when nothing can be drawn.
    """
    set_style()
    k = len(scale_labels)
    rows = [r for r in pt.rows if pt.cell(r, "n").value]
    if not rows:
        return None
    colors = diverging(k)  # dark red to dark blue, every colour 3:1 on white (a light middle would vanish)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 2.0))
    fmt = formatter(lang)
    any_hidden = False
    for y, r in enumerate(rows):
        n = float(pt.cell(r, "n").value)
        left = 0.0
        for v in range(1, k + 1):
            cell = pt.cell(r, str(v))
            if cell.value is None:
                continue
            width = 100 * cell.value / n
            ax.barh(y, width, left=left, color=colors[v - 1], edgecolor="white", height=0.7)
            left += width
        if left < 100 - 1e-9:
            any_hidden = True
            ax.barh(y, 100 - left, left=left, color=HIDDEN_GREY, edgecolor=HIDDEN_HATCH, hatch="//", height=0.7)
    ax.set_yticks(
        range(len(rows)),
        [f"{labels(pt.rows_are, r)} ({t('n', lang)} = {fmt.count(pt.cell(r, 'n').value)})" for r in rows],
        fontsize=9,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("tab_axis_percent", lang))
    ax.xaxis.set_major_formatter(fmt.tick("number"))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[v]) for v in range(k)]
    names = list(scale_labels)
    if any_hidden:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor=HIDDEN_GREY, edgecolor=HIDDEN_HATCH, hatch="//"))
        names.append(t("tab_hidden_answers", lang, min_cell=pt.min_cell))
    ax.legend(
        handles,
        names,
        ncol=min(len(names), 3),
        fontsize=9,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
    )
    fig.tight_layout()
    return fig


def hidden_note(tables: Sequence[PublishedTable], lang: str) -> str | None:
    """The note under a figure of shares when some share of its tables is hidden (and so not drawn)."""
    for pt in tables:
        for row, col, cell in pt.iter_cells():
            if col.key == "share" and row != "total" and cell.suppressed:
                return t("fig_note_hidden_shares", lang)
    return None
