"""Where things live. Everything is relative to the repository root, found from
``FOLJEVAL_ROOT`` or by walking up from the working directory to ``pyproject.toml``;
papermill changes the working directory, so notebooks get absolute paths."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    env = os.environ.get("FOLJEVAL_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file() and (d / "data" / "raw").is_dir():
            return d
    # Installed in develop mode: fall back to the source checkout (src/analysis/project/paths.py -> the checkout)
    return Path(__file__).resolve().parents[3]


def raw_dir(project: str, root: Path | None = None) -> Path:
    return (root or repo_root()) / "data" / "raw" / project


def processed_dir(project: str, root: Path | None = None, delivery: str | None = None) -> Path:
    """``data/processed/<project>/``, or ``data/processed/<project>/<delivery>/`` for one delivery."""
    base = (root or repo_root()) / "data" / "processed" / project
    return base / delivery if delivery else base


def reports_dir(project: str | None = None, root: Path | None = None, delivery: str | None = None) -> Path:
    """``reports/``, ``reports/<project>/`` (the newest delivery's report) or ``reports/<project>/<delivery>/``."""
    base = (root or repo_root()) / "reports"
    if not project:
        return base
    return base / project / delivery if delivery else base / project


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or repo_root()) / "notebooks"
