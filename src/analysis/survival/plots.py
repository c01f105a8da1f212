"""Survival figures: curves with bands and a numbers-at-risk table under the plot.

Disclosure control: groups with fewer than ``min_cell`` persons are not drawn
(:func:`analysis.disclosure.suppression.plot_groups`), each curve stops at the last time at
least ``min_cell`` are at risk, and numbers at risk below ``min_cell`` (but above
zero) are printed as ``"<min_cell"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.suppression import plot_groups, primary_marker


def default_ticks(max_time: float, step: int | None = None) -> np.ndarray:
    if step is None:
        step = 3 if max_time <= 18 else 6 if max_time <= 48 else 12
    return np.arange(0, max_time + 1e-9, step)


def risk_label(n: int, min_cell: int, count_format: Callable[[int], str] = str) -> str:
    return primary_marker(min_cell) if 0 < n < min_cell else count_format(int(n))


def _palette() -> list:
    """The colours of the current style's cycle (the report sets its palette before drawing)."""
    import matplotlib.pyplot as plt

    return list(plt.rcParams["axes.prop_cycle"].by_key().get("color", ["#1f5f8b"]))


def curve_figure(
    curves: dict,
    min_cell: int = 1,
    ticks: Any = None,  # a sequence of months; None: chosen from the data
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    labels: dict | None = None,
    at_risk_title: str = "",
    ylim: tuple[float, float] = (0.0, 1.02),
    count_format: Callable[[int], str] = str,
):
    """Figure with one curve per group (objects with ``plot``, ``timeline``, ``at_risk``, ``n``) and a risk table.

    ``count_format`` writes the numbers at risk (e.g. with a thousands separator).
    Returns the figure and the :class:`analysis.disclosure.suppression.PlotGroups` saying what was left out.
    """
    import matplotlib.pyplot as plt

    palette = _palette()

    counts = pd.Series({g: c.n for g, c in curves.items()}, dtype=float)
    pg = plot_groups(counts, min_cell)
    shown = [g for g in curves if g in pg.keep]
    labels = labels or {}
    max_t = max((c.timeline[max(c.cut(min_cell), 0)] for g, c in curves.items() if g in shown), default=1.0)
    ticks = default_ticks(max_t) if ticks is None else np.asarray(ticks, dtype=float)
    rows = max(len(shown), 1)
    fig = plt.figure(figsize=(7.5, 4.2 + 0.28 * rows))
    gs = fig.add_gridspec(2, 1, height_ratios=[4.2, 0.28 * rows + 0.35], hspace=0.5)
    ax = fig.add_subplot(gs[0])
    for i, g in enumerate(shown):
        curves[g].plot(ax=ax, min_at_risk=min_cell, color=palette[i % len(palette)], label=str(labels.get(g, g)))
    ax.set_xlim(ticks[0] - 0.5, ticks[-1] + 0.5 if ticks.size > 1 else max_t + 1)
    ax.set_ylim(*ylim)
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(shown) > 1:
        # beside the axes, never over a curve
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    table_ax = fig.add_subplot(gs[1], sharex=ax)
    _risk_table(table_ax, curves, shown, ticks, labels, at_risk_title, (min_cell, count_format, palette))
    return fig, pg


def _risk_table(table_ax, curves: dict, shown: list, ticks: np.ndarray, labels: dict, title: str, style: tuple) -> None:
    """The numbers at risk at each tick, one row per group shown, in the group's colour and labelled on the left.

    ``style`` is (minimum cell, count format, palette).
    """
    min_cell, count_format, palette = style
    rows = max(len(shown), 1)
    table_ax.set_ylim(-0.5, rows - 0.5)
    table_ax.axis("off")
    if title:
        table_ax.set_title(title, fontsize=11, loc="left")
    for i, g in enumerate(shown):
        y = rows - 1 - i
        n_at = curves[g].at_risk_at(ticks)
        for tx, n in zip(ticks, n_at):
            table_ax.text(
                tx,
                y,
                risk_label(int(n), min_cell, count_format),
                ha="center",
                va="center",
                fontsize=10,
                color=palette[i % len(palette)],
            )
        table_ax.text(
            ticks[0] - 0.06 * (ticks[-1] - ticks[0] + 1),
            y,
            str(labels.get(g, g)),
            ha="right",
            va="center",
            fontsize=10,
            color=palette[i % len(palette)],
        )


def km_figure(
    groups,
    min_cell: int = 1,
    ticks=None,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    labels: dict | None = None,
    at_risk_title: str = "",
):
    """Kaplan–Meier curves of a :class:`analysis.survival.km.KaplanMeierGroups` with the risk table."""
    fig, _ = curve_figure(groups.curves, min_cell, ticks, xlabel, ylabel, title, labels, at_risk_title)
    return fig
