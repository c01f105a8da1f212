"""Spells of work or study, and time from start to first work or study, from the monthly panel.

Implementation choice
---------------------
Plain numpy on integer codes: the panel is already an in-memory DataFrame when a
notebook runs, persons are factorised once (``pd.factorize``, or the codes of a
categorical column), months become integer month numbers, and after one stable
sort by (person, month) every step is an O(n) array operation (run starts via
``np.diff``, spell ids via ``cumsum``, per-person extremes via ``reduceat``).
DuckDB would do the same in SQL window functions but needs the data copied into
Arrow and back; numpy keeps the peak memory to a handful of int32/int64 arrays
of the panel's length (1,000,000 persons x 36 months runs in a few seconds).
No per-person Python loop anywhere.

Definitions (months are calendar months; month ``m`` is year * 12 + month - 1)
-------------------------------------------------------------------------------
Observation window of a person
    from the first to the last month the person appears in the panel, cut at
    ``data_end``. Months missing inside the window count as not in work or study.
Spell
    a run of months in work or study (``panel_work_or_study``). Two runs separated
    by at most ``bridge_gap_months`` months out of work or study are one spell (the
    gap months are counted in the spell's length: short breaks between jobs are
    not exits).
Leaving (event)
    the spell is followed by more than ``bridge_gap_months`` months out of work or
    study, all inside the observation window. Duration = months from the spell's
    first month up to and including its last month in work or study, so that the
    monthly hazard of leaving after ``d`` months is ``P(D = d | D >= d)``.
Right-censoring
    otherwise. A leaving at duration ``d`` can only be confirmed once the
    ``bridge_gap_months + 1`` following months are observed, so a censored spell
    counts as followed up to ``last observed month - bridge_gap_months - start``
    months (at least 0): it is in the risk set exactly for the durations at which
    its leaving would have been seen. This keeps the hazard unbiased under
    administrative censoring.
Left-censoring
    a spell that is under way in the person's first observed month has an unknown
    start; it is flagged ``left_censored`` and left out of duration analyses.
Re-entries
    every spell of a person is kept and numbered (``spell_no``); analyses of
    "staying" use the first spell that starts in or after the start month.
Time from start to first work or study
    months from the start month ``a`` (``start_date``, or ``reference_date`` for the
    comparison group) to the first month ``f >= a`` in work or study: ``f - a``
    (0 = already in work or study in the start month). A competing exit
    (``exit_status`` in ``competing_events``) in month ``x`` before ``f`` ends it at
    ``x - a`` as a competing event. Otherwise censored at ``last observed month -
    a``. A person first observed after the start month enters late (``entry``,
    left truncation); a person never observed in the panel is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.project.codes import DEFAULT_PANEL_WORK_OR_STUDY
from analysis.project.contract import PERSON_KEY
from analysis.project.dates import month_number, month_numbers, month_starts

EVENT_CENSORED, EVENT_WORK_OR_STUDY, EVENT_COMPETING = 0, 1, 2
SPELL_COLUMNS = [PERSON_KEY, "spell_no", "start", "end", "months", "duration", "event", "left_censored"]


def _month_number(values) -> np.ndarray:
    """Calendar month numbers of dates; NaT -> minimum int64 (sorts before every month)."""
    return month_numbers(values, missing=np.iinfo(np.int64).min)


def _codes(keys: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(keys.dtype, pd.CategoricalDtype):
        return keys.cat.codes.to_numpy(np.int64), pd.Index(keys.cat.categories)
    codes, uniques = pd.factorize(keys, sort=False)
    return codes.astype(np.int64), pd.Index(uniques)


_PREPARED: list = []  # one entry: (panel, work_or_study, data_end, prepared arrays)


def clear_cache() -> None:
    """Drop the cached integer view of the last panel (a few arrays of the panel's length)."""
    _PREPARED.clear()


def _prepare(panel: pd.DataFrame, work_or_study: Iterable[str], data_end) -> dict:
    """Person codes, month numbers and a work-or-study flag, sorted by (person, month).

    Spells and time-to-first both start from this view of the same panel; it is kept
    for the last panel seen (by identity) so that a register panel is converted once.
    """
    wos = tuple(sorted(work_or_study))
    end = None if data_end is None else pd.Timestamp(data_end)
    if _PREPARED and _PREPARED[0][0] is panel and _PREPARED[0][1] == wos and _PREPARED[0][2] == end:
        return _PREPARED[0][3]
    prepared = _prepare_uncached(panel, wos, data_end)
    _PREPARED[:] = [(panel, wos, end, prepared)]
    return prepared


def _prepare_uncached(panel: pd.DataFrame, work_or_study: Iterable[str], data_end) -> dict:
    person, keys = _codes(panel[PERSON_KEY])
    month = _month_number(panel["month"])
    status = panel["status"]
    if isinstance(status.dtype, pd.CategoricalDtype):
        flag_by_cat = np.isin(np.asarray(status.cat.categories, dtype=object), list(work_or_study))
        codes = status.cat.codes.to_numpy()
        ws = np.where(codes >= 0, flag_by_cat[np.maximum(codes, 0)], False)
    else:
        ws = status.isin(list(work_or_study)).to_numpy()
    if data_end is not None:
        keep = month <= month_number(data_end)
        person, month, ws = person[keep], month[keep], ws[keep]
    # One sort; skipped when the panel already comes sorted (the cleaning step writes it so).
    if person.size > 1 and not (np.all((np.diff(person) > 0) | ((np.diff(person) == 0) & (np.diff(month) > 0)))):
        order = np.lexsort((month, person))
        person, month, ws = person[order], month[order], ws[order]
    # Per-person first and last observed month.
    n_persons = len(keys)
    first = np.full(n_persons, np.iinfo(np.int64).max)
    last = np.full(n_persons, np.iinfo(np.int64).min)
    if person.size:
        bounds = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        first[person[bounds]] = month[bounds]
        last[person[bounds]] = month[np.r_[bounds[1:] - 1, person.size - 1]]
    return {"person": person, "month": month, "ws": ws, "keys": keys, "first": first, "last": last}


def _no_spells() -> pd.DataFrame:
    """An empty spell table with the columns and dtypes of :func:`build_spells`."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in zip(
                SPELL_COLUMNS,
                [object, "int64", "datetime64[ns]", "datetime64[ns]", "int64", "int64", "int64", bool],
            )
        }
    )


def build_spells(
    panel: pd.DataFrame,
    work_or_study: Iterable[str] = DEFAULT_PANEL_WORK_OR_STUDY,
    bridge_gap_months: int = 1,
    data_end: dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every spell of work or study in the panel (see the module docstring for the rules).

    Parameters
    ----------
    panel : DataFrame
        ``person_key, month, status`` (the processed ``status_monthly`` table).
    work_or_study : iterable of str
        Panel statuses that count as work or study.
    bridge_gap_months : int
        Longest run of months out of work or study that does not end a spell.
    data_end : date, optional
        Months after it are ignored.

    Returns
    -------
    DataFrame
        One row per spell: ``person_key, spell_no`` (1-based), ``start, end`` (first
        and last month in work or study), ``months`` (end - start + 1), ``duration``
        (months for the survival analysis, see module docstring), ``event`` (1 = left
        work or study, 0 = censored), ``left_censored``.
    """
    g = int(bridge_gap_months)
    p = _prepare(panel, work_or_study, data_end)
    person, month = p["person"][p["ws"]], p["month"][p["ws"]]
    if person.size == 0:
        return _no_spells()
    new = np.r_[True, (person[1:] != person[:-1]) | (month[1:] - month[:-1] - 1 > g)]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, person.size - 1]
    sp_person, s, e = person[starts], month[starts], month[ends]
    has_next = np.r_[sp_person[1:] == sp_person[:-1], False]  # a later spell of the same person exists
    obs_end = p["last"][sp_person]
    event = has_next | (obs_end - e > g)
    months = e - s + 1
    duration = np.where(event, months, np.maximum(obs_end - g - s, 0))
    first_of_person = np.r_[True, sp_person[1:] != sp_person[:-1]]
    spell_no = np.arange(starts.size) - np.maximum.accumulate(np.where(first_of_person, np.arange(starts.size), 0)) + 1
    return pd.DataFrame(
        {
            PERSON_KEY: p["keys"].to_numpy()[sp_person],
            "spell_no": spell_no.astype(np.int64),
            "start": month_starts(s),
            "end": month_starts(e),
            "months": months.astype(np.int64),
            "duration": duration.astype(np.int64),
            "event": event.astype(np.int64),
            "left_censored": s == p["first"][sp_person],
        }
    )


