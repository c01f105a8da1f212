"""The cleaning section of the report: reconciliation and quarantined rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.clean.result import CleanResult
from analysis.clean.rulebook import RULES
from analysis.project.i18n import t
from analysis.report.display import show_table, show_text
from analysis.report.results import save_section


def reconciliation_table(result: CleanResult, lang: str) -> pd.DataFrame:
    rec = result.reconciliation
    return pd.DataFrame(
        {
            t("col_file", lang): rec["file"],
            t("col_kind", lang): [t(f"kind_{k}", lang) for k in rec["kind"]],
            t("col_rows_read", lang): rec["rows_read"],
            t("col_rows_kept", lang): rec["rows_kept"],
            t("col_rows_rejected", lang): rec["rows_rejected"],
        }
    )


def problems_table(result: CleanResult, lang: str) -> pd.DataFrame:
    counts = result.problem_counts()
    return pd.DataFrame(
        {
            t("col_file", lang): counts["file"],
            t("col_column", lang): counts["column"],
            t("col_rule", lang): [RULES[r].label(lang) for r in counts["rule"]],
            t("col_rows", lang): counts["rows"],
        }
    )


NOTES = ("unknown_label", "combined_label", "split_label", "restored_leading_zero")


def notes_table(result: CleanResult, lang: str) -> pd.DataFrame:
    """Rows kept with a note (an unknown label kept as unknown, ...); a count below min_cell shows as "<5"."""
    counts = result.notice_counts()
    counts = counts[counts["notice"].isin(NOTES)]
    mc = result.project.config.min_cell
    rows = [
        (r.file, r.column, t(f"clean_note_{r.notice}", lang), r.value if r.notice != "restored_leading_zero" else "")
        + ((f"<{mc}" if 0 < r.rows < mc else str(r.rows)),)
        for r in counts.itertuples()
    ]
    anon = int(result.counts.get("anonymous_rows", 0))
    if anon:
        rows.append(("", "person_id", t("clean_note_anonymous", lang), "", f"<{mc}" if anon < mc else str(anon)))
    cols = [t("col_file", lang), t("col_column", lang), t("col_note", lang), t("col_label", lang), t("col_rows", lang)]
    return pd.DataFrame(rows, columns=cols)


def show(result: CleanResult, lang: str) -> None:
    """Publish the cleaning section in the notebook/report."""
    show_text(f"# {t('clean_heading', lang)}")
    key = result.key_source
    show_text(
        t("clean_intro", lang, key_source=key) + " " + t("clean_data_end", lang, date=result.data_end.isoformat())
    )
    note = t("clean_rows_note", lang)
    show_table(reconciliation_table(result, lang), t("clean_reconciliation_caption", lang), note=note, index=False)
    if result.problems.empty:
        show_text(t("clean_no_problems", lang))
    else:
        show_table(problems_table(result, lang), t("clean_problems_caption", lang), note=note, index=False)
    notes = notes_table(result, lang)
    if len(notes):
        show_table(
            notes,
            t("clean_notes_caption", lang),
            note=t("clean_notes_note", lang, min=result.project.config.min_cell),
            index=False,
        )


def save(result: CleanResult, report_dir: Path) -> None:
    """The cleaning numbers for results.json (rows per file; file rows, not person counts)."""
    save_section(
        report_dir,
        "cleaning",
        {
            "data_end": result.data_end.isoformat(),
            "balanced": result.balanced,
            "panel_domain": result.project.config.panel_domain,
            "anonymous_rows": int(result.counts.get("anonymous_rows", 0)),
            "notes": _notes(result),
            "files": [
                {
                    "file": f.file,
                    "kind": f.kind,
                    "sheet": f.sheet,
                    "header_row": f.header_row,
                    "title_rows": f.title_rows,
                    "footer_rows": f.footer_rows,
                    "rows_read": f.rows_read,
                    "rows_kept": f.rows_kept,
                    "rows_rejected": f.rows_rejected,
                }
                for f in result.files
            ],
        },
    )


def _notes(result: CleanResult) -> list[dict]:
    mc = result.project.config.min_cell
    counts = result.notice_counts()
    return [
        {
            "file": r.file,
            "column": r.column,
            "note": r.notice,
            "label": r.value if r.notice != "restored_leading_zero" else None,
            "rows": int(r.rows) if r.rows >= mc else None,
        }
        for r in counts[counts["notice"].isin(NOTES)].itertuples()
    ]
