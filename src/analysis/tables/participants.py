"""Who the participants are: the flow through the project and descriptive tables.

Populations are fixed at ``data_end`` (the last date the data cover):

referred
    every row of ``participants`` with a referral or start on or before data_end;
enrolled
    ``start_date <= data_end``;
not_enrolled
    referred but no start (or a start after data_end);
active
    enrolled and ``end_date`` empty or after data_end;
exited
    enrolled and ``end_date <= data_end``.

Descriptive tables describe the enrolled persons unless ``population`` says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.proportions import Distribution, distribution
from analysis.disclosure.published import (
    TOTAL_CODE,
    Cell,
    Column,
    PublishedTable,
    code,
    linked_cell,
    value_cell,
)
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
    ProtectedCounts,
    protect_linked,
    protect_subgroups,
)
from analysis.project.codes import EDUCATION, GENDER, INCOME, ORIGIN, REFERRED_BY

AGE_BINS: tuple[int, ...] = (16, 25, 30, 40, 50, 65)
SUPPORT_BINS_MONTHS: tuple[int, ...] = (0, 12, 24, 36, 48, 60)


def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d)


def populations(participants: pd.DataFrame, data_end: dt.date) -> pd.DataFrame:
    """Boolean columns ``referred, enrolled, not_enrolled, active, exited`` per row."""
    end = _ts(data_end)
    p = participants
    first = p["referral_date"].fillna(p["start_date"]) if "referral_date" in p else p["start_date"]
    referred = first.isna() | (first <= end)  # no dates at all: still a row the project reported
    enrolled = p["start_date"].notna() & (p["start_date"] <= end)
    exited = enrolled & p["end_date"].notna() & (p["end_date"] <= end)
    return pd.DataFrame(
        {
            "referred": referred,
            "enrolled": enrolled,
            "not_enrolled": referred & ~enrolled,
            "active": enrolled & ~exited,
            "exited": exited,
        },
        index=p.index,
    )


def age_groups(age: pd.Series, bins: Sequence[int] = AGE_BINS) -> pd.Series:
    """Age-group labels ``"16–24", ..., "65+"``; ages below the first edge are ``"<16"``.

    ``bins`` are the lower edges of the groups (the last one is open-ended).
    """
    bins = list(bins)
    labels = [f"{lo}–{hi - 1}" for lo, hi in zip(bins[:-1], bins[1:])] + [f"{bins[-1]}+"]
    edges = [-np.inf] + bins + [np.inf]
    out = pd.cut(age.astype("float"), edges, right=False, labels=[f"<{bins[0]}"] + labels)
    return out.astype("object").where(age.notna(), None)


def age_group_order(bins: Sequence[int] = AGE_BINS) -> list[str]:
    bins = list(bins)
    return [f"<{bins[0]}"] + [f"{lo}–{hi - 1}" for lo, hi in zip(bins[:-1], bins[1:])] + [f"{bins[-1]}+"]


def support_groups(months: pd.Series, bins: Sequence[int] = SUPPORT_BINS_MONTHS) -> pd.Series:
    """Months on support before start in whole-year bands: codes ``"0-11", "12-23", ..., "60+"``."""
    bins = list(bins)
    codes = [f"{lo}-{hi - 1}" for lo, hi in zip(bins[:-1], bins[1:])] + [f"{bins[-1]}+"]
    out = pd.cut(months.astype(float), bins + [np.inf], right=False, labels=codes)
    return out.astype("object").where(months.notna(), None)


def support_group_order(bins: Sequence[int] = SUPPORT_BINS_MONTHS) -> list[str]:
    bins = list(bins)
    return [f"{lo}-{hi - 1}" for lo, hi in zip(bins[:-1], bins[1:])] + [f"{bins[-1]}+"]


# --------------------------------------------------------------------------
# flow
# --------------------------------------------------------------------------

FLOW_KEYS = ("referred", "not_enrolled", "enrolled", "active", "exited")


@dataclass
class Flow:
    """Referred -> enrolled -> active / exited at ``data_end``, disclosure-checked as linked counts."""

    counts: dict[str, int]
    protected: ProtectedCounts
    data_end: dt.date
    planned: int | None = None

    def published(self) -> PublishedTable:
        """One row per stage of the flow (``referred`` ... ``exited``) and the planned number, if any."""
        table = PublishedTable("flow", [Column("count", "count")], rows_are="flow", min_cell=self.protected.min_cell)
        for k in FLOW_KEYS:
            table.add_row(k, {"count": linked_cell(self.protected, k)})
        if self.planned is not None:
            table.add_row("planned", {"count": value_cell(int(self.planned))})  # from project.yml, not persons
        table.meta["data_end"] = pd.Timestamp(self.data_end).date().isoformat()
        table.withheld = self.protected.exposed
        return table

    def to_results(self) -> dict:
        return self.published().to_results()


def participant_flow(
    participants: pd.DataFrame,
    data_end: dt.date,
    planned: int | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    anonymous: pd.DataFrame | None = None,
) -> Flow:
    """Count referred, enrolled, active and exited persons at ``data_end``.

    The counts are protected together (``active + exited = enrolled``,
    ``enrolled + not_enrolled = referred``) so a small count cannot be recovered
    by subtraction. ``anonymous`` are the participants registered without a
    personnummer (``files.participants.anonymous: count``): they are in the flow's
    totals but in no person-level table.
    """
    pop = populations(participants, data_end)
    counts = {k: int(pop[k].sum()) for k in FLOW_KEYS}
    if anonymous is not None and len(anonymous):
        extra = populations(anonymous, data_end)
        counts = {k: counts[k] + int(extra[k].sum()) for k in FLOW_KEYS}
    prot = protect_linked(
        counts, [(["active", "exited"], "enrolled"), (["enrolled", "not_enrolled"], "referred")], min_cell
    )
    return Flow(counts, prot, data_end, planned)


# --------------------------------------------------------------------------
# descriptive tables
# --------------------------------------------------------------------------

# variable -> (category order, vocabulary of its codes)
VARIABLES: dict[str, tuple[Sequence | None, str]] = {
    "referred_by": (REFERRED_BY, "referred_by"),
    "gender": (GENDER, "gender"),
    "age_group": (None, "age_group"),
    "origin": (ORIGIN, "origin"),
    "education": (EDUCATION, "education"),
    "income_at_start": (INCOME, "income"),
    "support_group": (None, "support_group"),
    "track": (None, "track"),
}


def prepare(
    participants: pd.DataFrame, age_bins: Sequence[int] = AGE_BINS, support_bins: Sequence[int] = SUPPORT_BINS_MONTHS
) -> pd.DataFrame:
    """Participants with derived ``age_group`` and ``support_group`` columns."""
    p = participants.copy()
    p["age_group"] = age_groups(p["age_at_start"], age_bins) if "age_at_start" in p else None
    p["support_group"] = (
        support_groups(p["support_before_months"], support_bins) if "support_before_months" in p else None
    )
    return p


def describe(
    participants: pd.DataFrame,
    variable: str,
    data_end: dt.date,
    by: str | None = None,
    *,
    population: str = "enrolled",
    min_cell: int = DEFAULT_MIN_CELL,
    age_bins: Sequence[int] = AGE_BINS,
    support_bins: Sequence[int] = SUPPORT_BINS_MONTHS,
    tracks: Sequence[str] | None = None,
    total_column: pd.Series | None = None,
    total_row: pd.Series | None = None,
) -> Distribution:
    """One descriptive table: ``variable`` (rows) by ``by`` (columns) among ``population``.

    ``variable``/``by`` may be any participants column or the derived
    ``age_group`` / ``support_group``. ``total_column``/``total_row``: the hidden masks of the
    same margins in another published table (see :func:`~analysis.disclosure.proportions.distribution`).
    """
    p = prepare(participants, age_bins, support_bins)
    p = p[populations(participants, data_end)[population]]

    def order(v):
        if v == "age_group":  # the open band below the first edge only when someone is in it
            order_ = age_group_order(age_bins)
            return order_ if (p["age_group"] == order_[0]).any() else order_[1:]
        if v == "support_group":
            return support_group_order(support_bins)
        if v == "track":
            return list(tracks) if tracks else None
        return VARIABLES.get(v, (None,))[0]

    return distribution(
        p,
        variable,
        by,
        categories=order(variable),
        groups=order(by) if by else None,
        min_cell=min_cell,
        rows_are=VARIABLES.get(variable, (None, variable))[1],
        groups_are=VARIABLES.get(by, (None, by))[1] if by else None,
        population=population,
        total_column=total_column,
        total_row=total_row,
    )


def _margin(dist: Distribution, axis: str) -> pd.Series:
    """The hidden mask of a published margin: a 1-D table's counts, or a 2-D table's total column/row."""
    hidden = dist.protected.hidden
    if dist.by is None:
        return hidden["count"]
    return hidden[TOTAL] if axis == "rows" else hidden.loc[TOTAL]


def published_margins(tables: dict[str, Distribution]) -> dict[str, pd.Series]:
    """The hidden mask of each variable's distribution among the enrolled, where it is first published.

    Other tables of the same persons (the breakdowns by track, the exit tables when everyone
    has exited) hide these margins exactly so, never differently.
    """
    out: dict[str, pd.Series] = {}
    if "gender_by_age" in tables:
        out["gender"] = tables["gender_by_age"].protected.hidden.loc[TOTAL]
        out["age_group"] = _margin(tables["gender_by_age"], "rows")
    for v in ("referred_by", "origin", "education", "income_at_start", "track"):
        if v in tables:
            out[v] = _margin(tables[v], "rows")
    return out


@dataclass
class SupportByAgency:
    """Median months on support before start, per referring agency (median hidden for small groups).

    The number of persons behind each median is a subgroup of the total; the numbers
    are protected together with the total (and with the agencies hidden in the
    referral table), so a small group cannot be recovered by subtraction.
    """

    table: pd.DataFrame  # group, n, median, q1, q3 (true values)
    protected: ProtectedCounts
    min_cell: int
    hide_groups: tuple[str, ...] = ()  # codes of agencies hidden in the referral table

    def published(self) -> PublishedTable:
        table = PublishedTable(
            "support_median_by_agency",
            [Column("n", "count"), Column("median", "number", digits=1), Column("iqr", "interval", digits=1)],
            rows_are="referred_by",
            min_cell=self.min_cell,
        )
        for r in self.table.itertuples():
            key = TOTAL_CODE if r.group == TOTAL else code(r.group)
            small = r.n < self.min_cell or key in self.hide_groups
            table.add_row(
                key,
                {
                    "n": linked_cell(self.protected, key),
                    "median": Cell(None, "..") if small and r.n > 0 else value_cell(r.median),
                    "iqr": Cell(None, "..") if small and r.n > 0 else value_cell([r.q1, r.q3]),
                },
            )
        table.withheld = self.protected.exposed
        return table

    def to_results(self) -> dict:
        return self.published().to_results()


def support_by_agency(
    participants: pd.DataFrame, data_end: dt.date, min_cell: int = DEFAULT_MIN_CELL, hide_groups: Sequence[str] = ()
) -> SupportByAgency:
    """Median (quartiles) of ``support_before_months`` by ``referred_by`` among enrolled, plus all.

    Medians of groups below ``min_cell`` are hidden. ``hide_groups`` are
    agencies whose count is hidden in the published referral table: their n
    and median are hidden too, so this table cannot undo that suppression.
    """
    p = participants[populations(participants, data_end)["enrolled"]]
    rows = []
    agency = p["referred_by"].astype(object).where(p["referred_by"].notna(), "__missing__")
    groups = [g for g in REFERRED_BY if (agency == g).any()]
    groups += sorted({g for g in agency.unique() if g not in groups and g != "__missing__"}, key=str)
    if p.loc[agency == "__missing__", "support_before_months"].notna().any():  # they count in the total
        groups.append("__missing__")
    for g in groups + [TOTAL]:
        v = (p["support_before_months"] if g == TOTAL else p.loc[agency == g, "support_before_months"]).dropna()
        rows.append(
            {
                "group": g,
                "n": int(v.size),
                "median": v.median() if v.size else np.nan,
                "q1": v.quantile(0.25) if v.size else np.nan,
                "q3": v.quantile(0.75) if v.size else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    sizes = {code(g): int(n) for g, n in zip(table["group"], table["n"]) if g != TOTAL}
    total = int(table.loc[table["group"] == TOTAL, "n"].iloc[0])
    force = [code(g) for g in hide_groups if code(g) in sizes and sizes[code(g)] > 0]
    return SupportByAgency(table, protect_subgroups(sizes, total, min_cell, force=force), min_cell, tuple(force))


@dataclass
class ParticipantsResult:
    """All participant tables of one project.

    Attributes
    ----------
    flow : Flow
    tables : dict[str, Distribution]
        ``referred_by``, ``support_before_by_agency``, ``gender_by_age``,
        ``origin``, ``education``, ``income_at_start``, and with tracks
        ``track`` plus ``<variable>_by_track``.
    support : SupportByAgency
    """

    flow: Flow
    tables: dict[str, Distribution]
    support: SupportByAgency
    min_cell: int
    data_end: dt.date
    notes: list[dict] = field(default_factory=list)

    def published(self) -> dict:
        """The section's tree: every table as a :class:`PublishedTable` (numbers and codes)."""
        tables = {}
        for k, v in self.tables.items():
            pt = v.published()
            pt.name = k
            pt.meta["population"] = v.population
            tables[k] = pt
        return {
            "min_cell": self.min_cell,
            "data_end": pd.Timestamp(self.data_end).date().isoformat(),
            "flow": self.flow.published(),
            "tables": tables,
            "support_median_by_agency": self.support.published(),
            "notes": list(self.notes),
        }

    def to_results(self) -> dict:
        from analysis.disclosure.published import place

        return place(self.published(), "/participants")


