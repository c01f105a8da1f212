"""The cleaning section of the report: rows read, kept and rejected per raw file (and sheet), the rules
they broke, and the rows kept with a note (an unknown label kept as unknown, a combined label, a restored
personnummer zero, anonymous participants).

Rows of a file with one row per person (participants, comparison group) are
persons: their counts are protected as linked counts (read = kept + rejected), and
when a complement is needed the rows read are hidden, since the persons kept are
published again as the flow and the comparison group. Rows of other files
(follow-ups, survey answers, register months) are file rows and stay exact.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from analysis.clean.result import CleanResult
from analysis.disclosure.published import Cell, Column, PublishedTable, linked_cell, small_count_cell
from analysis.disclosure.suppression import protect_linked
from analysis.report.display import show_text
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.section import SectionResult
from analysis.report.tables import show_published

PERSON_FILES = frozenset({"participants", "comparison"})
# The cleaning section (published tables only, no person's row) kept beside the processed data, so that
# the report in the other language shows it without cleaning the raw data again.
SAVED_SECTION = "cleaning_section.pickle"


def files_table(result: CleanResult) -> PublishedTable:
    """One row per raw file: its contents, rows read, kept and rejected, and its SHA-256."""
    table = PublishedTable(
        "files",
        [
            Column("kind", "code", of="file_kind"),
            Column("rows_read", "count"),
            Column("rows_kept", "count"),
            Column("rows_rejected", "count"),
            Column("sha256", "text", shown=False),
            Column("sheet", "text", shown=False),
            Column("header_row", "number", digits=0, shown=False),
            Column("title_rows", "number", digits=0, shown=False),
            Column("footer_rows", "number", digits=0, shown=False),
        ],
        rows_are="file",
        min_cell=result.project.config.min_cell,
    )
    for f in result.files:
        if f.kind in PERSON_FILES:
            values = {"rows_read": f.rows_read, "rows_kept": f.rows_kept, "rows_rejected": f.rows_rejected}
            pc = protect_linked(
                values, [(["rows_kept", "rows_rejected"], "rows_read")], table.min_cell, prefer=["rows_read"]
            )
            counts: dict[str, Cell] = {k: linked_cell(pc, k) for k in values}
        else:
            counts = {k: Cell(int(getattr(f, k))) for k in ("rows_read", "rows_kept", "rows_rejected")}
        layout = {
            "sheet": f.sheet,
            "header_row": f.header_row,
            "title_rows": f.title_rows,
            "footer_rows": f.footer_rows,
        }
        table.add_row(f.file, {"kind": f.kind, **counts, "sha256": f.sha256, **layout})
    table.meta["persons"] = [f.file for f in result.files if f.kind in PERSON_FILES]
    return table


def problems_table(result: CleanResult) -> PublishedTable:
    """Rejected rows per file, column and rule (rows of a person file are persons: small numbers hidden)."""
    table = PublishedTable(
        "problems",
        [Column("file", "text"), Column("column", "text"), Column("rule", "code", of="rule"), Column("rows", "count")],
        rows_are="row_number",
        min_cell=result.project.config.min_cell,
    )
    kinds = {f.file: f.kind for f in result.files}
    for i, r in enumerate(result.problem_counts().itertuples(), start=1):
        persons = kinds.get(r.file) in PERSON_FILES
        rows = small_count_cell(r.rows, table.min_cell) if persons else Cell(int(r.rows))
        table.add_row(str(i), {"file": r.file, "column": r.column, "rule": r.rule, "rows": rows})
    return table


NOTES = ("unknown_label", "combined_label", "split_label", "restored_leading_zero")


def notes_table(result: CleanResult) -> PublishedTable:
    """Rows kept with a note, per file, column, note and the value in the file; anonymous participants last.

    The rows of a note are often persons (an unknown label of a participant): a count below
    ``min_cell`` is hidden as on its own (it is part of no published sum).
    """
    table = PublishedTable(
        "notes",
        [
            Column("file", "text"),
            Column("column", "text"),
            Column("note", "code", of="clean_note"),
            Column("label", "text"),
            Column("rows", "count"),
        ],
        rows_are="row_number",
        min_cell=result.project.config.min_cell,
    )
    counts = result.notice_counts()
    counts = counts[counts["notice"].isin(NOTES)]
    for i, r in enumerate(counts.itertuples(), start=1):
        label = r.value if r.notice != "restored_leading_zero" else None
        cells = {"file": r.file, "column": r.column, "note": r.notice, "label": label}
        table.add_row(str(i), {**cells, "rows": small_count_cell(int(r.rows), table.min_cell)})
    anon = int(result.counts.get("anonymous_rows", 0))
    if anon:
        rows = small_count_cell(anon, table.min_cell)
        table.add_row("anonymous", {"file": None, "column": "person_id", "note": "anonymous", "rows": rows})
    return table


def cleaning_section(result: CleanResult) -> CleaningSection:
    """The cleaning section of one project from its :class:`CleanResult`.

    Example
    -------
    >>> section = cleaning_section(clean_project(ctx.project))  # doctest: +SKIP
    >>> section.to_results()["files"]["rows"]["deltagare.csv"]["rows_kept"]  # doctest: +SKIP
    """
    tree = {
        "data_end": result.data_end.isoformat(),
        "balanced": result.balanced,
        "key_source": result.key_source,
        "panel_domain": result.project.config.panel_domain,
        "anonymous_rows": small_count_cell(int(result.counts.get("anonymous_rows", 0)), result.project.config.min_cell),
        "files": files_table(result),
        "problems": problems_table(result),
        "notes": notes_table(result),
    }
    return CleaningSection("cleaning", tree)


HEADERS = (
    "kind",
    "rows_read",
    "rows_kept",
    "rows_rejected",
    "sha256",
    "file",
    "column",
    "rule",
    "rows",
    "note",
    "label",
)


def headers(lang: str) -> dict[str, str]:
    keys = {"kind": "col_kind", "sha256": "col_sha256", "file": "col_file", "column": "col_column", "rule": "col_rule"}
    return {h: t(keys.get(h, f"col_{h}"), lang) for h in HEADERS}


# how the cleaning step names the key it pseudonymised with -> the words of the report
KEY_SOURCES = {
    "public demo key (synthetic project)": "clean_key_demo",
    "none (ids already pseudonymised)": "clean_key_none",
}


def key_source_text(source: str, lang: str) -> str:
    """The pseudonymisation key in words: the demo key, none, or the place of a secret key (as code)."""
    key = KEY_SOURCES.get(source)
    return t(key, lang) if key else t("clean_key_file", lang, name=source)


class CleaningSection(SectionResult):
    def show(self, lang: str) -> None:
        tree, labels = self.tree, Labels(lang)
        show_text(f"# {t('clean_heading', lang)}")
        show_text(
            t("clean_intro", lang, key_source=key_source_text(tree["key_source"], lang))
            + " "
            + t("clean_data_end", lang, date=tree["data_end"])
        )
        note = t("clean_rows_note", lang)
        show_published(
            tree["files"],
            t("clean_reconciliation_caption", lang),
            lang,
            labels=labels,
            headers=headers(lang),
            row_header=t("col_file", lang),
            note=note,
            code_rows=True,
        )
        problems: PublishedTable = tree["problems"]
        if not problems.rows:
            show_text(t("clean_no_problems", lang))
        else:
            show_published(
                problems,
                t("clean_problems_caption", lang),
                lang,
                labels=labels,
                headers=headers(lang),
                row_header=None,
                note=note,
                code_columns=("file", "column"),
            )
        notes: PublishedTable = tree["notes"]
        if notes.rows:
            show_published(
                notes,
                t("clean_notes_caption", lang),
                lang,
                labels=labels,
                headers=headers(lang),
                row_header=None,
                note=t("clean_notes_note", lang, min=notes.min_cell),
                code_columns=("file", "column", "label"),
            )


def save_section_for_other_language(section: CleaningSection, processed_dir: Path) -> None:
    """Keep ``section`` in ``processed_dir`` for the report in the other language (:func:`show_saved_section`).

    Returns nothing, so nothing of it is printed into the report.
    """
    (Path(processed_dir) / SAVED_SECTION).write_bytes(pickle.dumps(section, protocol=5))


def show_saved_section(ctx: Any) -> None:
    """Show the cleaning section that the cleaning step saved, in ``ctx.lang``, and save its results node again.

    ``ctx`` is the notebook's :class:`analysis.pipeline.notebook.NotebookContext` (not imported: the
    report stage does not import the pipeline).
    """
    from analysis.project import paths

    staged = ctx.processed_dir / SAVED_SECTION
    path = (
        staged
        if staged.is_file()
        else paths.processed_dir(ctx.project.id, ctx.root, ctx.project.delivery_name) / SAVED_SECTION
    )
    section = pickle.loads(path.read_bytes())
    ctx.publish(section)
