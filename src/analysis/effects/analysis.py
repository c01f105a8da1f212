"""The effects section of one project: every estimator, diagnostic, event study and E-value.

:func:`effects_analysis` takes the processed tables and ``project.yml`` and
returns an :class:`EffectsAnalysis` (numbers and codes, no language); its
:meth:`~EffectsAnalysis.published` tree of published tables is what the report shows
and what ``results.json`` holds (``to_results``), every count of persons protected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.published import linked_cell, place
from analysis.disclosure.suppression import DEFAULT_MIN_CELL, ProtectedCounts
from analysis.effects.adjust import ATT_ESTIMATORS, ESTIMATORS, EffectOptions
from analysis.effects.design import (
    CATEGORICAL,
    build_design,
    clear_panel_cache,
    covariate_matrix,
    outcome_frame,
    persons,
    resolve_covariates,
)
from analysis.effects.did import did_analysis
from analysis.effects.hidden_bias import sensitivity_analysis
from analysis.effects.missing import impute, numeric_missing, with_indicators
from analysis.effects.outcome import OutcomeEffects, estimate_imputed, estimate_outcome
from analysis.effects.panel import EventStudyResult, event_panel, event_study
from analysis.effects.panel_source import PanelSource
from analysis.effects.protocol import target_trial_protocol
from analysis.effects.publish import (
    DesignCounts,
    add_outcome,
    evalues_table,
    outcome_published,
    panel_published,
    protocol_table,
)
from analysis.effects.publish_did import did_published
from analysis.effects.publish_sensitivity import sensitivity_published, subgroups_published
from analysis.effects.subgroups import subgroup_effects
from analysis.project.contract import panel_measures

__all__ = ["ADJUSTED", "ESTIMATORS", "EffectsAnalysis", "OutcomeEffects", "effects_analysis", "estimate_outcome"]

ADJUSTED = ATT_ESTIMATORS  # the estimators of the ATT (overlap weights estimate the ATO)
PANEL_OUTCOMES = ("work_or_study", "income_support")
DID_METHODS = ("dr",)  # the report's staggered-start DiD: improved doubly robust (IPW and OR: benchmarks, tests)
# planted_truth keys of the synthetic examples -> outcome columns
PLANTED_KEYS = {"effect_work_or_study_12m": "wos_12m", "effect_earnings_after_sek": "earnings_after"}


@dataclass
class EffectsAnalysis:
    """Everything the effects section shows.

    ``available`` is False (``reason``: ``no_comparison``, ``no_participants``,
    ``too_few``) when no effect can be estimated; the panel before/after may
    still be there.
    """

    available: bool
    reason: str | None = None
    min_cell: int = DEFAULT_MIN_CELL
    covariates: list[str] = field(default_factory=list)
    n_missing_covariates: int = 0
    outcomes: dict[str, OutcomeEffects] = field(default_factory=dict)
    main_outcome: str | None = None
    panel: dict[str, EventStudyResult] = field(default_factory=dict)
    planted: dict[str, float] = field(default_factory=dict)
    options: EffectOptions = field(default_factory=EffectOptions)
    missing: dict[str, Any] = field(default_factory=dict)  # method, persons with a missing covariate by group
    protocol: list[dict[str, Any]] = field(default_factory=list)
    panel_design: Any = None  # analysis.effects.dynamic.PanelDesignEffects when comparison.from is panel
    n_participants: int = 0  # participants with a start date: every outcome's sample comes from them
    n_comparison: int = 0
    did: Any = None  # analysis.effects.did.DidResult: staggered-start DiD on the monthly panel
    subgroups: Any = None  # analysis.effects.subgroups.SubgroupResult of the main outcome
    sensitivity: Any = None  # analysis.effects.hidden_bias.SensitivityResult of the main outcome

    @property
    def caliper(self) -> float | None:
        return self.options.caliper

    @property
    def k(self) -> int:
        return self.options.k

    @property
    def main(self) -> OutcomeEffects | None:
        return self.outcomes.get(self.main_outcome) if self.main_outcome else None

    def table(self) -> pd.DataFrame:
        """Every published estimate (outcome x estimator)."""
        frames = [o.estimates.summary() for o in self.outcomes.values() if o.ok and o.estimates is not None]
        return pd.concat(frames) if frames else pd.DataFrame()

    def warnings(self) -> list[str]:
        """Codes of the diagnostics of the main outcome that failed (shown as plain-language warnings)."""
        m = self.main
        return [] if m is None else m.warnings(self.min_cell)

    def headline(self) -> dict | None:
        m = self.main
        if m is None or not m.ok:
            return None
        r = m.result("aipw")
        if r is None:
            return None
        lo, hi = r.ci
        return {
            "estimate": r.estimate,
            "lower": lo,
            "upper": hi,
            "outcome": m.spec.name,
            "method": "aipw",
            "scale": "risk_difference" if m.spec.kind == "binary" else "difference",
        }

    def design_counts(self) -> ProtectedCounts:
        """Every count of persons the file design publishes, protected together (see :mod:`analysis.effects.publish`).

        Per outcome: the participants = the outcome's sample + those left out for a missing
        covariate (complete cases only) + those without the outcome; the comparison group
        likewise, with the comparison persons outside the participants' support.
        """
        dc = DesignCounts()
        part, comp = dc.add("participants", self.n_participants), dc.add("comparison", self.n_comparison)
        m = self.missing or {}
        left_out = m.get("method") == "complete" and bool(m.get("columns"))
        if m.get("columns"):
            whole = dc.add("missing", m["n_missing"])
            dc.relate(
                [dc.add("missing_treated", m["n_missing_treated"]), dc.add("missing_control", m["n_missing_control"])],
                whole,
            )
        for name, o in self.outcomes.items():
            if not o.ok:
                continue
            pre = f"{name}:"
            add_outcome(dc, pre, o)
            for side, total, n, off in (
                ("treated", part, o.n_treated, 0),
                ("control", comp, o.n_control, o.trimmed.get("n_off_support_control", 0)),
            ):
                missing = int(m.get(f"n_missing_{side}", 0)) if left_out else 0
                rest = dc.values[total] - int(n) - missing - int(off)
                if rest < 0:
                    continue  # not a part of this total (should not happen): the counts stay protected on their own
                parts = [f"{pre}{side}", dc.add(f"{pre}no_outcome_{side}", rest)]
                parts += [f"missing_{side}"] if left_out else []
                parts += [f"{pre}n_off_support_control"] if off else []
                dc.relate(parts, total)
        self._did_counts(dc, part, comp)
        return dc.protect(self.min_cell)

    def _did_counts(self, dc: DesignCounts, part: str, comp: str) -> None:
        """The persons of the DiD sample with those left out for a missing covariate, per group."""
        if self.did is None or not self.did.available:
            return
        c = self.did.counts
        for side, total, n, missing in (
            ("participants", part, c["participants"], "missing_treated"),
            ("comparison", comp, c["comparison_persons"], "missing_control"),
        ):
            rest = dc.values[total] - int(n)
            if rest < 0:
                continue
            name, out = dc.add(f"did:{side}", n), dc.add(f"did:{side}_left_out", rest)
            dc.relate([name, out], total)
            if dc.values.get(missing) == rest:
                dc.alias(out, missing)

    def published(self) -> dict[str, Any]:
        """The section's tree: numbers and codes only, every count of persons protected."""
        o, mc = self.options, self.min_cell
        counts = self.design_counts()
        out: dict[str, Any] = {
            "min_cell": mc,
            "design": "file",
            "covariates": self.covariates,
            "n_participants": linked_cell(counts, "participants"),
            "n_comparison": linked_cell(counts, "comparison"),
            "missing": self._missing_published(counts),
            "main_outcome": self.main_outcome,
            "matching": {
                "k": o.k,
                "caliper_sd": o.caliper,
                "replacement": o.replacement,
                "bias_correction": o.bias_correction,
                "on": o.on,
            },
            "trimming": list(o.trimming) if isinstance(o.trimming, tuple) else o.trimming,
            "outcomes": {n: outcome_published(oe, counts, f"{n}:", mc) for n, oe in self.outcomes.items()},
            "warnings": self.warnings(),
            "headline": self.headline(),
            "panel": {name: panel_published(es) for name, es in self.panel.items()},
        }
        if self.protocol:
            out["protocol"] = protocol_table(self.protocol, mc)
        evalues = {n: oe.evalues["aipw"] for n, oe in self.outcomes.items() if oe.ok and oe.evalues.get("aipw")}
        if evalues:
            out["evalues"] = evalues_table(evalues, mc)
        if not self.available:
            out["no_data"] = {"effects": self.reason or "too_few"}
        if not self.panel:
            out.setdefault("no_data", {})["panel"] = "no_panel"
        if self.planted:
            out["planted"] = self.planted
        if self.panel_design is not None:
            out["panel_design"] = self.panel_design.published()
        self._robustness_published(out, counts)
        return out

    def _robustness_published(self, out: dict[str, Any], counts: ProtectedCounts) -> None:
        """The staggered-start DiD, the subgroup effects and the sensitivity to hidden bias (or why not)."""
        no_data = out.setdefault("no_data", {})
        if self.did is not None and self.did.available:
            cells = {f"n_{k}": linked_cell(counts, f"did:{k}") for k in ("participants", "comparison")}
            out["did"] = did_published(self.did, {k: v for k, v in cells.items() if f"did:{k[2:]}" in counts.values})
        else:
            no_data["did"] = (self.did.reason if self.did is not None else None) or "no_panel"
        sg = self.subgroups
        if sg is not None and len(sg.table):
            force = self._force(sg, counts)
            out["subgroups"] = subgroups_published(sg, self._kind(sg.outcome), self._subgroup_design(), force)
        else:
            no_data["subgroups"] = "too_few" if self.available else (self.reason or "too_few")
        main = self.main
        evalue = main.evalues.get("aipw") if main is not None and main.ok else None
        if self.sensitivity is not None or evalue:
            out["sensitivity"] = sensitivity_published(self.sensitivity, evalue, self.min_cell)
        else:
            no_data["sensitivity"] = self.reason or "too_few"
        if not no_data:
            del out["no_data"]

    def _kind(self, outcome: str) -> str:
        o = self.outcomes.get(outcome)
        if o is None and self.panel_design is not None:
            o = self.panel_design.outcomes.get(outcome)
        return o.spec.kind if o is not None else "binary"

    def _subgroup_design(self) -> str:
        return "panel" if self.n_comparison == 0 and self.panel_design is not None else "file"

    def _force(self, sg: Any, counts: ProtectedCounts) -> tuple[str, ...]:
        """The subgroup totals to hide: those the design hides, or that differ from the design's count."""
        pc = self.panel_design.design_counts() if self._subgroup_design() == "panel" else counts
        out = []
        for side in ("treated", "control"):
            name = f"{sg.outcome}:{side}"
            if name not in pc.values or pc.hidden[name] or pc.values[name] != int(sg.overall[f"n_{side}"]):
                out.append(side)
        return tuple(out)

    def _missing_published(self, counts: ProtectedCounts) -> dict[str, Any]:
        """The missing-covariate method and the persons it concerns (protected with their groups)."""
        m: dict[str, Any] = dict(self.missing or {})
        for key, name in (("n_missing", "missing"), ("n_missing_treated", "missing_treated")):
            if name in counts.values:
                m[key] = linked_cell(counts, name)
        if "missing_control" in counts.values:
            m["n_missing_control"] = linked_cell(counts, "missing_control")
        return m

    def to_results(self) -> dict[str, Any]:
        """The section's node of results.json (the same objects the report shows)."""
        return place(self.published(), "/effects")


