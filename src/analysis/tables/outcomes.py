"""Outcomes: status at exit and at each follow-up, transitions, income sources, work or study.

Populations (all at ``data_end``)
---------------------------------
exited
    enrolled persons with ``end_date <= data_end``; status at exit is their ``exit_status``.
eligible for follow-up wave ``w``
    exited persons with ``end_date + w months <= data_end`` (time enough to be
    followed up), plus anyone actually followed up in that wave.
followed up in wave ``w``
    persons with a follow-up in the wave's band (see :func:`assign_waves`).

Follow-up waves
---------------
A follow-up's months after exit is ``months_after_exit`` or, when empty,
``(followup_date - end_date)`` in months (``DAYS_PER_MONTH`` = 30.4375 days). Waves are nominal
months (default 6 and 12); each wave's band runs from the midpoint to the
previous wave (half the first wave for the first) to the midpoint to the next
(as far beyond the last wave as its lower half-width). Contacts before exit or
below the first band are contacts during enrolment, not outcome follow-ups. A
person with several follow-ups in one band keeps the one closest to the
nominal month (later one on ties).

"Among all" shares count an eligible person who was not followed up (or has no
recorded status) as not in work or study -- a lower bound; "among followed
up" shares use only those with a known status (a status "unknown" or none is
left out of that denominator and its count shown). The follow-up rate sits
beside them. Without follow-ups, a monthly panel whose domain records work and
study gives the work-or-study rows after exit (the status in the calendar month
``w`` months after exit); without either, there are no rows after exit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.intervals import wilson_interval
from analysis.disclosure.proportions import (
    MISSING,
    BinaryShares,
    Distribution,
    binary_from_distribution,
    distribution,
)
from analysis.disclosure.published import (
    Cell,
    Column,
    PublishedTable,
    code,
    count_cell,
    linked_cell,
    place,
    unless,
)
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
    ProtectedCounts,
    ProtectedShare,
    ProtectedTable,
    protect_counts,
    protect_linked,
    protect_share,
    share_from_linked,
)
from analysis.project.codes import DEFAULT_SELF_SUPPORTING, DEFAULT_WORK_OR_STUDY, EXIT_STATUS, INCOME
from analysis.project.config import DEFAULT_FOLLOWUP_MONTHS_AFTER_EXIT
from analysis.project.contract import PERSON_KEY
from analysis.project.dates import DAYS_PER_MONTH
from analysis.tables.participants import (
    AGE_BINS,
    VARIABLES,
    age_group_order,
    participant_tables,
    populations,
    prepare,
    published_margins,
)

INCOME_CATS = list(INCOME) + [MISSING]
UNKNOWN = "unknown"  # a status recorded as unknown: not counted as "not in work or study" where status is known  # same rows at every time point
DEFAULT_WAVES: tuple[int, ...] = DEFAULT_FOLLOWUP_MONTHS_AFTER_EXIT
SUBGROUPS: tuple[str, ...] = ("gender", "age_group", "track", "referred_by")


def wave_bands(waves: Sequence[int]) -> list[tuple[int, float, float]]:
    """``(wave, lower, upper)`` month bands, lower inclusive, upper exclusive."""
    w = sorted(waves)
    lows = [w[0] / 2] + [(a + b) / 2 for a, b in zip(w[:-1], w[1:])]
    highs = lows[1:] + [w[-1] + (w[-1] - lows[-1])]
    return list(zip(w, lows, highs))


def assign_waves(
    followups: pd.DataFrame | None, participants: pd.DataFrame, data_end: dt.date, waves: Sequence[int] = DEFAULT_WAVES
) -> pd.DataFrame:
    """One row per person and wave: ``person_key, wave, months, status, income_source``.

    See the module docstring for the rules.
    """
    cols = [PERSON_KEY, "wave", "months", "status", "income_source"]
    if followups is None or followups.empty:
        return pd.DataFrame(columns=cols)
    end = pd.Timestamp(data_end)
    ex = participants.loc[populations(participants, data_end)["exited"], [PERSON_KEY, "end_date"]]
    f = followups.merge(ex, on=PERSON_KEY, how="inner")
    if "followup_date" in f:
        f = f[f["followup_date"].isna() | (f["followup_date"] <= end)]
        from_dates = (f["followup_date"] - f["end_date"]).dt.days / DAYS_PER_MONTH
    else:
        from_dates = pd.Series(np.nan, index=f.index)
    months = f["months_after_exit"] if "months_after_exit" in f else pd.Series(np.nan, index=f.index)
    f = f.assign(months=months.astype(float).fillna(from_dates))
    f["wave"] = np.nan
    for w, lo, hi in wave_bands(waves):
        f.loc[(f["months"] >= lo) & (f["months"] < hi), "wave"] = w
    f = f[f["wave"].notna()].copy()
    f["wave"] = f["wave"].astype(int)
    f["dist"] = (f["months"] - f["wave"]).abs()
    f = f.sort_values([PERSON_KEY, "wave", "dist", "months"], ascending=[True, True, True, False])
    f = f.drop_duplicates([PERSON_KEY, "wave"], keep="first")
    for c in ("status", "income_source"):
        if c not in f:
            f[c] = None
    return f[cols].reset_index(drop=True)


def _months_after(d: pd.Series, months: int) -> pd.Series:
    return d + pd.DateOffset(months=months)


# --------------------------------------------------------------------------
# result pieces
# --------------------------------------------------------------------------


@dataclass
class Transitions:
    """Exit status (rows) x follow-up status (columns) among those followed up in one wave."""

    wave: int
    protected: ProtectedTable

    def published(self) -> PublishedTable:
        pt = self.protected
        keys = [code(c) for c in pt.counts.columns]
        table = PublishedTable(
            f"transitions_{self.wave}",
            [Column(k, "count") for k in keys],
            rows_are="status",
            keys_are="status",
            min_cell=pt.min_cell,
        )
        for r in pt.counts.index:
            table.add_row(code(r), {code(c): count_cell(pt, r, c) for c in pt.counts.columns})
        table.meta["wave"] = int(self.wave)
        table.withheld = pt.exposed
        return table


@dataclass
class Wave:
    """One follow-up wave: who could be and who was followed up, and their status."""

    wave: int
    eligible: int
    followed_up: int
    rate: ProtectedShare
    status: Distribution
    status_by: dict[str, Distribution]
    transitions: Transitions | None
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the followed-up persons

    def published(self) -> dict:
        status = _named(self.status, f"followup_{self.wave}_status")
        out: dict = {
            "wave": int(self.wave),
            "status": status,
            "status_by": {k: _named(v, f"followup_{self.wave}_status_by_{k}") for k, v in self.status_by.items()},
        }
        if self.transitions is not None:
            out["transitions"] = self.transitions.published()
        return out


def _named(d: Distribution | BinaryShares, name: str) -> PublishedTable:
    pt = d.published()
    pt.name = name
    if isinstance(d, Distribution):
        pt.meta["population"] = d.population
    else:
        pt.meta["by"] = d.by
    return pt


@dataclass
class IncomeSources:
    """Income source at start (enrolled), at exit (exited) and at each follow-up wave."""

    timepoints: dict[str, Distribution]
    self_supporting: dict[str, ProtectedShare]
    self_supporting_codes: tuple[str, ...]
    min_cell: int

    def protected_column(self, tp: str) -> ProtectedCounts:
        """One time point's income sources protected together with the self-supporting count.

        The self-supporting count is the sum of its sources (``sources -> self_supporting``),
        a relation a reader can use; the cells hidden in the plain distribution stay hidden
        (``force``), and where one more count must be hidden it is the self-supporting
        count rather than an income source. Its share (over the persons with a known
        source, ``total - missing``) is published only where the missing count is, see
        :meth:`published`.
        """
        dist = self.timepoints[tp]
        counts = dist.protected.counts["count"]
        cats = [c for c in counts.index if c != TOTAL]
        values = {code(c): int(counts[c]) for c in cats}
        selfsup = [code(c) for c in cats if c in self.self_supporting_codes]
        values.update(total=int(counts[TOTAL]), self_supporting=sum(values[c] for c in selfsup))
        relations = [([code(c) for c in cats], "total"), (selfsup, "self_supporting")]
        force = [code(c) for c in counts.index if dist.protected.hidden.loc[c, "count"]]
        return protect_linked(values, relations, self.min_cell, force=force, prefer=["self_supporting"])

    def published(self) -> PublishedTable:
        """Income categories (rows) by time point (column groups), with the self-supporting share as a last row."""
        columns = []
        for tp in self.timepoints:
            columns += [
                Column("count", "count", tp),
                Column("share", "share", tp, digits=1),
                Column("ci", "interval", tp, digits=1, of="share", shown=False),
            ]
        table = PublishedTable("income", columns, rows_are="income", groups_are="timepoint", min_cell=self.min_cell)
        protected = {tp: self.protected_column(tp) for tp in self.timepoints}
        cats = [code(c) for c in next(iter(self.timepoints.values())).protected.counts.index] if protected else []
        for cat in cats:
            cells: dict[str, Cell] = {}
            for tp, pc in protected.items():
                n = pc.values["total"]
                cells[f"{tp}/count"] = linked_cell(pc, cat)
                hidden = pc.hidden[cat] or pc.hidden["total"]
                cells[f"{tp}/share"] = Cell() if n == 0 else unless(hidden, pc.values[cat] / n)
                cells[f"{tp}/ci"] = Cell() if n == 0 else unless(hidden, list(wilson_interval(pc.values[cat], n)))
            table.add_row(cat, cells)
        cells = {}
        for tp, pc in protected.items():
            # the share's denominator (known sources) is total - missing: publishing the share tells the
            # missing count, so the share is shown only where the missing count is
            k, known = pc.values["self_supporting"], pc.values["total"] - pc.values.get("missing", 0)
            cells[f"{tp}/count"] = Cell() if known == 0 else linked_cell(pc, "self_supporting")
            hidden = pc.hidden["self_supporting"] or pc.hidden["total"] or pc.hidden.get("missing", False)
            cells[f"{tp}/share"] = Cell() if known == 0 else unless(hidden, k / known)
            cells[f"{tp}/ci"] = Cell() if known == 0 else unless(hidden, list(wilson_interval(k, known)))
            table.withheld |= pc.exposed
        table.add_row("self_supporting", cells)
        table.meta["self_supporting_codes"] = list(self.self_supporting_codes)
        return table


@dataclass
class WorkOrStudy:
    """Share in work or study at exit and at each wave, among all and among followed up."""

    rows: list[dict]  # timepoint, all: ProtectedShare, followed: ProtectedShare|None, rate: ProtectedShare|None
    min_cell: int
    codes: tuple[str, ...]
    after_exit_from: str | None = None  # "followups", "panel" or None (no row after exit)

    def published(self) -> PublishedTable:
        """Per time point: N, share and interval among all, among those followed up, and the follow-up rate."""
        columns = []
        for g in ("among_all", "among_followed_up"):
            columns += [
                Column("n", "count", g),
                Column("share", "share", g, digits=1),
                Column("ci", "interval", g, digits=1, of="share"),
            ]
        columns += [
            Column("count", "count", "no_status"),
            Column("n", "count", "followup_rate"),
            Column("share", "share", "followup_rate", digits=1),
            Column("ci", "interval", "followup_rate", digits=1, of="share", shown=False),
        ]
        table = PublishedTable("work_or_study", columns, rows_are="timepoint", groups_are="population")
        table.min_cell = self.min_cell
        for r in self.rows:
            pc: ProtectedCounts = r["protected"]
            cells: dict[str, Cell] = {}
            for g, share, den in (
                ("among_all", r["all"], "eligible"),
                ("among_followed_up", r["followed"], "with_status"),
            ):
                cells[f"{g}/n"] = linked_cell(pc, den)
                cells[f"{g}/share"] = _share_cell(share)
                cells[f"{g}/ci"] = _share_cell(share, interval=True)
            # followed up (or exited) but with an unknown status: outside the "known status" denominator
            cells["no_status/count"] = linked_cell(pc, "no_status")
            if r["rate"] is not None:
                cells["followup_rate/n"] = linked_cell(pc, "eligible")
                cells["followup_rate/share"] = _share_cell(r["rate"])
                cells["followup_rate/ci"] = _share_cell(r["rate"], interval=True)
            table.add_row(r["timepoint"], cells)
            table.withheld |= pc.exposed
        table.meta["codes"] = list(self.codes)
        table.meta["after_exit_from"] = self.after_exit_from
        return table


def _share_cell(s: ProtectedShare | None, interval: bool = False) -> Cell:
    if s is None or s.n == 0:
        return Cell()
    return unless(s.hidden, [s.lower, s.upper] if interval else s.share)


@dataclass
class OutcomesResult:
    """Every outcome table of one project (see the module docstring for populations)."""

    exit_status: Distribution
    exit_status_by: dict[str, Distribution]
    work_or_study_at_exit_by: dict[str, BinaryShares]
    waves: list[Wave]
    income: IncomeSources
    work_or_study: WorkOrStudy
    min_cell: int
    data_end: dt.date
    no_data: dict[str, str] = field(default_factory=dict)

    def published(self) -> dict:
        """The section's tree: every table as a :class:`PublishedTable` (numbers and codes)."""
        out: dict = {
            "min_cell": self.min_cell,
            "data_end": pd.Timestamp(self.data_end).date().isoformat(),
            "work_or_study": self.work_or_study.published(),
            "exit_status": _named(self.exit_status, "exit_status"),
            "exit_status_by": {k: _named(v, f"exit_status_by_{k}") for k, v in self.exit_status_by.items()},
            "work_or_study_at_exit_by": {
                k: _named(v, f"work_or_study_at_exit_by_{k}") for k, v in self.work_or_study_at_exit_by.items()
            },
            "income": self.income.published(),
        }
        if self.waves:
            out["waves"] = {str(w.wave): w.published() for w in self.waves}
        if self.no_data:
            out["no_data"] = dict(self.no_data)
        return out

    def to_results(self) -> dict:
        return place(self.published(), "/outcomes")