def first_spell_after(
    spells: pd.DataFrame, persons: pd.DataFrame, date_col: str = "start_date", include_left_censored: bool = False
) -> pd.DataFrame:
    """Each person's first spell that starts in or after the month of ``date_col``.

    Returns the spell rows with the person's columns from ``persons`` joined on
    ``person_key`` (one row per person who has such a spell).
    """
    ref = persons[[PERSON_KEY, date_col]].dropna()
    sp = spells.merge(ref, on=PERSON_KEY, how="inner")
    ok = _month_number(sp["start"]) >= _month_number(sp[date_col])
    if not include_left_censored:
        ok &= ~sp["left_censored"].to_numpy()
    sp = sp.loc[ok].sort_values([PERSON_KEY, "spell_no"], kind="stable").drop_duplicates(PERSON_KEY)
    extra = [c for c in persons.columns if c not in sp.columns]
    return sp.merge(persons[[PERSON_KEY, *extra]], on=PERSON_KEY, how="left").reset_index(drop=True)


def time_to_first(
    panel: pd.DataFrame,
    persons: pd.DataFrame,
    work_or_study: Iterable[str] = DEFAULT_PANEL_WORK_OR_STUDY,
    competing_events: Iterable[str] = (),
    data_end: dt.date | pd.Timestamp | None = None,
    date_col: str = "start_date",
) -> pd.DataFrame:
    """Months from start to the first month in work or study, with competing exits.

    Parameters
    ----------
    panel : DataFrame
        ``person_key, month, status``.
    persons : DataFrame
        ``person_key`` and ``date_col``; ``end_date`` and ``exit_status`` when
        competing exits are to be used (participants only).
    competing_events : iterable of str
        Exit statuses that end the wait for work or study as a competing event.

    Returns
    -------
    DataFrame
        The persons observed in the panel with ``time`` (months), ``event`` (0 =
        censored, 1 = work or study, 2 = competing exit) and ``entry`` (months
        from start to the first observed month; 0 unless observed late), plus the
        columns of ``persons``. Risk sets are ``entry < t <= time`` (0 = from the start).
    """
    p = _prepare(panel, work_or_study, data_end)
    codes = p["keys"].get_indexer(persons[PERSON_KEY])
    a = _month_number(persons[date_col])
    valid = (codes >= 0) & (a != np.iinfo(np.int64).min)
    codes_v = np.where(valid, codes, 0)
    f = _first_work_or_study(p, codes, a, valid)[codes_v]
    obs_end = p["last"][codes_v]
    first_obs = p["first"][codes_v]
    x = _competing_exit_month(persons, competing_events, a)
    ws_hit = (f <= obs_end) & (f <= x)
    comp_hit = ~ws_hit & (x <= obs_end)
    time = np.where(ws_hit, f - a, np.where(comp_hit, x - a, obs_end - a))
    event = np.where(ws_hit, EVENT_WORK_OR_STUDY, np.where(comp_hit, EVENT_COMPETING, EVENT_CENSORED))
    # entry < t <= time: first observed in month a + k means at risk from time k on
    entry = np.minimum(np.maximum(first_obs - a - 1, 0), np.maximum(time, 0))
    valid &= obs_end >= a  # observed at or after the start month
    out = persons.loc[valid].copy()
    out["time"] = time[valid].astype(np.int64)
    out["event"] = event[valid].astype(np.int64)
    out["entry"] = entry[valid].astype(np.int64)
    return out.reset_index(drop=True)


