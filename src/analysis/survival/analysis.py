"""The survival section of a project: spells -> Kaplan–Meier, log-rank, Cox, cumulative incidence.

:func:`survival_analysis` takes the processed tables and ``project.yml`` and
returns a :class:`SurvivalAnalysis` holding every estimate; its ``to_results``
gives the suppression-safe headline numbers for ``results.json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean.store import panel_rows_of
from analysis.disclosure.published import place, small_count_cell
from analysis.disclosure.suppression import DEFAULT_MIN_CELL
from analysis.project.contract import PERSON_KEY, panel_measures
from analysis.survival.by_bucket import spell_counts, time_to_first_by_bucket
from analysis.survival.cif import CumulativeIncidenceResult, aalen_johansen, aalen_johansen_by
from analysis.survival.cox import ConvergenceError, CoxPHResult, cox_ph_frame
from analysis.survival.km import KaplanMeierGroups, kaplan_meier_by
from analysis.survival.logrank import LogRankResult, logrank_test
from analysis.survival.publish import cif_table, cox_counts, cox_published, grouping_code, km_table, planted_table
from analysis.survival.spells import build_spells, first_spell_after, time_to_first

TIMES: tuple[int, ...] = (6, 12, 24)
BY: tuple[str, ...] = ("cohort", "track", "gender")
MIN_EVENTS_COX = 10


@dataclass
class SurvivalAnalysis:
    """Everything the survival section shows.

    ``available`` is False (with ``reason``: ``"no_panel"``, ``"no_spells"``) when
    nothing can be estimated.
    """

    available: bool
    reason: str | None = None
    min_cell: int = DEFAULT_MIN_CELL
    bridge_gap_months: int = 1
    cohort_by: str = "start_year"
    times: tuple[int, ...] = TIMES
    spells: pd.DataFrame | None = None  # first spell after start, one row per participant
    n_spells_all: int = 0
    n_left_censored: int = 0
    n_reentries: int = 0
    km: dict[str, KaplanMeierGroups] = field(default_factory=dict)  # "all", "cohort", "track", "gender"
    logrank: dict[str, LogRankResult] = field(default_factory=dict)
    cox: CoxPHResult | None = None
    cox_problem: str | None = None
    # terms left out of the Cox model, each {"term", "field", "reason", "kept"} (e.g. age listed twice)
    cox_dropped: list[dict] = field(default_factory=list)
    ph_test: pd.DataFrame | None = None
    first: pd.DataFrame | None = None  # time to first work or study, participants (+ comparison)
    cif: dict[str, dict[str, CumulativeIncidenceResult]] = field(default_factory=dict)  # "all", "cohort", "group"
    competing_events: tuple[str, ...] = ()
    planted_truth: dict = field(default_factory=dict)

    # ------------------------------------------------------------------
    def survival_table(self, by: str) -> pd.DataFrame:
        """Per group: n, events, median and S(t) with intervals; hidden where fewer than min_cell are at risk."""
        groups = self.km[by]
        out = groups.summary(self.times, min_at_risk=self.min_cell)
        small = out["n"] < self.min_cell
        out.loc[small, [c for c in out.columns if c not in ("n",)]] = np.nan
        for c in ("median", "lower", "upper"):
            out[c] = out[c].astype(float)
        return out

    def hazards(self, by: str = "cohort") -> pd.DataFrame:
        """Constant monthly hazard of leaving per group (geometric MLE, see :func:`monthly_hazard`)."""
        if self.spells is None or not len(self.spells):
            return pd.DataFrame(columns=["n", "events", "hazard", "se", "lower", "upper"])
        col = self.spells[by] if by != "all" else pd.Series("all", index=self.spells.index)
        rows = {g: monthly_hazard(d["duration"], d["event"]) for g, d in self.spells.groupby(col)}
        return pd.DataFrame(rows).T

    def planted_check(self) -> pd.DataFrame | None:
        """Estimated vs planted hazards of leaving by cohort, when ``project.yml`` carries a planted truth."""
        planted = _find_planted_hazards(self.planted_truth, "leav")
        if not planted or self.spells is None:
            return None
        est = self.hazards("cohort")
        keys = [k for k in planted if str(k) in set(map(str, est.index))]
        if not keys:
            return None
        est.index = est.index.map(str)
        out = est.loc[[str(k) for k in keys]].copy()
        out.insert(0, "planted", [float(planted[k]) for k in keys])
        small = out["n"] < self.min_cell
        out.loc[small, ["hazard", "lower", "upper", "se"]] = np.nan
        return out

    def published(self) -> dict:
        """The section's tree: numbers and codes only, every count of persons protected."""
        mc = self.min_cell
        out: dict = {
            "min_cell": mc,
            "bridge_gap_months": self.bridge_gap_months,
            "cohort_by": self.cohort_by,
            "times": list(self.times),
        }
        if not self.available:
            out["no_data"] = {"survival": self.reason or "no_spells"}
            return out
        n_first = 0 if self.spells is None else len(self.spells)
        out["spells"] = {
            "n_first_spells": small_count_cell(n_first, mc),
            "n_spells_all": small_count_cell(self.n_spells_all, mc),
            "n_left_censored": small_count_cell(self.n_left_censored, mc),
            "n_reentries": small_count_cell(self.n_reentries, mc),
        }
        whole = self.km["all"].curves["all"] if "all" in self.km else None
        everyone = None if whole is None else (int(whole.n), int(whole.n_events))
        out["kaplan_meier"] = {
            grouping_code(by): km_table(self.km[by], self.survival_table(by), by, self.times, mc, everyone)
            for by in self.km
        }
        out["logrank"] = {
            grouping_code(by): {
                "statistic": r.statistic,
                "df": r.df,
                "p": r.p_value,
                "trend_statistic": r.trend_statistic,
                "trend_p": r.trend_p_value,
            }
            for by, r in self.logrank.items()
        }
        if self.cox is not None and self.spells is not None:
            counts = cox_counts(self.cox, n_first, int(self.spells["event"].sum()), mc)
            out["cox"] = cox_published(self.cox, self.ph_test, counts)
        else:
            out.setdefault("no_data", {})["cox"] = self.cox_problem or "not_fitted"
        # terms of project.yml left out of the Cox model (listed twice, or a linear combination of the others)
        out["cox_dropped_terms"] = [dict(d) for d in self.cox_dropped]
        whole_cif = self.cif.get("all", {}).get("all")
        out["first_work_or_study"] = {
            grouping_code(by): cif_table(
                curves, by, self.times, mc, total=whole_cif.n if whole_cif is not None and by == "cohort" else None
            )
            for by, curves in self.cif.items()
        }
        check = self.planted_check()
        if check is not None:
            out["planted_check"] = planted_table(check, mc)
        return out

    def to_results(self) -> dict:
        """Suppression-safe numbers for the ``survival`` section of results.json."""
        return place(self.published(), "/survival")


