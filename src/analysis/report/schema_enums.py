"""The enums of the results JSON schemas, derived from the declarations they mirror.

``resources/schema/*.schema.json`` are committed files (a funder's template or a
meta-analysis reads them), but their enums of file kinds, target metrics, target
statuses, survey waves and languages come from the contract, the metric registry
and the label dictionary. :func:`drift` lists every enum that differs from its
source (a test fails on any); ``python tools/generate_contract.py`` rewrites them.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from analysis.project.codes import SURVEY_WAVES
from analysis.project.contract import ORDER
from analysis.project.metrics import SPECS
from analysis.report.i18n import LANGUAGES
from analysis.tables.targets import STATUSES

_ROWS = "allOf/1/properties/rows/additionalProperties/properties"  # a code column of a published table


def expected_enums() -> dict[tuple[str, str], list[Any]]:
    """(schema file, JSON path of the property) -> the enum its source declares."""
    return {
        ("results.schema.json", "$defs/project/properties/language"): list(LANGUAGES),
        ("results.schema.json", f"$defs/cleaning/properties/files/{_ROWS}/kind"): list(ORDER),
        ("tables.schema.json", "$defs/target_definition/properties/metric"): list(SPECS),
        ("tables.schema.json", f"$defs/targets/properties/table/{_ROWS}/status"): list(STATUSES),
        ("tables.schema.json", f"$defs/survey/properties/items/{_ROWS}/wave"): list(SURVEY_WAVES),
        ("tables.schema.json", "$defs/survey/properties/response_rates/allOf/1/properties/order/items"): list(
            SURVEY_WAVES
        ),
    }


def schema_folder() -> Path:
    return Path(str(resources.files("analysis") / "resources" / "schema"))


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = schema
    for part in path.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def drift(folder: Path | None = None) -> list[str]:
    """Every enum that differs from its source, as ``file: path: have -> want`` (empty: in sync)."""
    folder = folder or schema_folder()
    out = []
    for (name, path), want in expected_enums().items():
        have = _node(json.loads((folder / name).read_text(encoding="utf-8")), path).get("enum")
        if have != want:
            out.append(f"{name}: {path}: {have} -> {want}")
    return out


def write_enums(folder: Path | None = None) -> list[str]:
    """Rewrite the drifted enums in place; returns the files written."""
    folder = folder or schema_folder()
    written = []
    by_file: dict[str, list[tuple[str, list[Any]]]] = {}
    for (name, path), want in expected_enums().items():
        by_file.setdefault(name, []).append((path, want))
    for name, items in by_file.items():
        file = folder / name
        schema = json.loads(file.read_text(encoding="utf-8"))
        changed = False
        for path, want in items:
            node = _node(schema, path)
            if node.get("enum") != want:
                node["enum"] = want
                changed = True
        if changed:
            file.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(name)
    return written
