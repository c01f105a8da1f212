"""barnfamiljer-goteborg: "Projekt 30 barnfamiljer", Askim-Frölunda-Högsbo, Göteborg, 2015.

Planted truth
-------------
* 30 parents, all on income support (försörjningsstöd) in every panel month from at
  least ten months before their start (most since January 2014).
* Exactly 18 of 30 (60 %) leave income support 1-6 months after their start month
  (a subsidised municipal job, later work, or studies) and stay off it to December 2016.
* The other 12 may have a short 2-3 month job 1-2 months after start but are back on
  income support from month 5 and stay on it.
* So the share not on income support is 18/30 = 0.60 in every month from start + 6
  onwards (e.g. start + 12), and 0 in every month before the start.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from . import _common as c

ID = "barnfamiljer-goteborg"
SEED = 2015_0030
PERIOD = (dt.date(2015, 1, 1), dt.date(2015, 12, 31))
PANEL = (c.month_no(dt.date(2014, 1, 1)), c.month_no(dt.date(2016, 12, 1)))
N, N_LEAVE = 30, 18


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    lo, hi = PANEL
    leavers = set(rng.choice(N, size=N_LEAVE, replace=False).tolist())
    persons = []
    for i in range(N):
        start = c.random_date(rng, dt.date(2015, 1, 12), dt.date(2015, 6, 30))
        female = bool(rng.random() < 0.65)
        birth = c.birth_date(rng, start, int(rng.integers(22, 50)))
        pnr = people.make(birth, female, coordination=(i == 7))
        a = c.month_no(start)
        st: dict[int, str] = {}
        on_since = a - int(rng.integers(10, a - lo + 1))  # at least ten months on income support before start
        for m in range(lo, hi + 1):
            st[m] = "income_support" if m >= on_since else c.pick(rng, {"job_seeking": 0.6, "other": 0.4})
        if i in leavers:
            leave = a + int(rng.integers(1, 7))
            typ = "study" if rng.random() < 0.2 else "work"
            for m in range(leave, hi + 1):
                st[m] = typ
            end = c.random_date(rng, dt.date(2015, 10, 1), PERIOD[1])
            ex = "study" if typ == "study" else ("subsidised_work" if rng.random() < 0.7 else "work")
            inc = "student_aid" if typ == "study" else "wage"
        else:
            if rng.random() < 0.4:
                s = a + int(rng.integers(1, 3))
                for m in range(s, s + int(rng.integers(2, 4))):
                    st[m] = "work"
            end = c.random_date(rng, c.add_days(start, 120), PERIOD[1])
            ex = c.pick(rng, {"job_seeking": 0.5, "other_programme": 0.3, "dropped_out": 0.2})
            inc = "income_support"
        persons.append(
            dict(
                start=start,
                female=female,
                pnr=pnr,
                a=a,
                st=st,
                end=end,
                ex=ex,
                inc=inc,
                support=a - on_since,
                leaver=i in leavers,
            )
        )
    _write_participants(rng, out, persons)
    _write_panel(out, persons)
    truth = _truth(persons)
    _write_yml(out, truth)
    return truth


def _truth(persons) -> dict:
    off12 = [p["st"][p["a"] + 12] != "income_support" for p in persons]
    off6 = [p["st"][p["a"] + 6] != "income_support" for p in persons]
    before = [p["st"][p["a"] - 1] != "income_support" for p in persons]
    return {
        "participants": len(persons),
        "share_leaving_income_support": N_LEAVE / N,
        "leavers": N_LEAVE,
        "share_off_income_support_start_plus_6": c.rounded(np.mean(off6)),
        "share_off_income_support_start_plus_12": c.rounded(np.mean(off12)),
        "share_off_income_support_month_before_start": c.rounded(np.mean(before)),
        "min_months_on_income_support_before_start": int(min(p["support"] for p in persons)),
        "leavers_return_to_income_support": False,
    }


def _write_participants(rng, out: Path, persons) -> None:
    header = [
        "Personnummer",
        "Startdatum",
        "Slutdatum",
        "Kön",
        "Anvisad av",
        "Månader i försörjningsstöd",
        "Försörjning vid start",
        "Avslutsorsak",
        "Försörjning vid avslut",
    ]
    rows = []
    for p in persons:
        rows.append(
            [
                c.fmt_pnr(p["pnr"], "12-" if rng.random() < 0.5 else "10-"),
                p["start"].isoformat(),
                p["end"].isoformat(),
                c.GENDER_SV["female" if p["female"] else "male"],
                c.pick(rng, {"Socialtjänsten": 0.7, "Arbetsförmedlingen": 0.3}),
                str(p["support"]),
                c.INCOME_SV["income_support"],
                c.EXIT_SV[p["ex"]],
                c.INCOME_SV[p["inc"]],
            ]
        )
    ghost = c.People(np.random.default_rng(SEED + 1)).make(dt.date(1986, 9, 21), True)
    wrong = list(rows[3])
    wrong[0] = c.fmt_pnr(ghost, "10-")
    wrong[1], wrong[2] = "2015-08-03", "2015-05-29"  # end_before_start
    rows.insert(12, list(rows[5]))  # duplicate_enrolment
    rows.insert(20, wrong)
    c.write_csv(out / "deltagare.csv", header, rows, sep=",", encoding="utf-8", bom=True)


def _write_panel(out: Path, persons) -> None:
    rows = []
    for p in persons:
        for m, s in sorted(p["st"].items()):
            rows.append([c.fmt_pnr(p["pnr"], "12-"), c.month_date(m), c.PANEL_SV[s]])
    rows[3][2] = "Föräldraledig"  # unknown_label (first panel months, before every start)
    rows.insert(40, list(rows[39]))  # duplicate_month
    ghost = c.People(np.random.default_rng(SEED + 2)).make(dt.date(1979, 2, 2), False)
    for m in range(PANEL[0], PANEL[0] + 3):
        rows.append([c.fmt_pnr(ghost, "12-"), c.month_date(m), "Försörjningsstöd"])  # unknown_person
    c.write_xlsx(
        out / "forsorjning_manad.xlsx",
        ["Personnummer", "Månad", "Status"],
        rows,
        sheet="Månadsstatus",
        date_format="yyyy-mm",
    )


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# Projekt 30 barnfamiljer -- SYNTHETIC example project generated by `python -m examples`\n"
        "# (edit examples/barnfamiljer_goteborg.py, not this file). Area, year, target group\n"
        "# and method are from Göteborgsregionen's evaluation summary; the data are made up."
    )
    sections = [
        (
            "The project",
            {
                "name": "Projekt 30 barnfamiljer",
                "owner": "Stadsdelsförvaltningen Askim-Frölunda-Högsbo, Göteborgs Stad",
                "region": "Göteborg",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": dt.date(2016, 12, 31),
                "planned_participants": 30,
                "target_group": (
                    "Föräldrar med hemmavarande barn i stadsdelen med försörjningsstöd i minst tio månader i följd, "
                    "som väntades kunna komma i arbete eller studier inom 6-18 månader"
                ),
                "language": "sv",
            },
        ),
        (
            "Data protection: a small project, so every published cell below 5 persons is hidden",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "The project's own aim is that families leave income support: the first page leads with it",
            {"main_outcome": "off_income_support"},
        ),
        (
            "Success: subsidised municipal jobs count as work",
            {
                "work_or_study": ["work", "subsidised_work", "study", "work_and_study"],
                "panel_work_or_study": ["work", "study"],
                "self_supporting": ["wage", "student_aid", "none"],
                "followup_months_after_exit": [6, 12],
            },
        ),
        (
            "Targets: thirty families",
            {
                "targets": [
                    {
                        "id": "reached",
                        "metric": "participants_reached",
                        "threshold": 30,
                        "label_sv": "30 barnfamiljer",
                        "label_en": "30 families",
                    }
                ],
            },
        ),
        (
            "Files: participant list saved from Excel as 'CSV UTF-8' (commas) and the monthly income-support\n"
            "status from the social services' system as .xlsx",
            {
                "files": {
                    "participants": {"path": "deltagare.csv"},
                    "status_monthly": {"path": "forsorjning_manad.xlsx", "sheet": "Månadsstatus"},
                },
            },
        ),
        (
            "Socio-economic payback from the monthly statuses. There is no comparison group, so the report can show\n"
            "only what a before/after calculation would claim. The evaluation summary gives no cost: the cost per\n"
            "participant below is an EXAMPLE value",
            {"payback": {"basis": "status", "cost": {"per_participant_sek": 120000, "example": True}}},
        ),
        ("What the generator planted (for tests; not read by the analyses)", {"planted_truth": truth}),
    ]
    c.write_yml(out / "project.yml", header, sections)
