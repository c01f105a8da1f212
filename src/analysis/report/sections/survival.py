"""The survival section: prose, tables and figures in the report language, from the published survival tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from analysis.disclosure.published import Cell, PublishedTable
from analysis.report.display import in_appendix, show_figure, show_text
from analysis.report.format import formatter
from analysis.report.i18n import t, table
from analysis.report.labels import Labels, cox_term_label
from analysis.report.section import SectionResult, show_no_data
from analysis.report.style import set_style
from analysis.report.tables import show_published
from analysis.report.text import plural
from analysis.survival.analysis import SurvivalAnalysis, survival_analysis
from analysis.survival.plots import curve_figure
from analysis.survival.publish import grouping_code

GROUPINGS_KM = ("cohort", "all", "track", "gender")
GROUPINGS_CIF = ("cohort", "all", "group")


def survival_section(tables: Mapping[str, Any], config, data_end: dt.date) -> SurvivalSection:
    """Estimate and publish how long participants stay in work or study (or say which data would make it possible).

    Example
    -------
    >>> section = survival_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["kaplan_meier"]["total"]["rows"]["total"]["s12"]  # doctest: +SKIP
    """
    return from_analysis(survival_analysis(cast(dict, tables), config, data_end), data_end)


def from_analysis(res: SurvivalAnalysis, data_end: dt.date | str | None = None) -> SurvivalSection:
    return SurvivalSection("survival", res.published(), {"analysis": res, "data_end": data_end})


def group_label(by: str, g: object, lang: str) -> str:
    vocab = {"all": "total", "gender": "gender", "group": "survival_group", "track": "track"}.get(by, "cohort")
    return Labels(lang)(vocab, "total" if g == "all" else g)


class SurvivalSection(SectionResult):
    @property
    def analysis(self) -> SurvivalAnalysis:
        return self.context["analysis"]

    def show(self, lang: str) -> None:
        show_text(f"# {t('surv_heading', lang)}")
        if "survival" in self.no_data:
            show_no_data("survival", self.no_data["survival"], lang)
            return
        res, tree, fmt = self.analysis, self.tree, formatter(lang)
        spells = tree["spells"]

        def count(c: Cell) -> str:
            return c.marker or fmt.count(c.value)

        show_text(
            t(
                "surv_intro",
                lang,
                gap=f"{res.bridge_gap_months} {plural(res.bridge_gap_months, 'month', lang)}",
                data_end=str(self.context.get("data_end") or ""),
                left=count(spells["n_left_censored"]),
                spells=count(spells["n_spells_all"]),
                reentries=count(spells["n_reentries"]),
            )
        )
        if res.km:
            show_text(f"## {t('surv_km_heading', lang)}")
            for by in GROUPINGS_KM:
                # cohorts by track are the track analysis again: shown once, per track
                duplicate = by == "cohort" and res.cohort_by == "track" and "track" in res.km
                if by in res.km and not duplicate:
                    self._show_km(by, lang)
            self._show_planted(lang)
        self._show_cox(lang)
        if res.cif:
            show_text(f"## {t('surv_cif_heading', lang)}")
            keys = table()
            comp = ", ".join(
                t(f"tab_status_{c}", lang) if f"tab_status_{c}" in keys else c for c in res.competing_events
            )
            show_text(t("surv_cif_intro", lang, competing=comp or t("surv_competing_none", lang)))
            for by in GROUPINGS_CIF:
                if by in res.cif:
                    self._show_cif(by, lang)

    def _curves(self, curves: dict, by: str, lang: str, ylabel: str, xlabel: str):
        set_style()
        fmt = formatter(lang)
        fig, pg = curve_figure(
            curves,
            self.analysis.min_cell,
            xlabel=xlabel,
            ylabel=ylabel,
            labels={g: group_label(by, g, lang) for g in curves},
            at_risk_title=t("surv_at_risk", lang),
            count_format=fmt.count,
        )
        fig.axes[0].yaxis.set_major_formatter(fmt.tick("percent"))
        mc = self.analysis.min_cell
        dropped = [group_label(by, g, lang) for g in pg.dropped]
        notes = [t("surv_km_note", lang, min_cell=mc)]
        if dropped:
            notes.append(t("tab_note_groups_dropped", lang, min_cell=mc, groups=", ".join(dropped)))
        return fig, " ".join(notes)

    def _show_km(self, by: str, lang: str) -> None:
        res, fmt = self.analysis, formatter(lang)
        byname = t(f"surv_by_{'track' if by == 'cohort' and res.cohort_by == 'track' else by}", lang)
        fig, note = self._curves(res.km[by].curves, by, lang, t("surv_share_staying", lang), t("surv_months_in", lang))
        cap = t("surv_km_caption_all", lang) if by == "all" else t("surv_km_caption_by", lang, by=byname)
        show_figure(fig, cap, note=note, lang=lang)
        pt: PublishedTable = self.tree["kaplan_meier"][grouping_code(by)]
        show_published(
            pt,
            t("surv_table_caption_all", lang) if by == "all" else t("surv_table_caption", lang, by=byname),
            lang,
            labels=Labels(lang),
            row_header=t("surv_col_group", lang),
            headers={
                "n": t("surv_col_n", lang),
                "events": t("surv_col_events", lang),
                "median": t("surv_col_median", lang),
                **{f"s{m}": t("surv_col_at", lang, months=m) for m in res.times},
            },
            note=t("surv_table_note", lang, min_cell=res.min_cell),
        )
        lr = self.tree["logrank"].get(grouping_code(by))
        if lr:
            text = t(
                "surv_logrank",
                lang,
                by=byname,
                stat=fmt.number(lr["statistic"], 2),
                df=f"{lr['df']} {plural(lr['df'], 'df', lang)}",
                p=fmt.p_text(lr["p"]),
            )
            if lr["trend_statistic"] is not None:
                text += " " + t(
                    "surv_logrank_trend", lang, stat=fmt.number(lr["trend_statistic"], 2), p=fmt.p_text(lr["trend_p"])
                )
            show_text(text)

    def _show_cif(self, by: str, lang: str) -> None:
        res = self.analysis
        byname = t(f"surv_by_{'track' if by == 'cohort' and res.cohort_by == 'track' else by}", lang)
        fig, note = self._curves(
            res.cif[by], by, lang, t("surv_share_reached", lang), t("surv_months_from_start", lang)
        )
        cap = t("surv_cif_caption_all", lang) if by == "all" else t("surv_cif_caption_by", lang, by=byname)
        show_figure(fig, cap, note=note, lang=lang)
        show_published(
            self.tree["first_work_or_study"][grouping_code(by)],
            t("surv_cif_table_caption_all", lang) if by == "all" else t("surv_cif_table_caption", lang, by=byname),
            lang,
            labels=Labels(lang),
            row_header=t("surv_col_group", lang),
            headers={"n": t("surv_col_n", lang), **{f"i{m}": t("surv_col_at", lang, months=m) for m in res.times}},
            note=t("surv_table_note", lang, min_cell=res.min_cell),
        )

    def _show_cox(self, lang: str) -> None:
        res, fmt = self.analysis, formatter(lang)
        show_text(f"## {t('surv_cox_heading', lang)}")
        for d in self.tree.get("cox_dropped_terms", []):  # a covariate listed twice or collinear: said so
            kept = cox_term_label(d["kept"], lang) if d.get("kept") else ""
            show_text(t(f"surv_cox_dropped_{d['reason']}", lang, term=f"`{d['term']}`", kept=kept))
        if "cox" not in self.tree:
            why = self.no_data.get("cox", "other")
            key = f"surv_cox_why_{why}" if f"surv_cox_why_{why}" in table() else "surv_cox_why_other"
            show_text(t("surv_cox_missing", lang, why=t(key, lang)))
            return
        cox, node = res.cox, self.tree["cox"]
        assert cox is not None and res.spells is not None
        refs = [
            f"{t(f'surv_by_{v}', lang)}: {group_label(v, res.spells[v].dropna().sort_values().iloc[0], lang)}"
            for v in ("cohort", "gender", "track")
            if any(k.startswith(f"{v}[") for k in cox.params.index)
        ]
        n, events = node["n"], node["events"]
        show_text(
            t(
                "surv_cox_intro",
                lang,
                ref=", ".join(refs) or "–",
                n=n.marker or fmt.count(n.value),
                events=events.marker or fmt.count(events.value),
            )
        )
        show_published(
            node["terms"],
            t("surv_cox_caption", lang),
            lang,
            labels=Labels(lang),
            headers={
                "hr": t("surv_cox_col_hr", lang),
                "ci": t("surv_cox_col_ci", lang),
                "p": t("surv_cox_col_p", lang),
            },
        )
        ax = cox.plot(labels={k: cox_term_label(k, lang) for k in cox.params.index})
        _ratio_ticks(ax, fmt)
        show_figure(ax.figure, t("surv_cox_figure", lang), lang=lang)
        if res.ph_test is not None:
            bad = res.ph_test[res.ph_test["p"] < 0.05]
            if not bad.empty:  # the reader of the body needs to know how to read the ratios
                show_text(t("surv_ph_bad_short", lang))
            with in_appendix():
                show_text(f"## {t('surv_ph_heading', lang)}")
                if bad.empty:
                    show_text(t("surv_ph_ok", lang, p=fmt.p_text(float(res.ph_test["p"].min()))))
                else:
                    show_text(t("surv_ph_bad", lang, terms=", ".join(cox_term_label(k, lang) for k in bad.index)))

    def _show_planted(self, lang: str) -> None:
        pt = self.tree.get("planted_check")
        if pt is None or not pt.rows:
            return
        show_text(f"### {t('surv_planted_heading', lang)}")
        show_published(
            pt,
            t("surv_planted_caption", lang),
            lang,
            labels=Labels(lang),
            row_header=t("surv_col_group", lang),
            headers={"planted": t("surv_col_planted", lang), "hazard": t("surv_col_estimated", lang)},
        )


def _ratio_ticks(ax, fmt) -> None:
    """Hazard ratios on a log axis: ticks at halvings and doublings, written in the report's number format."""
    from matplotlib.ticker import NullFormatter

    lo, hi = ax.get_xlim()
    ticks = [v for v in (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0) if lo <= v <= hi]
    ax.set_xticks(ticks or [1.0])
    ax.xaxis.set_major_formatter(fmt.tick("number"))
    ax.xaxis.set_minor_formatter(NullFormatter())
