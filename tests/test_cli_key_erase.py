"""`foljeval key init`, the key file's permissions, and `foljeval erase`."""

from __future__ import annotations

import os
import stat

import pytest
from typer.testing import CliRunner

from analysis.clean import identity
from analysis.pipeline.cli import app
from analysis.project.errors import KeyMissingError

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _invoke(*args: str, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(app, list(args), env=env, input=input)


@posix_only
def test_key_init_creates_a_private_key_in_a_new_folder_and_refuses_to_overwrite(tmp_path):
    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    repo.mkdir()
    env = {"HOME": str(home), "FOLJEVAL_KEY_FILE": "", "FOLJEVAL_KEY": ""}
    result = _invoke("key", "init", "--root", str(repo), env=env)
    assert result.exit_code == 0, result.output
    key = home / ".config" / "foljeval" / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) == 64
    text = " ".join(result.output.split())
    assert f"created {key}" in text and "Back it up now" in text and "same key for every delivery" in text
    first = key.read_bytes()
    again = _invoke("key", "init", "--root", str(repo), env=env)
    assert again.exit_code == 1 and "exists already" in again.output and key.read_bytes() == first
    # the key is found where `key init` put it
    assert identity.resolve_key(False, env, repo) == (first.strip(), "~/.config/foljeval/key")


@posix_only
def test_key_init_refuses_a_path_inside_the_repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    result = _invoke("key", "init", "--file", str(repo / "key"), "--root", str(repo), env={"HOME": str(tmp_path)})
    assert result.exit_code == 1 and "inside the repository" in result.output
    assert not (repo / "key").exists()


@posix_only
def test_a_key_file_readable_by_others_is_refused_with_the_chmod_command(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    key = tmp_path / "key"
    key.write_text("s" * 64)
    key.chmod(0o644)
    with pytest.raises(KeyMissingError, match=rf"(?s)can be read by other users .*chmod 600 {key}"):
        identity.resolve_key(False, {"FOLJEVAL_KEY_FILE": str(key)}, repo)
    key.chmod(0o640)
    with pytest.raises(KeyMissingError, match="chmod 600"):
        identity.resolve_key(False, {"FOLJEVAL_KEY_FILE": str(key)}, repo)
    key.chmod(0o600)
    assert identity.resolve_key(False, {"FOLJEVAL_KEY_FILE": str(key)}, repo)[0] == b"s" * 64


def test_check_without_a_key_points_to_key_init(mini_project):
    folder, _ = mini_project
    yml = folder / "project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    root = folder.parents[2]
    result = _invoke("check", "mini", "--root", str(root), env={"HOME": str(root), "FOLJEVAL_KEY": ""})
    assert result.exit_code == 1
    assert "foljeval key init" in result.output and "same key" in result.output
    assert "secrets.token_hex" not in result.output  # no more one-off keys generated in the shell


def _built(root):
    """What a report run leaves, including an interrupted run's temporary folders and the lock."""
    for rel in (
        "data/processed/mini/participants.parquet",
        "data/processed/.mini.new-processed-99-x/participants.parquet",
        "data/processed/mini.work/panel.duckdb",
        "reports/mini/report.html",
        "reports/mini/notebooks/01_clean.ipynb",
        "reports/.mini.old/report.html",
        "reports/other/report.html",
        "data/processed/other/participants.parquet",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x" * 2000)
    (root / "data" / "processed" / ".mini.lock").write_text("")


def test_erase_lists_asks_and_removes_everything_derived_but_never_raw_data(mini_project):
    folder, _ = mini_project
    root = folder.parents[2]
    _built(root)
    raw_before = {p.name: p.read_bytes() for p in folder.iterdir()}
    no = _invoke("erase", "mini", "--root", str(root), input="n\n")
    assert no.exit_code == 1 and "nothing removed" in no.output
    assert (root / "reports" / "mini" / "report.html").is_file()
    yes = _invoke("erase", "mini", "--root", str(root), input="y\n")
    assert yes.exit_code == 0, yes.output
    listed = [line.split()[0] for line in yes.output.splitlines() if line.startswith("  ")]
    assert listed == [
        "data/processed/mini/",
        "reports/mini/",
        "data/processed/.mini.new-processed-99-x/",
        "reports/.mini.old/",
        "data/processed/mini.work/",
    ]
    assert "kept: the raw data in data/raw/mini/ and the key" in yes.output
    for rel in ("data/processed/mini", "reports/mini", "reports/.mini.old", "data/processed/mini.work"):
        assert not (root / rel).exists(), rel
    assert not (root / "data" / "processed" / ".mini.lock").exists()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == raw_before  # raw data untouched
    assert (root / "reports" / "other" / "report.html").is_file()  # other projects untouched
    assert (root / "data" / "processed" / "other" / "participants.parquet").is_file()
    again = _invoke("erase", "mini", "--yes", "--root", str(root))
    assert again.exit_code == 0 and "nothing to erase for mini" in again.output


def test_erase_with_yes_rebuilds_the_index_without_the_projects_figures(mini_project):
    from analysis.report.index import build_index

    folder, _ = mini_project
    root = folder.parents[2]
    _built(root)
    (root / "reports" / "mini" / "run.json").write_text('{"project": "mini", "ok": true, "message": ""}')
    build_index(root)
    assert 'href="mini/report.html"' in (root / "reports" / "index.html").read_text(encoding="utf-8")
    result = _invoke("erase", "mini", "--yes", "--root", str(root))
    assert result.exit_code == 0 and "reports/index.html rebuilt" in result.output
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="mini/report.html"' not in index and 'data-project="mini"' in index  # listed as not run


@pytest.mark.parametrize("name", ["../raw", "mini/../../x", "", ".mini"])
def test_erase_refuses_names_that_are_not_a_project_folder(name, tmp_path):
    result = _invoke("erase", name, "--yes", "--root", str(tmp_path))
    assert result.exit_code != 0


def test_logs_and_warnings_printed_by_the_command_line_are_masked(capsys):
    import logging
    import warnings

    from analysis.pipeline.cli import _setup

    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level  # a notebook run earlier in this process may have raised it to ERROR
    try:
        papermill_log.setLevel(logging.WARNING)
        _setup()
        papermill_log.warning("cell failed for %s", "19740625-6482")
        warnings.warn("column 'Anteckning 197406256482' has mixed types", UserWarning, stacklevel=1)
        logging.shutdown()
    finally:
        papermill_log.setLevel(level)
        logging.captureWarnings(False)
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    text = capsys.readouterr().err
    assert "WARNING papermill: cell failed for [personnummer]" in text
    assert "Anteckning [personnummer]" in text and "6482" not in text
