"""Show the effects section in a notebook: prose, tables and figures in the report language."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.effects.analysis import ADJUSTED, EffectsAnalysis, OutcomeEffects
from analysis.project.i18n import t
from analysis.report.display import show_figure, show_table, show_text
from analysis.report.sections import design
from analysis.report.sections.effect_format import (
    _count,
    _fmt_effect,
    _num,
    _p,
    covariate_label,
    effect_display,
    outcome_label,
)

__all__ = ["_count", "_fmt_effect", "_num", "_p", "covariate_label", "effect_display", "outcome_label", "show_effects"]

EVENT_MONTHS = (-12, -6, -3, 0, 3, 6, 12, 18, 24)


def balance_display(o: OutcomeEffects, lang: str) -> pd.DataFrame:
    tab = o.balance.table
    out = pd.DataFrame(index=[covariate_label(c, lang) for c in tab.index])
    for s in ("before", "matching", "ipw"):
        if f"smd_{s}" in tab:
            out[t(f"eff_col_smd_{s}", lang)] = [_num(v, lang, 2) for v in tab[f"smd_{s}"]]
    for s in ("before", "ipw"):
        if f"vr_{s}" in tab:
            out[t(f"eff_col_vr_{s}", lang)] = [_num(v, lang, 2) for v in tab[f"vr_{s}"]]
    out.index.name = t("eff_col_covariate", lang)
    return out


def _show_outcome(res: EffectsAnalysis, o: OutcomeEffects, lang: str) -> None:
    label = outcome_label(o.spec, lang)
    show_text(f"### {t('eff_outcome_heading', lang, outcome=label)}")
    if o.suppressed:
        show_text(t("eff_suppressed", lang, outcome=label, min_cell=res.min_cell))
        return
    if o.skipped:
        show_text(t("eff_skipped", lang, outcome=label, min_cell=res.min_cell))
        return
    if o.spec.kind == "binary":
        note = t(
            "eff_table_note_pp",
            lang,
            p1=f"{_num(100 * o.mean_treated, lang)} %",
            p0=f"{_num(100 * o.mean_control, lang)} %",
        )
    else:
        note = t("eff_table_note_cont", lang, m1=_num(o.mean_treated, lang, 0), m0=_num(o.mean_control, lang, 0))
    show_table(effect_display(o, lang, res.min_cell), t("eff_table_caption", lang, outcome=label), note=note)
    truth = res.planted.get(o.spec.name)
    scale = 100 if o.spec.kind == "binary" else 1
    ax = o.estimates.plot(
        labels={e: t(f"eff_est_{e}", lang) for e in ("unadjusted", *ADJUSTED, "overlap")},
        xlabel=t("eff_forest_x_pp" if o.spec.kind == "binary" else "eff_forest_x_cont", lang),
        truth=truth,
        scale=scale,
        truth_label=t("eff_planted_line", lang),
    )
    fnote = t("eff_planted_note", lang, value=_fmt_effect(truth, o.spec.kind, lang)) if truth is not None else None
    show_figure(ax.figure, t("eff_forest_caption", lang, outcome=label.lower() if lang == "en" else label), note=fnote)


def _show_diagnostics(res: EffectsAnalysis, lang: str) -> None:
    m = res.main
    label = outcome_label(m.spec, lang)
    show_text(f"## {t('eff_diag_heading', lang)}")
    show_text(t("eff_diag_intro", lang))
    show_table(
        balance_display(m, lang), t("eff_balance_caption", lang, outcome=label), note=t("eff_balance_note", lang)
    )
    stages = [s for s in ("before", "matching", "ipw") if s in m.balance.stages]
    from analysis.effects.balance import BalanceResult

    sub = BalanceResult(m.balance.table, stages, m.balance.ess)
    ax = sub.plot(
        labels={c: covariate_label(c, lang) for c in m.balance.table.index},
        stage_labels={s: t(f"eff_stage_{s}", lang) for s in stages},
        xlabel=t("eff_love_x", lang),
    )
    show_figure(ax.figure, t("eff_love_caption", lang))
    ax = m.propensity.plot(
        labels=(t("eff_participants", lang), t("eff_comparison", lang)),
        xlabel=t("eff_overlap_x", lang),
        min_cell=res.min_cell,
    )
    show_figure(ax.figure, t("eff_overlap_caption", lang), note=t("eff_overlap_note", lang, min_cell=res.min_cell))
    ipw = next((r for r in m.estimates.results if r.estimator == "ipw"), None)
    mt = next((r for r in m.estimates.results if r.estimator == "matching"), None)
    show_text(
        t(
            "eff_diag_facts",
            lang,
            outside=_count(m.propensity.n_outside_support, res.min_cell),
            unmatched=_count(mt.details.get("n_unmatched", 0), res.min_cell) if mt else "–",
            ess=_num(ipw.details.get("ess_control"), lang, 0) if ipw else "–",
        )
    )
    # the one plain-words warning (or that all is well) follows in design.show_diagnostics


def _show_evalues(res: EffectsAnalysis, lang: str) -> None:
    rows = {}
    for o in res.outcomes.values():
        ev = o.evalues.get("aipw") if o.ok else None
        if ev:
            rows[outcome_label(o.spec, lang)] = {
                t("eff_col_rr", lang): _num(ev.get("rr"), lang, 2),
                t("eff_col_evalue_point", lang): _num(ev.get("evalue"), lang, 2),
                t("eff_col_evalue_ci", lang): _num(ev.get("evalue_ci"), lang, 2),
            }
    if not rows:
        return
    show_text(f"## {t('eff_evalue_heading', lang)}")
    show_text(t("eff_evalue_intro", lang))
    out = pd.DataFrame(rows).T
    out.index.name = t("eff_col_outcome", lang)
    show_table(out, t("eff_evalue_caption", lang), note=t("eff_evalue_note", lang))


def _show_panel(res: EffectsAnalysis, lang: str) -> None:
    show_text(f"## {t('eff_panel_heading', lang)}")
    if not res.panel:
        show_text(t("eff_panel_no_panel", lang))
        return
    any_es = next(iter(res.panel.values()))
    ks = any_es.shares["k"]
    did = any_es.has_comparison
    show_text(t("eff_panel_intro_did" if did else "eff_panel_intro_desc", lang, lo=-int(ks.min()), hi=int(ks.max())))
    for name, es in res.panel.items():
        what = t(f"eff_panel_{name}", lang)
        ax = es.plot_shares(
            labels=(t("eff_participants", lang), t("eff_comparison", lang)),
            xlabel=t("eff_months_from_start", lang),
            ylabel=t("eff_share", lang),
        )
        show_figure(
            ax.figure, t("eff_shares_caption", lang, what=what), note=t("eff_shares_note", lang, min_cell=res.min_cell)
        )
        ax = es.plot(xlabel=t("eff_months_from_start", lang), ylabel=t("eff_es_y", lang))
        show_figure(ax.figure, t("eff_es_caption" if did else "eff_ba_caption", lang, what=what))
        safe = es.safe_shares().set_index(["group", "k"])["share"]
        rows = {}
        for k in EVENT_MONTHS:
            if k not in es.estimates.index:
                continue
            e = es.estimates.loc[k]
            row = {t("eff_col_share_treated", lang): _pct(safe.get((1, k)), lang)}
            if did:
                row[t("eff_col_share_control", lang)] = _pct(safe.get((0, k)), lang)
            col = t("eff_col_did" if did else "eff_col_change", lang)
            row[col] = (
                f"{_num(100 * e['estimate'], lang)} ({_num(100 * e['lower'], lang)} – {_num(100 * e['upper'], lang)})"
            )
            rows[k] = row
        if rows:
            tab = pd.DataFrame(rows).T
            tab.index.name = t("eff_col_month", lang)
            show_table(tab, t("eff_did_table_caption", lang) + f" ({what})")
        if es.pretrend:
            pt = es.pretrend
            verdict = t("eff_pretrend_ok" if pt["p"] >= 0.05 else "eff_pretrend_bad", lang)
            show_text(
                t(
                    "eff_pretrend",
                    lang,
                    what=what,
                    stat=_num(pt["statistic"], lang, 2),
                    df=pt["df"],
                    p=_p(pt["p"], lang),
                    verdict=verdict,
                )
            )


def _pct(v, lang: str) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{_num(100 * v, lang, 0)} %"


def show_effects(res: EffectsAnalysis, lang: str) -> None:
    """Headings, prose, tables and figures of the effects section."""
    show_text(f"# {t('eff_heading', lang)}")
    if not res.available:
        key = {"no_comparison": "eff_no_comparison", "no_participants": "eff_no_participants"}.get(
            res.reason, "eff_too_few"
        )
        show_text(t(key, lang, min_cell=res.min_cell))
        if res.reason != "no_participants":
            _show_panel(res, lang)
        return
    covs = ", ".join(dict.fromkeys(covariate_label(c, lang).split(":")[0] for c in res.covariates))
    show_text(t("eff_intro", lang, covariates=covs))
    if res.n_missing_covariates:
        show_text(design.missing_sentence(res, lang))
    show_text(t("eff_methods", lang, caliper=_num(res.caliper, lang, 1) if res.caliper is not None else "–"))
    design.show_protocol(res, lang)
    order = [res.main_outcome] + [n for n in res.outcomes if n != res.main_outcome]
    for name in order:
        _show_outcome(res, res.outcomes[name], lang)
    _show_diagnostics(res, lang)
    design.show_diagnostics(res, lang)
    _show_evalues(res, lang)
    design.show_panel_design(res, lang)
    _show_panel(res, lang)
