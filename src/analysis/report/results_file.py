"""Merge ``reports/<project>/sections/*.json`` into ``results.json`` and validate it.

The schema (``resources/schema/results.schema.json``) references the section
definitions of ``tables.schema.json``; both are loaded from the package and
resolved locally (no network).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from analysis.project.errors import FoljevalError
from analysis.report.results import _plain, load_sections

SCHEMA_VERSION = 3  # raise on every change of shape and list it in CHANGELOG.md


def _schema(name: str) -> dict:
    return json.loads((resources.files("analysis") / "resources" / "schema" / name).read_text(encoding="utf-8"))


# The one format the schemas use; jsonschema only asserts formats it is given a checker for.
FORMATS = ("date",)


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """The results.json validator: the schemas resolved locally, ``format: date`` checked."""
    main, tables = _schema("results.schema.json"), _schema("tables.schema.json")
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (main, tables)])
    return Draft202012Validator(main, registry=registry, format_checker=FormatChecker(formats=FORMATS))


def project_facts(project) -> dict:
    c = project.config
    return {
        "id": project.id,
        "name": c.name,
        "owner": c.owner,
        "region": c.region,
        "project_number": c.project_number,
        "period": {"start": c.period.start.isoformat(), "end": c.period.end.isoformat()},
        "budget_sek": c.budget_sek,
        "esf_grant_sek": c.esf_grant_sek,
        "planned_participants": c.planned_participants,
        "target_group": c.target_group,
        "language": c.language,
        "min_cell": c.min_cell,
        "synthetic": c.synthetic,
    }


def validate_results(results: dict) -> list[str]:
    """Every schema violation as "path: message" (empty when valid)."""
    errors = sorted(validator().iter_errors(results), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}" for e in errors]


def merge_results(report_dir: Path, project) -> dict:
    """The merged results of one project (facts + every saved section)."""
    sections = load_sections(report_dir)
    clash = {"schema_version", "project"} & set(sections)
    if clash:
        raise FoljevalError(f"a section may not be called {', '.join(sorted(clash))}")
    return _plain({"schema_version": SCHEMA_VERSION, "project": project_facts(project), **sections})


def write_results(report_dir: Path, project) -> Path:
    """Merge, validate and write ``results.json``; raise with every violation when invalid."""
    results = merge_results(report_dir, project)
    errors = validate_results(results)
    if errors:
        shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise FoljevalError(f"results.json does not match results.schema.json: {shown}")
    path = Path(report_dir) / "results.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return path
