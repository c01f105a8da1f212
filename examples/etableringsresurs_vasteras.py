"""etableringsresurs-vasteras: Pilotprojekt Etableringsresurs, Västerås (2016-07-01..2017-12-31).

Planted truth
-------------
* 62 participants in three vocational strands (tracks): care 24, kitchen 20, cleaning 18.
* 60 exits with a recorded exit status (2 care exits have none). Exactly 33 of the 60
  (55 %) go to work, subsidised work (extratjänst) or studies: care 14 of 22, kitchen 11
  of 20, cleaning 8 of 18. The project's target was 80 %, so it is clearly not met.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from . import _common as c

ID = "etableringsresurs-vasteras"
SEED = 2016_0701
PERIOD = (dt.date(2016, 7, 1), dt.date(2017, 12, 31))
TRACKS = {"care": ("Vård", 24, 22, 14), "kitchen": ("Kök", 20, 20, 11), "cleaning": ("Lokalvård", 18, 18, 8)}
TRACK_EN = {"care": "Care", "kitchen": "Kitchen", "cleaning": "Cleaning"}


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    persons = []
    for track, (_label, n, n_status, n_success) in TRACKS.items():
        success = set(rng.choice(n_status, size=n_success, replace=False).tolist())
        for i in range(n):
            start = c.random_date(rng, dt.date(2016, 8, 15), dt.date(2017, 5, 31))
            end = min(c.add_days(start, int(rng.integers(120, 270))), PERIOD[1])
            female = bool(rng.random() < (0.8 if track == "care" else 0.55))
            birth = c.birth_date(rng, start, int(rng.integers(20, 56)))
            if i >= n_status:
                ex = None
            elif i in success:
                ex = c.pick(rng, {"work": 0.55, "subsidised_work": 0.25, "study": 0.2})
            else:
                ex = c.pick(rng, {"job_seeking": 0.6, "other_programme": 0.3, "dropped_out": 0.1})
            persons.append(
                dict(
                    track=track,
                    start=start,
                    end=end,
                    female=female,
                    birth=birth,
                    ex=ex,
                    pnr=people.make(birth, female, coordination=rng.random() < 0.08),
                    edu=c.pick(
                        rng, {"compulsory": 0.45, "upper_secondary": 0.3, "post_secondary": 0.15, "unknown": 0.1}
                    ),
                )
            )
    _write(rng, out, persons)
    truth = {
        "participants": len(persons),
        "exited_with_status": sum(p["ex"] is not None for p in persons),
        "work_or_study_at_exit": sum(p["ex"] in ("work", "subsidised_work", "study") for p in persons),
        "share_work_or_study_at_exit": 0.55,
        "by_track": {
            t: {"exited_with_status": v[2], "work_or_study": v[3], "share": c.rounded(v[3] / v[2])}
            for t, v in TRACKS.items()
        },
        "target_threshold": 0.8,
        "target_met": False,
    }
    assert truth["work_or_study_at_exit"] == 33 and truth["exited_with_status"] == 60
    _write_yml(out, truth)
    return truth


def _write(rng, out: Path, persons) -> None:
    header = [
        "Personnummer",
        "Startdatum",
        "Slutdatum",
        "Kön",
        "Yrkesspår",
        "Utbildningsnivå",
        "Försörjning vid start",
        "Avslutsorsak",
        "Försörjning vid avslut",
    ]
    exit_label = dict(c.EXIT_SV, subsidised_work="Extratjänst")
    rows = []
    order = rng.permutation(len(persons))
    for k in order:
        p = persons[int(k)]
        inc = (
            "wage"
            if p["ex"] in ("work", "subsidised_work")
            else "student_aid"
            if p["ex"] == "study"
            else "activity_support"
        )
        pnr = int(p["pnr"]) if rng.random() < 0.3 else c.fmt_pnr(p["pnr"], "12-")  # Excel turned some into numbers
        rows.append(
            [
                pnr,
                c.excel_serial(p["start"]),
                p["end"],
                c.GENDER_SV["female" if p["female"] else "male"],
                TRACKS[p["track"]][0],
                c.EDUCATION_SV[p["edu"]],
                "Etableringsersättning",
                exit_label[p["ex"]] if p["ex"] else "",
                c.INCOME_SV[inc] if p["ex"] else "",
            ]
        )
    ghost = c.People(np.random.default_rng(SEED + 1))

    def extra(pnr=None, **kw):
        row = list(rows[0])
        row[0] = pnr or c.fmt_pnr(ghost.make(dt.date(1991, 7, 1 + len(kw)), False), "12-")
        for key, v in kw.items():
            row[header.index(key)] = v
        return row

    young = ghost.make(dt.date(2001, 3, 9), True)
    mess = [
        # invalid_id: the leading 0 lost in a *text* cell (typed or pasted without it); a numeric cell
        # missing its zero would be restored by the cleaning, a text cell is a typing error and stays invalid
        extra(str(int(young[2:]))),
        extra(c.fmt_pnr(c.bad_check_digit(ghost.make(dt.date(1984, 12, 1), True)), "12-")),  # invalid_id (check digit)
        extra(Slutdatum=dt.date(2018, 1, 31)),  # end_after_period
        extra(Yrkesspår="Barnskötare"),  # unknown_track
        extra(Startdatum=None),  # no_start_or_referral
        list(rows[9]),  # duplicate_enrolment
    ]
    for k, m in enumerate(mess):
        rows.insert(6 + 9 * k, m)
    c.write_xlsx(out / "deltagare.xlsx", header, rows, sheet="Deltagare")


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# Pilotprojekt Etableringsresurs, Västerås -- SYNTHETIC example project generated by\n"
        "# `python -m examples` (edit examples/etableringsresurs_vasteras.py).\n"
        "# Owner, period, budget, target and strands are from Västerås stad's project page; the data are made up."
    )
    sections = [
        (
            "The project",
            {
                "name": "Pilotprojekt Etableringsresurs",
                "owner": "AMA Arbetsmarknad, Västerås stad",
                "region": "Västmanland",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": PERIOD[1],
                "budget_sek": 2359060,
                "target_group": (
                    "Nyanlända i etableringen med intresse för och förmåga att arbeta inom vård, kök eller lokalvård"
                ),
                "language": "sv",
            },
        ),
        (
            "Data protection: synthetic data, so the public demo key may pseudonymise it",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "Success and the vocational strands (tracks)",
            {
                "work_or_study": ["work", "subsidised_work", "study", "work_and_study"],
                "tracks": list(TRACKS),
                "labels": {"tracks": {k: {"sv": v[0], "en": TRACK_EN[k]} for k, v in TRACKS.items()}},
                "cohort_by": "track",
            },
        ),
        (
            "The project's own target: 80 % of those who exit go on to work or studies",
            {
                "targets": [
                    {
                        "id": "work_or_study_at_exit",
                        "metric": "share_work_or_study_at_exit",
                        "threshold": 0.8,
                        "label_sv": "80 % av de avslutade till arbete eller studier",
                        "label_en": "80% of those who exit go on to work or studies",
                    }
                ],
            },
        ),
        (
            "Files: one Excel export with Swedish headers; start dates lost their date format (bare Excel serials)",
            {
                "files": {
                    "participants": {
                        "path": "deltagare.xlsx",
                        "sheet": "Deltagare",
                        "values": {"track": {v[0]: k for k, v in TRACKS.items()} | {"Städ": "cleaning"}},
                    }
                },
            },
        ),
        ("What the generator planted (for tests; not read by the analyses)", {"planted_truth": truth}),
    ]
    c.write_yml(out / "project.yml", header, sections)
