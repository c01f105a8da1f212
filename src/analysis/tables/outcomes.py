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
up" shares use only those with a status. The follow-up rate sits beside them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.disclosure.proportions import (
    MISSING,
    BinaryShares,
    Distribution,
    binary_shares,
    distribution,
    fmt_ci,
    fmt_pct,
    label_for,
)
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
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
from analysis.tables.participants import AGE_BINS, VARIABLES, age_group_order, populations, prepare

INCOME_CATS = list(INCOME) + [MISSING]  # same rows at every time point
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

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        lab = label_for("tab_status", lang)
        d = self.protected.display.copy()
        d.index = [lab(i) for i in d.index]
        d.columns = [lab(c) for c in d.columns]
        from analysis.project.i18n import t

        d.index.name = t("tab_col_exit_vs_followup", lang)
        return d

    def caption(self, lang: str = "sv") -> str:
        from analysis.project.i18n import t

        return t("tab_cap_transitions", lang, months=self.wave)

    def note(self, lang: str = "sv") -> str | None:
        return self.protected.note(lang)

    def to_results(self) -> dict:
        safe = self.protected.safe_counts()
        cells = []
        for r in safe.index:
            for c in safe.columns:
                v = safe.loc[r, c]
                cells.append(
                    {
                        "exit_status": "total" if r == TOTAL else str(r),
                        "followup_status": "total" if c == TOTAL else str(c),
                        "count": None if pd.isna(v) else int(v),
                        "suppressed": bool(pd.isna(v)),
                    }
                )
        return {"wave": int(self.wave), "min_cell": self.protected.min_cell, "cells": cells}


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

    def to_results(self) -> dict:
        return {
            "wave": int(self.wave),
            "followup_rate": self.rate.to_results(),
            "status": self.status.to_results(),
            "status_by": {k: v.to_results() for k, v in self.status_by.items()},
            "transitions": None if self.transitions is None else self.transitions.to_results(),
        }


@dataclass
class IncomeSources:
    """Income source at start (enrolled), at exit (exited) and at each follow-up wave."""

    timepoints: dict[str, Distribution]
    self_supporting: dict[str, ProtectedShare]
    self_supporting_codes: tuple[str, ...]
    min_cell: int

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.project.i18n import t

        lab = label_for("tab_income", lang)
        cols = {}
        for tp, dist in self.timepoints.items():
            name = _timepoint_label(tp, lang)
            disp = dist.protected.display["count"]
            safe = dist.safe_table().set_index("category")
            idx = list(disp.index)
            cols[f"{name}: {t('n', lang)}"] = list(disp.values) + ["–"]
            cols[f"{name}: %"] = [
                fmt_pct(safe.loc[c, "share"], lang)
                if c != TOTAL
                else ("–" if pd.isna(safe.loc[c, "share"]) else fmt_pct(1.0, lang))
                for c in idx
            ] + [fmt_pct(self.self_supporting[tp].share if not self.self_supporting[tp].hidden else None, lang)]
        index = [lab(c) for c in idx] + [t("tab_self_supporting", lang)]
        out = pd.DataFrame(cols, index=index)
        # the self-supporting row: n column shows the count of self-supporting persons
        for tp in self.timepoints:
            name = _timepoint_label(tp, lang)
            s = self.self_supporting[tp]
            out.loc[t("tab_self_supporting", lang), f"{name}: {t('n', lang)}"] = "–" if s.hidden else str(s.successes)
        return out

    def to_results(self) -> dict:
        return {
            "self_supporting_codes": list(self.self_supporting_codes),
            "timepoints": {
                tp: {"distribution": d.to_results(), "self_supporting": self.self_supporting[tp].to_results()}
                for tp, d in self.timepoints.items()
            },
        }


def _timepoint_label(tp: str, lang: str) -> str:
    from analysis.project.i18n import t

    if tp in ("start", "exit"):
        return t(f"tab_timepoint_{tp}", lang)
    return t("tab_timepoint_followup", lang, months=tp)


