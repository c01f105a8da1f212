"""Where the effects read the monthly panel: the whole table, or a register panel stored by person, bucket by bucket.

The register path of the cleaning step (:mod:`analysis.clean.register`) writes a panel too large
for memory as parquet partitioned by person. Every computation of the effects on the panel is per
person (a person's status ``m`` months after time zero, the person's months around the start, the
person's row of calendar months), so each is run with the in-memory function on one bucket of
persons at a time and the pieces are put back in the order of ``frame``: the same numbers, with the
memory of one bucket of the panel.

Example
-------
>>> src = PanelSource(tables)  # doctest: +SKIP
>>> wos = src.per_person(frame, partial(panel_status_at, months=[12], statuses=["work"], data_end=end))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean.store import by_bucket
from analysis.project.contract import PERSON_KEY


class PanelSource:
    """The panel of ``tables``: ``whole`` (in memory) or ``dataset`` (a register panel stored by person)."""

    def __init__(self, tables: Mapping[str, Any]) -> None:
        self.dataset: Path | None = getattr(tables, "panel_dataset", None)
        self.whole: pd.DataFrame | None = None if self.dataset is not None else tables.get("status_monthly")

    @property
    def available(self) -> bool:
        """A panel with at least one row."""
        if self.dataset is not None:
            return any(self.dataset.glob("bucket=*/*.parquet"))
        return self.whole is not None and len(self.whole) > 0

    def parts(self, frame: pd.DataFrame) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
        """(rows of ``frame``, panel) per bucket; the persons without a panel row last, with an empty panel."""
        if self.dataset is None:
            assert self.whole is not None
            yield np.arange(len(frame)), self.whole
            return
        keys = frame[PERSON_KEY].astype(str)
        seen = np.zeros(len(frame), dtype=bool)
        empty = None
        for panel in by_bucket(self.dataset):
            mine = keys.isin(panel[PERSON_KEY].cat.categories).to_numpy()
            empty = panel.iloc[:0]
            if mine.any():
                seen |= mine
                yield np.flatnonzero(mine), panel
        if (~seen).any() and empty is not None:
            yield np.flatnonzero(~seen), empty

    def per_person(self, frame: pd.DataFrame, fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``fn(persons, panel)`` (a frame indexed like ``persons``) for all of ``frame``, in its order."""
        pieces = [fn(frame.iloc[rows], panel) for rows, panel in self.parts(frame)]
        if len(pieces) == 1:
            return pieces[0]
        return pd.concat(pieces).loc[frame.index]

    def grid(
        self,
        frame: pd.DataFrame,
        fn: Callable[[pd.DataFrame, pd.DataFrame], tuple[np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """``fn(persons, panel) -> (persons x months array, month numbers)`` for all of ``frame``, on one month axis."""
        pieces = [(rows, *fn(frame.iloc[rows], panel)) for rows, panel in self.parts(frame)]
        if len(pieces) == 1:
            return pieces[0][1], pieces[0][2]
        used = [p for p in pieces if len(p[2])]
        if not used:
            return np.full((len(frame), 0), np.nan), np.zeros(0, dtype=int)
        lo, hi = min(int(p[2][0]) for p in used), max(int(p[2][-1]) for p in used)
        out = np.full((len(frame), hi - lo + 1), np.nan)
        for rows, values, months in used:
            out[np.ix_(rows, months - lo)] = values
        return out, np.arange(lo, hi + 1)

    def long_rows(self, frame: pd.DataFrame, fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``fn(persons, panel)`` giving long rows with a ``person`` code per bucket; codes made unique across buckets."""
        pieces, offset = [], 0
        for rows, panel in self.parts(frame):
            long = fn(frame.iloc[rows], panel)
            if len(long):
                long = long.assign(person=(long["person"].astype(np.int64) + offset).astype(np.int32))
                offset = int(long["person"].max()) + 1
            pieces.append(long)
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
