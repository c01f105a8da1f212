"""results.json: merging the sections, the schema, headline numbers, the summary and the index."""

from __future__ import annotations

import copy
import json

import pytest

from analysis.project.config import load_project
from analysis.report.headlines import headlines
from analysis.report.index import build_index
from analysis.report.results import save_section
from analysis.report.results_file import merge_results, validate_results, write_results
from analysis.report.summary import findings_sentences, summary_html, title_page_html
from report_fixtures import make_mini


def _table(rows: dict, columns: list[dict], order=None, rows_are=None) -> dict:
    return {
        "rows_are": rows_are,
        "groups_are": None,
        "keys_are": None,
        "min_cell": 5,
        "columns": columns,
        "order": order or list(rows),
        "rows": rows,
    }


def _results(project) -> dict:
    targets = _table(
        {"t1": {"status": "met"}, "t2": {"status": "not_met"}, "t3": {"status": "not_measurable"}},
        [{"key": "status", "kind": "code", "of": "target_status"}],
        rows_are="target",
    )
    defs = {
        "t1": {
            "metric": "share_work_or_study_at_exit",
            "threshold": 0.5,
            "label_sv": "Hälften i arbete",
            "label_en": "Half in work",
        },
        "t2": {
            "metric": "action_plan_within_days",
            "threshold": 0.8,
            "label_sv": "Handlingsplan",
            "label_en": "Action plan",
        },
        "t3": {
            "metric": "participants_reached",
            "threshold": 200,
            "label_sv": "200 deltagare",
            "label_en": "200 participants",
        },
    }
    km = _table(
        {
            "total": {
                "n": 60,
                "events": 20,
                "median": [18.0, 12.0, 24.0],
                "s6": [0.8, 0.7, 0.9],
                "s12": [0.653, 0.52, 0.76],
            }
        },
        [
            {"key": "n", "kind": "count"},
            {"key": "events", "kind": "count"},
            {"key": "median", "kind": "estimate", "of": "general"},
            {"key": "s6", "kind": "estimate", "of": "share", "digits": 0},
            {"key": "s12", "kind": "estimate", "of": "share", "digits": 0},
        ],
        rows_are="total",
    )
    share = {"n": 40, "share": 0.45, "ci": [0.306, 0.602]}
    wos = _table(
        {"exit": {"among_all": share, "among_followed_up": share, "no_status": {"count": 0}}},
        [
            {"key": k, "kind": kd, "group": g}
            for g in ("among_all", "among_followed_up")
            for k, kd in (("n", "count"), ("share", "share"), ("ci", "interval"))
        ]
        + [{"key": "count", "kind": "count", "group": "no_status"}],
        rows_are="timepoint",
    )
    flow = _table(
        {"enrolled": {"count": 40}, "referred": {"count": 52}, "exited": {"count": 35}, "planned": {"count": 50}},
        [{"key": "count", "kind": "count"}],
        rows_are="flow",
    )
    return {
        "schema_version": 3,
        "project": {
            "id": "mini",
            "name": project.config.name,
            "owner": "Testkommunen",
            "region": None,
            "project_number": None,
            "period": {"start": "2020-01-01", "end": "2021-12-31"},
            "budget_sek": 1e6,
            "esf_grant_sek": None,
            "planned_participants": 50,
            "target_group": None,
            "language": "sv",
            "min_cell": 5,
            "synthetic": True,
        },
        "targets": {"min_cell": 5, "table": targets, "definitions": defs},
        "effects": {
            "min_cell": 5,
            "outcomes": {},
            "headline": {
                "estimate": 0.102,
                "lower": 0.041,
                "upper": 0.163,
                "method": "aipw",
                "scale": "risk_difference",
            },
        },
        "survival": {"min_cell": 5, "kaplan_meier": {"total": km}},
        "outcomes": {"work_or_study": wos},
        "participants": {"flow": flow},
    }


@pytest.fixture
def project(tmp_path):
    folder = make_mini(tmp_path)
    return load_project(folder)


def test_headlines(project):
    h = headlines(_results(project))
    assert (h.enrolled, h.planned, h.targets_met, h.targets_not_met, h.targets_not_measurable) == (40, 50, 1, 1, 1)
    nb = "\u00a0"
    assert h.fmt_effect("sv") == f"+10,2 procentenheter (95 % KI 4,1{nb}–{nb}16,3)"
    assert h.fmt_effect("en") == f"+10.2 percentage points (95% CI 4.1{nb}–{nb}16.3)"
    assert h.fmt_survival("sv") == f"65,3{nb}% (95 % KI 52,0{nb}–{nb}76,0{nb}%)"
    assert h.survival_median == 18.0
    assert h.fmt_work_or_study("en") == f"45.0% (95% CI 30.6{nb}–{nb}60.2%)"
    assert h.pointers["survival"] == "/survival/kaplan_meier/total/rows/total/s12"


