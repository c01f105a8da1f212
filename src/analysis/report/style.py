"""One plotting style for every figure, with deterministic SVG output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = ["#1f5f8b", "#e07b39", "#3a9a6b", "#b8405e", "#7a6fb0", "#8c8c8c", "#c9a227"]


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
