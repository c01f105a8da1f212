"""Person-months by status or income source, counted from each person's time zero.

The payback calculation needs, for every person and every month ``k`` after time zero (start date
of a participant, ``reference_date`` of a comparison person; ``k = -1`` is the month before), which
statuses or income sources the person had. :func:`person_months` builds that long table,
``person_key, k, source``, from the processed tables:

``income``
    ``income_monthly`` (register payments). A month the file covers in which a person has no row
    is a month without recorded income (source ``none``); months outside the file or after
    ``data_end`` are not observed.
``status``
    ``status_monthly``: the panel status of each observed month.
``followups``
    No monthly data: income at start holds from the month before the start until the exit month,
    income at exit until the first follow-up, each follow-up's income source until the next; after
    the last of them (or ``data_end``) the person is not observed. This is the snapshot logic of a
    before/after calculation, and the report says so.

An observed person-month has at least one row; a month with several income sources has one row each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.effects.panel_source import PanelSource
from analysis.project.dates import month_numbers

BASES = ("income", "status", "followups")
DEFAULT_STATUS_ENTRY: dict[str, str | None] = {
    "work": "wage",
    "study": "student_aid",
    "income_support": "income_support",
    "sick": "sickness_benefit",
    "job_seeking": None,  # activity support, a-kassa or nothing: the status does not say who pays
    "other": None,
    "unknown": None,
    "no_income_support": None,  # an income-support panel's month without a payment: work or not is not known
}
DEFAULT_INCOME_ENTRY: dict[str, str | None] = {
    "income_support": "income_support",
    "activity_support": "activity_support",
    "sickness_benefit": "sickness_benefit",
    "disability_benefit": "disability_benefit",
    "unemployment_insurance": "unemployment_insurance",
    "wage": "wage",
    "student_aid": "student_aid",
    "none": "none",
    "other": None,
}


@dataclass
class PersonMonths:
    """Long person-month tables of the participants and (optionally) the comparison group.

    Each frame has ``person_key`` (str), ``k`` (int, months after time zero, -1 = the month before)
    and ``source`` (a status or income code). ``basis`` is ``income``, ``status`` or ``followups``.
    """

    participants: pd.DataFrame
    comparison: pd.DataFrame | None
    basis: str

    def sources(self) -> list[str]:
        frames = [self.participants] + ([self.comparison] if self.comparison is not None else [])
        return sorted(set().union(*[set(f["source"].astype(str)) for f in frames]))


def choose_basis(tables, requested: str = "auto") -> str | None:
    """The basis to price: the requested one if its table is there, else the first available (None: none)."""
    have = {
        "income": tables.get("income_monthly") is not None and len(tables["income_monthly"]) > 0,
        "status": PanelSource(tables).available,
        "followups": "income_at_exit" in tables["participants"]
        and tables["participants"]["income_at_exit"].notna().any(),
    }
    if requested != "auto":
        return requested if have[requested] else None
    return next((b for b in BASES if have[b]), None)


def _persons(frame: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    keys = pd.Index(frame["person_key"].astype(str))
    return keys, month_numbers(frame["t0"])


def _panel_rows(frame: pd.DataFrame, panel: pd.DataFrame, column: str, months: int, end: int) -> pd.DataFrame:
    """Rows of ``panel`` for the persons of ``frame`` with ``-1 <= k < months`` and month <= ``end``."""
    keys, t0 = _persons(frame)
    cats = panel["person_key"].astype("category")
    lookup = keys.get_indexer(cats.cat.categories.astype(str))
    codes = cats.cat.codes.to_numpy()
    pos = np.where(codes >= 0, np.append(lookup, -1)[codes], -1)
    month = month_numbers(panel["month"])
    ok = pos >= 0
    k = np.where(ok, month - t0[np.maximum(pos, 0)], -99)
    keep = ok & (k >= -1) & (k < months) & (month <= end)
    return pd.DataFrame(
        {
            "person_key": keys.to_numpy()[pos[keep]],
            "k": k[keep].astype(np.int64),
            "source": panel[column].astype(str).to_numpy()[keep],
        }
    )


def _fill_none(frame: pd.DataFrame, rows: pd.DataFrame, first: int, last: int, months: int) -> pd.DataFrame:
    """Add a ``none`` row for every covered person-month without an income row."""
    keys, t0 = _persons(frame)
    lo = np.maximum(first - t0, -1)
    hi = np.minimum(last - t0, months - 1)
    n = np.maximum(hi - lo + 1, 0)
    person = np.repeat(np.arange(len(keys)), n)
    k = np.concatenate([np.arange(a, a + m) for a, m in zip(lo, n)]) if n.sum() else np.zeros(0, np.int64)
    have = pd.MultiIndex.from_arrays([rows["person_key"], rows["k"]])
    grid = pd.MultiIndex.from_arrays([keys.to_numpy()[person], k])
    missing = ~grid.isin(have)
    extra = pd.DataFrame({"person_key": grid.get_level_values(0)[missing], "k": k[missing], "source": "none"})
    return pd.concat([rows, extra], ignore_index=True)


def _followup_rows(part: pd.DataFrame, followups: pd.DataFrame | None, months: int, end: int) -> pd.DataFrame:
    """Months from the snapshots at start, exit and follow-up (see the module docstring)."""
    fu = followups if followups is not None else pd.DataFrame(columns=["person_key", "income_source", "m"])
    if followups is not None and len(followups):
        fu = followups.merge(part[["person_key", "end_date"]], on="person_key", how="inner")
        date = fu["followup_date"]
        if "months_after_exit" in fu:
            approx = fu["end_date"] + pd.to_timedelta(30.44 * fu["months_after_exit"].fillna(0), unit="D")
            date = date.fillna(approx.where(fu["months_after_exit"].notna()))
        fu = fu.assign(m=month_numbers(date)).loc[lambda d: d["m"] >= 0]
    by_person = {k: g.sort_values("m") for k, g in fu.groupby("person_key")} if len(fu) else {}
    out = []
    for r in part.itertuples(index=False):
        t0 = int(month_numbers(pd.Series([r.t0]))[0])
        exit_m = int(month_numbers(pd.Series([r.end_date]))[0]) if pd.notna(r.end_date) else None
        snaps = [(t0 - 1, r.income_at_start)]
        if exit_m is not None:
            snaps.append((exit_m, r.income_at_exit))
            g = by_person.get(r.person_key)
            if g is not None:
                snaps += [(int(m), s) for m, s in zip(g["m"], g["income_source"]) if m > exit_m]
        stop = min(end, t0 + months - 1) if exit_m is None else min(end, t0 + months - 1, max(m for m, _ in snaps))
        for (m0, src), (m1, _) in zip(snaps, [*snaps[1:], (stop + 1, None)]):
            if src is None or pd.isna(src):
                continue
            for m in range(max(m0, t0 - 1), min(m1, stop + 1)):
                out.append((r.person_key, m - t0, str(src)))
    return pd.DataFrame(out, columns=["person_key", "k", "source"]).astype({"k": np.int64})


def person_months(
    frame: pd.DataFrame, tables, basis: str, months: int, data_end: dt.date | pd.Timestamp
) -> PersonMonths:
    """The person-month tables of ``frame``'s persons (``treated`` 1/0, ``t0``) on one basis.

    Parameters
    ----------
    frame
        Persons as built by :func:`analysis.effects.design.persons` (``person_key``, ``treated``, ``t0``).
    basis
        ``income``, ``status`` or ``followups`` (see :func:`choose_basis`).
    months
        Months after time zero to keep (``k < months``).
    """
    end = int(month_numbers(pd.Series([pd.Timestamp(data_end)]))[0])
    groups = {g: frame[frame["treated"] == g] for g in (1, 0)}
    out: dict[int, pd.DataFrame | None] = {}
    for g, f in groups.items():
        if not len(f):
            out[g] = None
            continue
        if basis == "income":
            inc = tables["income_monthly"]
            first, last = int(month_numbers(inc["month"]).min()), min(end, int(month_numbers(inc["month"]).max()))
            rows = _panel_rows(f, inc, "income_source", months, end)
            out[g] = _fill_none(f, rows, first, last, months)
        elif basis == "status":  # bucket by bucket from a register panel stored by person
            parts = [_panel_rows(f.iloc[rows], p, "status", months, end) for rows, p in PanelSource(tables).parts(f)]
            out[g] = pd.concat(parts, ignore_index=True)
        else:
            out[g] = _followup_rows(f, tables.get("followups"), months, end) if g == 1 else None
        got = out[g]
        if got is not None:
            out[g] = got.sort_values(["person_key", "k", "source"], kind="stable").reset_index(drop=True)
    part = out[1] if out[1] is not None else pd.DataFrame(columns=["person_key", "k", "source"])
    return PersonMonths(participants=part, comparison=out[0], basis=basis)
