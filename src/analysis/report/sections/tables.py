"""Publish the participant, outcome, target and survey sections in a notebook.

Each ``show_*`` function takes a result object from :mod:`analysis.tables.participants`,
:mod:`analysis.tables.outcomes`, :mod:`analysis.tables.targets` or :mod:`analysis.tables.survey`, writes
the headings and prose in the report language and shows every table and figure
through :mod:`analysis.report.display`. The tables shown are the results'
``summary()`` frames, which have already passed disclosure control.
"""

from __future__ import annotations

from analysis.project.i18n import t
from analysis.report.display import show_figure, show_table, show_text
from analysis.tables.targets import is_share_metric


def _table(obj, lang: str, caption: str | None = None, note: str | None = None, index: bool = True) -> None:
    df = obj.summary(lang)
    cap = caption or (obj.caption(lang) if hasattr(obj, "caption") else "") or ""
    if note is None and hasattr(obj, "note"):
        note = obj.note(lang)
    show_table(df, cap, note=note, index=index)


def show_participants(result, lang: str) -> None:
    """Flow, referring agencies, time on support, gender by age, origin, education, income, tracks."""
    show_text(f"# {t('sec_participants_heading', lang)}")
    show_text(result.flow.sentence(lang) + " " + t("sec_participants_intro", lang, min_cell=result.min_cell))
    show_table(
        result.flow.summary(lang),
        t("tab_cap_flow", lang),
        note=result.flow.protected.note(lang) if hasattr(result.flow.protected, "note") else None,
    )
    show_text(f"## {t('sec_participants_who', lang)}")
    for name in ("referred_by", "support_before_by_agency"):
        _table(result.tables[name], lang)
    show_table(
        result.support.summary(lang),
        t("sec_support_median_caption", lang),
        note=t("sec_support_median_note", lang, min_cell=result.min_cell),
    )
    figure = result.tables["referred_by"].plot(lang)
    if figure is not None:
        show_figure(figure, result.tables["referred_by"].caption(lang) or "")
    show_text(f"## {t('sec_participants_background', lang)}")
    for name in ("gender_by_age", "origin", "education", "income_at_start"):
        _table(result.tables[name], lang)
    if "track" in result.tables:
        show_text(f"## {t('sec_participants_tracks', lang)}")
        for name, dist in result.tables.items():
            if name == "track" or name.endswith("_by_track"):
                _table(dist, lang)


def show_outcomes(result, lang: str) -> None:
    """Exit status, follow-up waves, transitions, income sources and the share in work or study."""
    show_text(f"# {t('sec_outcomes_heading', lang)}")
    show_text(t("sec_outcomes_intro", lang))
    show_text(f"## {t('sec_outcomes_work_or_study', lang)}")
    show_table(
        result.work_or_study.summary(lang), t("tab_cap_work_or_study", lang), note=t("tab_note_work_or_study", lang)
    )
    show_text(f"## {t('sec_outcomes_exit', lang)}")
    _table(result.exit_status, lang)
    fig = result.plot(lang)
    show_figure(fig, t("sec_outcomes_figure", lang))
    for dist in result.exit_status_by.values():
        _table(dist, lang)
    show_text(f"## {t('sec_outcomes_followup', lang)}")
    if not result.waves:
        show_text(t("tab_no_followups", lang))
    for wave in result.waves:
        _table(wave.status, lang, caption=t("tab_cap_followup_status", lang, months=wave.wave))
        if wave.transitions is not None:
            _table(wave.transitions, lang)
    show_text(f"## {t('sec_outcomes_income', lang)}")
    show_table(
        result.income.summary(lang),
        t("tab_cap_income", lang),
        note=t(
            "sec_income_note",
            lang,
            codes=", ".join(t(f"tab_income_{c}", lang) for c in result.income.self_supporting_codes),
        ),
    )


def show_targets(result, lang: str) -> None:
    """Every target of project.yml: definition, value, interval, threshold, status."""
    show_text(f"# {t('sec_targets_heading', lang)}")
    if result.table.empty:
        show_text(t("sec_targets_none", lang))
        return
    counts = result.table["status"].value_counts()
    show_text(
        t(
            "sec_targets_intro",
            lang,
            n=len(result.table),
            met=int(counts.get("met", 0)),
            not_met=int(counts.get("not_met", 0)),
            not_measurable=int(counts.get("not_measurable", 0)),
        )
    )
    show_table(
        result.summary(lang),
        t("tab_cap_targets", lang),
        note=t("sec_targets_note", lang, min_cell=result.min_cell),
        index=False,
    )
    if result.table["metric"].map(is_share_metric).any():
        show_figure(result.plot(lang), t("sec_targets_figure", lang))


def show_survey(result, lang: str) -> None:
    """Likert items (diverging bars and a table), exit vs follow-up, with response rates."""
    show_text(f"# {t('sec_survey_heading', lang)}")
    if result is None:
        show_text(t("sec_survey_none", lang))
        return
    show_text(t("sec_survey_intro", lang))
    show_table(result.response_rate_summary(lang), t("tab_cap_response_rates", lang), index=False)
    show_table(
        result.summary(lang),
        t("tab_cap_survey", lang),
        index=False,
        note=t("sec_survey_note", lang, min_cell=result.min_cell),
    )
    fig = result.plot(lang)
    if fig is not None:
        show_figure(fig, t("tab_cap_survey_figure", lang))
    show_table(result.distribution_summary(lang), t("tab_cap_survey_distribution", lang))