# --------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------


def _status_dist(df, variable, by, min_cell, age_bins, tracks, population, overall=None, margin=None) -> Distribution:
    """A status distribution; ``overall`` (the same without ``by``) and ``margin`` (the mask of ``by``'s
    distribution among the same persons) are the published tables whose margins it shares."""
    groups: Sequence[Any] | None = None
    if by == "age_group":
        groups = age_group_order(age_bins)
    elif by == "track" and tracks:
        groups = list(tracks)
    elif by in VARIABLES:
        groups = VARIABLES[by][0]
    return distribution(
        df,
        variable,
        by,
        categories=EXIT_STATUS,
        groups=groups,
        min_cell=min_cell,
        rows_are="status",
        groups_are=VARIABLES.get(by, (None, by))[1] if by else None,
        population=population,
        total_column=None if overall is None else overall.protected.hidden["count"],
        total_row=margin,
    )


def outcome_tables(
    participants: pd.DataFrame,
    followups: pd.DataFrame | None,
    data_end: dt.date,
    config=None,
    *,
    waves: Sequence[int] = DEFAULT_WAVES,
    min_cell: int | None = None,
    work_or_study: Sequence[str] | None = None,
    self_supporting: Sequence[str] | None = None,
    subgroups: Sequence[str] = SUBGROUPS,
    age_bins: Sequence[int] = AGE_BINS,
    tracks: Sequence[str] | None = None,
    panel: pd.DataFrame | None = None,
) -> OutcomesResult:
    """Compute every outcome table.

    Parameters
    ----------
    participants, followups
        Processed tables; ``followups`` may be None.
    config : ProjectConfig, optional
        Supplies ``min_cell``, ``work_or_study``, ``self_supporting``, ``tracks``.
    waves
        Nominal follow-up months after exit.
    subgroups
        Subgroup columns; ``track`` is skipped when the project has no tracks.
    panel
        The monthly status panel, given only when its domain records work and study: without
        follow-ups, the share in work or study ``w`` months after exit is read from it (the
        person's status in the calendar month of ``end_date + w`` months).
    """
    min_cell, wos, selfsup, tracks = _settings(config, min_cell, work_or_study, self_supporting, tracks)
    p = prepare(participants, age_bins)
    pop = populations(participants, data_end)
    ex = p[pop["exited"]]
    has_track = bool(tracks) or ("track" in p and p["track"].notna().any())
    subgroups = [g for g in subgroups if g in p and (g != "track" or has_track)]

    def dist(df, by, population, variable="exit_status", overall=None, margin=None):
        return _status_dist(df, variable, by, min_cell, age_bins, tracks, population, overall, margin)

    margins = _shared_margins(participants, pop, data_end, config, min_cell, age_bins, tracks)
    exit_status, exit_by, wos_by, wos_rows = _exit_tables(ex, subgroups, wos, min_cell, dist, margins)
    fw = assign_waves(followups, participants, data_end, waves)
    income = _income_at_start_and_exit(p, pop, ex, selfsup, min_cell)
    wave_results, after_exit_from = _after_exit(
        ex, fw, panel, config, data_end, waves, (wos, selfsup, min_cell), dist, subgroups, wos_rows, income
    )
    return OutcomesResult(
        exit_status=exit_status,
        exit_status_by=exit_by,
        work_or_study_at_exit_by=wos_by,
        waves=wave_results,
        income=IncomeSources(*income, selfsup, min_cell),
        work_or_study=WorkOrStudy(wos_rows, min_cell, wos, after_exit_from),
        min_cell=min_cell,
        data_end=data_end,
        no_data=_no_data(fw, after_exit_from),
    )


