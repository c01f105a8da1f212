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

import numpy as np
import pandas as pd

from analysis.disclosure.proportions import Distribution, distribution
from analysis.disclosure.suppression import DEFAULT_MIN_CELL, ProtectedCounts, protect_linked
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

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.project.i18n import t

        disp = self.protected.display()
        rows = [(t(f"tab_flow_{k}", lang), disp[k]) for k in FLOW_KEYS]
        if self.planned is not None:
            rows.append((t("tab_flow_planned", lang), str(self.planned)))
        out = pd.DataFrame(rows, columns=["", t("n", lang)]).set_index("")
        return out

    def sentence(self, lang: str = "sv") -> str:
        """E.g. "174 personer har remitterats, 153 har skrivits in och 97 har avslutats"."""
        from analysis.project.i18n import t

        d = self.protected.display()
        return t(
            "tab_flow_sentence",
            lang,
            referred=d["referred"],
            enrolled=d["enrolled"],
            exited=d["exited"],
            active=d["active"],
            date=pd.Timestamp(self.data_end).date().isoformat(),
        )

    def to_results(self) -> dict:
        safe = self.protected.safe()
        out = {k: safe[k] for k in FLOW_KEYS}
        out["suppressed"] = [k for k in FLOW_KEYS if self.protected.hidden[k]]
        shown = self.protected.display()
        out["shown"] = {k: shown[k] for k in out["suppressed"]}  # the markers the report shows
        out["planned"] = self.planned
        out["data_end"] = pd.Timestamp(self.data_end).date().isoformat()
        return out


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

# variable -> (category order, i18n prefix of its codes, caption key)
VARIABLES: dict[str, tuple[Sequence | None, str | None, str]] = {
    "referred_by": (REFERRED_BY, "tab_referred_by", "tab_cap_referred_by"),
    "gender": (GENDER, "tab_gender", "tab_cap_gender"),
    "age_group": (None, None, "tab_cap_age_group"),
    "origin": (ORIGIN, "tab_origin", "tab_cap_origin"),
    "education": (EDUCATION, "tab_education", "tab_cap_education"),
    "income_at_start": (INCOME, "tab_income", "tab_cap_income_at_start"),
    "support_group": (None, "tab_support", "tab_cap_support_before"),
    "track": (None, None, "tab_cap_track"),
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
    caption_key: str | None = None,
) -> Distribution:
    """One descriptive table: ``variable`` (rows) by ``by`` (columns) among ``population``.

    ``variable``/``by`` may be any participants column or the derived
    ``age_group`` / ``support_group``.
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

    cats, prefix, cap = VARIABLES.get(variable, (None, None, None))
    gprefix = VARIABLES.get(by, (None, None, None))[1] if by else None
    d = distribution(
        p,
        variable,
        by,
        categories=order(variable),
        groups=order(by) if by else None,
        min_cell=min_cell,
        label_prefix=prefix,
        group_prefix=gprefix,
        title_key=caption_key or cap,
        population=population,
    )
    return d


@dataclass
class SupportByAgency:
    """Median months on support before start, per referring agency (median hidden for small groups)."""

    table: pd.DataFrame  # group, n, median, q1, q3
    min_cell: int
    hide_groups: tuple = ()

    def safe_table(self) -> pd.DataFrame:
        t_ = self.table.copy()
        small = (t_["n"] < self.min_cell) | t_["group"].isin(self.hide_groups)
        for c in ("median", "q1", "q3"):
            t_[c] = t_[c].mask(small)
        t_["n"] = t_["n"].astype(float).mask(small & (t_["n"] > 0))
        t_["suppressed"] = small
        return t_

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.disclosure.proportions import label_for
        from analysis.project.i18n import t

        lab = label_for("tab_referred_by", lang)
        s = self.safe_table()

        def num(x):
            if pd.isna(x):
                return "–"
            txt = f"{x:.1f}"
            return txt.replace(".", ",") if lang == "sv" else txt

        return pd.DataFrame(
            {
                t("n", lang): [
                    f"<{self.min_cell}" if 0 < n < self.min_cell else "–" if g in self.hide_groups else str(int(n))
                    for g, n in zip(self.table["group"], self.table["n"])
                ],
                t("tab_col_median_months", lang): [num(x) for x in s["median"]],
                t("tab_col_iqr", lang): [
                    f"{num(a)}–{num(b)}" if pd.notna(a) else "–" for a, b in zip(s["q1"], s["q3"])
                ],
            },
            index=[lab(g) for g in s["group"]],
        )

    def to_results(self) -> dict:
        s = self.safe_table()
        return {
            "groups": [
                {
                    "group": str(r.group),
                    "n": None if pd.isna(r.n) else int(r.n),
                    "median": None if pd.isna(r.median) else float(r.median),
                    "q1": None if pd.isna(r.q1) else float(r.q1),
                    "q3": None if pd.isna(r.q3) else float(r.q3),
                    "suppressed": bool(r.suppressed),
                }
                for r in s.itertuples()
            ]
        }


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
    groups = [g for g in REFERRED_BY if (p["referred_by"] == g).any()]
    for g in groups + ["__total__"]:
        v = (
            p["support_before_months"] if g == "__total__" else p.loc[p["referred_by"] == g, "support_before_months"]
        ).dropna()
        rows.append(
            {
                "group": g,
                "n": int(v.size),
                "median": v.median() if v.size else np.nan,
                "q1": v.quantile(0.25) if v.size else np.nan,
                "q3": v.quantile(0.75) if v.size else np.nan,
            }
        )
    return SupportByAgency(pd.DataFrame(rows), min_cell, tuple(hide_groups))


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
    notes: list[str] = field(default_factory=list)

    def summary(self, lang: str = "sv") -> dict[str, pd.DataFrame]:
        out = {"flow": self.flow.summary(lang)}
        out.update({k: v.summary(lang) for k, v in self.tables.items()})
        out["support_median_by_agency"] = self.support.summary(lang)
        return out

    def plot(self, name: str = "referred_by", lang: str = "sv"):
        return self.tables[name].plot(lang)

    def to_results(self) -> dict:
        return {
            "min_cell": self.min_cell,
            "data_end": pd.Timestamp(self.data_end).date().isoformat(),
            "flow": self.flow.to_results(),
            "tables": {k: v.to_results() for k, v in self.tables.items()},
            "support_median_by_agency": self.support.to_results(),
        }


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
    kw = dict(min_cell=min_cell, age_bins=age_bins, support_bins=support_bins, tracks=tracks)
    tables = {
        "referred_by": describe(participants, "referred_by", data_end, **kw),
        "support_before_by_agency": describe(participants, "support_group", data_end, "referred_by", **kw),
        "gender_by_age": describe(
            participants, "age_group", data_end, "gender", caption_key="tab_cap_gender_by_age", **kw
        ),
        "origin": describe(participants, "origin", data_end, **kw),
        "education": describe(participants, "education", data_end, **kw),
        "income_at_start": describe(participants, "income_at_start", data_end, **kw),
    }
    has_tracks = bool(tracks) or ("track" in participants and participants["track"].notna().any())
    if has_tracks:
        tables["track"] = describe(participants, "track", data_end, **kw)
        for v in ("referred_by", "gender", "age_group", "origin", "education", "income_at_start"):
            tables[f"{v}_by_track"] = describe(
                participants, v, data_end, "track", caption_key=f"{VARIABLES[v][2]}_by_track", **kw
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
