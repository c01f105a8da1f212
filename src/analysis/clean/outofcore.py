"""Out-of-core panel steps: a register panel as partitioned parquet, spells and time to first work or study in DuckDB.

A national register panel (5 million persons x 36 months = 180 million rows) does
not fit the in-memory path of :mod:`analysis.clean` and :mod:`analysis.survival.spells` on
a laptop. These functions do the same panel steps with DuckDB under a memory limit,
spilling to disk, and return person-level results (one row per person), which fit
in memory at any register size and feed the in-memory estimators of
:mod:`analysis.survival` and :mod:`analysis.effects` unchanged.

Steps
-----
:func:`panel_to_parquet`
    Loads the raw panel CSV into a disk-backed DuckDB database (all columns as
    text, file order kept so that row numbers are line numbers), maps every
    distinct id, month and label with the *same* rules as the cleaning step
    (:func:`analysis.clean.identity.parse_personnummer` and ``pseudonymise``,
    :func:`analysis.project.dates.parse_month`, the label dictionary), and writes
    ``person_key, month, status`` as parquet partitioned into ``bucket=*``
    folders by person. Rows with an empty or invalid id, a person not kept from
    the person files, an unreadable month, an unknown or empty label, or a
    second row for the same person and month are written to ``quarantine.parquet``
    with their reason; ``rows_read == rows_kept + rows_quarantined``. No
    personnummer is written: ids are replaced by their keyed pseudonym before
    anything leaves DuckDB.
:func:`first_spells_out_of_core` and :func:`time_to_first_out_of_core`
    The spell rules of :mod:`analysis.survival.spells` (gaps of at most
    ``bridge_gap_months`` bridged, leaving confirmed by ``bridge_gap_months + 1``
    observed months out, censoring at the last observed month minus the gap,
    left-censoring at the first observed month) as window functions, one bucket
    at a time, so memory is bounded by the largest bucket.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import identity, labels
from analysis.clean.duck import connect  # also imported from here by panel_design and the benchmarks
from analysis.clean.rulebook import RULES
from analysis.project.codes import DEFAULT_PANEL_WORK_OR_STUDY
from analysis.project.contract import PERSON_KEY
from analysis.project.dates import month_number, month_numbers, parse_month

QUARANTINE = "quarantine.parquet"


@dataclass
class PanelConversion:
    """What :func:`panel_to_parquet` did: counts by reason, where the dataset is, seconds per step."""

    dataset: Path
    rows_read: int
    rows_kept: int
    quarantined: dict[str, int]
    buckets: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_quarantined(self) -> int:
        return int(sum(self.quarantined.values()))

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_quarantined

    def summary(self) -> pd.DataFrame:
        rows = [("rows read", self.rows_read), ("rows kept", self.rows_kept)]
        rows += [(f"quarantined: {k}", v) for k, v in sorted(self.quarantined.items())]
        return pd.DataFrame(rows, columns=["", "rows"]).set_index("")


def _id_map(distinct_ids: pd.Series, known: dict[str, str], key: bytes | None, id_type: str) -> pd.DataFrame:
    """raw id -> (person_key or None, reason), once per distinct id.

    Ids kept from the person files are looked up; the others are parsed with the
    cleaning step's rules: an invalid one is ``invalid_id``, a valid one belongs to
    nobody kept (``unknown_person``), exactly as :mod:`analysis.clean` decides.
    """
    text = distinct_ids.astype(object).reset_index(drop=True)
    blank = (text.isna() | (text.astype(str).str.strip() == "")).to_numpy()
    keys = text.map(known).astype(object).to_numpy()
    reason = np.full(len(text), None, dtype=object)
    reason[blank] = RULES["empty_id"].code
    todo = ~blank & pd.isna(keys)
    if todo.any():
        if id_type == "pseudonym":
            usable = identity.pseudonymise_external_id(text[todo]).notna().to_numpy()
        else:
            usable = identity.parse_personnummer(text[todo])["valid"].to_numpy(bool)
        reason[np.flatnonzero(todo)] = np.where(usable, RULES["unknown_person"].code, RULES["invalid_id"].code)
        keys[todo] = None
    return pd.DataFrame({"raw_id": text.where(~blank, None).astype(object), PERSON_KEY: keys, "reason": reason})


ID_CHUNK = 1_000_000  # distinct ids parsed and pseudonymised at a time (bounds the Python strings alive)


def _id_keys(text: pd.Series, key: bytes | None, id_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Each raw id's pseudonymous key (None where refused) and its reason (``empty_id``, ``invalid_id`` or None)."""
    text = text.astype(object).reset_index(drop=True)
    blank = (text.isna() | (text.astype(str).str.strip() == "")).to_numpy()
    keys = np.full(len(text), None, dtype=object)
    reason = np.full(len(text), None, dtype=object)
    reason[blank] = RULES["empty_id"].code
    if id_type == "pseudonym":
        found = identity.pseudonymise_external_id(text[~blank])
        keys[~blank] = found.to_numpy()
        usable = found.notna().to_numpy()
    else:
        parsed = identity.parse_personnummer(text[~blank])
        usable = parsed["valid"].to_numpy(bool)
        if usable.any():
            assert key is not None, "a personnummer panel is cleaned with its pseudonymisation key"
            keys[np.flatnonzero(~blank)[usable]] = identity.pseudonymise(
                parsed.loc[usable, "normalized"], key
            ).to_numpy()
    reason[np.flatnonzero(~blank)[~usable]] = RULES["invalid_id"].code
    return keys, reason