def test_missing_sections_give_dashes():
    h = headlines({"schema_version": 3})
    assert (h.fmt_effect("sv"), h.fmt_survival("sv"), h.fmt_targets("sv"), h.fmt_count(h.enrolled)) == ("–",) * 4


def test_summary_is_in_one_language(project):
    res = _results(project)
    sv, en = summary_html(res, "sv"), summary_html(res, "en")
    assert "Sammanfattning" in sv and "Målet &quot;Hälften i arbete&quot; är uppnått." in sv and "Summary" not in sv
    assert (
        "The target &quot;Half in work&quot; is met." in en
        and "procentenheter" not in en
        and "Sammanfattning" not in en
    )
    assert len(findings_sentences(headlines(res), "en")) == 7
    page = title_page_html(project.config, project.config.period.end, "sv")
    assert "<h1>Miniprojektet</h1>" in page and "Testkommunen" in page and "Påhittade exempeldata" in page


def test_merge_and_validate_sections(project, tmp_path):
    rep = tmp_path / "reports" / "mini"
    save_section(rep, "targets", {"min_cell": 5, "table": _table({}, []), "definitions": {}})
    save_section(rep, "survival", {"min_cell": 5, "no_data": {"survival": "no_panel"}})
    path = write_results(rep, project)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"schema_version", "project", "targets", "survival"}
    assert data["project"]["period"] == {"start": "2020-01-01", "end": "2021-12-31"}
    assert validate_results(data) == []


def test_schema_rejects_wrong_shapes(project):
    good = _results(project)
    good.pop("outcomes"), good.pop("participants")  # abbreviated in this fixture
    assert validate_results(good) == []
    for path, value in [
        (("targets", "min_cell"), "five"),
        (("survival", "min_cell"), None),
        (("effects", "headline"), {"lower": 0.1}),
        (("project", "language"), "de"),
        (("targets", "table", "columns"), [{"key": "status", "kind": "colour"}]),
        (("survival", "kaplan_meier", "total", "rows", "total", "shown"), {"n": "few"}),
    ]:
        bad = copy.deepcopy(good)
        node = bad
        for k in path[:-1]:
            node = node[k]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        assert validate_results(bad), path
    assert validate_results({**good, "new_section": []})  # unknown sections must be objects


def test_write_results_refuses_invalid(project, tmp_path):
    from analysis.project.errors import FoljevalError

    rep = tmp_path / "reports" / "mini"
    save_section(rep, "targets", {"targets": "none"})
    with pytest.raises(FoljevalError, match="results.schema.json: targets"):
        write_results(rep, project)
    assert not (rep / "results.json").exists()
    assert merge_results(rep, project)["targets"] == {"targets": "none"}


def test_save_section_returns_nothing(tmp_path):
    """A notebook cell ending with it must print nothing into the report (no PosixPath)."""
    from analysis.report.results import section_path

    assert save_section(tmp_path, "demo", {"a": 1}) is None
    assert section_path(tmp_path, "demo").is_file()


def test_index_rows_and_red_row(project, tmp_path):
    root = tmp_path / "idx"
    make_mini(root)
    make_mini(root / "tmp", "other").rename(root / "data" / "raw" / "other")
    ok_dir, bad_dir = root / "reports" / "mini", root / "reports" / "other"
    ok_dir.mkdir(parents=True), bad_dir.mkdir(parents=True)
    (ok_dir / "results.json").write_text(json.dumps(_results(project)), encoding="utf-8")
    (ok_dir / "report.html").write_text("x", encoding="utf-8")
    (ok_dir / "run.json").write_text(json.dumps({"ok": True, "message": ""}), encoding="utf-8")
    (bad_dir / "run.json").write_text(
        json.dumps({"ok": False, "message": "deltagare.csv, column 'Kön': unknown"}), encoding="utf-8"
    )
    page = build_index(root, lang="sv").read_text(encoding="utf-8")
    assert '<a href="mini/report.html">Miniprojektet</a>' in page
    assert (
        "+10,2 procentenheter<br>" in page
        and "65,3\u00a0%<br>" in page
        and '1 av 2<br><span class="fe-note">(1 ej mätbart än)</span>' in page
        and ">40<" in page
    )
    assert 'class="fe-row-failed" data-project="other"' in page and "column &#x27;Kön&#x27;: unknown" in page
    assert build_index(root, lang="sv").read_text(encoding="utf-8") == page
