"""Project description (``project.yml``): loading and validation.

Every project folder ``data/raw/<project>/`` holds a ``project.yml``. It is
validated as a whole so that one run lists every problem, each naming the field
and what is allowed (pydantic collects them for us).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.project.codes import (
    DEFAULT_COMPETING_EVENTS,
    DEFAULT_PANEL_WORK_OR_STUDY,
    DEFAULT_SELF_SUPPORTING,
    DEFAULT_WORK_OR_STUDY,
    EXIT_STATUS,
    INCOME,
    PANEL_STATUS,
)
from analysis.project.comparison import ComparisonSpec
from analysis.project.config_messages import did_you_mean, mapping_lines, validation_lines
from analysis.project.contract import DEFAULT_PANEL_DOMAIN
from analysis.project.contract import ORDER as FILE_KINDS
from analysis.project.deliveries import choose_delivery, find_deliveries
from analysis.project.errors import ConfigError
from analysis.project.metrics import SPECS as METRIC_SPECS
from analysis.project.payback import PaybackConfig
from analysis.project.subgroups import SubgroupSpec

# Months after exit at which follow-up waves are due, and months after start at which the
# effect section measures outcomes (unless project.yml says otherwise).
DEFAULT_FOLLOWUP_MONTHS_AFTER_EXIT: tuple[int, ...] = (6, 12, 24)
DEFAULT_EFFECT_MONTHS_AFTER_START: tuple[int, ...] = (6, 12, 24)

# Fields that were renamed or split, with what replaces them (shown when an old project.yml uses one).
RETIRED_FIELDS: dict[str, str] = {
    "followup_months": (
        "it meant two things and was split in two: followup_months_after_exit (months after exit at which "
        "follow-up waves are due, e.g. [6, 12]) and effect_months_after_start (months after start at which "
        "the effect section measures outcomes, e.g. [6, 12, 24]); replace it by the one(s) you mean"
    ),
}


_THRESHOLD = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(%?)\s*$")


def parse_threshold(value: Any) -> Any:
    """A threshold as project.yml may write it: ``0.5``, ``"0,5"``, ``"50 %"`` -> 0.5; ``"100"`` -> 100.0.

    Raises
    ------
    ValueError
        For text that is none of these forms, naming the accepted forms.
    """
    if not isinstance(value, str):
        return value
    m = _THRESHOLD.match(value.replace("\u00a0", " "))
    if not m:
        raise ValueError(f"threshold '{value}' is not a number; write a share as 0.5, 0,5 or 50 % (a count as 100)")
    number = float(m[1].replace(",", "."))
    return number / 100 if m[2] else number


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

    path: str | list[str] = Field(
        description="file name(s) inside the project folder, or a pattern such as deltagare_*.xlsx; "
        ".csv/.txt (UTF-8, Windows-1252 or UTF-16), .xlsx, .xls, .xlsm, .ods or .sav"
    )
    sheet: str | int | list[str | int] | None = Field(
        default=None, description="Excel sheet name or index, a list of them, or '*' for every sheet"
    )
    header_row: int | None = Field(
        default=None, ge=1, description="file row of the header; default: the first row the project understands"
    )
    encoding: str | None = Field(default=None, description="CSV encoding; sniffed when empty")
    delimiter: str | None = Field(default=None, description="CSV delimiter; sniffed when empty")
    columns: dict[str, str] = Field(
        default_factory=dict, description="raw header -> canonical column name (or 'ignore')"
    )
    values: dict[str, dict[str, str | list[str]]] = Field(
        default_factory=dict, description="canonical column -> {raw label: canonical code, or a list of codes}"
    )
    date_formats: list[str] = Field(
        default_factory=list, description="strptime formats tried before the built-in ones, e.g. '%d-%m-%y'"
    )
    missing_values: list[str] = Field(
        default_factory=list, description="words that mean 'no value' besides the built-in ones (pågår, -, ...)"
    )
    layout: Literal["auto", "long", "wide"] = Field(
        default="auto",
        description="status_monthly only: long (one row per person and month), wide (one column per month, "
        "e.g. 202201) or auto (wide when the headers are months)",
    )
    domain: Literal["activity", "income_support"] | None = Field(
        default=None,
        description="status_monthly only: what the panel records; activity (work, study, support, ...: the "
        "default) or income_support (only whether ekonomiskt bistånd was paid, e.g. a municipal extract)",
    )
    anonymous: Literal["reject", "count"] = Field(
        default="reject",
        description="participants only: rows without an id are quarantined (reject) or counted in the flow (count)",
    )
    episodes: Literal["reject", "first", "last", "all"] = Field(
        default="reject",
        description="participants only: a person's later enrolments are quarantined (reject) or kept as episodes; "
        "the person is then described by the first, the last or all episodes (first start to last end)",
    )

    @property
    def paths(self) -> list[str]:
        """The file names or patterns, as a list."""
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def label(self) -> str:
        """How messages name the entry: its (first) path."""
        return self.paths[0]


class LabelText(_Strict):
    """The words for one code of the project (a track, a covariate, an outcome), with its unit."""

    sv: str
    en: str | None = None
    unit: str | None = Field(default=None, description="unit of a measured value, e.g. kr (outcomes, covariates)")

    def text(self, lang: str) -> str:
        return (self.en or self.sv) if lang == "en" else self.sv


class ProjectLabels(_Strict):
    """``labels:`` in project.yml: words for the project's own codes in the report (sv, en)."""

    tracks: dict[str, LabelText] = Field(default_factory=dict)
    covariates: dict[str, LabelText] = Field(default_factory=dict)
    outcomes: dict[str, LabelText] = Field(default_factory=dict)


