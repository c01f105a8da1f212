"""What the cleaning step produces: the processed tables, the quarantine and the reconciliation per raw file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import __version__
from analysis.clean import identity
from analysis.clean.rulebook import Rule
from analysis.project.config import Project


@dataclass
class FileReport:
    """Reconciliation of one raw file."""

    kind: str
    file: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class CleanResult:
    """Everything the cleaning step produced for one project.

    Attributes
    ----------
    tables : dict of DataFrame
        The processed tables (only pseudonyms, canonical columns and codes).
    problems : DataFrame
        One row per broken rule: file, row, column, rule, value (personnummer masked).
    files : list of FileReport
        Rows read, kept and rejected per raw file, with its SHA-256.
    """

    project: Project
    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    files: list[FileReport]
    data_end: dt.date
    key_source: str

    @property
    def reconciliation(self) -> pd.DataFrame:
        df = pd.DataFrame([{k: v for k, v in f.__dict__.items() if k != "ignored_columns"} for f in self.files])
        return df[["kind", "file", "rows_read", "rows_kept", "rows_rejected", "sha256"]]

    @property
    def balanced(self) -> bool:
        return all(f.rows_read == f.rows_kept + f.rows_rejected for f in self.files)

    def problem_counts(self) -> pd.DataFrame:
        """Rejected rows per file and rule (a row breaking two rules counts under both)."""
        if self.problems.empty:
            return pd.DataFrame(columns=["file", "column", "rule", "rows"])
        return (
            self.problems.groupby(["file", "column", "rule"], sort=True)["row"].nunique().rename("rows").reset_index()
        )

    def manifest(self) -> dict[str, Any]:
        cfg = self.project.yml_path.read_bytes()
        return {
            "project": self.project.id,
            "foljeval_version": __version__,
            "config_sha256": hashlib.sha256(cfg).hexdigest(),
            "data_end": self.data_end.isoformat(),
            "key_source": self.key_source,
            "files": [dict(f.__dict__) for f in self.files],
            "tables": {name: int(len(df)) for name, df in self.tables.items()},
        }

    def write(self, folder: Path) -> None:
        """Write the processed tables, rejected.csv, reconciliation.csv and manifest.json."""
        from analysis.clean.store import write_table

        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        for name, df in self.tables.items():
            write_table(folder, name, df)
        self.problems.to_csv(folder / "rejected.csv", index=False)
        self.reconciliation.to_csv(folder / "reconciliation.csv", index=False)
        (folder / "manifest.json").write_text(
            json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class _Problems:
    """Collects broken rules row by row, vectorised."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.frames: list[pd.DataFrame] = []

    def add(
        self,
        rows: pd.Series,
        rule: Rule,
        values: pd.Series | None = None,
        *,
        column: str | None = None,
        **fields: object,
    ) -> None:
        """Record that ``rows`` broke ``rule`` in ``column`` (default: the rule's column).

        ``fields`` fill in the rule's message template.
        """
        if len(rows) == 0:
            return
        column = column or rule.column
        if column is None:
            raise ValueError(f"rule {rule.code} needs the column it was checked in")
        vals = _mask_values(values if values is not None else pd.Series([""] * len(rows), index=rows.index), column)
        self.frames.append(
            pd.DataFrame(
                {
                    "file": self.file,
                    "row": rows.to_numpy(),
                    "column": column,
                    "rule": rule.code,
                    "message": rule.text(column=column, **fields),
                    "value": vals.to_numpy(),
                }
            )
        )

    def rows(self) -> set[int]:
        return set() if not self.frames else set(pd.concat(self.frames)["row"].tolist())

    def frame(self) -> pd.DataFrame:
        cols = ["file", "row", "column", "rule", "message", "value"]
        if not self.frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(self.frames, ignore_index=True)[cols]


def _mask_values(values: pd.Series, column: str) -> pd.Series:
    """Values as text for rejected.csv, with anything personnummer-like hidden."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.slice(0, 80)
    if column in ("person_id", "respondent_id"):
        return text.where(text.str.strip() == "", "(id hidden)")
    hit = identity.looks_like_personnummer(text)
    return text.where(~hit, "(personnummer hidden)")
