"""Cleaning one person-level kind (participants, comparison, follow-ups, survey) from all its sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean import identity
from analysis.clean.context import _Context, _pseudonyms
from analysis.clean.headers import misspelt
from analysis.clean.readers import ROW
from analysis.clean.result import FileReport, _Notices, _Problems
from analysis.clean.rulebook import RULES
from analysis.clean.rules import _cross_file_rules, _row_rules
from analysis.clean.sources import SRC, Source, read_kind, source_rows
from analysis.clean.values import MISSING_WORDS, _amounts, _blank, _categories, _numbers, _per_value
from analysis.project.codes import DOMAINS
from analysis.project.config import FileSpec
from analysis.project.contract import EXCLUDED, FILE_COLUMNS, KEY_OF, column
from analysis.project.dates import date_formats, parse_dates_far
from analysis.project.errors import BadFileError

# Columns the cleaning can fill without the file (so a covariate may name them though the file lacks them).
DERIVED = {"age_at_start", "gender", "education", "origin", "support_before_months", "birth_year", "referred_by"}


def _check_columns(kind: str, spec: FileSpec, sources: list[Source], extra: list[str]) -> None:
    cols = FILE_COLUMNS[kind]
    for s in sources:
        have = set(s.headers.recognised.values())
        missing = [c for c in cols["required"] if c not in have]
        if kind == "followups" and not {"followup_date", "months_after_exit"} & have:
            missing.append("followup_date (or months_after_exit)")
        if missing:
            found = ", ".join([*s.headers.recognised, *s.headers.ignored])
            raise BadFileError(
                s.label,
                f"required column missing (found: {found}); name it as in the data contract "
                f"(`foljeval contract`) or map it under files.{kind}.columns in project.yml"
                + misspelt(missing, list(s.headers.ignored), kind),
                column=", ".join(missing),
                row=s.layout.header_row or 1,
            )
        missing_extra = [c for c in extra if c not in have and c not in DERIVED]
        if missing_extra:
            raise BadFileError(
                s.label,
                "listed under covariates/outcomes in project.yml but not in the file",
                column=", ".join(missing_extra),
                row=s.layout.header_row or 1,
            )


def _identity(kind, df, row, problems, notices, ctx, spec, missing):
    """Keys (NA where rejected or anonymous), the parsed personnummer and the anonymous rows."""
    id_col = FILE_COLUMNS[kind]["id"]
    ids, restored = identity.restore_excel_zero(df[id_col].astype(object))
    notices.add(row[restored], id_col, "restored_leading_zero", ids[restored])
    empty_id = _blank(ids, missing)
    anonymous = empty_id & (kind == "participants" and spec.anonymous == "count")
    problems.add(row[empty_id & ~anonymous], RULES["empty_id"], column=id_col)
    parsed, keys, reason = _pseudonyms(ids.where(~empty_id, None), ctx)
    bad_id = ~empty_id & keys.isna()
    what = "personnummer" if ctx.config.id_type == "personnummer" else "id"
    why = reason[bad_id].astype(str)
    problems.add(row[bad_id], RULES["invalid_id"], ids[bad_id], column=id_col, what=what, why=why)
    return keys, parsed, anonymous


def _dates(kind, df, row, problems, sources, spec, missing, window) -> dict[str, pd.Series]:
    """Parsed date columns; unreadable and implausible dates (outside ``window``) are quarantined and left NaT."""
    out = {}
    formats = tuple(spec.date_formats)
    for c in FILE_COLUMNS[kind]["dates"]:
        if c not in df.columns:
            out[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
            continue
        values, bad, far = _per_value(parse_dates_far)(df[c], formats, missing)
        problems.add(row[bad], RULES["unreadable_date"], df[c][bad], column=c)
        odd = far | window.outside(values)
        problems.add(row[odd], RULES["implausible_date"], df[c][odd], column=c, window=window)
        values = values.where(~odd)
        for i, s in enumerate(sources):
            sel = (df[SRC] == i).to_numpy()
            found = date_formats(df[c][sel], formats, missing)
            if found:
                s.date_formats[c] = found
        out[c] = values
    return out


def _categories_of(kind, df, row, problems, notices, spec, missing) -> dict[str, pd.Series]:
    """Labels -> codes. An unknown label keeps the row (field ``unknown`` or empty, listed) unless the column is
    required (it decides whether the row means anything); a void registration is excluded with a count."""
    out = {}
    for c, domain in FILE_COLUMNS[kind]["categories"].items():
        if c not in df.columns:
            out[c] = pd.Series(None, index=df.index, dtype=object)
            continue
        codes, unknown, combined = _categories(df[c], domain, spec.values.get(c, {}), missing)
        codes = codes.astype(object)
        notices.add(row[combined], c, "combined_label", df[c][combined])
        decides = kind in column(kind, c).required_in
        text = df[c][unknown].astype(str)
        if decides:  # one call with the label per row (a loop per label was slow on 100 000 distinct labels)
            problems.add(row[unknown], RULES["unknown_label"], df[c][unknown], column=c, label=text, kind=kind)
        else:
            notices.add(row[unknown], c, "unknown_label", df[c][unknown])
        if not decides:
            codes = codes.where(~unknown, DOMAINS[domain].unknown)
        void = codes == EXCLUDED
        problems.add(row[void], RULES["registration_error"], df[c][void], column=c)
        out[c] = codes.where(~void, None)
    return out


def _numbers_of(kind, df, row, problems, extra, missing) -> dict[str, pd.Series]:
    cols = FILE_COLUMNS[kind]
    canonical = set(cols["categories"]) | set(cols["dates"]) | set(cols["text"]) | set(cols["numbers"])
    out = {}
    # Covariates may name canonical columns (gender, education, ...): those are parsed above, not as numbers.
    for c in [*cols["numbers"], *[e for e in extra if e in df.columns and e not in canonical]]:
        if c in df.columns:
            num, bad = _numbers(df[c], missing)
            problems.add(row[bad], RULES["not_a_number"], df[c][bad], column=c)
            out[c] = num
        else:
            out[c] = pd.Series(np.nan, index=df.index)
    for c in cols["amounts"]:
        if c in df.columns:
            num, bad = _amounts(df[c], missing)
            problems.add(row[bad], RULES["not_a_number"], df[c][bad], column=c)
            out[c] = num
    return out


def _text_of(kind, df, missing) -> dict[str, pd.Series]:
    out = {}
    for c in FILE_COLUMNS[kind]["text"]:
        if c in df.columns:
            v = df[c].astype(object).where(~_blank(df[c], missing), None)
            text = v.map(lambda x: None if x is None else str(x).strip())
            # Kept as text in the processed data: a personnummer typed into it is masked.
            out[c] = identity.mask_personnummer_series(text).where(text.notna(), None)
        else:
            out[c] = pd.Series(None, index=df.index, dtype=object)
    return out


def _clean_file(
    kind: str, raw_dir: Path, spec: FileSpec, ctx: _Context
) -> tuple[pd.DataFrame, _Problems, list[FileReport], _Notices]:
    """Every person-level kind (the monthly panel has its own path, :func:`analysis.clean.panel._clean_panel`)."""
    cfg = ctx.config
    extra = list(dict.fromkeys(cfg.covariates + cfg.outcomes)) if kind in ("participants", "comparison") else []
    df, sources = read_kind(kind, raw_dir, spec, extra, ctx.progress)
    _check_columns(kind, spec, sources, extra)
    missing = MISSING_WORDS | frozenset(spec.missing_values)
    problems = _Problems([s.label for s in sources], df[SRC].to_numpy(), df[ROW].to_numpy())
    notices = _Notices(problems)
    row = pd.Series(df.index.to_numpy(), index=df.index)
    reports = [FileReport(kind, s.label, s.sha256, s.rows, 0, 0) for s in sources]

    keys, parsed, anonymous = _identity(kind, df, row, problems, notices, ctx, spec, missing)
    out = pd.DataFrame(index=df.index)
    out[KEY_OF[kind]] = keys
    for part in (
        _dates(kind, df, row, problems, sources, spec, missing, ctx.dates),
        _categories_of(kind, df, row, problems, notices, spec, missing),
        _numbers_of(kind, df, row, problems, extra, missing),
        _text_of(kind, df, missing),
    ):
        for c, v in part.items():
            out[c] = v
    _row_rules(kind, out, df, parsed, problems, row, ctx, spec, notices, missing)

    rejected = problems.rows()
    keep = ~row.isin(rejected)
    anon = out[keep & anonymous]
    ctx.anonymous = pd.concat([ctx.anonymous, anon]) if ctx.anonymous is not None else anon
    kept = out[keep & ~anonymous].copy()
    kept, problems = _cross_file_rules(kind, kept, row[keep & ~anonymous], problems, ctx, spec)
    read, bad = source_rows(df, problems.rows(), len(sources))
    for i, (r, s) in enumerate(zip(reports, sources)):
        r.rows_read, r.rows_rejected, r.rows_kept = int(read[i]), int(bad[i]), int(read[i] - bad[i])
        _describe(r, s)
    return kept.reset_index(drop=True), problems, reports, notices


def _describe(report: FileReport, s: Source) -> None:
    """What the reader understood about a source, for the manifest and `check`."""
    report.sheet = s.sheet
    report.header_row = s.layout.header_row
    report.header_detected = s.layout.detected
    report.title_rows = len(s.layout.titles)
    report.footer_rows = len(s.layout.footers)
    report.columns = dict(s.headers.recognised)
    report.recognised_by = dict(s.headers.how)
    report.ignored = dict(s.headers.ignored)
    report.ignored_columns = list(s.headers.ignored)
    report.month_columns = len(s.headers.months)
    report.date_formats = s.date_formats
    report.layout = s.layout
