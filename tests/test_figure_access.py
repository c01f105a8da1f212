"""What an automatic WCAG checker cannot see: every figure is a named image, and its colours stand out.

* every SVG figure of an exported page has ``role="img"`` and a non-empty ``<title>`` it is
  labelled by, and no id occurs twice (matplotlib numbers its ids from 1 in every figure);
* every colour the figure code draws data with has at least 3:1 against the axes' white
  (WCAG 2.1 1.4.11), the diverging scale of survey answers for every scale length included;
* the report's text colours have at least 4.5:1 against the backgrounds they are used on.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from access_check import contrast, figure_problems
from analysis.report import style
from analysis.report.export import css, label_figures, one_h1
from analysis.report.figures import HIDDEN_GREY
from conftest import ROOT

# modules that draw figures; white hatching and the pale band behind extrapolated years are not data marks
FIGURE_CODE = sorted(p for p in (ROOT / "src" / "analysis").rglob("*.py") if "matplotlib" in p.read_text("utf-8"))
NOT_DATA = {"#ffffff", "#f2f2f2"}


def _colours(path: Path) -> set[str]:
    return {c.lower() for c in re.findall(r'"(#[0-9a-fA-F]{6})"', path.read_text(encoding="utf-8"))}


def test_the_contrast_check_fails_on_the_old_pale_colours():
    assert contrast("#c9a227") < 3 and contrast("#b0b0b0") < 3  # the gold of the old palette, the old hidden grey
    assert contrast("#000000") == pytest.approx(21)


def test_every_colour_that_draws_data_has_3_to_1_on_the_axes():
    style.set_style()
    axes = plt.rcParams["axes.facecolor"]
    assert axes in ("white", "#ffffff"), axes
    drawn = {c for p in FIGURE_CODE for c in _colours(p)} | {c.lower() for c in style.PALETTE} | {HIDDEN_GREY}
    drawn |= {c for k in range(2, 12) for c in style.diverging(k)}
    low = {c: round(contrast(c), 2) for c in sorted(drawn - NOT_DATA) if contrast(c) < 3}
    assert low == {}
    assert len(set(style.diverging(7))) == 7  # every answer its own colour


def test_text_colours_have_4_5_to_1():
    theme = css()
    var = dict(re.findall(r"--(fe-[a-z-]+):\s*(#[0-9a-fA-F]{6})", theme))
    backgrounds = [
        "#ffffff",
        var["fe-bg-soft"],
        "#fafbfc",
        "#fbe9e7",
    ]  # page, key figures and headers, rows, failed rows
    text = {k: v for k, v in var.items() if k not in ("fe-line", "fe-bg-soft")}
    low = [(k, bg, round(contrast(v, bg), 2)) for k, v in text.items() for bg in backgrounds if contrast(v, bg) < 4.5]
    assert low == []


SVG = (
    '<?xml version="1.0"?>\n<svg width="10pt" xmlns="http://www.w3.org/2000/svg"><metadata>m</metadata>'
    '<defs><clipPath id="p1"><rect/></clipPath></defs><g id="figure_1" clip-path="url(#p1)"/></svg>'
)


def _page(figures: int) -> str:
    fig = f'<figure class="fe-figure">{SVG}<figcaption class="fe-caption">Figur 1. Andel</figcaption><p class="fe-note">Not.</p></figure>'
    return f"<html><body><main><h1>T</h1><h1>Del</h1>{fig * figures}</main></body></html>"


def test_exported_figures_are_named_images_with_unique_ids():
    raw = _page(2)
    assert figure_problems(raw) == [
        "figure 1: role=None, name=''",
        "figure 2: role=None, name=''",
        "id 'figure_1' occurs 2 times",
        "id 'p1' occurs 2 times",
    ]
    page = label_figures(one_h1(raw))
    assert figure_problems(page) == []
    assert '<title id="fe-fig2-title">Figur 1. Andel</title><desc id="fe-fig2-desc">Not.</desc>' in page
    assert 'clip-path="url(#fe-fig2-p1)"' in page and "<?xml" not in page and "<metadata>" not in page
    assert "<h1>T</h1><h2>Del</h2>" in page  # one h1: the title; the sections one level down


@pytest.mark.slow  # builds a report
def test_the_example_report_figures_are_named(tmp_path_factory):
    from example_reports import built_examples

    root, runs = built_examples(tmp_path_factory)
    for project in runs:
        page = (root / "reports" / project / "report.html").read_text(encoding="utf-8")
        assert "<svg" in page and figure_problems(page) == [], project
