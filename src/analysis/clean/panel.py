"""Cleaning the monthly panels (statuses, income sources) on integer codes (register scale)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.context import _Context, _pseudonyms
from analysis.clean.headers import _map_headers
from analysis.clean.readers import ROW, read_raw
from analysis.clean.result import FileReport, _Problems, _sha256
from analysis.clean.values import _blank, _categories, _distinct
from analysis.project.config import FileSpec
from analysis.project.contract import FILE_COLUMNS
from analysis.project.dates import parse_month
from analysis.project.errors import BadFileError


def _clean_panel(
    path: Path, spec: FileSpec, ctx: _Context, kind: str = "status_monthly"
) -> tuple[pd.DataFrame, _Problems, FileReport]:
    """A monthly panel (``status_monthly`` or ``income_monthly``): the rules of :func:`_clean_file`, on integer codes.

    A register panel has tens of millions of rows but only as many distinct values
    as persons, months and labels. Every rule runs once per distinct value; rows are
    handled as integer codes and boolean masks, so no column of millions of Python
    objects is ever built (the generic path's memory at 36 million rows was ~10 GB).
    The status panel has one row per person and month; the income panel one per person,
    month and income source (a month may have several sources).
    """
    ((category, domain),) = FILE_COLUMNS[kind]["categories"].items()
    raw = read_raw(path, spec)
    rows_read = len(raw)
    df, ignored = _map_headers(raw, spec, kind, [])
    missing = [c for c in FILE_COLUMNS[kind]["required"] if c not in df.columns]
    if missing:
        raise BadFileError(
            spec.path,
            f"required column missing (found: {', '.join(map(str, raw.columns[1:]))}); "
            f"name it as in the data contract or map it under files.{kind}.columns in project.yml",
            column=", ".join(missing),
            row=1,
        )
    problems = _Problems(spec.path)
    row = df[ROW].to_numpy()
    id_codes, id_values = _distinct(df["person_id"])
    month_codes, month_values = _distinct(df["month"])
    status_codes, status_values = _distinct(df[category])
    del raw, df

    def add(
        mask_rows: np.ndarray,
        column: str,
        rule: str,
        message: str,
        values: pd.Series | None = None,
        codes: np.ndarray | None = None,
    ) -> None:
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
        add(
            sel[id_codes],
            "person_id",
            "invalid_id",
            f"invalid {'personnummer' if ctx.config.id_type == 'personnummer' else 'id'}: {why}",
            id_values,
            id_codes,
        )
    rejected = (blank_id | bad_id)[id_codes]

    # Month
    months, bad_month = parse_month(month_values)
    bad_month = bad_month.to_numpy(bool)
    blank_month = _blank(month_values).to_numpy(bool)
    add(bad_month[month_codes], "month", "unreadable_month", "unreadable month", month_values, month_codes)
    add(blank_month[month_codes], "month", "empty_required", "empty required field")
    rejected |= (bad_month | blank_month)[month_codes]

    # Status (or income source)
    status, unknown = _categories(status_values, domain, spec.values.get(category, {}))
    unknown = unknown.to_numpy(bool)
    for label in pd.unique(status_values[unknown].astype(str)):
        sel = unknown & (status_values.astype(str) == label).to_numpy()
        add(
            sel[status_codes],
            category,
            "unknown_label",
            f"unknown label '{label}' (map it under files.{kind}.values.{category} in project.yml)",
            status_values,
            status_codes,
        )
    blank_status = (status.isna() & _blank(status_values)).to_numpy(bool)
    add(blank_status[status_codes], category, "empty_required", "empty required field")
    rejected |= (unknown | blank_status)[status_codes]

    # Persons not kept from the person files, then one row per person and month
    key_code_of_value, key_values = pd.factorize(keys, use_na_sentinel=True)
    known = np.append(pd.Index(key_values).isin(ctx.participant_keys.append(ctx.comparison_keys)), False)
    key_codes = key_code_of_value[id_codes]  # -1 only on rows already rejected
    add(
        ~rejected & ~known[key_codes],
        "person_id",
        "unknown_person",
        "person not among the kept participants or comparison group",
    )
    rejected |= ~known[key_codes]
    month_code_of_value, month_uniques = pd.factorize(months, use_na_sentinel=True)
    status_code_of_value, status_uniques = pd.factorize(status, use_na_sentinel=True)
    kept = np.flatnonzero(~rejected)
    pair = key_codes[kept].astype(np.int64) * max(len(month_uniques), 1) + month_code_of_value[month_codes[kept]]
    if kind == "income_monthly":  # one row per person, month and source
        pair = pair * max(len(status_uniques), 1) + status_code_of_value[status_codes[kept]]
    if len(pair) > 1 and not (np.diff(pair) > 0).all():  # a file sorted by person and month needs no hashing
        dup = pd.Series(pair).duplicated(keep="first").to_numpy()
        dup_rows = np.zeros(len(row), dtype=bool)
        dup_rows[kept[dup]] = True
        what = "the same income source twice in one month" if kind == "income_monthly" else "duplicate month"
        add(dup_rows, "month", "duplicate_month", f"{what} for the same person")
        kept = kept[~dup]

    out = pd.DataFrame(
        {
            "person_key": pd.Categorical.from_codes(key_codes[kept], categories=pd.Index(key_values, dtype=object)),
            "month": pd.DatetimeIndex(month_uniques).take(month_code_of_value[month_codes[kept]]).as_unit("ns"),
            category: pd.Categorical.from_codes(
                status_code_of_value[status_codes[kept]], categories=pd.Index(status_uniques, dtype=object)
            ),
        }
    )
    report = FileReport(
        kind=kind,
        file=spec.path,
        sha256=_sha256(path),
        rows_read=rows_read,
        rows_kept=len(out),
        rows_rejected=len(problems.rows()),
        ignored_columns=ignored,
    )
    return out, problems, report
