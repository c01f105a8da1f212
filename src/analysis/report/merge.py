"""Merge executed notebooks into the one notebook that becomes ``report.html``.

nbconvert cannot merge notebooks, so the cells are concatenated with nbformat.
On the way, what belongs to the notebook and not to the report is dropped
(``notebook-only`` and ``parameters`` cells, code cells without output, stderr
streams such as warnings), every cell gets a unique, fixed id (nbformat would
replace duplicates with random ones and make the HTML differ from run to run),
and tables and figures are numbered through the whole report ("Tabell 3.").
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat

from analysis.report.i18n import t

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
    for path in paths:
        nb = first if path == paths[0] else nbformat.read(path, as_version=4)
        stem = Path(path).stem
        merged.cells.extend(copy.deepcopy(inserts.get(("before", stem), [])))
        merged.cells.extend(report_cells(nb, stem))
        merged.cells.extend(copy.deepcopy(inserts.get(("after", stem), [])))
    number_captions(merged, lang)
    ids = [c.id for c in merged.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    return merged