class Target(_Strict):
    """One of the project's own targets, e.g. 50 % in work or study within 12 months."""

    id: str
    metric: str = Field(description="one of analysis.project.metrics.SPECS")
    threshold: float = Field(description="a share (0-1) for share metrics, a number of persons for count metrics")
    months: int | None = Field(default=None, ge=1, le=120)
    days: int | None = Field(default=None, ge=0, le=3650)
    label_sv: str | None = None
    label_en: str | None = None
    min_observed: int = Field(
        default=10, ge=1, description="below this many observed persons the target is 'not yet measurable'"
    )

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold_forms(cls, v: Any) -> Any:
        """Accept 0.5, "0,5", "50 %" and "50%" (a share) and plain counts; refuse other text."""
        return parse_threshold(v)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v not in METRIC_SPECS:
            raise ValueError(f"unknown metric '{v}'{did_you_mean(v, METRIC_SPECS)}; allowed: {', '.join(METRIC_SPECS)}")
        return v

    @model_validator(mode="after")
    def _parameters(self) -> Target:
        problems = METRIC_SPECS[self.metric].problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SurveyItem(_Strict):
    id: str
    text_sv: str
    text_en: str | None = None
    scale: str = Field(description="name of a scale under survey.scales")


SCALE_KINDS = ("ordinal", "categorical")


class SurveyScale(_Strict):
    """A response scale: ordered (``ordinal``, labels from most negative to most positive, with ``agree_from``)
    or unordered (``categorical``: the categories an evaluator coded open answers into, no ``agree_from``)."""

    kind: Literal["ordinal", "categorical"] = Field(
        default="ordinal",
        description="ordinal (an ordered scale with agree_from) or categorical (unordered categories, no agree_from)",
    )
    labels_sv: list[str]
    labels_en: list[str] | None = None
    agree_from: int | None = Field(
        default=None, description="1-based scale value from which a response counts as agreeing (ordinal scales)"
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, v: Any) -> Any:
        if v not in SCALE_KINDS:
            raise ValueError(
                f"unknown scale kind '{v}'{did_you_mean(str(v), SCALE_KINDS)}; allowed: ordinal, categorical"
            )
        return v

    @model_validator(mode="after")
    def _agree_from_by_kind(self) -> SurveyScale:
        if self.kind == "ordinal" and self.agree_from is None:
            raise ValueError("an ordinal scale needs agree_from (or say kind: categorical for unordered categories)")
        if self.kind == "categorical" and self.agree_from is not None:
            raise ValueError("a categorical scale has no agree_from: its categories are not ordered; remove agree_from")
        return self

    @property
    def categorical(self) -> bool:
        return self.kind == "categorical"


