"""The data-generating process of the register-scale benchmark, and its exact truth.

Everything the generator plants is defined here once, so that ``generate.py``
draws from it and the tests and ``project.yml`` (``planted_truth``) state it.

The process (months are counted from the start month ``k = 0``: ``start_date``
of a participant, ``reference_date`` of a comparison person)
--------------------------------------------------------------------------------
Before the start month
    never in work or study (income support, job seeking, sick or other), so no
    spell is under way at the start.
First entry into work or study
    Each person is of one of two kinds. A *finder* (probability ``pi``) enters in
    month ``E`` in 1..12 with ``P(E = e)`` proportional to ``(1 - ENTRY_HAZARD)**(e - 1)``;
    everyone else enters in month ``13 + J`` with ``J`` geometric from 0 with
    ``LATE_ENTRY_HAZARD`` (often after the panel ends). ``pi = pi0(X) + delta * D``
    with ``pi0(X) = (1 - delta) * expit(eta(X))`` (selection on observables through
    ``X``) and ``D`` = 1 for participants.
Staying in work or study
    every spell ends after each month with the constant hazard ``LEAVE_HAZARD``
    (spell length geometric from 1: ``S(t) = (1 - h)**t``), the same for
    participants and comparison persons, every cohort and every spell.
After leaving
    at least ``bridge_gap_months + 1 = 2`` months out of work or study (so the
    spell rules of ``analysis.survival.spells`` see a leaving, not a gap), then a new spell
    starts each further month with probability ``REENTRY_HAZARD``.

Because what happens after the first entry does not depend on ``X`` or ``D``,
``P(in work or study in month k | finder)`` is one number ``cF[k]`` (and ``cN[k]``
for the others; ``cN[k] = 0`` for ``k <= 12``), computed exactly by
:func:`work_or_study_curves`. The effect of taking part on being in work or study
``k`` months after the start is therefore the same for everyone,
``delta * (cF[k] - cN[k])``; ``delta`` is chosen so that it is exactly
``EFFECT_WORK_OR_STUDY_12M`` at ``k = 12``.

Earnings in the year after: ``Gamma(2, mu0(X) / 2) + EARNINGS_FINDER * finder +
EARNINGS_DIRECT * D``, with ``EARNINGS_DIRECT = EFFECT_EARNINGS - EARNINGS_FINDER * delta``,
so the effect of taking part on expected earnings is exactly ``EFFECT_EARNINGS``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Planted parameters (document any change in README.md).
LEAVE_HAZARD = 0.05  # monthly hazard of leaving work or study
ENTRY_HAZARD = 0.20  # shape of a finder's entry month within the first year
LATE_ENTRY_HAZARD = 0.05  # monthly entry hazard of the others from month 13 on
REENTRY_HAZARD = 0.10  # monthly hazard of a new spell after at least 2 months out
MIN_MONTHS_OUT = 2  # bridge_gap_months (1) + 1
EFFECT_WORK_OR_STUDY_12M = 0.10  # ATT on being in work or study 12 months after start
EFFECT_EARNINGS = 12_000.0  # ATT on earnings_after (SEK)
EARNINGS_FINDER = 50_000.0  # earnings of a finder over a non-finder
PARTICIPANT_SHARE = 0.02

# Participation (propensity) and the chance of finding work or study without the project:
# logit-linear in the covariates. Participants are younger, more often born outside
# Europe, with compulsory schooling only and longer support, so an unadjusted
# comparison understates the effect.
PROPENSITY = {
    "age_minus_35": -0.035,
    "female": 0.10,
    "education_compulsory": 0.35,
    "education_post_secondary": -0.30,
    "origin_europe": 0.20,
    "origin_outside_europe": 0.50,
    "support_before_months": 0.015,
    "earnings_before_100k": -0.40,
}
FINDER = {
    "intercept": 0.30,
    "age_minus_35": -0.025,
    "female": -0.10,
    "education_upper_secondary": 0.25,
    "education_post_secondary": 0.55,
    "origin_europe": -0.20,
    "origin_outside_europe": -0.45,
    "support_before_months": -0.025,
    "earnings_before_100k": 0.40,
}

STATUSES = ("work", "study", "income_support", "job_seeking", "sick", "other", "unknown")
# Monthly status out of work or study (i.i.d. by month): before the start, and after it.
OUT_BEFORE = {"income_support": 0.60, "job_seeking": 0.20, "sick": 0.12, "other": 0.075, "unknown": 0.005}
OUT_AFTER = {"income_support": 0.42, "job_seeking": 0.36, "sick": 0.10, "other": 0.115, "unknown": 0.005}


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def design(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Covariate terms from canonical (processed) columns: ``age_at_start, gender,
    education, origin, support_before_months, earnings_before``."""
    age = pd.to_numeric(df["age_at_start"]).to_numpy(float)
    edu = df["education"].astype(object).to_numpy()
    org = df["origin"].astype(object).to_numpy()
    return {
        "intercept": np.ones(len(df)),
        "age_minus_35": age - 35.0,
        "female": (df["gender"].astype(object).to_numpy() == "female").astype(float),
        "education_compulsory": (edu == "compulsory").astype(float),
        "education_upper_secondary": (edu == "upper_secondary").astype(float),
        "education_post_secondary": (edu == "post_secondary").astype(float),
        "origin_europe": (org == "europe").astype(float),
        "origin_outside_europe": (org == "outside_europe").astype(float),
        "support_before_months": pd.to_numeric(df["support_before_months"]).to_numpy(float),
        "earnings_before_100k": pd.to_numeric(df["earnings_before"]).to_numpy(float) / 100_000.0,
    }


