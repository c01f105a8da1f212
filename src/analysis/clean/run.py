"""Cleaning a whole project: every raw file in contract order, then validation of the processed tables."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.clean import identity
from analysis.clean.context import _Context
from analysis.clean.panel import PANEL_KINDS, _clean_panel
from analysis.clean.persons import _clean_file
from analysis.clean.register import clean_register_panel, register_panel_file
from analysis.clean.result import CleanResult, FileReport, _Notices, _Problems
from analysis.project.config import Project
from analysis.project.contract import KINDS, ORDER, PERSON_KEY, columns_of, panel_measures
from analysis.project.dates import month_numbers
from analysis.project.errors import FoljevalError
from analysis.project.schemas import SCHEMAS, processed_columns


def _canonical_frame(kind: str, df: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """Column order and dtypes of the processed table."""
    schema_cols = processed_columns(kind)
    if kind == "survey":
        # Free text stays out of the processed data: it is never analysed and may identify people.
        return df[schema_cols].reset_index(drop=True)
    if KINDS[kind].dictionary_encoded:
        # The panel stays dictionary-encoded (categorical): millions of rows, few distinct keys.
        out = df[[c for c in schema_cols if c in df.columns]].reset_index(drop=True)
        codes = [c.name for c in columns_of(kind) if c.processed and c.dtype == "code"]
        for c in (PERSON_KEY, *codes):
            col = out[c] if isinstance(out[c].dtype, pd.CategoricalDtype) else out[c].astype("category")
            out[c] = _drop_unused_categories(col)
        out["month"] = out["month"].astype("datetime64[ns]")
        return out
    dropped = {c.name for c in columns_of(kind) if not c.processed}  # ids, birth dates, free text
    extra = [c for c in df.columns if c not in schema_cols and c not in dropped]
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
    for kind in PANEL_KINDS:
        if kind in tables and len(tables[kind]):
            candidates.append(tables[kind]["month"].max() + pd.offsets.MonthEnd(0))
    if ctx.register is not None and ctx.register.last_month is not None:
        candidates.append(ctx.register.last_month + pd.offsets.MonthEnd(0))
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


def clean_project(
    project: Project, env: dict[str, str] | None = None, progress: Callable[[str], None] | None = None
) -> CleanResult:
    """Clean every raw file of a project. Writes nothing (see :meth:`CleanResult.write`).

    Parameters
    ----------
    project : Project
        From :func:`analysis.project.config.load_project`.
    env : mapping, optional
        Environment for the pseudonymisation key (default ``os.environ``).
    progress : callable, optional
        Called with a line of text while files over a few MB are read (``check`` prints it).

    Example
    -------
    >>> from analysis.project.config import load_project
    >>> result = clean_project(load_project("data/raw/c2-lycksele"))  # doctest: +SKIP
    >>> result.balanced  # doctest: +SKIP
    True

    Raises
    ------
    FoljevalError
        A bad file, a missing key or invalid project.yml: one clear message.
    """
    key, key_source = _pseudonymisation_key(project.config, env)
    ctx = _Context(project, key)
    ctx.progress = progress
    ctx.register_file = register_panel_file(project, env)
    tables, frames, notices, reports = _clean_files(project, ctx)
    counts = _derived(ctx, tables)
    problems_df = pd.concat(frames, ignore_index=True) if frames else _Problems([]).frame()
    problems_df = problems_df.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    notices_df = pd.concat(notices, ignore_index=True) if notices else _Notices.empty()
    notices_df = notices_df.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    validate_tables(tables)
    if ctx.register is not None:  # the rows it keeps are valid by construction; the participants' are checked
        validate_tables({"status_monthly": ctx.register.participant_rows})
    return CleanResult(
        project=project,
        tables=tables,
        problems=problems_df,
        files=reports,
        data_end=_data_end(ctx, tables),
        key_source=key_source,
        notices=notices_df,
        counts=counts,
        register=ctx.register,
    )


def _pseudonymisation_key(cfg, env: dict[str, str] | None) -> tuple[bytes | None, str]:
    """The key that pseudonymises personnummer and where it came from (none when ids are already keys)."""
    key, key_source = (None, "none (ids already pseudonymised)")
    if cfg.id_type == "personnummer":
        from analysis.project.paths import repo_root

        key, key_source = identity.resolve_key(
            cfg.synthetic, env=os.environ if env is None else env, repo_root=repo_root()
        )
    return key, key_source


def _clean_files(
    project: Project, ctx: _Context
) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame], list[pd.DataFrame], list[FileReport]]:
    """Clean each configured file in order: the kept tables, each file's problems and notices, the file reports."""
    cfg = project.config
    tables: dict[str, pd.DataFrame] = {}
    frames: list[pd.DataFrame] = []
    notices: list[pd.DataFrame] = []
    reports: list[FileReport] = []
    for kind in ORDER:
        spec = cfg.files.get(kind)
        if spec is None:
            continue
        if kind == "status_monthly" and ctx.register_file is not None:
            ctx.register = clean_register_panel(ctx.register_file, spec, ctx)
            ctx.register.participant_rows = _canonical_frame(kind, ctx.register.participant_rows, ctx)
            frames.append(ctx.register.problems)
            notices.append(ctx.register.notices)
            reports.append(ctx.register.report)
            continue
        if kind in PANEL_KINDS:
            kept, problems, file_reports, found = _clean_panel(project.data_dir, spec, ctx, kind)
        else:
            kept, problems, file_reports, found = _clean_file(kind, project.data_dir, spec, ctx)
        tables[kind] = _canonical_frame(kind, kept, ctx)
        frames.append(problems.frame())
        notices.append(found.frame())
        reports += file_reports
    return tables, frames, notices, reports