def _settings(config, min_cell, work_or_study, self_supporting, tracks) -> tuple:
    """The minimum cell, work-or-study codes, self-supporting codes and tracks: as given, else the project's."""
    min_cell = min_cell if min_cell is not None else (config.min_cell if config else DEFAULT_MIN_CELL)
    wos = tuple(work_or_study or (config.work_or_study if config else DEFAULT_WORK_OR_STUDY))
    selfsup = tuple(self_supporting or (config.self_supporting if config else DEFAULT_SELF_SUPPORTING))
    tracks = tracks if tracks is not None else (config.tracks if config else None)
    return min_cell, wos, selfsup, tracks


def _shared_margins(participants, pop, data_end, config, min_cell, age_bins, tracks) -> dict[str, pd.Series]:
    """When everyone has exited, the exited by sex, age... are the participant tables' margins: their masks."""
    if not bool((pop["exited"] == pop["enrolled"]).all()):
        return {}
    described = participant_tables(participants, data_end, config, min_cell=min_cell, age_bins=age_bins, tracks=tracks)
    return published_margins(described.tables)


def _exit_tables(ex: pd.DataFrame, subgroups: Sequence[str], wos: tuple, min_cell: int, dist, margins) -> tuple:
    """Exit status (overall and by subgroup), work or study at exit by subgroup, and its row of the summary.

    The tables by subgroup share the overall table's column and the participant tables' margins
    (``margins``); work or study at exit by subgroup is computed from them, never beside them.
    """
    exit_status = dist(ex, None, "exited")
    exit_by = {g: dist(ex, g, "exited", overall=exit_status, margin=margins.get(g)) for g in subgroups}
    wos_exit = ex["exit_status"].isin(wos)
    wos_by = _wos_at_exit_by(exit_by, wos)
    # an exit status "unknown" is not "not in work or study": it stays out of the known-status denominator
    known_exit = ex["exit_status"].notna() & (ex["exit_status"] != UNKNOWN)
    wos_rows = [_wos_row("exit", int(wos_exit.sum()), int(known_exit.sum()), len(ex), len(ex), min_cell, rate=False)]
    return exit_status, exit_by, wos_by, wos_rows


