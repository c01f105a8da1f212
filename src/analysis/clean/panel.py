"""Cleaning the monthly status panel on integer codes (register scale), long or wide.

A long panel has one row per person and month (``person_id, month, status``, optionally
``amount``). A wide one has one row per person and one column per month (``202201 …
202412``), as municipal income-support extracts come: each cell is the amount paid (a
month with an amount above 0 is a month on income support; ``domain: income_support``)
or, in an activity panel, the month's status label. A wide row is one file row: it is
kept or quarantined as a whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.context import _Context, _pseudonyms
from analysis.clean.persons import _describe
from analysis.clean.readers import ROW
from analysis.clean.result import FileReport, _Notices, _Problems
from analysis.clean.rulebook import RULES, Rule
from analysis.clean.sources import SRC, month_columns, read_kind, source_rows
from analysis.clean.values import MISSING_WORDS, _amounts, _blank, _categories, _distinct
from analysis.project.config import FileSpec
from analysis.project.contract import PERSON_KEY
from analysis.project.dates import parse_month
from analysis.project.errors import BadFileError

KIND = "status_monthly"


def _long_view(df: pd.DataFrame, domain: str) -> tuple[dict[str, pd.Series | None], np.ndarray]:
    """The panel as long columns (``person_id, month, status, amount``) and each long row's stacked row id."""
    months = month_columns(df)
    if not months:
        cols = {c: (df[c] if c in df.columns else None) for c in ("person_id", "month", "status", "amount")}
        return cols, df.index.to_numpy()
    wide = df[list(months)].notna().any(axis=1).to_numpy() if len(df) else np.zeros(0, bool)
    long_part = df[~wide]
    w = df[wide]
    n, m = len(w), len(months)
    cells = pd.Series(w[list(months)].to_numpy(dtype=object).ravel(), dtype=object)
    gid = np.repeat(w.index.to_numpy(), m)
    stamps = np.tile(np.array([v[0].strftime("%Y-%m") for v in months.values()], dtype=object), n)
    ids = np.repeat(w["person_id"].to_numpy(dtype=object), m)
    if domain != "income_support":  # an activity panel's empty cell is a month not observed
        present = ~_blank(cells).to_numpy(bool)
        cells, gid, stamps, ids = cells[present].reset_index(drop=True), gid[present], stamps[present], ids[present]
    wide_cols = {
        "person_id": pd.Series(ids, dtype=object),
        "month": pd.Series(stamps, dtype=object),
        "status": None if domain == "income_support" else cells,
        "amount": cells if domain == "income_support" else None,
    }
    if long_part.empty:
        return wide_cols, gid
    cols = {}
    for c in ("person_id", "month", "status", "amount"):
        a = long_part[c].astype(object) if c in long_part.columns else None
        b = wide_cols[c]
        if a is None and b is None:
            cols[c] = None
        else:
            a = a if a is not None else pd.Series([None] * len(long_part), dtype=object)
            b = b if b is not None else pd.Series([None] * len(gid), dtype=object)
            cols[c] = pd.concat([a.reset_index(drop=True), b.reset_index(drop=True)], ignore_index=True)
    return cols, np.concatenate([long_part.index.to_numpy(), gid])


def _check_panel_columns(sources, domain: str, layout: str = "auto") -> None:
    for s in sources:
        have = set(s.headers.recognised.values())
        wide = bool(s.headers.months)
        missing = [c for c in ("person_id",) if c not in have]
        if layout == "wide" and not wide:
            missing.append("one column per month (layout: wide), e.g. 202201 or 2022-01")
        if not wide and "month" not in have:
            missing.append("month (or one column per month, e.g. 202201)")
        if not wide and "status" not in have and not (domain == "income_support" and "amount" in have):
            missing.append("status" + (" (or amount)" if domain == "income_support" else ""))
        if missing:
            found = ", ".join([*s.headers.recognised, *s.headers.ignored])
            raise BadFileError(
                s.label,
                f"required column missing (found: {found}); name it as in the data contract "
                "or map it under files.status_monthly.columns in project.yml",
                column=", ".join(missing),
                row=s.layout.header_row or 1,
            )


