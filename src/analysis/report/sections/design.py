"""The comparison design in the report: the target-trial protocol, the panel-built comparison,
the estimand sentence, the cobalt-style diagnostics and the one warning when balance or overlap fails.

Everything shown comes from the published tree of the effects section (the protocol table, the
protected counts of the design, the estimates and diagnostics tables of
:mod:`analysis.effects.publish`), so the page and ``results.json`` are the same objects; every
word comes from ``resources/i18n/design.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.disclosure.published import Cell, Column, PublishedTable
from analysis.report.display import show_text
from analysis.report.format import formatter
from analysis.report.i18n import t, table
from analysis.report.labels import Labels, covariate_label
from analysis.report.sections.effect_format import estimator_label, show_estimates, stage_label
from analysis.report.tables import show_published


def _count(c: Cell | Any, lang: str) -> str:
    """A published count: its marker when hidden, else the number."""
    if isinstance(c, Cell):
        return c.marker or formatter(lang).count(c.value)
    return formatter(lang).count(c)


def _status_list(codes: list[str], lang: str) -> str:
    names = [t(f"tab_status_{c}", lang).lower() for c in codes]
    if not names:
        return ""
    return f" {t('des_or', lang)} ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def _var(name: str, lang: str) -> str:
    """A covariate in words: the design's own labels, else the effects section's label."""
    base = name.split("=", 1)[0]
    key = f"des_var_{base}"
    return t(key, lang) if key in table() else covariate_label(name, lang).split(":")[0]


def _covariates(names: list[str], lang: str) -> str:
    labels = [_var(n, lang) for n in names if not n.startswith(("hist_elig_", "hist_wos_"))]
    hist = sorted({int(n.rsplit("_", 1)[1]) for n in names if n.startswith("hist_")})
    if hist:
        labels.append(t("des_history", lang, months=", ".join(map(str, hist))))
    return ", ".join(dict.fromkeys(labels))


class Protocol:
    """Words for the settings of one design's protocol rows (``outcomes``: outcome code -> its name)."""

    def __init__(
        self, rows: PublishedTable, outcomes: Mapping[str, str], lang: str, missing: Mapping[str, Any] | None = None
    ):
        self.rows, self.outcomes, self.lang, self.missing = rows, outcomes, lang, missing
        elig = rows.cell("eligibility", "setting").value or {}
        self.statuses: list[str] = list(elig.get("statuses") or [])

    def __call__(self, component: str, col: Column, cell: Cell) -> str:
        s, lang = cell.value or {}, self.lang
        if component == "eligibility":
            key = "des_set_eligibility_panel" if s.get("source") == "panel" else "des_set_eligibility_file"
            return t(key, lang, statuses=_status_list(s.get("statuses") or [], lang))
        if component == "treatment_strategies":
            return t("des_set_strategies_panel" if s["control"] == "not_now" else "des_set_strategies_file", lang)
        if component == "assignment":
            return self._assignment(s)
        if component == "time_zero":
            panel = s["definition"] == "start_month"
            return t("des_set_time_zero_panel" if panel else "des_set_time_zero_file", lang)
        if component == "followup":
            return t("des_set_followup", lang, months=", ".join(map(str, s["months"])), data_end=s["data_end"])
        if component == "outcomes":
            return "; ".join(self.outcomes.get(o, o) for o in s["outcomes"])
        if component == "causal_contrast":
            text = t(f"des_set_contrast_{s['estimand']}", lang)
            return text + (t("des_set_contrast_overlap", lang) if s.get("overlap_population") else "")
        return self._analysis(s)

    def _assignment(self, s: dict) -> str:
        lang = self.lang
        caliper = s["caliper_sd"]
        matching = t(
            "des_set_matching",
            lang,
            k=s["k"],
            replacement=t("des_with_replacement" if s["replacement"] else "des_without_replacement", lang),
            caliper=formatter(lang).number(caliper, 1) if caliper is not None else "–",
            bias=t("des_bias_correction", lang) if s["bias_correction"] else "",
        )
        covs = _covariates(s["covariates"], lang)
        if s["method"] != "dynamic_matching":
            return t("des_set_assignment_file", lang, covariates=covs, matching=matching)
        extra = [e for e in s["exact"] if e not in ("start_month", "duration_band")]
        names = ", ".join(_var(e, lang) for e in extra)
        return t(
            "des_set_assignment_panel",
            lang,
            statuses=_status_list(self.statuses, lang),
            bands=", ".join(map(str, s["duration_bands"])),
            exact=t("des_exact_more", lang, names=names) if extra else "",
            covariates=covs,
            matching=matching,
        )

    def _analysis(self, s: dict) -> str:
        lang = self.lang
        estimators = ", ".join(estimator_label(e, lang) for e in s["estimators"])
        missing = missing_sentence(self.missing, lang) if self.missing is not None else ""
        return t(
            "des_set_analysis", lang, estimators=estimators, se=t(f"des_se_{s['se']}", lang), missing=missing
        ).strip()


