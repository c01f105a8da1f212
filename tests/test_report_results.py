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

SHARE = {"n": 40, "successes": 18, "share": 0.45, "lower": 0.306, "upper": 0.602, "suppressed": False}


def _results(project) -> dict:
    return {
        "schema_version": 2,
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
        "targets": {
            "min_cell": 5,
            "targets": [
                {"id": "t1", "status": "met", "label_sv": "Hälften i arbete", "label_en": "Half in work"},
                {"id": "t2", "status": "not_met", "label_sv": "Handlingsplan", "label_en": "Action plan"},
                {"id": "t3", "status": "not_measurable", "label_sv": "200 deltagare", "label_en": "200 participants"},
            ],
        },
        "effects": {
            "available": True,
            "headline": {
                "estimate": 0.102,
                "lower": 0.041,
                "upper": 0.163,
                "method": "aipw",
                "scale": "risk_difference",
            },
        },
        "survival": {
            "available": True,
            "kaplan_meier": {
                "all": {
                    "all": {
                        "n": 60,
                        "events": 20,
                        "median_months": 18.0,
                        "survival": [
                            {"months": 6, "survival": 0.8, "lower": 0.7, "upper": 0.9},
                            {"months": 12, "survival": 0.653, "lower": 0.52, "upper": 0.76},
                        ],
                    }
                }
            },
        },
        "outcomes": {"work_or_study": {"rows": [{"timepoint": "exit", "among_all": SHARE}]}},
        "participants": {"flow": {"enrolled": 40, "referred": 52, "exited": 35, "planned": 50}},
    }


@pytest.fixture
def project(tmp_path):
    folder = make_mini(tmp_path)
    return load_project(folder)


def test_headlines(project):
    h = headlines(_results(project))
    assert (h.enrolled, h.planned, h.targets_met, h.targets_not_met, h.targets_not_measurable) == (40, 50, 1, 1, 1)
    assert h.fmt_effect("sv") == "+10,2 procentenheter (95 % KI 4,1 – 16,3)"
    assert h.fmt_effect("en") == "+10.2 percentage points (95% CI 4.1 – 16.3)"
    assert h.fmt_survival("sv") == "65,3 % (95 % KI 52,0–76,0 %)"
    assert h.survival_median == 18.0
    assert h.fmt_work_or_study("en") == "45.0 % (95% CI 30.6–60.2 %)"


def test_missing_sections_give_dashes():
    h = headlines({"schema_version": 1})
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
    save_section(rep, "targets", {"min_cell": 5, "targets": []})
    save_section(rep, "survival", {"available": False, "reason": "no_panel"})
    path = write_results(rep, project)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"schema_version", "project", "targets", "survival"}
    assert data["project"]["period"] == {"start": "2020-01-01", "end": "2021-12-31"}
    assert validate_results(data) == []


def test_schema_rejects_wrong_shapes(project):
    good = _results(project)
    good.pop("outcomes"), good.pop("participants")  # abbreviated in this fixture
    good["targets"]["targets"] = []  # the full target rows are tested in test_targets.py
    assert validate_results(good) == []
    for path, value in [
        (("targets", "min_cell"), "five"),
        (("survival", "available"), None),
        (("effects", "headline"), {"lower": 0.1}),
        (("project", "language"), "de"),
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
        and "65,3 %<br>" in page
        and "1 av 2 (1 ej mätbart än)" in page
        and ">40<" in page
    )
    assert 'class="fe-row-failed" data-project="other"' in page and "column &#x27;Kön&#x27;: unknown" in page
    assert build_index(root, lang="sv").read_text(encoding="utf-8") == page
