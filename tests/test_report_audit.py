"""The report-wide audit finds hidden counts that only a combination of tables gives away, and the
linked protection of shared margins removes them (each case checked failing first)."""

from __future__ import annotations

import pandas as pd

from analysis.disclosure.audit import audit_report
from analysis.disclosure.proportions import distribution
from analysis.disclosure.suppression import TOTAL

COUNT = [{"key": "count", "kind": "count"}]


def _table(population, rows_are, rows, groups_are=None, groups=None):
    cols = COUNT if groups is None else [{"key": "count", "kind": "count", "group": g} for g in groups]
    return {
        "population": population,
        "rows_are": rows_are,
        "groups_are": groups_are,
        "keys_are": None,
        "columns": cols,
        "order": list(rows),
        "rows": rows,
    }


def _c(v):
    if isinstance(v, int):
        return {"count": v}
    return {"count": None, "shown": {"count": v}}


def _track_and_by_gender():
    """The track table hides study (<5) and work (..); the table by sex shows the 27 in work."""
    track = _table("enrolled", "track", {"study": _c("<5"), "work": _c(".."), "missing": _c(40), "total": _c(70)})
    by_gender = _table(
        "enrolled",
        "gender",
        {
            "female": {"work": _c(12), "total": _c(30)},
            "male": {"work": _c(15), "total": _c(40)},
            "total": {"work": _c(27), "total": _c(70)},
        },
        "track",
        ["work", "total"],
    )
    return track, by_gender


def test_a_cell_each_table_protects_is_pinned_by_the_two_together():
    """Tabell A hides the track counts; Tabell B (by sex) shows the same persons in work: A's study follows."""
    track, by_gender = _track_and_by_gender()
    assert audit_report({"participants": {"tables": {"track": track}}}, 5).ok  # safe on its own
    assert audit_report({"participants": {"tables": {"gender_by_track": by_gender}}}, 5).ok
    both = {"participants": {"tables": {"track": track, "gender_by_track": by_gender}}}
    found = [f.text for f in audit_report(both, 5).recovered]
    assert "participants/tables/track: study (total) is pinned to 3" in found
    assert any(
        "work (total) is hidden but participants/tables/gender_by_track: total (work) shows it (27)" in t for t in found
    )


def test_a_margin_hidden_in_one_table_and_shown_in_another_is_found():
    """c2-lycksele before the linked protection: the exit table showed 8 who dropped out, the table by
    age hid the same 8 in its total column and the age groups' counts then followed."""
    overall = _table("exited", "status", {"work": _c(18), "sick": _c(12), "total": _c(30)})
    by_age = _table(
        "exited",
        "status",
        {
            "work": {"a": _c(".."), "b": _c(".."), "total": _c(18)},
            "sick": {"a": _c("<5"), "b": _c(".."), "total": _c("..")},
            "total": {"a": _c(".."), "b": _c(".."), "total": _c(30)},
        },
        "age_group",
        ["a", "b", "total"],
    )
    res = audit_report({"outcomes": {"exit_status": overall, "exit_status_by": {"age_group": by_age}}}, 5)
    texts = [f.text for f in res.recovered]
    assert any("sick (total) is hidden but outcomes/exit_status: sick (total) shows it (12)" in t for t in texts)


def test_a_sub_population_bounds_a_hidden_count():
    """The alv-vast payback persons before the fix: 382 started, 210 analysed women shown, the men hidden,
    but no more men can be analysed than the 168 men enrolled: men 168, analysed 378, left out 4."""
    flow = {"columns": COUNT, "rows_are": "flow", "order": ["enrolled"], "rows": {"enrolled": _c(382)}}
    gender = _table("enrolled", "gender", {"female": _c(214), "male": _c(168), "total": _c(382)})
    persons = {
        "columns": COUNT,
        "rows_are": "payback_persons",
        "order": ["started", "analysed", "left_out", "female", "male", "gender_unknown"],
        "rows": {
            "started": _c(382),
            "analysed": _c(".."),
            "left_out": _c("<5"),
            "female": _c(210),
            "male": _c(".."),
            "gender_unknown": _c(0),
        },
    }
    results = {"participants": {"flow": flow, "tables": {"gender": gender}}, "payback": {"persons": persons}}
    found = sorted(f.text for f in audit_report(results, 5).recovered)
    assert found == [
        "payback/persons: analysed is pinned to 378",
        "payback/persons: left_out is pinned to 4",
        "payback/persons: male is pinned to 168",
    ]


