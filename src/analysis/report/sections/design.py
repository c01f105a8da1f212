"""The comparison design in the report: the target-trial protocol, the panel-built comparison,
the estimand sentence, the cobalt-style diagnostics and the one warning when balance or overlap fails.

Reads only the numbers and codes of :mod:`analysis.effects` (the protocol rows, the design counts,
the results); every word comes from ``resources/i18n/design.yml``.
"""

from __future__ import annotations

import pandas as pd

from analysis.effects.analysis import EffectsAnalysis
from analysis.effects.outcome import OutcomeEffects
from analysis.project.i18n import t, table
from analysis.report.display import show_table, show_text
from analysis.report.sections.effect_format import _count, _num, covariate_label, effect_display, outcome_label

STAGES = ("before", "matching", "ipw", "overlap", "entropy")


def _status_list(codes: list[str], lang: str) -> str:
    names = [t(f"tab_status_{c}", lang).lower() for c in codes]
    return f" {t('des_or', lang)} ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _var(name: str, lang: str) -> str:
    """A covariate in words: the design's own labels, else the effects section's label."""
    base = name.split("=", 1)[0]
    key = f"des_var_{base}"
    return t(key, lang) if key in table() else covariate_label(name, lang).split(":")[0]


def _covariates(names: list[str], lang: str) -> str:
    labels = []
    for n in names:
        if n.startswith(("hist_elig_", "hist_wos_")):
            continue
        labels.append(_var(n, lang))
    hist = sorted({int(n.rsplit("_", 1)[1]) for n in names if n.startswith("hist_")})
    if hist:
        labels.append(t("des_history", lang, months=", ".join(map(str, hist))))
    return ", ".join(dict.fromkeys(labels))


def _setting(row: dict, lang: str, res: EffectsAnalysis) -> str:
    comp, panel = row["component"], row.get("source", "panel" if res.panel_design is not None else "file")
    if comp == "eligibility":
        key = "des_set_eligibility_panel" if row["source"] == "panel" else "des_set_eligibility_file"
        return t(key, lang, statuses=_status_list(row["statuses"], lang) if row["statuses"] else "")
    if comp == "treatment_strategies":
        return t("des_set_strategies_panel" if row["control"] == "not_now" else "des_set_strategies_file", lang)
    if comp == "assignment":
        return _assignment(row, lang, res)
    if comp == "time_zero":
        return t("des_set_time_zero_panel" if row["definition"] == "start_month" else "des_set_time_zero_file", lang)
    if comp == "followup":
        return t("des_set_followup", lang, months=", ".join(map(str, row["months"])), data_end=row["data_end"])
    if comp == "outcomes":
        return "; ".join(_outcome_name(o, res, lang) for o in row["outcomes"])
    if comp == "causal_contrast":
        text = t(f"des_set_contrast_{row['estimand']}", lang)
        return text + (t("des_set_contrast_overlap", lang) if row.get("overlap_population") else "")
    del panel
    return _analysis(row, lang, res)


def _outcome_name(name: str, res: EffectsAnalysis, lang: str) -> str:
    o = res.outcomes.get(name)
    if o is None and res.panel_design is not None:
        o = res.panel_design.outcomes.get(name)
    return outcome_label(o.spec, lang) if o is not None else name


def _assignment(row: dict, lang: str, res: EffectsAnalysis) -> str:
    matching = t(
        "des_set_matching",
        lang,
        k=row["k"],
        replacement=t("des_with_replacement" if row["replacement"] else "des_without_replacement", lang),
        caliper=_num(row["caliper_sd"], lang, 1) if row["caliper_sd"] is not None else "–",
        bias=t("des_bias_correction", lang) if row["bias_correction"] else "",
    )
    covs = _covariates(row["covariates"], lang)
    if row["method"] != "dynamic_matching":
        return t("des_set_assignment_file", lang, covariates=covs, matching=matching)
    extra = [e for e in row["exact"] if e not in ("start_month", "duration_band")]
    names = ", ".join(_var(e, lang) for e in extra)
    statuses = _status_list(res.panel_design.design.spec.eligible_statuses, lang) if res.panel_design else ""
    return t(
        "des_set_assignment_panel",
        lang,
        statuses=statuses,
        bands=", ".join(map(str, row["duration_bands"])),
        exact=t("des_exact_more", lang, names=names) if extra else "",
        covariates=covs,
        matching=matching,
    )


def _analysis(row: dict, lang: str, res: EffectsAnalysis) -> str:
    estimators = ", ".join(t(f"eff_est_{e}", lang) for e in row["estimators"])
    return t(
        "des_set_analysis",
        lang,
        estimators=estimators,
        se=t(f"des_se_{row['se']}", lang),
        missing=missing_sentence(res, lang) if row["se"] != "clustered_by_person" else "",
    ).strip()