def effects_analysis(
    tables: dict[str, pd.DataFrame],
    config,
    data_end: dt.date | pd.Timestamp,
    *,
    window: tuple[int, int] = (-12, 24),
    robustness: bool = True,
) -> EffectsAnalysis:
    """Estimate the effects section for a project (see the module docstring of :mod:`analysis.effects`).

    The options come from ``comparison:`` in project.yml (:class:`analysis.project.comparison.ComparisonSpec`).
    ``robustness=False`` leaves out the staggered-start DiD, the subgroup effects and the sensitivity
    analysis (the report always runs them; a check that only needs the main estimates may not).

    Example
    -------
    >>> res = effects_analysis(ctx.tables, ctx.config, ctx.data_end)  # doctest: +SKIP
    >>> res.table()  # doctest: +SKIP
    """
    try:
        return _effects_analysis(tables, config, data_end, window=window, robustness=robustness)
    finally:
        clear_panel_cache()


def _event_studies(res: EffectsAnalysis, frame: pd.DataFrame, panel: PanelSource, config, window) -> None:
    for name in PANEL_OUTCOMES:
        if not panel_measures(getattr(config, "panel_domain", None) or "activity", name):
            continue  # e.g. work or study from an income-support panel: it would be 0 for everyone
        statuses = ["income_support"] if name == "income_support" else list(config.panel_work_or_study)
        long = panel.long_rows(frame, partial(event_panel, statuses=statuses, window=window))
        if len(long) and (long["group"] == 1).any():
            es = event_study(long, name, ref=-1, min_cell=res.min_cell)
            if len(es.estimates):
                res.panel[name] = es


