"""Formatting shared by the effects and design sections: numbers, counts, outcome and covariate labels,
the published table of one outcome's estimates."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.effects.design import OutcomeSpec
from analysis.effects.outcome import OutcomeEffects
from analysis.project.i18n import t, table


def _num(x, lang: str, digits: int = 1) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "sv":
        s = s.replace(",", " ").replace(".", ",")
    return s


def _p(p: float, lang: str) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    return ("< 0,001" if lang == "sv" else "< 0.001") if p < 0.001 else _num(p, lang, 3)


def outcome_label(spec: OutcomeSpec, lang: str) -> str:
    if spec.source == "panel":
        return t("eff_outcome_wos", lang, months=spec.months)
    if spec.source == "exit":
        return t("eff_outcome_exit_wos", lang)
    return t("eff_outcome_register", lang, name=spec.name)


def covariate_label(name: str, lang: str) -> str:
    """Readable name of a design column (``C(gender)[T.male]``, ``gender=male`` or ``age_at_start``)."""
    keys = table()
    m = re.fullmatch(r"C\((\w+)\)\[T\.(.+)\]", name) or re.fullmatch(r"(\w+)=(.+)", name)
    var, level = (m.group(1), m.group(2)) if m else (name, None)
    var_label = t(f"tab_var_{var}", lang) if f"tab_var_{var}" in keys else var
    if level is None:
        return var_label
    for key in (f"tab_{var}_{level}", f"tab_status_{level}"):
        if key in keys:
            return f"{var_label}: {t(key, lang)}"
    return f"{var_label}: {level}"


def _count(n, min_cell: int) -> str:
    """A published count: below ``min_cell`` (but not zero) shown as ``<min_cell``."""
    return f"<{min_cell}" if 0 < int(n) < min_cell else str(int(n))


def _fmt_effect(x: float, kind: str, lang: str) -> str:
    return _num(100 * x, lang, 1) if kind == "binary" else _num(x, lang, 0)


def effect_display(o: OutcomeEffects, lang: str, min_cell: int = 5) -> pd.DataFrame:
    """The published table of one outcome: estimator, effect, interval, persons used, E-value."""
    rows = []
    for r in o.rows():
        lo, hi = r.ci
        ev = o.evalues.get(r.estimator)
        rows.append(
            {
                t("eff_col_estimator", lang): t(f"eff_est_{r.estimator}", lang),
                t("eff_col_estimate", lang): _fmt_effect(r.estimate, o.spec.kind, lang),
                t("eff_col_ci", lang): f"{_fmt_effect(lo, o.spec.kind, lang)} – {_fmt_effect(hi, o.spec.kind, lang)}",
                t("eff_col_n_treated", lang): _count(r.n_treated, min_cell),
                t("eff_col_n_control", lang): _count(r.n_control, min_cell),
                t("eff_col_evalue", lang): "–"
                if not ev
                else f"{_num(ev['evalue'], lang, 2)} ({_num(ev.get('evalue_ci'), lang, 2)})",
            }
        )
    return pd.DataFrame(rows).set_index(t("eff_col_estimator", lang))