def missing_sentence(res: EffectsAnalysis, lang: str) -> str:
    """Which missing-covariate method was used and for how many persons (count protected)."""
    m = res.missing or {"method": "none_missing"}
    if m.get("method") == "none_missing" or not m.get("columns"):
        return t("des_missing_none_missing", lang)
    n = m.get("n_missing")
    shown = m.get("n_missing_shown") if n is None else _count(n, res.min_cell)
    cols = ", ".join(_var(c, lang) for c in m["columns"])
    return t(f"des_missing_{m['method']}", lang, n=shown, columns=cols, m=m.get("imputations", 0))


def protocol_table(rows: list[dict], res: EffectsAnalysis, lang: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {t("des_col_setting", lang): [_setting(r, lang, res) for r in rows]},
        index=[t(f"des_comp_{r['component']}", lang) for r in rows],
    )
    out.index.name = t("des_col_component", lang)
    return out


def diagnostics_table(o: OutcomeEffects, lang: str, min_cell: int) -> pd.DataFrame:
    """Per adjustment: largest |SMD|, variance ratio and KS distance, effective sample sizes."""
    bal = o.balance.to_results() if o.balance is not None else {}
    rows = {}
    for s in STAGES:
        if s not in bal:
            continue
        b = bal[s]
        rows[t(f"eff_stage_{s}", lang)] = {
            t("des_col_max_smd", lang): _num(b["max_abs_smd"], lang, 2),
            t("des_col_max_vr", lang): _num(b["max_vr"], lang, 2) if b["max_vr"] is not None else "–",
            t("des_col_max_ks", lang): _num(b["max_ks"], lang, 2),
            t("des_col_ess_treated", lang): _num(b.get("ess_treated"), lang, 0),
            t("des_col_ess_control", lang): _num(b.get("ess_control"), lang, 0),
        }
    out = pd.DataFrame(rows).T
    out.index.name = t("des_col_stage", lang)
    return out


def warning_sentence(o: OutcomeEffects, min_cell: int, lang: str) -> str:
    """One sentence in plain words listing every failed check, or that all is well."""
    codes = o.warnings(min_cell)
    if not codes:
        return t("des_ok", lang)
    parts = []
    stages = [c.removeprefix("balance_") for c in codes if c.startswith("balance_")]
    if stages:
        names = [t(f"eff_stage_{s}", lang).lower().removeprefix("efter ").removeprefix("after ") for s in stages]
        parts.append(t("des_warn_balance", lang, stages=", ".join(names)))
    parts += [t(f"des_warn_{c}", lang) for c in codes if not c.startswith("balance_")]
    what = "; ".join(parts)
    return t("des_warn", lang, what=what[0].upper() + what[1:])


def show_protocol(res: EffectsAnalysis, lang: str) -> None:
    """The file design's protocol table and the diagnostics of its main outcome."""
    if res.protocol:
        show_text(f"## {t('des_protocol_heading', lang)}")
        show_text(t("des_protocol_intro", lang))
        design = t("des_design_file", lang)
        show_table(protocol_table(res.protocol, res, lang), t("des_protocol_caption", lang, design=design))


def show_diagnostics(res: EffectsAnalysis, lang: str) -> None:
    m = res.main
    if m is None or not m.ok or m.balance is None:
        return
    show_table(
        diagnostics_table(m, lang, res.min_cell),
        t("des_diag_caption", lang, design=t("des_design_file", lang)),
        note=t("des_diag_note", lang),
    )
    show_text(warning_sentence(m, res.min_cell, lang))


def show_panel_design(res: EffectsAnalysis, lang: str) -> None:
    """The panel-built comparison: what it is, its protocol, its estimates and diagnostics."""
    pde = res.panel_design
    if pde is None:
        return
    c = pde.design.counts
    mc = res.min_cell
    show_text(f"## {t('des_panel_heading', lang)}")
    show_text(
        t(
            "des_panel_intro",
            lang,
            eligible=_count(c["participants_eligible"], mc),
            participants=_count(c["participants"], mc),
            not_eligible=_count(c["participants_not_eligible"], mc),
            rows=_num(c["comparison_rows"], lang, 0),
            persons=_num(c["comparison_persons"], lang, 0),
        )
    )
    show_text(t("des_estimand", lang, contrast=t(f"des_set_contrast_{pde.estimand}", lang)))
    show_table(
        protocol_table(pde.protocol, res, lang),
        t("des_protocol_caption", lang, design=t("des_design_panel", lang)),
    )
    for o in pde.outcomes.values():
        if not o.ok:
            continue
        note = t(
            "des_table_note",
            lang,
            p1=f"{_num(100 * o.mean_treated, lang)} %",
            p0=f"{_num(100 * o.mean_control, lang)} %",
        )
        show_table(effect_display(o, lang, mc), t("des_table_caption", lang, months=o.spec.months), note=note)
    main = pde.main
    if main is not None and main.balance is not None:
        show_table(
            diagnostics_table(main, lang, mc),
            t("des_diag_caption", lang, design=t("des_design_panel", lang)),
            note=t("des_diag_note", lang),
        )
        show_text(warning_sentence(main, mc, lang))
