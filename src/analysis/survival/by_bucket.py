"""The survival section's panel steps on a register panel stored by person, one bucket of persons at a time.

The register path of the cleaning step (:mod:`analysis.clean.register`) writes the panel as
parquet partitioned by person; every person's months are in one bucket. The spells and the
time to first work or study are per person, so running the in-memory functions of
:mod:`analysis.survival.spells` on each bucket in turn gives the same rows as on the whole
panel, with the memory of one bucket.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.clean.store import by_bucket
from analysis.project.contract import PERSON_KEY
from analysis.survival.spells import build_spells, time_to_first


def spell_counts(
    dataset: Path, work_or_study: Iterable[str], bridge_gap_months: int, data_end: dt.date | pd.Timestamp
) -> dict[str, int]:
    """Spells of everyone in the panel: how many, how many under way in the first month, how many re-entries.

    Example
    -------
    >>> spell_counts(Path("data/processed/p/status_monthly"), ["work", "study"], 1, "2023-12-31")  # doctest: +SKIP
    {'spells': 812, 'left_censored': 40, 'reentries': 95}
    """
    out = {"spells": 0, "left_censored": 0, "reentries": 0}
    for panel in by_bucket(dataset):
        spells = build_spells(panel, list(work_or_study), bridge_gap_months, data_end)
        out["spells"] += int(len(spells))
        if len(spells):
            out["left_censored"] += int(spells["left_censored"].sum())
            out["reentries"] += int((spells["spell_no"] > 1).sum())
    return out


def time_to_first_by_bucket(
    dataset: Path,
    persons: pd.DataFrame,
    work_or_study: Iterable[str],
    competing_events: Iterable[str],
    data_end: dt.date | pd.Timestamp,
    date_col: str = "start_date",
) -> pd.DataFrame:
    """:func:`analysis.survival.spells.time_to_first` of ``persons``, bucket by bucket (rows in bucket order)."""
    keys = persons[PERSON_KEY].astype(str)
    parts = []
    for panel in by_bucket(dataset):
        mine = persons[keys.isin(panel[PERSON_KEY].cat.categories).to_numpy()]
        if len(mine):
            parts.append(time_to_first(panel, mine, list(work_or_study), list(competing_events), data_end, date_col))
    if not parts:
        return time_to_first(panel.iloc[:0], persons.iloc[:0], list(work_or_study), (), data_end, date_col)
    return pd.concat(parts, ignore_index=True)
