"""Effects against the panel-built comparison (start now vs not now), with its target-trial protocol.

:func:`panel_design_effects` builds the person-month risk sets (:mod:`analysis.effects.panel_design`)
and runs every estimator on each panel outcome (in work or study ``k`` months after the start
month), with exact cells for matching and standard errors clustered by person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.disclosure.published import linked_cell, place
from analysis.disclosure.suppression import ProtectedCounts
from analysis.effects.adjust import ESTIMATORS, EffectOptions
from analysis.effects.design import OutcomeSpec
from analysis.effects.outcome import OutcomeEffects, estimate_outcome
from analysis.effects.panel_design import PanelDesign, build_panel_design, design_covariates, panel_sample
from analysis.effects.protocol import target_trial_protocol
from analysis.effects.publish import DesignCounts, add_outcome, outcome_published, protocol_table


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

    def design_counts(self) -> ProtectedCounts:
        """Every count the panel design publishes, protected together.

        The participants = eligible + not eligible + without panel rows; per outcome the
        eligible = the outcome's sample + those whose outcome is not observed yet; the
        comparison person-months = the outcome's sample + the rows outside the participants'
        cells + the rows a separation puts outside the support + the rows without the outcome;
        then each estimator's used and left-out counts (:func:`analysis.effects.publish.add_outcome`).
        """
        c = self.design.counts
        dc = DesignCounts()
        for key in PERSON_COUNTS:
            dc.add(key, c.get(key, 0))
        dc.relate(["participants_eligible", "participants_not_eligible", "participants_no_panel"], "participants")
        for name, o in self.outcomes.items():
            if not o.ok:
                continue
            pre = f"{name}:"
            add_outcome(dc, pre, o)
            out = int(c["participants_eligible"]) - int(o.n_treated)
            if out >= 0:
                dc.relate([f"{pre}treated", dc.add(f"{pre}treated_out", out)], "participants_eligible")
            off = int(c.get(f"comparison_rows_off_support_{name}", 0))
            sep = int(o.trimmed.get("n_off_support_control", 0))
            rest = int(c["comparison_rows"]) - int(o.n_control) - off - sep
            if rest >= 0:
                parts = [f"{pre}control", dc.add(f"{pre}rows_off_support", off), dc.add(f"{pre}rows_unobserved", rest)]
                dc.relate(parts + ([f"{pre}n_off_support_control"] if sep else []), "comparison_rows")
        return dc.protect(self.min_cell)

    def published(self) -> dict[str, Any]:
        """The design's tree: estimand, protected counts, covariates, protocol and every outcome's node."""
        counts = self.design_counts()
        main = self.main
        outcomes = {}
        for name, o in self.outcomes.items():
            node = outcome_published(o, counts if o.ok else None, f"{name}:", self.min_cell)
            if o.ok:
                node["n_rows_off_support"] = linked_cell(counts, f"{name}:rows_off_support")
            outcomes[name] = node
        return {
            "design": "panel",
            "estimand": self.estimand,
            "counts": {
                **{key: linked_cell(counts, key) for key in PERSON_COUNTS},
                "start_months": int(self.design.counts.get("start_months", 0)),
            },
            "covariates": design_covariates(self.design),
            "protocol": protocol_table(self.protocol, self.min_cell),
            "main_outcome": main.spec.name if main is not None else None,
            "warnings": main.warnings(self.min_cell) if main is not None else [],
            "outcomes": outcomes,
        }

    def to_results(self) -> dict[str, Any]:
        return place(self.published(), "/effects/panel_design")


# the design's counts of persons (participants) and of person-months (comparison rows)
PERSON_COUNTS = (
    "participants",
    "participants_eligible",
    "participants_not_eligible",
    "participants_no_panel",
    "comparison_rows",
    "comparison_persons",
    "comparison_later_participants",
)


def panel_design_effects(
    frame: pd.DataFrame,
    panel: pd.DataFrame | None,
    config,
    data_end: dt.date | pd.Timestamp,
    options: EffectOptions,
    min_cell: int,
    dataset: Path | None = None,
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
        frame, config.comparison, list(config.panel_work_or_study), months, data_end, panel=panel, dataset=dataset
    )
    out = PanelDesignEffects(design, min_cell=min_cell)
    cache: dict = {}  # the outcomes of the same person-months share one propensity fit (it ignores the outcome)
    for k in months:
        name = f"wos_{k}m"
        sample = panel_sample(design, name)
        spec = OutcomeSpec(name, "binary", k, "panel")
        out.outcomes[name] = estimate_outcome(sample, spec, min_cell, options, propensity_cache=cache)
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
