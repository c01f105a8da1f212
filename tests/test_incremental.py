"""Incremental builds of a real example: skipped steps, --force, --only, and bytes equal to a full rebuild.

One repository with ``barnfamiljer-goteborg`` (the smallest example, the repository's
notebooks) is built once; the tests then change one thing each, in this order, and look
at what ran, what was skipped and what was written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.pipeline.runner import run_reports
from conftest import ROOT

pytestmark = pytest.mark.slow  # builds reports

PROJECT = "barnfamiljer-goteborg"
ANALYSIS = {"clean", "participants", "effects", "survival", "payback"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("incremental") / "repo"
    shutil.copytree(ROOT / "data" / "raw" / PROJECT, root / "data" / "raw" / PROJECT)
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    (root / "pyproject.toml").write_text("")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    mp.setenv("FOLJEVAL_KEY", "")
    first = _build(root)
    assert first.ok and first.ran and not first.skipped, first.message
    yield root
    mp.undo()


def _build(root: Path, **kw):
    runs = run_reports([PROJECT], root=root, pdf=False, other_language=False, **kw)
    assert [r.ok for r in runs] == [True], [r.message for r in runs]
    return runs[0]


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for folder in (root / "reports" / PROJECT, root / "data" / "processed" / PROJECT):
        out |= {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return out


def _stamps(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for folder in (root / "reports" / PROJECT, root / "data" / "processed" / PROJECT)
        for p in folder.rglob("*")
    }


def test_an_unchanged_rerun_is_up_to_date_says_so_and_writes_nothing(repo):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    before, stamps = _files(repo), _stamps(repo)
    result = CliRunner().invoke(app, ["report", PROJECT, "--root", str(repo), "--no-pdf", "--one-language"])
    assert result.exit_code == 0, result.output
    assert f"ok {PROJECT}: up to date, 10 steps skipped (inputs unchanged)" in " ".join(result.output.split())
    assert _files(repo) == before and _stamps(repo) == stamps  # not even rewritten with the same bytes
    assert not [p for p in (repo / "reports").iterdir() if p.name.startswith(f".{PROJECT}.")]  # no temporary folder


def test_a_changed_label_reruns_what_shows_it_and_gives_the_bytes_of_a_full_rebuild(repo):
    yml = repo / "data" / "raw" / PROJECT / "project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("label_sv: 30 barnfamiljer", "label_sv: Trettio familjer"))
    run = _build(repo)
    assert set(run.ran) == {"outcomes", "appendix", "results", "summary", "report"}, run.ran
    assert set(run.skipped) == ANALYSIS and set(run.skipped.values()) == {"inputs unchanged"}
    assert run.ran["outcomes"] == "project.yml targets changed" and run.ran["appendix"] == "project.yml changed"
    assert set(run.notebook_seconds) == {"03_outcomes.ipynb", "99_appendix.ipynb", "00_summary.ipynb"}
    lines = "\n".join(run.step_lines())
    assert "skipped  clean, participants, effects, survival, payback: inputs unchanged" in lines
    incremental = _files(repo)
    assert "Trettio familjer" in incremental[f"reports/{PROJECT}/report.html"].decode("utf-8")
    full = _build(repo, force=True)
    assert not full.skipped and set(full.ran.values()) == {"forced (--force)"} and len(full.ran) == 10
    rebuilt = _files(repo)
    assert sorted(rebuilt) == sorted(incremental)
    assert [name for name in rebuilt if rebuilt[name] != incremental[name]] == []  # notebooks, report, tables


def test_only_runs_the_named_step_and_what_its_output_changes(repo):
    before = _files(repo)
    run = _build(repo, only=("effects",))
    assert run.ran == {"effects": "asked for (--only)"}  # same output: results, summary, report stay
    assert "results" in run.skipped and run.skipped["report"] == "inputs unchanged"
    assert _files(repo) == before


def test_an_output_changed_since_the_last_build_reruns_its_step(repo):
    section = repo / "reports" / PROJECT / "sections" / "survival.json"
    good = section.read_bytes()
    section.write_bytes(good.replace(b"{", b'{"edited by hand": true, ', 1))
    run = _build(repo)
    assert set(run.ran) == {"survival"}, run.ran
    assert run.ran["survival"] == "its outputs changed since the last build (sections/survival.json)"
    assert section.read_bytes() == good


def test_a_changed_text_file_reruns_only_the_report_and_a_broken_reference_fails_naming_file_and_line(repo):
    text = repo / "data" / "raw" / PROJECT / "text" / "slutsatser.md"
    good = text.read_text(encoding="utf-8")
    text.write_text(good + "\nMålet var {{ targets.reached.threshold }} familjer (ändrad text).\n", encoding="utf-8")
    run = _build(repo)
    assert run.ran == {"report": "text file slutsatser.md changed"}, run.ran
    page = (repo / "reports" / PROJECT / "report.html").read_text(encoding="utf-8")
    assert "Målet var 30 familjer (ändrad text)." in page
    before = _files(repo)
    line = len(good.splitlines()) + 2
    text.write_text(good + "\nMålet var {{ targets.reched.threshold }}.\n", encoding="utf-8")
    runs = run_reports([PROJECT], root=repo)
    assert not runs[0].ok
    assert f"{PROJECT}/text/slutsatser.md, line {line}: {{{{ targets.reched.threshold }}}}" in runs[0].message
    assert "results.json has no 'reched' under 'targets.table.rows' (there: reached)" in runs[0].message
    assert "Traceback" not in runs[0].message
    assert (repo / "reports" / PROJECT / "report.html").read_bytes() == before[f"reports/{PROJECT}/report.html"]
    text.write_text(good, encoding="utf-8")
    (repo / "reports" / PROJECT / "error.html").unlink()
