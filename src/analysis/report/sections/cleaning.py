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


def save(result: CleanResult, report_dir: Path) -> None:
    """The cleaning numbers for results.json (rows per file; file rows, not person counts)."""
    save_section(
        report_dir,
        "cleaning",
        {
            "data_end": result.data_end.isoformat(),
            "balanced": result.balanced,
            "files": [
                {
                    "file": f.file,
                    "kind": f.kind,
                    "rows_read": f.rows_read,
                    "rows_kept": f.rows_kept,
                    "rows_rejected": f.rows_rejected,
                }
                for f in result.files
            ],
        },
    )
