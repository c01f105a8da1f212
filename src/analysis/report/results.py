"""Headline numbers for ``reports/<project>/results.json``.

Each analysis notebook saves its own section with :func:`save_section`; the
runner merges the sections into ``results.json`` and validates it against the
committed JSON Schema. Only suppression-safe values may be saved.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _plain(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 6)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def sections_dir(report_dir: Path) -> Path:
    return Path(report_dir) / "sections"


def section_path(report_dir: str | Path, section: str) -> Path:
    return sections_dir(Path(report_dir)) / f"{section}.json"


def save_section(report_dir: str | Path, section: str, data: dict[str, Any]) -> None:
    """Write one section of results.json (e.g. ``participants``, ``targets``, ``effects``).

    Returns nothing on purpose: as the last line of a notebook cell, a returned path would
    be shown in the report (an absolute path of the evaluator's computer, and of the run's
    temporary folder); :func:`section_path` gives the file.
    """
    path = section_path(report_dir, section)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_plain(data), indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def load_sections(report_dir: str | Path) -> dict[str, Any]:
    folder = sections_dir(Path(report_dir))
    if not folder.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
