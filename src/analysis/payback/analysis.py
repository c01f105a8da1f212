"""The payback section of one project: what the project cost, who gains what, and when it pays back.

:func:`payback_analysis` reads the processed tables and ``project.yml`` (its ``payback:`` part),
builds the person-month tables (:mod:`~analysis.payback.inputs`), estimates the effect on the months
in each status or income source against the weighted comparison group
(:mod:`~analysis.payback.estimate`, weights from :mod:`~analysis.payback.weights`) or, without a
comparison group, the before/after change, and prices it with the cost table
(:mod:`~analysis.payback.costs`, :mod:`~analysis.payback.pricing`). Another comparison design plugs
in through ``design`` (its weights and participants) or by calling
:func:`~analysis.payback.estimate.month_effects` and :func:`payback_from_effects` directly.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.disclosure.proportions import MISSING
from analysis.disclosure.suppression import DEFAULT_MIN_CELL, protect_linked
from analysis.effects.design import persons
from analysis.payback.costs import cost_table
from analysis.payback.estimate import MonthEffects, before_after_effects, month_effects
from analysis.payback.inputs import (
    DEFAULT_INCOME_ENTRY,
    DEFAULT_STATUS_ENTRY,
    PersonMonths,
    choose_basis,
    person_months,
)
from analysis.payback.pricing import price_matrix
from analysis.payback.result import PaybackResult
from analysis.payback.weights import WeightedDesign, ipw_design
from analysis.tables.participants import describe, published_margins

SEXES = ("female", "male")


def _mapping(cfg, basis: str) -> dict[str, str | None]:
    if basis == "status":
        return {**DEFAULT_STATUS_ENTRY, **cfg.statuses}
    return {**DEFAULT_INCOME_ENTRY, **cfg.income_sources}


def _cost(config, n_started: int) -> tuple[float | None, float | None, int | None]:
    """(cost per participant, total, participants it is divided by)."""
    c = config.payback.cost
    if c.per_participant_sek is not None:
        return float(c.per_participant_sek), None, None
    total = c.total_sek if c.total_sek is not None else config.budget_sek
    n = c.participants or n_started
    if total is None or not n:
        return None, None, None
    return float(total) / n, float(total), int(n)


def payback_from_effects(
    net: MonthEffects | None,
    gross: MonthEffects | None,
    config,
    *,
    basis: str,
    counts: dict[str, int] | None = None,
    by_sex: dict[str, MonthEffects] | None = None,
    weights_method: str | None = None,
    published_sexes: pd.Series | None = None,
) -> PaybackResult:
    """Price month effects (net against a comparison group, and/or the before/after change) for a project.

    ``net`` None gives the before/after version. ``counts`` are the persons behind the numbers
    (``started``, ``analysed``, ``left_out``, ``female``, ``male``, ``gender_unknown``), protected together.
    """
    cfg = config.payback
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    main = net if net is not None and net.n_months else gross
    res = PaybackResult(
        available=False,
        min_cell=min_cell,
        min_persons=max(int(cfg.min_persons_per_month), min_cell),
        horizons=list(cfg.horizons_months),
        discount_rate=float(cfg.discount_rate),
        extrapolate=cfg.extrapolate,
        basis=basis,
        funders=dict(cfg.cost.funders),
        cost_example=bool(cfg.cost.example),
        weights_method=weights_method if main is net else None,
    )
    counts = counts or {}
    res.cost_per_participant, res.cost_total, res.cost_participants = _cost(config, counts.get("started", 0))
    if res.cost_per_participant is None:
        res.reason = "no_cost"
        return res
    if main is None or main.n_months == 0:
        res.reason = "too_few"
        return res
    res.design = "comparison" if main is net else "before_after"
    res.table = cost_table(cfg)
    res.prices = price_matrix(main.sources, _mapping(cfg, basis), res.table)
    res.effects, res.gross = main, gross if gross is not None and gross.n_months else None
    if counts:
        res.counts = _protect_persons(counts, min_cell, published_sexes)
    res.by_sex = {g: me for g, me in (by_sex or {}).items() if me.n_months and counts.get(g, 0) >= min_cell}
    res.available = True
    return res


# The sexes among all who started are published with the participants, so analysed women + women
# left out = women who started: a small number of women left out must not follow by subtraction.
SEX_GROUPS = ("female", "male", "gender_unknown")


def _protect_persons(counts: dict[str, int], min_cell: int, published_sexes: pd.Series | None = None):
    """The payback persons protected together with the participants' sexes they are drawn from.

    ``published_sexes`` is the participant tables' hidden mask by sex (None when unknown): a sex
    shown there cannot be hidden here, one hidden there is hidden here too. The persons left
    out by sex are published nowhere, so they never serve as complementary cells.
    """
    relations = [(["analysed", "left_out"], "started"), (list(SEX_GROUPS), "analysed")]
    fixed: list[str] = []
    force: list[str] = []
    if all(f"started_{g}" in counts for g in SEX_GROUPS):
        relations += [([g, f"left_{g}"], f"started_{g}") for g in SEX_GROUPS]
        relations.append(([f"left_{g}" for g in SEX_GROUPS], "left_out"))
        fixed = [f"left_{g}" for g in SEX_GROUPS]
        for g, key in zip(SEX_GROUPS, (*SEXES, MISSING)):
            if published_sexes is not None and key in published_sexes.index:
                (force if bool(published_sexes[key]) else fixed).append(f"started_{g}")
    return protect_linked(counts, relations, min_cell, force=force, fixed=fixed)


def _split(pm: PersonMonths, keys: pd.Index) -> pd.DataFrame:
    return pm.participants[pm.participants["person_key"].astype(str).isin(keys)]


def payback_analysis(
    tables, config, data_end: dt.date | pd.Timestamp, *, design: WeightedDesign | None = None
) -> PaybackResult:
    """The payback section for a project (see the module docstring).

    Parameters
    ----------
    tables
        The processed tables (``participants`` required; ``comparison``, ``income_monthly``,
        ``status_monthly``, ``followups`` used when present).
    config
        The project's :class:`~analysis.project.config.ProjectConfig`; nothing is computed
        without its ``payback:`` part.
    design
        Comparison weights and the participants they are for; default: inverse-probability
        weights from the effects section's covariates (:func:`~analysis.payback.weights.ipw_design`).

    Example
    -------
    >>> res = payback_analysis(ctx.tables, ctx.config, ctx.data_end)  # doctest: +SKIP
    >>> res.summary()  # doctest: +SKIP
    """
    cfg = getattr(config, "payback", None)
    if cfg is None:
        return PaybackResult(available=False, reason="not_configured")
    frame = persons(tables)
    basis = choose_basis(tables, cfg.basis)
    treated = frame[frame["treated"] == 1]
    if basis is None or not len(treated):
        return PaybackResult(available=False, reason="no_data")
    pm = person_months(frame, tables, basis, max(cfg.horizons_months), data_end)
    m = max(int(cfg.min_persons_per_month), int(config.min_cell))
    sources = pm.sources()
    net, weights_method, by_sex = None, None, {}
    analysed = pd.Index(pd.unique(pm.participants["person_key"].astype(str)))
    if pm.comparison is not None and basis != "followups":
        design = design or ipw_design(frame, config)
        if design is not None:
            analysed = analysed.intersection(design.treated_keys)
            part = _split(pm, analysed)
            net = month_effects(part, pm.comparison, design.weights, max(cfg.horizons_months), m, sources)
            weights_method = design.weights.method
            by_sex = _by_sex(frame, pm, analysed, design, max(cfg.horizons_months), m, sources)
    gross = before_after_effects(_split(pm, analysed), max(cfg.horizons_months), m, sources)
    gender = treated.set_index(treated["person_key"].astype(str))["gender"].reindex(analysed)
    counts = _counts(treated, analysed, gender)
    if net is None:
        by_sex = _before_after_by_sex(pm, gender, max(cfg.horizons_months), m, sources)
    sexes = _published_sexes(tables, config, data_end)
    return payback_from_effects(
        net,
        gross,
        config,
        basis=basis,
        counts=counts,
        by_sex=by_sex,
        weights_method=weights_method,
        published_sexes=sexes,
    )


def _before_after_by_sex(pm: PersonMonths, gender: pd.Series, months: int, m: int, sources) -> dict:
    """The before/after change per sex (no comparison group)."""
    return {g: before_after_effects(_split(pm, gender.index[gender == g]), months, m, sources) for g in SEXES}


def _published_sexes(tables: dict, config, data_end: dt.date) -> pd.Series | None:
    """How the participant tables hide the participants by sex (the same persons as those who started)."""
    part = tables.get("participants")
    if part is None or not len(part) or not {"gender", "age_at_start"} <= set(part.columns):
        return None
    described = describe(part, "age_group", data_end, "gender", min_cell=int(config.min_cell))
    return published_margins({"gender_by_age": described}).get("gender")


def _counts(treated: pd.DataFrame, analysed: pd.Index, gender: pd.Series) -> dict[str, int]:
    """Participants started, analysed and left out, the analysed by gender, and by gender the started
    and those left out (never published: they protect the analysed by gender, see :func:`_protect_persons`)."""
    counts = {
        "started": len(treated),
        "analysed": len(analysed),
        "left_out": len(treated) - len(analysed),
        "female": int((gender == "female").sum()),
        "male": int((gender == "male").sum()),
        "gender_unknown": int(gender.isna().sum() + (~gender.isin(SEXES) & gender.notna()).sum()),
    }
    started_gender = treated["gender"].where(treated["gender"].isin(SEXES))
    for g in SEXES:
        counts[f"started_{g}"] = int((started_gender == g).sum())
    counts["started_gender_unknown"] = int(started_gender.isna().sum())
    for g in SEX_GROUPS:
        counts[f"left_{g}"] = counts[f"started_{g}"] - counts[g]
    return counts


def _by_sex(
    frame, pm: PersonMonths, analysed: pd.Index, design: WeightedDesign, months: int, m: int, sources
) -> dict[str, MonthEffects]:
    out: dict[str, MonthEffects] = {}
    sex = frame.set_index(frame["person_key"].astype(str))["gender"]
    comp = pm.comparison
    if comp is None:
        return out
    for g in SEXES:
        keys_t = analysed[sex.reindex(analysed).to_numpy() == g]
        keys_c = sex.index[(sex == g).to_numpy()]
        c = comp[comp["person_key"].astype(str).isin(keys_c)]
        out[g] = month_effects(_split(pm, keys_t), c, design.weights, months, m, sources)
    return out
