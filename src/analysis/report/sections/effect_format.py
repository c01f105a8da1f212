"""Words shared by the effects and design sections: outcome, estimator and stage names, the estimates table.

Kept apart from both sections so that neither imports the other (the effects section shows the
design's tables, the design section names outcomes and estimators as the effects section does).
"""

from __future__ import annotations

from typing import Any

from analysis.disclosure.published import PublishedTable
from analysis.effects.design import OutcomeSpec
from analysis.report.format import formatter
from analysis.report.i18n import t, table
from analysis.report.labels import covariate_label, variable_label
from analysis.report.tables import show_published

__all__ = ["covariate_label", "estimator_label", "outcome_label", "show_estimates", "stage_label"]


def outcome_label(spec: OutcomeSpec, lang: str) -> str:
    if spec.source == "panel":
        return t("eff_outcome_wos", lang, months=spec.months)
    if spec.source == "exit":
        return t("eff_outcome_exit_wos", lang)
    return t("eff_outcome_register", lang, name=variable_label(spec.name, lang, unit=True))


def estimator_label(code: str, lang: str) -> str:
    """The method's name; an estimator without a translation keeps its code."""
    return t(f"eff_est_{code}", lang) if f"eff_est_{code}" in table() else code


def stage_label(stage: str, lang: str) -> str:
    """ "Före justering", "Efter matchning", ... (a new weighting: "Efter <its name>")."""
    key = f"eff_stage_{stage}"
    return t(key, lang) if key in table() else t("eff_stage_after", lang, method=estimator_label(stage, lang))


ESTIMATE_HEADERS = ("estimate", "ci", "n_treated", "n_control", "evalue", "evalue_ci")


def show_estimates(pt: PublishedTable, caption: str, lang: str, labels: Any, note: str | None = None) -> None:
    """One outcome's published estimates table (either design): method, effect, interval, persons, E-values."""
    keys = {"evalue": "eff_col_evalue_point"}
    show_published(
        pt,
        caption,
        lang,
        labels=labels,
        row_header=t("eff_col_estimator", lang),
        headers={h: t(keys.get(h, f"eff_col_{h}"), lang) for h in ESTIMATE_HEADERS},
        note=note,
    )


def share_text(x: float | None, lang: str) -> str:
    return formatter(lang).percent(x)