def _after_exit(
    ex: pd.DataFrame,
    fw: pd.DataFrame,
    panel: pd.DataFrame | None,
    config,
    data_end: dt.date,
    waves: Sequence[int],
    codes: tuple[tuple, tuple, int],
    dist,
    subgroups: Sequence[str],
    wos_rows: list,
    income: tuple[dict, dict],
) -> tuple[list[Wave], str | None]:
    """The follow-up waves (else the panel's share in work or study after exit) and where they came from.

    ``codes`` is (work-or-study codes, self-supporting codes, minimum cell); the waves' rows are
    appended to ``wos_rows`` and their income tables to ``income`` (distributions, self-supporting shares).
    """
    wos, selfsup, min_cell = codes
    income_tp, selfsup_tp = income
    end = pd.Timestamp(data_end)
    wave_results: list[Wave] = []
    after_exit_from = None
    if not fw.empty:
        after_exit_from = "followups"
        for w in sorted(waves):
            wave, row = _followup_wave(ex, fw, w, end, wos, min_cell, dist, subgroups)
            wave_results.append(wave)
            wos_rows.append(row)
            _add_wave_income(income_tp, selfsup_tp, wave.frame, w, selfsup, min_cell)
    elif panel is not None and not panel.empty:
        after_exit_from = "panel"
        panel_wos = tuple(config.panel_work_or_study) if config else ("work", "study")
        wos_rows += [_panel_wave_row(ex, panel, w, end, panel_wos, min_cell) for w in sorted(waves)]
    return wave_results, after_exit_from


