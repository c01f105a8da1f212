"""The ``payback:`` part of project.yml: the project's cost, which cost-table entry prices each status
or income source, the discount rate, horizons, and the project's own cost-table figures.

The cost table itself (amounts, actors, sources) is ``resources/payback/cost_table.yml``; this
module only validates what a project writes about it, so that a misspelt entry or status fails
when project.yml is read, naming the field.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from analysis.project.codes import INCOME, PANEL_STATUS

Actor = Literal["kommun", "region", "staten", "arbetsformedlingen", "forsakringskassan", "a_kassa", "individual"]
ACTORS: tuple[str, ...] = (
    "kommun",
    "region",
    "staten",
    "arbetsformedlingen",
    "forsakringskassan",
    "a_kassa",
    "individual",
)
COST_TABLE = ("resources", "payback", "cost_table.yml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@lru_cache(maxsize=1)
def bundled_cost_table() -> dict:
    """The bundled cost table as YAML data (read once)."""
    path = resources.files("analysis").joinpath(*COST_TABLE)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class EntryOverride(_Strict):
    """A project's own figure for one cost-table entry (or a new entry).

    Only the fields given replace the bundled ones. ``example: true`` marks a made-up value (the
    bundled examples); the report then says on the page that the figure is an example.
    """

    amount: float | None = Field(default=None, ge=0, description="kronor per `per` (month or day)")
    per: Literal["month", "day"] | None = None
    days_per_month: float | None = Field(default=None, gt=0, le=31)
    kind: Literal["transfer", "wage", "none"] | None = None
    actor: Actor | None = Field(default=None, description="who pays a transfer")
    taxable: bool | None = None
    year: int | str | None = None
    source: str | None = Field(default=None, description="where the figure comes from (statistic, table, year)")
    example: bool = False

    @model_validator(mode="after")
    def _sourced(self) -> EntryOverride:
        if self.amount is not None and not self.example and not self.source:
            raise ValueError("a project's own amount needs its `source` (and `year`), or `example: true`")
        return self


class RateOverride(_Strict):
    """A project's own tax or fee rate (a share, 0-1)."""

    value: float = Field(ge=0, le=1)
    year: int | str | None = None
    source: str | None = None
    example: bool = False

    @model_validator(mode="after")
    def _sourced(self) -> RateOverride:
        if not self.example and not self.source:
            raise ValueError("a project's own rate needs its `source` (and `year`), or `example: true`")
        return self


class PaybackCost(_Strict):
    """What the project cost: a total (default ``budget_sek``) or a cost per participant."""

    total_sek: float | None = Field(default=None, gt=0)
    per_participant_sek: float | None = Field(default=None, gt=0)
    participants: int | None = Field(
        default=None, ge=1, description="persons the total is divided by; default: participants who started"
    )
    funders: dict[Actor, float] = Field(
        default_factory=dict, description="share of the cost each actor paid (sums to 1); gives per-actor payback"
    )
    example: bool = Field(default=False, description="the cost is a made-up example value")

    @model_validator(mode="after")
    def _one_cost(self) -> PaybackCost:
        if self.total_sek is not None and self.per_participant_sek is not None:
            raise ValueError("give total_sek or per_participant_sek, not both")
        if self.funders:
            if any(v < 0 for v in self.funders.values()) or abs(sum(self.funders.values()) - 1) > 1e-6:
                raise ValueError("funders: shares must be non-negative and sum to 1")
        return self


class PaybackConfig(_Strict):
    """The socio-economic payback calculation (section 6 of the report)."""

    basis: Literal["auto", "income", "status", "followups"] = Field(
        default="auto",
        description="what is priced: monthly income sources (income_monthly), monthly statuses "
        "(status_monthly), or income at start/exit and follow-ups; auto takes the first available",
    )
    statuses: dict[str, str | None] = Field(
        default_factory=dict, description="panel status -> cost-table entry (null: cannot be attributed)"
    )
    income_sources: dict[str, str | None] = Field(
        default_factory=dict, description="income source -> cost-table entry (null: cannot be attributed)"
    )
    cost: PaybackCost = Field(default_factory=PaybackCost)
    discount_rate: float = Field(default=0.035, ge=0, le=0.2, description="real discount rate per year")
    horizons_months: list[int] = Field(default_factory=lambda: [12, 60])
    extrapolate: Literal["last_year", "none"] = Field(
        default="last_year",
        description="after the last month the data cover: carry the last observed year's effect forward, or stop",
    )
    min_persons_per_month: int = Field(default=10, ge=1, description="persons per group a month needs to be used")
    entries: dict[str, EntryOverride] = Field(default_factory=dict)
    rates: dict[str, RateOverride] = Field(default_factory=dict)

    @field_validator("statuses")
    @classmethod
    def _status_codes(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        bad = [k for k in v if k not in PANEL_STATUS]
        if bad:
            raise ValueError(f"unknown panel status {bad}; allowed: {', '.join(PANEL_STATUS)}")
        return v

    @field_validator("income_sources")
    @classmethod
    def _income_codes(cls, v: dict[str, str | None]) -> dict[str, str | None]:
        bad = [k for k in v if k not in INCOME]
        if bad:
            raise ValueError(f"unknown income source {bad}; allowed: {', '.join(INCOME)}")
        return v

    @field_validator("horizons_months")
    @classmethod
    def _horizons(cls, v: list[int]) -> list[int]:
        if not v or any(h < 1 or h > 120 for h in v):
            raise ValueError("horizons must be 1-120 months, e.g. [12, 60]")
        return sorted(set(v))

    @field_validator("rates")
    @classmethod
    def _rate_names(cls, v: dict[str, RateOverride]) -> dict[str, RateOverride]:
        known = set(bundled_cost_table()["rates"])
        bad = [k for k in v if k not in known]
        if bad:
            raise ValueError(f"unknown rate {bad}; the cost table has: {', '.join(sorted(known))}")
        return v

    @model_validator(mode="after")
    def _entries_exist(self) -> PaybackConfig:
        table = bundled_cost_table()["entries"]
        for name, e in self.entries.items():
            if name not in table and (e.amount is None or e.kind is None or e.per is None):
                raise ValueError(
                    f"entries.{name}: not in the cost table; a new entry needs amount, per and kind "
                    f"(bundled entries: {', '.join(sorted(table))})"
                )
            if name not in table and e.kind == "transfer" and e.actor is None:
                raise ValueError(f"entries.{name}: a new transfer needs the `actor` who pays it")
        known = set(table) | set(self.entries)
        for field, mapping in (("statuses", self.statuses), ("income_sources", self.income_sources)):
            bad = sorted({e for e in mapping.values() if e is not None and e not in known})
            if bad:
                raise ValueError(f"{field}: unknown cost-table entry {bad}; known: {', '.join(sorted(known))}")
        return self