def monthly_hazard(durations, events, alpha: float = 0.05) -> dict:
    """Maximum-likelihood constant monthly hazard of a geometric duration: events / months at risk.

    With the spell convention of :mod:`analysis.survival.spells` a spell leaving after ``d``
    months contributes ``d`` months at risk and a censored one its ``duration``, so
    ``h = E / sum(duration)``; the interval is a Wald interval on the log-odds scale
    with the observed information ``E / (h^2 (1 - h))``.
    """
    d = np.asarray(durations, float)
    e = np.asarray(events, float)
    n_ev, exposure = e.sum(), d.sum()
    from scipy.stats import norm

    if n_ev == 0 or exposure == 0:
        return {"n": d.size, "events": n_ev, "hazard": np.nan, "se": np.nan, "lower": np.nan, "upper": np.nan}
    h = n_ev / exposure
    se = np.sqrt(h * h * (1 - h) / n_ev)
    z = norm.ppf(1 - alpha / 2)
    logit = np.log(h / (1 - h))
    se_logit = se / (h * (1 - h))
    lo, hi = 1 / (1 + np.exp(-(logit - z * se_logit))), 1 / (1 + np.exp(-(logit + z * se_logit)))
    return {"n": d.size, "events": n_ev, "hazard": h, "se": se, "lower": lo, "upper": hi}


def _find_planted_hazards(obj, word: str) -> dict | None:
    """The first mapping {cohort: hazard} under a key containing ``word`` (synthetic projects' planted truth)."""
    if not isinstance(obj, dict):
        return None
    for key, val in obj.items():
        if (
            word in str(key).lower()
            and isinstance(val, dict)
            and val
            and all(isinstance(v, (int, float)) for v in val.values())
        ):
            return val
    # {cohort: {..., "monthly_hazard_leaving": 0.08, ...}}: one hazard per cohort, one level down
    if obj and all(isinstance(v, dict) for v in obj.values()):
        per_cohort: dict[Any, Any] = {}
        for cohort, facts in obj.items():
            hits = [
                v
                for k, v in facts.items()
                if word in str(k).lower()
                and "hazard" in str(k).lower()
                and isinstance(v, (int, float))
                and not isinstance(v, bool)
            ]
            if len(hits) != 1:
                per_cohort = {}
                break
            per_cohort[cohort] = hits[0]
        if per_cohort:
            return per_cohort
    for val in obj.values():
        found = _find_planted_hazards(val, word)
        if found:
            return found
    return None


