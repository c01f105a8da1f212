"""The register path of the cleaning step: a monthly panel too large for memory, cleaned out of core.

A national register panel (10 million persons x 36 months = 360 million rows) is one long
text file. When it is at least :data:`REGISTER_PANEL_BYTES` (or the bytes given in the
environment variable ``FOLJEVAL_REGISTER_PANEL_BYTES``), :func:`analysis.clean.clean_project`
reads it into DuckDB instead of pandas, under a memory limit that spills to disk, and applies
the rules of :mod:`analysis.clean.panel` *by the same functions*, once per distinct id, month
and label (``_identity_rules``, ``_month_rules``, ``_status_rules``): the kept rows, the
quarantine and its messages are those of the in-memory path (tested). Only rows become SQL:
the joins to the distinct values, the person not kept from the person files, the second row
of a person and month. The kept rows are written as parquet partitioned by person
(``status_monthly/bucket=<b>/*.parquet``), which :class:`analysis.clean.store.ProcessedTables`
reads and the out-of-core spells of :mod:`analysis.clean.outofcore` take bucket by bucket.

What takes the in-memory path whatever its size: a wide panel (a column per month), an
income-support panel read from amounts, several files or sheets, Excel and SPSS files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean.context import _Context
from analysis.clean.duck import connect
from analysis.clean.headers import HeaderMap, check_mapped_headers, map_headers, recogniser
from analysis.clean.panel import (
    KIND,
    _Adder,
    _check_panel_columns,
    _identity_rules,
    _month_rules,
    _panel_of,
    _status_rules,
)
from analysis.clean.readers import ROW, _cells, _decode, _header_index, _sniff_lines
from analysis.clean.result import FileReport, _Notices, _Problems, _sha256
from analysis.clean.rulebook import RULES
from analysis.clean.sources import resolve_paths
from analysis.clean.values import MISSING_WORDS
from analysis.project.config import FileSpec, Project
from analysis.project.contract import PERSON_KEY
from analysis.project.errors import BadFileError

REGISTER_PANEL_BYTES = 1_500_000_000
"""A status panel file of at least this many bytes (~45 million rows) is cleaned out of core.

Below it the in-memory path is faster (it measured 88 s and 5.4 GiB for 36 million rows);
above it its memory grows past what an evaluator's machine has."""
THRESHOLD_ENV = "FOLJEVAL_REGISTER_PANEL_BYTES"
MEMORY_LIMIT = "3GB"  # DuckDB's buffer manager; it spills to a temporary folder beyond it
BUCKETS = 32  # persons per bucket = persons / 32: what one step of the spells holds at a time
ID_CHUNK = 1_000_000  # distinct ids run through the rules at a time (bounds the Python strings alive)
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
DATASET = "status_monthly"


def register_threshold(env: dict[str, str] | None = None) -> int:
    """The panel size in bytes from which the register path is taken (``FOLJEVAL_REGISTER_PANEL_BYTES``)."""
    text = (os.environ if env is None else env).get(THRESHOLD_ENV, "").strip()
    if not text:
        return REGISTER_PANEL_BYTES
    try:
        return int(float(text))
    except ValueError:
        raise BadFileError(THRESHOLD_ENV, f"'{text}' is not a number of bytes; unset it or give e.g. 2e9") from None


def register_panel_file(project: Project, env: dict[str, str] | None = None) -> Path | None:
    """The status panel file that takes the register path, or None (the in-memory path).

    Example
    -------
    >>> from analysis.project.config import load_project
    >>> register_panel_file(load_project("data/raw/c2-lycksele"))  # doctest: +SKIP
    """
    spec = project.config.files.get(KIND)
    if spec is None or spec.layout == "wide" or (project.config.panel_domain or "activity") != "activity":
        return None
    paths = resolve_paths(project.data_dir, spec, KIND)
    if len(paths) != 1 or paths[0].suffix.lower() not in TEXT_SUFFIXES or not paths[0].is_file():
        return None
    return paths[0] if paths[0].stat().st_size >= register_threshold(env) else None


