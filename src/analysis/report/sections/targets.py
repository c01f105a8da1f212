"""The targets section: every target of project.yml with its value, interval, threshold and assessment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from analysis.disclosure.published import Cell, Column, PublishedTable
from analysis.report.display import show_figure, show_text
from analysis.report.figures import targets_figure
from analysis.report.format import formatter
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.section import SectionResult
from analysis.report.tables import show_published
from analysis.report.text import join_words, plural
from analysis.tables.targets import evaluate_targets


def targets_section(tables: Mapping[str, Any], config, data_end: dt.date) -> TargetsSection:
    """Evaluate and publish the project's own targets.

    Example
    -------
    >>> section = targets_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["table"]["rows"]["wos_12m"]["value"]  # doctest: +SKIP
    """
    return TargetsSection("targets", evaluate_targets(config, cast(dict, tables), data_end).published())


def definition(d: dict, lang: str) -> str:
    """A target's metric in words, e.g. "Andel i arbete eller studier inom 12 månader från start"."""
    return t(f"tab_target_def_{d['metric']}", lang, months=d["months"] or "", days=d["days"] or "")


def target_label(d: dict, lang: str) -> str:
    return (d.get(f"label_{lang}") or d.get("label_sv")) or definition(d, lang)


class TargetsSection(SectionResult):
    def labels(self, lang: str) -> Labels:
        defs = self.tree["definitions"]
        return Labels(
            lang,
            {
                "target": {k: target_label(d, lang) for k, d in defs.items()},
                "target_definition": {k: definition(d, lang) for k, d in defs.items()},
            },
        )

    def show(self, lang: str) -> None:
        table: PublishedTable = self.tree["table"]
        show_text(f"# {t('sec_targets_heading', lang)}")
        if not table.rows:
            show_text(t("sec_targets_none", lang))
            return
        status = [table.cell(r, "status").value for r in table.rows]
        counts = [(s, status.count(s)) for s in ("met", "not_met", "not_measurable")]
        parts = [f"{k} {plural(k, f'target_{s}', lang)}" for s, k in counts if k]
        n = f"{len(status)} {plural(len(status), 'target', lang)}"
        show_text(t("sec_targets_intro", lang, n=n, parts=join_words(parts, lang)))
        labels = self.labels(lang)
        fmt = formatter(lang)

        def threshold(row: str, col: Column, cell: Cell) -> str:
            kind = cell.kind or col.kind
            value = fmt.count(cell.value) if kind == "count" else fmt.percent(cell.value)
            return t("tab_target_at_least", lang, value=value)

        def assessment(row: str, col: Column, cell: Cell) -> str:
            text = labels("target_status", cell.value)
            verdict = table.cell(row, "ci_verdict").value
            if verdict in ("clearly_met", "clearly_not_met"):
                text += f" ({labels('target_verdict', verdict)})"
            return text

        show_published(
            table,
            t("tab_cap_targets", lang),
            lang,
            labels=labels,
            row_header=t("tab_col_target", lang),
            headers={
                "definition": t("tab_col_definition", lang),
                "value": t("tab_col_value", lang),
                "threshold": t("tab_col_threshold", lang),
                "status": t("tab_col_status", lang),
            },
            formats={"threshold": threshold, "status": assessment},
            note=t("sec_targets_note", lang, min_cell=table.min_cell),
        )
        for row in table.rows:  # why a target cannot be measured yet, in plain words
            note = table.cell(row, "note").value
            if note is not None and table.cell(row, "status").value == "not_measurable":
                d = self.tree["definitions"][row]
                show_text(t("sec_target_why", lang, label=target_label(d, lang), why=_why(note, d, lang)))
        fig = targets_figure(table, lang, labels)
        if fig is not None:
            show_figure(fig, t("sec_targets_figure", lang), lang=lang)


def _why(note: str, d: dict, lang: str) -> str:
    key = f"tab_target_note_{note}_{d['metric']}"
    from analysis.report.i18n import table as keys

    return t(key if key in keys() else f"tab_target_note_{note}", lang)