def _wos_at_exit_by(exit_by: dict[str, Distribution], wos: tuple) -> dict:
    """Share in work or study at exit, per subgroup column, from the protected exit tables.

    An unknown or missing exit status is not "not in work or study": it stays out of the denominator.
    """
    return {
        g: binary_from_distribution(
            d, wos, (UNKNOWN, MISSING), name="work_or_study_at_exit", groups_are=VARIABLES.get(g, (None, g))[1]
        )
        for g, d in exit_by.items()
    }


def _income_at_start_and_exit(
    p: pd.DataFrame, pop: pd.DataFrame, ex: pd.DataFrame, selfsup: tuple, min_cell: int
) -> tuple[dict, dict]:
    """Income source distributions and self-supporting shares at start (enrolled) and at exit (exited)."""
    income_tp = {
        "start": distribution(
            p[pop["enrolled"]],
            "income_at_start",
            categories=INCOME_CATS,
            min_cell=min_cell,
            rows_are="income",
            population="enrolled",
        ),
        "exit": distribution(
            ex,
            "income_at_exit",
            categories=INCOME_CATS,
            min_cell=min_cell,
            rows_are="income",
            population="exited",
        ),
    }
    selfsup_tp = {
        "start": _selfsup(p.loc[pop["enrolled"], "income_at_start"], selfsup, min_cell),
        "exit": _selfsup(ex["income_at_exit"], selfsup, min_cell),
    }
    return income_tp, selfsup_tp