def _key_id_map(con: Any, kept_keys: Any, key: bytes | None, id_type: str) -> None:
    """Table ``id_map`` (raw id -> key or reason) from every distinct panel id, matched to the kept persons by key."""
    import pyarrow as pa

    kept = pa.table({PERSON_KEY: pa.array(kept_keys, pa.string())})
    con.register("kept_arrow", kept)
    con.execute("CREATE TABLE kept_keys AS SELECT DISTINCT person_key FROM kept_arrow")
    con.unregister("kept_arrow")
    con.execute("CREATE TABLE ids AS SELECT DISTINCT person_id AS raw_id FROM raw")
    con.execute("CREATE TABLE id_keys (raw_id VARCHAR, person_key VARCHAR, reason VARCHAR)")
    n = con.execute("SELECT count(*) FROM ids").fetchall()[0][0]
    for lo in range(0, n, ID_CHUNK):
        text = con.sql(f"SELECT raw_id FROM ids WHERE rowid >= {lo} AND rowid < {lo + ID_CHUNK}").to_arrow_table()
        text = text["raw_id"]
        keys, reason = _id_keys(pd.Series(text.to_pylist(), dtype=object), key, id_type)
        chunk = pa.table(
            {
                "raw_id": text,
                PERSON_KEY: pa.array(keys, pa.string(), from_pandas=True),
                "reason": pa.array(reason, pa.string(), from_pandas=True),
            }
        )
        con.register("id_chunk", chunk)
        con.execute("INSERT INTO id_keys SELECT * FROM id_chunk")
        con.unregister("id_chunk")
    # A valid id whose key is not among the kept persons belongs to nobody kept, as in analysis.clean.
    con.execute(
        """CREATE TABLE id_map AS
           SELECT i.raw_id,
                  CASE WHEN i.reason IS NULL AND k.person_key IS NOT NULL THEN i.person_key END AS person_key,
                  CASE WHEN i.reason IS NOT NULL THEN i.reason WHEN k.person_key IS NULL THEN ? END AS reason
           FROM id_keys i LEFT JOIN kept_keys k ON i.person_key = k.person_key""",
        [RULES["unknown_person"].code],
    )
    for table in ("ids", "id_keys", "kept_keys"):
        con.execute(f"DROP TABLE {table}")


