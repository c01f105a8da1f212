"""The outcomes section: work or study, status at exit and at follow-up, transitions, income sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analysis.clean.store import panel_for
from analysis.disclosure.published import PublishedTable
from analysis.project.codes import DEFAULT_SELF_SUPPORTING
from analysis.project.contract import panel_measures
from analysis.report.display import show_figure, show_text
from analysis.report.figures import hidden_note, panels
from analysis.report.i18n import t
from analysis.report.labels import Labels, timepoint_label
from analysis.report.section import SectionResult, show_no_data
from analysis.report.tables import show_compact, show_published
from analysis.report.text import join_words
from analysis.tables.funder import ESF_WAVE, esf_indicators, income_by_sex
from analysis.tables.outcomes import outcome_tables


def outcomes_section(tables: Mapping[str, Any], config, data_end: dt.date) -> OutcomesSection:
    """Compute and publish the outcome tables of one project.

    Example
    -------
    >>> section = outcomes_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["work_or_study"]["rows"]["exit"]["among_all"]["share"]  # doctest: +SKIP
    """
    panel = panel_for(tables, tables["participants"]["person_key"])
    if not panel_measures(getattr(config, "panel_domain", None), "work_or_study"):
        panel = None  # an income-support panel cannot tell work or study after exit
    result = outcome_tables(
        tables["participants"],
        tables.get("followups"),
        data_end,
        config,
        waves=config.followup_months_after_exit,
        panel=panel,
    )
    tree = result.published()
    esf = esf_indicators(result, config.work_or_study)
    if esf is not None:
        tree["esf"] = esf
        tree["income_by_sex"] = income_by_sex(tables["participants"], data_end, result, config)
    return OutcomesSection("outcomes", tree)


class OutcomesSection(SectionResult):
    def show(self, lang: str) -> None:
        tree = self.tree
        income: PublishedTable = tree["income"]
        labels = Labels(lang, {"income": {"self_supporting": t("tab_self_supporting", lang)}})
        show_text(f"# {t('sec_outcomes_heading', lang)}")
        show_text(t("sec_outcomes_intro", lang))
        show_text(f"## {t('sec_outcomes_work_or_study', lang)}")
        wos: PublishedTable = tree["work_or_study"]
        source = wos.meta.get("after_exit_from")
        wos_note = t("tab_note_work_or_study", lang)
        if source == "panel":
            months = [r for r in wos.rows if r != "exit"]
            wos_note += " " + t("tab_note_work_or_study_panel", lang, months=join_words(months, lang))
        show_published(
            wos,
            t("tab_cap_work_or_study" if source else "tab_cap_work_or_study_exit", lang),
            lang,
            labels=labels,
            note=wos_note,
            headers={"n": t("tab_col_base", lang)},
        )
        if "after_exit" in self.no_data:
            show_no_data("after_exit", self.no_data["after_exit"], lang)
        show_text(f"## {t('sec_outcomes_exit', lang)}")
        show_published(tree["exit_status"], t("tab_cap_exit_status", lang), lang, labels=labels)
        waves: dict[str, dict] = tree.get("waves", {})
        statuses = [(timepoint_label("exit", lang), tree["exit_status"])]
        statuses += [(timepoint_label(w, lang), node["status"]) for w, node in waves.items()]
        fig = panels(statuses, lang, labels)
        if fig is not None:
            note = hidden_note([pt for _, pt in statuses], lang)
            show_figure(fig, t("sec_outcomes_figure", lang), note=note, lang=lang)
        for by, pt in tree["exit_status_by"].items():
            show_published(pt, t(f"tab_cap_exit_status_by_{by}", lang), lang, labels=labels)
        show_text(f"## {t('sec_outcomes_followup', lang)}")
        if "waves" in self.no_data:
            show_no_data("waves", self.no_data["waves"], lang)
        for w, node in waves.items():
            show_published(node["status"], t("tab_cap_followup_status", lang, months=w), lang, labels=labels)
            if "transitions" in node:
                show_published(
                    node["transitions"],
                    t("tab_cap_transitions", lang, months=w),
                    lang,
                    labels=labels,
                    row_header=t("tab_col_exit_vs_followup", lang),
                )
        show_text(f"## {t('sec_outcomes_income', lang)}")
        chosen = list(income.meta["self_supporting_codes"])
        codes = ", ".join(t(f"tab_income_{c}", lang) for c in chosen)
        key = "sec_income_note" if chosen == list(DEFAULT_SELF_SUPPORTING) else "sec_income_note_chosen"
        show_published(income, t("tab_cap_income", lang), lang, labels=labels, note=t(key, lang, codes=codes))
        self._show_funder(tree, labels, lang)

    def _show_funder(self, tree: Mapping[str, Any], labels: Labels, lang: str) -> None:
        """What a funder recognises: ESF's result indicators by sex, SUS's income before and after by sex, and
        where SUS's exit reasons by sex are."""
        if "esf" not in tree:
            return
        esf: PublishedTable = tree["esf"]
        show_text(f"## {t('sec_funder_heading', lang)}")
        show_text(t("sec_funder_intro", lang))
        codes = esf.meta["codes"]
        words = join_words([t(f"tab_status_{c}", lang).lower() for c in codes["exit"]], lang, last=t("word_or", lang))
        note = t("sec_funder_note_exit", lang, statuses=words)
        if f"followup_{ESF_WAVE}" in codes:
            note += " " + t("sec_funder_note_followup", lang, months=ESF_WAVE)
        else:
            note += " " + t("sec_funder_note_no_followup", lang, months=ESF_WAVE)
        show_compact(
            esf,
            t("tab_cap_esf", lang),
            lang,
            labels=labels.with_extra(
                esf_indicator=lambda c: t(f"tab_esf_{c.split('_')[0]}", lang, months=ESF_WAVE),
                gender={g: t(f"tab_esf_{g}", lang) for g in ("female", "male", "total")},
            ),
            row_header=t("tab_col_indicator", lang),
            headers={"n": t("tab_col_base", lang), "successes": t("n", lang), "share": "%"},
            note=note,
        )
        if "income_by_sex" in tree:
            self._show_income_by_sex(tree["income_by_sex"], labels, lang)
        show_text(t("sec_funder_sus", lang, exit_table=t("tab_cap_exit_status_by_gender", lang)))

    def _show_income_by_sex(self, table: PublishedTable, labels: Labels, lang: str) -> None:
        """SUS's income support and self-support at start and at exit, by sex (after the ESF table)."""
        codes = table.meta["codes"]
        chosen: list[str] = next((c for k, c in codes.items() if k.startswith("self_supporting")), [])
        words = join_words([t(f"tab_income_{c}", lang).lower() for c in chosen], lang, last=t("word_or", lang))
        show_compact(
            table,
            t("tab_cap_income_by_sex", lang),
            lang,
            labels=labels.with_extra(
                income_indicator=lambda c: t(f"tab_income_by_sex_{c}", lang),
                gender={g: t(f"tab_esf_{g}", lang) for g in ("female", "male", "total")},
            ),
            row_header=t("tab_col_indicator", lang),
            headers={"n": t("tab_col_base", lang), "successes": t("n", lang), "share": "%"},
            note=t("sec_funder_note_income", lang, sources=words),
        )
