"""The project's own targets (``project.yml: targets``), each evaluated from the data.

Every target gives one row: definition in words, denominator ``n`` (persons
observed long enough), ``successes``, value with a Wilson 95 % interval,
threshold and status:

met / not_met
    share targets: the point estimate is at least / below the threshold;
    ``ci_verdict`` adds ``clearly_met`` (the whole interval above the
    threshold), ``clearly_not_met`` (the whole interval below) or ``uncertain``.
not_measurable
    fewer than ``target.min_observed`` persons observed, or no data for the
    metric (e.g. no action-plan dates, no contact dates).

Metrics (N = ``target.months``, D = ``target.days``; "enrolled" = start on or before data_end)
---------------------------------------------------------------------------------------------
share_work_or_study_within_months
    Denominator: enrolled with ``start + N months <= data_end``. With a monthly
    panel: any month from the start month to the month N months later with a
    status in ``panel_work_or_study`` (persons without panel rows in that window
    are left out). Without it: an exit status in ``work_or_study`` with
    ``end_date <= start + N months``, or a follow-up status in ``work_or_study``
    dated by then (date = followup_date, else end_date + months_after_exit).
share_self_supporting_within_months
    As above with income sources in ``self_supporting`` (income_at_exit and
    follow-up income_source). Without any income data the monthly panel's work
    or study months are used as a proxy (``note = "panel_proxy"``).
action_plan_within_days
    Denominator: enrolled with ``start + D days <= data_end``; success: an
    action_plan_date at most D days after start (a person without a plan is not
    a success). No action_plan_date at all -> not measurable.
followup_contact_every_months
    Contacts are ``followups.followup_date`` values during enrolment.
    Denominator: enrolled persons whose enrolment, up to data_end, lasted at
    least N months. Success: no gap longer than N months + 15 days (grace for
    booking) between start, each contact, and the end of enrolment (or
    data_end). No contact dates recorded -> not measurable.
participants_reached
    The enrolled count (with the participants registered without a personnummer, as in
    the flow) against the threshold (a count); ``planned`` is
    ``planned_participants``. Not yet reached while data_end is before the end
    of the project period -> not_measurable (recruitment is still open).
share_work_or_study_at_exit
    Denominator: exited persons with a recorded exit status.

Disclosure: a share is published only when ``[successes, n - successes]``
passes :func:`analysis.disclosure.suppression.protect_share`; the status is always given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean.store import panel_for
from analysis.disclosure.intervals import wilson_interval
from analysis.disclosure.published import Cell, Column, PublishedTable, place, small_count_cell, unless, value_cell
from analysis.disclosure.suppression import primary_marker, protect_share
from analysis.project.contract import PERSON_KEY, panel_measures
from analysis.project.dates import DAYS_PER_MONTH
from analysis.project.metrics import SPECS as METRIC_SPECS
from analysis.project.metrics import MetricSpec
from analysis.tables.participants import populations

CONTACT_GRACE_DAYS = 15
STATUSES = ("met", "not_met", "not_measurable")


def _enrolled(p: pd.DataFrame, data_end) -> pd.DataFrame:
    return p[populations(p, data_end)["enrolled"]]


def _fu_dates(followups: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Follow-ups with a usable date: followup_date, else end_date + months_after_exit."""
    f = followups.merge(participants[[PERSON_KEY, "start_date", "end_date"]], on=PERSON_KEY, how="inner")
    date = f["followup_date"] if "followup_date" in f else pd.Series(pd.NaT, index=f.index)
    if "months_after_exit" in f:
        approx = f["end_date"] + pd.to_timedelta(f["months_after_exit"].astype(float) * DAYS_PER_MONTH, unit="D")
        date = date.fillna(approx)
    return f.assign(date=date)


Counted = tuple[int, int, str | None]
"""(successes, persons observed, note) of a share metric; ``None`` when the data cannot measure it."""