class SurveySpec(_Strict):
    items: list[SurveyItem]
    scales: dict[str, SurveyScale]

    @model_validator(mode="after")
    def _known_scales(self) -> SurveySpec:
        missing = sorted({i.scale for i in self.items} - set(self.scales))
        if missing:
            raise ValueError(f"items use undefined scales: {', '.join(missing)}")
        return self


# The evaluator's own texts: one Markdown file per point of the report, in ``data/raw/<project>/text/``
# (the default file names; ``report.text`` in project.yml may name others). Where each point
# goes in the report is declared in :data:`analysis.report.evaluator_text.POINTS`.
TEXT_FOLDER = "text"
TEXT_FILES: dict[str, str] = {
    "background": "bakgrund.md",
    "questions": "fragor.md",
    "method": "metod.md",
    "qualitative_findings": "kvalitativa_resultat.md",
    "analysis": "analys.md",
    "conclusions": "slutsatser.md",
    "recommendations": "rekommendationer.md",
}
REPORT_TYPES = ("delrapport", "slutrapport")


class DeliveryReportMeta(_Strict):
    """``report.deliveries.<YYYY-MM-DD>``: which report one delivery's is, when it is not the project's.

    With delivery folders, an earlier delivery's report was e.g. *delrapport 1* while the
    newest is the *slutrapport*; what is given here replaces ``report:``'s value for that delivery.
    """

    type: Literal["delrapport", "slutrapport"] | None = Field(
        default=None, description="delrapport (with number) or slutrapport"
    )
    number: int | None = Field(default=None, ge=1, description="the number of a delrapport (1, 2, ...)")
    date: dt.date | None = None
    version: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class ReportMeta(_Strict):
    """``report:`` in project.yml: who wrote the report, which report it is, and the evaluator's text files."""

    authors: list[str] = Field(default_factory=list, description="the evaluators who wrote the report")
    organisation: str | None = Field(default=None, description="the evaluator's organisation")
    type: Literal["delrapport", "slutrapport"] | None = Field(
        default=None, description="delrapport (with number) or slutrapport"
    )
    number: int | None = Field(default=None, ge=1, description="the number of a delrapport (1, 2, ...)")
    date: dt.date | None = None
    version: str | None = None
    text: dict[str, str] = Field(default_factory=dict, description="point -> file name in text/, when not the default")
    deliveries: dict[dt.date, DeliveryReportMeta] = Field(
        default_factory=dict, description="per delivery folder (YYYY-MM-DD): its report's type, number, date, version"
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, v: Any) -> Any:
        if v is not None and v not in REPORT_TYPES:
            raise ValueError(
                f"unknown report type '{v}'{did_you_mean(str(v), REPORT_TYPES)}; allowed: delrapport, slutrapport"
            )
        return v

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    @field_validator("text")
    @classmethod
    def _known_points(cls, v: dict[str, str]) -> dict[str, str]:
        for point, name in v.items():
            if point not in TEXT_FILES:
                raise ValueError(
                    f"unknown point '{point}'{did_you_mean(point, TEXT_FILES)}; allowed: {', '.join(TEXT_FILES)}"
                )
            if not name.endswith(".md") or "/" in name or "\\" in name or name.startswith("."):
                raise ValueError(f"{point}: '{name}' must be the name of a .md file in the text/ folder (no folders)")
        return v

    @model_validator(mode="after")
    def _number_with_type(self) -> ReportMeta:
        if self.type == "delrapport" and self.number is None:
            raise ValueError("type: delrapport needs its number (number: 1, 2, ...)")
        if self.type != "delrapport" and self.number is not None:
            raise ValueError("number is the number of a delrapport; write type: delrapport or remove number")
        return self

    def text_file(self, point: str) -> str:
        """The file name of ``point`` in the text folder."""
        return self.text.get(point, TEXT_FILES[point])

    def for_delivery(self, delivery: dt.date) -> ReportMeta:
        """This metadata with ``deliveries.<delivery>``'s values in place of the project's."""
        override = self.deliveries.get(delivery)
        if override is None:
            return self
        given = override.model_dump(exclude_unset=True)
        if "type" in given and "number" not in given:
            given["number"] = None  # a slutrapport has no number, whatever the project's report has
        return ReportMeta.model_validate(self.model_dump() | given)


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
    main_outcome: Literal["work_or_study", "self_supporting", "off_income_support"] = Field(
        default="work_or_study",
        description="the project's own main outcome, shown first on the report's first page: in work or study, "
        "self-supporting (both at exit) or off income support 6/12/24 months after start (monthly panel)",
    )
    synthetic: bool = Field(default=False, description="true only for made-up demo data")
    id_type: Literal["personnummer", "pseudonym"] = "personnummer"
    min_cell: int = Field(default=5, ge=1)
    # Which exit/follow-up statuses count as "work or study", and which panel statuses.
    work_or_study: list[str] = Field(default_factory=lambda: list(DEFAULT_WORK_OR_STUDY))
    panel_work_or_study: list[str] = Field(default_factory=lambda: list(DEFAULT_PANEL_WORK_OR_STUDY))
    # Income sources that count as self-supporting (egen försörjning).
    self_supporting: list[str] = Field(default_factory=lambda: list(DEFAULT_SELF_SUPPORTING))
    # Exits that end follow-up for "time to first work or study" as a competing event.
    competing_events: list[str] = Field(default_factory=lambda: list(DEFAULT_COMPETING_EVENTS))
    tracks: list[str] = Field(default_factory=list)
    labels: ProjectLabels = Field(
        default_factory=ProjectLabels, description="words for tracks, covariates and outcomes in the report"
    )
    cohort_by: Literal["start_year", "track"] = "start_year"
    bridge_gap_months: int = Field(default=1, ge=0, le=6)
    covariates: list[str] = Field(default_factory=list)
    outcomes: list[str] = Field(default_factory=list)
    propensity_formula: str | None = None
    followup_months_after_exit: list[int] = Field(
        default_factory=lambda: list(DEFAULT_FOLLOWUP_MONTHS_AFTER_EXIT),
        description="months after exit at which follow-up waves are due (outcome tables)",
    )
    effect_months_after_start: list[int] = Field(
        default_factory=lambda: list(DEFAULT_EFFECT_MONTHS_AFTER_START),
        description="months after start (comparison: after reference_date) at which effects are measured",
    )
    comparison: ComparisonSpec = Field(default_factory=ComparisonSpec)
    subgroups: SubgroupSpec = Field(default_factory=SubgroupSpec)
    targets: list[Target] = Field(default_factory=list)
    survey: SurveySpec | None = None
    payback: PaybackConfig | None = None
    files: dict[str, FileSpec] = Field(default_factory=dict)
    report: ReportMeta = Field(default_factory=ReportMeta, description="report metadata and the evaluator's text files")
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

    @property
    def panel_domain(self) -> str | None:
        """What the monthly panel records (``activity`` or ``income_support``); None without a panel.

        An ``income_support`` panel cannot tell work or study from other months: analyses that need
        them must say so instead of counting everyone as not in work (see
        :func:`analysis.project.contract.panel_measures`).
        """
        spec = self.files.get("status_monthly")
        return None if spec is None else (spec.domain or DEFAULT_PANEL_DOMAIN)