def panel_to_parquet(
    csv_path: Path,
    out_dir: Path,
    known_ids: dict[str, str] | None = None,
    *,
    kept_keys: Any = None,
    key: bytes | None,
    id_type: str = "personnummer",
    status_values: dict[str, str] | None = None,
    delimiter: str = ";",
    buckets: int = 16,
    memory_limit: str = "3GB",
    threads: int = 2,
    work_dir: Path | None = None,
) -> PanelConversion:
    """Clean a raw monthly status panel into parquet partitioned by person, out of core.

    Parameters
    ----------
    csv_path : Path
        The raw panel: columns ``person_id``, ``month``, ``status`` (canonical or Swedish
        headers are not mapped here: the register-scale path expects the contract's names).
    out_dir : Path
        Receives ``panel/bucket=<b>/part.parquet`` (the dataset) and ``quarantine.parquet``
        (file line and reason of every row not kept).
    known_ids : dict, optional
        Raw id text -> pseudonymous key of every person *kept* from the person files
        (participants and comparison group). Ids not in it are parsed: invalid ones are
        quarantined as ``invalid_id``, valid ones as ``unknown_person``.
    kept_keys : array-like, optional
        Instead of ``known_ids`` (cheaper at register size): the pseudonymous keys of the kept
        persons (array or Series). Every distinct panel id is then parsed and pseudonymised, a
        million at a time, and kept when its key is among them, as :mod:`analysis.clean` decides
        (so an id written with a hyphen, unlike the person file, still finds its person).
    key : bytes
        Pseudonymisation key (see :func:`analysis.clean.identity.resolve_key`).
    status_values : dict, optional
        Project-specific label -> code (``files.status_monthly.values.status``).
    memory_limit, threads : DuckDB settings; ``work_dir`` holds its database and spill files.
    """
    t = {}
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    db, con = _panel_database(out_dir, work_dir, memory_limit, threads)
    rows_read = _load_raw_panel(con, csv_path, delimiter)
    t["load_csv"], t0 = time.perf_counter() - t0, time.perf_counter()
    _register_value_maps(con, known_ids, kept_keys, key, id_type, status_values)
    t["map_distinct_values"], t0 = time.perf_counter() - t0, time.perf_counter()
    _map_rows(con, buckets)
    t["map_rows"], t0 = time.perf_counter() - t0, time.perf_counter()
    dataset = _write_buckets(con, out_dir, buckets)
    counts = _write_quarantine(con, out_dir)
    t["write_parquet"] = time.perf_counter() - t0
    kept = rows_read - int(sum(counts.values()))
    con.close()
    db.unlink(missing_ok=True)
    return PanelConversion(dataset, int(rows_read), int(kept), {k: int(v) for k, v in counts.items()}, int(buckets), t)


def _panel_database(out_dir: Path, work_dir: Path | None, memory_limit: str, threads: int) -> tuple[Path, Any]:
    """A fresh DuckDB database (and spill folder) in ``work_dir`` (default: next to ``out_dir``), and its connection."""
    work_dir = Path(work_dir or out_dir.parent / (out_dir.name + ".work"))
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "panel.duckdb"
    db.unlink(missing_ok=True)
    return db, connect(db, memory_limit, threads, work_dir / "spill")


def _load_raw_panel(con: Any, csv_path: Path, delimiter: str) -> int:
    """Load the raw panel CSV as text into table ``raw`` (with its file line); return the row count."""
    con.execute(f"""
        CREATE TABLE raw AS
        SELECT row_number() OVER () + 1 AS line, person_id, month, status
        FROM read_csv('{Path(csv_path).as_posix()}', delim='{delimiter}', header=true, all_varchar=true, quote='',
                      columns={{'person_id': 'VARCHAR', 'month': 'VARCHAR', 'status': 'VARCHAR'}})""")
    return con.execute("SELECT count(*) FROM raw").fetchall()[0][0]


def _month_map(months_raw: pd.Series) -> pd.DataFrame:
    """Raw month text -> parsed month and the reason it is refused (``NO_TEXT`` when readable)."""
    parsed, bad = parse_month(months_raw.astype(object))
    return pd.DataFrame(
        {
            "raw_month": months_raw.astype(object),
            "month": parsed.dt.date,
            "reason": np.where(
                months_raw.isna() | (months_raw.astype(str).str.strip() == ""),
                RULES["empty_required"].code,
                np.where(bad, RULES["unreadable_month"].code, identity.NO_TEXT),
            ),
        }
    )


def _status_map(status_raw: pd.Series, status_values: dict[str, str] | None) -> pd.DataFrame:
    """Raw status label -> status code and the reason it is refused (``NO_TEXT`` when known)."""
    mapping = labels.value_map("panel_status")
    mapping.update({labels.normalise(k): v for k, v in (status_values or {}).items()})
    codes = status_raw.map(lambda v: mapping.get(labels.normalise(v)) if isinstance(v, str) and v.strip() else None)
    return pd.DataFrame(
        {
            "raw_status": status_raw.astype(object),
            "status": codes.astype(object),
            "reason": np.where(
                status_raw.isna() | (status_raw.astype(str).str.strip() == ""),
                RULES["empty_required"].code,
                np.where(codes.isna(), RULES["unknown_label"].code, identity.NO_TEXT),
            ),
        }
    )


