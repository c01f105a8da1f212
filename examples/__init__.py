"""Deterministic generator of the six bundled synthetic example projects.

``python -m examples --out data/raw`` writes every project folder
(project.yml and raw exports); ``--check`` regenerates into a temporary folder and
fails, naming the files, when anything differs byte for byte from ``data/raw``.
Each project module has a fixed seed and documents its planted truth (also stored
under ``planted_truth`` in its project.yml and described in data/raw/README.md).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from examples import (
    alv_vast,
    barnfamiljer_goteborg,
    c2_lycksele,
    etableringsresurs_vasteras,
    framtidsjobb_avesta,
    texts,
    vagen_vidare_sjobygden,
)

PROJECTS = {
    m.ID: m
    for m in (
        c2_lycksele,
        barnfamiljer_goteborg,
        framtidsjobb_avesta,
        alv_vast,
        etableringsresurs_vasteras,
        vagen_vidare_sjobygden,
    )
}


def generate(out: str | Path, projects: list[str] | None = None) -> dict[str, dict]:
    """Write the example projects under ``out/<project>/``; returns each planted truth.

    Parameters
    ----------
    out : path
        The raw-data folder (normally ``data/raw``).
    projects : list of str, optional
        Project ids to write (default: all six).
    """
    out = Path(out)
    truths = {}
    for pid in projects or list(PROJECTS):
        folder = out / pid
        folder.mkdir(parents=True, exist_ok=True)
        truths[pid] = PROJECTS[pid].generate(folder)
        texts.write(folder, pid)  # report: in project.yml and the evaluator's text/*.md
    return truths


def file_hashes(folder: str | Path, projects: list[str] | None = None) -> dict[str, str]:
    """SHA-256 of every file the generator writes, keyed by ``project/file``."""
    folder = Path(folder)
    out = {}
    for pid in projects or list(PROJECTS):
        for f in sorted((folder / pid).rglob("*")):
            if f.is_file():
                out[f"{pid}/{f.relative_to(folder / pid).as_posix()}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def check(raw: str | Path, projects: list[str] | None = None) -> list[str]:
    """Regenerate into a temporary folder; return the files that differ from ``raw`` (empty: identical)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, projects)
        fresh = file_hashes(tmp, projects)
    have = file_hashes(raw, projects)
    return sorted(k for k in set(fresh) | set(have) if fresh.get(k) != have.get(k))
