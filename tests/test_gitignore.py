"""Raw data stay out of git: .gitignore's rule on a copy of the repository, and check's warning."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.org")
    _git(repo, "config", "user.name", "test")
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    return repo


def _touch(repo: Path, *names: str) -> None:
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x", encoding="utf-8")


def _would_add(repo: Path) -> set[str]:
    """What `git add -n .` would stage (the files the rule lets into git)."""
    out = _git(repo, "add", "-n", ".").stdout
    return {line.split("'")[1] for line in out.splitlines() if line.startswith("add '")}


def allow_list() -> list[str]:
    """The bundled examples allowed in .gitignore (its lines ``!data/raw/<name>/**``)."""
    text = (ROOT / ".gitignore").read_text(encoding="utf-8")
    return re.findall(r"^!data/raw/([^/*]+)/\*\*$", text, flags=re.MULTILINE)


def test_raw_exports_are_ignored_while_project_yml_texts_and_examples_are_not(tmp_path):
    repo = _repo(tmp_path)
    real = "data/raw/kommun-projekt"
    data = [
        f"{real}/deltagare.csv",
        f"{real}/Deltagare 2024.xlsx",
        f"{real}/enkat.sav",
        f"{real}/2024-05/deltagare.csv",  # a per-delivery subfolder
        f"{real}/2024-05/uppfoljning.xlsx",
        f"{real}/text/bilaga.pdf",
        f"{real}/~$deltagare.xlsx",  # Excel's lock file
        "data/raw/loose-export.csv",
    ]
    kept = [
        f"{real}/project.yml",
        f"{real}/anteckningar.md",
        f"{real}/text/intervjuer.md",
        "data/raw/README.md",
    ]
    examples = [f"data/raw/{name}/{f}" for name in allow_list() for f in ("deltagare.csv", "2024/extra.xlsx")]
    _touch(repo, *data, *kept, *examples)
    staged = _would_add(repo)
    assert set(kept) | set(examples) <= staged
    assert staged.isdisjoint(data), sorted(staged & set(data))
    ignored = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", *data], capture_output=True, text=True
    ).stdout.split("\n")
    assert set(data) <= set(ignored)


def test_the_allow_list_names_exactly_the_bundled_examples():
    """When an example project is added to examples/, add its line to .gitignore's allow-list (one place)."""
    from examples import PROJECTS

    assert sorted(allow_list()) == sorted(PROJECTS)
    assert all((ROOT / "data" / "raw" / name / "project.yml").is_file() for name in allow_list())


def test_check_warns_when_a_real_projects_data_are_tracked(tmp_path, mini_project):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app
    from analysis.pipeline.tracked import tracked_data_files

    folder, _ = mini_project
    repo = folder.parents[2]
    _git(repo, "init", "-q")
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    yml = folder / "project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    env = {"FOLJEVAL_KEY": "k" * 40}
    _git(repo, "add", "data/raw/mini/project.yml")
    assert tracked_data_files(folder, repo) == []
    result = CliRunner().invoke(app, ["check", "mini", "--root", str(repo)], env=env)
    assert "tracked by git" not in result.output
    _git(repo, "add", "-f", "data/raw/mini/deltagare.csv")  # forced past .gitignore, as an old clone would have it
    assert tracked_data_files(folder, repo) == ["deltagare.csv"]
    result = CliRunner().invoke(app, ["check", "mini", "--root", str(repo)], env=env)
    assert "1 data file(s) of mini are tracked by git (deltagare.csv)" in result.output
    assert "git rm -r --cached data/raw/mini" in result.output
    yml.write_text(yml.read_text(encoding="utf-8").replace("synthetic: false", "synthetic: true"), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "mini", "--root", str(repo)], env=env)
    assert "tracked by git" not in result.output  # the bundled synthetic examples are meant to be in git


def test_no_git_or_no_repository_means_no_warning(tmp_path, monkeypatch, mini_project):
    from analysis.pipeline.tracked import tracked_data_files

    folder, _ = mini_project
    repo = folder.parents[2]
    assert tracked_data_files(folder, repo) is None  # not a git work tree
    _git(repo, "init", "-q")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # git cannot be found
    assert tracked_data_files(folder, repo) is None