def _within_months(config, tables, data_end, months: int, kind: str) -> Counted | None:
    p = tables["participants"]
    end = pd.Timestamp(data_end)
    e = _enrolled(p, data_end)
    e = e[e["start_date"] + pd.DateOffset(months=months) <= end]
    limit = e.set_index(PERSON_KEY)["start_date"] + pd.DateOffset(months=months)
    panel = panel_for(tables, e[PERSON_KEY])
    followups = tables.get("followups")
    if kind == "work_or_study":
        ok_codes, exit_col, fu_col = set(config.work_or_study), "exit_status", "status"
    else:
        ok_codes, exit_col, fu_col = set(config.self_supporting), "income_at_exit", "income_source"
    has_exit = exit_col in p and p[exit_col].notna().any()
    has_fu = followups is not None and fu_col in followups and followups[fu_col].notna().any()
    note = None
    # an income-support panel cannot tell work or study from other months (files.status_monthly.domain)
    measurable = panel_measures(getattr(config, "panel_domain", None) or "activity", "work_or_study")
    use_panel = (
        measurable and panel is not None and not panel.empty and (kind == "work_or_study" or not (has_exit or has_fu))
    )
    if use_panel:
        assert panel is not None
        note = None if kind == "work_or_study" else "panel_proxy"
        # select the participants' rows first (isin on a categorical works on its categories):
        # a register panel has tens of millions of comparison rows that a merge would copy
        mine = panel[panel[PERSON_KEY].isin(e[PERSON_KEY])]
        mine = mine.assign(person_key=mine[PERSON_KEY].astype(object))
        m = mine.merge(e[[PERSON_KEY, "start_date"]], on=PERSON_KEY, how="inner")
        first = m["start_date"].dt.to_period("M").dt.to_timestamp()
        last = (m["start_date"] + pd.DateOffset(months=months)).dt.to_period("M").dt.to_timestamp()
        m = m[(m["month"] >= first) & (m["month"] <= last)]
        if m.empty:
            return None
        hit = m.assign(ok=m["status"].isin(config.panel_work_or_study)).groupby(PERSON_KEY)["ok"].any()
        return int(hit.sum()), int(hit.size), note
    if not (has_exit or has_fu):
        return None
    success = pd.Series(False, index=limit.index)
    if has_exit:
        x = e.set_index(PERSON_KEY)
        success |= x[exit_col].isin(ok_codes) & x["end_date"].notna() & (x["end_date"] <= limit)
    if has_fu:
        f = _fu_dates(followups, e)
        f = f[f[fu_col].isin(ok_codes) & f["date"].notna()]
        f = f[f["date"] <= f[PERSON_KEY].map(limit)]
        success |= success.index.isin(f[PERSON_KEY])
    return int(success.sum()), int(success.size), note


def _action_plan(config, tables, data_end, days: int) -> Counted | None:
    p = tables["participants"]
    if "action_plan_date" not in p or not p["action_plan_date"].notna().any():
        return None
    e = _enrolled(p, data_end)
    e = e[e["start_date"] + pd.Timedelta(days=days) <= pd.Timestamp(data_end)]
    lag = (e["action_plan_date"] - e["start_date"]).dt.days
    return int((lag <= days).sum()), int(len(e)), None


def _contact_every(config, tables, data_end, months: int) -> Counted | None:
    p = tables["participants"]
    f = tables.get("followups")
    if f is None or f.empty or "followup_date" not in f or not f["followup_date"].notna().any():
        return None
    end = pd.Timestamp(data_end)
    e = _enrolled(p, data_end).copy()
    e["stop"] = e["end_date"].where(e["end_date"].notna() & (e["end_date"] <= end), end)
    c = f[[PERSON_KEY, "followup_date"]].dropna().merge(e[[PERSON_KEY, "start_date", "stop"]], on=PERSON_KEY)
    c = c[(c["followup_date"] >= c["start_date"]) & (c["followup_date"] <= c["stop"])]
    if c.empty:
        return None  # no contact dates during any enrolment: the project records none
    e = e[e["start_date"] + pd.DateOffset(months=months) <= e["stop"]]
    max_gap = months * DAYS_PER_MONTH + CONTACT_GRACE_DAYS
    # vectorised: start, contacts and stop as one sorted sequence of dates per person
    pts = (
        pd.concat(
            [
                e[[PERSON_KEY, "start_date"]].rename(columns={"start_date": "d"}),
                c.loc[c[PERSON_KEY].isin(e[PERSON_KEY]), [PERSON_KEY, "followup_date"]].rename(
                    columns={"followup_date": "d"}
                ),
                e[[PERSON_KEY, "stop"]].rename(columns={"stop": "d"}),
            ]
        )
        .sort_values([PERSON_KEY, "d"])
        .reset_index(drop=True)
    )
    gaps = pts.groupby(PERSON_KEY)["d"].diff().dt.days
    worst = gaps.groupby(pts[PERSON_KEY]).max().reindex(e[PERSON_KEY]).fillna(np.inf)
    return int((worst <= max_gap).sum()), int(len(e)), None