def _register_value_maps(
    con: Any,
    known_ids: dict[str, str] | None,
    kept_keys: Any,
    key: bytes | None,
    id_type: str,
    status_values: dict[str, str] | None,
) -> None:
    """Map each distinct id, month and status once in pandas and register the maps as DuckDB views."""
    if (known_ids is None) == (kept_keys is None):
        raise ValueError("give either known_ids or kept_keys")
    if known_ids is not None:
        ids = con.execute("SELECT DISTINCT person_id FROM raw").df()["person_id"]
        con.register("id_map", _id_map(ids, known_ids, key, id_type))
    else:
        _key_id_map(con, kept_keys, key, id_type)
    month_map = _month_map(con.execute("SELECT DISTINCT month FROM raw").df()["month"])
    status_map = _status_map(con.execute("SELECT DISTINCT status FROM raw").df()["status"], status_values)
    con.register("month_map", month_map)
    con.register("status_map", status_map)


def _map_rows(con: Any, buckets: int) -> None:
    """Build table ``mapped`` from ``raw`` and the value maps, then drop ``raw``."""
    # One pass: every row gets its key, month, code and the first reason it breaks (if any).
    con.execute(f"""
        CREATE TABLE mapped AS
        SELECT r.line, i.person_key, m.month, s.status,
               coalesce(i.reason, m.reason, s.reason) AS reason,
               CAST(hash(i.person_key) % {int(buckets)} AS INTEGER) AS bucket
        FROM raw r
        LEFT JOIN id_map i ON r.person_id IS NOT DISTINCT FROM i.raw_id
        LEFT JOIN month_map m ON r.month IS NOT DISTINCT FROM m.raw_month
        LEFT JOIN status_map s ON r.status IS NOT DISTINCT FROM s.raw_status""")
    con.execute("DROP TABLE raw")


