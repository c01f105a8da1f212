"""``subgroups:`` in project.yml: which subgroup effects the effects section estimates.

Example
-------
.. code-block:: yaml

    subgroups:
      gender: true                 # women and men (ESF reports every indicator by sex)
      age_bands: [16, 25, 30, 50]  # lower limits of the age bands at start; [] for none
      track: true                  # the project's tracks (participants only: against the whole comparison group)
      outcome: wos_12m             # default: the main outcome of the effects section
      estimator: aipw              # aipw, ipw or regression

Every choice has a default, so a project without ``subgroups:`` gets the effect by sex, age band and track.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SubgroupSpec(BaseModel):
    """The subgroups whose effects are estimated (``subgroups:`` in project.yml)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    gender: bool = Field(default=True, description="the effect for women and for men")
    age_bands: list[int] = Field(
        default_factory=lambda: [16, 25, 30, 50],
        description="lower limits (years at start) of the age bands; [] for no age bands",
    )
    track: bool = Field(default=True, description="the effect in each of the project's tracks")
    outcome: str | None = Field(default=None, description="outcome column (default: the main outcome, wos_12m)")
    estimator: Literal["aipw", "ipw", "regression"] = "aipw"

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, v: list[int]) -> list[int]:
        if any(b >= a for b, a in zip(v, v[1:])):
            raise ValueError(f"age_bands must be increasing lower limits, e.g. [16, 25, 30, 50]; got {v}")
        if any(x < 0 or x > 120 for x in v):
            raise ValueError(f"age_bands are ages in years (0-120); got {v}")
        return v

    @property
    def dimensions(self) -> list[str]:
        """The subgroup dimensions switched on, in report order."""
        out = ["gender"] if self.gender else []
        out += ["age_band"] if self.age_bands else []
        return out + (["track"] if self.track else [])