def _at_exit(config, tables, data_end) -> Counted | None:
    p = tables["participants"]
    x = p[populations(p, data_end)["exited"]]
    x = x[x["exit_status"].notna()]
    if x.empty:
        return None
    return int(x["exit_status"].isin(config.work_or_study).sum()), int(len(x)), None


def _reached(config, tables, data_end) -> Counted:
    """A count metric: the enrolled persons (``successes`` is not used).

    Participants registered without a personnummer (``tables["anonymous"]``) are enrolled too:
    they count here as in the flow, so the target and the flow's "enrolled" are one number.
    """
    n = int(populations(tables["participants"], data_end)["enrolled"].sum())
    anonymous = tables.get("anonymous")
    if anonymous is not None and len(anonymous):
        n += int(populations(anonymous, data_end)["enrolled"].sum())
    return n, n, None


@dataclass(frozen=True)
class Metric:
    """A target metric: its declaration (parameters, threshold kind, texts) and how it is computed.

    ``compute(target, config, tables, data_end)`` returns :data:`Counted` or ``None``
    (the data cannot measure it: the target is "not measurable", note ``no_data``).
    """

    spec: MetricSpec
    compute: Callable[[Any, Any, Any, dt.date], Counted | None]


_COMPUTE: dict[str, Callable[[Any, Any, Any, dt.date], Counted | None]] = {
    "share_work_or_study_within_months": lambda tg, c, t, e: _within_months(c, t, e, tg.months, "work_or_study"),
    "share_self_supporting_within_months": lambda tg, c, t, e: _within_months(c, t, e, tg.months, "self_supporting"),
    "action_plan_within_days": lambda tg, c, t, e: _action_plan(c, t, e, tg.days),
    "followup_contact_every_months": lambda tg, c, t, e: _contact_every(c, t, e, tg.months),
    "participants_reached": lambda tg, c, t, e: _reached(c, t, e),
    "share_work_or_study_at_exit": lambda tg, c, t, e: _at_exit(c, t, e),
}
if set(_COMPUTE) != set(METRIC_SPECS):  # pragma: no cover - fails at import, so every test run catches it
    raise RuntimeError(f"metrics declared and computed differ: {sorted(set(_COMPUTE) ^ set(METRIC_SPECS))}")

METRICS: dict[str, Metric] = {name: Metric(spec, _COMPUTE[name]) for name, spec in METRIC_SPECS.items()}
"""Every target metric by name (declared in :mod:`analysis.project.metrics`)."""


def is_share_metric(metric: str) -> bool:
    """True for a metric whose value is a share (threshold 0..1), False for a count."""
    return METRICS[metric].spec.threshold == "share"


def _count_target(row: dict, target, config, got, data_end: dt.date) -> dict:
    """A count target (e.g. persons enrolled): met, not met once the period is over, else recruitment open."""
    n = got[1] if got is not None else 0
    row.update(n=n, value=float(n), successes=np.nan)
    if n >= target.threshold:
        row["status"] = "met"
    elif pd.Timestamp(data_end) >= pd.Timestamp(config.period.end):
        row["status"] = "not_met"
    else:
        row["note"] = "recruitment_open"
    hidden = 0 < n < config.min_cell
    row.update(suppressed=hidden, n_suppressed=hidden)
    return row


