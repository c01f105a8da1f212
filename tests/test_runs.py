"""Failed, interrupted and concurrent runs never lose the last good report or processed data.

Each test builds the conftest ``mini`` project with three notebooks (the
repository's 01_clean and two test notebooks): ``03_gate`` waits while ``<root>/gate/`` exists (so that a test can act
while a run is in the middle of its notebooks, after 01_clean has written new
processed tables), ``04_fail`` raises while ``<root>/fail`` exists.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from report_fixtures import make_mini, runs_steps, write_notebook

pytestmark = pytest.mark.slow  # builds reports

GATE = """
import pathlib, time
gate = pathlib.Path(root) / "gate"
if gate.is_dir():
    (gate / "reached").write_text("1")
    for _ in range(1200):  # at most 2 minutes, so that no kernel is left waiting
        if (gate / "open").exists():
            break
        time.sleep(0.1)
"""
FAIL = """
import pathlib
if (pathlib.Path(root) / "fail").exists():
    raise RuntimeError("planted failure for row 3")
"""


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    make_mini(root)
    nb = root / "notebooks"
    nb.mkdir()
    shutil.copy(ROOT / "notebooks" / "01_clean.ipynb", nb / "01_clean.ipynb")
    write_notebook(nb / "03_gate.ipynb", "gate", [GATE])
    write_notebook(nb / "04_fail.ipynb", "fail", [FAIL])
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A repository whose mini project has been reported once (copied by each test)."""
    root = _repo(tmp_path_factory.mktemp("runs"))
    done = _foljeval(root, "report", "mini")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture
def root(built, tmp_path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "repo", symlinks=True))


def _env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "FOLJEVAL_KEY": ""}


# `foljeval` with the steps of these notebooks (report_fixtures.runs_steps) as the default table
PRELUDE = (
    f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r}); import report_fixtures; "
    "report_fixtures.install_steps('runs'); from analysis.pipeline.cli import main; main()"
)


def _foljeval(root: Path, *args: str, wait: bool = True):
    no_pdf = (
        ["--no-pdf", "--one-language"] if args[:1] == ("report",) else []
    )  # the PDF is tested in test_report_pdf.py
    cmd = [sys.executable, "-c", PRELUDE, *args, "--root", str(root), *no_pdf]
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _outputs(root: Path) -> dict[str, bytes]:
    """The live outputs a failed or interrupted run must leave untouched."""
    rep, proc = root / "reports" / "mini", root / "data" / "processed" / "mini"
    files = [rep / "report.html", rep / "results.json", rep / "run.json", *sorted(proc.iterdir())]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def _readable(root: Path) -> None:
    proc = root / "data" / "processed" / "mini"
    for p in proc.glob("*.parquet"):
        pd.read_parquet(p)
    json.loads((root / "reports" / "mini" / "results.json").read_text(encoding="utf-8"))
    assert "</html>" in (root / "reports" / "mini" / "report.html").read_text(encoding="utf-8")


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before reaching {path}: {proc.communicate()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError(f"the run never reached {path}")
        time.sleep(0.1)


def _drop_first_participant(root: Path) -> None:
    """Change the raw data, so that a run that completed would write different processed tables."""
    path = root / "data" / "raw" / "mini" / "deltagare.csv"
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:1] + lines[2:]))


def _leftovers(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for folder in (root / "data" / "processed", root / "reports")
        for p in folder.iterdir()
        if p.name.startswith(".") and not p.name.endswith(".lock")
    )


def test_a_killed_run_leaves_the_previous_outputs_byte_identical(root):
    before = _outputs(root)
    _drop_first_participant(root)
    (root / "gate").mkdir()
    run = _foljeval(root, "report", "mini", wait=False)
    _wait_for(root / "gate" / "reached", run)
    # 01_clean has finished: the new processed tables exist, but only in the run's temporary folder
    staged = list((root / "data" / "processed").glob(".mini.new-processed-*/participants.parquet"))
    assert staged and staged[0].read_bytes() != before["data/processed/mini/participants.parquet"]
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    assert _outputs(root) == before  # report.html, results.json, run.json and every processed file
    _readable(root)
    assert _leftovers(root)  # the killed run's temporary folders are still there ...
    (root / "gate").rename(root / "gate-done")
    again = _foljeval(root, "report", "mini")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _leftovers(root) == []  # ... until the next run recovers
    after = _outputs(root)
    assert after["data/processed/mini/participants.parquet"] != before["data/processed/mini/participants.parquet"]
    _readable(root)


def test_a_second_run_of_the_same_project_is_refused(root):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app
    from analysis.pipeline.runner import build_project

    before = _outputs(root)
    (root / "gate").mkdir()
    first = _foljeval(root, "report", "mini", "--force", wait=False)  # unchanged inputs: forced to reach the gate
    _wait_for(root / "gate" / "reached", first)
    second = _foljeval(root, "report", "mini")  # another process, as a second terminal would start it
    assert second.returncode == 1, (second.stdout, second.stderr)
    assert "another foljeval run" in second.stderr and "wait until it has finished" in second.stderr
    for args in (["clean", "mini"], ["erase", "mini", "--yes"]):
        refused = CliRunner().invoke(app, [*args, "--root", str(root)])
        assert refused.exit_code == 1 and "another foljeval run" in refused.output, (args, refused.output)
    run = build_project(
        "mini", root, steps=runs_steps(), pdf=False, other_language=False
    )  # what `foljeval report --all --jobs 2` meets in its worker
    assert run.refused and not run.ok and run.summary_line().startswith("REFUSED mini: project mini")
    assert _outputs(root) == before  # a refused run writes nothing
    (root / "gate" / "open").write_text("1")
    out, errors = first.communicate(timeout=300)
    assert first.returncode == 0, out + errors
    assert "ok      mini" in out
    assert (root / "reports" / "mini" / "report.html").is_file()


def test_a_failed_run_keeps_the_last_good_report_and_shows_its_error_beside_it(root):
    before = _outputs(root)
    (root / "fail").write_text("1")
    _drop_first_participant(root)
    failed = _foljeval(root, "report", "mini")
    assert failed.returncode == 1
    line = next(x for x in failed.stdout.splitlines() if x.startswith("FAILED"))
    assert "FAILED  mini: notebook 04_fail.ipynb" in line and "planted failure for row 3" in line
    assert "error.html" in line and "the last good report is kept" in line
    rep = root / "reports" / "mini"
    for name in ("report.html", "results.json"):
        assert (rep / name).read_bytes() == before[f"reports/mini/{name}"]
    assert {k: v for k, v in _outputs(root).items() if k.startswith("data/")} == {
        k: v for k, v in before.items() if k.startswith("data/")
    }  # the failed run's new processed tables were not put in place
    _readable(root)
    page = (rep / "error.html").read_text(encoding="utf-8")
    assert "planted failure for row 3" in page and 'href="report.html"' in page
    assert (rep / "error" / "notebooks" / "04_fail.ipynb").is_file()
    assert json.loads((rep / "run.json").read_text())["ok"] is False
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'class="fe-row-failed" data-project="mini"' in index
    assert 'href="mini/report.html"' in index and 'href="mini/error.html"' in index
    (root / "fail").unlink()
    fixed = _foljeval(root, "report", "mini")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert not (rep / "error.html").exists() and not (rep / "error").exists()
    assert json.loads((rep / "run.json").read_text())["ok"] is True
    assert _leftovers(root) == []
