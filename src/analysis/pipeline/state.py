"""``reports/<project>/steps.json``: what the last good build of a project ran on and wrote.

For every step: the fingerprint of each input (:mod:`analysis.pipeline.inputs`), their
combined ``key``, and the SHA-256 of each file the step wrote (``notebooks/...``,
``sections/...``, ``processed/...``). The file lives in the report folder, so it is
swapped in with the report it describes and never claims more than is in place. It
holds no times, so an incremental build writes the same file as a full rebuild.

A step is **up to date** when its inputs equal the recorded ones and every file it wrote
is still in place with the recorded content (a processed table rewritten by
``foljeval clean``, or a file deleted by hand, makes it run again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from analysis.pipeline.inputs import sha256_file, sha256_json

STATE_FILE = "steps.json"
VERSION = 1
PROCESSED = "processed/"


@dataclass
class StepRecord:
    """One step's inputs (name -> fingerprint) and outputs (relative path -> sha256)."""

    inputs: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return sha256_json(self.inputs)

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "inputs": dict(sorted(self.inputs.items())),
            "outputs": dict(sorted(self.outputs.items())),
        }


def read_state(report_dir: Path) -> dict[str, StepRecord]:
    """The recorded steps of the live report (empty when there is none or it is from another version)."""
    try:
        data = json.loads((Path(report_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    out = {}
    for name, rec in (data.get("steps") or {}).items():
        if isinstance(rec, dict) and isinstance(rec.get("inputs"), dict) and isinstance(rec.get("outputs"), dict):
            out[name] = StepRecord(dict(rec["inputs"]), dict(rec["outputs"]))
    return out


def state_text(records: dict[str, StepRecord], order: list[str]) -> str:
    steps = {name: records[name].to_json() for name in order if name in records}
    return json.dumps({"version": VERSION, "steps": steps}, indent=1, ensure_ascii=False) + "\n"


def output_path(relpath: str, report_dir: Path, processed_dir: Path) -> Path:
    """Where a recorded output lives: ``processed/x`` in the processed folder, the rest in the report folder."""
    if relpath.startswith(PROCESSED):
        return Path(processed_dir) / relpath[len(PROCESSED) :]
    return Path(report_dir) / relpath


def changed_outputs(record: StepRecord, report_dir: Path, processed_dir: Path) -> list[str]:
    """The recorded outputs that are missing or differ in the live folders."""
    out = []
    for rel, digest in record.outputs.items():
        path = output_path(rel, report_dir, processed_dir)
        if not path.is_file() or sha256_file(path) != digest:
            out.append(rel)
    return out


def changed_inputs(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The names of the inputs that differ (added, removed or changed), sorted."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def describe_change(names: list[str]) -> str:
    """A short sentence part naming what changed, e.g. ``project.yml: survey; raw file deltagare.csv``."""
    groups: dict[str, list[str]] = {}
    for n in names:
        kind, _, what = n.partition(":")
        groups.setdefault(kind, []).append(what)
    label = {
        "config": "project.yml",
        "raw": "raw file",
        "text": "text file",
        "code": "code",
        "upstream": "output of",
        "notebook": "the notebook",
        "params": "the parameters (project, root, lang; for the report, whether report.pdf is printed)",
        "key": "the pseudonymisation key",
        "environment": "installed packages",
        "project_yml": "project.yml",
        "git_commit": "the git commit",
        "run_date": "the run date",
    }
    parts = []
    for kind, whats in groups.items():
        shown = [w for w in whats if w][:3]
        more = f" and {len(whats) - 3} more" if len(whats) > 3 else ""
        parts.append(f"{label.get(kind, kind)} {', '.join(shown)}{more}".strip())
    return "; ".join(parts) + " changed"