def evaluate_target(target, config, tables: dict[str, Any], data_end: dt.date) -> dict:
    """Evaluate one target; see the module docstring. Returns one tidy row (true values)."""
    row = {
        "id": target.id,
        "metric": target.metric,
        "months": target.months,
        "days": target.days,
        "label_sv": target.label_sv,
        "label_en": target.label_en,
        "threshold": float(target.threshold),
        "min_observed": target.min_observed,
        "n": np.nan,
        "successes": np.nan,
        "value": np.nan,
        "lower": np.nan,
        "upper": np.nan,
        "status": "not_measurable",
        "ci_verdict": None,
        "suppressed": False,
        "n_suppressed": False,
        "planned": config.planned_participants,
        "note": None,
    }
    min_cell = config.min_cell
    metric = METRICS[target.metric]
    got = metric.compute(target, config, tables, data_end)
    if metric.spec.threshold == "count":
        return _count_target(row, target, config, got, data_end)
    if got is None:
        row["note"] = "no_data"
        return row
    k, n, note = got
    lo, hi = wilson_interval(k, n)
    prot = protect_share(k, n, min_cell)
    row.update(
        n=n,
        successes=k,
        value=k / n if n else np.nan,
        lower=lo,
        upper=hi,
        note=note,
        suppressed=prot.hidden,
        n_suppressed=prot.n_hidden,
    )
    if n == 0 or n < target.min_observed:
        row["note"] = row["note"] or "too_few_observed"
        return row
    row["status"] = "met" if k / n >= target.threshold else "not_met"
    row["ci_verdict"] = (
        "clearly_met" if lo > target.threshold else "clearly_not_met" if hi < target.threshold else "uncertain"
    )
    return row


@dataclass
class TargetsResult:
    """One row per target (``.table``: true values; publish via :meth:`published`)."""

    table: pd.DataFrame
    min_cell: int
    targets: list

    def published(self) -> dict:
        """The section's tree: the targets table and each target's definition (codes and numbers)."""
        table = PublishedTable(
            "targets",
            [
                Column("definition", "code", of="target_definition"),
                Column("n", "count"),
                Column("successes", "count", shown=False),
                Column("value", "share", digits=1),
                Column("ci", "interval", digits=1, of="share"),
                Column("threshold", "share", digits=1),
                Column("status", "code", of="target_status"),
                Column("ci_verdict", "code", of="target_verdict", shown=False),
                Column("note", "code", of="target_note", shown=False),
            ],
            rows_are="target",
            min_cell=self.min_cell,
        )
        mc = self.min_cell
        for r in self.table.itertuples():
            count_target = not is_share_metric(r.metric)
            if count_target:
                n = small_count_cell(r.n, mc)
                value = Cell(n.value, n.marker, "count")
                threshold = value_cell(r.threshold, "count")
                ci = Cell()
            else:
                n = Cell(None, primary_marker(mc)) if r.n_suppressed else value_cell(None if pd.isna(r.n) else int(r.n))
                value = unless(bool(r.suppressed), r.value)
                ci = unless(bool(r.suppressed), [r.lower, r.upper])
                threshold = value_cell(r.threshold)
            successes = Cell() if count_target or pd.isna(r.successes) else unless(bool(r.suppressed), int(r.successes))
            table.add_row(
                r.id,
                {
                    "definition": r.id,
                    "n": n,
                    "successes": successes,
                    "value": value if not pd.isna(r.n) else Cell(),
                    "ci": ci if not pd.isna(r.n) else Cell(),
                    "threshold": threshold,
                    "status": r.status,
                    "ci_verdict": r.ci_verdict,
                    "note": r.note,
                },
            )
        definitions = {
            r.id: {
                "metric": r.metric,
                "months": None if pd.isna(r.months) else int(r.months),
                "days": None if pd.isna(r.days) else int(r.days),
                "threshold": float(r.threshold),
                "min_observed": r.min_observed,
                "label_sv": r.label_sv,
                "label_en": r.label_en,
                "planned": r.planned,
            }
            for r in self.table.itertuples()
        }
        return {"min_cell": self.min_cell, "table": table, "definitions": definitions}

    def to_results(self) -> dict:
        return place(self.published(), "/targets")


def evaluate_targets(config, tables: dict[str, Any], data_end: dt.date) -> TargetsResult:
    """Evaluate every target in ``config.targets``.

    Parameters
    ----------
    config : ProjectConfig
    tables : dict
        ``participants`` (required), ``followups``, ``status_monthly`` (may be missing or None).
    data_end : date
        Last date the data cover.
    """
    rows = [evaluate_target(tg, config, tables, data_end) for tg in config.targets]
    cols = [
        "id",
        "metric",
        "months",
        "days",
        "label_sv",
        "label_en",
        "threshold",
        "min_observed",
        "n",
        "successes",
        "value",
        "lower",
        "upper",
        "status",
        "ci_verdict",
        "suppressed",
        "n_suppressed",
        "planned",
        "note",
    ]
    return TargetsResult(pd.DataFrame(rows, columns=cols), config.min_cell, list(config.targets))