def _write_buckets(con: Any, out_dir: Path, buckets: int) -> Path:
    """Write the kept rows as ``panel/bucket=<b>/part.parquet`` under a fresh ``out_dir``; return ``panel``."""
    # Per bucket: the first row of each (person, month) is kept, later ones quarantined.
    if out_dir.exists():
        shutil.rmtree(out_dir)
    dataset = out_dir / "panel"
    dataset.mkdir(parents=True)
    for b in range(int(buckets)):
        folder = dataset / f"bucket={b}"
        folder.mkdir()
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE part AS
            SELECT line, person_key, month, status,
                   row_number() OVER (PARTITION BY person_key, month ORDER BY line) AS nth
            FROM mapped WHERE reason IS NULL AND bucket = {b}""")
        con.execute(f"""COPY (SELECT person_key, month, status FROM part WHERE nth = 1 ORDER BY person_key, month)
                        TO '{(folder / "part.parquet").as_posix()}' (FORMAT parquet)""")
        con.execute(
            "INSERT INTO mapped SELECT line, NULL, NULL, NULL, ?, -1 FROM part WHERE nth > 1",
            [RULES["duplicate_month"].code],
        )
    con.execute("DROP TABLE IF EXISTS part")
    return dataset


def _write_quarantine(con: Any, out_dir: Path) -> dict[str, int]:
    """Write the line and reason of every refused row to ``quarantine.parquet``; return the count per reason."""
    quarantine = out_dir / QUARANTINE
    con.execute(f"""COPY (SELECT line AS row, reason FROM mapped WHERE reason IS NOT NULL ORDER BY line)
                    TO '{quarantine.as_posix()}' (FORMAT parquet)""")
    return dict(con.execute("SELECT reason, count(*) FROM mapped WHERE reason IS NOT NULL GROUP BY reason").fetchall())


def _month_number_sql(col: str) -> str:
    """SQL for :func:`analysis.project.dates.month_number` (``year * 12 + month - 1``)."""
    return f"(year({col}) * 12 + month({col}) - 1)"


def arrow_keys(keys: pd.Series) -> pd.Series:
    """Person keys as pyarrow-backed strings (a 64-character key as a Python object costs ~120 bytes, here ~70)."""
    import pyarrow as pa

    if keys.dtype == pd.ArrowDtype(pa.string()):
        return keys
    return pd.Series(pd.array(keys.astype(object).to_numpy(), dtype=pd.ArrowDtype(pa.string())), index=keys.index)


def _persons_table(con, persons: pd.DataFrame, date_col: str) -> None:
    import pyarrow as pa

    ref = persons[[PERSON_KEY, date_col]].dropna()
    keys = arrow_keys(ref[PERSON_KEY])
    con.register("persons_ref", pa.table({PERSON_KEY: pa.array(keys.array), "a": month_numbers(ref[date_col])}))


def _buckets(dataset: Path) -> list[Path]:
    return sorted((p for p in Path(dataset).glob("bucket=*") if p.is_dir()), key=lambda p: int(p.name.split("=")[1]))


def _per_bucket(
    dataset: Path,
    persons: pd.DataFrame,
    date_col: str,
    work_or_study: Iterable[str],
    data_end,
    memory_limit: str,
    threads: int,
    temp_dir: Path | None,
    query: str,
    columns: list[str],
) -> pd.DataFrame:
    """Run ``query`` on every bucket and stack the results (keys as pyarrow strings).

    ``query`` may use the CTE ``p`` (``person_key, m`` = month number, ``ws`` = in work or study,
    months after ``data_end`` dropped) and the registered table ``persons_ref`` (``person_key, a`` =
    month number of the person's ``date_col``).
    """
    import pyarrow as pa

    statuses = ", ".join("'" + s.replace("'", "''") + "'" for s in work_or_study)
    cut = "" if data_end is None else f"WHERE {_month_number_sql('month')} <= {month_number(data_end)}"
    con = connect(None, memory_limit, threads, temp_dir)
    _persons_table(con, persons, date_col)
    parts = []
    for folder in _buckets(dataset):
        src = f"read_parquet('{(folder / '*.parquet').as_posix()}')"
        p = f"p AS (SELECT person_key, {_month_number_sql('month')} AS m, status IN ({statuses}) AS ws FROM {src} {cut})"
        parts.append(con.sql(f"WITH {p}, {query}").to_arrow_table())
    con.close()
    if not parts:
        return pd.DataFrame(columns=columns)
    # Arrow all the way: the keys stay pyarrow strings instead of millions of Python objects.
    out = pa.concat_tables(parts).to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get)
    return out


def first_spells_out_of_core(
    dataset: Path,
    persons: pd.DataFrame,
    work_or_study: Iterable[str] = DEFAULT_PANEL_WORK_OR_STUDY,
    bridge_gap_months: int = 1,
    data_end: dt.date | pd.Timestamp | None = None,
    date_col: str = "start_date",
    memory_limit: str = "3GB",
    threads: int = 2,
    temp_dir: Path | None = None,
) -> pd.DataFrame:
    """Each person's first spell in work or study starting in or after their start month.

    The same rows (and values) as ``first_spell_after(build_spells(panel, ...), persons)`` of
    :mod:`analysis.survival.spells` (left-censored spells excluded), with the columns
    ``person_key, spell_no, start, end, months, duration, event, left_censored`` plus the
    persons' columns.
    """
    g = int(bridge_gap_months)
    out = _per_bucket(
        dataset,
        persons,
        date_col,
        work_or_study,
        data_end,
        memory_limit,
        threads,
        temp_dir,
        _first_spell_sql(g),
        [PERSON_KEY, "spell_no", "s", "e", "months", "duration", "event", "left_censored"],
    )
    return _first_spell_frame(out, persons)


def _first_spell_sql(g: int) -> str:
    """DuckDB query of each person's first spell in work or study (gap bridging ``g`` months) per bucket."""
    return f"""
            obs AS (SELECT person_key, min(m) AS first_m, max(m) AS last_m FROM p GROUP BY person_key),
            w AS (SELECT person_key, m, lag(m) OVER (PARTITION BY person_key ORDER BY m) AS prev FROM p WHERE ws),
            runs AS (SELECT person_key, m,
                            sum(CASE WHEN prev IS NULL OR m - prev - 1 > {g} THEN 1 ELSE 0 END)
                                OVER (PARTITION BY person_key ORDER BY m ROWS UNBOUNDED PRECEDING) AS spell_no
                     FROM w),
            spells AS (SELECT person_key, spell_no, min(m) AS s, max(m) AS e FROM runs GROUP BY person_key, spell_no),
            marked AS (SELECT sp.*, obs.first_m, obs.last_m,
                              max(spell_no) OVER (PARTITION BY sp.person_key) > spell_no AS has_next
                       FROM spells sp JOIN obs USING (person_key))
            SELECT m.person_key, m.spell_no, m.s, m.e, m.e - m.s + 1 AS months,
                   CASE WHEN m.has_next OR m.last_m - m.e > {g} THEN m.e - m.s + 1
                        ELSE greatest(m.last_m - {g} - m.s, 0) END AS duration,
                   CAST(m.has_next OR m.last_m - m.e > {g} AS INTEGER) AS event,
                   m.s = m.first_m AS left_censored
            FROM marked m JOIN persons_ref r USING (person_key)
            WHERE m.s >= r.a AND m.s <> m.first_m
            QUALIFY row_number() OVER (PARTITION BY m.person_key ORDER BY m.spell_no) = 1"""


def _first_spell_frame(out: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """The first spells with month numbers as timestamps and the columns of ``build_spells``, joined to the persons."""
    out = out.sort_values(PERSON_KEY, kind="stable").reset_index(drop=True)
    to_ts = lambda m: pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1}))  # noqa: E731
    result = pd.DataFrame(
        {
            PERSON_KEY: arrow_keys(out[PERSON_KEY]),
            "spell_no": out["spell_no"].astype(np.int64),
            "start": to_ts(out["s"].astype(np.int64)),
            "end": to_ts(out["e"].astype(np.int64)),
            "months": out["months"].astype(np.int64),
            "duration": out["duration"].astype(np.int64),
            "event": out["event"].astype(np.int64),
            "left_censored": out["left_censored"].astype(bool),
        }
    )
    extra = [c for c in persons.columns if c not in result.columns or c == PERSON_KEY]
    return result.merge(
        persons[extra].assign(**{PERSON_KEY: arrow_keys(persons[PERSON_KEY])}), on=PERSON_KEY, how="left"
    )


