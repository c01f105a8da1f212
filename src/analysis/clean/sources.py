"""All the raw sources of one file kind: several files (a list or a pattern) and several sheets, read as one.

Each source (one file, or one sheet of a workbook) is read with its layout and its
headers mapped on their own, then the sources are stacked. Every stacked row keeps
its source and file row, so a message names ``deltagare.xlsx [2024], row 17`` and
the reconciliation is per file and sheet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.headers import HeaderMap, check_mapped_headers, map_headers, recogniser
from analysis.clean.layout import Layout
from analysis.clean.readers import EXCEL_SUFFIXES, excel_sheets, read_source
from analysis.clean.result import _sha256
from analysis.project.config import FileSpec
from analysis.project.errors import BadFileError

SRC = "_src"
PROGRESS_BYTES = 4 * 1024 * 1024  # files above this size report their progress


@dataclass
class Source:
    """One source of a kind as read: where it is, its layout and how its headers were understood."""

    label: str
    path: Path
    sheet: str | None
    layout: Layout
    headers: HeaderMap
    rows: int
    sha256: str
    date_formats: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> form -> values


def resolve_paths(raw_dir: Path, spec: FileSpec, kind: str) -> list[Path]:
    """The files of ``files.<kind>.path``: names or patterns (``deltagare_*.xlsx``), in name order."""
    out: list[Path] = []
    for name in spec.paths:
        if any(ch in name for ch in "*?["):
            hits = sorted(p for p in raw_dir.glob(name) if p.is_file())
            if not hits:
                raise BadFileError(name, f"no file in {raw_dir} matches files.{kind}.path")
            out += hits
        else:
            out.append(raw_dir / name)
    return list(dict.fromkeys(out))


def _sheets(path: Path, spec: FileSpec) -> tuple[list[str | int | None], bool]:
    """The sheets to read and whether sources are named by sheet."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return [None], False
    if spec.sheet == "*":
        return list(excel_sheets(path)), True
    if isinstance(spec.sheet, list):
        return list(spec.sheet), True
    return [spec.sheet], False


def _note(progress, path: Path, text: str) -> None:
    if progress is not None and path.is_file() and path.stat().st_size > PROGRESS_BYTES:
        progress(text)


def read_kind(
    kind: str, raw_dir: Path, spec: FileSpec, extra: list[str], progress=None
) -> tuple[pd.DataFrame, list[Source]]:
    """Every source of one kind, headers mapped, stacked: ``(frame, sources)``.

    The frame's index is the stacked row id; ``_row`` is the file row and ``_src`` the
    position of the row's source in ``sources``.
    """
    frames: list[pd.DataFrame] = []
    sources: list[Source] = []
    recognise = recogniser(spec, kind, extra)
    all_headers: list[str] = []
    for path in resolve_paths(raw_dir, spec, kind):
        sheets, by_sheet = _sheets(path, spec) if path.is_file() else ([None], False)
        for sheet in sheets:
            t0 = time.perf_counter()
            size = path.stat().st_size / 1e6 if path.is_file() else 0
            _note(progress, path, f"reading {path.name} ({size:.0f} MB)...")
            label = path.name if not by_sheet else f"{path.name} [{sheet}]"
            raw, layout = read_source(path, spec, sheet, recognise, label)
            all_headers += list(raw.columns[1:])
            df, hm = map_headers(raw, spec, kind, extra, label)
            for col in hm.months:
                df[f"month:{hm.months[col].date().isoformat()}|{col}"] = raw[col].to_numpy()
            df[SRC] = len(sources)
            frames.append(df)
            sources.append(Source(label, path, layout.sheet, layout, hm, len(df), _sha256(path)))
            _note(progress, path, f"read {len(df):,} rows of {label} in {time.perf_counter() - t0:.1f} s")
    check_mapped_headers(spec, kind, all_headers, sources[0].label if sources else spec.label)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    if len(frames) > 1:
        frame = _keep_categorical(frame, frames)
    return frame, sources


def _keep_categorical(frame: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stacking categoricals with different categories makes objects; fine for person files (small)."""
    for c in frame.columns:
        if frame[c].dtype == object and all(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames if c in f):
            frame[c] = frame[c].astype("category")
    return frame


def month_columns(df: pd.DataFrame) -> dict[str, tuple[pd.Timestamp, str]]:
    """The month columns of a wide monthly file: stacked column -> (month, raw header)."""
    out = {}
    for c in df.columns:
        if isinstance(c, str) and c.startswith("month:"):
            stamp, raw = c[len("month:") :].split("|", 1)
            out[c] = (pd.Timestamp(stamp), raw)
    return out


def source_rows(df: pd.DataFrame, rejected: set[int], n_sources: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows read and rows rejected per source."""
    src = df[SRC].to_numpy()
    read = np.bincount(src, minlength=n_sources)
    bad = np.zeros(len(df), dtype=bool)
    if rejected:
        bad[np.fromiter(rejected, dtype=np.int64)] = True
    return read, np.bincount(src[bad], minlength=n_sources)
