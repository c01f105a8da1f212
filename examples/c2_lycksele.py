"""c2-lycksele: the C2 project, Lycksele (samordningsförbund, 2007-2009).

Planted truth (counts as in the evaluation report of January 2010, data up to June 2009)
---------------------------------------------------------------------------------------
* 174 referred, 153 enrolled (21 referred never started), 97 exited by 2009-06-30.
* Action plan: 85 % of the enrolled get it within 14 days of start (lag 0-14 days),
  the rest after 15-45 days; the target says all (100 %), so it is not met.
* Self-supporting (wage or student aid) within 12 months of start: each enrolled person
  is with probability 0.45; they leave the project that month to work or study. The
  target (50 %) is not met.
* Follow-ups 6 and 12 months after exit (while dated on or before data_end): status
  and income source; persons not self-supporting by 12 months may become so later.
* Surveys (SPSS): at exit and 6-12 months later, five items on a 1-5 scale; the
  probability of a positive answer (4 or 5) per item and wave is in ``planted_truth``.
  Every respondent also answered two open questions (the evaluation's tables 9-10) that the
  evaluator coded into five unordered categories (codes 11-15 in the same SPSS variable, with
  value labels; the open answer itself in the free-text column, never read), probabilities in
  ``CODED_SHARES``.

Two deliveries (``data/raw/c2-lycksele/<data_end>/``, the same file names)
--------------------------------------------------------------------------
* ``2009-06-30``: the files above (``planted_truth`` is this delivery's).
* ``2008-12-31``: the extract the project would have sent half a year earlier, made from the
  same persons as they stood then: only those referred by 2008-12-31; a start, action plan or
  exit after that date not yet there (so some who have left by June 2009 are still enrolled);
  only the follow-ups dated by then; the exit survey only of those who had left and the
  follow-up survey only of those six months past their exit. Its export is as messy as the
  later one (the same kinds of bad rows), written with its own random formats.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from . import _common as c

ID = "c2-lycksele"
SEED = 2007_0174
PERIOD = (dt.date(2007, 1, 1), dt.date(2009, 12, 31))
DATA_END = dt.date(2009, 6, 30)
EARLY_END = dt.date(2008, 12, 31)  # the earlier delivery
N_REFERRED, N_ENROLLED, N_EXITED = 174, 153, 97
P_PLAN, P_SELF = 0.85, 0.45
SCALE = ["Mycket dåligt", "Dåligt", "Varken bra eller dåligt", "Bra", "Mycket bra"]
ITEMS = {
    "q1": "Hur bedömer du din livskvalitet i dag jämfört med före projektet?",
    "q2": "Hur bedömer du din delaktighet i planeringen och valen?",
    "q3": "Hur bedömer du stödet från din coach?",
    "q4": "Hur bedömer du projektets bidrag till din planering mot arbete eller studier?",
    "q5": "Hur bedömer du hur din livssituation har förändrats sedan du avslutade C2?",
}
# The open questions of the evaluation's tables 9-10, coded into categories (a categorical scale)
CODED_ITEMS = {
    "q6": ("Vad kommer du att göra det närmsta året?", "What will you do in the coming year?"),
    "q7": ("Hur tror du din situation är om två år?", "How do you think your situation will be in two years?"),
}
CODED_SV = ["Arbete", "Studier", "Söka arbete", "Annat", "Vet inte"]
CODED_EN = ["Work", "Studies", "Looking for work", "Other", "Don't know"]
CODED_SHARES = {"q6": [0.35, 0.25, 0.2, 0.08, 0.12], "q7": [0.5, 0.2, 0.05, 0.1, 0.15]}
CODED_FIRST = 11  # SPSS code of the first category (1-5 are the five-point scale's)
OPEN_ANSWERS = {0: "Jobba inom vården", 1: "Läsa in gymnasiet på Komvux", 2: "Söka jobb", 3: "Flytta", 4: "Vet ej än"}
POSITIVE = {"exit": {"q1": 0.75, "q2": 0.80, "q3": 0.85, "q4": 0.70}, "followup": {"q1": 0.70, "q4": 0.65, "q5": 0.80}}


def generate(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    people = c.People(rng)
    persons = []
    referrals = sorted(c.random_date(rng, dt.date(2007, 1, 8), dt.date(2009, 5, 29)) for _ in range(N_REFERRED))
    never = set(rng.choice(N_REFERRED, size=N_REFERRED - N_ENROLLED, replace=False).tolist())
    for i, ref in enumerate(referrals):
        young = rng.random() < 0.6
        age = int(rng.integers(18, 30)) if young else int(rng.integers(30, 64))
        female = bool(rng.random() < 0.45)
        birth = c.birth_date(rng, ref, age)
        p = dict(
            ref=ref,
            female=female,
            birth=birth,
            pnr=people.make(birth, female, coordination=(i % 60 == 13)),
            referred_by=c.pick(rng, {"soc": 0.5, "af": 0.25, "fk": 0.15, "region": 0.1}),
            origin=c.pick(rng, {"sweden": 0.75, "nordic": 0.02, "europe": 0.03, "outside_europe": 0.2}),
            income_at_start=c.pick(
                rng,
                {
                    "income_support": 0.55,
                    "activity_support": 0.15,
                    "sickness_benefit": 0.15,
                    "unemployment_insurance": 0.1,
                    "none": 0.05,
                },
            ),
            start=None,
            end=None,
            plan=None,
            ex=None,
            inc=None,
            ss_time=None,
        )
        if i not in never:
            start = c.add_days(ref, int(rng.integers(3, 30)))
            p["start"] = start
            lag = int(rng.integers(0, 15)) if rng.random() < P_PLAN else int(rng.integers(15, 46))
            p["plan"] = c.add_days(start, lag)
            p["self12"] = bool(rng.random() < P_SELF)
            if p["self12"]:
                p["ss_time"] = float(rng.uniform(1, 12))  # months from start
            elif rng.random() < 0.35:
                p["ss_time"] = float(rng.uniform(12.5, 30))
            p["other_exit"] = float(rng.uniform(2, 20))
        persons.append(p)
    _exits(rng, persons)
    followups = _followups(rng, persons)
    survey = _survey(rng, persons)
    late = out / DATA_END.isoformat()
    late.mkdir(parents=True, exist_ok=True)
    _write_participants(rng, late, persons)
    _write_followups(rng, late, followups, people)
    _write_survey(late, survey, people)
    truth = _truth(persons, survey)
    _write_early(out / EARLY_END.isoformat(), persons, followups, survey, people)
    _write_yml(out, truth)
    return truth


def _as_of(p: dict, cut: dt.date) -> dict | None:
    """A person as an extract made on ``cut`` shows them (None: not yet referred)."""
    if p["ref"] > cut:
        return None
    q = dict(p)
    if q["start"] is not None and q["start"] > cut:
        q["start"] = q["plan"] = None
    if q["plan"] is not None and q["plan"] > cut:
        q["plan"] = None
    if q["end"] is not None and q["end"] > cut:
        q["end"], q["ex"], q["inc"] = None, None, None
    return q


def _write_early(out: Path, persons, followups, survey, people) -> None:
    """The earlier delivery: the same persons, follow-ups and answers as known on EARLY_END."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + 20)
    known = [q for q in (_as_of(p, EARLY_END) for p in persons) if q is not None]
    ends = {q["pnr"]: q["end"] for q in known}
    answered = [
        s
        for s in survey
        if ends.get(s["pnr"]) is not None and (s["wave"] == "exit" or _months(ends[s["pnr"]], 6) <= EARLY_END)
    ]
    _write_participants(rng, out, known)
    _write_followups(rng, out, [f for f in followups if f["date"] <= EARLY_END], people, label_date="2008-11-03")
    _write_survey(out, answered, people)


