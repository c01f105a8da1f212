"""Show the survival section in a notebook: prose, tables and figures in the report language."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure.suppression import protect_counts
from analysis.project.i18n import t
from analysis.report.display import show_figure, show_table, show_text
from analysis.survival.analysis import SurvivalAnalysis
from analysis.survival.plots import curve_figure


def _num(x: float, lang: str, digits: int = 2) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    s = f"{x:.{digits}f}"
    return s.replace(".", ",") if lang == "sv" else s


def _p(p: float, lang: str) -> str:
    return ("< 0,001" if lang == "sv" else "< 0.001") if p < 0.001 else _num(p, lang, 3)


def _pct_ci(s, lo, hi, lang) -> str:
    if s is None or not np.isfinite(s):
        return "–"

    def f(v: float) -> str:
        return f"{100 * v:.0f}"

    return f"{f(s)} % ({f(lo)}–{f(hi)})"


def group_label(by: str, g, lang: str) -> str:
    if by == "all":
        return t("surv_all", lang)
    if by == "gender":
        return t(f"tab_gender_{g}", lang) if f"tab_gender_{g}" in _keys() else str(g)
    if by == "group":
        return t(f"surv_group_{g}", lang)
    return str(g)


def _keys():
    from analysis.project.i18n import table

    return table()


def term_label(term: str, lang: str) -> str:
    if term == "age_10y":
        return t("surv_term_age_10y", lang)
    if "[" in term:
        var, level = term[:-1].split("[", 1)
        name = t(f"surv_by_{var}", lang) if f"surv_by_{var}" in _keys() else var
        return f"{name.capitalize()}: {group_label(var, level, lang)}"
    return term


def survival_display(res: SurvivalAnalysis, by: str, lang: str) -> pd.DataFrame:
    """The published table of one grouping: counts protected, values hidden where few are at risk."""
    tab = res.survival_table(by)
    counts = pd.DataFrame({"events": tab["events"].fillna(0), "censored": tab["n"] - tab["events"].fillna(0)})
    # events for small groups were blanked in survival_table; recover them from the curves for protection
    counts["events"] = [res.km[by].curves[g].n_events for g in tab.index]
    counts["censored"] = tab["n"].to_numpy() - counts["events"].to_numpy()
    prot = protect_counts(counts.astype(int), res.min_cell).display
    out = pd.DataFrame(index=[group_label(by, g, lang) for g in tab.index])
    out[t("surv_col_n", lang)] = prot.loc[tab.index, "__total__"].to_numpy()
    out[t("surv_col_events", lang)] = prot.loc[tab.index, "events"].to_numpy()
    out[t("surv_col_median", lang)] = [
        "–"
        if not np.isfinite(r["median"])
        else f"{r['median']:g} ({_num(r['lower'], lang, 0)}–{_num(r['upper'], lang, 0)})"
        for _, r in tab.iterrows()
    ]
    for m in res.times:
        out[t("surv_col_at", lang, months=m)] = [
            _pct_ci(r[f"S({m:g})"], r[f"S({m:g}) lower"], r[f"S({m:g}) upper"], lang) for _, r in tab.iterrows()
        ]
    out.index.name = t("surv_col_group", lang)
    return out


def cif_display(res: SurvivalAnalysis, by: str, lang: str) -> pd.DataFrame:
    rows = {}
    for g, c in res.cif[by].items():
        at = c.incidence_at(res.times)
        ok = c.n >= res.min_cell
        rows[group_label(by, g, lang)] = {
            t("surv_col_n", lang): str(c.n) if ok else f"<{res.min_cell}",
            **{
                t("surv_col_at", lang, months=int(r.time)): _pct_ci(r.incidence, r.lower, r.upper, lang)
                if ok and r.at_risk >= res.min_cell
                else "–"
                for r in at.itertuples()
            },
        }
    out = pd.DataFrame(rows).T
    out.index.name = t("surv_col_group", lang)
    return out


def show_survival(res: SurvivalAnalysis, lang: str, data_end=None) -> None:
    """Headings, prose, tables and figures of the survival section."""
    show_text(f"# {t('surv_heading', lang)}")
    if not res.available:
        show_text(t(f"surv_{res.reason}", lang))
        return
    mc = res.min_cell
    show_text(
        t(
            "surv_intro",
            lang,
            gap=res.bridge_gap_months,
            data_end=str(data_end or ""),
            left=res.n_left_censored,
            spells=res.n_spells_all,
            reentries=res.n_reentries,
        )
    )
    if res.km:
        show_text(f"## {t('surv_km_heading', lang)}")
        for by in ("cohort", "all", "track", "gender"):
            if by not in res.km:
                continue
            groups = res.km[by]
            byname = t(f"surv_by_{by}", lang)
            labels = {g: group_label(by, g, lang) for g in groups.curves}
            fig, pg = curve_figure(
                groups.curves,
                mc,
                xlabel=t("surv_months_in", lang),
                ylabel=t("surv_share_staying", lang),
                labels=labels,
                at_risk_title=t("surv_at_risk", lang),
            )
            cap = t("surv_km_caption_all", lang) if by == "all" else t("surv_km_caption_by", lang, by=byname)
            note = " ".join(x for x in (t("surv_km_note", lang, min_cell=mc), pg.note(lang)) if x)
            show_figure(fig, cap, note=note)
            show_table(
                survival_display(res, by, lang),
                t("surv_table_caption", lang, by=byname),
                note=t("surv_table_note", lang, min_cell=mc),
            )
            if by in res.logrank:
                lr = res.logrank[by]
                text = t(
                    "surv_logrank", lang, by=byname, stat=_num(lr.statistic, lang), df=lr.df, p=_p(lr.p_value, lang)
                )
                if lr.trend_statistic is not None:
                    text += " " + t(
                        "surv_logrank_trend", lang, stat=_num(lr.trend_statistic, lang), p=_p(lr.trend_p_value, lang)
                    )
                show_text(text)
        _show_planted(res, lang)
    show_text(f"## {t('surv_cox_heading', lang)}")
    for d in res.cox_dropped:
        kept = term_label(d["kept"], lang) if d.get("kept") else ""
        show_text(t(f"surv_cox_dropped_{d['reason']}", lang, term=f"`{d['term']}`", kept=kept))
    if res.cox is None:
        why = res.cox_problem or "other"
        key = f"surv_cox_why_{why}" if f"surv_cox_why_{why}" in _keys() else "surv_cox_why_other"
        show_text(t("surv_cox_missing", lang, why=t(key, lang)))
    else:
        cox = res.cox
        refs = [
            f"{t(f'surv_by_{v}', lang)}: {group_label(v, res.spells[v].dropna().sort_values().iloc[0], lang)}"
            for v in ("cohort", "gender", "track")
            if any(k.startswith(f"{v}[") for k in cox.params.index)
        ]
        show_text(t("surv_cox_intro", lang, ref=", ".join(refs) or "–", n=cox.n, events=cox.n_events))
        s = cox.summary()
        tab = pd.DataFrame(
            {
                t("surv_cox_col_hr", lang): [_num(v, lang) for v in s["exp(coef)"]],
                t("surv_cox_col_ci", lang): [
                    f"{_num(a, lang)}–{_num(b, lang)}" for a, b in zip(s["exp(coef) lower"], s["exp(coef) upper"])
                ],
                t("surv_cox_col_p", lang): [_p(v, lang) for v in s["p"]],
            },
            index=[term_label(k, lang) for k in s.index],
        )
        show_table(tab, t("surv_cox_caption", lang))
        ax = cox.plot(labels={k: term_label(k, lang) for k in s.index})
        show_figure(ax.figure, t("surv_cox_figure", lang))
        if res.ph_test is not None:
            bad = res.ph_test[res.ph_test["p"] < 0.05]
            if bad.empty:
                show_text(t("surv_ph_ok", lang, p=_p(float(res.ph_test["p"].min()), lang)))
            else:
                show_text(t("surv_ph_bad", lang, terms=", ".join(term_label(k, lang) for k in bad.index)))
    if res.cif:
        show_text(f"## {t('surv_cif_heading', lang)}")
        comp = ", ".join(
            t(f"tab_status_{c}", lang) if f"tab_status_{c}" in _keys() else c for c in res.competing_events
        )
        show_text(t("surv_cif_intro", lang, competing=comp or t("surv_competing_none", lang)))
        for by in ("cohort", "all", "group"):
            if by not in res.cif:
                continue
            labels = {g: group_label(by, g, lang) for g in res.cif[by]}
            fig, pg = curve_figure(
                res.cif[by],
                mc,
                xlabel=t("surv_months_from_start", lang),
                ylabel=t("surv_share_reached", lang),
                labels=labels,
                at_risk_title=t("surv_at_risk", lang),
            )
            byname = t(f"surv_by_{by}", lang)
            cap = t("surv_cif_caption_all", lang) if by == "all" else t("surv_cif_caption_by", lang, by=byname)
            show_figure(fig, cap, note=" ".join(x for x in (t("surv_km_note", lang, min_cell=mc), pg.note(lang)) if x))
            show_table(
                cif_display(res, by, lang),
                t("surv_cif_table_caption", lang, by=byname),
                note=t("surv_table_note", lang, min_cell=mc),
            )


def _show_planted(res: SurvivalAnalysis, lang: str) -> None:
    tab = res.planted_check()
    if tab is None or tab.empty:
        return
    show_text(f"### {t('surv_planted_heading', lang)}")
    out = pd.DataFrame(
        {
            t("surv_col_planted", lang): [_num(v, lang, 3) for v in tab["planted"]],
            t("surv_col_estimated", lang): [
                f"{_num(a, lang, 3)} ({_num(b, lang, 3)}–{_num(c, lang, 3)})"
                for a, b, c in zip(tab["hazard"], tab["lower"], tab["upper"])
            ],
        },
        index=pd.Index([str(i) for i in tab.index], name=t("surv_col_group", lang)),
    )
    show_table(out, t("surv_planted_caption", lang))