def show_protocol(
    pt: PublishedTable,
    design: str,
    outcomes: Mapping[str, str],
    lang: str,
    missing: Mapping[str, Any] | None = None,
) -> None:
    """The protocol table of one design (``design``: ``file`` or ``panel``; ``missing``: the file design's
    missing-covariate node, worded in the analysis row)."""
    show_published(
        pt,
        t("des_protocol_caption", lang, design=t(f"des_design_{design}", lang)),
        lang,
        labels=Labels(lang),
        row_header=t("des_col_component", lang),
        headers={"setting": t("des_col_setting", lang)},
        formats={"setting": Protocol(pt, outcomes, lang, missing)},
    )


def missing_sentence(missing: Mapping[str, Any], lang: str) -> str:
    """Which missing-covariate method was used and for how many persons (the count as published)."""
    if missing.get("method", "none_missing") == "none_missing" or not missing.get("columns"):
        return t("des_missing_none_missing", lang)
    cols = ", ".join(_var(c, lang) for c in missing["columns"])
    n = _count(missing.get("n_missing"), lang)
    return t(f"des_missing_{missing['method']}", lang, n=n, columns=cols, m=missing.get("imputations", 0))


DIAGNOSTIC_HEADERS = {
    "max_abs_smd": "des_col_max_smd",
    "max_vr": "des_col_max_vr",
    "max_ks": "des_col_max_ks",
    "ess_treated": "des_col_ess_treated",
    "ess_control": "des_col_ess_control",
}


def show_diagnostics(node: Mapping[str, Any], design: str, lang: str) -> None:
    """Per adjustment: largest |SMD|, variance ratio and KS distance, effective sizes; then the one warning."""
    pt: PublishedTable | None = node.get("diagnostics")
    if pt is None:
        return
    labels = Labels(lang, {"balance_stage": lambda s: stage_label(s, lang)})
    show_published(
        pt,
        t("des_diag_caption", lang, design=t(f"des_design_{design}", lang)),
        lang,
        labels=labels,
        row_header=t("des_col_stage", lang),
        headers={k: t(v, lang) for k, v in DIAGNOSTIC_HEADERS.items()},
        note=t("des_diag_note", lang),
    )
    show_text(warning_sentence(node.get("warnings") or [], lang))


def warning_sentence(codes: list[str], lang: str) -> str:
    """One sentence in plain words listing every failed check, or that all is well."""
    if not codes:
        return t("des_ok", lang)
    parts = []
    stages = [c.removeprefix("balance_") for c in codes if c.startswith("balance_")]
    if stages:
        names = [stage_label(s, lang).lower().removeprefix("efter ").removeprefix("after ") for s in stages]
        parts.append(t("des_warn_balance", lang, stages=", ".join(names)))
    parts += [t(f"des_warn_{c}", lang) for c in codes if not c.startswith("balance_")]
    what = "; ".join(parts)
    return t("des_warn", lang, what=what[0].upper() + what[1:])


def show_panel_design(tree: Mapping[str, Any], outcomes: Mapping[str, str], labels: Labels, lang: str) -> None:
    """The panel-built comparison: what it is, its estimand, its protocol, its estimates and diagnostics."""
    c = tree["counts"]
    fmt = formatter(lang)
    show_text(f"## {t('des_panel_heading', lang)}")
    show_text(
        t(
            "des_panel_intro",
            lang,
            eligible=_count(c["participants_eligible"], lang),
            participants=_count(c["participants"], lang),
            not_eligible=_count(c["participants_not_eligible"], lang),
            rows=_count(c["comparison_rows"], lang),
            persons=_count(c["comparison_persons"], lang),
        )
    )
    show_text(t("des_estimand", lang, contrast=t(f"des_set_contrast_{tree['estimand']}", lang)))
    show_protocol(tree["protocol"], "panel", outcomes, lang)
    for node in tree["outcomes"].values():
        if node["status"] != "ok":
            continue
        note = t("des_table_note", lang, p1=fmt.percent(node["mean_treated"]), p0=fmt.percent(node["mean_control"]))
        show_estimates(node["estimates"], t("des_table_caption", lang, months=node["months"]), lang, labels, note)
    main = tree.get("main_outcome")
    if main is not None:
        show_diagnostics(tree["outcomes"][main], "panel", lang)
