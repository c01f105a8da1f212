"""The design written out as a target-trial protocol (Hernán & Robins 2016): data, not prose.

Each row is one component of the protocol of the trial the analysis emulates (eligibility,
treatment strategies, assignment, time zero, follow-up, outcomes, causal contrast, analysis), with
its settings as codes and numbers. The report turns it into a table in the report language
(:mod:`analysis.report.sections.design`).
"""

from __future__ import annotations

from typing import Any

from analysis.project.comparison import ComparisonSpec

COMPONENTS = (
    "eligibility",
    "treatment_strategies",
    "assignment",
    "time_zero",
    "followup",
    "outcomes",
    "causal_contrast",
    "analysis",
)


def target_trial_protocol(
    spec: ComparisonSpec,
    source: str,
    covariates: list[str],
    outcomes: list[str],
    estimators: list[str],
    data_end: str,
    followup_months: list[int],
) -> list[dict[str, Any]]:
    """The protocol of one design (``source``: ``panel`` or ``file``) as a list of components.

    Example
    -------
    >>> rows = target_trial_protocol(ComparisonSpec(), "file", ["age_at_start"], ["wos_12m"], ["ipw"],
    ...                              "2021-03-31", [12])
    >>> [r["component"] for r in rows][:3]
    ['eligibility', 'treatment_strategies', 'assignment']
    """
    m = spec.matching
    panel = source == "panel"
    rows: list[dict[str, Any]] = [
        {
            "component": "eligibility",
            "source": source,
            "statuses": list(spec.eligible_statuses) if panel else [],
            "not_started_before": panel,
        },
        {"component": "treatment_strategies", "treated": "start", "control": "not_now" if panel else "not_participate"},
        {
            "component": "assignment",
            "method": "dynamic_matching" if panel else "comparison_file",
            "exact": (["start_month", "duration_band", *spec.exact] if panel else []),
            "duration_bands": list(spec.duration_bands) if panel else [],
            "history_months": list(spec.history_months) if panel else [],
            "covariates": list(covariates),
            "k": m.k,
            "caliper_sd": m.caliper,
            "replacement": m.replacement,
            "bias_correction": m.bias_correction,
        },
        {"component": "time_zero", "definition": "start_month" if panel else "start_or_reference_date"},
        {"component": "followup", "months": list(followup_months), "end": "data_end", "data_end": data_end},
        {"component": "outcomes", "outcomes": list(outcomes)},
        {
            "component": "causal_contrast",
            "estimand": spec.estimand if panel else "att",
            "population": "participants",
            "overlap_population": "overlap" in estimators,
        },
        {
            "component": "analysis",
            "estimators": list(estimators),
            "se": "clustered_by_person" if panel else "independent_persons",
            "trimming": list(spec.trimming) if isinstance(spec.trimming, tuple) else spec.trimming,
            "missing": spec.missing.method,
            "imputations": spec.missing.imputations if spec.missing.method == "mice" else None,
        },
    ]
    return rows
