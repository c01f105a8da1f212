"""vagen-vidare-sjobygden: Vägen vidare, Samordningsförbundet Sjöbygden (2023-01-01..2024-12-31).

A made-up samordningsförbund project (no published description behind it): the project
text is written after how such projects describe themselves (a joint insats of the
municipality's social services, Arbetsförmedlingen, Försäkringskassan and the region
for persons far from the labour market, most on ekonomiskt bistånd). Its raw files are
shaped like the two exports an evaluator of such a project receives, and are read with
project.yml mappings alone (no edits of the raw files).

Layout of the exports (written down before the generator, from how the systems export)
-------------------------------------------------------------------------------------
``deltagare_sus.xlsx``: a participant export as SUS (the samordningsförbund follow-up
system) gives it, one sheet per year ("Deltagare 2023", "Deltagare 2024"):

* rows 1-5 title and info rows, one text cell each: "SUS - Sektorsövergripande system
  för uppföljning av samordningsförbund", "Deltagarförteckning", "Samordningsförbund:
  Samordningsförbundet Sjöbygden", "Insats: Vägen vidare", "Utskriftsdatum: 2025-01-15";
  row 6 blank; row 7 the header;
* header 2023: Personnummer, Namn, Kön, Födelsedatum, Inskriven, Utskriven, Orsak till
  avslut, Försörjning vid inskrivning, Försörjning vid utskrivning, Insats; header 2024
  the same with "Ålder" instead of "Födelsedatum" (the export changed between years);
* personnummer as people leave them in Excel: text "19850312-4567", text
  "850312-4567", and numbers (a 12-digit number; for persons born 2000-2009 the
  10-digit number, whose leading zero Excel dropped: 9 digits);
* anonymous participants (SUS registers persons who do not give their personnummer):
  empty Personnummer and Namn, with Kön and Ålder/Födelsedatum;
* "Felregistrering" as Orsak till avslut for registrations made by mistake;
* repeated episodes: persons who left in 2023 and were registered again in 2024;
* dates as date cells, and as text "23-09-19", "15 november 2023", "15 nov. 2023";
  Utskriven "pågår", "-" or empty while the person is still in the insats;
* below the data, after a blank row: "Totalt antal rader: 90" (a footer, not a person).

``ekonomiskt_bistand_manad.csv``: a municipal income-support extract, Windows-1252,
``;``, one row per person and one column per month 202201..202412:

* line 1 a title line "Utbetalt ekonomiskt bistånd per person och månad (kr), uttag
  2025-01-15", line 2 blank, line 3 the header "Personnummer;202201;...;202412";
* amounts in kronor as Swedish Excel writes them: "12 345" with a non-breaking space,
  "4 560,50" with a decimal comma; an empty cell is a month without payment;
* a last line "Summa;..." with the month totals (a footer).

Planted truth
-------------
* 160 persons with a personnummer, 7 anonymous rows, 3 registration errors, 8 persons
  with a second episode: 178 participant rows (90 in 2023, 88 in 2024).
* 18 persons born 2000-2006 whose personnummer is an Excel number without its zero:
  all restored and kept.
* Income support: 75 % of the persons were on income support in every month from 12
  months before their start month; after the start month they leave it with a constant
  monthly probability of 0.08 (once off, they stay off). Months on income support in the
  36 months before the start (the derived support_before_months) and the share on
  income support at start + 12 are stored as sample figures.
* Exit status: 40 % of those who exit go to work or studies.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from . import _common as c

ID = "vagen-vidare-sjobygden"
SEED = 2023_0101
PERIOD = (dt.date(2023, 1, 1), dt.date(2024, 12, 31))
MONTHS = [c.month_no(dt.date(2022, 1, 1)) + i for i in range(36)]  # 2022-01 .. 2024-12
FIRST_NAMES = ["Anna", "Erik", "Fatima", "Johan", "Leila", "Mohammed", "Sara", "Ahmed", "Maria", "Ali", "Elin"]
LAST_NAMES = ["Andersson", "Hassan", "Johansson", "Karlsson", "Nilsson", "Ali", "Lindberg", "Omar", "Berg"]
TITLES = [
    "SUS - Sektorsövergripande system för uppföljning av samordningsförbund",
    "Deltagarförteckning",
    "Samordningsförbund: Samordningsförbundet Sjöbygden",
    "Insats: Vägen vidare",
    "Utskriftsdatum: 2025-01-15",
]
INCOME_START = {
    "income_support": 0.55,
    "disability_benefit": 0.12,
    "sickness_benefit": 0.1,
    "unemployment_insurance": 0.08,
    "activity_support": 0.08,
    "none": 0.07,
}
EXIT = {"work": 0.22, "study": 0.12, "subsidised_work": 0.06, "job_seeking": 0.25, "sick": 0.12}
EXIT |= {"other_programme": 0.1, "moved": 0.05, "dropped_out": 0.08}
EXIT_LABEL = dict(c.EXIT_SV, subsidised_work="Arbete med stöd")  # mapped in project.yml
INCOME_LABEL = dict(c.INCOME_SV, income_support="Ekonomiskt bistånd", disability_benefit="Aktivitetsersättning")


def _person(rng, people, year: int, young: bool) -> dict:
    start = c.random_date(rng, dt.date(year, 1, 10), dt.date(year, 11, 30))
    age = int(rng.integers(19, 24)) if young else int(rng.integers(25, 62))
    if young:
        birth = dt.date(int(rng.integers(2000, 2005)), int(rng.integers(1, 13)), int(rng.integers(1, 28)))
    else:
        birth = c.birth_date(rng, start, age)
    female = bool(rng.random() < 0.55)
    months_in = int(rng.integers(3, 16))
    end = c.add_days(start, 30.4 * months_in)
    open_ = end > PERIOD[1] or rng.random() < 0.12
    return {
        "pnr": people.make(birth, female),
        "female": female,
        "birth": birth,
        "start": start,
        "end": None if open_ else end,
        "exit": None if open_ else c.pick(rng, EXIT),
        "income_start": c.pick(rng, INCOME_START),
        "young": young,
        "name": f"{FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]} {LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]}",
        "on_support": bool(rng.random() < 0.75),
    }


def _persons(rng, people) -> list[dict]:
    persons = []
    young_left = 18
    for year, n in ((2023, 84), (2024, 76)):
        for i in range(n):
            young = young_left > 0 and i % 8 == 3
            young_left -= young
            persons.append(_person(rng, people, year, young) | {"year": year})
    assert sum(p["young"] for p in persons) == 18 and len(persons) == 160
    return persons


def _pnr_cell(rng, p: dict):
    if p["young"]:
        return int(c.fmt_pnr(p["pnr"], "10"))  # Excel number: "0312045678" -> 312045678
    r = rng.random()
    if r < 0.2:
        return int(p["pnr"])  # 12-digit number
    return c.fmt_pnr(p["pnr"], "12-" if r < 0.7 else "10-")


def _date_cell(rng, d: dt.date | None, open_word: str = ""):
    if d is None:
        return open_word
    r = rng.random()
    if r < 0.75:
        return d
    if r < 0.85:
        return d.strftime("%y-%m-%d")  # 23-09-19
    month = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti"]
    month += ["september", "oktober", "november", "december"]
    name = month[d.month - 1]
    return f"{d.day} {name} {d.year}" if r < 0.93 else f"{d.day} {name[:3]}. {d.year}"


def _row(rng, p: dict, year: int, start, end, exit_) -> list:
    income_exit = "wage" if exit_ in ("work", "subsidised_work") else "student_aid" if exit_ == "study" else None
    income_exit = income_exit or (p["income_start"] if exit_ else None)
    age_or_birth = (
        p["birth"]
        if year == 2023
        else (start.year - p["birth"].year - ((start.month, start.day) < (p["birth"].month, p["birth"].day)))
    )
    return [
        _pnr_cell(rng, p),
        p["name"],
        "Kvinna" if p["female"] else "Man",
        age_or_birth,
        _date_cell(rng, start),
        _date_cell(rng, end, ["pågår", "-", ""][int(rng.integers(3))]),
        EXIT_LABEL[exit_] if exit_ else "",
        INCOME_LABEL[p["income_start"]],
        INCOME_LABEL[income_exit] if income_exit else "",
        "Vägen vidare",
    ]


def _sheets(rng, persons: list[dict]) -> tuple[dict[str, list[list]], dict]:
    rows = {2023: [], 2024: []}
    exited_2023 = [p for p in persons if p["year"] == 2023 and p["end"] is not None and p["end"].year == 2023]
    again = exited_2023[:8]  # a second episode in 2024
    for p in persons:
        rows[p["year"]].append(_row(rng, p, p["year"], p["start"], p["end"], p["exit"]))
    for p in again:
        start2 = c.random_date(rng, dt.date(2024, 2, 1), dt.date(2024, 10, 31))
        rows[2024].append(_row(rng, p, 2024, start2, None, None))
        p["episodes"] = 2
    anon_female = [True, False, True, True, False, False, True]
    for k, female in enumerate(anon_female):
        year = 2023 if k < 4 else 2024
        start = c.random_date(rng, dt.date(year, 2, 1), dt.date(year, 8, 31))
        age = int(rng.integers(22, 60))
        birth_or_age = c.birth_date(rng, start, age) if year == 2023 else age
        end = c.add_days(start, 120) if k % 2 == 0 else None
        rows[year].append(
            ["", "", "Kvinna" if female else "Man", birth_or_age, start, end or "pågår"]
            + [EXIT_LABEL["job_seeking"] if end else "", "Ekonomiskt bistånd", "", "Vägen vidare"]
        )
    ghost = c.People(np.random.default_rng(SEED + 1))
    for k in range(3):  # registrations made by mistake
        year = 2023 if k < 2 else 2024
        start = c.random_date(rng, dt.date(year, 3, 1), dt.date(year, 9, 30))
        pnr = ghost.make(c.birth_date(rng, start, 40), k % 2 == 0)
        rows[year].append(
            [c.fmt_pnr(pnr, "12-"), "Okänd Okänd", "Man", 40 if year == 2024 else c.birth_date(rng, start, 40)]
            + [start, start, "Felregistrering", "Ingen ersättning", "", "Vägen vidare"]
        )
    # one unknown exit label (kept as unknown, listed) and one combined income label
    rows[2023][10][6] = "Föräldraledig"
    rows[2023][20][8] = "Lön + ekonomiskt bistånd"
    order = {y: rng.permutation(len(r)) for y, r in rows.items()}
    sheets = {}
    for year in (2023, 2024):
        header = ["Personnummer", "Namn", "Kön", "Födelsedatum" if year == 2023 else "Ålder", "Inskriven"]
        header += [
            "Utskriven",
            "Orsak till avslut",
            "Försörjning vid inskrivning",
            "Försörjning vid utskrivning",
            "Insats",
        ]
        data = [rows[year][int(i)] for i in order[year]]
        sheets[f"Deltagare {year}"] = (
            [[t] for t in TITLES] + [[]] + [header] + data + [[]] + [[f"Totalt antal rader: {len(data)}"]]
        )
    counts = {"2023": len(rows[2023]), "2024": len(rows[2024])}
    return sheets, counts


def _kronor(x: float) -> str:
    whole, frac = divmod(round(x * 100), 100)
    text = f"{whole:,}".replace(",", "\u00a0")
    return f"{text},{frac:02d}" if frac else text


def _panel(rng, persons: list[dict]) -> tuple[list[list[str]], dict]:
    header = ["Personnummer"] + [f"{m // 12:04d}{m % 12 + 1:02d}" for m in MONTHS]
    rows, before, at12, observed12 = [], [], [], []
    for p in persons:
        s = c.month_no(p["start"])
        amounts = []
        on = p["on_support"]
        for m in MONTHS:
            if m < s:
                paid = on and m >= s - 12
            elif m == s:
                paid = on
            else:
                on = on and rng.random() >= 0.08
                paid = on
            amounts.append(float(rng.integers(4000, 14000)) + (0.5 if rng.random() < 0.1 else 0.0) if paid else 0.0)
        before.append(sum(1 for m, a in zip(MONTHS, amounts) if s - 36 <= m < s and a > 0))
        if s + 12 <= MONTHS[-1]:
            at12.append(amounts[MONTHS.index(s + 12)] > 0)
            observed12.append(True)
        pnr = c.fmt_pnr(p["pnr"], "12" if rng.random() < 0.5 else "12-")
        rows.append([pnr] + [_kronor(a) if a > 0 else "" for a in amounts])
    others = c.People(np.random.default_rng(SEED + 2))
    for k in range(3):  # persons on income support who are not participants (quarantined: unknown person)
        pnr = others.make(dt.date(1975 + k, 3, 3), k % 2 == 0)
        rows.insert(20 * (k + 1), [pnr] + [_kronor(9000.0) for _ in MONTHS])
    rows.insert(70, list(rows[69]))  # the same person twice (an overlapping extract): duplicate months
    totals = [
        sum(float(r[i].replace("\u00a0", "").replace(",", ".") or 0) for r in rows) for i in range(1, len(header))
    ]
    footer = ["Summa"] + [_kronor(t) for t in totals]
    truth = {
        "support_before_months_mean_sample": c.rounded(float(np.mean(before)), 4),
        "on_support_month_before_start_share": c.rounded(float(np.mean([p["on_support"] for p in persons])), 4),
        "on_income_support_start_plus_12_sample": {"n": len(at12), "on_support": int(sum(at12))},
    }
    return [header, *rows, footer], truth


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    persons = _persons(rng, people)
    sheets, counts = _sheets(rng, persons)
    c.write_workbook(out / "deltagare_sus.xlsx", sheets)
    panel, panel_truth = _panel(rng, persons)
    title = "Utbetalt ekonomiskt bistånd per person och månad (kr), uttag 2025-01-15"
    c.write_csv(out / "ekonomiskt_bistand_manad.csv", [title], [[], *panel])
    exits = [p["exit"] for p in persons if p["exit"]]
    truth = {
        "participant_rows": sum(counts.values()),
        "rows_per_sheet": counts,
        "persons_with_personnummer": len(persons),
        "anonymous_rows": 7,
        "registration_errors": 3,
        "persons_with_two_episodes": 8,
        "excel_numbers_without_leading_zero": 18,
        "exit_share_work_or_study_sample": c.rounded(
            sum(e in ("work", "study", "subsidised_work") for e in exits) / len(exits), 4
        ),
    } | panel_truth
    assert truth["participant_rows"] == 178
    _write_yml(out, truth)
    return truth


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# Vägen vidare, Samordningsförbundet Sjöbygden -- SYNTHETIC example project generated by\n"
        "# `python -m examples` (edit examples/vagen_vidare_sjobygden.py). A made-up project; the raw files\n"
        "# are shaped like a SUS participant export and a municipal income-support extract and are read as they are."
    )
    sections = [
        (
            "The project",
            {
                "name": "Vägen vidare",
                "owner": "Samordningsförbundet Sjöbygden",
                "region": "Sjöbygden",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": PERIOD[1],
                "budget_sek": 4200000,
                "planned_participants": 150,
                "target_group": (
                    "Personer 19-64 år som står långt från arbetsmarknaden och behöver samordnat stöd från "
                    "kommunen, Arbetsförmedlingen, Försäkringskassan och regionen"
                ),
                "language": "sv",
            },
        ),
        (
            "Data protection: synthetic data, so the public demo key may pseudonymise it",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "The project's own targets (a threshold may be written as in the project plan: 40 %)",
            {
                "targets": [
                    {"id": "reached", "metric": "participants_reached", "threshold": 150},
                    {
                        "id": "work_or_study_at_exit",
                        "metric": "share_work_or_study_at_exit",
                        "threshold": "40 %",
                        "label_sv": "40 % av de avslutade till arbete eller studier",
                        "label_en": "40% of those who exit go on to work or studies",
                    },
                    {
                        "id": "work_or_study_12m",
                        "metric": "share_work_or_study_within_months",
                        "months": 12,
                        "threshold": "0,3",
                        "label_sv": "30 % i arbete eller studier inom 12 månader",
                        "label_en": "30% in work or study within 12 months",
                    },
                ]
            },
        ),
        (
            "Files, as delivered: the SUS export (two sheets, title rows, footer, anonymous rows, episodes)\n"
            "and the municipality's income-support extract (one column per month, amounts in kronor)",
            {
                "files": {
                    "participants": {
                        "path": "deltagare_sus.xlsx",
                        "sheet": "*",
                        "columns": {"Namn": "ignore", "Insats": "ignore"},
                        "values": {"exit_status": {"Arbete med stöd": "subsidised_work"}},
                        "anonymous": "count",
                        "episodes": "all",
                    },
                    "status_monthly": {
                        "path": "ekonomiskt_bistand_manad.csv",
                        "encoding": "cp1252",
                        "domain": "income_support",
                    },
                }
            },
        ),
        ("What the generator planted (for tests; not read by the analyses)", {"planted_truth": truth}),
    ]
    c.write_yml(out / "project.yml", header, sections)
