"""The cleaning step: raw exports -> validated, pseudonymised processed tables.

Rules (DESIGN.md "Cleaning rules"):

* raw files are only read;
* every raw row is either kept or quarantined in ``rejected.csv`` with the file,
  row, column and rule it broke, so rows read = rows kept + rows rejected per file;
* personnummer are validated and replaced by a keyed pseudonym; none leaves this step;
* a file that cannot be used at all stops the project with one clear message.

All row rules are vectorised so that the same code cleans a register panel of
tens of millions of rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__, identity, labels
from .config import FileSpec, Project
from .dates import months_between, parse_dates, parse_month
from .errors import BadFileError, FoljevalError
from .readers import ROW, read_raw
from .schemas import SCHEMAS

# What each contract file holds: dates, categorical columns (-> label domain), numbers.
FILE_COLUMNS: dict[str, dict[str, Any]] = {
    "participants": {
        "id": "person_id",
        "required": ["person_id", "start_date"],
        "dates": ["referral_date", "start_date", "end_date", "action_plan_date"],
        "categories": {
            "referred_by": "referred_by", "gender": "gender", "origin": "origin", "education": "education",
            "income_at_start": "income", "income_at_exit": "income", "exit_status": "exit_status",
        },
        "numbers": ["birth_year", "support_before_months"],
        "text": ["track"],
    },
    "comparison": {
        "id": "person_id",
        "required": ["person_id", "reference_date"],
        "dates": ["reference_date"],
        "categories": {
            "referred_by": "referred_by", "gender": "gender", "origin": "origin", "education": "education",
            "income_at_start": "income", "exit_status": "exit_status",
        },
        "numbers": ["birth_year", "support_before_months"],
        "text": [],
    },
    "followups": {
        "id": "person_id",
        "required": ["person_id"],
        "dates": ["followup_date"],
        "categories": {"status": "exit_status", "income_source": "income"},
        "numbers": ["months_after_exit"],
        "text": [],
    },
    "status_monthly": {
        "id": "person_id",
        "required": ["person_id", "month", "status"],
        "dates": [],
        "months": ["month"],
        "categories": {"status": "panel_status"},
        "numbers": [],
        "text": [],
    },
    "survey": {
        "id": "respondent_id",
        "required": ["respondent_id", "wave", "item", "response"],
        "dates": [],
        "categories": {"wave": "wave"},
        "numbers": [],
        "text": ["item", "free_text", "response"],
    },
}
ORDER = ("participants", "comparison", "followups", "status_monthly", "survey")
PERSON_KEY = {"participants": "person_key", "comparison": "person_key", "followups": "person_key",
              "status_monthly": "person_key", "survey": "respondent_key"}


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
        return self.problems.groupby(["file", "column", "rule"], sort=True)["row"].nunique().rename("rows").reset_index()

    def manifest(self) -> dict[str, Any]:
        cfg = self.project.yml_path.read_bytes()
        return {
            "project": self.project.id,
            "foljeval_version": __version__,
            "config_sha256": hashlib.sha256(cfg).hexdigest(),
            "data_end": self.data_end.isoformat(),
            "key_source": self.key_source,
            "files": [
                {k: v for k, v in f.__dict__.items()} for f in self.files
            ],
            "tables": {name: int(len(df)) for name, df in self.tables.items()},
        }

    def write(self, folder: Path) -> None:
        """Write the processed tables, rejected.csv, reconciliation.csv and manifest.json."""
        from .io import write_table

        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        for name, df in self.tables.items():
            write_table(folder, name, df)
        self.problems.to_csv(folder / "rejected.csv", index=False)
        self.reconciliation.to_csv(folder / "reconciliation.csv", index=False)
        (folder / "manifest.json").write_text(json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class _Problems:
    """Collects broken rules row by row, vectorised."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.frames: list[pd.DataFrame] = []

    def add(self, rows: pd.Series, column: str, rule: str, message: str, values: pd.Series | None = None) -> None:
        """Record that ``rows`` broke ``rule`` (a code, translated in reports) in ``column``."""
        if len(rows) == 0:
            return
        vals = _mask_values(values if values is not None else pd.Series([""] * len(rows), index=rows.index), column)
        self.frames.append(pd.DataFrame({"file": self.file, "row": rows.to_numpy(), "column": column, "rule": rule,
                                         "message": message, "value": vals.to_numpy()}))

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