def _first_work_or_study(p: dict, codes: np.ndarray, a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per panel person, the first month in work or study at or after their start month (int64 max if none)."""
    # First month in work or study at or after the person's start month: for each
    # panel row, look up its person's start month; keep ws rows on or after it.
    start_of_code = np.full(len(p["keys"]), np.iinfo(np.int64).max)
    start_of_code[codes[valid]] = a[valid]
    rows = p["ws"] & (p["month"] >= start_of_code[p["person"]])
    first_ws = np.full(len(p["keys"]), np.iinfo(np.int64).max)
    if rows.any():
        pr, mr = p["person"][rows], p["month"][rows]
        heads = np.flatnonzero(np.r_[True, pr[1:] != pr[:-1]])  # sorted by (person, month): first row is the minimum
        first_ws[pr[heads]] = mr[heads]
    return first_ws


def _competing_exit_month(persons: pd.DataFrame, competing_events: Iterable[str], a: np.ndarray) -> np.ndarray:
    """Per person, the month of a competing exit (not before the start month; int64 max if none)."""
    big = np.iinfo(np.int64).max
    x = np.full(len(persons), big)
    if competing_events and "exit_status" in persons and "end_date" in persons:
        comp = persons["exit_status"].isin(list(competing_events)).to_numpy() & persons["end_date"].notna().to_numpy()
        x = np.where(comp, _month_number(persons["end_date"]), big)
        x = np.where(x < a, a, x)
    return x
