"""The cleaning section of the report: rows read, kept and rejected per raw file, and the rules they broke.

Rows of a file with one row per person (participants, comparison group) are
persons: their counts are protected as linked counts (read = kept + rejected), and
when a complement is needed the rows read are hidden, since the persons kept are
published again as the flow and the comparison group. Rows of other files
(follow-ups, survey answers, register months) are file rows and stay exact.
"""

from __future__ import annotations

from analysis.clean.result import CleanResult
from analysis.disclosure.published import Cell, Column, PublishedTable, linked_cell, small_count_cell
from analysis.disclosure.suppression import protect_linked
from analysis.report.display import show_text
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.section import SectionResult
from analysis.report.tables import show_published

PERSON_FILES = frozenset({"participants", "comparison"})


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
        table.add_row(f.file, {"kind": f.kind, **counts, "sha256": f.sha256})
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
        "files": files_table(result),
        "problems": problems_table(result),
    }
    return CleaningSection("cleaning", tree)


HEADERS = ("kind", "rows_read", "rows_kept", "rows_rejected", "sha256", "file", "column", "rule", "rows")


def headers(lang: str) -> dict[str, str]:
    keys = {"kind": "col_kind", "sha256": "col_sha256", "file": "col_file", "column": "col_column", "rule": "col_rule"}
    return {h: t(keys.get(h, f"col_{h}"), lang) for h in HEADERS}


class CleaningSection(SectionResult):
    def show(self, lang: str) -> None:
        tree, labels = self.tree, Labels(lang)
        show_text(f"# {t('clean_heading', lang)}")
        show_text(
            t("clean_intro", lang, key_source=tree["key_source"])
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
            )
