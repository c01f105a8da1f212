"""The report runner: a full build, determinism, isolation of failures, parallel runs."""

from __future__ import annotations

import json

import pytest

from analysis.pipeline.runner import ProjectRun, one_line, run_reports
from analysis.pipeline.steps import Step, with_report
from analysis.report.results_file import SCHEMA_VERSION
from report_fixtures import built_twice, make_mini, write_notebook

pytestmark = pytest.mark.slow  # builds reports (runs the notebooks); not in `make test-fast`


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return built_twice(tmp_path_factory.getbasetemp() / "report-build")


def test_build_writes_report_results_notebooks_and_index(build):
    root, _, runs = build
    assert [r.ok for r in runs] == [True], [r.message for r in runs]
    rep = root / "reports" / "mini"
    assert (rep / "report.html").stat().st_size > 10_000
    assert sorted(p.name for p in (rep / "notebooks").glob("*.ipynb")) == [
        "00_summary.ipynb",
        "01_clean.ipynb",
        "02_demo.ipynb",
        "99_appendix.ipynb",
    ]
    results = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    assert results["schema_version"] == SCHEMA_VERSION == 3
    assert results["project"]["name"] == "Miniprojektet"
    assert results["demo"] == {"participants_read": 5}  # the mini project keeps 5 of 12 rows (2 with a note)
    files = results["cleaning"]["files"]  # the participants file: its rows are persons, 5 kept of 12
    row = files["rows"][files["order"][0]]
    assert (row["rows_read"], row["rows_kept"], row["rows_rejected"]) == (12, 5, 7) and "shown" not in row
    assert (root / "reports" / "index.html").is_file()
    assert "mini: 6 of 6 steps run" in runs[0].summary_line()
    assert runs[0].ran == dict.fromkeys(
        ["clean", "demo", "appendix", "results", "summary", "report"], "forced (--force)"
    )


def test_forced_rebuild_is_byte_identical(build):
    root, first, _ = build
    second = {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "reports").rglob("*")) if p.is_file()
    }
    assert sorted(first) == sorted(second)
    differing = [k for k in first if first[k] != second[k]]
    assert differing == []


def test_executed_notebooks_carry_no_timestamps(build):
    root, _, _ = build
    text = (root / "reports" / "mini" / "notebooks" / "01_clean.ipynb").read_text(encoding="utf-8")
    for needle in ('"start_time"', '"end_time"', '"duration"', '"iopub.execute_input"', '"shell.execute_reply"'):
        assert needle not in text
    assert '"id": "01_clean-injected-parameters"' in text


def test_summary_runs_last_and_sees_results(build):
    """00_summary is executed after results.json exists and is placed first in the report."""
    root, _, _ = build
    html = (root / "reports" / "mini" / "report.html").read_text(encoding="utf-8")
    title = html.index(">Miniprojektet</h1>")
    assert (
        title
        < html.index(">Sammanfattning</h2>")  # one h1, the title: the sections are h2
        < html.index(">Data och datakvalitet</h2>")
        < html.index(">Hur rapporten gjordes</h2>")
    )
    summary = (root / "reports" / "mini" / "notebooks" / "00_summary.ipynb").read_text(encoding="utf-8")
    # the mini project's stand-in notebooks publish no participants: no key figure, and the summary says so
    assert (
        "Testkommunen" in summary
        and "inga resultat att sammanfatta" in summary
        and "Projektplanen anger inga" in summary
    )


def test_one_line_masks_personnummer_and_colours(pnr):
    import datetime as dt

    p = pnr(dt.date(1990, 1, 1), 1, True)
    out = one_line(f"\x1b[31mbad\x1b[0m value\n{p}s\nin row 3")
    assert out == "bad value [personnummer]s in row 3"


