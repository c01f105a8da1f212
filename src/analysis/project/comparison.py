"""``comparison:`` in project.yml: where the comparison group comes from, and how it is matched and weighted.

Example
-------
.. code-block:: yaml

    comparison:
      from: panel                       # file (the comparison file's reference_date) or panel
      eligible_statuses: [income_support, job_seeking]
      exact: [gender]                   # exact-match variables besides the start month and time in status
      duration_bands: [1, 4, 7, 13, 25] # months in an eligible status, matched exactly by band
      history_months: [12, 24]          # months in an eligible status / in work or study in the last 12 and 24
      covariates: [age, gender, education, origin]
      matching: {k: 1, caliper: 0.2, replacement: true, bias_correction: false}
      trimming: support                 # none, support, crump (0.1-0.9) or [lower, upper]
      missing: {method: complete}       # complete, indicator or mice (with imputations)

Everything has a default, so a project without ``comparison:`` keeps today's design: the comparison
file with its ``reference_date``, nearest-neighbour matching with replacement and a 0.2 SD caliper.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.project.codes import PANEL_STATUS

Estimand = Literal["start_now_vs_not_now"]
TIME_INVARIANT = ("age", "age_at_start", "gender", "education", "origin", "birth_year")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MatchingSpec(_Strict):
    """Nearest-neighbour matching on the propensity score."""

    k: int = Field(default=1, ge=1, le=20, description="comparison persons per participant")
    caliper: float | None = Field(
        default=0.2, gt=0, le=5, description="maximum distance in SD of the score; null = no caliper"
    )
    replacement: bool = Field(default=True, description="may a comparison person be used for several participants")
    bias_correction: bool = Field(
        default=False, description="Abadie-Imbens (2011) regression bias correction of the matched differences"
    )
    on: Literal["logit", "ps"] = "logit"


class MissingSpec(_Strict):
    """What to do with persons whose numeric covariate is missing."""

    method: Literal["complete", "indicator", "mice"] = "complete"
    imputations: int = Field(default=10, ge=2, le=100, description="number of imputed data sets (mice)")
    seed: int = Field(default=20260101, description="random seed of the imputations (mice)")


class ComparisonSpec(_Strict):
    """The comparison group's design (``comparison:`` in project.yml)."""

    source: Literal["file", "panel"] = Field(default="file", alias="from")
    estimand: Estimand = Field(
        default="start_now_vs_not_now",
        description="panel design: starting in a month vs not starting in that month (may start later; Sianesi)",
    )
    eligible_statuses: list[str] = Field(
        default_factory=lambda: ["income_support", "job_seeking"],
        description="panel statuses in the month before start that make a person eligible",
    )
    exact: list[str] = Field(default_factory=list, description="person-level variables matched exactly")
    duration_bands: list[int] = Field(
        default_factory=lambda: [1, 4, 7, 13, 25],
        description="lower limits (months) of the bands of time in an eligible status, matched exactly",
    )
    history_months: list[int] = Field(default_factory=lambda: [12, 24])
    covariates: list[str] | None = Field(
        default=None,
        description="panel design: time-invariant person covariates (default: age, gender, education, origin)",
    )
    matching: MatchingSpec = Field(default_factory=MatchingSpec)
    trimming: Literal["none", "support", "crump"] | tuple[float, float] = "support"
    missing: MissingSpec = Field(default_factory=MissingSpec)

    @field_validator("eligible_statuses")
    @classmethod
    def _statuses(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s not in PANEL_STATUS]
        if bad or not v:
            raise ValueError(f"unknown panel status {bad}; allowed: {', '.join(PANEL_STATUS)}")
        return v

    @field_validator("duration_bands")
    @classmethod
    def _bands(cls, v: list[int]) -> list[int]:
        if not v or v[0] != 1 or any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("duration_bands must start at 1 and increase, e.g. [1, 4, 7, 13, 25]")
        return v

    @field_validator("history_months")
    @classmethod
    def _history(cls, v: list[int]) -> list[int]:
        if any(h < 1 or h > 120 for h in v):
            raise ValueError("history_months must be between 1 and 120")
        return sorted(set(v))

    @field_validator("trimming")
    @classmethod
    def _trimming(cls, v):
        if isinstance(v, tuple) and not 0 <= v[0] < v[1] <= 1:
            raise ValueError("trimming bounds must be [lower, upper] with 0 <= lower < upper <= 1")
        return v

    @model_validator(mode="after")
    def _panel_covariates(self) -> ComparisonSpec:
        if self.source == "panel":
            bad = [c for c in (self.covariates or []) + self.exact if c not in TIME_INVARIANT]
            if bad:
                raise ValueError(
                    f"panel design: {', '.join(bad)} may change over time; only time-invariant person variables "
                    f"({', '.join(TIME_INVARIANT)}) can be used as covariates or exact-match variables "
                    "(the panel history is added by itself)"
                )
        return self
