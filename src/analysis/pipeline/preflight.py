"""What ``foljeval check`` verifies beyond the raw files: every project.yml field a report will use.

``project.yml`` is validated on its own when it is loaded (types, codes, required
parameters). Some fields can only be judged against the data: a covariate must be
recorded for both groups, a ``propensity_formula`` may only name covariates, a target
needs the file and column it is measured from, ``cohort_by: track`` needs tracks. This
module checks them against the cleaned tables, so that a mistake fails ``check`` with
the field's name instead of failing ``report`` in a notebook. What each notebook reads:

* 02 participants: ``tracks``, ``planned_participants``, ``min_cell``;
* 03 outcomes, targets, survey: ``targets`` (metric, months, days), ``followup_months_after_exit``,
  ``work_or_study``, ``self_supporting``, ``survey`` (items, scales);
* 04 effects: ``covariates``, ``outcomes``, ``propensity_formula``, ``effect_months_after_start``,
  ``panel_work_or_study``;
* 05 survival: ``cohort_by``, ``tracks``, ``bridge_gap_months``, ``competing_events``,
  ``covariates`` (Cox);
* all: ``period``, ``data_end``.

An *error* is something the report would fail on or a listed item it cannot use at
all; a *warning* is a part of the report that will be empty (e.g. a target not yet
measurable).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.project.config import Project

ERROR, WARNING = "error", "warning"

# Where each target metric is measured from: (table, column) pairs, any one is enough.
METRIC_SOURCES: dict[str, list[tuple[str, str]]] = {
    "share_work_or_study_within_months": [
        ("status_monthly", "status"),
        ("participants", "exit_status"),
        ("followups", "status"),
    ],
    "share_self_supporting_within_months": [
        ("participants", "income_at_exit"),
        ("followups", "income_source"),
        ("status_monthly", "status"),
    ],
    "action_plan_within_days": [("participants", "action_plan_date")],
    "followup_contact_every_months": [("followups", "followup_date")],
    "share_work_or_study_at_exit": [("participants", "exit_status")],
    "participants_reached": [("participants", "person_key")],
}


@dataclass(frozen=True)
class ConfigProblem:
    """One project.yml field that does not fit the data."""

    field: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"project.yml {self.field}: {self.message}"


def _filled(tables: Mapping[str, pd.DataFrame], table: str, column: str) -> bool:
    if table == "status_monthly" and getattr(tables, "panel_dataset", None) is not None:
        return True  # the register path keeps only rows with a status
    df = tables.get(table)
    return df is not None and column in df and bool(df[column].notna().any())


def check_report_inputs(project: Project, tables: Mapping[str, pd.DataFrame], data_end: dt.date) -> list[ConfigProblem]:
    """Every project.yml field the report uses, checked against the cleaned tables.

    Parameters
    ----------
    project : Project
        The loaded project.
    tables : mapping of DataFrame
        The processed tables (``CleanResult.tables``).
    data_end : datetime.date
        The date the data cover (``CleanResult.data_end``).

    Returns
    -------
    list of ConfigProblem
        Errors first; empty when the report can use everything project.yml names.

    Example
    -------
    >>> result = clean_project(project)  # doctest: +SKIP
    >>> [str(p) for p in check_report_inputs(project, result.tables, result.data_end)]  # doctest: +SKIP
    ["project.yml propensity_formula: 'age2' is not one of the covariates (age_at_start, gender); ..."]
    """
    cfg = project.config
    found: list[ConfigProblem] = []
    if data_end < cfg.period.start:
        found.append(ConfigProblem("data_end", f"{data_end} is before the project period starts ({cfg.period.start})"))
    found += _effects_inputs(cfg, tables)
    found += _tracks(cfg, tables)
    found += _targets(cfg, tables)
    found += _survey(cfg, tables)
    return sorted(found, key=lambda p: p.severity != ERROR)


def _effects_inputs(cfg, tables: Mapping[str, pd.DataFrame]) -> list[ConfigProblem]:
    """covariates, outcomes and propensity_formula against the persons of both groups (notebook 04)."""
    from analysis.effects.design import ALIASES, covariate_matrix, persons

    found: list[ConfigProblem] = []
    has_comparison = "comparison" in tables
    frame = persons(dict(tables))
    groups = {1: "participants", 0: "comparison"} if has_comparison else {1: "participants"}
    covs = list(dict.fromkeys(ALIASES.get(c, c) for c in cfg.covariates))
    for i, c in enumerate(covs):
        if c not in frame:
            found.append(ConfigProblem(f"covariates[{i}]", f"'{c}' is not a column of the cleaned tables"))
            continue
        for g, name in groups.items():
            if not frame.loc[frame["treated"] == g, c].notna().any():
                found.append(
                    ConfigProblem(
                        f"covariates[{i}]",
                        f"'{c}' is empty for every person in {name}; a covariate must be recorded for both "
                        "groups (map its column under files.<kind>.columns or remove it)",
                    )
                )
    if cfg.outcomes and not has_comparison:
        found.append(
            ConfigProblem(
                "outcomes",
                "outcomes are estimated against a comparison group, and there is no files.comparison",
                WARNING,
            )
        )
    for i, c in enumerate(cfg.outcomes if has_comparison else []):
        if c not in frame:
            found.append(ConfigProblem(f"outcomes[{i}]", f"'{c}' is not a column of the cleaned tables"))
            continue
        for g, name in groups.items():
            if not pd.to_numeric(frame.loc[frame["treated"] == g, c], errors="coerce").notna().any():
                found.append(ConfigProblem(f"outcomes[{i}]", f"'{c}' has no numeric value for anyone in {name}"))
    if cfg.propensity_formula and not any(p.field.startswith("covariates") for p in found):
        found += _formula(cfg.propensity_formula, frame, covs, covariate_matrix)
    return found


def _formula(formula: str, frame: pd.DataFrame, covs: list[str], covariate_matrix) -> list[ConfigProblem]:
    """Build the design matrix exactly as notebook 04 does; name the column when one is unknown."""
    field = "propensity_formula"
    listed = ", ".join(covs) or "none listed"
    try:
        X, _ = covariate_matrix(frame, covs, formula)
    except Exception as err:  # noqa: BLE001 - patsy raises PatsyError, NameError, ValueError, ...
        text = " ".join(str(err).split())
        name = re.search(r"name '([^']+)' is not defined", text)
        if name:
            where = "a column of the data" if name.group(1) in frame else "not a column of the cleaned tables"
            return [
                ConfigProblem(
                    field,
                    f"'{name.group(1)}' is not one of the covariates ({listed}); the formula may only use the "
                    f"columns listed under covariates ('{name.group(1)}' is {where})",
                )
            ]
        if not covs:
            return [ConfigProblem(field, f"the formula needs its columns listed under covariates ({text[:200]})")]
        return [ConfigProblem(field, f"'{formula}' cannot be used: {type(err).__name__}: {text[:300]}")]
    if X.shape[1] == 0:
        return [ConfigProblem(field, f"'{formula}' gives no usable term (every term is constant)", WARNING)]
    return []


def _tracks(cfg, tables: Mapping[str, pd.DataFrame]) -> list[ConfigProblem]:
    has_track = _filled(tables, "participants", "track")
    found = []
    if cfg.cohort_by == "track" and not has_track:
        found.append(
            ConfigProblem(
                "cohort_by",
                "is 'track' but no participant has a track (map the file's column to 'track' under "
                "files.participants.columns, or use cohort_by: start_year)",
            )
        )
    if cfg.tracks and not has_track:
        found.append(
            ConfigProblem("tracks", "are listed but no participant has a track; the track tables stay empty", WARNING)
        )
    return found


def _targets(cfg, tables: Mapping[str, pd.DataFrame]) -> list[ConfigProblem]:
    found = []
    for i, target in enumerate(cfg.targets):
        sources = METRIC_SOURCES[target.metric]
        if not any(_filled(tables, table, column) for table, column in sources):
            needed = " or ".join(f"{column} in {table}" for table, column in sources)
            found.append(
                ConfigProblem(
                    f"targets[{i}] ({target.id})",
                    f"metric {target.metric} is measured from {needed}, and the data have none: "
                    "the report will show it as not measurable",
                    WARNING,
                )
            )
    return found


def _survey(cfg, tables: Mapping[str, pd.DataFrame]) -> list[ConfigProblem]:
    spec = cfg.survey
    if spec is None:
        return []
    found = []
    for name, scale in spec.scales.items():
        k = len(scale.labels_sv)
        if scale.agree_from is not None and not 1 <= scale.agree_from <= k:
            found.append(
                ConfigProblem(f"survey.scales.{name}.agree_from", f"{scale.agree_from} is not a scale value 1..{k}")
            )
        if scale.labels_en is not None and len(scale.labels_en) != k:
            found.append(
                ConfigProblem(
                    f"survey.scales.{name}.labels_en", f"has {len(scale.labels_en)} labels, labels_sv has {k}"
                )
            )
    survey = tables.get("survey")
    if survey is None:
        found.append(
            ConfigProblem("survey", "items are described but there is no files.survey; no survey section", WARNING)
        )
        return found
    answered = set(survey.loc[survey["response"].notna(), "item"].astype(str))
    for i, item in enumerate(spec.items):
        if item.id not in answered:
            found.append(ConfigProblem(f"survey.items[{i}] ({item.id})", "has no answers in the survey file", WARNING))
    return found