def linear(terms: dict[str, np.ndarray], coef: dict[str, float]) -> np.ndarray:
    return sum(c * terms[k] for k, c in coef.items())


def entry_pmf_finder() -> np.ndarray:
    """``P(E = e | finder)`` for e = 1..12 (index 0 is month 1)."""
    w = (1 - ENTRY_HAZARD) ** np.arange(12)
    return w / w.sum()


def work_or_study_curves(months: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``P(in work or study in month k)`` for finders and for the others, k = 0..months.

    A forward pass of the Markov chain of :mod:`truth` (waiting, in a spell, out for
    1..MIN_MONTHS_OUT-1 months, out and able to re-enter).
    """
    out = []
    for finder in (True, False):
        entry = np.zeros(months + 1)
        if finder:
            entry[1:13] = entry_pmf_finder()[: max(0, min(12, months))]
        else:
            j = np.arange(months + 1 - 13)
            entry[13:] = LATE_ENTRY_HAZARD * (1 - LATE_ENTRY_HAZARD) ** j
        spell = np.zeros(months + 1)
        outs = np.zeros(MIN_MONTHS_OUT)  # outs[i]: out for i+1 months (the last one also "and longer")
        for k in range(1, months + 1):
            prev_spell, prev_outs = spell[k - 1], outs.copy()
            reenter = prev_outs[-1] * REENTRY_HAZARD
            spell[k] = prev_spell * (1 - LEAVE_HAZARD) + reenter + entry[k]
            outs = np.zeros(MIN_MONTHS_OUT)
            outs[0] = prev_spell * LEAVE_HAZARD
            outs[1:] = prev_outs[:-1]
            outs[-1] += prev_outs[-1] * (1 - REENTRY_HAZARD)
        out.append(spell)
    return out[0], out[1]


def finder_shift() -> float:
    """``delta``: the rise in the probability of being a finder that taking part brings."""
    cf, cn = work_or_study_curves(12)
    return float(EFFECT_WORK_OR_STUDY_12M / (cf[12] - cn[12]))


def effect_on_work_or_study(k: int) -> float:
    """Exact ATT on being in work or study ``k`` months after the start."""
    cf, cn = work_or_study_curves(max(k, 12))
    return float(finder_shift() * (cf[k] - cn[k]))


def untreated_finder_probability(df: pd.DataFrame) -> np.ndarray:
    """``pi0(X)``: probability of being a finder without taking part."""
    return (1 - finder_shift()) * expit(linear(design(df), FINDER))


def untreated_work_or_study(df: pd.DataFrame, k: int) -> np.ndarray:
    """``E[in work or study in month k | X, D = 0]`` per person."""
    cf, cn = work_or_study_curves(max(k, 12))
    pi0 = untreated_finder_probability(df)
    return pi0 * cf[k] + (1 - pi0) * cn[k]


def earnings_mean0(df: pd.DataFrame) -> np.ndarray:
    """``mu0(X)``: mean of the non-finder, non-participant earnings component."""
    t = design(df)
    mu = (
        25_000
        + 0.6 * t["earnings_before_100k"] * 100_000
        + 15_000 * t["education_post_secondary"]
        + 5_000 * t["education_upper_secondary"]
        - 300 * t["support_before_months"]
    )
    return np.maximum(mu, 15_000.0)


def earnings_direct() -> float:
    return EFFECT_EARNINGS - EARNINGS_FINDER * finder_shift()


def untreated_earnings(df: pd.DataFrame) -> np.ndarray:
    """``E[earnings_after | X, D = 0]`` per person."""
    return earnings_mean0(df) + EARNINGS_FINDER * untreated_finder_probability(df)


def survival(t) -> np.ndarray:
    """Planted ``S(t)`` of a spell of work or study: ``(1 - h)**t``."""
    return (1 - LEAVE_HAZARD) ** np.asarray(t, float)


def planted_truth(cohorts: list[int], months: int) -> dict:
    """The ``planted_truth`` block of project.yml."""
    horizons = [k for k in (6, 12, 24) if k <= months - 1]
    med = int(np.argmax(survival(np.arange(1, 200)) <= 0.5) + 1)
    return {
        "description": "Register-scale benchmark (benchmarks/register_scale). Effects are ATTs of taking part; "
        "months are counted from start_date (participants) or reference_date (comparison).",
        "effects": {
            **{f"work_or_study_{k}m": round(float(effect_on_work_or_study(k)), 6) for k in horizons},
            "earnings_after": EFFECT_EARNINGS,
        },
        "survival": {
            "monthly_hazard_of_leaving_work_or_study": LEAVE_HAZARD,
            "leave_hazard_by_cohort": {int(c): LEAVE_HAZARD for c in cohorts},
            "same_for_comparison_group": True,
            "survival_at_months": {t: round(float(survival(t)), 6) for t in (6, 12, 24)},
            "median_months": med,
            "cox_hazard_ratio_participant": 1.0,
        },
        "selection": {
            "participant_share": PARTICIPANT_SHARE,
            "propensity_logit": PROPENSITY,
            "finder_logit": FINDER,
            "finder_shift_delta": round(finder_shift(), 6),
        },
        "entry": {
            "finder_entry_hazard_months_1_12": ENTRY_HAZARD,
            "late_entry_hazard_from_month_13": LATE_ENTRY_HAZARD,
            "reentry_hazard_after_2_months_out": REENTRY_HAZARD,
        },
    }