def _per_value(fn):
    """Compute ``fn`` once per distinct value of a categorical column and expand by its codes.

    Large CSV files arrive dictionary-encoded (see readers.LARGE_CSV_BYTES): a 36-million-row
    panel has a few hundred thousand ids, 36 months and 7 labels, so every rule runs on the
    distinct values and string results stay categorical instead of becoming millions of objects.
    """
    def wrapper(values: pd.Series, *args, **kwargs):
        if not isinstance(values.dtype, pd.CategoricalDtype):
            return fn(values, *args, **kwargs)
        distinct = pd.Series(list(values.cat.categories) + [None], dtype=object)
        codes = values.cat.codes.to_numpy()
        take = np.where(codes < 0, len(distinct) - 1, codes)
        return _expand(fn(distinct, *args, **kwargs), take, values.index)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _expand(result, take: np.ndarray, index: pd.Index):
    if isinstance(result, tuple):
        return tuple(_expand(r, take, index) for r in result)
    if isinstance(result, pd.DataFrame):
        return pd.DataFrame({c: _expand(result[c], take, index) for c in result.columns}, index=index)
    if result.dtype == object:
        codes, uniques = pd.factorize(result, use_na_sentinel=True)
        return pd.Series(pd.Categorical.from_codes(codes[take], categories=uniques), index=index)
    return pd.Series(result.array.take(take), index=index)


@_per_value
def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().isin(["", "nan", "NaN", "None", "NaT"])