class Project(BaseModel):
    """A project on disk: its id, folder and validated configuration."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    raw_dir: Path
    config: ProjectConfig
    # the delivery built (its folder's name is its data_end); None: the files lie in raw_dir itself
    delivery: dt.date | None = None
    deliveries: tuple[dt.date, ...] = ()  # every delivery of the project, oldest first

    @property
    def yml_path(self) -> Path:
        return self.raw_dir / "project.yml"

    @property
    def data_dir(self) -> Path:
        """Where the raw files named under ``files:`` are: the delivery's folder, or the project folder."""
        return self.raw_dir / self.delivery.isoformat() if self.delivery else self.raw_dir

    @property
    def delivery_name(self) -> str | None:
        """``YYYY-MM-DD`` of the delivery built (None without delivery folders)."""
        return self.delivery.isoformat() if self.delivery else None

    @property
    def previous_delivery(self) -> dt.date | None:
        """The delivery before the one built (None for the first, or without delivery folders)."""
        earlier = [d for d in self.deliveries if self.delivery and d < self.delivery]
        return earlier[-1] if earlier else None

    @property
    def newest(self) -> bool:
        """Whether this is the project's newest delivery (always, without delivery folders)."""
        return not self.deliveries or self.delivery == self.deliveries[-1]

    def text_path(self, point: str) -> Path:
        """The evaluator's Markdown file for ``point`` (one of :data:`TEXT_FILES`), present or not."""
        return self.raw_dir / TEXT_FOLDER / self.config.report.text_file(point)


