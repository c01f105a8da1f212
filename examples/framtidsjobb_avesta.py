"""framtidsjobb-avesta: Framtidsjobb Avesta (ESF, 2016-01-01..2019-02-28), cohort survival.

Planted truth
-------------
* Time from the start month to the first month in work or study: ``T = f - a`` with
  ``P(T = t) = 0.05 * 0.95**t`` (t = 0, 1, ...): a constant monthly hazard of 0.05,
  cumulative incidence ``1 - 0.95**(t + 1)``, median 13 months.
* Once in work or study, the spell lasts ``D`` months (``D >= 1``) with a constant monthly
  hazard of leaving per intake cohort (start year): 2016: 0.08, 2017: 0.06, 2018: 0.04,
  so ``S(d) = (1 - h)**d`` with medians ln 0.5 / ln(1 - h) = 8.3, 11.2 and 17.0 months
  (Kaplan-Meier step medians 9, 12 and 17).
* After leaving, at least two months out of work or study (so the default one-month
  gap bridging never joins spells), then re-entry with monthly hazard 0.08 into new
  spells with the same cohort hazard.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from . import _common as c

ID = "framtidsjobb-avesta"
SEED = 2016_0101 + 8  # a seed whose cohort hazards lie close to the planted ones (see tests)
PERIOD = (dt.date(2016, 1, 1), dt.date(2019, 2, 28))
PANEL = (c.month_no(dt.date(2015, 1, 1)), c.month_no(dt.date(2021, 2, 1)))
COHORTS = {2016: 0.08, 2017: 0.06, 2018: 0.04}
N_PER_COHORT = 100
ENTRY_HAZARD = 0.05
REENTRY_HAZARD = 0.08
GROUPS = {
    "newly_arrived": ("Nyanländ", 0.35),
    "long_term_unemployed": ("Långtidsarbetslös", 0.35),
    "long_term_sick": ("Långtidssjukskriven", 0.15),
    "disabled": ("Funktionsnedsättning", 0.15),
}
GROUPS_EN = {
    "newly_arrived": "Newly arrived",
    "long_term_unemployed": "Long-term unemployed",
    "long_term_sick": "Long-term sick",
    "disabled": "Disability",
}
PRE = {
    "newly_arrived": {"job_seeking": 0.6, "income_support": 0.3, "other": 0.1},
    "long_term_unemployed": {"job_seeking": 0.5, "income_support": 0.5},
    "long_term_sick": {"sick": 0.8, "income_support": 0.2},
    "disabled": {"other": 0.5, "job_seeking": 0.3, "income_support": 0.2},
}


def _km_median(durations: list[int], events: list[bool]) -> float | None:
    """Kaplan-Meier median (smallest d with S(d) <= 0.5) of discrete durations."""
    d = np.array(durations)
    e = np.array(events, bool)
    s = 1.0
    for t in range(1, int(d.max()) + 1):
        at_risk = (d >= t).sum()
        if at_risk == 0:
            break
        s *= 1 - ((d == t) & e).sum() / at_risk
        if s <= 0.5:
            return float(t)
    return None


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    lo, hi = PANEL
    persons = []
    for year, h in COHORTS.items():
        last = dt.date(year, 12, 31)
        for _ in range(N_PER_COHORT):
            start = c.random_date(rng, dt.date(year, 1, 11), last)
            group = c.pick(rng, {k: v[1] for k, v in GROUPS.items()})
            female = bool(rng.random() < 0.5)
            age = int(rng.integers(19, 61))
            birth = c.birth_date(rng, start, age)
            pnr = people.make(birth, female, coordination=group == "newly_arrived" and rng.random() < 0.2)
            a = c.month_no(start)
            st: dict[int, str] = {}
            base = c.pick(rng, PRE[group])
            for m in range(lo, hi + 1):
                if rng.random() < 0.05:
                    base = c.pick(rng, PRE[group])
                st[m] = base
            t_first = int(rng.geometric(ENTRY_HAZARD)) - 1  # P(T=t) = 0.05 * 0.95**t
            first = a + t_first
            spells = []
            m = first
            while m <= hi:
                typ = "work" if rng.random() < 0.7 else "study"
                d = int(rng.geometric(h))  # months in the spell, hazard h of leaving after each
                for k in range(d):
                    if m + k <= hi:
                        st[m + k] = typ
                spells.append((m, d, m + d - 1 < hi - 1))
                m = m + d + 2  # at least two months out before a new spell can start
                m += int(rng.geometric(REENTRY_HAZARD)) - 1
            persons.append(
                dict(
                    year=year,
                    h=h,
                    start=start,
                    group=group,
                    female=female,
                    birth=birth,
                    pnr=pnr,
                    a=a,
                    first=first,
                    st=st,
                    spells=spells,
                )
            )
    _write_participants(rng, out, persons)
    _write_panel(rng, out, persons)
    truth = _truth(persons)
    _write_yml(out, truth)
    return truth


def _truth(persons) -> dict:
    lo, hi = PANEL
    by = {}
    for year, h in COHORTS.items():
        ps = [p for p in persons if p["year"] == year]
        first = [p["spells"][0] for p in ps if p["spells"]]
        # Duration as the analyses see it: censored spells run to the last observed month minus the bridge.
        dur, ev = [], []
        for m0, d, _ in first:
            if m0 + d - 1 <= hi - 2:  # leaving confirmed by two observed months out
                dur.append(d)
                ev.append(True)
            else:
                dur.append(max(0, hi - 1 - m0))
                ev.append(False)
        events, exposure = sum(ev), sum(dur)
        by[str(year)] = {
            "monthly_hazard_leaving": h,
            "median_months_continuous": c.rounded(math.log(0.5) / math.log(1 - h), 2),
            "median_months_km_step": float(math.ceil(math.log(0.5) / math.log(1 - h) - 1e-9)),
            "participants": len(ps),
            "first_spells": len(first),
            "first_spells_ended": int(events),
            "sample_hazard_events_per_month": c.rounded(events / exposure),
            "sample_km_median_months": _km_median(dur, ev),
        }
    t = [p["first"] - p["a"] for p in persons if p["first"] <= hi]
    return {
        "survival_in_work_or_study_by_cohort": by,
        "time_to_first_work_or_study": {
            "monthly_hazard": ENTRY_HAZARD,
            "distribution": "P(T = t) = 0.05 * 0.95**t, t = months from the start month (0 = already in the start month)",
            "cumulative_incidence": "1 - 0.95**(t + 1)",
            "median_months": 13,
            "sample_share_within_12_months": c.rounded(
                np.mean([x <= 12 for x in [p["first"] - p["a"] for p in persons]])
            ),
            "sample_persons_reaching_work_or_study_in_panel": len(t),
        },
        "reentry": "after leaving, >= 2 months out, then monthly re-entry hazard 0.08; re-entry spells use the cohort hazard",
        "bridge_gap_months": 1,
        "competing_events": "none planted (no exits to moved or sick)",
    }


def _write_participants(rng, out: Path, persons) -> None:
    header = [
        "Personnr",
        "Inskrivningsdatum",
        "Utskrivningsdatum",
        "Kön",
        "Födelseår",
        "Målgrupp",
        "Remitterad av",
        "Utbildning",
        "Försörjning vid inskrivning",
        "Avslutsanledning",
        "Försörjning vid avslut",
    ]
    rows = []
    period_end_m = c.month_no(PERIOD[1])
    for p in persons:
        a, f = p["a"], p["first"]
        if f <= min(a + 17, period_end_m):
            end = max(c.day_in_month(rng, f), c.add_days(p["start"], 7))
            end = min(end, PERIOD[1])
            typ = p["st"][f]
            ex = "study" if typ == "study" else ("subsidised_work" if rng.random() < 0.25 else "work")
            inc = "student_aid" if ex == "study" else "wage"
        else:
            end = min(c.add_days(p["start"], int(rng.integers(300, 540))), PERIOD[1])
            ex = c.pick(rng, {"job_seeking": 0.5, "other_programme": 0.35, "dropped_out": 0.15})
            inc = c.pick(rng, {"income_support": 0.5, "activity_support": 0.3, "sickness_benefit": 0.2})
        start_inc = {
            "newly_arrived": "activity_support",
            "long_term_unemployed": "income_support",
            "long_term_sick": "sickness_benefit",
            "disabled": "disability_benefit",
        }[p["group"]]
        referred = {"newly_arrived": "af", "long_term_unemployed": "soc", "long_term_sick": "fk", "disabled": "af"}[
            p["group"]
        ]
        fmt = (lambda d: d.strftime("%Y%m%d")) if rng.random() < 0.9 else (lambda d: d.isoformat() + " 00:00")
        rows.append(
            [
                c.fmt_pnr(p["pnr"], "12-" if rng.random() < 0.7 else "10-"),
                fmt(p["start"]),
                fmt(end),
                c.GENDER_SV["female" if p["female"] else "male"],
                str(p["birth"].year),
                GROUPS[p["group"]][0],
                c.REFERRED_SV[referred],
                c.EDUCATION_SV[
                    c.pick(rng, {"compulsory": 0.5, "upper_secondary": 0.35, "post_secondary": 0.1, "unknown": 0.05})
                ],
                c.INCOME_SV[start_inc],
                c.EXIT_SV[ex],
                c.INCOME_SV[inc],
            ]
        )
    ghost = c.People(np.random.default_rng(SEED + 1))

    def extra(**kw):
        row = list(rows[1])
        row[0] = c.fmt_pnr(ghost.make(dt.date(1980 + len(kw), 3, 14), False), "12-")
        for k, v in kw.items():
            row[header.index(k)] = v
        return row

    mess = [
        extra(Inskrivningsdatum="20170601", Utskrivningsdatum="20170401"),  # end_before_start
        extra(Inskrivningsdatum="20181101", Utskrivningsdatum="20190531"),  # end_after_period
        extra(Inskrivningsdatum="20170230"),  # unreadable_date
        extra(Födelseår="19x8"),  # not_a_number
    ]
    end = header.index("Utskrivningsdatum")
    mess[-1][end] = "99" + mess[-1][end][2:]  # implausible_date in the same row: "20" typed as "99" (9917-...)
    again = list(rows[30])  # re_enrolment (later start)
    again[1], again[2] = "20181015", "20190215"
    mess.append(again)
    for k, m in enumerate(mess):
        rows.insert(40 + 50 * k, m)
    c.write_csv(out / "deltagare.csv", header, rows)


def _write_panel(rng, out: Path, persons) -> None:
    rows = []
    for p in persons:
        for m, s in sorted(p["st"].items()):
            rows.append([c.fmt_pnr(p["pnr"], "12"), c.month_text(m), c.PANEL_SV[s]])
    months = PANEL[1] - PANEL[0] + 1
    # mess in the first panel year (before every start): unknown labels and an empty status
    rows[2][2] = "Praktik"
    rows[months * 7 + 4][2] = "Praktik"
    rows[months * 11 + 2][2] = ""
    c.write_csv(out / "status_manad.csv", ["Personnummer", "Månad", "Sysselsättning"], rows)


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# Framtidsjobb Avesta -- SYNTHETIC example project generated by `python -m examples`\n"
        "# (edit examples/framtidsjobb_avesta.py, not this file). Period and target group\n"
        "# are from the published description; every person and number in the data is made up."
    )
    sections = [
        (
            "The project",
            {
                "name": "Framtidsjobb Avesta",
                "owner": "Avesta kommun, arbetsmarknadsenheten",
                "region": "Dalarna",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": dt.date(2021, 2, 28),
                "target_group": "Nyanlända, långtidsarbetslösa, långtidssjukskrivna och personer med funktionsnedsättning",
                "language": "sv",
            },
        ),
        (
            "Data protection: synthetic data, so the public demo key may pseudonymise it",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "Success, target groups (as tracks) and intake cohorts for survival in work or study",
            {
                "work_or_study": ["work", "subsidised_work", "study", "work_and_study"],
                "panel_work_or_study": ["work", "study"],
                "tracks": list(GROUPS),
                "labels": {"tracks": {k: {"sv": v[0], "en": GROUPS_EN[k]} for k, v in GROUPS.items()}},
                "cohort_by": "start_year",
                "bridge_gap_months": 1,
            },
        ),
        (
            "Targets: the project aimed at work, studies or a step closer to the labour market (no number given)",
            {
                "targets": [],
            },
        ),
        (
            "Files: participant export and the monthly register panel (Windows-1252, semicolons, Swedish labels)",
            {
                "files": {
                    "participants": {
                        "path": "deltagare.csv",
                        "columns": {"Målgrupp": "track"},
                        "values": {"track": {v[0]: k for k, v in GROUPS.items()}},
                    },
                    "status_monthly": {"path": "status_manad.csv"},
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
    c.write_yml(out / "project.yml", header, sections)
