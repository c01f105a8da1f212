"""The row rules of the person-level files and the rules across files (duplicates, unknown persons)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import labels
from analysis.clean.context import _Context
from analysis.clean.result import _Notices, _Problems
from analysis.clean.rulebook import RULES
from analysis.clean.values import _blank
from analysis.project.config import FileSpec
from analysis.project.config_messages import did_you_mean
from analysis.project.contract import FILE_COLUMNS, KEY_OF
from analysis.project.dates import months_between
from analysis.project.errors import FoljevalError

# Birth years a person in an evaluation can have (the age rule judges them against the start date).
BIRTH_YEARS = (1800, 2200)


def _row_rules(
    kind: str,
    out: pd.DataFrame,
    df: pd.DataFrame,
    parsed: pd.DataFrame,
    problems: _Problems,
    row: pd.Series,
    ctx: _Context,
    spec: FileSpec,
    notices: _Notices,
    missing: frozenset[str] = frozenset(),
) -> None:
    """The rules of one kind of file that compare a row's own columns, in the order their problems are listed."""
    if kind in ("participants", "comparison"):
        parsed = _derive_birth(out, parsed)
    if kind == "participants":
        _participant_rules(out, df, parsed, problems, row, ctx.config, spec, notices, missing)
    if kind == "comparison":
        problems.add(
            row[out["reference_date"].isna() & _blank(df["reference_date"], missing)],
            RULES["empty_required"],
            column="reference_date",
        )
    if kind in ("participants", "comparison"):
        _age_rules(kind, out, parsed, problems, row)
    if kind == "followups":
        nothing = out["followup_date"].isna() & out["months_after_exit"].isna()
        problems.add(row[nothing], RULES["no_followup_time"])
    if kind == "survey":
        _survey_rules(out, problems, row, ctx)


def _derive_birth(out: pd.DataFrame, parsed: pd.DataFrame) -> pd.DataFrame:
    """Fill empty gender and birth year; return ``parsed`` with the birth date used."""
    # Derive gender and birth year from the personnummer (else a birth date column) where the export left them empty.
    birth = parsed["birth_date"] if "birth_date" in parsed else pd.Series(pd.NaT, index=out.index)
    birth = birth.where(birth.notna(), out["birth_date"])
    if "gender" in parsed:
        out["gender"] = out["gender"].where(out["gender"].notna(), parsed["gender"])
    out["birth_year"] = out["birth_year"].where(out["birth_year"].notna(), birth.dt.year)
    return parsed.assign(birth_date=birth)


def _participant_rules(
    out: pd.DataFrame,
    df: pd.DataFrame,
    parsed: pd.DataFrame,
    problems: _Problems,
    row: pd.Series,
    cfg,
    spec: FileSpec,
    notices: _Notices,
    missing: frozenset[str],
) -> None:
    """A participant's dates: born before start, a start or referral, an end after start, inside the period."""
    start, end = pd.Timestamp(cfg.period.start), pd.Timestamp(cfg.period.end)
    _before_birth(out, df, parsed["birth_date"], problems, row)
    no_date = out["start_date"].isna() & out["referral_date"].isna() & _blank(df["start_date"], missing)
    problems.add(row[no_date], RULES["no_start_or_referral"])
    before = out["end_date"] < out["start_date"]
    problems.add(row[before], RULES["end_before_start"], df.loc[before, "end_date"] if "end_date" in df else None)
    outside = (out["start_date"] < start) | (out["start_date"] > end)
    problems.add(
        row[outside],
        RULES["start_outside_period"],
        df.loc[outside, "start_date"],
        start=cfg.period.start,
        end=cfg.period.end,
    )
    late_end = out["end_date"] > end
    problems.add(
        row[late_end],
        RULES["end_after_period"],
        df.loc[late_end, "end_date"] if "end_date" in df else None,
        end=cfg.period.end,
    )
    _map_tracks(out, df, row, cfg, spec, notices)


def _map_tracks(out: pd.DataFrame, df: pd.DataFrame, row: pd.Series, cfg, spec: FileSpec, notices: _Notices) -> None:
    """Map track labels to the project's tracks; an unknown one is emptied and listed as a notice."""
    if cfg.tracks:
        # An unknown track keeps the person (track left empty) and is listed: it decides nothing about inclusion.
        mapped = out["track"].map(lambda v: spec.values.get("track", {}).get(v, v) if v is not None else None)
        bad_track = mapped.notna() & ~mapped.isin(cfg.tracks)
        notices.add(row[bad_track], "track", "unknown_label", df.loc[bad_track, "track"])
        out["track"] = mapped.where(~bad_track, None)
    elif spec.values.get("track"):
        out["track"] = out["track"].map(lambda v: spec.values["track"].get(v, v) if v is not None else None)


