"""Effects against the panel-built comparison (start now vs not now), with its target-trial protocol.

:func:`panel_design_effects` builds the person-month risk sets (:mod:`analysis.effects.panel_design`)
and runs every estimator on each panel outcome (in work or study ``k`` months after the start
month), with exact cells for matching and standard errors clustered by person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.effects.adjust import ESTIMATORS, EffectOptions
from analysis.effects.design import OutcomeSpec
from analysis.effects.outcome import OutcomeEffects, estimate_outcome
from analysis.effects.panel_design import PanelDesign, build_panel_design, design_covariates, panel_sample
from analysis.effects.protocol import target_trial_protocol


@dataclass
class PanelDesignEffects:
    """Every estimate of the panel design, the design's counts and its protocol."""

    design: PanelDesign
    outcomes: dict[str, OutcomeEffects] = field(default_factory=dict)
    protocol: list[dict[str, Any]] = field(default_factory=list)
    min_cell: int = 5

    @property
    def estimand(self) -> str:
        return self.design.spec.estimand

    @property
    def main(self) -> OutcomeEffects | None:
        ok = [n for n, o in self.outcomes.items() if o.ok]
        return self.outcomes["wos_12m"] if "wos_12m" in ok else (self.outcomes[ok[0]] if ok else None)

    def summary(self) -> pd.DataFrame:
        frames = [o.estimates.summary() for o in self.outcomes.values() if o.ok and o.estimates is not None]
        return pd.concat(frames) if frames else pd.DataFrame()

    def to_results(self) -> dict[str, Any]:
        est, outcomes = [], {}
        for name, o in self.outcomes.items():
            outcomes[name], rows = o.to_results(self.min_cell)
            est += rows
        main = self.main
        return {
            "design": "panel",
            "estimand": self.estimand,
            "counts": dict(self.design.counts),
            "covariates": design_covariates(self.design),
            "protocol": self.protocol,
            "main_outcome": main.spec.name if main is not None else None,
            "estimates": est,
            "outcomes": outcomes,
        }


def panel_design_effects(
    frame: pd.DataFrame,
    panel: pd.DataFrame,
    config,
    data_end: dt.date | pd.Timestamp,
    options: EffectOptions,
    min_cell: int,
) -> PanelDesignEffects:
    """Build the panel-built comparison and estimate every panel outcome against it.

    Example
    -------
    >>> pde = panel_design_effects(persons(tables), tables["status_monthly"], config, data_end,
    ...                            EffectOptions.from_spec(config.comparison), 5)  # doctest: +SKIP
    >>> pde.summary()  # doctest: +SKIP
    """
    months = list(config.effect_months_after_start)
    design = build_panel_design(
        frame, config.comparison, list(config.panel_work_or_study), months, data_end, panel=panel
    )
    out = PanelDesignEffects(design, min_cell=min_cell)
    for k in months:
        name = f"wos_{k}m"
        sample = panel_sample(design, name)
        out.outcomes[name] = estimate_outcome(sample, OutcomeSpec(name, "binary", k, "panel"), min_cell, options)
    out.protocol = target_trial_protocol(
        config.comparison,
        "panel",
        design_covariates(design),
        [f"wos_{k}m" for k in months],
        [e for e in ESTIMATORS if any(o.result(e) for o in out.outcomes.values())],
        str(pd.Timestamp(data_end).date()),
        months,
    )
    return out