def participant_tables(
    participants: pd.DataFrame,
    data_end: dt.date,
    config=None,
    *,
    min_cell: int | None = None,
    age_bins: Sequence[int] = AGE_BINS,
    support_bins: Sequence[int] = SUPPORT_BINS_MONTHS,
    tracks: Sequence[str] | None = None,
    planned: int | None = None,
    anonymous: pd.DataFrame | None = None,
) -> ParticipantsResult:
    """Compute the flow and every descriptive participant table.

    Parameters
    ----------
    config : ProjectConfig, optional
        Supplies ``min_cell``, ``tracks`` and ``planned_participants`` unless given.
    """
    if min_cell is None:
        min_cell = config.min_cell if config is not None else DEFAULT_MIN_CELL
    if tracks is None and config is not None:
        tracks = config.tracks
    if planned is None and config is not None:
        planned = config.planned_participants
    kw: dict[str, Any] = dict(min_cell=min_cell, age_bins=age_bins, support_bins=support_bins, tracks=tracks)
    # Breakdowns after the margins they share: each margin is hidden as where it is first published.
    tables = {"referred_by": describe(participants, "referred_by", data_end, **kw)}
    tables["support_before_by_agency"] = describe(
        participants, "support_group", data_end, "referred_by", total_row=_margin(tables["referred_by"], "rows"), **kw
    )
    tables["gender_by_age"] = describe(participants, "age_group", data_end, "gender", **kw)
    for v in ("origin", "education", "income_at_start"):
        tables[v] = describe(participants, v, data_end, **kw)
    has_tracks = bool(tracks) or ("track" in participants and participants["track"].notna().any())
    if has_tracks:
        tables["track"] = describe(participants, "track", data_end, **kw)
        margins = published_margins(tables)
        for v in ("referred_by", "gender", "age_group", "origin", "education", "income_at_start"):
            tables[f"{v}_by_track"] = describe(
                participants, v, data_end, "track", total_column=margins[v], total_row=margins["track"], **kw
            )
    return ParticipantsResult(
        flow=participant_flow(participants, data_end, planned, min_cell, anonymous),
        tables=tables,
        support=support_by_agency(
            participants,
            data_end,
            min_cell,
            hide_groups=[
                g
                for g in tables["referred_by"].protected.counts.index
                if tables["referred_by"].protected.hidden.loc[g, "count"]
            ],
        ),
        min_cell=min_cell,
        data_end=data_end,
    )