def _add_wave_income(
    income_tp: dict, selfsup_tp: dict, fu: pd.DataFrame, w: int, selfsup: tuple, min_cell: int
) -> None:
    """Add follow-up wave ``w``'s income distribution and self-supporting share, when any income is recorded."""
    if fu["income_source"].notna().any():
        income_tp[str(w)] = distribution(
            fu,
            "income_source",
            categories=INCOME_CATS,
            min_cell=min_cell,
            rows_are="income",
            population=f"followed_up_{w}",
        )
        selfsup_tp[str(w)] = _selfsup(fu["income_source"], selfsup, min_cell)


def _no_data(fw: pd.DataFrame, after_exit_from: str | None) -> dict:
    """Why tables are missing: no follow-ups (waves) and neither follow-ups nor panel (after exit)."""
    no_data = {}
    if fw.empty:
        no_data["waves"] = "no_followups"
        if after_exit_from is None:
            no_data["after_exit"] = "no_followups_no_panel"
    return no_data


def _followup_wave(ex, fw, w, end, wos, min_cell, dist, subgroups) -> tuple[Wave, dict]:
    """One follow-up wave from the follow-ups: its tables and its row of the work-or-study table."""
    got = fw[fw["wave"] == w]
    eligible_mask = (_months_after(ex["end_date"], w) <= end) | ex[PERSON_KEY].isin(got[PERSON_KEY])
    elig = ex[eligible_mask]
    fu = elig.merge(got[[PERSON_KEY, "status", "income_source"]], on=PERSON_KEY, how="inner")
    known = fu["status"].notna() & (fu["status"] != UNKNOWN)
    row = _wos_row(str(w), int(fu["status"].isin(wos).sum()), int(known.sum()), len(fu), len(elig), min_cell)
    status = dist(fu, None, f"followed_up_{w}", variable="status")
    status_by = {g: dist(fu, g, f"followed_up_{w}", variable="status", overall=status) for g in subgroups}
    trans = None
    if len(fu):
        ct = pd.crosstab(fu["exit_status"].fillna(MISSING), fu["status"].fillna(MISSING))
        rows_ = [c for c in EXIT_STATUS if c in ct.index] + [c for c in ct.index if c not in EXIT_STATUS]
        cols_ = [c for c in EXIT_STATUS if c in ct.columns] + [c for c in ct.columns if c not in EXIT_STATUS]
        trans = Transitions(w, protect_counts(ct.reindex(index=rows_, columns=cols_), min_cell))
    # the rate is protected jointly with the work-or-study counts of the wave
    return Wave(w, len(elig), len(fu), row["rate"], status, status_by, trans, fu), row


