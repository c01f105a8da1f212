"""The row rules of the person-level files and the rules across files (duplicates, unknown persons)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import labels
from analysis.clean.context import _Context
from analysis.clean.result import _Problems
from analysis.clean.values import _blank
from analysis.project.config import FileSpec
from analysis.project.contract import PERSON_KEY
from analysis.project.dates import months_between
from analysis.project.errors import FoljevalError


def _row_rules(
    kind: str,
    out: pd.DataFrame,
    df: pd.DataFrame,
    parsed: pd.DataFrame,
    problems: _Problems,
    row: pd.Series,
    ctx: _Context,
    spec: FileSpec,
) -> None:
    cfg = ctx.config
    start, end = pd.Timestamp(cfg.period.start), pd.Timestamp(cfg.period.end)
    if kind in ("participants", "comparison") and "birth_date" in parsed:
        # Derive gender and birth year from the personnummer where the export left them empty.
        out["gender"] = out["gender"].where(out["gender"].notna(), parsed["gender"])
        by = out["birth_year"].where(out["birth_year"].notna(), parsed["birth_date"].dt.year)
        out["birth_year"] = by
    if kind == "participants":
        no_date = out["start_date"].isna() & out["referral_date"].isna() & _blank(df["start_date"])
        problems.add(
            row[no_date],
            "start_date",
            "no_start_or_referral",
            "empty required field (no start date and no referral date)",
        )
        before = out["end_date"] < out["start_date"]
        problems.add(
            row[before],
            "end_date",
            "end_before_start",
            "end date before start date",
            df.loc[before, "end_date"] if "end_date" in df else None,
        )
        outside = (out["start_date"] < start) | (out["start_date"] > end)
        problems.add(
            row[outside],
            "start_date",
            "start_outside_period",
            f"start date outside the project period ({cfg.period.start}..{cfg.period.end})",
            df.loc[outside, "start_date"],
        )
        late_end = out["end_date"] > end
        problems.add(
            row[late_end],
            "end_date",
            "end_after_period",
            f"end date after the project period ends ({cfg.period.end})",
            df.loc[late_end, "end_date"] if "end_date" in df else None,
        )
        if cfg.tracks:
            mapped = out["track"].map(lambda v: spec.values.get("track", {}).get(v, v) if v is not None else None)
            bad_track = mapped.notna() & ~mapped.isin(cfg.tracks)
            out["track"] = mapped
            problems.add(
                row[bad_track],
                "track",
                "unknown_track",
                f"unknown track (allowed: {', '.join(cfg.tracks)}; map labels under files.participants.values.track)",
                out.loc[bad_track, "track"],
            )
        elif spec.values.get("track"):
            out["track"] = out["track"].map(lambda v: spec.values["track"].get(v, v) if v is not None else None)
    if kind == "comparison":
        problems.add(
            row[out["reference_date"].isna() & _blank(df["reference_date"])],
            "reference_date",
            "empty_required",
            "empty required field",
        )
    if kind in ("participants", "comparison"):
        ref = out["start_date"] if kind == "participants" else out["reference_date"]
        if "birth_date" in parsed:
            bd = parsed["birth_date"]
            age = (ref.dt.year - bd.dt.year) - (
                (ref.dt.month < bd.dt.month) | ((ref.dt.month == bd.dt.month) & (ref.dt.day < bd.dt.day))
            ).astype(int)
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
        raise FoljevalError(
            "project.yml lists a survey file but no survey: items and scales; describe them under survey:"
        )
    items = {i.id: spec.scales[i.scale] for i in spec.items}
    unknown = out["item"].notna() & ~out["item"].isin(list(items))
    problems.add(
        row[unknown],
        "item",
        "unknown_item",
        f"unknown survey item (items in project.yml: {', '.join(items)})",
        out.loc[unknown, "item"],
    )
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
        problems.add(
            row[sel][bad], "response", "response_off_scale", f"response not on the item's scale 1..{k}", vals[bad]
        )
        resp[sel] = val
    out["response"] = resp.astype(float)


def _cross_file_rules(
    kind: str, kept: pd.DataFrame, rows: pd.Series, problems: _Problems, ctx: _Context
) -> tuple[pd.DataFrame, _Problems]:
    key = PERSON_KEY[kind]
    kept = kept.assign(_row=rows.to_numpy())
    if kind == "participants":
        kept = kept.sort_values(["start_date", "_row"], na_position="last", kind="stable")
        first_row = kept.groupby(key, sort=False, observed=True)["_row"].transform("first")
        first_start = kept.groupby(key, sort=False, observed=True)["start_date"].transform("first")
        dup = kept["_row"] != first_row
        same = dup & (kept["start_date"] == first_start)
        for mask, code, rule in (
            (same, "duplicate_enrolment", "duplicate enrolment (same person and start date as row {})"),
            (
                dup & ~same,
                "re_enrolment",
                "re-enrolment of a person already enrolled in row {}; each person is counted once",
            ),
        ):
            for first, idx in kept[mask].groupby(first_row[mask]).groups.items():
                problems.add(kept.loc[idx, "_row"], "person_id", code, rule.format(int(first)))
        kept = kept[~dup].sort_values("_row")
        ctx.participant_keys = pd.Index(kept[key])
        ctx.end_by_person = kept.set_index(key)["end_date"]
    elif kind == "comparison":
        both = kept[key].isin(ctx.participant_keys)
        problems.add(
            kept.loc[both, "_row"],
            "person_id",
            "comparison_is_participant",
            "person is also a participant; a comparison person must not take part",
        )
        kept = kept[~both]
        dup = kept.duplicated(key, keep="first")
        problems.add(kept.loc[dup, "_row"], "person_id", "duplicate_comparison", "duplicate comparison person")
        kept = kept[~dup]
        ctx.comparison_keys = pd.Index(kept[key])
    elif kind in ("followups", "survey"):
        unknown = ~kept[key].isin(ctx.participant_keys)
        problems.add(
            kept.loc[unknown, "_row"],
            "person_id" if kind == "followups" else "respondent_id",
            "unknown_person",
            "person not among the kept participants",
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
            problems.add(
                kept.loc[dup, "_row"], "item", "duplicate_answer", "duplicate answer (same respondent, wave and item)"
            )
            kept = kept[~dup]
    return kept.drop(columns="_row"), problems
