"""The participants section: the flow, referring agencies, time on support, background and tracks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analysis.disclosure.published import PublishedTable
from analysis.report.display import show_figure, show_text
from analysis.report.figures import hidden_note, share_bars
from analysis.report.format import formatter
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.section import SectionResult
from analysis.report.tables import cell_text, show_published
from analysis.tables.participants import participant_tables

CAPTIONS = {
    "referred_by": "tab_cap_referred_by",
    "support_before_by_agency": "tab_cap_support_before",
    "gender_by_age": "tab_cap_gender_by_age",
    "origin": "tab_cap_origin",
    "education": "tab_cap_education",
    "income_at_start": "tab_cap_income_at_start",
    "track": "tab_cap_track",
}


def caption(name: str, lang: str) -> str:
    if name in CAPTIONS:
        return t(CAPTIONS[name], lang)
    if name.endswith("_by_track"):
        return t(f"tab_cap_{name}", lang)
    return name


def participants_section(tables: Mapping[str, Any], config, data_end: dt.date) -> ParticipantsSection:
    """Compute and publish the participant tables of one project.

    Example
    -------
    >>> section = participants_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.show("sv"); section.to_results()["flow"]["rows"]["enrolled"]["count"]  # doctest: +SKIP
    """
    result = participant_tables(tables["participants"], data_end, config, anonymous=tables.get("anonymous"))
    return ParticipantsSection("participants", result.published())


class ParticipantsSection(SectionResult):
    def show(self, lang: str) -> None:
        tree, mc = self.tree, self.tree["min_cell"]
        labels = Labels(lang)
        flow: PublishedTable = tree["flow"]
        show_text(f"# {t('sec_participants_heading', lang)}")
        show_text(flow_sentence(flow, tree["data_end"], lang) + " " + t("sec_participants_intro", lang, min_cell=mc))
        show_published(flow, t("tab_cap_flow", lang), lang, labels=labels)
        tables: dict[str, PublishedTable] = tree["tables"]
        show_text(f"## {t('sec_participants_who', lang)}")
        for name in ("referred_by", "support_before_by_agency"):
            show_published(tables[name], caption(name, lang), lang, labels=labels)
        show_published(
            tree["support_median_by_agency"],
            t("sec_support_median_caption", lang),
            lang,
            labels=labels,
            headers={"median": t("tab_col_median_months", lang), "iqr": t("tab_col_iqr", lang)},
            note=t("sec_support_median_note", lang, min_cell=mc),
        )
        fig = share_bars(tables["referred_by"], lang, labels)
        if fig is not None:
            note = hidden_note([tables["referred_by"]], lang)
            show_figure(fig, caption("referred_by", lang), note=note, lang=lang)
        show_text(f"## {t('sec_participants_background', lang)}")
        for name in ("gender_by_age", "origin", "education", "income_at_start"):
            show_published(tables[name], caption(name, lang), lang, labels=labels)
        if "track" in tables:
            show_text(f"## {t('sec_participants_tracks', lang)}")
            for name, pt in tables.items():
                if name == "track" or name.endswith("_by_track"):
                    show_published(pt, caption(name, lang), lang, labels=labels)


def flow_sentence(flow: PublishedTable, data_end: str, lang: str) -> str:
    """E.g. "Till och med 2021-06-30 har 174 personer remitterats, 153 skrivits in ..." from the published cells."""
    fmt, labels = formatter(lang), Labels(lang)
    col = flow.column("count")

    def text(row: str) -> str:
        return cell_text(flow.cell(row, "count"), col, fmt, labels)

    return t(
        "tab_flow_sentence",
        lang,
        referred=text("referred"),
        enrolled=text("enrolled"),
        exited=text("exited"),
        active=text("active"),
        date=data_end,
    )
