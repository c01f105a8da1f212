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

    def __post_init__(self) -> None:
        # File names and the headers of ignored columns are shown in check, the report and the
        # manifest: a personnummer in them (a file named after a person, a header row that is data) is masked.
        for f in self.files:
            f.file = identity.mask_personnummer(f.file)
            f.ignored_columns = [identity.mask_personnummer(c) for c in f.ignored_columns]

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
        """What the cleaning step read and wrote; every text in it passed the personnummer mask.

        No checksum of the whole project.yml: the cleaning reads only some of its fields, and a
        changed survey question text must not change the processed data (the appendix shows the
        file's checksum).
        """
        return _masked(
            {
                "project": self.project.id,
                "foljeval_version": __version__,
                "data_end": self.data_end.isoformat(),
                "key_source": self.key_source,
                "files": [dict(f.__dict__) for f in self.files],
                "tables": {name: int(len(df)) for name, df in self.tables.items()},
            }
        )

    def write(self, folder: Path) -> None:
        """Write the processed tables, rejected.csv, reconciliation.csv and manifest.json.

        Everything is written to a temporary folder beside ``folder`` that replaces it only
        when complete (:func:`analysis.project.workspace.replace_folder`): an interrupted
        write leaves the previous tables, never a partial parquet file.
        """
        from analysis.clean.store import write_table
        from analysis.project.workspace import staged_folder

        with staged_folder(Path(folder)) as staging:
            for name, df in self.tables.items():
                write_table(staging, name, df)
            self.problems.to_csv(staging / "rejected.csv", index=False)
            self.reconciliation.to_csv(staging / "reconciliation.csv", index=False)
            (staging / "manifest.json").write_text(
                json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _masked(node: Any) -> Any:
    """Every string in a JSON-like structure with personnummer masked."""
    if isinstance(node, str):
        return identity.mask_personnummer(node)
    if isinstance(node, dict):
        return {_masked(k): _masked(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_masked(v) for v in node]
    return node


class _Problems:
    """Collects broken rules row by row, vectorised; file names, messages and values are masked."""

    def __init__(self, file: str) -> None:
        self.file = identity.mask_personnummer(file)
        self.frames: list[pd.DataFrame] = []

    def add(self, rows: pd.Series, column: str, rule: str, message: str, values: pd.Series | None = None) -> None:
        """Record that ``rows`` broke ``rule`` (a code, translated in reports) in ``column``."""
        if len(rows) == 0:
            return
        vals = _mask_values(values if values is not None else pd.Series([""] * len(rows), index=rows.index), column)
        self.frames.append(
            pd.DataFrame(
                {
                    "file": self.file,
                    "row": rows.to_numpy(),
                    "column": identity.mask_personnummer(column),
                    "rule": rule,
                    "message": identity.mask_personnummer(message),
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
    """Values as text for rejected.csv: ids hidden, personnummer masked elsewhere.

    Masked before shortening to 80 characters, so a number cut at the edge cannot escape the mask.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    if column in ("person_id", "respondent_id"):
        return text.where(text.str.strip() == "", "(id hidden)")
    return identity.mask_personnummer_series(text).str.slice(0, 80)