def _panel_wave_row(ex: pd.DataFrame, panel: pd.DataFrame, w: int, end: pd.Timestamp, codes, min_cell: int) -> dict:
    """The work-or-study row ``w`` months after exit from the monthly panel.

    Eligible: exited persons whose month ``end_date + w`` months has ended by ``data_end``;
    in work or study: their panel status that calendar month is one of ``panel_work_or_study``
    (no panel row that month: not in work or study, as in the survival analysis).
    """
    elig = ex[_months_after(ex["end_date"], w) <= end]
    month = _months_after(elig["end_date"], w).dt.to_period("M").dt.to_timestamp()
    want = pd.DataFrame({PERSON_KEY: elig[PERSON_KEY].astype(str).to_numpy(), "month": month.to_numpy()})
    pan = pd.DataFrame(
        {
            PERSON_KEY: panel[PERSON_KEY].astype(str).to_numpy(),
            "month": pd.to_datetime(panel["month"]).dt.to_period("M").dt.to_timestamp().to_numpy(),
            "status": panel["status"].astype(object).to_numpy(),
        }
    ).drop_duplicates([PERSON_KEY, "month"])
    seen = want.merge(pan, on=[PERSON_KEY, "month"], how="inner")
    # as in the survival analysis, a month without a panel row counts as not in work or study, so every
    # eligible person has a status: no follow-up rate, and no small "not found" count to protect
    wos = int(seen["status"].isin(codes).sum())
    return _wos_row(str(w), wos, len(elig), len(elig), len(elig), min_cell, rate=False)


def _wos_row(
    timepoint: str, wos: int, with_status: int, followed: int | None, eligible: int, min_cell: int, rate: bool = True
) -> dict:
    """One row of the work-or-study table, its counts protected jointly.

    The row publishes three shares over overlapping counts (among all, among
    those with a status, follow-up rate); protecting them one by one would let
    a hidden count be recovered from the others, so all cells and their
    additive relations go through one :func:`protect_linked` call.
    """
    followed_ = with_status if followed is None else followed
    v = {
        "wos": wos,
        "not_wos": with_status - wos,
        "with_status": with_status,
        "no_status": followed_ - with_status,
        "followed": followed_,
        "not_followed": eligible - followed_,
        "eligible": eligible,
        "all_not": eligible - wos,
    }
    rel = [
        (["wos", "not_wos"], "with_status"),
        (["with_status", "no_status"], "followed"),
        (["followed", "not_followed"], "eligible"),
        (["wos", "all_not"], "eligible"),
    ]
    # a small unknown-status count pins either the known-status base or the number followed up:
    # hide the latter (the follow-up rate) so that the share among those with a known status stays
    pc = protect_linked(v, rel, min_cell, prefer=["followed", "not_followed"] if rate else [])
    return {
        "timepoint": timepoint,
        "all": share_from_linked(pc, "wos", "all_not", "eligible"),
        "followed": share_from_linked(pc, "wos", "not_wos", "with_status"),
        "rate": None if not rate else share_from_linked(pc, "followed", "not_followed", "eligible"),
        "protected": pc,
    }


def _selfsup(income: pd.Series, codes: Sequence[str], min_cell: int) -> ProtectedShare:
    """Self-supporting share among those with a known income source."""
    known = income.dropna()
    return protect_share(int(known.isin(codes).sum()), int(known.size), min_cell)