def _clean_panel(
    raw_dir: Path, spec: FileSpec, ctx: _Context
) -> tuple[pd.DataFrame, _Problems, list[FileReport], _Notices]:
    """The monthly status panel: the same rules as the person files, on integer codes.

    A register panel has tens of millions of rows but only as many distinct values
    as persons, months and labels. Every rule runs once per distinct value; rows are
    handled as integer codes and boolean masks, so no column of millions of Python
    objects is ever built (the generic path's memory at 36 million rows was ~10 GB).
    """
    domain = ctx.config.panel_domain or "activity"
    df, sources = read_kind(KIND, raw_dir, spec, [], ctx.progress)
    _check_panel_columns(sources, domain, spec.layout)
    problems = _Problems([s.label for s in sources], df[SRC].to_numpy(), df[ROW].to_numpy())
    notices = _Notices(problems)
    missing = MISSING_WORDS | frozenset(spec.missing_values)
    cols, row = _long_view(df, domain)
    wide_rows = bool(month_columns(df))
    out, rejected = _panel_rules(cols, row, problems, notices, ctx, spec, domain, missing)
    if wide_rows and rejected.any():  # a wide row is one file row: quarantined as a whole
        bad_gid = np.unique(row[rejected])
        out = out[~np.isin(out.pop("_gid").to_numpy(), bad_gid)].reset_index(drop=True)
    else:
        out = out.drop(columns="_gid")
    read, bad = source_rows(df, problems.rows(), len(sources))
    reports = [
        FileReport(KIND, s.label, s.sha256, int(read[i]), int(read[i] - bad[i]), int(bad[i]))
        for i, s in enumerate(sources)
    ]
    for r, s in zip(reports, sources):
        _describe(r, s)
    del df
    return out, problems, reports, notices


class _Adder:
    """Records a rule broken by long rows, each named by its stacked row id."""

    def __init__(self, problems: _Problems, row: np.ndarray) -> None:
        self.problems, self.row = problems, row

    def __call__(self, mask_rows, column, rule: Rule, values=None, codes=None, **fields) -> None:
        idx = np.flatnonzero(mask_rows)
        shown = None if values is None or codes is None else pd.Series(values.to_numpy()[codes[idx]], index=idx)
        self.problems.add(pd.Series(self.row[idx], index=idx), rule, shown, column=column, **fields)


def _identity_rules(cols, add: _Adder, ctx, missing) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """(id codes, pseudonym per distinct id, rejected mask) after the id rules."""
    id_codes, id_values = _distinct(cols["person_id"])
    blank_id = _blank(id_values, missing).to_numpy(bool)
    _, keys, reason = _pseudonyms(id_values.where(~blank_id, None), ctx)
    bad_id = ~blank_id & keys.isna().to_numpy()
    add(blank_id[id_codes], "person_id", RULES["empty_id"])
    for why in pd.unique(reason[bad_id]):
        sel = bad_id & (reason == why).to_numpy()
        what = "personnummer" if ctx.config.id_type == "personnummer" else "id"
        add(sel[id_codes], "person_id", RULES["invalid_id"], id_values, id_codes, what=what, why=why)
    return id_codes, keys, (blank_id | bad_id)[id_codes]


def _month_rules(cols, add: _Adder, missing) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """(month codes, month per distinct value, rejected mask) after the month rules."""
    month_codes, month_values = _distinct(cols["month"])
    months, bad_month = parse_month(month_values)
    bad_month = bad_month.to_numpy(bool)
    blank_month = _blank(month_values, missing).to_numpy(bool)
    add(bad_month[month_codes], "month", RULES["unreadable_month"], month_values, month_codes)
    add(blank_month[month_codes], "month", RULES["empty_required"])
    return month_codes, months, (bad_month | blank_month)[month_codes]