def time_to_first_out_of_core(
    dataset: Path,
    persons: pd.DataFrame,
    work_or_study: Iterable[str] = DEFAULT_PANEL_WORK_OR_STUDY,
    data_end: dt.date | pd.Timestamp | None = None,
    date_col: str = "start_date",
    memory_limit: str = "3GB",
    threads: int = 2,
    temp_dir: Path | None = None,
) -> pd.DataFrame:
    """Months from the start month to the first month in work or study (no competing exits).

    The same values as ``analysis.survival.spells.time_to_first(panel, persons, work_or_study, (), data_end,
    date_col)``: ``time``, ``event`` (1 work or study, 0 censored), ``entry``, for the persons
    observed at or after their start month, with the persons' columns.
    """
    out = _per_bucket(
        dataset,
        persons,
        date_col,
        work_or_study,
        data_end,
        memory_limit,
        threads,
        temp_dir,
        """
            j AS (SELECT p.person_key, p.m, p.ws, r.a FROM p JOIN persons_ref r USING (person_key)),
            agg AS (SELECT person_key, any_value(a) AS a, min(m) AS first_m, max(m) AS last_m,
                           min(m) FILTER (WHERE ws AND m >= a) AS f
                    FROM j GROUP BY person_key),
            t AS (SELECT person_key, a, first_m, last_m, f IS NOT NULL AND f <= last_m AS hit,
                         CASE WHEN f IS NOT NULL AND f <= last_m THEN f - a ELSE last_m - a END AS time
                  FROM agg WHERE last_m >= a)
            SELECT person_key, time, CAST(hit AS INTEGER) AS event,
                   least(greatest(first_m - a - 1, 0), greatest(time, 0)) AS entry
            FROM t""",
        [PERSON_KEY, "time", "event", "entry"],
    )
    out = out.astype({"time": np.int64, "event": np.int64, "entry": np.int64})
    keep = persons.assign(**{PERSON_KEY: arrow_keys(persons[PERSON_KEY])}).merge(out, on=PERSON_KEY, how="inner")
    return keep.reset_index(drop=True)


