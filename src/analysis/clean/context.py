"""The state shared by the files of one project while it is cleaned, and the ids turned into pseudonyms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import identity
from analysis.clean.values import _per_value
from analysis.project.config import Project
from analysis.project.dates import plausible_window


class _Context:
    def __init__(self, project: Project, key: bytes | None) -> None:
        self.project = project
        self.config = project.config
        self.key = key
        self.participant_keys: pd.Index = pd.Index([])
        self.comparison_keys: pd.Index = pd.Index([])
        self.end_by_person: pd.Series = pd.Series(dtype="datetime64[ns]")
        # Parsed ids by raw text: the panel repeats the ids of the person files, parse them once.
        self.id_cache: pd.DataFrame | None = None
        self.progress: Callable[[str], None] | None = None  # told about big files (`check` shows it)
        self.anonymous: pd.DataFrame | None = None  # participants without an id, counted (anonymous: count)
        self.episodes: pd.DataFrame | None = None  # every kept enrolment when episodes are kept
        # Dates outside it are typos (9907 for 2007): quarantined, never cast or analysed.
        self.dates = plausible_window(self.config.data_end)
        self.register_file: Path | None = None  # a panel this large is cleaned out of core (clean.register)
        self.register: Any = None  # its clean.register.RegisterPanel


@_per_value
def _pseudonyms(ids: pd.Series, ctx: _Context) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Validate ids and return (parsed frame or None-like, pseudonym Series, reason Series for invalid)."""
    if ctx.config.id_type == "pseudonym":
        keys = identity.pseudonymise_external_id(ids)
        reason = pd.Series(
            np.where(
                keys.isna(),
                "not a usable pseudonymous id (letters, digits and _.:- only; a personnummer is refused)",
                identity.NO_TEXT,
            ),
            index=ids.index,
            dtype=object,
        )
        return pd.DataFrame(index=ids.index), keys, reason
    text = ids.astype(object).where(ids.notna(), None)
    cache = ctx.id_cache
    known = cache.index.get_indexer(text) if cache is not None else np.full(len(text), -1)
    new = pd.Index(text[(known < 0) & text.notna().to_numpy()].unique())
    if len(new):
        parsed_new = identity.parse_personnummer(pd.Series(new, index=new, dtype=object))
        keys_new = pd.Series(pd.NA, index=new, dtype=object)
        ok_new = parsed_new["valid"].to_numpy(bool)
        if ok_new.any():
            assert ctx.key is not None, "a personnummer project is cleaned with its pseudonymisation key"
            keys_new[ok_new] = identity.pseudonymise(parsed_new.loc[ok_new, "normalized"], ctx.key).to_numpy()
        parsed_new["key"] = keys_new
        cache = parsed_new if cache is None else pd.concat([cache, parsed_new])
        ctx.id_cache = cache
        known = cache.index.get_indexer(text)
    empty = identity.parse_personnummer(pd.Series([None], dtype=object)).assign(key=pd.NA)
    table = pd.concat([cache, empty]) if cache is not None else empty
    parsed = table.iloc[np.where(known < 0, len(table) - 1, known)].set_axis(ids.index)
    keys = parsed.pop("key").astype(object)
    ok = parsed["valid"].astype(bool)
    reason = parsed["reason"].where(~ok, None)
    return parsed, keys, reason