SUPPORT_WINDOW_MONTHS = 36


def _derived(ctx: _Context, tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Tables and values derived across kinds: anonymous rows, episodes, months on support before start."""
    counts: dict[str, object] = {}
    if ctx.anonymous is not None and len(ctx.anonymous):
        cols = ["referral_date", "start_date", "end_date", "gender", "age_at_start", "exit_status"]
        tables["anonymous"] = ctx.anonymous[cols].reset_index(drop=True)
        counts["anonymous_rows"] = int(len(ctx.anonymous))
    if ctx.episodes is not None:
        tables["episodes"] = ctx.episodes
        counts["episodes"] = int(len(ctx.episodes))
        counts["persons_with_several_episodes"] = int((ctx.episodes["episode"] > 1).sum())
    panel = tables.get("status_monthly")
    if panel is None and ctx.register is not None:  # only the participants' rows are needed here
        panel = ctx.register.participant_rows
    p = tables.get("participants")
    if panel is not None and p is not None and panel_measures(ctx.config.panel_domain, "income_support"):
        need = p["support_before_months"].isna() & p["start_date"].notna()
        if need.any():
            derived = support_months_before(panel, p.loc[need], SUPPORT_WINDOW_MONTHS)
            p.loc[need, "support_before_months"] = derived.to_numpy()
            counts["support_before_months_from_panel"] = int(derived.notna().sum())
    return counts


def support_months_before(panel: pd.DataFrame, persons: pd.DataFrame, window: int) -> pd.Series:
    """Months on income support in the ``window`` calendar months before each person's start month.

    Only months the panel covers count; a person with no panel month in the window gets NA
    (unknown, not 0). Example: a panel with income support in 10 of the 36 months before the
    start gives 10.0.
    """
    start = month_numbers(persons["start_date"])
    keys = persons[PERSON_KEY].astype(str).to_numpy()
    pan = pd.DataFrame(
        {
            "k": panel[PERSON_KEY].astype(str).to_numpy(),
            "m": month_numbers(panel["month"]),
            "on": (panel["status"].astype(object) == "income_support").to_numpy(),
        }
    )
    pan = pan[pan["k"].isin(keys)]
    ref = pd.DataFrame({"k": keys, "s": start})
    j = pan.merge(ref, on="k")
    j = j[(j["m"] < j["s"]) & (j["m"] >= j["s"] - window)]
    got = j.groupby("k").agg(observed=("on", "size"), on=("on", "sum"))
    out = pd.Series(keys).map(got["on"]).astype(float)
    return pd.Series(out.to_numpy(), index=persons.index)