@dataclass
class WorkOrStudy:
    """Share in work or study at exit and at each wave, among all and among followed up."""

    rows: list[dict]  # timepoint, all: ProtectedShare, followed: ProtectedShare|None, rate: ProtectedShare|None
    min_cell: int
    codes: tuple[str, ...]

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.project.i18n import t

        def cells(s: ProtectedShare | None):
            if s is None:
                return ["–", "–", "–"]
            n = f"<{self.min_cell}" if s.n_hidden and 0 < s.n < self.min_cell else ("–" if s.n_hidden else str(s.n))
            if s.hidden:
                return [n, "–", "–"]
            return [n, fmt_pct(s.share, lang), fmt_ci(s.lower, s.upper, lang)]

        data = []
        for r in self.rows:
            data.append(
                [_timepoint_label(r["timepoint"], lang)] + cells(r["all"]) + cells(r["followed"]) + cells(r["rate"])[:2]
            )
        a, f, rt = t("tab_col_among_all", lang), t("tab_col_among_followed", lang), t("tab_col_followup_rate", lang)
        cols = [
            "",
            f"{a}: {t('n', lang)}",
            f"{a}: %",
            f"{a}: {t('ci95', lang)}",
            f"{f}: {t('n', lang)}",
            f"{f}: %",
            f"{f}: {t('ci95', lang)}",
            f"{rt}: {t('n', lang)}",
            f"{rt}: %",
        ]
        return pd.DataFrame(data, columns=cols).set_index("")

    def to_results(self) -> dict:
        return {
            "codes": list(self.codes),
            "rows": [
                {
                    "timepoint": r["timepoint"],
                    "among_all": r["all"].to_results(),
                    "among_followed_up": None if r["followed"] is None else r["followed"].to_results(),
                    "followup_rate": None if r["rate"] is None else r["rate"].to_results(),
                }
                for r in self.rows
            ],
        }


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
    notes: list[str] = field(default_factory=list)

    def summary(self, lang: str = "sv") -> dict[str, pd.DataFrame]:
        out = {"exit_status": self.exit_status.summary(lang)}
        out.update({f"exit_status_by_{k}": v.summary(lang) for k, v in self.exit_status_by.items()})
        out.update({f"work_or_study_at_exit_by_{k}": v.summary(lang) for k, v in self.work_or_study_at_exit_by.items()})
        for w in self.waves:
            out[f"followup_{w.wave}_status"] = w.status.summary(lang)
            out.update({f"followup_{w.wave}_status_by_{k}": v.summary(lang) for k, v in w.status_by.items()})
            if w.transitions is not None:
                out[f"transitions_{w.wave}"] = w.transitions.summary(lang)
        out["income"] = self.income.summary(lang)
        out["work_or_study"] = self.work_or_study.summary(lang)
        return out

    def plot(self, lang: str = "sv"):
        """Exit status and follow-up statuses side by side (shares with Wilson intervals)."""
        import matplotlib.pyplot as plt

        from analysis.project.style import set_style

        set_style()
        panels = [("exit", self.exit_status)] + [(str(w.wave), w.status) for w in self.waves]
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.5), sharey=False, squeeze=False)
        for ax, (tp, dist) in zip(axes[0], panels):
            dist.plot(lang, ax=ax)
            ax.set_title(_timepoint_label(tp, lang))
        fig.tight_layout()
        return fig

    def to_results(self) -> dict:
        return {
            "min_cell": self.min_cell,
            "data_end": pd.Timestamp(self.data_end).date().isoformat(),
            "exit_status": self.exit_status.to_results(),
            "exit_status_by": {k: v.to_results() for k, v in self.exit_status_by.items()},
            "work_or_study_at_exit_by": {k: v.to_results() for k, v in self.work_or_study_at_exit_by.items()},
            "waves": [w.to_results() for w in self.waves],
            "income": self.income.to_results(),
            "work_or_study": self.work_or_study.to_results(),
        }


# --------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------