PERSONS = "persons.parquet"
PERSON_FILES = ("participants", "comparison")


@dataclass
class PersonsCleaning:
    """What :func:`clean_persons` kept: one row per kept person, and the person files' quarantine."""

    persons: pd.DataFrame
    rows_read: dict[str, int]
    rows_kept: dict[str, int]
    quarantined: dict[str, int]

    @property
    def kept_keys(self) -> pd.Series:
        """The keys of every kept person (both groups), as :func:`panel_to_parquet` takes them."""
        return self.persons[PERSON_KEY]


def clean_persons(
    data_dir: Path,
    work_dir: Path,
    *,
    columns: tuple[str, ...] = ("start_date", "age_at_start", "gender"),
    env: dict[str, str] | None = None,
    separate_process: bool = True,
) -> PersonsCleaning:
    """Clean the person files of a register project with :func:`analysis.clean.clean_project`, cheaply in memory.

    Only the participants and the comparison group are cleaned (the panel is left to
    :func:`panel_to_parquet`), by the very same cleaning step, so the kept persons, their keys
    and the quarantine are those of ``clean_project``. What differs is where it runs: in a
    child process (``separate_process``, the default), which writes the kept persons to
    ``work_dir/persons.parquet`` and exits, so the cleaning step's millions of Python
    strings (and the heap they fragment) are given back before DuckDB takes the panel.
    The persons come back column-wise: keys as pyarrow strings, ``gender`` categorical,
    ``group`` (1 participant, 0 comparison; the comparison group's ``reference_date`` is its
    ``start_date``) as int8.

    Example
    -------
    >>> cleaned = clean_persons(Path("benchmarks/register_scale/data/register-1m"), Path("/tmp/ooc"))  # doctest: +SKIP
    >>> cleaned.persons.columns.tolist()  # doctest: +SKIP
    ['person_key', 'group', 'start_date', 'age_at_start', 'gender']
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    args = (Path(data_dir), work_dir / PERSONS, tuple(columns), env)
    if separate_process:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn (not fork) on every platform: a fresh interpreter, as on Windows
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            counts = pool.submit(_clean_persons_to_parquet, *args).result()
    else:
        counts = _clean_persons_to_parquet(*args)
    return PersonsCleaning(_read_persons(work_dir / PERSONS), **counts)


def _clean_persons_to_parquet(
    data_dir: Path, path: Path, columns: tuple[str, ...], env: dict[str, str] | None
) -> dict[str, dict[str, int]]:
    """Clean the person files, write the kept persons to ``path``; return the counts by file and by reason."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.clean.run import clean_project
    from analysis.project.config import load_project

    project = load_project(data_dir)
    cfg = project.config
    files = {k: v for k, v in cfg.files.items() if k in PERSON_FILES}
    cleaned = clean_project(project.model_copy(update={"config": cfg.model_copy(update={"files": files})}), env=env)
    parts = []
    for group, kind in ((1, "participants"), (0, "comparison")):
        table = cleaned.tables.get(kind)
        if table is None:
            continue
        table = table.rename(columns={"reference_date": "start_date"})
        cols = {PERSON_KEY: pa.array(table[PERSON_KEY].astype(object).to_numpy(), pa.string())}
        cols["group"] = pa.array(np.full(len(table), group, np.int8))
        cols.update({c: pa.Array.from_pandas(table[c]) for c in columns})
        parts.append(pa.table(cols))
        del table
    persons = pa.concat_tables(parts)
    if "gender" in persons.column_names:  # a handful of codes repeated millions of times
        i = persons.column_names.index("gender")
        persons = persons.set_column(i, "gender", pa.compute.dictionary_encode(persons["gender"]))
    pq.write_table(persons, path)
    problems = cleaned.problems.drop_duplicates(["file", "row", "rule"])  # a row may break more than one rule
    return {
        "rows_read": {r.file: int(r.rows_read) for r in cleaned.files},
        "rows_kept": {r.file: int(r.rows_kept) for r in cleaned.files},
        "quarantined": {str(k): int(v) for k, v in problems["rule"].value_counts().items()},
    }


def _read_persons(path: Path) -> pd.DataFrame:
    """The persons parquet column-wise: strings as pyarrow strings, dictionaries as categoricals."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get)
