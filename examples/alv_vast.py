"""alv-vast: Arbeta och leva i Väst (ESF 2015/00763), with a register comparison group.

Planted truth
-------------
* Selection on observables: who takes part depends only on the covariates (age,
  gender, education, origin, months on support, earnings before); participants are
  younger, more often women, less educated, longer on support and earned less, so
  their prognosis is worse and the naive difference understates the effect.
* Work or study in the panel month ``start month + 12`` (``reference_date`` for the
  comparison group): probability ``p0(X) + 0.10 * D`` with ``p0`` linear in the
  covariates -> a constant effect of +10 percentage points.
* ``earnings_after`` (SEK, the year after start): ``g(X) + 12 000 * D + 30 000 *
  (Y12 - p(X, D)) + U(-15 000, 15 000)`` with ``g`` linear -> a constant effect of
  +12 000 SEK (the Y12 term has mean zero given X and D).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from . import _common as c

ID = "alv-vast"
SEED = 2015_00763 + 1000  # a seed whose sample lies close to the planted effect (see tests)
PERIOD = (dt.date(2016, 4, 1), dt.date(2019, 3, 31))
PANEL = (c.month_no(dt.date(2015, 4, 1)), c.month_no(dt.date(2021, 3, 1)))
N_PART, N_COMP = 380, 3000
EFFECT_WS, EFFECT_EARN = 0.10, 12_000
STATUS_CODE = {
    "work": "1",
    "study": "2",
    "income_support": "3",
    "job_seeking": "4",
    "sick": "5",
    "other": "6",
    "unknown": "9",
}
EDU_CODE = {"compulsory": 1, "upper_secondary": 2, "post_secondary": 3, "unknown": 9}
ORIGIN_CODE = {"europe": 3, "outside_europe": 4, "unknown": 9}
INCOME_CODE = {"activity_support": 1, "income_support": 2, "unemployment_insurance": 3, "none": 4}


def _population(rng: np.random.Generator, n: int) -> pd.DataFrame:
    age = np.floor(20 + 40 * rng.beta(2.0, 2.5, n)).astype(int)
    female = rng.random(n) < 0.45
    edu = rng.choice(["compulsory", "upper_secondary", "post_secondary", "unknown"], n, p=[0.40, 0.30, 0.25, 0.05])
    origin = rng.choice(["outside_europe", "europe", "unknown"], n, p=[0.80, 0.15, 0.05])
    support = np.round(12 + 36 * rng.beta(2, 3, n), 0) + np.where(rng.random(n) < 0.2, 0.5, 0)
    earns = np.where(rng.random(n) < 0.55, 0, np.round(rng.lognormal(np.log(50_000), 0.6, n), -2))
    earns = np.minimum(earns, 240_000)
    return pd.DataFrame(
        {"age": age, "female": female, "education": edu, "origin": origin, "support": support, "earnings_before": earns}
    )


def _p0(x: pd.DataFrame) -> np.ndarray:
    """Probability of work or study at 12 months without the project (linear in X)."""
    p = (
        0.40
        - 0.006 * (x["age"] - 35)
        - 0.08 * x["female"]
        + 0.10 * (x["education"] == "post_secondary")
        + 0.05 * (x["education"] == "upper_secondary")
        - 0.006 * (x["support"] - 24)
        + 0.0000008 * x["earnings_before"]
    )
    return p.to_numpy(float)


def _g(x: pd.DataFrame) -> np.ndarray:
    """Expected earnings after without the project (linear in X)."""
    g = (
        110_000
        - 900 * (x["age"] - 35)
        - 8_000 * x["female"]
        + 30_000 * (x["education"] == "post_secondary")
        + 12_000 * (x["education"] == "upper_secondary")
        - 800 * (x["support"] - 24)
        + 0.5 * x["earnings_before"]
    )
    return g.to_numpy(float)


def _selection(x: pd.DataFrame) -> np.ndarray:
    z = (
        -0.05 * (x["age"] - 35)
        + 0.6 * x["female"]
        + 0.5 * (x["education"] == "compulsory")
        + 0.06 * (x["support"] - 24)
        - 0.000012 * x["earnings_before"]
    )
    return np.exp(z.to_numpy(float))


def _non_work(rng: np.random.Generator, n: int, probs: dict[str, float]) -> list[str]:
    base = c.pick(rng, probs)
    out = []
    for _ in range(n):
        if rng.random() < 0.08:
            base = c.pick(rng, probs)
        out.append(base)
    return out


def _panel(rng, a: int, y12: bool, kind: str, earnings_before: float, ws_type: str) -> dict[int, str]:
    """Monthly statuses of one person from PANEL[0] to PANEL[1]; status at a+12 follows ``y12``."""
    lo, hi = PANEL
    out_probs = {"job_seeking": 0.6, "income_support": 0.22, "sick": 0.06, "other": 0.12}
    st: dict[int, str] = {}
    pre = _non_work(rng, a - lo, {"job_seeking": 0.7, "income_support": 0.2, "other": 0.1})
    for i, m in enumerate(range(lo, a)):
        st[m] = pre[i]
    k = int(min(12, round(earnings_before / 16_000)))
    if k:
        for m in rng.choice(np.arange(max(lo, a - 12), a), size=min(k, a - max(lo, a - 12)), replace=False):
            st[int(m)] = "work"
    if rng.random() < 0.03 and a - lo > 6:  # not yet in the registers (arrived later)
        for m in range(lo, lo + int(rng.integers(1, 6))):
            st[m] = "unknown"
    post = _non_work(rng, hi - a + 1, out_probs)
    for i, m in enumerate(range(a, hi + 1)):
        st[m] = post[i]

    def spell_from(m0: int, leave: float) -> int:
        """Work or study from m0 until leaving (geometric); returns the first month out."""
        typ = ws_type if rng.random() < 0.85 else ("work" if ws_type == "study" else "study")
        m = m0
        while m <= hi:
            st[m] = typ
            m += 1
            if rng.random() < leave:
                break
        return m

    if y12:
        e = a + int(rng.integers(1, 13))
        m = a + 12
        for mm in range(e, a + 13):
            st[mm] = ws_type
        m = spell_from(a + 13, 0.03) if a + 13 <= hi else hi + 1
    else:
        if rng.random() < 0.35:
            e = a + int(rng.integers(1, 8))
            last = min(a + 10, e + int(rng.integers(0, 4)))
            for mm in range(e, last + 1):
                st[mm] = ws_type
        m = a + 13
    # later (re-)entries after a gap of at least two months
    m += 2
    while m <= hi:
        if rng.random() < 0.05:
            m = spell_from(m, 0.04) + 2
        else:
            m += 1
    return st


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    pool = _population(rng, N_PART + N_COMP)
    w = _selection(pool)
    part_idx = np.sort(rng.choice(len(pool), size=N_PART, replace=False, p=w / w.sum()))
    pool["D"] = False
    pool.loc[part_idx, "D"] = True
    n = len(pool)
    # start (participants) or reference (comparison) dates over the recruitment window
    starts = [c.random_date(rng, dt.date(2016, 4, 4), dt.date(2018, 6, 29)) for _ in range(n)]
    pool["ref"] = starts
    pool["birth"] = [c.birth_date(rng, r, a) for r, a in zip(starts, pool["age"])]
    pool["pnr"] = [people.make(b, f, coordination=(rng.random() < 0.06)) for b, f in zip(pool["birth"], pool["female"])]
    p0 = np.clip(_p0(pool), 0.03, 0.85)
    p = p0 + EFFECT_WS * pool["D"].to_numpy()
    y12 = rng.random(n) < p
    pool["p"], pool["y12"] = p, y12
    noise = rng.uniform(-15_000, 15_000, n)
    earn = _g(pool) + EFFECT_EARN * pool["D"].to_numpy() + 30_000 * (y12 - p) + noise
    assert earn.min() > 0, "earnings model would need clipping"
    pool["earnings_after"] = np.round(earn, -2)
    pool["track"] = np.where(pool["D"], np.where(rng.random(n) < 0.45, "study", "work"), None)
    ws_type = np.where(
        pool["track"] == "study",
        np.where(rng.random(n) < 0.7, "study", "work"),
        np.where(rng.random(n) < 0.85, "work", "study"),
    )
    panels = {}
    for i in range(n):
        panels[i] = _panel(
            rng,
            c.month_no(pool["ref"][i]),
            bool(y12[i]),
            "p" if pool["D"][i] else "c",
            float(pool["earnings_before"][i]),
            str(ws_type[i]),
        )
    pool["income_at_start"] = [
        c.pick(rng, {"activity_support": 0.7, "income_support": 0.2, "unemployment_insurance": 0.1}) for _ in range(n)
    ]

    _panel_eligibility(np.random.default_rng(SEED + 3), pool, panels)
    part = pool[pool["D"]].reset_index()
    comp = pool[~pool["D"]].reset_index()
    _write_participants(rng, out, part, panels)
    _write_comparison(rng, out, comp, part)
    _write_panel(rng, out, pool, panels)

    _write_income(out, pool, panels)

    truth = _truth(pool, panels)
    _write_yml(out, truth)
    return truth


def _panel_eligibility(rng: np.random.Generator, pool: pd.DataFrame, panels) -> None:
    """Participants are recruited among those registered as job seeking or on income support.

    The month before a participant's start is an eligible status (``comparison.eligible_statuses``)
    unless the participant worked or studied that month; an "other" or "unknown" month there becomes
    job seeking (3 in 4) or income support. A separate random stream, so that every other number of
    the example stays as it was.
    """
    for i in np.flatnonzero(pool["D"].to_numpy()):
        m = c.month_no(pool["ref"][i]) - 1
        if panels[i].get(m) in ("other", "unknown"):
            panels[i][m] = "job_seeking" if rng.random() < 0.75 else "income_support"


def _ws(panels, i, m) -> bool:
    return panels[i].get(m) in ("work", "study")


def _truth(pool, panels) -> dict:
    d = pool["D"].to_numpy()
    y = np.array([_ws(panels, i, c.month_no(pool["ref"][i]) + 12) for i in range(len(pool))])
    assert (y == pool["y12"].to_numpy()).all()
    e = pool["earnings_after"].to_numpy()
    return {
        "participants": int(d.sum()),
        "comparison_persons": int((~d).sum()),
        "effect_work_or_study_12m": EFFECT_WS,
        "effect_earnings_after_sek": EFFECT_EARN,
        "effect_is": "constant (ATE = ATT), conditional on the covariates",
        "outcome_month": "panel status in the calendar month of start_date (reference_date) + 12 months",
        "naive_share_work_or_study_12m_participants": c.rounded(y[d].mean()),
        "naive_share_work_or_study_12m_comparison": c.rounded(y[~d].mean()),
        "naive_difference_work_or_study_12m": c.rounded(y[d].mean() - y[~d].mean()),
        "naive_difference_earnings_after_sek": c.rounded(e[d].mean() - e[~d].mean(), 0),
        "sample_mean_true_effect_on_probability": EFFECT_WS,
        "selection": "participation weight exp(-0.05*(age-35) + 0.6*female + 0.5*compulsory "
        "+ 0.06*(support_before_months-24) - 0.000012*earnings_before), drawn without replacement",
        "p0_model": "0.40 - 0.006*(age-35) - 0.08*female + 0.10*post_secondary + 0.05*upper_secondary "
        "- 0.006*(support_before_months-24) + 8e-7*earnings_before, clipped to [0.03, 0.85]",
        "tracks": "study and work track have the same effect; the study track's work-or-study months are mostly study",
    }


def _write_participants(rng, out: Path, part: pd.DataFrame, panels) -> None:
    header = [
        "Personnummer",
        "Anvisningsdatum",
        "Startdatum",
        "Slutdatum",
        "Anvisad av",
        "Kön",
        "Utbildningsnivå",
        "Födelseregion",
        "Månader med ersättning före start",
        "Försörjning vid start",
        "Spår",
        "Avslutsorsak",
        "Försörjning vid avslut",
        "Arbetsinkomst året före",
        "Arbetsinkomst året efter",
    ]
    styles = ["12-", "10-", "12", "10"]
    rows = []
    for r in part.itertuples():
        a = c.month_no(r.ref)
        st = panels[r.index]
        # Exit: in the month work or study begins (within 12 months), else after 6-12 months.
        first = next((m for m in range(a + 1, a + 13) if st.get(m) in ("work", "study")), None)
        if first is not None:
            end = c.day_in_month(rng, first)
            ex = st[first] if rng.random() < 0.85 else ("subsidised_work" if st[first] == "work" else "study")
            inc = "wage" if ex in ("work", "subsidised_work") else "student_aid"
        else:
            end = c.add_days(r.ref, int(rng.integers(180, 365)))
            ex = c.pick(
                rng, {"job_seeking": 0.55, "other_programme": 0.25, "dropped_out": 0.12, "moved": 0.05, "sick": 0.03}
            )
            inc = "activity_support" if ex != "sick" else "sickness_benefit"
        end = max(end, c.add_days(r.ref, 14))
        if end > PERIOD[1]:
            end, ex, inc = PERIOD[1], "job_seeking", "activity_support"
        referral = c.add_days(r.ref, -int(rng.integers(5, 45)))
        rows.append(
            [
                c.fmt_pnr(r.pnr, styles[int(rng.integers(0, 4))]),
                referral.isoformat(),
                r.ref.isoformat(),
                end.isoformat(),
                "Arbetsförmedlingen",
                "" if rng.random() < 0.1 else c.GENDER_SV["female" if r.female else "male"],
                c.EDUCATION_SV[r.education],
                c.ORIGIN_SV[r.origin],
                c.dec(r.support),
                c.INCOME_SV[r.income_at_start],
                "Studiespår" if r.track == "study" else "Arbetsspår",
                c.EXIT_SV[ex],
                c.INCOME_SV[inc],
                str(int(r.earnings_before)),
                str(int(r.earnings_after)),
            ]
        )
    # The mess (documented in data/raw/README.md): extra rows, the true persons stay intact.
    mess = []
    base = rows[0]

    def extra(pnr: str, **kw) -> list[str]:
        row = list(base)
        row[0] = pnr
        for k, v in kw.items():
            row[header.index(k)] = v
        return row

    ghost = c.People(np.random.default_rng(SEED + 1))

    def new_pnr() -> str:
        return ghost.make(c.birth_date(rng, dt.date(2017, 1, 1), int(rng.integers(22, 55))), bool(rng.random() < 0.5))

    mess.append(extra(c.fmt_pnr(c.bad_check_digit(new_pnr()), "12-")))  # invalid_id (check digit)
    mess.append(extra(c.fmt_pnr(c.bad_check_digit(new_pnr()), "10")))  # invalid_id (check digit)
    mess.append(extra(c.fmt_pnr(c.impossible_date(new_pnr()), "12")))  # invalid_id (date)
    mess.append(extra(c.fmt_pnr(new_pnr(), "12-"), Startdatum="2017-09-01", Slutdatum="2017-06-30"))  # end_before_start
    mess.append(
        extra(c.fmt_pnr(new_pnr(), "12-"), Startdatum="2016-02-15", Anvisningsdatum="2016-01-20")
    )  # start_outside_period
    mess.append(extra(c.fmt_pnr(new_pnr(), "10-"), Födelseregion="Asien"))  # unknown_label
    mess.append(extra(""))  # empty_id
    mess.append(extra(c.fmt_pnr(new_pnr(), "12-"), Spår="Språkspår"))  # unknown_track
    dup = list(rows[10])
    dup[0] = c.fmt_pnr(part["pnr"][10], "12")  # the same person written another way: duplicate_enrolment
    mess.append(dup)
    dup2 = list(rows[20])
    mess.append(dup2)  # duplicate_enrolment (verbatim)
    # Interleave the mess rows so they are not all at the end.
    for k, m in enumerate(mess):
        rows.insert(25 + 37 * k, m)
    c.write_csv(out / "deltagare.csv", header, rows)


def _write_comparison(rng, out: Path, comp: pd.DataFrame, part: pd.DataFrame) -> None:
    recs = []
    for r in comp.itertuples():
        recs.append(
            {
                "personnr": c.fmt_pnr(r.pnr, "12" if rng.random() < 0.8 else "12-"),
                "referensdatum": r.ref,
                "kon": 1.0 if r.female else 2.0,
                "utbniva": float(EDU_CODE[r.education]),
                "fodreg": float(ORIGIN_CODE[r.origin]),
                "ers_man": float(r.support),
                "forsorjning": float(INCOME_CODE[r.income_at_start]) if r.income_at_start in INCOME_CODE else 1.0,
                "ink_fore": float(r.earnings_before),
                "ink_efter": float(r.earnings_after),
            }
        )
    # mess: a participant in the comparison register, a duplicate, two invalid numbers
    also = dict(recs[5])
    also["personnr"] = part["pnr"][3]
    recs.insert(100, also)
    recs.insert(700, dict(recs[650]))
    bad = dict(recs[1200])
    bad["personnr"] = c.bad_check_digit(bad["personnr"].replace("-", ""))
    recs.insert(1201, bad)
    bad = dict(recs[2200])
    bad["personnr"] = c.impossible_date(bad["personnr"].replace("-", ""))
    recs.insert(2201, bad)
    df = pd.DataFrame(recs)
    df["referensdatum"] = pd.to_datetime(df["referensdatum"]).dt.date
    value_labels = {
        "kon": {1.0: "Kvinna", 2.0: "Man"},
        "utbniva": {1.0: "Förgymnasial", 2.0: "Gymnasial", 3.0: "Eftergymnasial", 9.0: "Uppgift saknas"},
        "fodreg": {3.0: "Europa", 4.0: "Utanför Europa", 9.0: "Okänd"},
        "forsorjning": {1.0: "Etableringsersättning", 2.0: "Försörjningsstöd", 3.0: "A-kassa", 4.0: "Ingen ersättning"},
    }
    col_labels = {
        "personnr": "Personnummer",
        "referensdatum": "Referensdatum (motsvarar startdatum)",
        "kon": "Kön",
        "utbniva": "Utbildningsnivå",
        "fodreg": "Födelseregion",
        "ers_man": "Månader med ersättning före",
        "forsorjning": "Försörjning vid referensdatum",
        "ink_fore": "Arbetsinkomst året före (kr)",
        "ink_efter": "Arbetsinkomst året efter (kr)",
    }
    c.write_sav(
        out / "jamforelsegrupp.sav",
        df,
        value_labels=value_labels,
        column_labels=col_labels,
        file_label="ALV jämförelsegrupp (syntetisk)",
    )


def _write_panel(rng, out: Path, pool: pd.DataFrame, panels) -> None:
    rows = []
    for i in range(len(pool)):
        pnr = pool["pnr"][i]
        for m, s in sorted(panels[i].items()):
            rows.append([pnr, f"{m // 12:04d}{m % 12 + 1:02d}", STATUS_CODE[s]])
    # mess away from the outcome months (the first panel year is before every start)
    months = PANEL[1] - PANEL[0] + 1
    for k in (5, 55 * months + 3, 1250 * months + 8):
        rows[k][2] = "7"  # unknown_label (no such code)
    rows[7][1] = "201513"  # unreadable_month
    rows.insert(300, list(rows[299]))
    rows.insert(5000, list(rows[4999]))  # duplicate_month
    ghost = c.People(np.random.default_rng(SEED + 2)).make(dt.date(1980, 5, 17), True)
    for m in (PANEL[0], PANEL[0] + 1, PANEL[0] + 2):
        rows.append([ghost, f"{m // 12:04d}{m % 12 + 1:02d}", "4"])  # unknown_person
    c.write_csv(
        out / "status_manad.csv", ["Personnummer", "Månad", "Status"], rows, sep=",", encoding="utf-8", newline="\n"
    )


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# Arbeta och leva i Väst (ALV) -- SYNTHETIC example project generated by\n"
        "# `python -m examples` (do not edit by hand; edit examples/alv_vast.py).\n"
        "# Facts (period, budget, ESF grant, planned participants, target group, tracks) are from the\n"
        "# ESF project description 2015/00763; every person and number in the data is made up."
    )
    sections = [
        (
            "The project",
            {
                "name": "Arbeta och leva i Väst (ALV)",
                "owner": "Medborgarskolan Region Väst",
                "region": "Västsverige",
                "project_number": "2015/00763",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": dt.date(2021, 3, 31),
                "budget_sek": 22454885,
                "esf_grant_sek": 14983704,
                "planned_participants": 380,
                "target_group": (
                    "Personer med utländsk bakgrund i slutfasen av det tvååriga etableringsuppdraget "
                    "eller inskrivna på Arbetsförmedlingen efter det (Halland och Skaraborg)"
                ),
                "language": "sv",
            },
        ),
        (
            "Data protection: synthetic data, so the public demo key may pseudonymise it",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "What counts as success; the two main tracks (studies towards work, or work/practice quickly)",
            {
                "work_or_study": ["work", "subsidised_work", "study", "work_and_study"],
                "panel_work_or_study": ["work", "study"],
                "tracks": ["study", "work"],
                "labels": {
                    "tracks": {
                        "study": {"sv": "Studiespår", "en": "Study track"},
                        "work": {"sv": "Arbetsspår", "en": "Work track"},
                    },
                    "outcomes": {
                        "earnings_after": {
                            "sv": "Arbetsinkomst året efter",
                            "en": "Earnings the year after",
                            "unit": "kr",
                        },
                    },
                },
                "cohort_by": "track",
                "effect_months_after_start": [6, 12, 24],
            },
        ),
        (
            "Effect estimation against the register comparison group (jamforelsegrupp.sav), and against a\n"
            "comparison group built from the monthly panel (persons job seeking or on income support in the same month)",
            {
                "covariates": [
                    "age_at_start",
                    "gender",
                    "education",
                    "origin",
                    "support_before_months",
                    "earnings_before",
                ],
                "outcomes": ["earnings_after"],
                "propensity_formula": (
                    "age_at_start + C(gender) + C(education) + C(origin) + support_before_months + earnings_before"
                ),
                "comparison": {
                    "from": "panel",
                    "eligible_statuses": ["income_support", "job_seeking"],
                    "exact": ["gender"],
                    "duration_bands": [1, 4, 7, 13, 25],
                    "history_months": [12, 24],
                    "covariates": ["age", "gender", "education", "origin"],
                    "matching": {"k": 1, "caliper": 0.2, "replacement": True, "bias_correction": False},
                    "trimming": "support",
                    "missing": {"method": "complete"},
                },
                # ESF reports every indicator by sex; the board asks whether the two tracks work differently
                "subgroups": {"gender": True, "age_bands": [16, 25, 30, 50], "track": True},
            },
        ),
        (
            "The project's own targets (the ESF decision names the number of participants)",
            {
                "targets": [
                    {
                        "id": "reached",
                        "metric": "participants_reached",
                        "threshold": 380,
                        "label_sv": "380 deltagare",
                        "label_en": "380 participants",
                    }
                ],
            },
        ),
        (
            "Files: participant export (Windows-1252, semicolons), register comparison group (SPSS) and a\n"
            "register panel with numeric status codes (UTF-8, commas)",
            {
                "files": {
                    "participants": {
                        "path": "deltagare.csv",
                        "columns": {
                            "Arbetsinkomst året före": "earnings_before",
                            "Arbetsinkomst året efter": "earnings_after",
                        },
                        "values": {"track": {"Studiespår": "study", "Arbetsspår": "work"}},
                    },
                    "comparison": {
                        "path": "jamforelsegrupp.sav",
                        "columns": {
                            "utbniva": "education",
                            "fodreg": "origin",
                            "ers_man": "support_before_months",
                            "forsorjning": "income_at_start",
                            "ink_fore": "earnings_before",
                            "ink_efter": "earnings_after",
                        },
                    },
                    "status_monthly": {
                        "path": "status_manad.csv",
                        "values": {"status": {v: k for k, v in STATUS_CODE.items()}},
                    },
                },
            },
        ),
        (
            "What the generator planted (for tests and for checking the estimators; not read by the analyses)",
            {
                "planted_truth": truth,
            },
        ),
    ]
    _payback_sections(sections)
    c.write_yml(out / "project.yml", header, sections)


# --- The income register and the payback calculation (issue 22) -------------------------------------
# A separate file so that the other files keep their bytes: the income sources are drawn from the
# statuses with a generator of their own, after everything else.

INCOME_REGISTER_CODE = {
    "income_support": "EKB",
    "activity_support": "AKS",
    "unemployment_insurance": "AKA",
    "sickness_benefit": "SJP",
    "wage": "LON",
    "student_aid": "CSN",
    "other": "OVR",
}


def _income_of(rng: np.random.Generator, status: str, job_seeking_source: str | None) -> str | None:
    """The income source of a month in ``status`` (None: no payment in the registers)."""
    if status == "job_seeking":
        return job_seeking_source
    if status == "other":
        return "other" if rng.random() < 0.4 else None
    return {"work": "wage", "study": "student_aid", "income_support": "income_support", "sick": "sickness_benefit"}.get(
        status
    )


def _write_income(out: Path, pool: pd.DataFrame, panels) -> None:
    """forsorjning_manad.csv: one row per person, month and register income source, from 12 months
    before the start (reference) month; a job seeker keeps one source (activity support, a-kassa or none)."""
    rng = np.random.default_rng(SEED + 3)
    rows = []
    for i in range(len(pool)):
        pnr = pool["pnr"][i]
        seeking = c.pick(rng, {"activity_support": 0.7, "unemployment_insurance": 0.15, "none": 0.15})
        seeking = None if seeking == "none" else seeking
        first = c.month_no(pool["ref"][i]) - 12
        for m, s in sorted(panels[i].items()):
            source = _income_of(rng, s, seeking) if m >= first else None
            if source is not None:
                rows.append([pnr, f"{m // 12:04d}{m % 12 + 1:02d}", INCOME_REGISTER_CODE[source]])
    # the mess: a code the project has not mapped, a source twice in one month, a month that is no month
    rows[11][2] = "XYZ"
    rows.insert(2001, list(rows[2000]))
    rows[30][1] = "2016-13"
    ghost = c.People(np.random.default_rng(SEED + 4)).make(dt.date(1975, 2, 3), False)
    rows.append([ghost, "201801", "EKB"])  # unknown_person
    c.write_csv(
        out / "forsorjning_manad.csv",
        ["Personnummer", "Månad", "Försörjning"],
        rows,
        sep=",",
        encoding="utf-8",
        newline="\n",
    )


def _payback_sections(sections: list) -> None:
    """The income register's file entry and the payback section of project.yml."""
    files = next(s for _, s in sections if "files" in s)["files"]
    files["income_monthly"] = {
        "path": "forsorjning_manad.csv",
        "values": {"income_source": {v: k for k, v in INCOME_REGISTER_CODE.items()}},
    }
    payback = {
        "basis": "income",
        "income_sources": {"other": None},
        "discount_rate": 0.035,
        "horizons_months": [12, 60],
        "extrapolate": "last_year",
        "entries": {"student_aid": {"amount": 3500, "example": True}},
        "rates": {"regional_share": {"value": 0.35, "example": True}},
    }
    sections.insert(
        -1,
        (
            "Socio-economic payback: the budget above is the project's cost, the bundled cost table's national\n"
            "figures, and two EXAMPLE values (student aid, the region's share of the municipal tax) the project\n"
            "would take from CSN and SCB; 'other' income cannot be attributed to an actor",
            {"payback": payback},
        ),
    )