def _months(d0: dt.date, months: float) -> dt.date:
    return c.add_days(d0, months * 30.4375)


def _exits(rng, persons) -> None:
    """Exit dates: self-supporting persons leave to work or study then; others leave for other reasons.

    The number of exits by DATA_END is then set to N_EXITED by keeping the latest other-reason
    exits open (or opening exits for the longest-enrolled), never touching the self-supporting.
    """
    enrolled = [p for p in persons if p["start"] is not None]
    for p in enrolled:
        if p.get("self12"):
            p["end"] = _months(p["start"], p["ss_time"])
            p["ex"] = c.pick(rng, {"work": 0.6, "study": 0.3, "work_and_study": 0.1})
            p["inc"] = "student_aid" if p["ex"] == "study" else "wage"
        else:
            p["end"] = _months(p["start"], p["other_exit"])
            p["ex"] = c.pick(rng, {"other_programme": 0.55, "dropped_out": 0.2, "job_seeking": 0.15, "moved": 0.1})
            p["inc"] = c.pick(rng, {"income_support": 0.6, "activity_support": 0.2, "sickness_benefit": 0.2})
    fixed = [p for p in enrolled if p.get("self12") and p["end"] <= DATA_END]
    others = [p for p in enrolled if not (p.get("self12") and p["end"] <= DATA_END)]
    need = N_EXITED - len(fixed)
    assert 0 <= need <= len(others)
    # Others exit in order of their planned exit date (the longest enrolled get an exit first).
    others.sort(key=lambda p: (p["end"] if not p.get("self12") else dt.date.max, p["start"]))
    for k, p in enumerate(others):
        if k < need:
            if p["end"] > DATA_END:
                p["end"] = c.random_date(rng, max(c.add_days(p["start"], 30), dt.date(2009, 1, 1)), DATA_END)
        else:
            p["end"], p["ex"], p["inc"] = None, None, None


