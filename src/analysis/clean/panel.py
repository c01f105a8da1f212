"""Cleaning the monthly panels on integer codes (register scale): statuses, long or wide, and income sources.

A long status panel has one row per person and month (``person_id, month, status``, optionally
``amount``). A wide one has one row per person and one column per month (``202201 …
202412``), as municipal income-support extracts come: each cell is the amount paid (a
month with an amount above 0 is a month on income support; ``domain: income_support``)
or, in an activity panel, the month's status label. A wide row is one file row: it is
kept or quarantined as a whole.

An income register (``income_monthly``) has one row per person, month and income source
paid that month (``person_id, month, income_source``): several sources in one month are
several rows. A combined label ("Lön + ekonomiskt bistånd", or a list in project.yml)
becomes one row per source, and its file row is kept or quarantined as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.context import _Context, _pseudonyms
from analysis.clean.headers import misspelt
from analysis.clean.persons import _describe
from analysis.clean.readers import ROW
from analysis.clean.result import FileReport, _Notices, _Problems
from analysis.clean.rulebook import RULES, Rule
from analysis.clean.sources import SRC, month_columns, read_kind, source_rows
from analysis.clean.values import MISSING_WORDS, _amounts, _blank, _categories, _code_lists, _distinct
from analysis.project.config import FileSpec
from analysis.project.contract import FILE_COLUMNS, KINDS, PERSON_KEY
from analysis.project.dates import parse_month_far
from analysis.project.errors import BadFileError

KIND = "status_monthly"
PANEL_KINDS: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.dictionary_encoded)
"""The kinds cleaned here (the contract's register-sized kinds)."""
DUPLICATE_RULE = {"status_monthly": "duplicate_month", "income_monthly": "duplicate_income_source"}


@dataclass(frozen=True)
class _Panel:
    """What differs between the panel kinds: the coded column, its domain and what makes a row unique."""

    kind: str
    category: str
    domain: str
    unique_on: tuple[str, ...]

    @property
    def per_category(self) -> bool:
        """Several rows of a person in one month, one per code (an income register)."""
        return self.category in self.unique_on


def _panel_of(kind: str) -> _Panel:
    ((category, domain),) = FILE_COLUMNS[kind]["categories"].items()
    return _Panel(kind, category, domain, KINDS[kind].unique_on)


def _long_view(
    df: pd.DataFrame, domain: str | None, category: str = "status"
) -> tuple[dict[str, pd.Series | None], np.ndarray]:
    """The panel as long columns (``person_id, month, status, amount``; ``status`` holds the kind's coded
    column) and each long row's stacked row id."""
    months = month_columns(df)
    if not months:
        names = {"person_id": "person_id", "month": "month", "status": category, "amount": "amount"}
        cols = {c: (df[raw] if raw in df.columns else None) for c, raw in names.items()}
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


def _check_panel_columns(sources, domain: str | None, layout: str, panel: _Panel) -> None:
    for s in sources:
        have = set(s.headers.recognised.values())
        wide = bool(s.headers.months)
        missing = [c for c in ("person_id",) if c not in have]
        if layout == "wide" and not wide:
            missing.append("one column per month (layout: wide), e.g. 202201 or 2022-01")
        if not wide and "month" not in have:
            missing.append("month" + (" (or one column per month, e.g. 202201)" if panel.kind == KIND else ""))
        code = panel.category
        if not wide and code not in have and not (domain == "income_support" and "amount" in have):
            missing.append(code + (" (or amount)" if domain == "income_support" else ""))
        if missing:
            found = ", ".join([*s.headers.recognised, *s.headers.ignored])
            raise BadFileError(
                s.label,
                f"required column missing (found: {found}); name it as in the data contract "
                f"(`foljeval contract`) or map it under files.{panel.kind}.columns in project.yml"
                + misspelt(missing, list(s.headers.ignored), panel.kind),
                column=", ".join(missing),
                row=s.layout.header_row or 1,
            )


def _clean_panel(
    raw_dir: Path, spec: FileSpec, ctx: _Context, kind: str = KIND
) -> tuple[pd.DataFrame, _Problems, list[FileReport], _Notices]:
    """A monthly panel (``status_monthly`` or ``income_monthly``): the rules of the person files, on integer codes.

    A register panel has tens of millions of rows but only as many distinct values
    as persons, months and labels. Every rule runs once per distinct value; rows are
    handled as integer codes and boolean masks, so no column of millions of Python
    objects is ever built (the generic path's memory at 36 million rows was ~10 GB).
    """
    panel = _panel_of(kind)
    domain = (ctx.config.panel_domain or "activity") if kind == KIND else None
    df, sources = read_kind(kind, raw_dir, spec, [], ctx.progress)
    _check_panel_columns(sources, domain, spec.layout, panel)
    _check_month_headers(sources, ctx.dates)
    problems = _Problems([s.label for s in sources], df[SRC].to_numpy(), df[ROW].to_numpy())
    notices = _Notices(problems)
    missing = MISSING_WORDS | frozenset(spec.missing_values)
    cols, row = _long_view(df, domain, panel.category)
    n_long = len(row)
    out, rejected, row = _panel_rules(cols, row, problems, notices, ctx, spec, panel, missing)
    # a wide row (or a combined label's rows) is one file row: quarantined as a whole
    if (month_columns(df) or len(row) > n_long) and rejected.any():
        bad_gid = np.unique(row[rejected])
        out = out[~np.isin(out.pop("_gid").to_numpy(), bad_gid)].reset_index(drop=True)
    else:
        out = out.drop(columns="_gid")
    read, bad = source_rows(df, problems.rows(), len(sources))
    reports = [
        FileReport(kind, s.label, s.sha256, int(read[i]), int(read[i] - bad[i]), int(bad[i]))
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
        fields = {k: (v[idx] if isinstance(v, np.ndarray) else v) for k, v in fields.items()}  # per-row fields
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


def _month_rules(cols, add: _Adder, missing, window) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """(month codes, month per distinct value, rejected mask) after the month rules."""
    month_codes, month_values = _distinct(cols["month"])
    months, bad_month, far = parse_month_far(month_values)
    bad_month = bad_month.to_numpy(bool)
    odd = (far | window.outside(months)).to_numpy(bool)
    months = months.where(~odd)
    blank_month = _blank(month_values, missing).to_numpy(bool)
    add(bad_month[month_codes], "month", RULES["unreadable_month"], month_values, month_codes)
    add(odd[month_codes], "month", RULES["implausible_date"], month_values, month_codes, window=window)
    add(blank_month[month_codes], "month", RULES["empty_required"])
    return month_codes, months, (bad_month | odd | blank_month)[month_codes]


def _check_month_headers(sources, window) -> None:
    """A wide file's month column outside the plausible dates is a typo in its header: one message, not a
    quarantine of every row that has a value in it."""
    for s in sources:
        for raw, month in s.headers.months.items():
            if month < window.lo or month > window.hi:
                raise BadFileError(
                    s.label,
                    f"the column header reads as the month {month.strftime('%Y-%m')}, outside the plausible "
                    f"range {window}; correct the header in the file (or set data_end in project.yml)",
                    column=raw,
                    row=s.layout.header_row or 1,
                )


def _status_rules(cols, add: _Adder, spec, missing, n: int, panel: _Panel, notices: _Notices):
    """(codes, code per distinct value, amount per row or None, rejected mask, further codes per distinct value).

    The last item maps a distinct value naming several codes to all of them (an income register only;
    a status panel has one status a month).
    """
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
        return np.where(paid, 0, 1), status, amount, rejected, {}
    column, project_map = panel.category, spec.values.get(panel.category, {})
    status_codes, status_values = _distinct(cols["status"])
    status, unknown, combined = _categories(status_values, panel.domain, project_map, missing)
    unknown = unknown.to_numpy(bool)
    # one call for every unknown label (a shifted column can hold 100 000 distinct ones: a loop was quadratic)
    label_text = status_values.astype(str).to_numpy(dtype=object)
    add(
        unknown[status_codes],
        column,
        RULES["unknown_label"],
        status_values,
        status_codes,
        label=label_text[status_codes],
        kind=panel.kind,
    )
    blank_status = (status.isna() & _blank(status_values, missing)).to_numpy(bool)
    add(blank_status[status_codes], column, RULES["empty_required"])
    more: dict[int, list[str]] = {}
    if panel.per_category and combined.any():
        where = np.flatnonzero(combined.to_numpy(bool))
        shown = [_label_text(status_values.iloc[i]) for i in where]
        lists = _code_lists(shown, panel.domain, project_map)
        more = {int(i): lists[t] for i, t in zip(where, shown) if len(lists.get(t, [])) > 1}
        sel = np.flatnonzero(np.isin(status_codes, list(more)))
        notices.add(pd.Series(add.row[sel]), column, "split_label", status_values.iloc[status_codes[sel]])
    return status_codes, status, amount, rejected | (unknown | blank_status)[status_codes], more


def _label_text(v: object) -> str:
    """A label as :func:`analysis.clean.values._categories` reads it (SPSS codes 1.0 as "1")."""
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _expand(more: dict[int, list[str]], status: pd.Series, status_codes: np.ndarray, arrays: list[np.ndarray]):
    """One more long row for every further code of a combined label: ``(status, status_codes, arrays)``.

    The added rows repeat the row's id, month, rejected flag and stacked row id (``arrays``), and get
    codes appended to ``status`` (the code per distinct value).
    """
    if not more:
        return status, status_codes, arrays
    values, new_codes, take = [], [], []
    for d, codes in sorted(more.items()):
        rows_d = np.flatnonzero(status_codes == d)
        for code in codes:
            if code == status.iloc[d]:
                continue
            values.append(code)
            new_codes.append(np.full(len(rows_d), len(status) + len(values) - 1, dtype=np.int64))
            take.append(rows_d)
    if not values:
        return status, status_codes, arrays
    idx = np.concatenate(take)
    status = pd.concat([status, pd.Series(values, dtype=object)], ignore_index=True)
    status_codes = np.concatenate([status_codes, *new_codes])
    return status, status_codes, [np.concatenate([a, a[idx]]) for a in arrays]


def _unique_rows(key_codes, month_code, status_code, kept, panel: _Panel, add: _Adder, n_rows: int):
    """``(kept, duplicate mask)``: the first row of each person and month (and code, for an income register)."""
    n_months = max(int(month_code.max()) + 1 if len(month_code) else 1, 1)
    pair = key_codes[kept].astype(np.int64) * n_months + month_code[kept]
    if panel.per_category:
        n_codes = max(int(status_code.max()) + 1 if len(status_code) else 1, 1)
        pair = pair * n_codes + status_code[kept]
    dup_rows = np.zeros(n_rows, dtype=bool)
    if len(pair) > 1 and not (np.diff(pair) > 0).all():  # a file sorted by person and month needs no hashing
        dup = pd.Series(pair).duplicated(keep="first").to_numpy()
        dup_rows[kept[dup]] = True
        rule = RULES[DUPLICATE_RULE[panel.kind]]
        add(dup_rows, rule.column, rule)
        kept = kept[~dup]
    return kept, dup_rows


def _panel_rules(cols, row, problems, notices, ctx, spec, panel: _Panel, missing):
    """Every rule of the panel on distinct values: ``(kept rows, rejected mask, stacked row id)`` of long rows.

    The row ids come back longer than they went in when combined labels of an income register added rows.
    """
    add = _Adder(problems, row)
    id_codes, keys, rejected = _identity_rules(cols, add, ctx, missing)
    month_codes, months, bad_month = _month_rules(cols, add, missing, ctx.dates)
    status_codes, status, amount, bad_status, more = _status_rules(cols, add, spec, missing, len(row), panel, notices)
    rejected = rejected | bad_month | bad_status
    status, status_codes, (id_codes, month_codes, rejected, row) = _expand(
        more, status, status_codes, [id_codes, month_codes, rejected, row]
    )
    add.row = row

    # Persons not kept from the person files, then one row per person and month (and code)
    key_code_of_value, key_values = pd.factorize(keys, use_na_sentinel=True)
    known = np.append(pd.Index(key_values).isin(ctx.participant_keys.append(ctx.comparison_keys)), False)
    key_codes = key_code_of_value[id_codes]  # -1 only on rows already rejected
    add(~rejected & ~known[key_codes], "person_id", RULES["unknown_person"], among="participants or comparison group")
    rejected |= ~known[key_codes]
    month_code_of_value, month_uniques = pd.factorize(months, use_na_sentinel=True)
    status_code_of_value, status_uniques = pd.factorize(status, use_na_sentinel=True)
    kept, dup_rows = _unique_rows(
        key_codes,
        month_code_of_value[month_codes],
        status_code_of_value[status_codes],
        np.flatnonzero(~rejected),
        panel,
        add,
        len(row),
    )
    rejected |= dup_rows

    out = pd.DataFrame(
        {
            PERSON_KEY: pd.Categorical.from_codes(key_codes[kept], categories=pd.Index(key_values, dtype=object)),
            "month": pd.DatetimeIndex(month_uniques).take(month_code_of_value[month_codes[kept]]).as_unit("ns"),
            panel.category: pd.Categorical.from_codes(
                status_code_of_value[status_codes[kept]], categories=pd.Index(status_uniques, dtype=object)
            ),
        }
    )
    if amount is not None:
        out["amount"] = amount[kept]
    out["_gid"] = row[kept]
    return out, rejected, row