def _effects_analysis(tables, config, data_end, *, window, robustness=True) -> EffectsAnalysis:
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    spec = config.comparison
    frame = persons(tables)
    res = EffectsAnalysis(available=False, min_cell=min_cell, options=EffectOptions.from_spec(spec))
    truth = getattr(config, "planted_truth", None) or {}
    res.planted = {v: float(truth[key]) for key, v in PLANTED_KEYS.items() if key in truth}
    panel = PanelSource(tables)
    if panel.available and len(frame):
        _event_studies(res, frame, panel, config, window)
        if spec.source == "panel" and (frame["treated"] == 1).any():
            from analysis.effects.dynamic import panel_design_effects

            res.panel_design = panel_design_effects(
                frame, panel.whole, config, data_end, res.options, min_cell, dataset=panel.dataset
            )
    n1 = int((frame["treated"] == 1).sum()) if len(frame) else 0
    n0 = int((frame["treated"] == 0).sum()) if len(frame) else 0
    res.n_participants, res.n_comparison = n1, n0
    if robustness:
        res.did = did_analysis(tables, config, data_end, methods=DID_METHODS, window=window)
    if n1 == 0 or (n0 == 0 and spec.source != "panel"):
        res.reason = "no_participants" if n1 == 0 else "no_comparison"
        return res
    # the file design when there is a comparison file (the section's main estimates; the panel-built
    # sample has a row per comparison person-month and is many times slower to estimate by subgroup)
    if robustness:
        res.subgroups = subgroup_effects(tables, config, data_end, source="file" if n0 else "panel")
    if n0 == 0:
        res.reason = "no_comparison"
        return res
    res.covariates = resolve_covariates(config, frame)
    outcomes, specs = outcome_frame(frame, tables, config, data_end)
    _estimate_file_design(res, frame, outcomes, specs, config)
    ok = [n for n, o in res.outcomes.items() if o.ok]
    res.main_outcome = "wos_12m" if "wos_12m" in ok else (ok[0] if ok else None)
    res.available = bool(ok)
    res.reason = None if ok else "too_few"
    if robustness and res.main_outcome is not None:
        res.sensitivity = sensitivity_analysis(tables, config, data_end, outcome=res.main_outcome)
    res.protocol = target_trial_protocol(
        spec,
        "file",
        res.covariates,
        [s.name for s in specs],
        [e for e in ESTIMATORS if any(o.result(e) for o in res.outcomes.values())],
        str(pd.Timestamp(data_end).date()),
        list(config.effect_months_after_start),
    )
    return res