def _followups(rng, persons) -> list[dict]:
    out = []
    for p in persons:
        if p["end"] is None:
            continue
        for k in (6, 12):
            d = _months(p["end"], k)
            if d > DATA_END or rng.random() < 0.12:  # not reached, or not reached by phone
                continue
            months_from_start = (d - p["start"]).days / 30.4375
            ss = p["ss_time"] is not None and p["ss_time"] <= months_from_start
            if ss:
                status = "work" if p["inc"] == "wage" or rng.random() < 0.7 else "study"
                inc = "wage" if status == "work" else "student_aid"
            else:
                status = c.pick(rng, {"other_programme": 0.5, "job_seeking": 0.3, "sick": 0.1, "unknown": 0.1})
                inc = c.pick(rng, {"income_support": 0.6, "activity_support": 0.2, "sickness_benefit": 0.2})
            out.append(dict(pnr=p["pnr"], date=d, months=k, status=status, inc=inc))
    return out


def _survey(rng, persons) -> list[dict]:
    rows = []
    exited = [p for p in persons if p["end"] is not None]
    for p in exited:
        if rng.random() < 0.63:
            for item, pr in POSITIVE["exit"].items():
                rows.append(dict(pnr=p["pnr"], wave="exit", item=item, value=_answer(rng, pr)))
        if _months(p["end"], 6) <= DATA_END and rng.random() < 0.6:
            for item, pr in POSITIVE["followup"].items():
                rows.append(dict(pnr=p["pnr"], wave="followup", item=item, value=_answer(rng, pr)))
    rows[7]["value"] = rows[60]["value"] = 9  # "Vet ej": not on the scale, quarantined by the cleaning
    return rows


def _answer(rng, p_pos: float) -> int:
    return (
        int(rng.choice([4, 5], p=[0.55, 0.45]))
        if rng.random() < p_pos
        else int(rng.choice([1, 2, 3], p=[0.15, 0.3, 0.55]))
    )