def _age_rules(kind: str, out: pd.DataFrame, parsed: pd.DataFrame, problems: _Problems, row: pd.Series) -> None:
    """Age at start (reference date for the comparison group) and birth year: derived, checked, cast to integers."""
    ref = out["start_date"] if kind == "participants" else out["reference_date"]
    if "birth_date" in parsed:
        bd = parsed["birth_date"]
        age = (ref.dt.year - bd.dt.year) - (
            (ref.dt.month < bd.dt.month) | ((ref.dt.month == bd.dt.month) & (ref.dt.day < bd.dt.day))
        ).astype(int)
    else:
        age = pd.Series(np.nan, index=out.index)
    # the export's own age (SUS "Ålder") where no birth date is known, else start year minus birth year
    age = age.where(age.notna(), out["age_at_start"]).where(lambda a: a.notna(), ref.dt.year - out["birth_year"])
    age = np.round(age.astype(float))
    year = np.round(out["birth_year"].astype(float))
    # An age or birth year no person has (-5, 1e308, 19 800) is quarantined and never cast to an integer.
    ok_age, ok_year = age.between(0, 120), year.between(*BIRTH_YEARS)
    problems.add(row[(age.notna() & ~ok_age) | (year.notna() & ~ok_year)], RULES["impossible_age"])
    out["age_at_start"] = pd.array(age.where(ok_age), dtype="Int64")
    out["birth_year"] = pd.array(year.where(ok_year), dtype="Int64")


def _before_birth(out: pd.DataFrame, df: pd.DataFrame, birth: pd.Series, problems: _Problems, row: pd.Series) -> None:
    """Referral, end and action-plan dates before the birth date (a start before birth is an impossible age)."""
    for c in ("referral_date", "end_date", "action_plan_date"):
        early = (out[c] < birth).fillna(False).astype(bool)
        problems.add(row[early], RULES["date_before_birth"], df.loc[early, c] if c in df else None, column=c)


def _survey_rules(out: pd.DataFrame, problems: _Problems, row: pd.Series, ctx: _Context) -> None:
    spec = ctx.config.survey
    for c in ("wave", "item"):
        problems.add(row[out[c].isna()], RULES["empty_required"], column=c)
    if spec is None:
        raise FoljevalError(
            "project.yml lists a survey file but no survey: items and scales; describe them under survey:"
        )
    items = {i.id: spec.scales[i.scale] for i in spec.items}
    item_scales = {i.id: i.scale for i in spec.items}
    unknown = out["item"].notna() & ~out["item"].isin(list(items))
    problems.add(row[unknown], RULES["unknown_item"], out.loc[unknown, "item"], items=", ".join(items))
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
        by_label = vals.map(lambda v, lab=lab: lab.get(labels.normalise(v)) if v is not None else None)
        val = num.where(num.notna(), by_label.astype(float))
        k = len(scale.labels_sv)
        bad = vals.notna() & (val.isna() | (val < 1) | (val > k) | (val % 1 != 0))
        if scale.categorical:
            _unknown_categories(problems, row[sel][bad], vals[bad], item_scales[item_id], scale)
        else:
            problems.add(row[sel][bad], RULES["response_off_scale"], vals[bad], k=k)
        resp[sel] = val
    out["response"] = resp.astype(float)


def _unknown_categories(problems: _Problems, rows: pd.Series, values: pd.Series, name: str, scale) -> None:
    """Answers of a categorical item that are none of its scale's categories, each with the closest one."""
    if len(rows) == 0:
        return
    names = list(scale.labels_sv) + list(scale.labels_en or [])
    text = values.map(lambda v: f"{v:g}" if isinstance(v, float) else str(v).strip())
    problems.add(
        rows,
        RULES["unknown_category"],
        values,
        value=text.to_numpy(),
        hint=text.map(lambda v: did_you_mean(v, names) or ".").to_numpy(),
        scale=name,
        categories=", ".join(scale.labels_sv),
        k=len(scale.labels_sv),
    )