@dataclass
class RegisterPanel:
    """What the register path kept: the dataset (until it is written), its reconciliation and its rules."""

    dataset: Path
    report: FileReport
    problems: pd.DataFrame
    notices: pd.DataFrame
    rows_kept: int
    last_month: pd.Timestamp | None
    participant_rows: pd.DataFrame  # the participants' kept rows, for the values derived from the panel
    _cleanup: Any = field(default=None, repr=False, compare=False)

    def move_to(self, folder: Path) -> None:
        """Put the dataset in ``folder/status_monthly/`` (the processed layout): moved out of the work folder,
        which is then removed, or copied when it was written before."""
        if self._cleanup is not None and self._cleanup.alive:
            shutil.move(str(self.dataset), str(folder / DATASET))
            self._cleanup()
        else:
            shutil.copytree(self.dataset, folder / DATASET)
        self.dataset = folder / DATASET


@dataclass(frozen=True)
class _Text:
    """How the file is read: its header line's index, delimiter, encoding for DuckDB and the mapped headers."""

    header: int
    delimiter: str
    encoding: str
    headers: HeaderMap
    raw_names: list[str]


def _read_header(path: Path, spec: FileSpec, label: str) -> _Text:
    """Find and map the header as the in-memory reader does, from the first megabyte of the file."""
    with open(path, "rb") as fh:
        raw = fh.read(1 << 20)
    raw = raw[: raw.rfind(b"\n") + 1] or raw  # never cut a character in two
    text, enc = _decode(path, raw, spec.encoding)
    lines = text.lstrip("\ufeff").splitlines()
    delimiter = spec.delimiter or _sniff_lines(lines)
    head: list[list[object]] = [_cells(x, delimiter) if x.strip() else [] for x in lines[:60]]
    header = _header_index(head, spec, recogniser(spec, KIND, []), label)
    names = [str(c).strip() for c in head[header]]
    frame = pd.DataFrame(columns=[ROW, *names])
    _, hm = map_headers(frame, spec, KIND, [], label)
    check_mapped_headers(spec, KIND, names, label)
    duck = "utf-8" if enc.startswith("utf-8") else "utf-16" if enc.startswith("utf-16") else "latin-1"
    return _Text(header, delimiter, duck, hm, names)


def clean_register_panel(path: Path, spec: FileSpec, ctx: _Context) -> RegisterPanel:
    """Clean one long status panel file out of core (see the module docstring).

    Parameters
    ----------
    path : Path
        The raw panel (CSV or text, any delimiter the in-memory reader takes).
    spec : FileSpec
        ``files.status_monthly`` of project.yml (header mapping, labels, missing values).
    ctx : _Context
        The cleaning step's state after the person files: their kept keys and parsed ids.

    Example
    -------
    >>> panel = clean_register_panel(path, cfg.files["status_monthly"], ctx)  # doctest: +SKIP
    >>> panel.report.rows_read == panel.report.rows_kept + panel.report.rows_rejected  # doctest: +SKIP
    True
    """
    label = path.name
    text = _read_header(path, spec, label)
    panel = _panel_of(KIND)
    work = _work_folder(ctx.project)
    con = connect(None, MEMORY_LIMIT, 2, work / "spill")
    try:
        n_read = _load(con, path, text)
        _check_panel_columns([_source(label, path, text)], "activity", spec.layout, panel)
        missing = MISSING_WORDS | frozenset(spec.missing_values)
        found, notes = _value_maps(con, ctx, spec, missing, label)
        _map_rows(con, ctx)
        problems, notices = _row_problems(con, found, notes, label)
        rows_kept, last = _write_kept(con, work / "panel")
        participants = _participant_rows(con, ctx)
    except BaseException:
        con.close()
        _remove_work(str(work))
        raise
    con.close()
    shutil.rmtree(work / "spill", ignore_errors=True)
    rejected = int(problems["row"].nunique()) if len(problems) else 0
    report = FileReport(KIND, label, _sha256(path), n_read, n_read - rejected, rejected)
    report.header_row, report.header_detected = text.header + 1, spec.header_row is None
    report.title_rows = text.header
    report.columns, report.recognised_by = dict(text.headers.recognised), dict(text.headers.how)
    report.ignored, report.ignored_columns = dict(text.headers.ignored), list(text.headers.ignored)
    out = RegisterPanel(work / "panel", report, problems, notices, rows_kept, last, participants)
    out._cleanup = weakref.finalize(out, _remove_work, str(work))  # also when it is never written
    return out


