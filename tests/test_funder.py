"""ESF's result indicators and SUS's income before and after, by sex, from the published outcome tables, and the
audit's relations for them."""

from __future__ import annotations

from analysis.disclosure.audit import audit_report
from analysis.disclosure.published import place
from analysis.project.codes import DEFAULT_WORK_OR_STUDY
from analysis.tables.funder import esf_indicators, income_by_sex
from analysis.tables.outcomes import outcome_tables
from test_outcomes import END, followups
from test_outcomes import frame as outcome_frame

# women: 10 work, 5 study, 5 job seeking; men: 5 work, 5 study, 5 job seeking, 5 dropped out
STATUSES = ["work"] * 10 + ["study"] * 5 + ["job_seeking"] * 5 + ["work", "study", "job_seeking", "dropped_out"] * 5


def frame():
    p = outcome_frame()
    p["exit_status"] = STATUSES
    return p


def _tree(p, fu=None):
    res = outcome_tables(p, fu, END)
    tree = res.published()
    tree["esf"] = esf_indicators(res, DEFAULT_WORK_OR_STUDY)
    tree["income_by_sex"] = income_by_sex(p, END, res)
    return res, tree


def test_known_values_by_sex_at_exit_and_six_months_after():
    p = frame()
    _, tree = _tree(p, followups(p))
    esf = tree["esf"]
    assert esf.rows == ["exit", "followup_6"] and esf.groups == ["female", "male", "total"]
    assert not esf.withheld
    sexes = esf.groups
    assert [esf.cell("exit", "successes", g).value for g in sexes] == [20, 15, 35]
    assert [esf.cell("exit", "n", g).value for g in sexes] == [20, 20, 40]
    assert esf.cell("exit", "share", "male").value == 0.75
    # six months after exit: 20 women followed up (15 work, 5 job seeking), 10 men (all job seeking)
    assert [esf.cell("followup_6", "n", g).value for g in sexes] == [20, 10, 30]
    assert esf.cell("followup_6", "successes", "female").value == 15
    assert esf.cell("followup_6", "share", "total").value == 0.5
    assert esf.meta["codes"]["exit"] == [*DEFAULT_WORK_OR_STUDY, "job_seeking"]


def test_without_follow_ups_only_the_exit_indicator():
    _, tree = _tree(frame())
    assert tree["esf"].rows == ["exit"] and "followup_6" not in tree["esf"].meta["codes"]


def test_a_small_count_is_hidden_and_the_audit_finds_it_safe_and_checks_it():
    p = frame()
    men = ["work"] * 3 + ["study"] * 3 + ["job_seeking"] * 10 + ["dropped_out"] * 4  # three small cells
    p.loc[p.index[20:], "exit_status"] = men
    _, tree = _tree(p)
    results = place(tree, "/outcomes")
    found = audit_report({"outcomes": results}, 5)
    assert found.findings == [], found.summary()
    node = results["esf"]
    assert node["populations"] == {"exit": "exited"}
    male = node["rows"]["exit"]["male"]
    assert male["n"] == 20 and male["successes"] is None and male["shown"]["successes"] == ".."
    # the audit knows the relations: the men's 16 shown beside their base of 20 gives away the
    # 4 who dropped out, hidden in the exit table, and the audit says so
    leaked = {**node, "rows": {"exit": {**node["rows"]["exit"], "male": {"n": 20, "successes": 16, "share": 0.8}}}}
    assert audit_report({"outcomes": {**results, "esf": leaked}}, 5).findings


def test_the_section_shows_women_men_and_total_in_both_languages(page):
    from analysis.report.sections.outcomes import OutcomesSection

    p = frame()
    _, tree = _tree(p, followups(p))
    OutcomesSection("outcomes", tree).show("sv")
    sv = "".join(page)
    assert "ESF:s resultatindikatorer per kön" in sv and "Kvinnor: " in sv and "Män: " in sv and "Totalt: " in sv
    assert "I arbete eller studier 6 månader efter avslut" in sv and "arbetssökande" in sv
    assert "Försörjning före och efter, per kön" in sv and "Försörjningsstöd vid start" in sv
    assert "Egen försörjning vid avslut" in sv and "lön eller studiemedel" in sv and "avslutsorsak per kön" in sv
    page.clear()
    OutcomesSection("outcomes", tree).show("en")
    en = "".join(page)
    assert "ESF result indicators by sex" in en and "Women: " in en and "In work, studies or job seeking at exit" in en
    assert "Income before and after, by sex" in en and "Income support at exit" in en and "supporting at start" in en
    assert "wage or student aid" in en and "exit reasons by sex" in en