def _map_headers(df: pd.DataFrame, spec: FileSpec, kind: str, extra: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rename raw headers to canonical names: project.yml mapping first, then the Swedish dictionary."""
    rename: dict[str, str] = {}
    ignored: list[str] = []
    known = set(FILE_COLUMNS[kind]["required"]) | set(FILE_COLUMNS[kind]["dates"]) | set(FILE_COLUMNS[kind].get("months", []))
    known |= set(FILE_COLUMNS[kind]["categories"]) | set(FILE_COLUMNS[kind]["numbers"]) | set(FILE_COLUMNS[kind]["text"])
    known.add(FILE_COLUMNS[kind]["id"])
    extra_norm = {labels.normalise(e): e for e in extra}
    for col in df.columns[1:]:
        target = spec.columns.get(col) or spec.columns.get(col.strip())
        if target is None:
            canon = labels.canonical_header(col)
            target = canon if canon in known else None
        if target is None and labels.normalise(col) in extra_norm:
            target = extra_norm[labels.normalise(col)]
        if target is None:
            ignored.append(col)
            continue
        if target in rename.values():
            first = next(k for k, v in rename.items() if v == target)
            raise BadFileError(spec.path, f"both '{first}' and '{col}' map to '{target}'; map one of them in project.yml", column=col, row=1)
        rename[col] = target
    out = df[[ROW, *rename]].rename(columns=rename)
    return out, ignored


@_per_value
def _categories(values: pd.Series, domain: str, project_map: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map labels to canonical codes. Returns (codes with NA for blanks, unknown mask)."""
    mapping = labels.value_map(domain)
    mapping.update({labels.normalise(k): v for k, v in project_map.items()})
    text = values.astype(object).where(~_blank(values), None)
    # Numeric codes from SPSS without labels arrive as 1.0; show them as "1".
    text = text.map(lambda v: (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) if v is not None else None)
    uniq = pd.unique(text.dropna())
    lookup = {u: mapping.get(labels.normalise(u)) for u in uniq}
    codes = text.map(lambda v: lookup.get(v) if v is not None else None)
    unknown = text.notna() & codes.isna()
    return codes.astype(object), unknown


@_per_value
def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers with decimal comma and spaces as thousands separators. Returns (float, bad mask)."""
    if pd.api.types.is_numeric_dtype(values):
        num = values.astype(float)
        return num, pd.Series(False, index=values.index)
    text = values.astype(object).where(~_blank(values), None)
    cleaned = (
        text.astype(str).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
        .str.replace(",", ".", regex=False).str.replace("\u2212", "-", regex=False)
    )
    num = pd.to_numeric(cleaned.where(text.notna(), None), errors="coerce")
    bad = text.notna() & num.isna()
    return num.astype(float), bad


class _Context:
    def __init__(self, project: Project, key: bytes | None) -> None:
        self.project = project
        self.config = project.config
        self.key = key
        self.participant_keys: pd.Index = pd.Index([])
        self.comparison_keys: pd.Index = pd.Index([])
        self.end_by_person: pd.Series = pd.Series(dtype="datetime64[ns]")
        # Parsed ids by raw text: the panel repeats the ids of the person files, parse them once.
        self.id_cache: pd.DataFrame | None = None


@_per_value
def _pseudonyms(ids: pd.Series, ctx: _Context) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Validate ids and return (parsed frame or None-like, pseudonym Series, reason Series for invalid)."""
    if ctx.config.id_type == "pseudonym":
        keys = identity.pseudonymise_external_id(ids)
        reason = pd.Series(np.where(keys.isna(), "not a usable pseudonymous id (letters, digits and _.:- only; a personnummer is refused)", None), index=ids.index, dtype=object)
        return pd.DataFrame(index=ids.index), keys, reason
    text = ids.astype(object).where(ids.notna(), None)
    cache = ctx.id_cache
    known = cache.index.get_indexer(text) if cache is not None else np.full(len(text), -1)
    new = pd.Index(text[(known < 0) & text.notna().to_numpy()].unique())
    if len(new):
        parsed_new = identity.parse_personnummer(pd.Series(new, index=new, dtype=object))
        keys_new = pd.Series(pd.NA, index=new, dtype=object)
        ok_new = parsed_new["valid"].to_numpy(bool)
        if ok_new.any():
            keys_new[ok_new] = identity.pseudonymise(parsed_new.loc[ok_new, "normalized"], ctx.key).to_numpy()
        parsed_new["key"] = keys_new
        cache = parsed_new if cache is None else pd.concat([cache, parsed_new])
        ctx.id_cache = cache
        known = cache.index.get_indexer(text)
    empty = identity.parse_personnummer(pd.Series([None], dtype=object)).assign(key=pd.NA)
    table = pd.concat([cache, empty]) if cache is not None else empty
    parsed = table.iloc[np.where(known < 0, len(table) - 1, known)].set_axis(ids.index)
    keys = parsed.pop("key").astype(object)
    ok = parsed["valid"].astype(bool)
    reason = parsed["reason"].where(~ok, None)
    return parsed, keys, reason


def _clean_file(kind: str, path: Path, spec: FileSpec, ctx: _Context) -> tuple[pd.DataFrame, _Problems, FileReport]:
    """Every person-level file (the monthly panel has its own path, :func:`_clean_panel`)."""
    cols = FILE_COLUMNS[kind]
    cfg = ctx.config
    raw = read_raw(path, spec)
    rows_read = len(raw)
    extra = [c for c in dict.fromkeys(cfg.covariates + cfg.outcomes)] if kind in ("participants", "comparison") else []
    df, ignored = _map_headers(raw, spec, kind, extra)
    missing = [c for c in cols["required"] if c not in df.columns]
    if kind == "followups" and "followup_date" not in df.columns and "months_after_exit" not in df.columns:
        missing.append("followup_date (or months_after_exit)")
    if missing:
        raise BadFileError(spec.path, f"required column missing (found: {', '.join(map(str, raw.columns[1:]))}); "
                           "name it as in the data contract or map it under files.{kind}.columns in project.yml".replace("{kind}", kind),
                           column=", ".join(missing), row=1)
    derived = {"age_at_start", "gender", "education", "origin", "support_before_months", "birth_year", "referred_by"}
    missing_extra = [c for c in extra if c not in df.columns and c not in derived]
    if missing_extra:
        raise BadFileError(spec.path, "listed under covariates/outcomes in project.yml but not in the file", column=", ".join(missing_extra), row=1)

    problems = _Problems(spec.path)
    row = df[ROW]
    out = pd.DataFrame(index=df.index)

    # Identity
    id_col = cols["id"]
    ids = df[id_col]
    empty_id = _blank(ids)
    problems.add(row[empty_id], id_col, "empty_id", "empty id")
    parsed, keys, reason = _pseudonyms(ids.where(~empty_id, None), ctx)
    bad_id = ~empty_id & keys.isna()
    for why, idx in reason[bad_id].astype(object).groupby(reason[bad_id].astype(object)).groups.items():
        problems.add(row[idx], id_col, "invalid_id", f"invalid {'personnummer' if cfg.id_type == 'personnummer' else 'id'}: {why}", ids[idx])
    out[PERSON_KEY[kind]] = keys

    # Dates
    for c in cols["dates"]:
        if c in df.columns:
            values, bad = _per_value(parse_dates)(df[c])
            problems.add(row[bad], c, "unreadable_date", "unreadable date", df[c][bad])
            out[c] = values
        else:
            out[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")

    # Categories
    for c, domain in cols["categories"].items():
        if c in df.columns:
            codes, unknown = _categories(df[c], domain, spec.values.get(c, {}))
            for label, idx in df[c][unknown].astype(str).groupby(df[c][unknown].astype(str)).groups.items():
                problems.add(row[idx], c, "unknown_label", f"unknown label '{label}' (map it under files.{kind}.values.{c} in project.yml)", df[c][idx])
            out[c] = codes
        else:
            out[c] = pd.Series(None, index=df.index, dtype=object)

    # Numbers (canonical and covariates/outcomes)
    # Covariates may name canonical columns (gender, education, ...): those are parsed above, not as numbers.
    canonical = set(cols["categories"]) | set(cols["dates"]) | set(cols["text"]) | set(cols["numbers"])
    for c in [*cols["numbers"], *[e for e in extra if e in df.columns and e not in canonical]]:
        if c in df.columns:
            num, bad = _numbers(df[c])
            problems.add(row[bad], c, "not_a_number", "not a number", df[c][bad])
            out[c] = num
        else:
            out[c] = np.nan

    # Free text-ish columns
    for c in cols["text"]:
        if c in df.columns:
            out[c] = df[c].astype(object).where(~_blank(df[c]), None).map(lambda v: None if v is None else str(v).strip())
        else:
            out[c] = None

    _row_rules(kind, out, df, parsed, problems, row, ctx, spec)

    rejected = problems.rows()
    keep = ~row.isin(rejected)
    kept = out[keep].copy()
    kept, problems = _cross_file_rules(kind, kept, row[keep], problems, ctx)
    report = FileReport(
        kind=kind, file=spec.path, sha256=_sha256(path),
        rows_read=rows_read, rows_kept=len(kept), rows_rejected=len(problems.rows()), ignored_columns=ignored,
    )
    return kept.reset_index(drop=True), problems, report


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``(codes, distinct values)`` with ``values == distinct[codes]``; a missing value is the last entry (None)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(list(uniques) + [None], dtype=object)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64), distinct


def _clean_panel(path: Path, spec: FileSpec, ctx: _Context) -> tuple[pd.DataFrame, _Problems, FileReport]:
    """The monthly status panel: the same rules as :func:`_clean_file`, on integer codes.

    A register panel has tens of millions of rows but only as many distinct values
    as persons, months and labels. Every rule runs once per distinct value; rows are
    handled as integer codes and boolean masks, so no column of millions of Python
    objects is ever built (the generic path's memory at 36 million rows was ~10 GB).
    """
    kind = "status_monthly"
    raw = read_raw(path, spec)
    rows_read = len(raw)
    df, ignored = _map_headers(raw, spec, kind, [])
    missing = [c for c in FILE_COLUMNS[kind]["required"] if c not in df.columns]
    if missing:
        raise BadFileError(spec.path, f"required column missing (found: {', '.join(map(str, raw.columns[1:]))}); "
                           "name it as in the data contract or map it under files.status_monthly.columns in project.yml",
                           column=", ".join(missing), row=1)
    problems = _Problems(spec.path)
    row = df[ROW].to_numpy()
    id_codes, id_values = _distinct(df["person_id"])
    month_codes, month_values = _distinct(df["month"])
    status_codes, status_values = _distinct(df["status"])
    del raw, df

    def add(mask_rows: np.ndarray, column: str, rule: str, message: str, values: pd.Series | None = None,
            codes: np.ndarray | None = None) -> None:
        idx = np.flatnonzero(mask_rows)
        shown = None if values is None else pd.Series(values.to_numpy()[codes[idx]], index=idx)
        problems.add(pd.Series(row[idx], index=idx), column, rule, message, shown)

    # Identity
    blank_id = _blank(id_values).to_numpy(bool)
    _, keys, reason = _pseudonyms(id_values.where(~blank_id, None), ctx)
    bad_id = ~blank_id & keys.isna().to_numpy()
    add(blank_id[id_codes], "person_id", "empty_id", "empty id")
    for why in pd.unique(reason[bad_id]):
        sel = bad_id & (reason == why).to_numpy()
        add(sel[id_codes], "person_id", "invalid_id",
            f"invalid {'personnummer' if ctx.config.id_type == 'personnummer' else 'id'}: {why}", id_values, id_codes)
    rejected = (blank_id | bad_id)[id_codes]

    # Month
    months, bad_month = parse_month(month_values)
    bad_month = bad_month.to_numpy(bool)
    blank_month = _blank(month_values).to_numpy(bool)
    add(bad_month[month_codes], "month", "unreadable_month", "unreadable month", month_values, month_codes)
    add(blank_month[month_codes], "month", "empty_required", "empty required field")
    rejected |= (bad_month | blank_month)[month_codes]

    # Status
    status, unknown = _categories(status_values, "panel_status", spec.values.get("status", {}))
    unknown = unknown.to_numpy(bool)
    for label in pd.unique(status_values[unknown].astype(str)):
        sel = unknown & (status_values.astype(str) == label).to_numpy()
        add(sel[status_codes], "status", "unknown_label",
            f"unknown label '{label}' (map it under files.status_monthly.values.status in project.yml)", status_values, status_codes)
    blank_status = (status.isna() & _blank(status_values)).to_numpy(bool)
    add(blank_status[status_codes], "status", "empty_required", "empty required field")
    rejected |= (unknown | blank_status)[status_codes]

    # Persons not kept from the person files, then one row per person and month
    key_code_of_value, key_values = pd.factorize(keys, use_na_sentinel=True)
    known = np.append(pd.Index(key_values).isin(ctx.participant_keys.append(ctx.comparison_keys)), False)
    key_codes = key_code_of_value[id_codes]  # -1 only on rows already rejected
    add(~rejected & ~known[key_codes], "person_id", "unknown_person",
        "person not among the kept participants or comparison group")
    rejected |= ~known[key_codes]
    month_code_of_value, month_uniques = pd.factorize(months, use_na_sentinel=True)
    kept = np.flatnonzero(~rejected)
    pair = key_codes[kept].astype(np.int64) * max(len(month_uniques), 1) + month_code_of_value[month_codes[kept]]
    if len(pair) > 1 and not (np.diff(pair) > 0).all():  # a file sorted by person and month needs no hashing
        dup = pd.Series(pair).duplicated(keep="first").to_numpy()
        dup_rows = np.zeros(len(row), dtype=bool)
        dup_rows[kept[dup]] = True
        add(dup_rows, "month", "duplicate_month", "duplicate month for the same person")
        kept = kept[~dup]

    status_code_of_value, status_uniques = pd.factorize(status, use_na_sentinel=True)
    out = pd.DataFrame({
        "person_key": pd.Categorical.from_codes(key_codes[kept], categories=pd.Index(key_values, dtype=object)),
        "month": pd.DatetimeIndex(month_uniques).take(month_code_of_value[month_codes[kept]]).as_unit("ns"),
        "status": pd.Categorical.from_codes(status_code_of_value[status_codes[kept]],
                                            categories=pd.Index(status_uniques, dtype=object)),
    })
    report = FileReport(kind=kind, file=spec.path, sha256=_sha256(path), rows_read=rows_read, rows_kept=len(out),
                        rows_rejected=len(problems.rows()), ignored_columns=ignored)
    return out, problems, report


def _row_rules(kind: str, out: pd.DataFrame, df: pd.DataFrame, parsed: pd.DataFrame, problems: _Problems,
               row: pd.Series, ctx: _Context, spec: FileSpec) -> None:
    cfg = ctx.config
    start, end = pd.Timestamp(cfg.period.start), pd.Timestamp(cfg.period.end)
    if kind in ("participants", "comparison") and "birth_date" in parsed:
        # Derive gender and birth year from the personnummer where the export left them empty.
        out["gender"] = out["gender"].where(out["gender"].notna(), parsed["gender"])
        by = out["birth_year"].where(out["birth_year"].notna(), parsed["birth_date"].dt.year)
        out["birth_year"] = by
    if kind == "participants":
        no_date = out["start_date"].isna() & out["referral_date"].isna() & _blank(df["start_date"])
        problems.add(row[no_date], "start_date", "no_start_or_referral", "empty required field (no start date and no referral date)")
        before = out["end_date"] < out["start_date"]
        problems.add(row[before], "end_date", "end_before_start", "end date before start date", df.loc[before, "end_date"] if "end_date" in df else None)
        outside = (out["start_date"] < start) | (out["start_date"] > end)
        problems.add(row[outside], "start_date", "start_outside_period", f"start date outside the project period ({cfg.period.start}..{cfg.period.end})", df.loc[outside, "start_date"])
        late_end = out["end_date"] > end
        problems.add(row[late_end], "end_date", "end_after_period", f"end date after the project period ends ({cfg.period.end})", df.loc[late_end, "end_date"] if "end_date" in df else None)
        if cfg.tracks:
            mapped = out["track"].map(lambda v: spec.values.get("track", {}).get(v, v) if v is not None else None)
            bad_track = mapped.notna() & ~mapped.isin(cfg.tracks)
            out["track"] = mapped
            problems.add(row[bad_track], "track", "unknown_track", f"unknown track (allowed: {', '.join(cfg.tracks)}; map labels under files.participants.values.track)", out.loc[bad_track, "track"])
        elif spec.values.get("track"):
            out["track"] = out["track"].map(lambda v: spec.values["track"].get(v, v) if v is not None else None)
    if kind == "comparison":
        problems.add(row[out["reference_date"].isna() & _blank(df["reference_date"])], "reference_date", "empty_required", "empty required field")
    if kind in ("participants", "comparison"):
        ref = out["start_date"] if kind == "participants" else out["reference_date"]
        if "birth_date" in parsed:
            bd = parsed["birth_date"]
            age = (ref.dt.year - bd.dt.year) - ((ref.dt.month < bd.dt.month) | ((ref.dt.month == bd.dt.month) & (ref.dt.day < bd.dt.day))).astype(int)
        else:
            age = pd.Series(np.nan, index=out.index)
        age = age.where(age.notna(), ref.dt.year - out["birth_year"])
        out["age_at_start"] = pd.array(np.round(age.astype(float)), dtype="Int64")
        out["birth_year"] = pd.array(np.round(out["birth_year"].astype(float)), dtype="Int64")
        bad_age = out["age_at_start"].notna() & ((out["age_at_start"] < 0) | (out["age_at_start"] > 120))
        problems.add(row[bad_age.fillna(False).astype(bool)], "birth_year", "impossible_age", "impossible age at start")
    if kind == "followups":
        nothing = out["followup_date"].isna() & out["months_after_exit"].isna()
        problems.add(row[nothing], "followup_date", "no_followup_time", "neither follow-up date nor months after exit")
    if kind == "survey":
        _survey_rules(out, problems, row, ctx)


def _survey_rules(out: pd.DataFrame, problems: _Problems, row: pd.Series, ctx: _Context) -> None:
    spec = ctx.config.survey
    for c in ("wave", "item"):
        problems.add(row[out[c].isna()], c, "empty_required", "empty required field")
    if spec is None:
        raise FoljevalError("project.yml lists a survey file but no survey: items and scales; describe them under survey:")
    items = {i.id: spec.scales[i.scale] for i in spec.items}
    unknown = out["item"].notna() & ~out["item"].isin(list(items))
    problems.add(row[unknown], "item", "unknown_item", f"unknown survey item (items in project.yml: {', '.join(items)})", out.loc[unknown, "item"])
    resp = pd.Series(np.nan, index=out.index)
    for item_id, scale in items.items():
        sel = out["item"] == item_id
        if not sel.any():
            continue
        lab = {labels.normalise(x): i + 1 for i, x in enumerate(scale.labels_sv)}
        if scale.labels_en:
            lab.update({labels.normalise(x): i + 1 for i, x in enumerate(scale.labels_en)})
        vals = out.loc[sel, "response"]
        num = pd.to_numeric(vals.map(lambda v: None if v is None else str(v).replace(",", ".")), errors="coerce")
        by_label = vals.map(lambda v: lab.get(labels.normalise(v)) if v is not None else None)
        val = num.where(num.notna(), by_label.astype(float))
        k = len(scale.labels_sv)
        bad = vals.notna() & (val.isna() | (val < 1) | (val > k) | (val % 1 != 0))
        problems.add(row[sel][bad], "response", "response_off_scale", f"response not on the item's scale 1..{k}", vals[bad])
        resp[sel] = val
    out["response"] = resp.astype(float)


def _cross_file_rules(kind: str, kept: pd.DataFrame, rows: pd.Series, problems: _Problems, ctx: _Context) -> tuple[pd.DataFrame, _Problems]:
    key = PERSON_KEY[kind]
    kept = kept.assign(_row=rows.to_numpy())
    if kind == "participants":
        kept = kept.sort_values(["start_date", "_row"], na_position="last", kind="stable")
        first_row = kept.groupby(key, sort=False, observed=True)["_row"].transform("first")
        first_start = kept.groupby(key, sort=False, observed=True)["start_date"].transform("first")
        dup = kept["_row"] != first_row
        same = dup & (kept["start_date"] == first_start)
        for mask, code, rule in ((same, "duplicate_enrolment", "duplicate enrolment (same person and start date as row {})"),
                           (dup & ~same, "re_enrolment", "re-enrolment of a person already enrolled in row {}; each person is counted once")):
            for first, idx in kept[mask].groupby(first_row[mask]).groups.items():
                problems.add(kept.loc[idx, "_row"], "person_id", code, rule.format(int(first)))
        kept = kept[~dup].sort_values("_row")
        ctx.participant_keys = pd.Index(kept[key])
        ctx.end_by_person = kept.set_index(key)["end_date"]
    elif kind == "comparison":
        both = kept[key].isin(ctx.participant_keys)
        problems.add(kept.loc[both, "_row"], "person_id", "comparison_is_participant", "person is also a participant; a comparison person must not take part")
        kept = kept[~both]
        dup = kept.duplicated(key, keep="first")
        problems.add(kept.loc[dup, "_row"], "person_id", "duplicate_comparison", "duplicate comparison person")
        kept = kept[~dup]
        ctx.comparison_keys = pd.Index(kept[key])
    elif kind in ("followups", "survey"):
        unknown = ~kept[key].isin(ctx.participant_keys)
        problems.add(kept.loc[unknown, "_row"], "person_id" if kind == "followups" else "respondent_id", "unknown_person", "person not among the kept participants")
        kept = kept[~unknown]
        if kind == "followups":
            end = kept[key].map(ctx.end_by_person)
            derived = months_between(end, kept["followup_date"]).where(kept["followup_date"] >= end)
            kept["months_after_exit"] = kept["months_after_exit"].where(kept["months_after_exit"].notna(), derived.round(1))
        if kind == "survey":
            dup = kept.duplicated([key, "wave", "item"], keep="first")
            problems.add(kept.loc[dup, "_row"], "item", "duplicate_answer", "duplicate answer (same respondent, wave and item)")
            kept = kept[~dup]
    return kept.drop(columns="_row"), problems


def _canonical_frame(kind: str, df: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Column order and dtypes of the processed table."""
    schema_cols = list(SCHEMAS[kind].to_schema().columns)
    extra = [c for c in df.columns if c not in schema_cols and c not in ("response", "free_text", "item", "wave")]
    if kind == "survey":
        # Free text stays out of the processed data: it is never analysed and may identify people.
        return df[["respondent_key", "wave", "item", "response"]].reset_index(drop=True)
    if kind == "status_monthly":
        # The panel stays dictionary-encoded (categorical): millions of rows, few distinct keys.
        out = df[["person_key", "month", "status"]].reset_index(drop=True)
        for c in ("person_key", "status"):
            col = out[c] if isinstance(out[c].dtype, pd.CategoricalDtype) else out[c].astype("category")
            out[c] = _drop_unused_categories(col)
        out["month"] = out["month"].astype("datetime64[ns]")
        return out
    out = df[[c for c in schema_cols if c in df.columns] + extra].reset_index(drop=True)
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _drop_unused_categories(col: pd.Series) -> pd.Series:
    """``cat.remove_unused_categories`` by one bincount (pandas' version costs seconds at 36 M rows)."""
    codes = col.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories)) > 0
    if used.all():
        return col
    remap = np.cumsum(used) - 1
    new = np.where(codes >= 0, remap[codes], -1).astype(codes.dtype)
    return pd.Series(pd.Categorical.from_codes(new, col.cat.categories[used]), index=col.index, name=col.name)


def _data_end(ctx: _Context, tables: dict[str, pd.DataFrame]) -> dt.date:
    if ctx.config.data_end:
        return ctx.config.data_end
    candidates: list[pd.Timestamp] = []
    p = tables["participants"]
    for c in ("referral_date", "start_date", "end_date", "action_plan_date"):
        candidates.append(p[c].max())
    if "followups" in tables:
        candidates.append(tables["followups"]["followup_date"].max())
    if "status_monthly" in tables:
        candidates.append(tables["status_monthly"]["month"].max() + pd.offsets.MonthEnd(0))
    found = [c for c in candidates if pd.notna(c)]
    return (max(found) if found else pd.Timestamp(ctx.config.period.end)).date()


def validate_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Validate processed tables against their pandera schemas, lazily (all failures at once).

    Raises
    ------
    FoljevalError
        Listing every failure case, grouped by table and check.
    """
    import pandera.errors as pe

    messages = []
    for name, df in tables.items():
        try:
            SCHEMAS[name].validate(df, lazy=True)
        except pe.SchemaErrors as err:
            fc = err.failure_cases
            for (col, check), grp in fc.groupby(["column", "check"], dropna=False):
                sample = ", ".join(map(str, grp["failure_case"].head(3).tolist()))
                messages.append(f"  - {name}.{col}: {check} failed for {len(grp)} value(s), e.g. {sample}")
    if messages:
        raise FoljevalError("processed data failed validation (a bug in the cleaning rules):\n" + "\n".join(messages))


def clean_project(project: Project, env: dict[str, str] | None = None) -> CleanResult:
    """Clean every raw file of a project. Writes nothing (see :meth:`CleanResult.write`).

    Parameters
    ----------
    project : Project
        From :func:`analysis.config.load_project`.
    env : mapping, optional
        Environment for the pseudonymisation key (default ``os.environ``).

    Raises
    ------
    FoljevalError
        A bad file, a missing key or invalid project.yml: one clear message.
    """
    cfg = project.config
    key, key_source = (None, "none (ids already pseudonymised)")
    if cfg.id_type == "personnummer":
        from .paths import repo_root

        key, key_source = identity.resolve_key(cfg.synthetic, env=os.environ if env is None else env, repo_root=repo_root())
    ctx = _Context(project, key)
    tables: dict[str, pd.DataFrame] = {}
    frames: list[pd.DataFrame] = []
    reports: list[FileReport] = []
    for kind in ORDER:
        spec = cfg.files.get(kind)
        if spec is None:
            continue
        path = project.raw_dir / spec.path
        if kind == "status_monthly":
            kept, problems, report = _clean_panel(path, spec, ctx)
        else:
            kept, problems, report = _clean_file(kind, path, spec, ctx)
        tables[kind] = _canonical_frame(kind, kept, ctx)
        frames.append(problems.frame())
        reports.append(report)
    problems_df = pd.concat(frames, ignore_index=True) if frames else _Problems("").frame()
    problems_df = problems_df.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    validate_tables(tables)
    return CleanResult(project=project, tables=tables, problems=problems_df, files=reports,
                       data_end=_data_end(ctx, tables), key_source=key_source)