def _work_folder(project) -> Path:
    """A new folder for DuckDB's spill files and the kept rows until they are written.

    The spill files hold raw ids, so they stay with the project's data, not in the system's
    temporary folder: ``data/processed/<project>.work/`` when the project lies in ``data/raw/``
    (``foljeval erase`` removes it); elsewhere (a project folder given by path) the temporary folder.
    """
    raw = Path(project.raw_dir)
    if raw.parent.name != "raw" or raw.parent.parent.name != "data":
        return Path(tempfile.mkdtemp(prefix="foljeval-register-"))
    base = raw.parent.parent / "processed" / f"{project.id}.work"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="clean-", dir=base))


def _remove_work(work: str) -> None:
    """Remove a work folder, and ``<project>.work`` with it when nothing else is in it."""
    shutil.rmtree(work, ignore_errors=True)
    parent = Path(work).parent
    if parent.name.endswith(".work"):
        with contextlib.suppress(OSError):  # another run's folder is in it, or it is gone
            parent.rmdir()


def _source(label: str, path: Path, text: _Text):
    """The minimal :class:`analysis.clean.sources.Source` that ``_check_panel_columns`` reads."""
    from analysis.clean.layout import Layout
    from analysis.clean.sources import Source

    return Source(label, path, None, Layout(header_row=text.header + 1, detected=True), text.headers, 0, "")


def _load(con: Any, path: Path, text: _Text) -> int:
    """Load the mapped columns as text into table ``raw`` with each row's file line; return the row count."""
    position = {canon: i for i, raw in enumerate(text.raw_names) if (canon := text.headers.recognised.get(raw))}
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(text.raw_names)))
    select = ", ".join(
        f"c{position[c]} AS {c}" if c in position else f"NULL::VARCHAR AS {c}" for c in ("person_id", "month", "status")
    )
    # the file's line: the header's line plus the row's position (DuckDB keeps the file's order)
    con.execute(f"""
        CREATE TABLE raw AS
        SELECT row_number() OVER () + {text.header + 1} AS line, {select}
        FROM read_csv('{path.as_posix()}', delim='{text.delimiter}', header=true, skip={text.header},
                      encoding='{text.encoding}', columns={{{cols}}}, all_varchar=true, null_padding=true)""")
    return int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])


def _rule_frame(problems: _Problems, source: int) -> pd.DataFrame:
    """The rules broken by distinct values (``idx`` = the value's index), in the order they were found."""
    out = problems.frame().rename(columns={"row": "idx"}).drop(columns="file")
    return out.assign(src=source, ord=np.arange(len(out)))


def _distinct_values(con: Any, column: str) -> int:
    """Table ``<column>_values`` (``v``, ``idx``) of the distinct values of ``raw.<column>``; return how many."""
    con.execute(f"""CREATE TABLE {column}_values AS
                    SELECT v, row_number() OVER () - 1 AS idx FROM (SELECT DISTINCT {column} AS v FROM raw)""")
    return int(con.execute(f"SELECT count(*) FROM {column}_values").fetchall()[0][0])


def _values(con: Any, column: str, lo: int, hi: int) -> pd.Series:
    got = con.sql(f"SELECT v FROM {column}_values WHERE idx >= {lo} AND idx < {hi} ORDER BY idx").to_arrow_table()
    return pd.Series(got["v"].to_pylist(), dtype=object)


def _map_chunk(con: Any, column: str, vals: pd.Series, lo: int, code: Any, bad: np.ndarray) -> None:
    """Append distinct values ``lo..`` with their code and whether they are refused to ``<column>_map``."""
    import pyarrow as pa

    chunk = pa.table(
        {
            "v": pa.array(vals, pa.string(), from_pandas=True),
            "idx": np.arange(lo, lo + len(vals)),
            "code": code,
            "bad": bad,
        }
    )
    con.register("map_chunk", chunk)
    if lo == 0:
        con.execute(f"CREATE TABLE {column}_map AS SELECT * FROM map_chunk")
    else:
        con.execute(f"INSERT INTO {column}_map SELECT * FROM map_chunk")
    con.unregister("map_chunk")


def _text_codes(per_value: pd.Series, codes: np.ndarray, bad: np.ndarray) -> Any:
    import pyarrow as pa

    out = per_value.reset_index(drop=True).astype(object).to_numpy()[codes]
    out[bad | pd.isna(out)] = None
    return pa.array(out, pa.string(), from_pandas=True)