def test_results_match_json_schema():
    import json
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/outcomes"})
    p = frame()
    _, tree = _tree(p, followups(p))
    validator.validate(_plain(place(tree, "/outcomes")))


# income at start and at exit, 20 women then 20 men (the hand count below)
START = (
    ["income_support"] * 12 + ["wage"] * 8 + ["income_support"] * 10 + ["student_aid"] * 5 + ["activity_support"] * 5
)
EXIT = ["income_support"] * 6 + ["wage"] * 14 + ["income_support"] * 5 + ["wage"] * 10 + ["activity_support"] * 5


def income_frame(exit_sources=EXIT):
    p = frame()
    p["income_at_start"] = START
    p["income_at_exit"] = exit_sources
    return p


def test_income_by_sex_equals_a_hand_count():
    p = income_frame()
    _, tree = _tree(p)
    table = tree["income_by_sex"]
    assert table.rows == [
        "income_support_start",
        "income_support_exit",
        "self_supporting_start",
        "self_supporting_exit",
    ]
    assert table.groups == ["female", "male", "total"] and not table.withheld
    sexes = table.groups

    def counts(row, key="successes"):
        return [table.cell(row, key, g).value for g in sexes]

    assert counts("income_support_start") == [12, 10, 22]
    assert counts("self_supporting_start") == [8, 5, 13]  # wage and student aid
    assert counts("income_support_exit") == [6, 5, 11]
    assert counts("self_supporting_exit") == [14, 10, 24]
    assert counts("income_support_start", "n") == [20, 20, 40]
    assert table.cell("self_supporting_exit", "share", "female").value == 0.7
    assert table.meta["populations"]["income_support_start"] == "enrolled"
    assert table.meta["populations"]["self_supporting_exit"] == "exited"
    assert table.meta["codes"]["self_supporting_start"] == ["wage", "student_aid"]


def test_a_missing_income_source_is_outside_the_base():
    p = income_frame()
    p.loc[p.index[[20, 21, 22, 23, 24]], "income_at_exit"] = None  # five men with no source at exit
    _, tree = _tree(p)
    table = tree["income_by_sex"]
    assert [table.cell("income_support_exit", "n", g).value for g in table.groups] == [20, 15, 35]
    assert table.cell("income_support_exit", "share", "male").value == 0.0


def test_a_small_income_cell_is_hidden_not_recoverable_and_a_leak_is_caught():
    # three men on income support at exit: shown nowhere, and the women's count must go too,
    # since the income table shows the 9 in total
    exit_sources = ["income_support"] * 6 + ["wage"] * 14 + ["income_support"] * 3 + ["wage"] * 12 + ["other"] * 5
    p = income_frame(exit_sources)
    _, tree = _tree(p)
    results = place(tree, "/outcomes")
    assert results["income"]["rows"]["income_support"]["exit"]["count"] == 9
    found = audit_report({"outcomes": results}, 5)
    assert found.findings == [], found.summary()
    row = results["income_by_sex"]["rows"]["income_support_exit"]
    assert row["male"]["successes"] is None and row["male"]["shown"]["successes"] == "<5"
    assert row["female"]["successes"] is None and row["total"]["successes"] == 9
    published = [
        v
        for r in results["income_by_sex"]["rows"].values()
        for c in r.values()
        for v in (c.get("n"), c.get("successes"))
    ]
    assert all(v is None or v == 0 or v >= 5 for v in published)
    # the women's 6 shown: 9 - 6 gives away the three men, and the audit says so
    leaked_female = {**row["female"], "successes": 6, "shown": {}}
    leaked_rows = {**results["income_by_sex"]["rows"], "income_support_exit": {**row, "female": leaked_female}}
    leaked = {**results, "income_by_sex": {**results["income_by_sex"], "rows": leaked_rows}}
    findings = audit_report({"outcomes": leaked}, 5).recovered
    assert any("income_by_sex/income_support_exit: male (successes)" in f.text for f in findings), findings
