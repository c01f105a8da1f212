"""Raw headers -> canonical column names: the project.yml mapping first, then the Swedish dictionary."""

from __future__ import annotations

import pandas as pd

from analysis.clean import labels
from analysis.clean.readers import ROW
from analysis.project.config import FileSpec
from analysis.project.errors import BadFileError


def _map_headers(df: pd.DataFrame, spec: FileSpec, kind: str, extra: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rename raw headers to canonical names: project.yml mapping first, then the Swedish dictionary."""
    rename: dict[str, str] = {}
    ignored: list[str] = []
    extra_norm = {labels.normalise(e): e for e in extra}
    for col in df.columns[1:]:
        target = spec.columns.get(col) or spec.columns.get(col.strip())
        if target is None:
            target = labels.canonical_header(col, kind)
        if target is None and labels.normalise(col) in extra_norm:
            target = extra_norm[labels.normalise(col)]
        if target is None:
            ignored.append(col)
            continue
        if target in rename.values():
            first = next(k for k, v in rename.items() if v == target)
            raise BadFileError(
                spec.path,
                f"both '{first}' and '{col}' map to '{target}'; map one of them in project.yml",
                column=col,
                row=1,
            )
        rename[col] = target
    out = df[[ROW, *rename]].rename(columns=rename)
    return out, ignored