def _value_maps(con: Any, ctx: _Context, spec: FileSpec, missing: frozenset[str], label: str):
    """The panel's rules on every distinct id, month and label, by the in-memory path's functions.

    Registers ``person_id_map``, ``month_map`` and ``status_map`` (``v, idx, code, bad``) and returns the
    rules each distinct value broke and the notices (a frame each, ``idx`` naming the value).
    """
    found, notes = [], []
    n = _distinct_values(con, "person_id")
    for lo in range(0, max(n, 1), ID_CHUNK):  # ids a million at a time: the Python strings alive are bounded
        vals = _values(con, "person_id", lo, min(lo + ID_CHUNK, n))
        problems = _Problems([label], np.zeros(len(vals), np.int64), np.arange(lo, lo + len(vals)))
        codes, keys, bad = _identity_rules({"person_id": vals}, _Adder(problems, np.arange(len(vals))), ctx, missing)
        _map_chunk(con, "person_id", vals, lo, _text_codes(keys, codes, bad), bad)
        found.append(_rule_frame(problems, 0))
    n = _distinct_values(con, "month")
    vals = _values(con, "month", 0, n)
    problems = _Problems([label], np.zeros(n, np.int64), np.arange(n))
    codes, months, bad = _month_rules({"month": vals}, _Adder(problems, np.arange(n)), missing, ctx.dates)
    per_row = pd.DatetimeIndex(months.reset_index(drop=True)).as_unit("ns")[codes]
    _map_chunk(con, "month", vals, 0, np.where(bad, np.datetime64("NaT", "ns"), per_row.to_numpy()), bad)
    found.append(_rule_frame(problems, 1))
    n = _distinct_values(con, "status")
    vals = _values(con, "status", 0, n)
    problems = _Problems([label], np.zeros(n, np.int64), np.arange(n))
    notices = _Notices(problems)
    add = _Adder(problems, np.arange(n))
    codes, status, _, bad, _ = _status_rules(
        {"status": vals, "amount": None}, add, spec, missing, n, _panel_of(KIND), notices
    )
    _map_chunk(con, "status", vals, 0, _text_codes(status, codes, bad), bad)
    found.append(_rule_frame(problems, 2))
    notes.append(notices.frame().rename(columns={"row": "idx"}).drop(columns="file"))
    return found, notes


def _map_rows(con: Any, ctx: _Context) -> None:
    """Tables ``keys`` (each kept person's key, its code in key order and its bucket) and ``mapped`` (each row's
    line, value indexes, key code, month, status code and whether it was refused or is nobody kept)."""
    import pyarrow as pa

    kept = ctx.participant_keys.append(ctx.comparison_keys)
    con.register("kept_arrow", pa.table({PERSON_KEY: pa.array(kept.astype(object).to_numpy(), pa.string())}))
    # per distinct id, not per row: joins of millions of keys instead of hundreds of millions of rows
    con.execute(f"""CREATE TABLE keys AS
                    SELECT {PERSON_KEY}, CAST(row_number() OVER (ORDER BY {PERSON_KEY}) AS INTEGER) AS key_code,
                           CAST(hash({PERSON_KEY}) % {BUCKETS} AS INTEGER) AS bucket
                    FROM (SELECT DISTINCT code AS {PERSON_KEY} FROM person_id_map WHERE NOT bad
                          INTERSECT SELECT {PERSON_KEY} FROM kept_arrow)""")
    con.unregister("kept_arrow")
    con.execute(f"""CREATE TABLE id_lookup AS
                    SELECT i.v, i.idx, i.bad, k.key_code
                    FROM person_id_map i LEFT JOIN keys k ON i.code = k.{PERSON_KEY}""")
    # integers through the rows; the key text is joined back only when the kept rows are written
    con.execute("""
        CREATE TABLE mapped AS
        SELECT r.line, i.idx AS id_idx, m.idx AS month_idx, s.idx AS status_idx,
               i.key_code, m.code AS month, s.code AS status,
               (i.bad OR m.bad OR s.bad) AS bad, NOT (i.bad OR m.bad OR s.bad) AND i.key_code IS NULL AS unknown
        FROM raw r
        JOIN id_lookup i ON r.person_id IS NOT DISTINCT FROM i.v
        JOIN month_map m ON r.month IS NOT DISTINCT FROM m.v
        JOIN status_map s ON r.status IS NOT DISTINCT FROM s.v""")
    con.execute("DROP TABLE raw")
    # the first row of a person and month (by file line) is kept, later ones are duplicates: found by an
    # aggregate (which spills) instead of a window over every row (a sort of hundreds of millions)
    con.execute("""
        CREATE TABLE dup_lines AS
        SELECT m.line FROM mapped m
        JOIN (SELECT key_code, month, min(line) AS first FROM mapped WHERE NOT bad AND NOT unknown
              GROUP BY key_code, month HAVING count(*) > 1) d
          ON m.key_code = d.key_code AND m.month = d.month
        WHERE NOT m.bad AND NOT m.unknown AND m.line > d.first""")


