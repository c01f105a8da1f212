"""The target metrics a project.yml may name, declared once: parameters, threshold kind, texts.

A target (``targets:`` in project.yml) names one of these metrics. The declaration
says which parameters the metric needs and what its threshold is (a share between
0 and 1, or a count); :mod:`analysis.tables.targets` pairs each with the function
that computes it (``METRICS`` there), the label dictionary holds its definition in
words (``tab_target_def_<name>``), and the results JSON schema's enum is generated
from the names here. Adding a metric is one entry here and one compute function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MetricSpec:
    """One target metric.

    Attributes
    ----------
    name : str
        The name used in project.yml (``metric:``) and results.json.
    description : str
        What is measured, in English (docs/data-contract.md).
    needs : tuple of str
        Target fields that must be given (``months``, ``days``).
    threshold : {"share", "count"}
        A share target's threshold is a fraction 0..1; a count target's a number of persons.
    """

    name: str
    description: str
    needs: tuple[str, ...]
    threshold: Literal["share", "count"] = "share"

    @property
    def definition_key(self) -> str:
        """Label dictionary key of the metric's definition in words."""
        return f"tab_target_def_{self.name}"

    def problems(self, values: dict[str, object]) -> list[str]:
        """What is wrong with a target's parameters (empty when it is complete)."""
        out = [f"metric {self.name} needs '{p}'" for p in self.needs if values.get(p) is None]
        threshold = values.get("threshold")
        if self.threshold == "share" and isinstance(threshold, float) and not 0 <= threshold <= 1:
            out.append(
                f"threshold of a share must be between 0 and 1, got {threshold:g} "
                "(write 0.5, 0,5 or 50 % for fifty per cent)"
            )
        return out


SPECS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec(
            "share_work_or_study_within_months",
            "Share of enrolled persons in work or study within `months` months of their start",
            ("months",),
        ),
        MetricSpec(
            "share_self_supporting_within_months",
            "Share of enrolled persons self-supporting within `months` months of their start",
            ("months",),
        ),
        MetricSpec(
            "action_plan_within_days",
            "Share of enrolled persons with an action plan within `days` days of their start",
            ("days",),
        ),
        MetricSpec(
            "followup_contact_every_months",
            "Share of enrolled persons with a follow-up contact at least every `months` months during enrolment",
            ("months",),
        ),
        MetricSpec("participants_reached", "Number of enrolled participants (threshold: a count)", (), "count"),
        MetricSpec("share_work_or_study_at_exit", "Share of exited persons who went on to work or study", ()),
    )
}