def _duplicates(rows: pd.Series, first: pd.Series, rule, problems: _Problems) -> None:
    """Rows that repeat an earlier row, each message naming that first row (one call however many there are)."""
    if len(rows) == 0:
        return
    names = {int(f): problems.describe(int(f)) for f in pd.unique(first)}
    problems.add(rows, rule, first=first.map(names).to_numpy(dtype=object))


def _episodes(kept: pd.DataFrame, key: str, mode: str, problems: _Problems, ctx: _Context) -> pd.DataFrame:
    """Repeated enrolments kept as episodes; the person described by the first, the last or all of them."""
    first_of = kept.groupby([key, "start_date"], sort=False, observed=True, dropna=False)["_row"].transform("first")
    same = kept["_row"] != first_of
    _duplicates(kept.loc[same, "_row"], first_of[same], RULES["duplicate_enrolment"], problems)
    ep = kept[~same].sort_values([key, "start_date", "_row"], na_position="last", kind="stable").copy()
    ep["episode"] = ep.groupby(key, sort=False, observed=True).cumcount() + 1
    n = ep.groupby(key, sort=False, observed=True)["episode"].transform("size")
    ctx.episodes = ep[[key, "episode", "start_date", "end_date", "exit_status"]].reset_index(drop=True)
    if mode == "first":
        person = ep[ep["episode"] == 1].copy()
    elif mode == "last":
        person = ep[ep["episode"] == n].copy()
    else:  # all: from the first start to the end (and exit) of the last episode
        person = ep[ep["episode"] == 1].copy()
        last = ep[ep["episode"] == n].set_index(key)
        for c in ("end_date", "exit_status", "income_at_exit"):
            person[c] = person[key].map(last[c]).to_numpy()
    person["episodes"] = pd.array(n[person.index].to_numpy(), dtype="Int64")
    return person.drop(columns="episode").sort_values("_row")


def _cross_file_rules(
    kind: str, kept: pd.DataFrame, rows: pd.Series, problems: _Problems, ctx: _Context, spec: FileSpec
) -> tuple[pd.DataFrame, _Problems]:
    key = KEY_OF[kind]
    kept = kept.assign(_row=rows.to_numpy())
    if kind == "participants" and spec.episodes != "reject":
        kept = _episodes(kept, key, spec.episodes, problems, ctx)
        ctx.participant_keys = pd.Index(kept[key])
        ctx.end_by_person = kept.set_index(key)["end_date"]
    elif kind == "participants":
        kept = kept.sort_values(["start_date", "_row"], na_position="last", kind="stable")
        first_row = kept.groupby(key, sort=False, observed=True)["_row"].transform("first")
        first_start = kept.groupby(key, sort=False, observed=True)["start_date"].transform("first")
        dup = kept["_row"] != first_row
        same = dup & (kept["start_date"] == first_start)
        for mask, rule in ((same, RULES["duplicate_enrolment"]), (dup & ~same, RULES["re_enrolment"])):
            _duplicates(kept.loc[mask, "_row"], first_row[mask], rule, problems)
        kept = kept[~dup].sort_values("_row")
        kept["episodes"] = pd.array(np.ones(len(kept), dtype=np.int64), dtype="Int64")
        ctx.participant_keys = pd.Index(kept[key])
        ctx.end_by_person = kept.set_index(key)["end_date"]
    elif kind == "comparison":
        both = kept[key].isin(ctx.participant_keys)
        problems.add(kept.loc[both, "_row"], RULES["comparison_is_participant"])
        kept = kept[~both]
        dup = kept.duplicated(key, keep="first")
        problems.add(kept.loc[dup, "_row"], RULES["duplicate_comparison"])
        kept = kept[~dup]
        ctx.comparison_keys = pd.Index(kept[key])
    elif kind in ("followups", "survey"):
        unknown = ~kept[key].isin(ctx.participant_keys)
        problems.add(
            kept.loc[unknown, "_row"],
            RULES["unknown_person"],
            column=FILE_COLUMNS[kind]["id"],
            among="participants",
        )
        kept = kept[~unknown]
        if kind == "followups":
            end = kept[key].map(ctx.end_by_person)
            derived = months_between(end, kept["followup_date"]).where(kept["followup_date"] >= end)
            kept["months_after_exit"] = kept["months_after_exit"].where(
                kept["months_after_exit"].notna(), derived.round(1)
            )
        if kind == "survey":
            dup = kept.duplicated([key, "wave", "item"], keep="first")
            problems.add(kept.loc[dup, "_row"], RULES["duplicate_answer"])
            kept = kept[~dup]
    return kept.drop(columns="_row"), problems
