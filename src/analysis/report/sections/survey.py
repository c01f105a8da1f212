"""The survey section: response rates, the share agreeing per item and wave, the answers per option, and the
coded categories of the categorical items (counts and shares, never a share agreeing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analysis.disclosure.published import PublishedTable
from analysis.report.display import show_figure, show_text
from analysis.report.figures import answers_figure
from analysis.report.format import formatter
from analysis.report.i18n import t
from analysis.report.labels import Labels
from analysis.report.section import SectionResult, show_no_data
from analysis.report.tables import show_published
from analysis.report.text import join_words
from analysis.tables.survey import summarise_survey


def survey_section(tables: Mapping[str, Any], config, data_end: dt.date) -> SurveySection:
    """Summarise and publish the participant survey (or say which data would fill the section).

    Example
    -------
    >>> section = survey_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["response_rates"]["rows"]["exit"]["rate"]  # doctest: +SKIP
    """
    spec = config.survey
    result = summarise_survey(tables.get("survey"), spec, tables["participants"], data_end, min_cell=config.min_cell)
    if result is None:
        reason = "no_items" if spec is None or not spec.items else "no_survey"
        return SurveySection("survey", {"min_cell": config.min_cell, "no_data": {"survey": reason}}, {"spec": spec})
    return SurveySection("survey", result.published(), {"spec": spec})


class SurveySection(SectionResult):
    def labels(self, lang: str) -> Labels:
        spec = self.context["spec"]
        texts = {i.id: ((i.text_en or i.text_sv) if lang == "en" else i.text_sv) for i in spec.items}

        def item(code: str) -> str | None:
            item_id, _, wave = code.partition(":")
            if item_id not in texts:
                return None
            return f"{texts[item_id]} – {t(f'tab_wave_{wave}', lang)}" if wave else texts[item_id]

        scales: dict[str, Any] = {
            f"scale:{name}": (lambda c, name=name: self._category(name, c, lang))
            for name, sc in spec.scales.items()
            if sc.categorical
        }
        return Labels(lang, {"survey_item": item, **scales})

    def _category(self, scale: str, code: str, lang: str) -> str | None:
        names = self.scale_labels(scale, lang)
        return names[int(code) - 1] if code.isdigit() and 1 <= int(code) <= len(names) else None

    def scale_labels(self, scale: str, lang: str) -> list[str]:
        sc = self.context["spec"].scales[scale]
        return list((sc.labels_en or sc.labels_sv) if lang == "en" else sc.labels_sv)

    def agree_words(self, lang: str) -> str | None:
        """What "agreeing" means in the words of the scale ("Bra eller mycket bra"); None when items use several."""
        spec = self.context["spec"]
        used = {i.scale for i in spec.items if not spec.scales[i.scale].categorical}
        if len(used) != 1:
            return None
        scale = next(iter(used))
        words = self.scale_labels(scale, lang)[spec.scales[scale].agree_from - 1 :]
        text = join_words([words[0]] + [w[:1].lower() + w[1:] for w in words[1:]], lang, last=t("word_or", lang))
        return text

    def show(self, lang: str) -> None:
        show_text(f"# {t('sec_survey_heading', lang)}")
        if "survey" in self.no_data:
            show_no_data("survey", self.no_data["survey"], lang)
            return
        tree, labels = self.tree, self.labels(lang)
        # the scale sentence only where there are statements on a scale (not when every item is coded categories)
        show_text(t("sec_survey_intro" if "items" in tree else "sec_survey_intro_coded", lang))
        show_published(
            tree["response_rates"],
            t("tab_cap_response_rates", lang),
            lang,
            labels=labels,
            row_header=t("tab_col_wave", lang),
            headers={
                "respondents": t("tab_col_respondents", lang),
                "eligible": t("tab_col_eligible", lang),
                "rate": t("tab_col_response_rate", lang),
            },
        )
        if "items" in tree:
            self._show_ordinal(tree, labels, lang)
        if tree.get("categories"):
            self._show_categories(tree, labels, lang)
        for note in tree.get("notes", []):
            show_text(survey_note(note, labels, lang))

    def _show_categories(self, tree: Mapping[str, Any], labels: Labels, lang: str) -> None:
        """Per categorical item: how many answered in each coded category, per wave (no share agreeing)."""
        show_text(t("sec_survey_categories_intro", lang))
        for item, pt in tree["categories"].items():
            show_published(
                pt,
                t("tab_cap_survey_categories", lang, item=labels("survey_item", item)),
                lang,
                labels=labels,
                row_header=t("tab_col_category", lang),
                headers={"count": t("n", lang), "share": "%"},
                note=t("sec_survey_categories_note", lang),
            )

    def _show_ordinal(self, tree: Mapping[str, Any], labels: Labels, lang: str) -> None:
        """The Likert items: the share agreeing per item and wave, the answers per option as a figure and tables."""
        items: PublishedTable = tree["items"]
        agree = self.agree_words(lang)
        item_labels = labels.with_extra(survey_item=lambda c: labels("survey_item", c.partition(":")[0]))
        show_published(
            items,
            t("tab_cap_survey", lang),
            lang,
            labels=item_labels,
            row_header=t("tab_col_item", lang),
            headers={
                "wave": t("tab_col_wave", lang),
                "share": t("tab_col_answer_pct", lang, answer=agree) if agree else t("tab_col_agree_pct", lang),
                "median": t("tab_col_median", lang),
            },
            note=t("sec_survey_note_answer", lang, answer=agree.lower(), min_cell=tree["min_cell"])
            if agree
            else t("sec_survey_note", lang, min_cell=tree["min_cell"]),
        )
        for scale, pt in tree["distributions"].items():
            fig = answers_figure(pt, self.scale_labels(scale, lang), lang, labels)
            if fig is not None:
                show_figure(fig, t("tab_cap_survey_figure", lang), lang=lang)
        for scale, pt in tree["distributions"].items():
            names = self.scale_labels(scale, lang)
            headers = {str(v): name for v, name in enumerate(names, start=1)}
            show_published(pt, t("tab_cap_survey_distribution", lang), lang, labels=labels, headers=headers)


def survey_note(note: dict, labels: Labels, lang: str) -> str:
    """A data problem of the survey in plain words (answers outside the scale, more respondents than eligible)."""
    fmt = formatter(lang)

    def count(v: Any) -> str:
        return v.marker if getattr(v, "marker", None) else fmt.count(getattr(v, "value", v))

    fields = {k: (count(v) if k in ("count", "respondents", "eligible") else v) for k, v in note.items() if k != "note"}
    if "item" in fields:
        fields["item"] = labels("survey_item", fields["item"])
    if "wave" in fields:
        fields["wave"] = t(f"tab_wave_{fields['wave']}", lang)
    return t(f"sec_survey_note_{note['note']}", lang, **fields)
