"""Every input that ever crashed the cleaning step, replayed (tests/fixtures/crash_corpus/, see its README)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import fuzz_files as ff
from analysis.clean.run import clean_project
from analysis.project.config import load_project

CORPUS = Path(__file__).parent / "fixtures" / "crash_corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_the_corpus_has_its_cases():
    assert len(CASES) >= 4
    for name in CASES:
        assert {"CAUSE.md", "expect.yml", "project.yml"} <= {p.name for p in (CORPUS / name).iterdir()}, name


@pytest.mark.parametrize("name", CASES)
def test_crash_input_is_cleaned_or_refused_clearly(tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(CORPUS / name, folder)  # raw files are only read, but never risk the fixture
    expect = yaml.safe_load((folder / "expect.yml").read_text(encoding="utf-8"))
    names = [p.name for p in folder.iterdir() if p.name not in ("CAUSE.md", "expect.yml")]
    assert ff.check_folder(folder, names) == expect["outcome"]
    if expect["outcome"] != "cleaned":
        return
    result = clean_project(load_project(folder), env={})
    listed = set(result.problems[["row", "column", "rule"]].itertuples(index=False, name=None))
    assert {tuple(p) for p in expect["problems"]} <= listed
    got = {f.file: [f.rows_read, f.rows_kept, f.rows_rejected] for f in result.files}
    assert got == expect["reconciliation"]
