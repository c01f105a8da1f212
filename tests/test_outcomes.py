"""Outcomes: waves, follow-up rate, transitions, work or study; nobody followed up."""

import datetime as dt

import numpy as np
import pandas as pd

from analysis.tables.outcomes import assign_waves, outcome_tables, wave_bands

END = dt.date(2021, 12, 31)


def frame(n=40):
    statuses = ["work"] * 16 + ["study"] * 8 + ["job_seeking"] * 10 + ["dropped_out"] * 6
    return pd.DataFrame(
        {
            "person_key": [f"x{i}" for i in range(n)],
            "referral_date": pd.Timestamp("2020-01-01"),
            "start_date": pd.Timestamp("2020-01-10"),
            "end_date": pd.Timestamp("2020-06-30"),
            "referred_by": ["soc", "af"] * (n // 2),
            "gender": ["female"] * (n // 2) + ["male"] * (n // 2),
            "age_at_start": pd.array([30] * n, dtype="Int64"),
            "origin": "sweden",
            "education": "compulsory",
            "support_before_months": 12.0,
            "income_at_start": "income_support",
            "income_at_exit": ["wage"] * 20 + ["income_support"] * 20,
            "track": None,
            "action_plan_date": pd.NaT,
            "exit_status": statuses[:n],
        }
    )


def followups(p):
    # 30 of 40 followed up at ~6 months: 15 work, 15 job seeking
    keys = p["person_key"][:30]
    return pd.DataFrame(
        {
            "person_key": keys,
            "followup_date": pd.NaT,
            "months_after_exit": 6.5,
            "status": ["work"] * 15 + ["job_seeking"] * 15,
            "income_source": ["wage"] * 15 + ["income_support"] * 15,
        }
    )


def test_wave_bands():
    assert wave_bands([6, 12]) == [(6, 3.0, 9.0), (12, 9.0, 15.0)]


def test_assign_waves_from_dates_and_closest():
    p = frame()
    f = pd.DataFrame(
        {
            "person_key": ["x0", "x0", "x1", "x2"],
            "followup_date": [
                pd.Timestamp("2020-12-20"),
                pd.Timestamp("2021-06-15"),
                pd.NaT,
                pd.Timestamp("2020-07-15"),
            ],
            "months_after_exit": [np.nan, np.nan, 11.0, np.nan],
            "status": ["work", "study", "sick", "work"],
            "income_source": None,
        }
    )
    w = assign_waves(f, p, END)
    assert set(zip(w["person_key"], w["wave"])) == {("x0", 6), ("x0", 12), ("x1", 12)}  # x2: a contact, not a wave


def test_exit_followup_work_or_study_and_rate():
    p = frame()
    res = outcome_tables(p, followups(p), END, min_cell=5)
    ex = res.exit_status.table.set_index(["category", "group"])
    assert ex.loc[("work", "count"), "count"] == 16 and ex.loc[("work", "count"), "n"] == 40
    wos = {r["timepoint"]: r for r in res.work_or_study.rows}
    assert wos["exit"]["all"].successes == 24 and wos["exit"]["all"].n == 40
    assert wos["6"]["all"].successes == 15 and wos["6"]["all"].n == 40
    assert wos["6"]["followed"].n == 30 and wos["6"]["rate"].share == 0.75
    tr = res.waves[0].transitions.protected.counts
    assert tr.loc["work", "work"] == 15 and tr.loc["__total__", "__total__"] == 30
    inc = res.income.self_supporting
    assert inc["exit"].successes == 20 and inc["6"].successes == 15
    out = res.to_results()
    wos_node = out["work_or_study"]["rows"]
    assert wos_node["6"]["followup_rate"]["share"] == 0.75 and wos_node["6"]["among_followed_up"]["n"] == 30
    assert out["exit_status"]["rows"]["work"]["share"] == 0.4


def test_outcomes_section_shows_the_published_numbers(page):
    from analysis.report.sections.outcomes import OutcomesSection

    p = frame()
    section = OutcomesSection("outcomes", outcome_tables(p, followups(p), END, min_cell=5).published())
    section.show("sv")
    html = "".join(page)
    assert "Bland alla: Underlag" in html and "Bland uppföljda med känd status: Underlag" in html
    assert "Okänd status: Antal" in html
    assert 'data-results="/outcomes/exit_status/rows/work/share">40,0<' in html


def test_nobody_followed_up_and_no_panel_leaves_out_the_rows_after_exit():
    p = frame()
    res = outcome_tables(p, None, END)
    assert res.no_data == {"waves": "no_followups", "after_exit": "no_followups_no_panel"}
    assert res.waves == []  # no follow-up tables of zeros
    assert [r["timepoint"] for r in res.work_or_study.rows] == ["exit"]
    out = res.to_results()
    assert out["work_or_study"]["order"] == ["exit"] and out["work_or_study"]["after_exit_from"] is None


def panel_for(p, status_of):
    """A monthly panel: every exited person 6 months after exit, with status_of(i)."""
    month = pd.Timestamp("2020-12-01")
    return pd.DataFrame(
        {
            "person_key": pd.Categorical(p["person_key"]),
            "month": month,
            "status": pd.Categorical([status_of(i) for i in range(len(p))]),
        }
    )


def test_without_followups_the_panel_gives_work_or_study_after_exit():
    p = frame()
    # 40 exited on 2020-06-30: month 6 after exit is December 2020; 25 at work, 5 unknown, 10 absent
    status = ["work"] * 25 + ["unknown"] * 5 + ["job_seeking"] * 10
    panel = panel_for(p, lambda i: status[i]).iloc[:30]
    res = outcome_tables(p, None, END, waves=[6], panel=panel)
    assert "after_exit" not in res.no_data and res.waves == []
    out = res.to_results()["work_or_study"]
    assert out["after_exit_from"] == "panel"
    row = out["rows"]["6"]
    # absent from the panel that month (10) or unknown (5): not in work or study, as in the survival analysis
    assert row["among_all"]["n"] == 40 and row["among_all"]["share"] == 25 / 40
    assert row["among_followed_up"]["n"] == 40 and row["among_followed_up"]["share"] == 25 / 40
    assert row["no_status"]["count"] == 0 and row["followup_rate"]["share"] is None


def test_unknown_exit_status_is_not_counted_as_not_in_work_or_study():
    p = frame().assign(exit_status="unknown")
    res = outcome_tables(p, None, END)
    exit_row = res.to_results()["work_or_study"]["rows"]["exit"]
    assert exit_row["no_status"]["count"] == 40
    assert exit_row["among_followed_up"]["n"] == 0 and exit_row["among_followed_up"]["share"] is None
    p = frame()
    p.loc[:9, "exit_status"] = "unknown"  # 10 unknown, 30 known of which 16 - 10 + 8 ... in work or study
    exit_row = outcome_tables(p, None, END).to_results()["work_or_study"]["rows"]["exit"]
    wos = p["exit_status"].isin(["work", "study"]).sum()
    assert exit_row["among_followed_up"]["n"] == 30 and exit_row["among_followed_up"]["share"] == wos / 30
    assert exit_row["no_status"]["count"] == 10


def test_everyone_still_enrolled():
    p = frame().assign(end_date=pd.NaT, exit_status=None, income_at_exit=None)
    res = outcome_tables(p, None, END)
    assert res.exit_status.protected.counts.loc["__total__", "count"] == 0
    assert res.work_or_study.rows[0]["all"].hidden  # zero denominator: nothing to publish
    assert res.to_results()["exit_status"]["rows"]["total"]["count"] == 0


def test_subgroups_and_small_cells_hidden():
    p = frame()
    res = outcome_tables(p, followups(p), END)
    d = res.exit_status_by["gender"].to_results()
    for row in d["rows"].values():
        for group in ("female", "male", "total"):
            cell = row[group]
            assert cell["count"] is None or cell["count"] == 0 or cell["count"] >= 5
            if "count" in cell.get("shown", {}):
                assert cell["share"] is None and cell["ci"] is None
    assert set(res.exit_status_by) == {"gender", "age_group", "referred_by"}  # no tracks


def test_results_match_json_schema():
    import json
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/outcomes"})
    validator.validate(_plain(_example_result()))


def _example_result():
    p = frame()
    return outcome_tables(p, followups(p), END).to_results()


def test_the_headline_never_reads_unknown_as_not_in_work_or_study():
    from analysis.report.headlines import headlines
    from analysis.report.summary import findings_sentences

    # every exit status unknown: no share at all (not "0,0 %"), and the count of unknown said
    p = frame().assign(exit_status="unknown")
    h = headlines({"outcomes": outcome_tables(p, None, END).to_results()})
    assert h.work_or_study_exit["share"] is None and h.fmt_work_or_study("sv") == "–"
    assert any("okänd för 40" in s for s in findings_sentences(h, "sv"))
    # 10 unknown: the share among the 30 with a known status
    p = frame()
    p.loc[:9, "exit_status"] = "unknown"
    h = headlines({"outcomes": outcome_tables(p, None, END).to_results()})
    assert h.work_or_study_exit["among"] == "among_followed_up"
    assert h.work_or_study_exit["share"] == p["exit_status"].isin(["work", "study"]).sum() / 30
    # 2 unknown pin the known-status base: hidden there, so the lower bound among all is the headline
    p = frame()
    p.loc[:1, "exit_status"] = "unknown"
    h = headlines({"outcomes": outcome_tables(p, None, END).to_results()})
    assert h.work_or_study_exit["among"] == "among_all" and h.work_or_study_exit["unknown_shown"] == "<5"