def _cohort(df: pd.DataFrame, cohort_by: str, date_col: str = "start_date") -> pd.Series:
    if cohort_by == "track" and "track" in df:
        return df["track"].astype(object)
    return df[date_col].dt.year.astype("Int64").astype(str).replace("<NA>", np.nan).astype(object)


def _sorted_levels(s: pd.Series) -> list:
    return sorted(s.dropna().unique().tolist(), key=str)


def survival_analysis(
    tables: dict[str, pd.DataFrame], config, data_end: dt.date | pd.Timestamp, times: Sequence[int] = TIMES
) -> SurvivalAnalysis:
    """Build spells and fit every estimator of the survival section (see :func:`_survival_analysis`)."""
    from analysis.survival import spells as spells_module

    try:
        return _survival_analysis(tables, config, data_end, times)
    finally:
        spells_module.clear_cache()


def _survival_analysis(
    tables: dict[str, pd.DataFrame], config, data_end: dt.date | pd.Timestamp, times: Sequence[int] = TIMES
) -> SurvivalAnalysis:
    """Build spells and fit every estimator of the survival section.

    Parameters
    ----------
    tables : dict of DataFrame
        The processed tables (``participants``, optional ``status_monthly``, ``comparison``).
    config : ProjectConfig
    data_end : date
        End of the data (right-censoring).
    """
    mc = int(config.min_cell)
    base = dict(
        planted_truth=dict(config.planted_truth or {}),
        min_cell=mc,
        bridge_gap_months=int(config.bridge_gap_months),
        cohort_by=config.cohort_by,
        times=tuple(times),
        competing_events=tuple(config.competing_events),
    )
    dataset = getattr(tables, "panel_dataset", None)  # a register panel stored by person: read by bucket
    panel = None if dataset is not None else tables.get("status_monthly")
    if dataset is None and (panel is None or panel.empty):
        return SurvivalAnalysis(False, "no_panel", **base)
    if not panel_measures(getattr(config, "panel_domain", None) or "activity", "work_or_study"):
        return SurvivalAnalysis(False, "panel_without_work_or_study", **base)
    part = tables["participants"]
    part = part[part["start_date"].notna()].copy()
    part["cohort"] = _cohort(part, config.cohort_by)
    if dataset is not None:
        panel = panel_rows_of(dataset, part[PERSON_KEY])  # the participants' months: the spells shown are theirs
    spells = build_spells(panel, config.panel_work_or_study, config.bridge_gap_months, data_end)
    firsts = first_spell_after(spells, part)
    res = SurvivalAnalysis(True, **base)
    if dataset is not None:
        counts = spell_counts(dataset, config.panel_work_or_study, config.bridge_gap_months, data_end)
    else:
        counts = _counts_of(spells)
    res.n_spells_all, res.n_left_censored, res.n_reentries = (
        counts["spells"],
        counts["left_censored"],
        counts["reentries"],
    )
    res.spells = firsts
    if len(firsts):
        _fit_spell_curves(res, firsts, config, mc)
        _fit_cox(res, firsts, config)
    first = _time_to_first_both(tables, panel, part, config, data_end, dataset)
    res.first = first
    pf = first[first["group"] == "participants"]
    if len(pf):
        _fit_incidence(res, first, pf)
    if not len(firsts) and not len(pf):
        res.available, res.reason = False, "no_spells"
    return res


def _fit_spell_curves(res: SurvivalAnalysis, firsts: pd.DataFrame, config, mc: int) -> None:
    """Kaplan–Meier curves of the first spells (overall and per grouping) and log-rank tests between groups."""
    res.km["all"] = kaplan_meier_by(firsts["duration"], firsts["event"], np.repeat("all", len(firsts)))
    for by in BY:
        if by in firsts and firsts[by].notna().any() and firsts[by].nunique() > 1:
            res.km[by] = kaplan_meier_by(
                firsts["duration"], firsts["event"], firsts[by], order=_sorted_levels(firsts[by])
            )
    # log-rank over the groups large enough to publish
    for by in ("cohort", "track", "gender"):
        if by not in res.km:
            continue
        big = [g for g, c in res.km[by].curves.items() if c.n >= mc]
        if len(big) < 2:
            continue
        sub = firsts[firsts[by].isin(big)]
        ordered = by == "cohort" and config.cohort_by == "start_year"
        res.logrank[by] = logrank_test(sub["duration"], sub["event"], sub[by], order=big, trend=ordered)


def _counts_of(spells: pd.DataFrame) -> dict[str, int]:
    if not len(spells):
        return {"spells": 0, "left_censored": 0, "reentries": 0}
    n_left, n_again = int(spells["left_censored"].sum()), int((spells["spell_no"] > 1).sum())
    return {"spells": int(len(spells)), "left_censored": n_left, "reentries": n_again}


