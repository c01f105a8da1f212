"""The effects section: prose, tables and figures in the report language, from the published effects tree.

The comparison design (the target-trial protocol, the panel-built comparison, the cobalt-style
diagnostics and the warning) is worded by :mod:`analysis.report.sections.design` from the same tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from analysis.disclosure.published import Cell, PublishedTable
from analysis.effects.analysis import EffectsAnalysis, effects_analysis
from analysis.effects.balance import BalanceResult
from analysis.report.display import in_appendix, show_figure, show_text
from analysis.report.format import formatter
from analysis.report.i18n import t, table
from analysis.report.labels import Labels, covariate_label, in_sentence
from analysis.report.section import SectionResult, show_no_data
from analysis.report.sections import design, effects_robust
from analysis.report.sections.effect_format import estimator_label, outcome_label, show_estimates, stage_label
from analysis.report.tables import cell_text, show_published
from analysis.report.text import plural

__all__ = ["EffectsSection", "effects_section", "estimator_label", "from_analysis", "outcome_label"]

BALANCE_STAGES = ("before", "matching", "ipw")  # the per-covariate table; every adjustment is in the diagnostics


def effects_section(tables: Mapping[str, Any], config, data_end: dt.date) -> EffectsSection:
    """Estimate and publish the effects of taking part (or say which data would make it possible).

    Example
    -------
    >>> section = effects_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["headline"]["estimate"]  # doctest: +SKIP
    """
    return from_analysis(effects_analysis(cast(dict, tables), config, data_end))


def from_analysis(res: EffectsAnalysis) -> EffectsSection:
    return EffectsSection("effects", res.published(), {"analysis": res})


class EffectsSection(SectionResult):
    @property
    def analysis(self) -> EffectsAnalysis:
        return self.context["analysis"]

    def outcome_names(self, lang: str) -> dict[str, str]:
        """Every outcome of either design by its code, in words."""
        res = self.analysis
        outcomes = dict(res.outcomes)
        if res.panel_design is not None:
            outcomes.update(res.panel_design.outcomes)
        return {n: outcome_label(o.spec, lang) for n, o in outcomes.items()}

    def labels(self, lang: str) -> Labels:
        return Labels(lang, {"outcome": self.outcome_names(lang), "estimator": lambda c: estimator_label(c, lang)})

    def show(self, lang: str) -> None:
        res, tree, fmt = self.analysis, self.tree, formatter(lang)
        show_text(f"# {t('eff_heading', lang)}")
        if "effects" in self.no_data:
            reason = self.no_data["effects"]
            key = {"no_comparison": "eff_no_comparison", "no_participants": "eff_no_participants"}.get(
                reason, "eff_too_few"
            )
            show_text(t(key, lang, min_cell=res.min_cell))
            if reason != "no_participants":
                self._show_panel_design(lang)
                self._show_panel(lang)
                effects_robust.show_did(self.tree, self.no_data, self._panel_names(lang), lang)
            return
        covs = ", ".join(dict.fromkeys(covariate_label(c, lang).split(":")[0] for c in res.covariates))
        show_text(t("eff_intro", lang, covariates=covs))
        missing = tree["missing"]
        if missing.get("columns") and missing.get("method") == "complete":
            show_text(design.missing_sentence(missing, lang))
        show_text(t("eff_methods", lang, caliper=fmt.number(res.caliper, 1) if res.caliper is not None else "–"))
        if "protocol" in tree:
            show_text(f"## {t('des_protocol_heading', lang)}")
            show_text(t("des_protocol_intro", lang))
            design.show_protocol(tree["protocol"], "file", self.outcome_names(lang), lang, missing)
        order = [n for n in [res.main_outcome] if n] + [n for n in res.outcomes if n != res.main_outcome]
        for name in order:
            self._show_outcome(name, lang)
        self._show_diagnostics(lang)
        if "evalues" in tree:
            show_text(f"## {t('eff_evalue_heading', lang)}")
            show_text(t("eff_evalue_intro", lang))
            show_published(
                tree["evalues"],
                t("eff_evalue_caption", lang),
                lang,
                labels=self.labels(lang),
                row_header=t("eff_col_outcome", lang),
                headers={
                    "rr": t("eff_col_rr", lang),
                    "evalue": t("eff_col_evalue_point", lang),
                    "evalue_ci": t("eff_col_evalue_ci", lang),
                },
                note=t("eff_evalue_note", lang),
            )
        main = res.main
        main_label = outcome_label(main.spec, lang).lower() if main is not None else ""
        effects_robust.show_sensitivity(self.tree, self.no_data, main_label, lang)
        effects_robust.show_subgroups(self.tree, self.no_data, {}, lang)
        self._show_panel_design(lang)
        self._show_panel(lang)
        effects_robust.show_did(self.tree, self.no_data, self._panel_names(lang), lang)

    def _panel_names(self, lang: str) -> dict[str, str]:
        return {n: t(f"eff_did_outcome_{n}", lang) for n in ("work_or_study", "income_support")}

    def _show_panel_design(self, lang: str) -> None:
        if "panel_design" in self.tree:
            design.show_panel_design(self.tree["panel_design"], self.outcome_names(lang), self.labels(lang), lang)

    def _show_outcome(self, name: str, lang: str) -> None:
        res, fmt = self.analysis, formatter(lang)
        o, node = res.outcomes[name], self.tree["outcomes"][name]
        label = outcome_label(o.spec, lang)
        show_text(f"### {t('eff_outcome_heading', lang, outcome=label)}")
        if node["status"] == "suppressed":
            show_text(t("eff_suppressed", lang, outcome=in_sentence(label), min_cell=res.min_cell))
            return
        if node["status"] != "ok":
            show_text(t("eff_skipped", lang, outcome=in_sentence(label), min_cell=res.min_cell))
            return
        if o.spec.kind == "binary":
            note = t("eff_table_note_pp", lang, p1=fmt.percent(o.mean_treated), p0=fmt.percent(o.mean_control))
        else:
            note = t("eff_table_note_cont", lang, m1=fmt.number(o.mean_treated, 0), m0=fmt.number(o.mean_control, 0))
        show_estimates(node["estimates"], t("eff_table_caption", lang, outcome=label), lang, self.labels(lang), note)
        for estimator, code in node.get("failed", {}).items():  # an estimator that failed says so
            show_text(t("eff_failed", lang, method=estimator_label(estimator, lang), why=t(f"eff_failed_{code}", lang)))
        truth = res.planted.get(o.spec.name)
        binary = o.spec.kind == "binary"
        assert o.estimates is not None
        ax = o.estimates.plot(
            labels={r.estimator: estimator_label(r.estimator, lang) for r in o.estimates.results},
            xlabel=t("eff_forest_x_pp" if binary else "eff_forest_x_cont", lang),
            truth=truth,
            scale=100 if binary else 1,
            truth_label=t("eff_planted_line", lang),
        )
        value = None if truth is None else (fmt.pp(truth) if binary else fmt.number(truth, 0))
        fnote = t("eff_planted_note", lang, value=value) if value is not None else None
        cap = t("eff_forest_caption", lang, outcome=in_sentence(label))
        show_figure(ax.figure, cap, note=fnote, lang=lang)

    def _show_diagnostics(self, lang: str) -> None:
        res = self.analysis
        m = res.main
        if m is None or m.balance is None or m.propensity is None:
            return
        node = self.tree["outcomes"][res.main_outcome]
        label = outcome_label(m.spec, lang)
        show_text(f"## {t('eff_diag_heading', lang)}")
        show_text(t("eff_diag_in_appendix", lang))
        design.show_diagnostics(node, "file", lang)  # every adjustment, then the one plain-words warning
        with in_appendix():  # the balance tables and figures are for the reader who checks the method
            show_text(f"## {t('eff_diag_heading', lang)}")
            show_text(t("eff_diag_intro", lang))
            self._show_balance(m, node, label, lang)
            self._show_overlap(m, lang)
            self._show_diag_facts(node, lang)

    def _show_balance(self, m, node: dict, label: str, lang: str) -> None:
        """The covariate balance table (SMD and variance ratios per stage) and its Love plot."""
        balance: PublishedTable = node["balance"]
        stages = [s for s in BALANCE_STAGES if s in m.balance.stages]
        cols = [f"smd_{s}" for s in stages] + [f"vr_{s}" for s in ("before", "ipw") if s in stages]
        show_published(
            balance,
            t("eff_balance_caption", lang, outcome=in_sentence(label)),
            lang,
            labels=Labels(lang),
            columns=cols,
            row_header=t("eff_col_covariate", lang),
            headers={c: _stage_header(c, lang) for c in cols},
            note=t("eff_balance_note", lang),
        )
        sub = BalanceResult(m.balance.table, stages, m.balance.ess)
        ax = sub.plot(
            labels={c: covariate_label(c, lang) for c in m.balance.table.index},
            stage_labels={s: stage_label(s, lang) for s in stages},
            xlabel=t("eff_love_x", lang),
        )
        show_figure(ax.figure, t("eff_love_caption", lang), lang=lang)

    def _show_overlap(self, m, lang: str) -> None:
        """The propensity score overlap figure of participants and comparison persons."""
        res, fmt = self.analysis, formatter(lang)
        ax = m.propensity.plot(
            labels=(t("eff_participants", lang), t("eff_comparison", lang)),
            xlabel=t("eff_overlap_x", lang),
            min_cell=res.min_cell,
        )
        ax.yaxis.set_major_formatter(fmt.tick("percent", absolute=True))
        show_figure(
            ax.figure,
            t("eff_overlap_caption", lang),
            note=t("eff_overlap_note", lang, min_cell=res.min_cell),
            lang=lang,
        )

    def _show_diag_facts(self, node: dict, lang: str) -> None:
        """One sentence: persons outside common support, participants left unmatched, effective comparison size."""
        fmt = formatter(lang)
        estimates: PublishedTable = node["estimates"]
        col = estimates.column("n_left_out")
        labels = Labels(lang)

        def left_out(estimator: str) -> str:
            return (
                cell_text(estimates.cell(estimator, "n_left_out"), col, fmt, labels)
                if estimator in estimates.rows
                else "–"
            )

        diag: PublishedTable = node["diagnostics"]
        ess = diag.cell("ipw", "ess_control")
        outside: Cell = node["overlap"]["n_outside_support"]
        show_text(
            t(
                "eff_diag_facts",
                lang,
                outside=outside.marker or fmt.count(outside.value),
                unmatched=left_out("matching"),
                ess=cell_text(ess, diag.column("ess_control"), fmt, labels),
            )
        )

    def _show_panel(self, lang: str) -> None:
        res, fmt = self.analysis, formatter(lang)
        show_text(f"## {t('eff_panel_heading', lang)}")
        if not res.panel:
            show_no_data("panel", "no_panel", lang)
            return
        any_es = next(iter(res.panel.values()))
        ks = any_es.shares["k"]
        did = any_es.has_comparison
        show_text(
            t("eff_panel_intro_did" if did else "eff_panel_intro_desc", lang, lo=-int(ks.min()), hi=int(ks.max()))
        )
        for name, es in res.panel.items():
            node = self.tree["panel"][name]
            what = t(f"eff_panel_{name}", lang)
            ax = es.plot_shares(
                labels=(t("eff_participants", lang), t("eff_comparison", lang)),
                xlabel=t("eff_months_from_start", lang),
                ylabel=t("eff_share", lang),
            )
            ax.yaxis.set_major_formatter(fmt.tick("percent"))
            show_figure(
                ax.figure,
                t("eff_shares_caption", lang, what=what),
                note=t("eff_shares_note", lang, min_cell=res.min_cell),
                lang=lang,
            )
            ax = es.plot(xlabel=t("eff_months_from_start", lang), ylabel=t("eff_es_y", lang))
            show_figure(ax.figure, t("eff_es_caption" if did else "eff_ba_caption", lang, what=what), lang=lang)
            pt: PublishedTable = node["estimates"]
            if pt.meta["shown_months"]:
                show_published(
                    pt,
                    t("eff_did_table_caption", lang) + f" ({what})",
                    lang,
                    rows=[str(k) for k in pt.meta["shown_months"]],
                    row_header=t("eff_col_month", lang),
                    headers={
                        "share_treated": t("eff_col_share_treated", lang),
                        "share_control": t("eff_col_share_control", lang),
                        "estimate": t("eff_col_did" if did else "eff_col_change", lang),
                    },
                )
            if es.pretrend:
                pt_ = es.pretrend
                verdict = t("eff_pretrend_ok" if pt_["p"] >= 0.05 else "eff_pretrend_bad", lang)
                show_text(
                    t(
                        "eff_pretrend",
                        lang,
                        what=what,
                        stat=fmt.number(pt_["statistic"], 2),
                        df=f"{pt_['df']} {plural(pt_['df'], 'df', lang)}",
                        p=fmt.p_text(pt_["p"]),
                        verdict=verdict,
                    )
                )


def _stage_header(col: str, lang: str) -> str:
    key = f"eff_col_{col}"
    if key in table():
        return t(key, lang)
    what, _, stage = col.partition("_")
    return t(f"eff_col_{what}_after", lang, method=estimator_label(stage, lang))
