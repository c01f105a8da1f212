"""Render a :class:`~analysis.disclosure.published.PublishedTable` as an HTML table in the report language.

The table carries ``data-results`` with the JSON pointer of its node in
``results.json`` and every value cell the pointer of its value, so that the page
and ``results.json`` show one and the same number. Codes become words through
:class:`~analysis.report.labels.Labels`, numbers go through the one formatter of
the language (:mod:`analysis.report.format`); a hidden cell shows its marker.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence

from IPython.display import HTML

from analysis.disclosure.published import Cell, Column, PublishedTable
from analysis.report.display import display
from analysis.report.format import NO_VALUE, Formatter, formatter
from analysis.report.i18n import t
from analysis.report.labels import Labels

CellFormat = Callable[[str, Column, Cell], str]
WORD_JOINER = "\u2060"
_DASH_IN_WORD = re.compile(r"(?<=\w)([-/\u2013])(?=\w)")


def unbreakable(text: str) -> str:
    """A table's text with no line break after a dash inside a token ("16–24", "2007-2009", "ESF-stöd")."""
    return _DASH_IN_WORD.sub(lambda m: m.group(1) + WORD_JOINER, text)


def default_headers(lang: str) -> dict[str, str]:
    """Column headers shared by many tables (a section adds its own)."""
    return {"count": t("n", lang), "n": t("n", lang), "share": "%", "ci": t("ci95", lang)}


def cell_text(cell: Cell, col: Column, fmt: Formatter, labels: Labels) -> str:
    """What a reader sees in one cell: the marker of a hidden value, "–" for no value, else the formatted value."""
    if cell.marker is not None:
        return cell.marker
    v = cell.value
    if v is None:
        return NO_VALUE
    kind = cell.kind or col.kind
    if kind == "interval":
        return fmt.interval(v[0], v[1], col.of or "number", col.digits)
    if kind == "estimate":
        return fmt.estimate(v[0], v[1], v[2], col.of or "number", col.digits)
    if kind == "code":
        return labels(col.of, v)
    if kind == "text":
        return str(v)
    return fmt.value(v, kind, col.digits)


def header_text(col: Column, pt: PublishedTable, labels: Labels, headers: Mapping[str, str]) -> str:
    if pt.keys_are is not None and col.key not in headers:
        name = labels(pt.keys_are, col.key)
    else:
        name = headers.get(col.key, col.key)
    if col.group is None:
        return name
    return f"{labels(pt.groups_are, col.group)}: {name}"


def table_html(
    pt: PublishedTable,
    caption: str,
    lang: str,
    *,
    labels: Labels | None = None,
    headers: Mapping[str, str] | None = None,
    note: str | None = None,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    row_header: str | None = "",
    formats: Mapping[str, CellFormat] | None = None,
    code_columns: Sequence[str] = (),
    code_rows: bool = False,
) -> str:
    """The HTML of one published table.

    Parameters
    ----------
    rows, columns
        The rows and column ids to show (default: every row and every shown column).
    headers
        Column key -> header text, on top of :func:`default_headers`.
    formats
        Column id -> function ``(row, column, cell) -> text`` for cells that need more
        than a number (a threshold "at least 50,0 %").
    row_header
        Header of the column of row labels; None: no such column (rows are just numbered lines).
    code_columns, code_rows
        Columns (and, with ``code_rows``, the row labels) that hold names from the files
        (file and column names, values as written): shown as ``<code>``.
    """
    if pt.withheld:
        return (
            f'<p class="fe-no-data">{html.escape(t("nodata_too_few", lang, caption=caption, min_cell=pt.min_cell))}</p>'
        )
    if pt.pointer is None:
        raise ValueError(f"table {pt.name} has no place in results.json; place the section's tree first")
    labels = labels or Labels(lang)
    fmt = formatter(lang)
    heads = {**default_headers(lang), **(headers or {})}
    cols = [c for c in pt.columns if c.shown] if columns is None else [pt.column(*_split(c)) for c in columns]
    shown_rows = list(pt.rows) if rows is None else [r for r in rows if r in pt.rows]
    formats = formats or {}
    empty = empty_reason(pt, shown_rows, cols)
    if empty is not None:
        sentence = t(f"nodata_table_{empty}", lang, caption=caption, min_cell=pt.min_cell)
        return f'<p class="fe-no-data">{html.escape(sentence)}</p>'
    shown_rows, cols, left_out = drop_zero_lines(pt, shown_rows, cols, labels)
    if left_out:
        zero = t("tab_note_zero_lines", lang, lines=", ".join(left_out))
        note = f"{note} {zero}" if note else zero
    head = _head_html(pt, cols, labels, heads, row_header)
    body = [
        _row_html(pt, r, cols, fmt, labels, formats, row_header is not None, set(code_columns), code_rows)
        for r in shown_rows
    ]
    notes = [n for n in (note, suppressed_note(pt, lang, shown_rows, cols)) if n]
    return _figure_html(pt, caption, head, body, notes)


def _head_html(pt: PublishedTable, cols: list, labels: Labels, heads: Mapping[str, str], row_header: str | None) -> str:
    """The header cells: the row labels' header (unless None), then one per column."""
    head = "" if row_header is None else f"<th>{html.escape(row_header)}</th>"
    for c in cols:
        head += f'<th scope="col"{_align(c)}>{html.escape(unbreakable(header_text(c, pt, labels, heads)))}</th>'
    return head


