"""Merging executed notebooks, numbering captions, the table of contents and the export."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.report.export import add_toc, export_html, slug
from analysis.report.merge import merge_notebooks


def _nb(path, cells):
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = cells
    for i, c in enumerate(nb.cells):
        c.id = f"same-{i}"  # duplicated across notebooks on purpose
    nbformat.write(nb, path)
    return path


def _html_output(html):
    return new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})


@pytest.fixture
def two_notebooks(tmp_path):
    a = _nb(
        tmp_path / "01_a.ipynb",
        [
            new_markdown_cell("notes", metadata={"tags": ["notebook-only"]}),
            new_code_cell("project = ''", metadata={"tags": ["parameters"]}),
            new_code_cell("x = 1"),  # no output: dropped
            new_code_cell(
                "show()",
                outputs=[
                    _html_output('<figure><figcaption class="fe-caption fe-caption-table">Ålder</figcaption></figure>'),
                    new_output("stream", name="stderr", text="FutureWarning: ..."),
                ],
            ),
            new_markdown_cell("# Mål"),
        ],
    )
    b = _nb(
        tmp_path / "02_b.ipynb",
        [
            new_code_cell(
                "show()",
                outputs=[
                    _html_output(
                        '<figure><svg></svg><figcaption class="fe-caption fe-caption-figure">Kurva</figcaption></figure>'
                        '<figure><figcaption class="fe-caption fe-caption-table">Kön</figcaption></figure>'
                    )
                ],
            ),
            new_markdown_cell("# Mål\n\n## Del"),
        ],
    )
    return [a, b]


def test_merge_drops_notebook_cells_and_gives_unique_fixed_ids(two_notebooks):
    nb = merge_notebooks(two_notebooks, "sv", "T")
    assert [c.id for c in nb.cells] == ["01_a-003", "01_a-004", "02_b-000", "02_b-001"]
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert all(o.get("name") != "stderr" for o in outputs)
    assert nb.metadata["title"] == "T"


def test_captions_are_numbered_through_the_report(two_notebooks):
    nb = merge_notebooks(two_notebooks, "en", "T")
    html = "".join(o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", []))
    assert "Table 1.</span> Ålder" in html and "Table 2.</span> Kön" in html and "Figure 1.</span> Kurva" in html


def test_slug_and_unique_heading_ids():
    assert slug("Hur länge stannar deltagarna?") == "hur-lange-stannar-deltagarna"
    page = (
        '<nav><!--FE-TOC--></nav><main><h1 id="Mål">Mål<a class="anchor-link" href="#Mål">¶</a></h1>'
        "<h2>Del</h2><h1>Mål</h1><h3>Detalj</h3></main>"
    )
    out, heads = add_toc(page, "Innehåll")
    assert [h[1] for h in heads] == ["mal", "del", "mal-2", "detalj"]
    assert '<a href="#mal">Mål</a><ol><li><a href="#del">Del</a></li></ol></li><li><a href="#mal-2">Mål</a></li>' in out
    assert "anchor-link" not in out and "#detalj" not in out.split("<main>")[0]


def test_export_is_offline_hides_code_and_has_a_toc(two_notebooks, tmp_path):
    nb = merge_notebooks(two_notebooks, "sv", "Projektet")
    out = export_html(nb, tmp_path / "r.html", lang="sv", title="Projektet")
    page = out.read_text(encoding="utf-8")
    assert '<html lang="sv">' in page and "<title>Projektet</title>" in page
    for absent in (
        "require.js",
        "mathjax",
        "MathJax",
        "mermaid",
        "cdnjs",
        "show()",
        "project = ''",
        "jp-InputArea-editor",
    ):
        assert absent not in page, absent
    # one h1, the first heading (a report's title, not in the contents); the later headings one level down
    assert '<h1 id="mal">Mål</h1>' in page and '<a href="#mal-2">Mål</a>' in page and '<h2 id="mal-2">' in page
    from analysis.report.scan import scan_text

    assert scan_text(page, "r.html") == []
    again = export_html(
        merge_notebooks(two_notebooks, "sv", "Projektet"), tmp_path / "r2.html", lang="sv", title="Projektet"
    )
    assert again.read_bytes() == out.read_bytes()