def parse_config(data: Any, path: Path) -> ProjectConfig:
    """Validate already-loaded YAML data; raise :class:`ConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: project.yml must be a mapping of fields, got {type(data).__name__}")
    retired = [f"  - {k}: {why}" for k, why in RETIRED_FIELDS.items() if k in data]
    if retired:
        raise ConfigError(f"{path}: {len(retired)} field(s) of an older foljeval in project.yml\n" + "\n".join(retired))
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as err:
        lines = validation_lines(err.errors(), data)
        raise ConfigError(f"{path}: {len(lines)} problem(s) in project.yml\n" + "\n".join(lines)) from None
    lines = mapping_lines(config)
    if lines:
        raise ConfigError(f"{path}: {len(lines)} problem(s) in project.yml\n" + "\n".join(lines))
    return config


def _impossible_date(path: Path) -> str:
    """``"line N: "`` of the first YYYY-MM-DD in the file that is not a calendar date ('' when none is found)."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", line):
            try:
                dt.date(int(y), int(m), int(d))
            except ValueError:
                return f"line {n}: "
    return ""


def load_project(raw_dir: str | Path, delivery: dt.date | str | None = None) -> Project:
    """Read and validate ``<raw_dir>/project.yml``, for ``delivery`` (default: the newest delivery folder).

    With delivery folders (:mod:`analysis.project.deliveries`) the project's ``data_end`` is
    the chosen folder's name and its raw files are read from that folder (``data_dir``).

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
    except ValueError as err:  # YAML reads 2024-13-01 as a date and the calendar refuses it
        raise ConfigError(
            f"{path}: {_impossible_date(path)}a date that does not exist ({err}); write it as YYYY-MM-DD"
        ) from None
    config = parse_config(data, path)
    chosen = choose_delivery(raw_dir, delivery, config.data_end)
    deliveries = tuple(d.data_end for d in find_deliveries(raw_dir))
    unknown = sorted(d.isoformat() for d in config.report.deliveries if d not in deliveries)
    if unknown:
        folders = ", ".join(d.isoformat() for d in deliveries) or "none"
        raise ConfigError(
            f"{path}: report.deliveries names {', '.join(unknown)}, which is no delivery folder of the project "
            f"(the delivery folders: {folders}); correct the date or remove it"
        )
    if chosen is None:
        return Project(id=raw_dir.name, raw_dir=raw_dir, config=config)
    update = {"data_end": chosen.data_end, "report": config.report.for_delivery(chosen.data_end)}
    return Project(
        id=raw_dir.name,
        raw_dir=raw_dir,
        config=config.model_copy(update=update),
        delivery=chosen.data_end,
        deliveries=deliveries,
    )
