"""Derived folders replaced whole, recovery after an interrupted swap, the project lock and atomic files."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from analysis.project import workspace
from analysis.project.errors import FoljevalError, ProjectBusyError


def _folder(path, **files):
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def _contents(path):
    return {p.relative_to(path).as_posix(): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()}


def test_replace_folder_swaps_whole_and_leaves_nothing_beside(tmp_path):
    live = _folder(tmp_path / "p", **{"a.txt": "old", "stale.txt": "gone"})
    new = _folder(tmp_path / ".p.new-1", **{"a.txt": "new"})
    workspace.replace_folder(new, live)
    assert _contents(live) == {"a.txt": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_replace_folder_puts_the_old_folder_back_when_the_new_one_cannot_move(tmp_path, monkeypatch):
    live = _folder(tmp_path / "p", **{"a.txt": "old"})
    new = _folder(tmp_path / ".p.new-1", **{"a.txt": "new"})
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # rename-new-in fails (e.g. Windows: a file of the new folder is open)
            raise PermissionError(13, "Access is denied")
        return real(src, dst)

    monkeypatch.setattr(workspace.os, "replace", flaky)
    with pytest.raises(FoljevalError, match="could not replace .*open in another program"):
        workspace.replace_folder(new, live)
    assert _contents(live) == {"a.txt": "old"}


@pytest.mark.parametrize("killed_after", ["old_moved_away", "new_moved_in"])
def test_recover_after_a_run_killed_in_the_middle_of_a_swap(tmp_path, killed_after):
    live = _folder(tmp_path / "p", **{"a.txt": "old"})
    new = _folder(tmp_path / ".p.new-1-x", **{"a.txt": "new"})
    os.replace(live, tmp_path / ".p.old")  # step 1 of replace_folder
    if killed_after == "new_moved_in":
        os.replace(new, live)  # step 2; killed before step 3
    done = workspace.recover(live)
    expected = "old" if killed_after == "old_moved_away" else "new"
    assert _contents(live) == {"a.txt": expected}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]
    assert done and all(line.split()[0] in {"restored", "removed"} for line in done)


def test_staged_folder_leaves_the_live_folder_on_any_exception(tmp_path):
    live = _folder(tmp_path / "p", **{"a.txt": "old"})
    for exc in (ValueError("bad"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with workspace.staged_folder(live) as staging:
                (staging / "a.txt").write_text("half")
                raise exc
    assert _contents(live) == {"a.txt": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]
    with workspace.staged_folder(live) as staging:
        (staging / "b.txt").write_text("new")
    assert _contents(live) == {"b.txt": "new"}


def test_clean_result_write_interrupted_keeps_the_previous_tables(tmp_path, monkeypatch, mini_project):
    from analysis.clean import clean_project, store
    from analysis.project.config import load_project

    folder, _ = mini_project
    result = clean_project(load_project(folder))
    out = tmp_path / "processed" / "mini"
    result.write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = store.write_table

    def dies_after_one(folder, name, df):
        if name != "participants":
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing
        return real(folder, name, df)

    monkeypatch.setattr(store, "write_table", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        result.write(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == ["mini"]  # no temporary folder, no partial parquet
    assert len(pd.read_parquet(out / "participants.parquet")) == len(result.tables["participants"])


def test_atomic_write_text_replaces_or_keeps(tmp_path, monkeypatch):
    path = tmp_path / "index.html"
    workspace.atomic_write_text(path, "one")
    workspace.atomic_write_text(path, "two")
    assert path.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["index.html"]
    monkeypatch.setattr(workspace.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        workspace.atomic_write_text(path, "three")
    assert path.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_the_lock_refuses_a_second_holder_in_this_and_in_another_process(tmp_path):
    with workspace.project_lock("p", tmp_path) as lock:
        assert lock == tmp_path / "data" / "processed" / ".p.lock"
        with pytest.raises(ProjectBusyError, match="being built by another foljeval run"):
            with workspace.project_lock("p", tmp_path):
                pass
        code = (
            "import sys; from pathlib import Path; from analysis.project import workspace; "
            "sys.exit(3 if workspace.is_locked('p', Path(sys.argv[1])) else 0)"
        )
        assert subprocess.run([sys.executable, "-c", code, str(tmp_path)]).returncode == 3
        assert not workspace.is_locked("other", tmp_path)
    assert not workspace.is_locked("p", tmp_path)  # released with the block


def test_derived_paths_list_everything_but_the_raw_data(tmp_path):
    root = tmp_path
    raw = _folder(root / "data" / "raw" / "p", **{"project.yml": "x"})
    _folder(root / "data" / "processed" / "p", **{"participants.parquet": "x"})
    _folder(root / "data" / "processed" / ".p.new-processed-12-ab", x="1")
    _folder(root / "data" / "processed" / "p.work", **{"panel.duckdb": "1"})
    _folder(root / "reports" / "p", **{"report.html": "x"})
    _folder(root / "reports" / ".p.old", **{"report.html": "x"})
    _folder(root / "reports" / "pp", **{"report.html": "another project"})
    (root / "data" / "processed" / ".p.lock").write_text("")
    found = {p.relative_to(root).as_posix() for p in workspace.derived_paths("p", root)}
    assert found == {
        "data/processed/p",
        "data/processed/.p.new-processed-12-ab",
        "data/processed/p.work",
        "data/processed/.p.lock",
        "reports/p",
        "reports/.p.old",
    }
    assert raw.is_dir()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_swapped_in_folders_and_files_have_ordinary_permissions(tmp_path):
    import stat

    (tmp_path / "plain").mkdir()
    (tmp_path / "plain.txt").write_text("x")
    live = tmp_path / "p"
    with workspace.staged_folder(live) as staging:
        (staging / "a.txt").write_text("new")
    workspace.atomic_write_text(tmp_path / "index.html", "x")
    assert stat.S_IMODE(live.stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    assert stat.S_IMODE((tmp_path / "index.html").stat().st_mode) == stat.S_IMODE(
        (tmp_path / "plain.txt").stat().st_mode
    )


def test_outside_any_checkout_the_root_is_the_checkout_the_package_runs_from(tmp_path, monkeypatch):
    """Run from a folder that is no repository, the command falls back to its own checkout (not its src/)."""
    from analysis.project.paths import repo_root
    from conftest import ROOT

    monkeypatch.delenv("FOLJEVAL_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert repo_root() == ROOT.resolve()
