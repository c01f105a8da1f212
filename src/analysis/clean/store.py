"""Reading and writing the processed tables (parquet) of a project."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.project.contract import ORDER
from analysis.project.errors import FoljevalError
from analysis.project.schemas import DERIVED_TABLES

TABLES = (*ORDER, *DERIVED_TABLES)


def write_table(folder: Path, name: str, df: pd.DataFrame) -> Path:
    """Write one processed table as parquet, in a single row group.

    pandas' default splits a table into row groups of a million rows and repeats
    a categorical column's whole dictionary in every one of them: a 36-million-row
    panel with a million distinct person keys became 740 MB and took ~20 s to read.
    One row group with a dictionary page large enough for the keys stores them
    once (40 MB, read in a few seconds), and the file stays plain parquet with the
    categorical dtype recorded for pandas, R (arrow) and DuckDB.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, row_group_size=max(len(df), 1), dictionary_pagesize_limit=1 << 30)
    return path


class ProcessedTables(Mapping):
    """The processed tables of a project, each read from parquet on first use.

    A notebook that needs only the participants does not pay for reading a
    register panel of tens of millions of rows.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / "participants.parquet").is_file():
            raise FoljevalError(f"{self.folder}: no processed data; run `foljeval clean {self.folder.name}` first")
        self._names = [n for n in TABLES if (self.folder / f"{n}.parquet").is_file() or (self.folder / n).is_dir()]
        self._loaded: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            path = self.folder / f"{name}.parquet"
            self._loaded[name] = pd.read_parquet(path) if path.is_file() else read_partitioned(self.folder / name)
        return self._loaded[name]

    @property
    def panel_dataset(self) -> Path | None:
        """The monthly panel as parquet partitioned by person (``status_monthly/bucket=<b>/``), when the
        cleaning step took the register path (:mod:`analysis.clean.register`); else None."""
        folder = self.folder / "status_monthly"
        return folder if folder.is_dir() else None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def panel_domain(self) -> str | None:
        """What the monthly panel records (``activity`` or ``income_support``), from the manifest; None without one.

        Analyses that need work or study months must not read an ``income_support`` panel as if it had them
        (:func:`analysis.project.contract.panel_measures`).
        """
        if "status_monthly" not in self._names:
            return None
        manifest = read_manifest(self.folder) if (self.folder / "manifest.json").is_file() else {}
        return manifest.get("panel_domain") or "activity"

    def __repr__(self) -> str:
        return f"ProcessedTables({str(self.folder)!r}, tables={self._names}, loaded={list(self._loaded)})"


def read_partitioned(folder: Path) -> pd.DataFrame:
    """A panel written by the register path, whole, in the dtypes of the in-memory path's file.

    Rows come sorted by person key and month (the in-memory file keeps the raw file's order);
    the key and the status are categorical, the month ``datetime64[ns]``. At register size
    read it :func:`by_bucket` or :func:`panel_rows_of` some persons instead.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [f for b in bucket_folders(folder) for f in sorted(b.glob("*.parquet"))]
    if not parts:
        return pd.DataFrame({"person_key": [], "month": pd.Series([], dtype="datetime64[ns]"), "status": []})
    return _panel_frame(pa.concat_tables([pq.read_table(p) for p in parts]).to_pandas())


def bucket_folders(folder: Path) -> list[Path]:
    """The ``bucket=<b>`` folders of a partitioned panel, in bucket order."""
    found = [p for p in Path(folder).glob("bucket=*") if p.is_dir()]
    return sorted(found, key=lambda p: int(p.name.split("=")[1]))


def by_bucket(folder: Path) -> Iterator[pd.DataFrame]:
    """Each bucket of a partitioned panel in turn (every person's rows are in one bucket)."""
    import pyarrow.parquet as pq

    for b in bucket_folders(folder):
        yield _panel_frame(pq.read_table(b).to_pandas())


def panel_rows_of(folder: Path, keys: pd.Series) -> pd.DataFrame:
    """The rows of the persons ``keys`` (e.g. the participants) from a partitioned panel."""
    import pyarrow as pa

    from analysis.clean.duck import connect

    con = connect(None, "2GB", 2)
    con.register("wanted", pa.table({"person_key": pa.array(keys.astype(str).to_numpy(), pa.string())}))
    src = (Path(folder) / "bucket=*" / "*.parquet").as_posix()
    df = con.execute(
        f"SELECT p.person_key, p.month, p.status FROM read_parquet('{src}', hive_partitioning = false) p "
        "SEMI JOIN wanted w ON p.person_key = w.person_key"
    ).df()
    con.close()
    return _panel_frame(df)


def panel_for(tables: Mapping[str, Any], keys: pd.Series) -> pd.DataFrame | None:
    """The monthly panel for analyses of the persons ``keys`` (the participants): their rows read by key
    from a register panel stored by person, else the whole table (None without a panel)."""
    dataset = getattr(tables, "panel_dataset", None)
    if dataset is not None:
        return panel_rows_of(dataset, keys)
    return tables.get("status_monthly")


def _panel_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df[["person_key", "month", "status"]].sort_values(["person_key", "month"], kind="stable", ignore_index=True)
    for c in ("person_key", "status"):
        df[c] = df[c].astype("category")
    df["month"] = df["month"].astype("datetime64[ns]")
    return df


def read_processed(folder: str | Path) -> dict[str, pd.DataFrame]:
    """All processed tables of one project, keyed by table name (absent tables are left out).

    Raises
    ------
    FoljevalError
        When the folder has not been built by the cleaning step.
    """
    return dict(ProcessedTables(folder))


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The cleaning step's manifest: input files with SHA-256, reconciliation, date of data."""
    return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
