"""Project description (``project.yml``): loading and validation.

Every project folder ``data/raw/<project>/`` holds a ``project.yml``. It is
validated as a whole so that one run lists every problem, each naming the field
and what is allowed (pydantic collects them for us).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.project.codes import EXIT_STATUS, FILE_KINDS, INCOME, PANEL_STATUS
from analysis.project.errors import ConfigError
from analysis.project.payback import PaybackConfig

TargetMetric = Literal[
    "share_work_or_study_within_months",
    "share_self_supporting_within_months",
    "action_plan_within_days",
    "followup_contact_every_months",
    "participants_reached",
    "share_work_or_study_at_exit",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class FileSpec(_Strict):
    """Where one contract file is and how its columns and values map."""

    path: str = Field(description="file name inside the project folder (.csv, .xlsx or .sav)")
    sheet: str | int | None = Field(default=None, description="Excel sheet name or index")
    encoding: str | None = Field(default=None, description="CSV encoding; sniffed when empty")
    delimiter: str | None = Field(default=None, description="CSV delimiter; sniffed when empty")
    columns: dict[str, str] = Field(default_factory=dict, description="raw header -> canonical column name")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="canonical column -> {raw label: canonical code}"
    )


class Target(_Strict):
    """One of the project's own targets, e.g. 50 % in work or study within 12 months."""

    id: str
    metric: TargetMetric
    threshold: float = Field(description="share (0-1) for share metrics, a count for participants_reached")
    months: int | None = Field(default=None, ge=1, le=120)
    days: int | None = Field(default=None, ge=0, le=3650)
    label_sv: str | None = None
    label_en: str | None = None
    min_observed: int = Field(
        default=10, ge=1, description="below this many observed persons the target is 'not yet measurable'"
    )

    @model_validator(mode="after")
    def _parameters(self) -> Target:
        needs_months = {
            "share_work_or_study_within_months",
            "share_self_supporting_within_months",
            "followup_contact_every_months",
        }
        if self.metric in needs_months and self.months is None:
            raise ValueError(f"metric {self.metric} needs 'months'")
        if self.metric == "action_plan_within_days" and self.days is None:
            raise ValueError("metric action_plan_within_days needs 'days'")
        if self.metric != "participants_reached" and not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold of a share must be between 0 and 1, got {self.threshold}")
        return self


class SurveyItem(_Strict):
    id: str
    text_sv: str
    text_en: str | None = None
    scale: str = Field(description="name of a scale under survey.scales")


class SurveyScale(_Strict):
    """An ordered response scale. ``labels`` go from most negative to most positive."""

    labels_sv: list[str]
    labels_en: list[str] | None = None
    agree_from: int = Field(description="1-based scale value from which a response counts as agreeing")


class SurveySpec(_Strict):
    items: list[SurveyItem]
    scales: dict[str, SurveyScale]

    @model_validator(mode="after")
    def _known_scales(self) -> SurveySpec:
        missing = sorted({i.scale for i in self.items} - set(self.scales))
        if missing:
            raise ValueError(f"items use undefined scales: {', '.join(missing)}")
        return self


class ProjectConfig(_Strict):
    """The validated contents of ``project.yml``."""

    name: str
    owner: str
    region: str | None = None
    project_number: str | None = None
    period: Period
    data_end: dt.date | None = Field(
        default=None, description="last date the data cover; default: the latest date found in the data"
    )
    budget_sek: float | None = Field(default=None, ge=0)
    esf_grant_sek: float | None = Field(default=None, ge=0)
    planned_participants: int | None = Field(default=None, ge=1)
    target_group: str | None = None
    language: Literal["sv", "en"] = "sv"
    synthetic: bool = Field(default=False, description="true only for made-up demo data")
    id_type: Literal["personnummer", "pseudonym"] = "personnummer"
    min_cell: int = Field(default=5, ge=1)
    # Which exit/follow-up statuses count as "work or study", and which panel statuses.
    work_or_study: list[str] = Field(default_factory=lambda: ["work", "subsidised_work", "study", "work_and_study"])
    panel_work_or_study: list[str] = Field(default_factory=lambda: ["work", "study"])
    # Income sources that count as self-supporting (egen försörjning).
    self_supporting: list[str] = Field(default_factory=lambda: ["wage", "student_aid", "none"])
    # Exits that end follow-up for "time to first work or study" as a competing event.
    competing_events: list[str] = Field(default_factory=lambda: ["moved", "sick"])
    tracks: list[str] = Field(default_factory=list)
    cohort_by: Literal["start_year", "track"] = "start_year"
    bridge_gap_months: int = Field(default=1, ge=0, le=6)
    covariates: list[str] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)
    propensity_formula: str | None = None
    followup_months: list[int] = Field(default_factory=lambda: [6, 12, 24])
    targets: list[Target] = Field(default_factory=list)
    survey: SurveySpec | None = None
    payback: PaybackConfig | None = None
    files: dict[str, FileSpec] = Field(default_factory=dict)
    planted_truth: dict[str, Any] = Field(
        default_factory=dict, description="synthetic examples only: what the generator planted"
    )

    @field_validator("work_or_study", "competing_events")
    @classmethod
    def _exit_codes(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in EXIT_STATUS]
        if bad:
            raise ValueError(f"unknown status {bad}; allowed: {', '.join(EXIT_STATUS)}")
        return v

    @field_validator("panel_work_or_study")
    @classmethod
    def _panel_codes(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in PANEL_STATUS]
        if bad:
            raise ValueError(f"unknown panel status {bad}; allowed: {', '.join(PANEL_STATUS)}")
        return v

    @field_validator("self_supporting")
    @classmethod
    def _income_codes(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if x not in INCOME]
        if bad:
            raise ValueError(f"unknown income source {bad}; allowed: {', '.join(INCOME)}")
        return v

    @field_validator("files")
    @classmethod
    def _file_kinds(cls, v: dict[str, FileSpec]) -> dict[str, FileSpec]:
        bad = [k for k in v if k not in FILE_KINDS]
        if bad:
            raise ValueError(f"unknown file kind {bad}; allowed: {', '.join(FILE_KINDS)}")
        if "participants" not in v:
            raise ValueError("files.participants is required")
        return v

    @model_validator(mode="after")
    def _unique_target_ids(self) -> ProjectConfig:
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids must be unique, repeated: {', '.join(dup)}")
        return self

    @property
    def has_comparison(self) -> bool:
        return "comparison" in self.files


class Project(BaseModel):
    """A project on disk: its id, folder and validated configuration."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    raw_dir: Path
    config: ProjectConfig

    @property
    def yml_path(self) -> Path:
        return self.raw_dir / "project.yml"


def _format_errors(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} problem(s) in project.yml"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see `foljeval new` for every field)"
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def parse_config(data: Any, path: Path) -> ProjectConfig:
    """Validate already-loaded YAML data; raise :class:`ConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: project.yml must be a mapping of fields, got {type(data).__name__}")
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(path, err)) from None


def load_project(raw_dir: str | Path) -> Project:
    """Read and validate ``<raw_dir>/project.yml``.

    Raises
    ------
    ConfigError
        With one message that lists every problem (field and what is allowed).
    """
    raw_dir = Path(raw_dir)
    path = raw_dir / "project.yml"
    if not path.is_file():
        raise ConfigError(f"{path}: not found. Create one with `foljeval new {raw_dir.name}`.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    return Project(id=raw_dir.name, raw_dir=raw_dir, config=parse_config(data, path))