def _status_rules(cols, add: _Adder, spec, missing, n: int):
    """(status codes, status per distinct value, amount per row or None, rejected mask)."""
    rejected = np.zeros(n, dtype=bool)
    amount = None
    if cols["amount"] is not None:
        amount_codes, amount_values = _distinct(cols["amount"])
        amounts, bad_amount = _amounts(amount_values, missing)
        add(bad_amount.to_numpy(bool)[amount_codes], "amount", RULES["not_a_number"], amount_values, amount_codes)
        rejected |= bad_amount.to_numpy(bool)[amount_codes]
        amount = amounts.to_numpy(float)[amount_codes]
    if cols["status"] is None:  # an income-support panel: a month with an amount above 0 is on income support
        status = pd.Series(["income_support", "no_income_support"], dtype=object)
        paid = np.zeros(n, dtype=bool) if amount is None else np.nan_to_num(amount, nan=0.0) > 0
        return np.where(paid, 0, 1), status, amount, rejected
    status_codes, status_values = _distinct(cols["status"])
    status, unknown, _combined = _categories(status_values, "panel_status", spec.values.get("status", {}), missing)
    unknown = unknown.to_numpy(bool)
    for label in pd.unique(status_values[unknown].astype(str)):
        sel = unknown & (status_values.astype(str) == label).to_numpy()
        add(sel[status_codes], "status", RULES["unknown_label"], status_values, status_codes, label=label, kind=KIND)
    blank_status = (status.isna() & _blank(status_values, missing)).to_numpy(bool)
    add(blank_status[status_codes], "status", RULES["empty_required"])
    return status_codes, status, amount, rejected | (unknown | blank_status)[status_codes]


def _panel_rules(cols, row, problems, notices, ctx, spec, domain, missing):
    """Every rule of the panel on distinct values; returns the kept rows and the rejected mask of long rows."""
    add = _Adder(problems, row)
    id_codes, keys, rejected = _identity_rules(cols, add, ctx, missing)
    month_codes, months, bad_month = _month_rules(cols, add, missing)
    status_codes, status, amount, bad_status = _status_rules(cols, add, spec, missing, len(row))
    rejected = rejected | bad_month | bad_status

    # Persons not kept from the person files, then one row per person and month
    key_code_of_value, key_values = pd.factorize(keys, use_na_sentinel=True)
    known = np.append(pd.Index(key_values).isin(ctx.participant_keys.append(ctx.comparison_keys)), False)
    key_codes = key_code_of_value[id_codes]  # -1 only on rows already rejected
    add(~rejected & ~known[key_codes], "person_id", RULES["unknown_person"], among="participants or comparison group")
    rejected |= ~known[key_codes]
    month_code_of_value, month_uniques = pd.factorize(months, use_na_sentinel=True)
    kept = np.flatnonzero(~rejected)
    pair = key_codes[kept].astype(np.int64) * max(len(month_uniques), 1) + month_code_of_value[month_codes[kept]]
    if len(pair) > 1 and not (np.diff(pair) > 0).all():  # a file sorted by person and month needs no hashing
        dup = pd.Series(pair).duplicated(keep="first").to_numpy()
        dup_rows = np.zeros(len(row), dtype=bool)
        dup_rows[kept[dup]] = True
        add(dup_rows, "month", RULES["duplicate_month"])
        rejected |= dup_rows
        kept = kept[~dup]

    status_code_of_value, status_uniques = pd.factorize(status, use_na_sentinel=True)
    out = pd.DataFrame(
        {
            PERSON_KEY: pd.Categorical.from_codes(key_codes[kept], categories=pd.Index(key_values, dtype=object)),
            "month": pd.DatetimeIndex(month_uniques).take(month_code_of_value[month_codes[kept]]).as_unit("ns"),
            "status": pd.Categorical.from_codes(
                status_code_of_value[status_codes[kept]], categories=pd.Index(status_uniques, dtype=object)
            ),
        }
    )
    if amount is not None:
        out["amount"] = amount[kept]
    out["_gid"] = row[kept]
    return out, rejected
