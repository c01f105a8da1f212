"""The record of a project's deliveries: ``reports/<project>/deliveries.json``.

One entry per delivery built (only for projects with delivery folders, see
:mod:`analysis.project.deliveries`), oldest first:

* ``data_end`` — the delivery;
* ``key_fingerprint`` — :func:`analysis.clean.identity.key_fingerprint` of the key its
  personnummer were pseudonymised with (never the key): a delivery built with another key
  is refused, since the same person would get another pseudonym;
* ``built_at_commit`` — the git commit of the code that built it;
* ``published`` — its headline numbers (:func:`headline_numbers`) as published: set when the
  delivery is built while it is the newest, kept when it is rebuilt after a newer delivery
  has come (the change section compares the recomputed numbers with them, so that a change
  of method is named as one).

The file has no times, so a rebuild on unchanged input leaves it byte-identical.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

RECORD_FILE = "deliveries.json"


def _shown(row: dict, key: str) -> Any:
    """A published cell's value, None when it is hidden (``shown``) or not a finite number."""
    if not isinstance(row, dict) or key in (row.get("shown") or {}):
        return None
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _target_numbers(results: dict) -> dict[str, dict]:
    """Each target's value, kind, status and verdict (:func:`analysis.report.headlines.target_verdict`, the one rule)."""
    from analysis.report.headlines import target_verdict as verdict

    table = (results.get("targets") or {}).get("table") or {}
    out = {}
    for tid in table.get("order", []):
        row = table["rows"][tid]
        kind = (row.get("kinds") or {}).get("value", "share")
        status = row.get("status", "not_measurable")
        out[tid] = {"value": _shown(row, "value"), "kind": kind, "status": status, "verdict": verdict(row)}
    return out


def headline_numbers(results: dict) -> dict[str, Any]:
    """The numbers of a delivery that the change section compares, from its merged ``results.json``.

    All of them are published values (:func:`analysis.report.headlines.headlines`); a hidden
    one is None.
    """
    from analysis.report.headlines import headlines

    h = headlines(results)
    wos = h.work_or_study_exit or {}
    effect = h.effect or {}
    return {
        "enrolled": h.enrolled,
        "exited": h.exited,
        "work_or_study_exit": None if wos.get("suppressed") else _shown(wos, "share"),
        "work_or_study_among": wos.get("among"),
        "targets": _target_numbers(results),
        "effect": _shown(effect, "estimate"),
        "effect_scale": effect.get("scale", "share") if effect else None,
        "effect_outcome": effect.get("outcome") if effect else None,
        "survival_12": _shown(h.survival_12 or {}, "survival"),
    }


def read_record(project_reports: Path) -> list[dict]:
    """The entries of ``deliveries.json`` in a project's report folder, oldest first (empty when none)."""
    path = Path(project_reports) / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("deliveries") if isinstance(data, dict) else None
    return [e for e in entries or [] if isinstance(e, dict) and "data_end" in e]


def entry(record: list[dict], data_end: str) -> dict | None:
    return next((e for e in record if e.get("data_end") == data_end), None)


def record_text(project: str, record: list[dict]) -> str:
    ordered = sorted(record, key=lambda e: e["data_end"])
    body = {"project": project, "deliveries": ordered}
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def updated_record(
    record: list[dict], data_end: str, fingerprint: str, commit: str | None, results: dict, newest: bool
) -> list[dict]:
    """``record`` with the entry of ``data_end`` written (see the module docstring for ``published``)."""
    old = entry(record, data_end)
    published = headline_numbers(results)
    if old is not None and not newest and isinstance(old.get("published"), dict):
        published = old["published"]
    new = {"data_end": data_end, "key_fingerprint": fingerprint, "built_at_commit": commit, "published": published}
    return [e for e in record if e.get("data_end") != data_end] + [new]


def other_keys(record: list[dict], data_end: str, fingerprint: str) -> list[str]:
    """The deliveries other than ``data_end`` that were built with a key of another fingerprint."""
    return sorted(
        e["data_end"] for e in record if e["data_end"] != data_end and e.get("key_fingerprint") != fingerprint
    )
