"""Words for the codes of published tables: rows, column groups and column keys, in the report language.

A :class:`~analysis.disclosure.published.PublishedTable` names the vocabulary of
its codes (``rows_are="referred_by"``); :class:`Labels` turns ``(vocabulary,
code)`` into the text a reader sees, from the translation table, or from the
project (target labels, survey items) through ``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.report.i18n import t, table

# vocabulary -> prefix of its translation keys ("tab_gender_" + "female")
PREFIXES: dict[str, str] = {
    "referred_by": "tab_referred_by_",
    "gender": "tab_gender_",
    "origin": "tab_origin_",
    "education": "tab_education_",
    "income": "tab_income_",
    "status": "tab_status_",
    "support_group": "tab_support_",
    "flow": "tab_flow_",
    "estimator": "eff_est_",
    "balance_stage": "eff_stage_",
    "protocol_component": "des_comp_",
    "file_kind": "kind_",
    "rule": "rule_",
    "clean_note": "clean_note_",
    "target_status": "tab_target_status_",
    "target_verdict": "tab_target_ci_",
    "target_note": "tab_target_note_",
    "survey_wave": "tab_wave_",
    "survival_group": "surv_group_",
    "population": "tab_col_",
    "track": "tab_track_",
    "cohort": "tab_track_",
}


# the project's own words (``labels:`` in project.yml), set once per report by the notebook's setup
_PROJECT: dict[str, Any] = {}


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "I arbete eller studier" -> "i arbete eller studier".

    Only the first letter is lowered, and not when the first word is an abbreviation ("ESF-stöd").

    Example
    -------
    >>> in_sentence("I arbete eller studier 12 månader efter start"), in_sentence("ESF-stöd")
    ('i arbete eller studier 12 månader efter start', 'ESF-stöd')
    """
    first = label.split(" ", 1)[0]
    if not label or (len(first) > 1 and first[:2].isupper()):
        return label
    return label[0].lower() + label[1:]


def use_project_labels(labels: Any) -> None:
    """Use the ``labels:`` of a project.yml (a ``ProjectLabels``) for tracks, covariates and outcomes."""
    _PROJECT.clear()
    if labels is not None:
        _PROJECT.update(tracks=dict(labels.tracks), covariates=dict(labels.covariates), outcomes=dict(labels.outcomes))


def _project_text(kind: str, code: str, lang: str, unit: bool = False) -> str | None:
    entry = _PROJECT.get(kind, {}).get(code)
    if entry is None:
        return None
    text = entry.text(lang)
    return f"{text} ({entry.unit})" if unit and entry.unit else text


def variable_label(name: str, lang: str, unit: bool = False) -> str:
    """A covariate or outcome in words: the project's label, else the canonical translation, else the name."""
    for kind in ("covariates", "outcomes"):
        found = _project_text(kind, name, lang, unit)
        if found is not None:
            return found
    key = f"tab_var_{name}"
    if key not in table():
        return name
    text = t(key, lang)
    ukey = f"tab_unit_{name}"
    return f"{text} ({t(ukey, lang)})" if unit and ukey in table() else text


def covariate_label(name: str, lang: str) -> str:
    """Readable name of a design column (``C(gender)[T.male]``, ``gender=male`` or ``age_at_start``)."""
    keys = table()
    m = re.fullmatch(r"C\((\w+)\)\[T\.(.+)\]", name) or re.fullmatch(r"(\w+)=(.+)", name)
    var, level = (m.group(1), m.group(2)) if m else (name, None)
    var_label = variable_label(var, lang)
    if level is None:
        return var_label
    for key in (f"tab_{var}_{level}", f"tab_status_{level}"):
        if key in keys:
            return f"{var_label}: {t(key, lang)}"
    return f"{var_label}: {Labels(lang)(var, level)}"


def timepoint_label(tp: str, lang: str) -> str:
    """``start``, ``exit`` or a follow-up wave in months (``"6"``)."""
    if tp in ("start", "exit"):
        return t(f"tab_timepoint_{tp}", lang)
    return t("tab_timepoint_followup", lang, months=tp)


def cox_term_label(term: str, lang: str) -> str:
    """``cohort[2017]`` -> "Intagsgrupp: 2017"; ``age_10y`` -> "Ålder vid start (per 10 år)"."""
    keys = table()
    if term == "age_10y":
        return t("surv_term_age_10y", lang)
    if "[" in term:
        var, level = term[:-1].split("[", 1)
        name = t(f"surv_by_{var}", lang) if f"surv_by_{var}" in keys else var
        return f"{name.capitalize()}: {Labels(lang)(var, level)}"
    return variable_label(term, lang)


@dataclass
class Labels:
    """``labels(vocabulary, code)`` -> text; ``extra`` adds vocabularies a section knows (mapping or function)."""

    lang: str
    extra: Mapping[str, Mapping[str, str] | Callable[[str], str | None]] = field(default_factory=dict)

    def __call__(self, vocabulary: str | None, code: object) -> str:
        c = str(code)
        if vocabulary is not None and vocabulary in self.extra:
            source = self.extra[vocabulary]
            found = source(c) if callable(source) else source.get(c)
            if found is not None:
                return found
        keys = table()
        if c == "total":
            return t("surv_all" if vocabulary in ("total", "survival_group") else "total", self.lang)
        if c == "missing":
            return t("missing", self.lang)
        if vocabulary == "timepoint":
            return timepoint_label(c, self.lang)
        if vocabulary == "covariate":
            return covariate_label(c, self.lang)
        if vocabulary == "cox_term":
            return cox_term_label(c, self.lang)
        if vocabulary in ("track", "cohort"):
            found = _project_text("tracks", c, self.lang)
            if found is not None:
                return found
        prefix = PREFIXES.get(vocabulary or "")
        if prefix is not None and f"{prefix}{c}" in keys:
            return t(f"{prefix}{c}", self.lang)
        return c

    def with_extra(self, **extra: Mapping[str, str] | Callable[[str], str | None]) -> Labels:
        return Labels(self.lang, {**self.extra, **extra})
