"""ESF's result indicators by sex, from the published outcome tables, and the audit's relations for them."""

from __future__ import annotations

from analysis.disclosure.audit import audit_report
from analysis.disclosure.published import place
from analysis.project.codes import DEFAULT_WORK_OR_STUDY
from analysis.tables.funder import esf_indicators
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
    page.clear()
    OutcomesSection("outcomes", tree).show("en")
    en = "".join(page)
    assert "ESF result indicators by sex" in en and "Women: " in en and "In work, studies or job seeking at exit" in en


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