def _truth(persons, survey) -> dict:
    enrolled = [p for p in persons if p["start"] is not None and p["start"] <= DATA_END]
    exited = [p for p in enrolled if p["end"] is not None and p["end"] <= DATA_END]
    plan_den = [p for p in enrolled if c.add_days(p["start"], 14) <= DATA_END]
    plan_ok = [p for p in plan_den if (p["plan"] - p["start"]).days <= 14]
    ss_den = [p for p in enrolled if pd.Timestamp(p["start"]) + pd.DateOffset(months=12) <= pd.Timestamp(DATA_END)]
    ss_ok = [p for p in ss_den if p.get("self12")]
    sv = pd.DataFrame(survey)
    sv = sv[sv["value"] <= len(SCALE)]
    share_pos = {
        w: {i: c.rounded((g["value"] >= 4).mean()) for i, g in sv[sv.wave == w].groupby("item")}
        for w in ("exit", "followup")
    }
    return {
        "referred": len(persons),
        "enrolled": len(enrolled),
        "exited": len(exited),
        "referred_never_started": sum(p["start"] is None for p in persons),
        "action_plan_within_14_days_probability": P_PLAN,
        "action_plan_within_14_days_sample": {
            "n": len(plan_den),
            "successes": len(plan_ok),
            "share": c.rounded(len(plan_ok) / len(plan_den)),
        },
        "self_supporting_within_12_months_probability": P_SELF,
        "self_supporting_within_12_months_sample": {
            "n": len(ss_den),
            "successes": len(ss_ok),
            "share": c.rounded(len(ss_ok) / len(ss_den)),
        },
        "exit_to_work_or_study": sum(p["ex"] in ("work", "study", "work_and_study") for p in exited),
        "survey_positive_probability": POSITIVE,
        "survey_positive_share_sample": share_pos,
        "survey_respondents": {w: int(sv[sv.wave == w]["pnr"].nunique()) for w in ("exit", "followup")},
    }


def _write_participants(rng, out: Path, persons) -> None:
    header = [
        "Personnummer",
        "Remissdatum",
        "Remitterande myndighet",
        "Startdatum",
        "Handlingsplan upprättad",
        "Slutdatum",
        "Kön",
        "Födelseår",
        "Härkomst",
        "Försörjning vid start",
        "Avslutsorsak",
        "Försörjning vid avslut",
    ]
    origin_sv = {
        "sweden": "Svensk",
        "nordic": "Övriga Norden",
        "europe": "Övriga Europa",
        "outside_europe": "Utomnordisk",
    }
    rows = []
    for p in persons:
        rows.append(
            [
                c.fmt_pnr(p["pnr"], ["10-", "10", "12-", "12"][int(rng.integers(0, 4))]),
                p["ref"].strftime("%y%m%d"),
                c.REFERRED_SV[p["referred_by"]],
                c.iso(p["start"]),
                c.iso(p["plan"]),
                c.iso(p["end"]),
                "" if rng.random() < 0.3 else c.GENDER_SV["female" if p["female"] else "male"],
                "" if rng.random() < 0.3 else str(p["birth"].year),
                origin_sv[p["origin"]],
                c.INCOME_SV[p["income_at_start"]],
                c.EXIT_SV[p["ex"]] if p["ex"] else "",
                c.INCOME_SV[p["inc"]] if p["inc"] else "",
            ]
        )
    ghost = c.People(np.random.default_rng(SEED + 1))

    def extra(pnr=None, **kw):
        row = list(rows[2])
        row[0] = pnr or c.fmt_pnr(ghost.make(dt.date(1988, 4, 1 + len(kw)), True), "10-")
        for k, v in kw.items():
            row[header.index(k.replace("_", " "))] = v
        return row

    mess = [
        extra(c.fmt_pnr(c.bad_check_digit(ghost.make(dt.date(1985, 6, 6), False)), "10-")),  # invalid_id (check digit)
        extra(c.fmt_pnr(c.bad_check_digit(ghost.make(dt.date(1990, 1, 23), True)), "12")),  # invalid_id (check digit)
        extra(c.fmt_pnr(c.impossible_date(ghost.make(dt.date(1987, 2, 3), True)), "10-")),  # invalid_id (30 February)
        extra(Startdatum="2008-03-10", Slutdatum="2008-01-31"),  # end_before_start
        extra(Remissdatum="061020", Startdatum="2006-11-06", Slutdatum="2007-05-31"),  # start_outside_period
        extra(Avslutsorsak="Praktik"),  # unknown_label
        extra(Remissdatum="", Startdatum=""),  # no_start_or_referral
        extra(c.fmt_pnr(ghost.make(dt.date(2009, 3, 2), True), "12-")),  # impossible_age (born after start)
    ]
    dup = list(rows[40])
    dup[0] = c.fmt_pnr(persons[40]["pnr"], "12-")  # duplicate_enrolment
    mess.append(dup)
    mess.append(list(rows[41]))  # duplicate_enrolment
    for k, m in enumerate(mess):
        rows.insert(15 + 17 * k, m)
    c.write_csv(out / "deltagare.csv", header, rows)


