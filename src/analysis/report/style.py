"""One plotting style for every figure, with deterministic SVG output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import seaborn as sns

# Every colour that marks data has a contrast of at least 3:1 against the white axes (WCAG 2.1
# 1.4.11, non-text contrast; tests/test_figure_access.py computes it), as do the lines drawn in
# the effect figures (REFERENCE_RED) and the grey of hidden answers (figures.HIDDEN_GREY).
PALETTE = ["#1f5f8b", "#c45a1c", "#3a9a6b", "#b8405e", "#7a6fb0", "#8c8c8c", "#a87d00"]
REFERENCE_RED = "#c8553d"
NEUTRAL_GREY = "#8c8c8c"
_DIVERGING_ENDS = (("#8e1f2b", "#d05a48"), ("#1d4f8a", "#4a7fbf"))  # (dark, light) of the red and the blue side


def _mix(a: str, b: str, w: float) -> str:
    ca, cb = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(ca, cb))


def diverging(k: int) -> list[str]:
    """``k`` colours from dark red (the lowest answer) over grey (the middle of an odd scale) to dark blue.

    Every colour has 3:1 against white: they run between the dark and the light ends of each
    side, both at least 4:1 (relative luminance is convex in the sRGB channels, so no mix is lighter).

    Example
    -------
    >>> diverging(3)
    ['#8e1f2b', '#8c8c8c', '#1d4f8a']
    """
    side = k // 2
    steps = [i / (side - 1) for i in range(side)] if side > 1 else [0.0]
    red = [_mix(*_DIVERGING_ENDS[0], w) for w in steps]
    blue = [_mix(*_DIVERGING_ENDS[1], w) for w in steps]
    return red + ([NEUTRAL_GREY] if k % 2 else []) + blue[::-1]


def set_style() -> None:
    """Seaborn theme plus settings that make SVG output identical from run to run."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    plt.rcParams.update(
        {
            "svg.hashsalt": "foljeval",  # fixed ids inside SVG
            "svg.fonttype": "none",  # text stays text: smaller files, selectable
            "figure.dpi": 100,
            "figure.figsize": (7.5, 4.2),
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "font.family": "DejaVu Sans",
        }
    )
