"""The report in both languages: report.html in the project's language, report.en.html beside it,
linked to each other with hreflang; the index links both; the second language does not clean again."""

from __future__ import annotations

import json
import re

import pytest

from analysis.pipeline.runner import run_reports
from report_fixtures import TINY_STEPS, make_mini, reports_bytes, tiny_notebooks

pytestmark = pytest.mark.slow  # builds reports


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("languages")
    root, nbdir = base / "repo", tiny_notebooks(base / "nb")
    make_mini(root)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False)[0]
    assert run.ok, run.message
    yield root, nbdir, run
    mp.undo()


def _link(page: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<a class="fe-lang-switch fe-screen-only" href="([^"]+)" hreflang="(\w+)" lang="(\w+)">', page)


def test_both_languages_are_built_and_linked(built):
    root, _, run = built
    folder = root / "reports" / "mini"
    sv = (folder / "report.html").read_text(encoding="utf-8")
    en = (folder / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in sv and '<html lang="en">' in en
    assert _link(sv) == [("report.en.html", "en", "en")] and _link(en) == [("report.html", "sv", "sv")]
    # the cleaning section in both; saving it for the other language prints nothing (not even its path)
    assert ">Data och datakvalitet</h2>" in sv and ">Data and data quality</h2>" in en
    assert "PosixPath" not in sv
    assert run.other_seconds is not None and run.other_seconds > 0
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="mini/report.html"' in index and 'href="mini/report.en.html" hreflang="en"' in index


def test_the_second_language_does_not_clean_again(built):
    root, nbdir, _ = built
    processed = root / "data" / "processed" / "mini"
    before = {p.name: p.stat().st_mtime_ns for p in processed.iterdir()}
    run = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False, only=("report",))[0]
    assert run.ok and set(run.ran) == {"report"}, (run.message, run.ran)
    assert {p.name: p.stat().st_mtime_ns for p in processed.iterdir()} == before  # not rewritten
    again = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False)[0]
    assert again.up_to_date


def test_one_language_builds_no_second_report(tmp_path):
    root = tmp_path / "repo"
    make_mini(root)
    nbdir = tiny_notebooks(tmp_path / "nb")
    run = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False, other_language=False)[0]
    assert run.ok, run.message
    page = (root / "reports" / "mini" / "report.html").read_text(encoding="utf-8")
    assert _link(page) == [] and not (root / "reports" / "mini" / "report.en.html").exists()


def test_a_changed_input_reruns_the_second_language_of_its_step_only_and_gives_a_full_rebuilds_bytes(built):
    root, nbdir, _ = built
    folder = root / "reports" / "mini"
    demo_en = (folder / "notebooks" / "en" / "02_demo.ipynb").stat().st_mtime_ns
    yml = root / "data" / "raw" / "mini" / "project.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )  # the appendix shows its checksum
    run = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False)[0]
    assert run.ok and set(run.ran) == {"appendix", "report"}, (run.message, run.ran)
    recorded = json.loads((folder / "steps.json").read_text(encoding="utf-8"))["steps"]
    assert "notebooks/en/99_appendix.ipynb" in recorded["appendix"]["outputs"]
    assert "notebooks/en/02_demo.ipynb" in recorded["demo"]["outputs"]
    assert (folder / "notebooks" / "en" / "02_demo.ipynb").stat().st_mtime_ns == demo_en  # carried over, not run
    incremental = reports_bytes(root)
    full = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False, force=True)[0]
    assert full.ok and len(full.ran) == len(TINY_STEPS.names)
    rebuilt = reports_bytes(root)
    assert sorted(rebuilt) == sorted(incremental)
    assert [name for name in rebuilt if rebuilt[name] != incremental[name] and "index" not in name] == []


def test_the_second_language_in_the_builds_own_kernel_gives_the_same_bytes(tmp_path, monkeypatch):
    # --jobs N > 1 runs it in the build's kernel, in turn; the pages and notebooks must not differ
    from analysis.pipeline import second_language

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root, nbdir = tmp_path / "repo", tiny_notebooks(tmp_path / "nb")
    make_mini(root)
    beside = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False)[0]
    assert beside.ok, beside.message
    first = reports_bytes(root)
    monkeypatch.setattr(second_language, "BESIDE", False)
    in_turn = run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False, force=True)[0]
    assert in_turn.ok, in_turn.message
    again = reports_bytes(root)
    assert "reports/mini/notebooks/en/02_demo.ipynb" in again and sorted(again) == sorted(first)
    assert [name for name in again if again[name] != first[name] and "index" not in name] == []
    assert not [p.name for p in (root / "reports").iterdir() if p.name.startswith(".")]  # no scratch folder left
