"""What the cleaning step produces: the processed tables, the quarantine and the reconciliation per raw file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import __version__
from analysis.clean import identity
from analysis.clean.rulebook import Rule
from analysis.project.config import Project


@dataclass
class FileReport:
    """Reconciliation of one raw source (a file, or one sheet of a workbook) and how it was read."""

    kind: str
    file: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1
    header_detected: bool = False
    title_rows: int = 0
    footer_rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # raw header -> canonical column
    recognised_by: dict[str, str] = field(default_factory=dict)  # raw header -> project.yml, dictionary, ...
    ignored: dict[str, str] = field(default_factory=dict)  # raw header -> why it was not read
    month_columns: int = 0  # a wide monthly file's month columns
    date_formats: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> form -> values
    layout: Any = field(default=None, repr=False, compare=False)  # titles and footers, for `check` only

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry (no title or footer text: it may name people)."""
        return {k: v for k, v in self.__dict__.items() if k != "layout"}


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
    notices: pd.DataFrame = field(default_factory=lambda: _Notices.empty())
    counts: dict[str, Any] = field(default_factory=dict)  # anonymous rows, derived values, ...
    register: Any = None  # clean.register.RegisterPanel: the panel cleaned out of core, as parquet by person

    def __post_init__(self) -> None:
        # File names, sheet names and raw headers are shown in check, the report and the manifest:
        # a personnummer in them (a file named after a person, a header row that is data) is masked.
        m = identity.mask_personnummer
        for f in self.files:
            f.file = m(f.file)
            f.sheet = m(f.sheet) if isinstance(f.sheet, str) else f.sheet
            f.ignored_columns = [m(c) for c in f.ignored_columns]
            f.columns = {m(k): v for k, v in f.columns.items()}
            f.recognised_by = {m(k): m(v) for k, v in f.recognised_by.items()}
            f.ignored = {m(k): m(v) for k, v in f.ignored.items()}

    @property
    def reconciliation(self) -> pd.DataFrame:
        df = pd.DataFrame([f.to_dict() for f in self.files])
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
                "processed_version": PROCESSED_VERSION,
                "files": [f.to_dict() for f in self.files],
                "tables": self.table_rows(),
                "panel_storage": "partitioned by person" if self.register is not None else "one file",
                "panel_domain": self.project.config.panel_domain,
                "counts": self.counts,
                "notices": self.notice_counts().to_dict(orient="records"),
            }
        )

    @property
    def report_tables(self) -> dict[str, pd.DataFrame]:
        """The tables as the report's checks see them: with the register path, the panel is the participants' rows."""
        if self.register is None:
            return self.tables
        return {**self.tables, "status_monthly": self.register.participant_rows}

    def table_rows(self) -> dict[str, int]:
        """Rows per processed table (the out-of-core panel's too)."""
        rows = {name: int(len(df)) for name, df in self.tables.items()}
        if self.register is not None:
            rows["status_monthly"] = int(self.register.rows_kept)
        return rows

    def notice_counts(self) -> pd.DataFrame:
        """Kept rows worth knowing about, per file, column, notice and value (e.g. an unknown label)."""
        if self.notices.empty:
            return pd.DataFrame(columns=["file", "column", "notice", "value", "rows"])
        return (
            self.notices.groupby(["file", "column", "notice", "value"], sort=True)["row"]
            .nunique()
            .rename("rows")
            .reset_index()
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
            if self.register is not None:  # parquet by person, moved rather than copied (gigabytes)
                self.register.move_to(staging)
            self.problems.to_csv(staging / "rejected.csv", index=False)
            self.notices.to_csv(staging / "notices.csv", index=False)
            self.reconciliation.to_csv(staging / "reconciliation.csv", index=False)
            (staging / "manifest.json").write_text(
                json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        if self.register is not None:
            self.register.dataset = Path(folder) / "status_monthly"


PROCESSED_VERSION = 2
"""Shape of data/processed/<project>/ (listed in CHANGELOG.md): 2 added the panel's optional amount and domain."""


class _Notices:
    """Kept rows worth a line in ``check`` and the report: unknown labels kept as unknown, combined labels,
    personnummer whose Excel-dropped zero was restored, anonymous rows counted."""

    COLUMNS = ["file", "row", "column", "notice", "value"]

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.frames: list[pd.DataFrame] = []

    @classmethod
    def empty(cls) -> pd.DataFrame:
        return pd.DataFrame(columns=cls.COLUMNS)

    def add(self, rows: pd.Series, column: str, notice: str, values: pd.Series | None = None) -> None:
        if len(rows) == 0:
            return
        p = self.problems
        gid = rows.to_numpy().astype(np.int64)
        shown = _mask_values(values if values is not None else pd.Series([""] * len(rows), index=rows.index), column)
        self.frames.append(
            pd.DataFrame(
                {
                    "file": np.asarray(p.labels, dtype=object)[p.src[gid]],
                    "row": p.file_rows[gid],
                    "column": column,
                    "notice": notice,
                    "value": shown.to_numpy(),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True) if self.frames else self.empty()


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
    """Collects broken rules row by row, vectorised; file labels, columns, messages and values are masked.

    Rows are named by their stacked row id (the index of the kind's frame); ``labels``,
    ``src`` and ``file_rows`` turn an id into the source label and file row written to
    rejected.csv.
    """

    def __init__(self, labels: list[str], src: np.ndarray | None = None, file_rows: np.ndarray | None = None) -> None:
        self.labels = [identity.mask_personnummer(label) for label in labels]
        self.src = np.zeros(0, dtype=np.int64) if src is None else np.asarray(src, dtype=np.int64)
        self.file_rows = np.zeros(0, dtype=np.int64) if file_rows is None else np.asarray(file_rows, dtype=np.int64)
        self.frames: list[pd.DataFrame] = []

    def describe(self, gid: int, other: int | None = None) -> str:
        """A row as a message names it: ``12``, or ``12 of deltagare.xlsx [2023]`` from another source."""
        row = int(self.file_rows[gid])
        if other is not None and self.src[gid] == self.src[other]:
            return str(row)
        return str(row) if len(self.labels) == 1 else f"{row} of {self.labels[int(self.src[gid])]}"

    def add(
        self,
        rows: pd.Series,
        rule: Rule,
        values: pd.Series | None = None,
        *,
        column: str | None = None,
        **fields: object,
    ) -> None:
        """Record that ``rows`` (stacked row ids) broke ``rule`` in ``column`` (default: the rule's column).

        ``fields`` fill in the rule's message template; a field given as an array (or Series) of
        ``len(rows)`` values varies by row (an unknown label, the first row of a duplicate): the
        message is formatted once per distinct value, so 100 000 distinct labels cost one call.
        """
        if len(rows) == 0:
            return
        column = column or rule.column
        if column is None:
            raise ValueError(f"rule {rule.code} needs the column it was checked in")
        vals = _mask_values(values if values is not None else pd.Series([""] * len(rows), index=rows.index), column)
        gid = rows.to_numpy().astype(np.int64)
        self.frames.append(
            pd.DataFrame(
                {
                    "file": np.asarray(self.labels, dtype=object)[self.src[gid]],
                    "row": self.file_rows[gid],
                    "column": identity.mask_personnummer(column),
                    "rule": rule.code,
                    "message": _messages(rule, column, fields, len(gid)),
                    "value": vals.to_numpy(),
                    "_gid": gid,
                }
            )
        )

    def rows(self) -> set[int]:
        """The stacked row ids of every row that broke a rule."""
        return set() if not self.frames else set(pd.concat(self.frames)["_gid"].tolist())

    def frame(self) -> pd.DataFrame:
        cols = ["file", "row", "column", "rule", "message", "value"]
        if not self.frames:
            return pd.DataFrame(columns=cols)
        # a wide monthly row breaks a rule once per month cell: it is one file row, listed once
        return pd.concat(self.frames, ignore_index=True)[cols].drop_duplicates(ignore_index=True)


def _messages(rule: Rule, column: str, fields: dict[str, object], n: int) -> object:
    """The masked message (one text), or one per row when a field varies by row (see :meth:`_Problems.add`)."""
    varying = {k: np.asarray(v, dtype=object) for k, v in fields.items() if isinstance(v, (np.ndarray, pd.Series))}
    fixed = {k: v for k, v in fields.items() if k not in varying}
    if not varying:
        return identity.mask_personnummer(rule.text(column=column, **fixed))
    names = list(varying)
    combos = pd.MultiIndex.from_arrays([varying[k] for k in names]) if len(names) > 1 else pd.Index(varying[names[0]])
    codes, uniques = pd.factorize(combos)
    texts = [
        identity.mask_personnummer(rule.text(column=column, **fixed, **dict(zip(names, u if len(names) > 1 else (u,)))))
        for u in uniques
    ]
    return np.asarray(texts, dtype=object)[codes] if n else np.zeros(0, dtype=object)


def _mask_values(values: pd.Series, column: str) -> pd.Series:
    """Values as text for rejected.csv: ids hidden, personnummer masked elsewhere.

    Masked before shortening to 80 characters, so a number cut at the edge cannot escape the mask.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    if column in ("person_id", "respondent_id"):
        return text.where(text.str.strip() == "", "(id hidden)")
    return identity.mask_personnummer_series(text).str.slice(0, 80)