def _write_followups(rng, out: Path, followups, people, label_date: str = "2009-02-02") -> None:
    header = ["Personnummer", "Uppföljningsdatum", "Månader efter avslut", "Sysselsättning", "Försörjningskälla"]
    rows = []
    for f in followups:
        dated = rng.random() < 0.9
        rows.append(
            [
                c.fmt_pnr(f["pnr"], "10-"),
                f["date"].isoformat() if dated else "",
                str(f["months"]),
                c.EXIT_SV[f["status"]],
                c.INCOME_SV[f["inc"]],
            ]
        )
    stranger = c.People(np.random.default_rng(SEED + 3)).make(dt.date(1983, 11, 30), False)
    rows.insert(10, [c.fmt_pnr(stranger, "10-"), "2008-09-15", "6", "Arbete", "Lön"])  # unknown_person
    rows.insert(20, [rows[21][0], "", "", "Arbete", "Lön"])  # no_followup_time
    rows.insert(30, [rows[31][0], label_date, "12", "Praktik", "Lön"])  # unknown_label
    c.write_csv(out / "uppfoljning.csv", header, rows)


def _write_survey(out: Path, survey, people) -> None:
    recs = [
        {
            "respondent": c.fmt_pnr(s["pnr"], "12"),
            "omgang": 1.0 if s["wave"] == "exit" else 2.0,
            "fraga": s["item"],
            "svar": float(s["value"]),
            "kommentar": "",
        }
        for s in survey
    ]
    recs[3]["kommentar"] = "Bra stöd från coachen, fick hjälp med CV."
    recs[50]["kommentar"] = "Ville ha mer praktik."
    recs.insert(30, dict(recs[29]))  # duplicate_answer
    stranger = c.People(np.random.default_rng(SEED + 4)).make(dt.date(1979, 8, 8), True)
    for item in POSITIVE["exit"]:
        recs.append(
            {"respondent": stranger, "omgang": 1.0, "fraga": item, "svar": 4.0, "kommentar": ""}
        )  # unknown_person
    recs.insert(80, dict(recs[79], fraga="q9"))  # unknown_item
    recs += _coded_answers(survey)
    df = pd.DataFrame(recs)
    labels = {
        "omgang": {1.0: "Avslut", 2.0: "Uppföljning"},
        "svar": {float(i + 1): lab for i, lab in enumerate(SCALE)}
        | {9.0: "Vet ej"}
        | {float(CODED_FIRST + i): lab for i, lab in enumerate(CODED_SV)},
    }
    c.write_sav(
        out / "enkat.sav",
        df,
        value_labels=labels,
        column_labels={
            "respondent": "Personnummer",
            "omgang": "Enkätomgång",
            "fraga": "Fråga",
            "svar": "Svar",
            "kommentar": "Övriga synpunkter",
        },
        file_label="C2 deltagarenkät (syntetisk)",
    )


def _coded_answers(survey) -> list[dict]:
    """The coded open answers (q6, q7) of every respondent and wave, from a generator of their own
    (the rest of the data stay as they were); every tenth keeps its open answer as free text."""
    rng = np.random.default_rng(SEED + 5)
    recs = []
    for pnr, wave in dict.fromkeys((s["pnr"], s["wave"]) for s in survey):
        for item, shares in CODED_SHARES.items():
            k = int(rng.choice(len(CODED_SV), p=shares))
            recs.append(
                {
                    "respondent": c.fmt_pnr(pnr, "12"),
                    "omgang": 1.0 if wave == "exit" else 2.0,
                    "fraga": item,
                    "svar": float(CODED_FIRST + k),
                    "kommentar": OPEN_ANSWERS[k] if len(recs) % 10 == 0 else "",
                }
            )
    recs[5]["svar"] = float(CODED_FIRST + len(CODED_SV))  # a code without a category: unknown_category
    return recs