def test_the_payback_persons_are_protected_with_the_participants_sexes():
    from analysis.payback.analysis import _protect_persons

    counts = {"started": 382, "analysed": 378, "left_out": 4, "female": 210, "male": 168, "gender_unknown": 0}
    counts |= {"started_female": 214, "started_male": 168, "started_gender_unknown": 0}
    counts |= {"left_female": 4, "left_male": 0, "left_gender_unknown": 0}
    shown = _protect_persons(counts, 5).display()
    assert shown["female"] != "210"  # 214 - 210 would give the four women left out away
    assert shown["left_out"] == "<5"


def test_a_breakdown_hides_its_total_column_as_the_overall_table_does():
    df = pd.DataFrame(
        {"status": ["work"] * 12 + ["sick"] * 8 + ["moved"] * 3, "age": (["a", "b"] * 12)[:23]},
    )
    overall = distribution(df, "status", categories=["work", "sick", "moved"])
    by = distribution(
        df, "status", "age", categories=["work", "sick", "moved"], total_column=overall.protected.hidden["count"]
    )
    assert by.protected.hidden[TOTAL].equals(overall.protected.hidden["count"])


def test_the_publication_scan_refuses_a_recoverable_cell_without_repeating_it(tmp_path):
    import json

    from analysis.report.scan import scan_report

    track, by_gender = _track_and_by_gender()
    results = {"participants": {"tables": {"track": track, "gender_by_track": by_gender}}}
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    findings = [f for f in scan_report(tmp_path, 5) if f.kind == "recoverable"]
    assert any("track: study (total) can be worked out" in f.detail for f in findings)
    assert not any("3" in f.detail.replace("participants", "") for f in findings)
    results["participants"]["tables"].pop("gender_by_track")
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    assert [f for f in scan_report(tmp_path, 5) if f.kind == "recoverable"] == []


def test_work_or_study_by_group_leaves_unknown_out_and_shows_only_what_the_exit_table_implies():
    from analysis.disclosure.proportions import binary_from_distribution

    status = ["work"] * 14 + ["study"] * 9 + ["job_seeking"] * 12 + ["unknown"] * 6 + ["sick"] * 3
    df = pd.DataFrame({"exit_status": status, "gender": (["female", "male"] * 22)})
    overall = distribution(df, "exit_status", rows_are="status", population="exited")
    by = distribution(
        df,
        "exit_status",
        "gender",
        rows_are="status",
        population="exited",
        total_column=overall.protected.hidden["count"],
    )
    shares = binary_from_distribution(by, ["work", "study"], ["unknown"], name="wos")
    total = shares.table.set_index("column").loc[TOTAL]
    assert (total["n"], total["successes"]) == (38, 23)  # the six unknown are not "not in work or study"
    pt, src = shares.protected, by.protected
    for col in pt.counts.columns:
        if (
            src.hidden.loc[["work", "study"], col].any()
            and not src.hidden.loc[["job_seeking", "sick", "unknown"], col].any()
        ):
            assert not pt.hidden.loc["yes", col]  # the column's total minus the rest: hiding it would protect nothing
    results = {"outcomes": {"exit_status_by": {"gender": by.published().to_results()}}}
    results["outcomes"]["work_or_study"] = {"codes": ["work", "study"]}
    results["outcomes"]["work_or_study_at_exit_by"] = {"gender": shares.published().to_results()}
    assert audit_report(results, 5).findings == []