def _figure_html(pt: PublishedTable, caption: str, head: str, body: list[str], notes: list[str]) -> str:
    """The table in a figure with its caption, its place in results.json and the notes below it."""
    parts = [
        f'<figure class="fe-table-figure" tabindex="0"><figcaption class="fe-caption fe-caption-table">{html.escape(caption)}'
        "</figcaption>",
        f'<table class="fe-table" data-results="{html.escape(pt.pointer or "")}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>",
    ]
    if notes:
        # the notes are escaped; only <code> (a project.yml field named in a note) stays markup
        text = html.escape(" ".join(notes)).replace("&lt;code&gt;", "<code>").replace("&lt;/code&gt;", "</code>")
        parts.append(f'<p class="fe-note">{text}</p>')
    parts.append("</figure>")
    return "".join(parts)


def _is_margin(pt: PublishedTable, row: str, col: Column) -> bool:
    return row == "total" or col.group == "total" or (pt.keys_are is not None and col.key == "total")


def _nothing(cell: Cell) -> bool:
    """A cell that tells a reader nothing: no value, or a count or share of zero (a hidden cell tells "few")."""
    return cell.marker is None and (cell.value is None or (not isinstance(cell.value, (str, list)) and cell.value == 0))


def empty_reason(pt: PublishedTable, rows: Sequence[str], cols: Sequence[Column]) -> str | None:
    """Why a table is not worth showing (``"empty"``, ``"all_missing"``, ``"all_hidden"``), or None.

    * empty: every value cell is 0 or has no value;
    * all_missing: every person counted is in the "missing" row (the variable was not recorded);
    * all_hidden: apart from the margins, every cell is hidden or 0 (a cross table of a few persons).
    """
    cells = [(r, c, pt.cell(r, c.key, c.group)) for r in rows for c in cols]
    if not cells or all(_nothing(cell) for _, _, cell in cells):
        return "empty"
    counts = [(r, cell) for r, c, cell in cells if c.kind == "count" and not _is_margin(pt, r, c)]
    if "missing" in rows and counts and all(_nothing(cell) for r, cell in counts if r != "missing"):
        if any(not _nothing(cell) for r, cell in counts if r == "missing"):
            return "all_missing"
    inner = [cell for r, c, cell in cells if not _is_margin(pt, r, c) and c.kind not in ("code", "text")]
    has_margin = "total" in rows
    if has_margin and inner and all(cell.suppressed or _nothing(cell) for cell in inner):
        return "all_hidden"
    return None


def drop_zero_lines(
    pt: PublishedTable, rows: Sequence[str], cols: Sequence[Column], labels: Labels
) -> tuple[list[str], list[Column], list[str]]:
    """Rows and column groups of a distribution (a table with a total row) in which nobody is counted.

    Returns the rows and columns kept and the labels of the lines left out (a note names them).
    """
    if "total" not in rows:
        return list(rows), list(cols), []
    count_cols = [c for c in cols if c.kind == "count"]
    if not count_cols:
        return list(rows), list(cols), []
    left_out: list[str] = []
    kept_rows = []
    for r in rows:
        line = [pt.cell(r, c.key, c.group) for c in cols]
        if r != "total" and all(_nothing(cell) for cell in line):
            left_out.append(labels(pt.rows_are, r))
        else:
            kept_rows.append(r)
    kept_cols = list(cols)
    for g in dict.fromkeys(c.group for c in cols if c.group not in (None, "total")):
        group_cols = [c for c in cols if c.group == g]
        if all(_nothing(pt.cell(r, c.key, c.group)) for r in kept_rows for c in group_cols):
            kept_cols = [c for c in kept_cols if c.group != g]
            left_out.append(labels(pt.groups_are, g))
    return kept_rows, kept_cols, left_out


def _row_html(
    pt: PublishedTable,
    row: str,
    cols: Sequence[Column],
    fmt: Formatter,
    labels: Labels,
    formats: Mapping[str, CellFormat],
    with_label: bool,
    code_columns: set[str] = frozenset(),  # type: ignore[assignment]
    code_rows: bool = False,
) -> str:
    """One row: its label and every cell with the JSON pointer of its value."""
    tds = []
    for c in cols:
        cell = pt.cell(row, c.key, c.group)
        text = formats[c.id](row, c, cell) if c.id in formats else cell_text(cell, c, fmt, labels)
        inner = html.escape(unbreakable(text))
        if c.id in code_columns and cell.value is not None:
            inner = f"<code>{inner}</code>"
        tds.append(f'<td{_align(c)} data-results="{html.escape(pt.cell_pointer(row, c))}">{inner}</td>')
    name = html.escape(unbreakable(labels(pt.rows_are, row)))
    label = f'<th scope="row">{f"<code>{name}</code>" if code_rows else name}</th>' if with_label else ""
    return f"<tr>{label}{''.join(tds)}</tr>"


def suppressed_note(pt: PublishedTable, lang: str, rows: Sequence[str], cols: Sequence[Column]) -> str | None:
    """The standard footnote when a shown cell is hidden."""
    if any(pt.cell(r, c.key, c.group).suppressed for r in rows for c in cols):
        return t("suppressed_note", lang, min_cell=pt.min_cell)
    return None


def _align(col: Column) -> str:
    """Words align left, numbers right."""
    return ' class="fe-text"' if col.kind in ("code", "text") else ""


def _split(cid: str) -> tuple[str, str | None]:
    group, _, key = cid.rpartition("/")
    return (key, group or None)


def show_published(pt: PublishedTable, caption: str, lang: str, **kw) -> None:
    """Show one published table in the notebook (and so in the report)."""
    display(HTML(table_html(pt, caption, lang, **kw)))


def show_compact(pt: PublishedTable, caption: str, lang: str, **kw) -> None:
    """:func:`show_published` with narrower cells, for a wide table of small numbers (ESF's indicators by sex)."""
    page = table_html(pt, caption, lang, **kw).replace(
        '<table class="fe-table"', '<table class="fe-table fe-compact"', 1
    )
    display(HTML(page))
