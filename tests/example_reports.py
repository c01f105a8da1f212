"""Build the bundled example reports once per test run, shared by every xdist worker.

The suite runs with ``pytest -n 2``: both workers may ask for the examples, so the
build happens under a file lock in a folder shared by the run (the parent of the
workers' temporary folders) and the second worker waits and reuses it. The build
root links ``data/raw/<project>`` to the committed examples (raw data are never
written) and ``notebooks/`` to the repository's notebooks, then runs the same
:func:`analysis.pipeline.runner.run_reports` as ``make report``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import examples as synthetic
from conftest import ROOT

EXAMPLES = sorted(synthetic.PROJECTS)  # every bundled example project


def built_examples(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """(root, {project: {"ok": bool, "message": str}}) of the example reports built for this run.

    Each report is built in its project's language and in the other one, as ``make report`` does
    (:func:`example_page` finds the page in a language).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "example-reports"
    marker = root / "built.json"
    from filelock import FileLock

    with FileLock(str(shared / "example-reports.lock")):  # waits while the other worker builds
        if not marker.is_file():
            from analysis.pipeline.runner import run_reports

            raw = root / "data" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for name in EXAMPLES:
                if not (raw / name).exists():
                    (raw / name).symlink_to(ROOT / "data" / "raw" / name)
            if not (root / "notebooks").exists():
                (root / "notebooks").symlink_to(ROOT / "notebooks")
            runs = run_reports(EXAMPLES, jobs=2, root=root, pdf=False)
            marker.write_text(
                json.dumps({r.project: {"ok": r.ok, "message": r.message} for r in runs}), encoding="utf-8"
            )
    return root, json.loads(marker.read_text(encoding="utf-8"))


def example_page(root: Path, project: str, lang: str | None = None) -> Path:
    """The example's report page in ``lang`` (None: the project's language, ``report.html``)."""
    folder = root / "reports" / project
    other = folder / f"report.{lang}.html"
    return other if lang and other.is_file() else folder / "report.html"