def _is_categorical(frame: pd.DataFrame, col: str) -> bool:
    s = frame[col]
    return col in CATEGORICAL or not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _estimate_file_design(res: EffectsAnalysis, frame, outcomes, specs, config) -> None:
    """Every outcome against the comparison file, with the missing-covariate method of project.yml."""
    method = config.comparison.missing.method
    covs = list(res.covariates)
    formula = getattr(config, "propensity_formula", None)
    gaps = numeric_missing(frame, covs, _is_categorical)
    treated = frame["treated"].to_numpy() == 1
    lacking = np.zeros(len(frame), dtype=bool)
    for c in gaps:
        lacking |= pd.to_numeric(frame[c], errors="coerce").isna().to_numpy()
    res.missing = {
        "method": method if gaps else "none_missing",
        "columns": gaps,
        "n_missing": int(lacking.sum()),
        "n_missing_treated": int((lacking & treated).sum()),
        "n_missing_control": int((lacking & ~treated).sum()),
        "imputations": config.comparison.missing.imputations if (gaps and method == "mice") else 0,
    }
    if gaps and method == "indicator":
        frame, names = with_indicators(frame, gaps)
        covs = covs + names
        formula = f"{formula} + " + " + ".join(f"Q('{n}')" for n in names) if formula else None
    X, complete = covariate_matrix(frame, covs, formula)
    res.n_missing_covariates = int((~complete).sum())
    cache: dict = {}
    if not (gaps and method == "mice"):
        for spec in specs:
            res.outcomes[spec.name] = estimate_outcome(
                build_design(frame, outcomes, X, complete, spec), spec, res.min_cell, res.options, cache
            )
        return
    m = config.comparison.missing
    X_full, _ = covariate_matrix(frame, [c for c in covs if c not in gaps], None)
    predictors = pd.concat([X_full, frame[["treated"]].astype(float), outcomes], axis=1)
    completed = impute(frame, gaps, predictors, m.imputations, m.seed)
    designs = [covariate_matrix(f, covs, formula) for f in completed]
    for spec in specs:
        samples = [build_design(f, outcomes, Xi, ci, spec) for f, (Xi, ci) in zip(completed, designs)]
        res.outcomes[spec.name] = estimate_imputed(samples, spec, res.min_cell, res.options)
    res.n_missing_covariates = 0
