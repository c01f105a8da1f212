"""What ``foljeval check`` shows: how each file was read, which headers were understood, and every problem.

In order: the layout of each source (header row, title and footer rows skipped), the
headers recognised as which canonical column and those ignored with the reason, the
date forms found per column, the reconciliation, the rows kept with a note (unknown
labels, combined labels, restored personnummer, anonymous rows, episodes), a summary per
rule with three example rows, and the quarantined rows themselves, capped (the full list
is ``rejected.csv``, written by ``foljeval clean``).

Example
-------
>>> from rich.console import Console
>>> from analysis.clean.run import clean_project
>>> from analysis.project.config import load_project
>>> show(clean_project(load_project("data/raw/c2-lycksele")), Console())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from analysis.clean.identity import mask_personnummer
from analysis.clean.result import CleanResult


class _MaskedTable(Table):
    """A rich table whose every cell passes the personnummer mask (raw headers and values are shown)."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        cells = [mask_personnummer(c) if isinstance(c, str) else c for c in renderables]
        super().add_row(*cells, **kwargs)


ROW_LIMIT = 40
NOTICE_TEXT = {
    "unknown_label": "unknown label kept: the field is set to unknown (or left empty); map it under values",
    "combined_label": "combined label: the first code in the contract's order is kept",
    "split_label": "combined label in an income register: one row per income source it names",
    "restored_leading_zero": "personnummer stored as an Excel number: its leading zero was restored",
}


def _table(title: str, columns: list[str]) -> Table:
    t = _MaskedTable(title=title, title_justify="left")
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def layout_table(result: CleanResult) -> Table:
    t = _table("How each file was read", ["file", "header row", "rows above it", "footer rows", "text"])
    for f in result.files:
        how = "found" if f.header_detected else ("project.yml" if f.header_row else "SPSS variables")
        text = ""
        if f.layout is not None and (f.layout.encoding or f.layout.delimiter):
            text = f"{f.layout.encoding or ''} {repr(f.layout.delimiter) if f.layout.delimiter else ''}".strip()
        t.add_row(
            f.file, f"{f.header_row} ({how})" if f.header_row else how, str(f.title_rows), str(f.footer_rows), text
        )
    return t


def headers_table(result: CleanResult) -> Table:
    t = _table("Headers: recognised as which column, or ignored and why", ["file", "header", "column", "how / why"])
    for f in result.files:
        for raw, canon in f.columns.items():
            t.add_row(f.file, raw, canon, f.recognised_by.get(raw, "recognised"))
        if f.month_columns:
            t.add_row(f.file, f"{f.month_columns} month columns", "month (wide file)", "one column per month")
        for raw, why in f.ignored.items():
            t.add_row(f.file, raw, "[yellow]ignored[/]", why)
    return t


def dates_table(result: CleanResult) -> Table | None:
    rows = [(f.file, col, forms) for f in result.files for col, forms in f.date_formats.items()]
    if not rows:
        return None
    t = _table("Date forms found per column", ["file", "column", "forms (values)"])
    for file, col, forms in rows:
        t.add_row(file, col, ", ".join(f"{k} ({v})" for k, v in forms.items()))
    return t


def reconciliation_table(result: CleanResult) -> Table:
    t = _MaskedTable(title=f"{result.project.id}: rows read = kept + rejected", title_justify="left")
    for col in ("file", "kind", "read", "kept", "rejected", "balanced"):
        t.add_column(col, justify="right" if col in ("read", "kept", "rejected") else "left", overflow="fold")
    for f in result.files:
        ok = f.rows_read == f.rows_kept + f.rows_rejected
        t.add_row(
            f.file, f.kind, str(f.rows_read), str(f.rows_kept), str(f.rows_rejected), "yes" if ok else "[red]NO[/]"
        )
    return t


def _examples(rows: pd.Series, n: int = 3) -> str:
    shown = ", ".join(str(r) for r in rows.head(n))
    return shown + (f" (+{len(rows) - n} more)" if len(rows) > n else "")


def notices_table(result: CleanResult, limit: int = ROW_LIMIT) -> Table | None:
    n = result.notices
    lines: list[tuple[str, str, str, str, str]] = []
    for (file, col, notice, value), g in n.groupby(["file", "column", "notice", "value"], sort=True):
        lines.append((file, col, NOTICE_TEXT.get(notice, notice), str(value), _examples(g["row"])))
    counts: dict[str, Any] = result.counts
    if counts.get("anonymous_rows"):
        lines.append(
            (
                "participants",
                "person_id",
                "rows without personnummer counted as anonymous",
                "",
                str(counts["anonymous_rows"]),
            )
        )
    if counts.get("persons_with_several_episodes"):
        lines.append(
            (
                "participants",
                "",
                "persons with several episodes (kept as episodes)",
                "",
                str(counts["persons_with_several_episodes"]),
            )
        )
    if counts.get("support_before_months_from_panel"):
        lines.append(
            (
                "participants",
                "support_before_months",
                "derived from the monthly panel for",
                "",
                f"{counts['support_before_months_from_panel']} persons",
            )
        )
    if not lines:
        return None
    title = "Kept with a note"
    if 0 < limit < len(lines):  # a shifted column can make thousands of distinct labels: the list stays short
        title += (
            f" ({limit} of {len(lines)} shown; `foljeval clean {result.project.id}` writes them all to notices.csv)"
        )
        lines = lines[:limit]
    t = _table(title, ["file", "column", "note", "value", "rows"])
    for line in lines:
        t.add_row(*line)
    return t


def rules_table(result: CleanResult) -> Table:
    t = _table(
        f"{result.problems['row'].groupby(result.problems['file']).nunique().sum()} row(s) would be quarantined: per rule",
        ["rule", "file", "column", "rows", "example rows (value)"],
    )
    for (rule, file, col), g in result.problems.groupby(["rule", "file", "column"], sort=True):
        rows = g.drop_duplicates("row")
        ex = ", ".join(
            f"{r}" + (f" ({v})" if str(v) else "") for r, v in zip(rows["row"].head(3), rows["value"].head(3))
        )
        more = f" (+{len(rows) - 3} more)" if len(rows) > 3 else ""
        t.add_row(rule, file, col, str(len(rows)), ex + more)
    return t


def rows_table(result: CleanResult, limit: int) -> Table:
    p = result.problems
    shown = p if limit <= 0 else p.head(limit)
    title = f"The quarantined rows ({len(shown)} of {len(p)} problems shown"
    title += ")" if len(shown) == len(p) else f"; `foljeval clean {result.project.id}` writes them all to rejected.csv)"
    t = _table(title, ["file", "row", "column", "rule", "value"])
    for rec in shown.itertuples(index=False):
        t.add_row(rec.file, str(rec.row), rec.column, rec.rule, str(rec.value))
    return t


def show(result: CleanResult, console: Console, limit: int = ROW_LIMIT) -> None:
    """Print everything ``check`` shows, in order."""
    console.print(layout_table(result))
    console.print(headers_table(result))
    for extra in (dates_table(result),):
        if extra is not None:
            console.print(extra)
    console.print(reconciliation_table(result))
    notes = notices_table(result, limit)
    if notes is not None:
        console.print(notes)
    if result.problems.empty:
        console.print("[green]no problems[/]")
        return
    console.print(rules_table(result))
    console.print(rows_table(result, limit))
