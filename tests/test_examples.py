"""The five bundled example projects: they clean, reconcile, leak no personnummer,
carry the documented mess, reproduce byte for byte, and their planted truths can be
recovered from the processed data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import examples as synthetic
from analysis.clean.identity import find_personnummer_in_text
from analysis.clean.run import clean_project
from analysis.project.config import load_project

ROOT = Path(__file__).resolve().parents[1]

RAW = ROOT / "data" / "raw"
PROJECTS = list(synthetic.PROJECTS)

# The mess each example carries (data/raw/README.md): file -> rules that must be quarantined.
EXPECTED_RULES = {
    "c2-lycksele": {
        "deltagare.csv": {
            "invalid_id",
            "end_before_start",
            "start_outside_period",
            "unknown_label",
            "no_start_or_referral",
            "duplicate_enrolment",
            "impossible_age",
        },
        "uppfoljning.csv": {"unknown_person", "no_followup_time", "unknown_label"},
        "enkat.sav": {"response_off_scale", "duplicate_answer", "unknown_person", "unknown_item"},
    },
    "barnfamiljer-goteborg": {
        "deltagare.csv": {"duplicate_enrolment", "end_before_start"},
        "forsorjning_manad.xlsx": {"unknown_label", "duplicate_month", "unknown_person"},
    },
    "framtidsjobb-avesta": {
        "deltagare.csv": {"end_before_start", "end_after_period", "unreadable_date", "not_a_number", "re_enrolment"},
        "status_manad.csv": {"unknown_label", "empty_required"},
    },
    "alv-vast": {
        "deltagare.csv": {
            "invalid_id",
            "end_before_start",
            "start_outside_period",
            "unknown_label",
            "empty_id",
            "unknown_track",
            "duplicate_enrolment",
        },
        "jamforelsegrupp.sav": {"comparison_is_participant", "duplicate_comparison", "invalid_id"},
        "status_manad.csv": {"unknown_label", "unreadable_month", "duplicate_month", "unknown_person"},
        "forsorjning_manad.csv": {"unknown_label", "unreadable_month", "duplicate_month", "unknown_person"},
    },
    "etableringsresurs-vasteras": {
        "deltagare.xlsx": {
            "invalid_id",
            "end_after_period",
            "unknown_track",
            "no_start_or_referral",
            "duplicate_enrolment",
        },
    },
}


@pytest.fixture(scope="module")
def cleaned():
    cache = {}

    def get(pid):
        if pid not in cache:
            cache[pid] = clean_project(load_project(RAW / pid), env={})
        return cache[pid]

    return get


@pytest.mark.parametrize("pid", PROJECTS)
def test_reconciliation_adds_up(cleaned, pid):
    r = cleaned(pid)
    assert r.balanced
    for f in r.files:
        assert f.rows_read == f.rows_kept + f.rows_rejected, f.file
        # every rejected row is named in rejected.csv
        assert r.problems.loc[r.problems["file"] == f.file, "row"].nunique() == f.rows_rejected
        # the mess stays a few per cent of the rows
        assert f.rows_rejected <= max(10, 0.06 * f.rows_read), f.file


@pytest.mark.parametrize("pid", PROJECTS)
def test_expected_mess_is_quarantined(cleaned, pid):
    got = cleaned(pid).problem_counts().groupby("file")["rule"].apply(set).to_dict()
    assert got == EXPECTED_RULES[pid]


def test_every_cleaning_rule_is_exercised(cleaned):
    from analysis.project.contract import FILE_COLUMNS

    source = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "src" / "analysis" / "clean").glob("*.py"))
        if p.name != "labels.py"
    )
    # a rule code is the snake_case literal followed by its message (which has spaces)
    rules = set(re.findall(r'"([a-z]+(?:_[a-z]+)+)",\s*f?"[^"]* ', source)) - set(FILE_COLUMNS)
    used = set().union(*(set(cleaned(p).problems["rule"]) for p in PROJECTS))
    assert {"invalid_id", "duplicate_enrolment", "end_before_start"} <= rules  # the scan finds the rule codes
    assert rules <= used, f"rules no example exercises: {sorted(rules - used)}"


@pytest.mark.parametrize("pid", PROJECTS)
def test_no_personnummer_leaves_the_cleaning(cleaned, pid):
    r = cleaned(pid)
    for name, df in r.tables.items():
        text = df.astype(str).to_csv(index=False)
        assert find_personnummer_in_text(text) == [], name
    assert find_personnummer_in_text(r.problems.to_csv(index=False)) == []


def test_raw_examples_do_hold_valid_personnummer():
    """The leak test above would be empty-handed if the raw files had none."""
    text = (RAW / "alv-vast" / "deltagare.csv").read_text(encoding="cp1252")
    assert len(find_personnummer_in_text(text)) >= 370


def test_regeneration_is_byte_identical(tmp_path):
    synthetic.generate(tmp_path)
    assert synthetic.file_hashes(tmp_path) == synthetic.file_hashes(RAW)


def test_every_project_yml_validates_with_planted_truth():
    for pid in PROJECTS:
        cfg = load_project(RAW / pid).config
        assert cfg.synthetic and cfg.planted_truth, pid


# --- planted truths, recovered from the processed tables ------------------------------------


def _status_at(panel: pd.DataFrame, persons: pd.DataFrame, date_col: str, months: int) -> pd.Series:
    m = persons[date_col].dt.to_period("M").dt.to_timestamp() + pd.DateOffset(months=months)
    pan = panel.assign(person_key=panel["person_key"].astype(str), status=panel["status"].astype(str))
    got = persons[["person_key"]].assign(month=m.to_numpy()).merge(pan, on=["person_key", "month"], how="left")
    return got["status"]


def test_alv_vast_naive_shares_and_adjusted_effects(cleaned):
    import statsmodels.formula.api as smf

    r = cleaned("alv-vast")
    truth = r.project.config.planted_truth
    p, c, pan = r.tables["participants"], r.tables["comparison"], r.tables["status_monthly"]
    assert (len(p), len(c)) == (truth["participants"], truth["comparison_persons"])
    ws = ["work", "study"]
    yp = _status_at(pan, p, "start_date", 12).isin(ws).to_numpy()
    yc = _status_at(pan, c, "reference_date", 12).isin(ws).to_numpy()
    assert yp.mean() == pytest.approx(truth["naive_share_work_or_study_12m_participants"], abs=1e-4)
    assert yc.mean() == pytest.approx(truth["naive_share_work_or_study_12m_comparison"], abs=1e-4)
    a = pd.concat([p.assign(D=1.0, y=yp.astype(float)), c.assign(D=0.0, y=yc.astype(float))], ignore_index=True)
    rhs = " ~ D + age_at_start + C(gender) + C(education) + C(origin) + support_before_months + earnings_before"
    for outcome, effect in (
        ("y", truth["effect_work_or_study_12m"]),
        ("earnings_after", truth["effect_earnings_after_sek"]),
    ):
        fit = smf.ols(outcome + rhs, a).fit(cov_type="HC1")
        assert abs(fit.params["D"] - effect) < 2.5 * fit.bse["D"], outcome
    # selection makes the naive difference a biased estimate (participants have a worse prognosis)
    naive = yp.mean() - yc.mean()
    assert naive < truth["effect_work_or_study_12m"] - 0.02


def test_framtidsjobb_cohort_survival(cleaned):
    from analysis.survival.spells import build_spells, first_spell_after, time_to_first

    r = cleaned("framtidsjobb-avesta")
    cfg, truth = r.project.config, r.project.config.planted_truth
    p = r.tables["participants"]
    spells = build_spells(r.tables["status_monthly"], cfg.panel_work_or_study, cfg.bridge_gap_months, r.data_end)
    first = first_spell_after(spells, p)
    first["cohort"] = first["start_date"].dt.year.astype(str)
    hazards = []
    for cohort, t in truth["survival_in_work_or_study_by_cohort"].items():
        g = first[first["cohort"] == cohort]
        events, exposure = g["event"].sum(), g["duration"].sum()
        h = events / exposure
        se = np.sqrt(h * (1 - h) / exposure)
        assert abs(h - t["monthly_hazard_leaving"]) < 3 * se, cohort
        assert h == pytest.approx(t["sample_hazard_events_per_month"], abs=0.005), cohort
        hazards.append(h)
    assert hazards[0] > hazards[1] > hazards[2]  # 2016 leaves fastest, 2018 stays longest
    ttf = time_to_first(r.tables["status_monthly"], p, cfg.panel_work_or_study, data_end=r.data_end)
    share12 = ((ttf["event"] == 1) & (ttf["time"] <= 12)).mean()
    expected = 1 - 0.95**13
    assert abs(share12 - expected) < 3 * np.sqrt(expected * (1 - expected) / len(ttf))
    assert share12 == pytest.approx(truth["time_to_first_work_or_study"]["sample_share_within_12_months"], abs=0.01)


def test_barnfamiljer_leave_income_support(cleaned):
    r = cleaned("barnfamiljer-goteborg")
    truth = r.project.config.planted_truth
    p, pan = r.tables["participants"], r.tables["status_monthly"]
    assert len(p) == truth["participants"] == 30
    before = _status_at(pan, p, "start_date", -1)
    after = _status_at(pan, p, "start_date", 12)
    assert (before == "income_support").all()
    assert (after != "income_support").mean() == pytest.approx(truth["share_off_income_support_start_plus_12"])
    assert truth["share_off_income_support_start_plus_12"] == pytest.approx(0.6)


def test_c2_lycksele_counts_and_targets(cleaned):
    from analysis.tables.participants import populations
    from analysis.tables.targets import evaluate_target

    r = cleaned("c2-lycksele")
    cfg, truth = r.project.config, r.project.config.planted_truth
    pop = populations(r.tables["participants"], r.data_end).sum()
    assert (pop["referred"], pop["enrolled"], pop["exited"]) == (174, 153, 97)
    rows = {t.id: evaluate_target(t, cfg, r.tables, r.data_end) for t in cfg.targets}
    plan, ss = truth["action_plan_within_14_days_sample"], truth["self_supporting_within_12_months_sample"]
    assert (rows["action_plan"]["successes"], rows["action_plan"]["n"]) == (plan["successes"], plan["n"])
    assert (rows["self_supporting_12m"]["successes"], rows["self_supporting_12m"]["n"]) == (ss["successes"], ss["n"])
    assert rows["self_supporting_12m"]["status"] == "not_met" and rows["action_plan"]["status"] == "not_met"
    sv = r.tables["survey"]
    pos = sv.assign(pos=sv["response"] >= 4).groupby(["wave", "item"])["pos"].mean()
    for wave, items in truth["survey_positive_share_sample"].items():
        for item, share in items.items():
            assert pos[(wave, item)] == pytest.approx(share, abs=1e-4)


def test_etableringsresurs_share_at_exit(cleaned):
    from analysis.tables.targets import evaluate_target

    r = cleaned("etableringsresurs-vasteras")
    cfg, truth = r.project.config, r.project.config.planted_truth
    row = evaluate_target(cfg.targets[0], cfg, r.tables, r.data_end)
    assert (row["successes"], row["n"]) == (truth["work_or_study_at_exit"], truth["exited_with_status"]) == (33, 60)
    assert row["status"] == "not_met"
    p = r.tables["participants"]
    by = p[p["exit_status"].notna()].groupby("track")["exit_status"].apply(lambda s: s.isin(cfg.work_or_study).mean())
    for track, t in truth["by_track"].items():
        assert by[track] == pytest.approx(t["share"], abs=1e-4)
