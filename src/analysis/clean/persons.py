"""Cleaning one person-level file (participants, comparison, follow-ups, survey)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.context import _Context, _pseudonyms
from analysis.clean.headers import _map_headers
from analysis.clean.readers import ROW, read_raw
from analysis.clean.result import FileReport, _Problems, _sha256
from analysis.clean.rulebook import RULES
from analysis.clean.rules import _cross_file_rules, _row_rules
from analysis.clean.values import _blank, _categories, _numbers, _per_value
from analysis.project.config import FileSpec
from analysis.project.contract import FILE_COLUMNS, KEY_OF
from analysis.project.dates import parse_dates
from analysis.project.errors import BadFileError


def _clean_file(kind: str, path: Path, spec: FileSpec, ctx: _Context) -> tuple[pd.DataFrame, _Problems, FileReport]:
    """Every person-level file (the monthly panel has its own path, :func:`_clean_panel`)."""
    cols = FILE_COLUMNS[kind]
    cfg = ctx.config
    raw = read_raw(path, spec)
    rows_read = len(raw)
    extra = list(dict.fromkeys(cfg.covariates + cfg.outcomes)) if kind in ("participants", "comparison") else []
    df, ignored = _map_headers(raw, spec, kind, extra)
    missing = [c for c in cols["required"] if c not in df.columns]
    if kind == "followups" and "followup_date" not in df.columns and "months_after_exit" not in df.columns:
        missing.append("followup_date (or months_after_exit)")
    if missing:
        raise BadFileError(
            spec.path,
            f"required column missing (found: {', '.join(map(str, raw.columns[1:]))}); "
            "name it as in the data contract or map it under files.{kind}.columns in project.yml".replace(
                "{kind}", kind
            ),
            column=", ".join(missing),
            row=1,
        )
    derived = {"age_at_start", "gender", "education", "origin", "support_before_months", "birth_year", "referred_by"}
    missing_extra = [c for c in extra if c not in df.columns and c not in derived]
    if missing_extra:
        raise BadFileError(
            spec.path,
            "listed under covariates/outcomes in project.yml but not in the file",
            column=", ".join(missing_extra),
            row=1,
        )

    problems = _Problems(spec.path)
    row = df[ROW]
    out = pd.DataFrame(index=df.index)

    # Identity
    id_col = cols["id"]
    ids = df[id_col]
    empty_id = _blank(ids)
    problems.add(row[empty_id], RULES["empty_id"], column=id_col)
    parsed, keys, reason = _pseudonyms(ids.where(~empty_id, None), ctx)
    bad_id = ~empty_id & keys.isna()
    for why, idx in reason[bad_id].astype(object).groupby(reason[bad_id].astype(object)).groups.items():
        problems.add(
            row[idx],
            RULES["invalid_id"],
            ids[idx],
            column=id_col,
            what="personnummer" if cfg.id_type == "personnummer" else "id",
            why=why,
        )
    out[KEY_OF[kind]] = keys

    # Dates
    for c in cols["dates"]:
        if c in df.columns:
            values, bad = _per_value(parse_dates)(df[c])
            problems.add(row[bad], RULES["unreadable_date"], df[c][bad], column=c)
            out[c] = values
        else:
            out[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")

    # Categories
    for c, domain in cols["categories"].items():
        if c in df.columns:
            codes, unknown = _categories(df[c], domain, spec.values.get(c, {}))
            for label, idx in df[c][unknown].astype(str).groupby(df[c][unknown].astype(str)).groups.items():
                problems.add(row[idx], RULES["unknown_label"], df[c][idx], column=c, label=label, kind=kind)
            out[c] = codes
        else:
            out[c] = pd.Series(None, index=df.index, dtype=object)

    # Numbers (canonical and covariates/outcomes)
    # Covariates may name canonical columns (gender, education, ...): those are parsed above, not as numbers.
    canonical = set(cols["categories"]) | set(cols["dates"]) | set(cols["text"]) | set(cols["numbers"])
    for c in [*cols["numbers"], *[e for e in extra if e in df.columns and e not in canonical]]:
        if c in df.columns:
            num, bad = _numbers(df[c])
            problems.add(row[bad], RULES["not_a_number"], df[c][bad], column=c)
            out[c] = num
        else:
            out[c] = np.nan

    # Free text-ish columns
    for c in cols["text"]:
        if c in df.columns:
            out[c] = (
                df[c].astype(object).where(~_blank(df[c]), None).map(lambda v: None if v is None else str(v).strip())
            )
        else:
            out[c] = None

    _row_rules(kind, out, df, parsed, problems, row, ctx, spec)

    rejected = problems.rows()
    keep = ~row.isin(rejected)
    kept = out[keep].copy()
    kept, problems = _cross_file_rules(kind, kept, row[keep], problems, ctx)
    report = FileReport(
        kind=kind,
        file=spec.path,
        sha256=_sha256(path),
        rows_read=rows_read,
        rows_kept=len(kept),
        rows_rejected=len(problems.rows()),
        ignored_columns=ignored,
    )
    return kept.reset_index(drop=True), problems, report