def _time_to_first_both(
    tables: dict[str, pd.DataFrame], panel: pd.DataFrame, part: pd.DataFrame, config, data_end, dataset=None
) -> pd.DataFrame:
    """Time from start to first work or study (competing exits) of the participants and, if any, the comparison group.

    ``panel`` holds (at least) the participants' months; with ``dataset`` (a register panel stored by person)
    the comparison group's are read from it bucket by bucket."""
    first = time_to_first(panel, part, config.panel_work_or_study, config.competing_events, data_end)
    first["group"] = "participants"
    comp = tables.get("comparison")
    if comp is not None and len(comp) and "reference_date" in comp:
        wos = config.panel_work_or_study
        if dataset is not None:
            cf = time_to_first_by_bucket(dataset, comp, wos, (), data_end, date_col="reference_date")
        else:
            cf = time_to_first(panel, comp, wos, (), data_end, date_col="reference_date")
        cf["group"] = "comparison"
        first = pd.concat([first, cf], ignore_index=True)
    return first


def _fit_incidence(res: SurvivalAnalysis, first: pd.DataFrame, pf: pd.DataFrame) -> None:
    """Aalen–Johansen cumulative incidence of work or study: overall, per cohort, participants vs comparison."""
    res.cif["all"] = {"all": aalen_johansen(pf["time"], pf["event"], 1, entry=pf["entry"])}
    if pf["cohort"].nunique() > 1:
        res.cif["cohort"] = aalen_johansen_by(
            pf["time"], pf["event"], pf["cohort"], 1, entry=pf["entry"], order=_sorted_levels(pf["cohort"])
        )
    if first["group"].nunique() > 1:
        res.cif["group"] = aalen_johansen_by(
            first["time"],
            first["event"],
            first["group"],
            1,
            entry=first["entry"],
            order=["participants", "comparison"],
        )


def _fit_cox(res: SurvivalAnalysis, firsts: pd.DataFrame, config) -> None:
    """Cox model of leaving work or study: cohort, gender, age (per 10 years), track and listed covariates.

    Levels with fewer than ``min_cell`` persons are left out so that no published
    hazard ratio describes a small group.
    """
    df = firsts.copy()
    covs = []
    for c in ("cohort", "gender", "track"):
        if c in df and df[c].nunique() > 1 and not (c == "track" and config.cohort_by == "track"):
            counts = df[c].value_counts()
            df = df[df[c].isna() | df[c].isin(counts[counts >= res.min_cell].index)]
            if df[c].nunique() > 1:
                covs.append(c)
    if "age_at_start" in df and df["age_at_start"].notna().any():
        df["age_10y"] = df["age_at_start"].astype(float) / 10.0
        covs.append("age_10y")
    covs += _listed_cox_covariates(res, df, config, covs)
    if not covs:
        res.cox_problem = "no_covariates"
        return
    if int(df["event"].sum()) < MIN_EVENTS_COX:
        res.cox_problem = "too_few_events"
        return
    try:
        res.cox = cox_ph_frame(df, "duration", "event", covs)
    except ConvergenceError as err:
        if err.reason != "collinear" or not err.terms:
            res.cox, res.cox_problem = None, err.reason
            return
        # a listed covariate that is a linear combination of the model's other terms: left out, and said so
        listed = set(config.covariates)
        for term in err.terms:
            res.cox_dropped.append(
                {"term": term, "field": "covariates" if term in listed else None, "reason": "collinear", "kept": None}
            )
        covs = [c for c in covs if c not in err.terms]
        try:
            res.cox = cox_ph_frame(df, "duration", "event", covs)
        except ConvergenceError as err2:
            res.cox, res.cox_problem = None, err2.reason
            return
    except ValueError:
        res.cox, res.cox_problem = None, "no_convergence"
        return
    res.ph_test = res.cox.proportional_hazard_test()


AGE_ALIASES = ("age", "age_at_start", "age_10y")


def _listed_cox_covariates(res: SurvivalAnalysis, df: pd.DataFrame, config, covs: list[str]) -> list[str]:
    """The numeric ``covariates`` of project.yml that are not already in the model.

    Age is always in the model (per 10 years); ``age``/``age_at_start`` listed as well would enter
    it twice (exactly collinear), so it is left out once and recorded in ``res.cox_dropped``.
    """
    out = []
    for c in dict.fromkeys(config.covariates):
        if c in AGE_ALIASES and "age_10y" in covs:
            res.cox_dropped.append({"term": c, "field": "covariates", "reason": "duplicate", "kept": "age_10y"})
        elif c in covs or c in out:
            res.cox_dropped.append({"term": c, "field": "covariates", "reason": "duplicate", "kept": c})
        elif c in df and pd.api.types.is_numeric_dtype(df[c]):
            out.append(c)
    return out