def _status_dist(df, variable, by, min_cell, age_bins, tracks, title_key, population) -> Distribution:
    groups = None
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
        label_prefix="tab_status",
        group_prefix=VARIABLES.get(by, (None, None))[1] if by else None,
        title_key=title_key,
        population=population,
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
    """
    min_cell = min_cell if min_cell is not None else (config.min_cell if config else DEFAULT_MIN_CELL)
    wos = tuple(work_or_study or (config.work_or_study if config else DEFAULT_WORK_OR_STUDY))
    selfsup = tuple(self_supporting or (config.self_supporting if config else DEFAULT_SELF_SUPPORTING))
    tracks = tracks if tracks is not None else (config.tracks if config else None)
    p = prepare(participants, age_bins)
    pop = populations(participants, data_end)
    ex = p[pop["exited"]]
    has_track = bool(tracks) or ("track" in p and p["track"].notna().any())
    subgroups = [g for g in subgroups if g in p and (g != "track" or has_track)]

    def dist(df, by, title_key, population, variable="exit_status"):
        return _status_dist(df, variable, by, min_cell, age_bins, tracks, title_key, population)

    exit_status = dist(ex, None, "tab_cap_exit_status", "exited")
    exit_by = {g: dist(ex, g, f"tab_cap_exit_status_by_{g}", "exited") for g in subgroups}
    wos_exit = ex["exit_status"].isin(wos)
    wos_by = {
        g: binary_shares(
            wos_exit,
            ex[g],
            name="work_or_study_at_exit",
            min_cell=min_cell,
            group_prefix=VARIABLES.get(g, (None, None))[1],
        )
        for g in subgroups
    }

    fw = assign_waves(followups, participants, data_end, waves)
    end = pd.Timestamp(data_end)
    wave_results = []
    wos_rows = [_wos_row("exit", int(wos_exit.sum()), int(ex["exit_status"].notna().sum()), None, len(ex), min_cell)]
    income_tp = {
        "start": distribution(
            p[pop["enrolled"]],
            "income_at_start",
            categories=INCOME_CATS,
            min_cell=min_cell,
            label_prefix="tab_income",
            population="enrolled",
        ),
        "exit": distribution(
            ex,
            "income_at_exit",
            categories=INCOME_CATS,
            min_cell=min_cell,
            label_prefix="tab_income",
            population="exited",
        ),
    }
    selfsup_tp = {
        "start": _selfsup(p.loc[pop["enrolled"], "income_at_start"], selfsup, min_cell),
        "exit": _selfsup(ex["income_at_exit"], selfsup, min_cell),
    }
    for w in sorted(waves):
        got = fw[fw["wave"] == w]
        eligible_mask = (_months_after(ex["end_date"], w) <= end) | ex[PERSON_KEY].isin(got[PERSON_KEY])
        elig = ex[eligible_mask]
        fu = elig.merge(got[[PERSON_KEY, "status", "income_source"]], on=PERSON_KEY, how="inner")
        row = _wos_row(
            str(w), int(fu["status"].isin(wos).sum()), int(fu["status"].notna().sum()), len(fu), len(elig), min_cell
        )
        rate = row["rate"]  # protected jointly with the work-or-study counts of the wave
        status = dist(fu, None, None, f"followed_up_{w}", variable="status")
        status_by = {g: dist(fu, g, None, f"followed_up_{w}", variable="status") for g in subgroups}
        trans = None
        if len(fu):
            ct = pd.crosstab(fu["exit_status"].fillna(MISSING), fu["status"].fillna(MISSING))
            rows_ = [c for c in EXIT_STATUS if c in ct.index] + [c for c in ct.index if c not in EXIT_STATUS]
            cols_ = [c for c in EXIT_STATUS if c in ct.columns] + [c for c in ct.columns if c not in EXIT_STATUS]
            trans = Transitions(w, protect_counts(ct.reindex(index=rows_, columns=cols_), min_cell))
        wave_results.append(Wave(w, len(elig), len(fu), rate, status, status_by, trans))
        wos_rows.append(row)
        if fu["income_source"].notna().any():
            income_tp[str(w)] = distribution(
                fu,
                "income_source",
                categories=INCOME_CATS,
                min_cell=min_cell,
                label_prefix="tab_income",
                population=f"followed_up_{w}",
            )
            selfsup_tp[str(w)] = _selfsup(fu["income_source"], selfsup, min_cell)
    notes = []
    if followups is None or fw.empty:
        notes.append("no_followups")
    return OutcomesResult(
        exit_status=exit_status,
        exit_status_by=exit_by,
        work_or_study_at_exit_by=wos_by,
        waves=wave_results,
        income=IncomeSources(income_tp, selfsup_tp, selfsup, min_cell),
        work_or_study=WorkOrStudy(wos_rows, min_cell, wos),
        min_cell=min_cell,
        data_end=data_end,
        notes=notes,
    )


def _wos_row(timepoint: str, wos: int, with_status: int, followed: int | None, eligible: int, min_cell: int) -> dict:
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
    pc = protect_linked(v, rel, min_cell)
    return {
        "timepoint": timepoint,
        "all": share_from_linked(pc, "wos", "all_not", "eligible"),
        "followed": share_from_linked(pc, "wos", "not_wos", "with_status"),
        "rate": None if followed is None else share_from_linked(pc, "followed", "not_followed", "eligible"),
        "protected": pc,
    }


def _selfsup(income: pd.Series, codes: Sequence[str], min_cell: int) -> ProtectedShare:
    """Self-supporting share among those with a known income source."""
    known = income.dropna()
    return protect_share(int(known.isin(codes).sum()), int(known.size), min_cell)