def _one_rule(rule: str, column: str, **fields: object) -> tuple[str, str]:
    """The message and shown value of ``rule`` as the in-memory path writes it for a row."""
    p = _Problems(["x"], np.zeros(1, np.int64), np.zeros(1, np.int64))
    p.add(pd.Series([0]), RULES[rule], column=column, **fields)
    row = p.frame().iloc[0]
    return str(row["message"]), str(row["value"])


def _row_problems(con: Any, found: list[pd.DataFrame], notes: list[pd.DataFrame], label: str):
    """rejected.csv's rows of the panel (file, row, column, rule, message, value) and its notices, by file line."""
    rules = pd.concat(found, ignore_index=True)
    con.register("value_rules", rules)
    unknown = _one_rule("unknown_person", "person_id", among="participants or comparison group")
    dup_rule = RULES["duplicate_month"]
    dup = _one_rule("duplicate_month", str(dup_rule.column))
    problems = con.execute(
        f"""
        SELECT m.line AS row, v."column", v.rule, v.message, v.value, v.src, v.ord
        FROM value_rules v JOIN mapped m
             ON (v.src = 0 AND m.id_idx = v.idx) OR (v.src = 1 AND m.month_idx = v.idx) OR (v.src = 2 AND m.status_idx = v.idx)
        UNION ALL SELECT line, 'person_id', 'unknown_person', ?, ?, 3, 0 FROM mapped WHERE unknown
        UNION ALL SELECT line, '{dup_rule.column}', '{dup_rule.code}', ?, ?, 4, 0 FROM dup_lines
        ORDER BY row, "column", src, ord""",
        [*unknown, *dup],
    ).df()
    con.unregister("value_rules")
    problems.insert(0, "file", label)
    problems = problems.drop(columns=["src", "ord"]).astype({"row": np.int64})
    notices = pd.concat(notes, ignore_index=True)
    if not len(notices):
        return problems, _Notices.empty()
    if len(notices):
        con.register("value_notices", notices)
        notices = con.execute(
            'SELECT m.line AS row, n."column", n.notice, n.value FROM value_notices n JOIN mapped m ON m.status_idx = n.idx '
            "ORDER BY row"
        ).df()
        con.unregister("value_notices")
    notices.insert(0, "file", label)
    return problems, notices[_Notices.COLUMNS]


KEPT = f"""SELECT k.{PERSON_KEY}, m.month, m.status, k.bucket, m.key_code, m.line FROM mapped m
           JOIN keys k ON m.key_code = k.key_code
           WHERE NOT m.bad AND NOT m.unknown AND m.line NOT IN (SELECT line FROM dup_lines)"""


def _write_kept(con: Any, out: Path) -> tuple[int, pd.Timestamp | None]:
    """Write the kept rows as ``out/bucket=<b>/*.parquet`` (sorted by person and month); return rows and last month."""
    con.execute(f"""COPY (SELECT {PERSON_KEY}, month, status, bucket FROM ({KEPT}) ORDER BY bucket, key_code, month)
                    TO '{out.as_posix()}' (FORMAT parquet, PARTITION_BY (bucket))""")
    src = (out / "bucket=*" / "*.parquet").as_posix()
    n, last = con.execute(f"SELECT count(*), max(month) FROM read_parquet('{src}')").fetchall()[0]
    return int(n), (pd.Timestamp(last) if last is not None else None)


def _participant_rows(con: Any, ctx: _Context) -> pd.DataFrame:
    """The participants' kept rows in the processed table's dtypes (few: the values derived from the panel)."""
    import pyarrow as pa

    keys = pa.table({PERSON_KEY: pa.array(ctx.participant_keys.astype(object).to_numpy(), pa.string())})
    con.register("participant_keys", keys)
    out = con.execute(f"""SELECT k.{PERSON_KEY}, k.month, k.status FROM ({KEPT}) k
                          SEMI JOIN participant_keys p ON k.{PERSON_KEY} = p.{PERSON_KEY} ORDER BY k.line""").df()
    con.unregister("participant_keys")
    return out
