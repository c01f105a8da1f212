"""Merge executed notebooks into the one notebook that becomes ``report.html``.

nbconvert cannot merge notebooks, so the cells are concatenated with nbformat.
On the way, what belongs to the notebook and not to the report is dropped
(``notebook-only`` and ``parameters`` cells, code cells without output, stderr
streams such as warnings), every cell gets a unique, fixed id (nbformat would
replace duplicates with random ones and make the HTML differ from run to run),
tables and figures are numbered through the whole report ("Tabell 3."), and the
outputs a section published :func:`~analysis.report.display.in_appendix` (its
diagnostics) move to one appendix cell before the appendix notebook's own.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat

from analysis.report.i18n import t

APPENDIX_STEM = "99_appendix"
DROP_TAGS = {"notebook-only", "parameters", "injected-parameters"}
_CAPTION = re.compile(r'(<figcaption class="fe-caption fe-caption-(table|figure)">)')


def _cell_id(stem: str, i: int) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:56]
    return f"{base}-{i:03d}"


def _keep_outputs(cell) -> list:
    return [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def report_cells(nb, stem: str) -> list:
    """The cells of one executed notebook that belong in the report, with fixed ids."""
    out = []
    for i, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & DROP_TAGS:
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs = _keep_outputs(cell)
            if not cell.outputs:
                continue
        cell.id = _cell_id(stem, i)
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        out.append(cell)
    return out


def _place(output) -> str | None:
    return (output.get("metadata", {}).get("foljeval") or {}).get("place")


def move_to_appendix(cells: list, lang: str) -> tuple[list, list]:
    """Take the outputs placed in the appendix out of ``cells``: (body cells, the appendix cell or nothing).

    A body cell left without outputs is dropped; the appendix cell starts with a heading of its own.
    """
    body: list = []
    moved: list = []
    for cell in cells:
        outputs = cell.get("outputs")
        if cell.cell_type != "code" or not any(_place(o) == "appendix" for o in outputs):
            body.append(cell)
            continue
        moved.extend(o for o in outputs if _place(o) == "appendix")
        cell.outputs = [o for o in outputs if _place(o) != "appendix"]
        if cell.outputs:
            body.append(cell)
    if not moved:
        return body, []
    heading = nbformat.v4.new_markdown_cell(
        f"# {t('rep_diagnostics_appendix_heading', lang)}\n\n{t('rep_diagnostics_appendix_intro', lang)}"
    )
    heading.id = _cell_id("diagnostics", 0)
    cell = nbformat.v4.new_code_cell(outputs=moved)
    cell.id = _cell_id("diagnostics", 1)
    return body, [heading, cell]


def number_captions(nb, lang: str) -> tuple[int, int]:
    """Prefix every table and figure caption with its running number; returns (tables, figures)."""
    counter = {"table": 0, "figure": 0}
    label = {"table": t("rep_table_label", lang), "figure": t("rep_figure_label", lang)}

    def repl(m: re.Match) -> str:
        kind = m.group(2)
        counter[kind] += 1
        return f'{m.group(1)}<span class="fe-caption-number">{label[kind]} {counter[kind]}.</span> '

    for cell in nb.cells:
        for o in cell.get("outputs", []):
            html = o.get("data", {}).get("text/html")
            if html is None:
                continue
            text = "".join(html) if isinstance(html, list) else html
            o["data"]["text/html"] = _CAPTION.sub(repl, text)
    return counter["table"], counter["figure"]


def merge_notebooks(
    paths: Iterable[Path], lang: str, title: str, inserts: Mapping[tuple[str, str], list] | None = None
) -> nbformat.NotebookNode:
    """Concatenate the report cells of executed notebooks (in the given order) into one notebook.

    ``inserts`` holds cells placed ``("before" | "after", notebook stem)`` (the evaluator's texts,
    :func:`analysis.report.evaluator_text.text_cells`); a place whose notebook is not merged is an error.
    """
    paths = list(paths)
    inserts = dict(inserts or {})
    stems = {Path(p).stem for p in paths}
    lost = sorted(f"{where} {stem}" for where, stem in inserts if stem not in stems)
    if lost:
        raise ValueError(f"cells to insert {', '.join(lost)}: no such notebook in the report")
    first = nbformat.read(paths[0], as_version=4)
    merged = nbformat.v4.new_notebook()
    merged.metadata = {
        "kernelspec": first.metadata.get("kernelspec", {}),
        "language_info": {"name": "python"},
        "title": title,
    }
    cells: list = []
    appendix_at = None
    for path in paths:
        nb = first if path == paths[0] else nbformat.read(path, as_version=4)
        stem = Path(path).stem
        if stem == APPENDIX_STEM:
            appendix_at = len(cells)
        cells.extend(copy.deepcopy(inserts.get(("before", stem), [])))
        cells.extend(report_cells(nb, stem))
        cells.extend(copy.deepcopy(inserts.get(("after", stem), [])))
    anchor = cells[appendix_at] if appendix_at is not None and appendix_at < len(cells) else None
    body, appendix = move_to_appendix(cells, lang)
    # the moved diagnostics go before the appendix notebook's cells (at the end without one)
    at = next((i for i, c in enumerate(body) if c is anchor), len(body))
    merged.cells.extend(body[:at] + appendix + body[at:])
    number_captions(merged, lang)
    ids = [c.id for c in merged.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    return merged