def test_failure_is_isolated_and_parallel(tmp_path, capsys):
    """A failing notebook stops only its project; jobs=2 runs both; the index shows the red row;
    the shared kernel starts each notebook with an empty namespace."""
    root = tmp_path / "repo"
    make_mini(root, "good")
    make_mini(root, "bad")
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    write_notebook(nbdir / "01_ok.ipynb", "ok", ["leak = 1\nprint('hello', project)"])
    write_notebook(
        nbdir / "02_check.ipynb",
        "check",
        [
            "assert 'leak' not in globals(), 'the namespace of 01_ok leaked into 02_check'",
            "if project == 'bad':\n    raise ValueError('column kön has an unknown label in row 7')",
        ],
    )
    table = with_report((Step("ok", "01_ok.ipynb"), Step("check", "02_check.ipynb")))
    runs = run_reports(
        ["bad", "good"], jobs=2, root=root, notebooks_dir=nbdir, steps=table, pdf=False, other_language=False
    )
    bad, good = runs[:2]
    assert (bad.project, good.project) == ("bad", "good")
    assert good.ok and not bad.ok
    assert bad.message == (
        "notebook 02_check.ipynb, cell check-03 (In [4]): ValueError: column kön has an unknown label in row 7"
    )
    assert "Traceback" not in bad.message and bad.summary_line().startswith("FAILED  bad: notebook 02_check.ipynb")
    page = (root / "reports" / "bad" / "error.html").read_text(encoding="utf-8")
    assert "Rapporten kunde inte byggas" in page and "unknown label in row 7" in page
    assert "ingen tidigare lyckad rapport" in page and not (root / "reports" / "bad" / "report.html").exists()
    assert json.loads((root / "reports" / "bad" / "run.json").read_text())["ok"] is False
    assert (root / "reports" / "bad" / "error" / "notebooks" / "02_check.ipynb").is_file()  # the failed notebook
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'class="fe-row-failed" data-project="bad"' in index and 'href="bad/error.html"' in index
    assert 'data-project="good"' in index and "good/report.html" in index


def test_cli_exits_non_zero_when_a_project_fails(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from analysis.pipeline import steps
    from analysis.pipeline.cli import app

    monkeypatch.setattr(steps, "STEPS", with_report((Step("fail", "01_fail.ipynb"),)))
    root = tmp_path / "repo"
    make_mini(root)
    (root / "notebooks").mkdir()
    write_notebook(root / "notebooks" / "01_fail.ipynb", "fail", ["raise RuntimeError('stop here')"])
    result = CliRunner().invoke(app, ["report", "mini", "--root", str(root), "--no-pdf", "--one-language"])
    assert result.exit_code == 1
    assert "FAILED  mini: notebook 01_fail.ipynb, cell fail-02 (In [3]): RuntimeError: stop here" in result.output


def test_unknown_project_fails_cleanly(tmp_path):
    root = tmp_path / "repo"
    make_mini(root)
    run = run_reports(["nope"], root=root, notebooks_dir=tmp_path)[0]  # refused before the steps are read
    assert isinstance(run, ProjectRun) and not run.ok and "project.yml" in run.message


def test_publication_scan_fails_the_project_and_removes_the_findings(tmp_path, pnr):
    import datetime as dt

    root = tmp_path / "repo"
    make_mini(root)
    p = pnr(dt.date(1979, 12, 24), 42, False)
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    write_notebook(
        nbdir / "01_leak.ipynb",
        "leak",
        [
            "import json\n"
            "from analysis.pipeline.notebook import setup\n"
            "d = setup(project, root, lang).report_dir / 'sections'\n"
            "d.mkdir(parents=True, exist_ok=True)\n"
            "(d / 'tiny.json').write_text(json.dumps({'n': 3}))",
            f"print('person {p}')",
        ],
    )
    table = with_report((Step("leak", "01_leak.ipynb", outputs=("sections/*",)),))
    run = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=table, pdf=False, other_language=False)[0]
    assert not run.ok
    assert "the publication scan failed" in run.message and "mini/results.json: small_cell: tiny.n = 3" in run.message
    assert "personnummer" in run.message and p not in run.message
    rep = root / "reports" / "mini"
    assert not (rep / "results.json").exists() and not (rep / "report.html").exists()
    assert "Rapporten kunde inte byggas" in (rep / "error.html").read_text(encoding="utf-8")
    failed = (rep / "error" / "notebooks" / "01_leak.ipynb").read_text(encoding="utf-8")
    assert "person [personnummer]" in failed and p not in failed  # the failed run's notebook, masked