def _write_yml(out: Path, truth: dict) -> None:
    header = (
        "# C2-projektet, Lycksele -- SYNTHETIC example project generated by `python -m examples`\n"
        "# (edit examples/c2_lycksele.py, not this file). Counts and targets are those of the\n"
        "# evaluation report (Westman, January 2010); every person and answer in the data is made up."
    )
    sections = [
        (
            "The project",
            {
                "name": "C2-projektet",
                "owner": "Lycksele kommun, arbetsmarknadsenheten (Samordningsförbundet i Lycksele)",
                "region": "Västerbotten",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "data_end": DATA_END,
                "planned_participants": 200,
                "target_group": (
                    "Personer som står utanför den ordinarie arbetsmarknaden och behöver samordnade "
                    "rehabiliterande insatser; särskilt unga vuxna med försörjningsstöd"
                ),
                "language": "sv",
            },
        ),
        (
            "Data protection: synthetic data, so the public demo key may pseudonymise it",
            {"synthetic": True, "id_type": "personnummer", "min_cell": 5},
        ),
        (
            "Success: work, studies or both; self-supporting = wage or student aid",
            {
                "work_or_study": ["work", "subsidised_work", "study", "work_and_study"],
                "self_supporting": ["wage", "student_aid"],
                "followup_months_after_exit": [6, 12],
            },
        ),
        (
            "The project's own targets",
            {
                "targets": [
                    {
                        "id": "reached",
                        "metric": "participants_reached",
                        "threshold": 200,
                        "label_sv": "200 deltagare 2007-2009",
                        "label_en": "200 participants 2007-2009",
                    },
                    {
                        "id": "action_plan",
                        "metric": "action_plan_within_days",
                        "days": 14,
                        "threshold": 1.0,
                        "label_sv": "Samtliga deltagare har en handlingsplan inom 14 dagar",
                        "label_en": "Every participant has an action plan within 14 days",
                    },
                    {
                        "id": "self_supporting_12m",
                        "metric": "share_self_supporting_within_months",
                        "months": 12,
                        "threshold": 0.5,
                        "label_sv": "50 % självförsörjande (arbete eller studier) inom 12 månader",
                        "label_en": "50% self-supporting (work or study) within 12 months",
                    },
                ],
            },
        ),
        (
            "Survey at exit and 6-12 months later (enkat.sav): q1-q5 on one five-point scale (code 9 'Vet ej'\n"
            "is not on the scale and is quarantined); q6-q7 open answers coded into unordered categories\n"
            "(kind: categorical, codes 11-15 labelled in the file)",
            {
                "survey": {
                    "scales": {
                        "bra5": {
                            "labels_sv": SCALE,
                            "labels_en": ["Very poor", "Poor", "Neither good nor poor", "Good", "Very good"],
                            "agree_from": 4,
                        },
                        "plan": {"kind": "categorical", "labels_sv": CODED_SV, "labels_en": CODED_EN},
                    },
                    "items": [{"id": k, "text_sv": v, "scale": "bra5"} for k, v in ITEMS.items()]
                    + [{"id": k, "text_sv": sv, "text_en": en, "scale": "plan"} for k, (sv, en) in CODED_ITEMS.items()],
                },
            },
        ),
        (
            "Files: participant and follow-up lists (Windows-1252, semicolons; referral dates as YYMMDD) and the\n"
            "survey in SPSS with value labels",
            {
                "files": {
                    "participants": {"path": "deltagare.csv", "values": {"origin": {"Övriga Europa": "europe"}}},
                    "followups": {"path": "uppfoljning.csv"},
                    "survey": {"path": "enkat.sav", "columns": {"omgang": "wave", "fraga": "item"}},
                },
            },
        ),
        ("What the generator planted (for tests; not read by the analyses)", {"planted_truth": truth}),
    ]
    c.write_yml(out / "project.yml", header, sections)
