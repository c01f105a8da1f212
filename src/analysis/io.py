"""Reading and writing the processed tables (parquet) of a project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import FoljevalError

TABLES = ("participants", "comparison", "followups", "status_monthly", "survey")


def write_table(folder: Path, name: str, df: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    df.to_parquet(path, index=False)
    return path


def read_processed(folder: str | Path) -> dict[str, pd.DataFrame]:
    """All processed tables of one project, keyed by table name (absent tables are left out).

    Raises
    ------
    FoljevalError
        When the folder has not been built by the cleaning step.
    """
    folder = Path(folder)
    if not (folder / "participants.parquet").is_file():
        raise FoljevalError(f"{folder}: no processed data; run `foljeval clean {folder.name}` first")
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES if (folder / f"{name}.parquet").is_file()}


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The cleaning step's manifest: input files with SHA-256, reconciliation, date of data."""
    return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
