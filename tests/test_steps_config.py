"""Every project.yml field a step reads is among the fields the steps table declares for it.

A step whose declared fields miss one it reads would be skipped when that field changes and
publish a stale section, so this is checked by running: each notebook's code runs in this
process on example projects (both languages) while every read of a project.yml field
(an attribute of the validated models) is recorded for the step that runs. Reads made while
project.yml is loaded and validated do not count (every step loads it).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from pydantic import BaseModel

from analysis.pipeline.steps import NOTEBOOK, RESULTS, STEPS
from analysis.project import config as C
from conftest import ROOT

pytestmark = pytest.mark.slow  # runs the notebooks' code of two examples

WHERE = {
    C.ProjectConfig: "",
    C.Period: "period.",
    C.FileSpec: "files.*.",
    C.Target: "targets.*.",
    C.SurveyItem: "survey.items.*.",
    C.SurveyScale: "survey.scales.*.",
    C.SurveySpec: "survey.",
}


def _container(value: object) -> bool:
    if isinstance(value, BaseModel):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, list) and any(isinstance(v, BaseModel) for v in value)


def covered(path: str, container: bool, declared: tuple[str, ...]) -> bool:
    """A read is covered by a declared field at or above it; a model or list of models on the way
    down to a declared field is only traversed."""
    p = path.split(".")
    for key in declared:
        k = key.split(".")
        if all(a == b or "*" in (a, b) for a, b in zip(p, k)):
            if len(k) <= len(p) or container:
                return True
    return False


def test_the_coverage_rule():
    assert covered("period.end", False, ("period",)) and covered("survey.items.*.id", False, ("survey",))
    assert covered("survey", True, ("survey.items.*.id",)) and not covered("survey", False, ("survey.items.*.id",))
    assert not covered("survey.items.*.text_sv", False, ("survey.items.*.id", "survey.scales"))


@pytest.fixture
def recorder(monkeypatch):
    reads: dict[str, set[tuple[str, bool]]] = defaultdict(set)
    current = ["(none)"]
    for cls, prefix in WHERE.items():
        fields, original = set(cls.model_fields), cls.__getattribute__

        def getattribute(self, name, _original=original, _fields=fields, _prefix=prefix):
            value = _original(self, name)
            if name in _fields and current[0]:
                reads[current[0]].add((_prefix + name, _container(value)))
            return value

        monkeypatch.setattr(cls, "__getattribute__", getattribute)
    original_load = C.load_project

    def quiet_load(*args, **kwargs):
        saved, current[0] = current[0], ""
        try:
            return original_load(*args, **kwargs)
        finally:
            current[0] = saved

    import analysis.pipeline.notebook as notebook_module

    monkeypatch.setattr(C, "load_project", quiet_load)
    monkeypatch.setattr(notebook_module, "load_project", quiet_load)
    return reads, current


def _run_steps(root: Path, project: str, lang: str, current: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat

    from analysis.project import workspace
    from analysis.report.results_file import write_results

    proj = C.load_project(root / "data" / "raw" / project)
    for step in STEPS:
        current[0] = step.name
        if step.kind == RESULTS:
            write_results(workspace.scratch_report_dir(project, root), proj)
        if step.kind != NOTEBOOK:
            continue
        nb = nbformat.read(ROOT / "notebooks" / str(step.notebook), as_version=4)
        ns = {"__name__": "__main__", "project": project, "root": str(root), "lang": lang}
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, str(step.notebook), "exec"), ns)
                plt.close("all")
    current[0] = ""


@pytest.mark.parametrize(("project", "lang"), [("c2-lycksele", "en"), ("alv-vast", "sv")])
def test_every_field_a_step_reads_is_declared(project, lang, recorder, tmp_path, monkeypatch):
    reads, current = recorder
    shutil.copytree(ROOT / "data" / "raw" / project, tmp_path / "data" / "raw" / project)
    monkeypatch.setenv("FOLJEVAL_KEY", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("FOLJEVAL_RUN_PROJECT", "FOLJEVAL_RUN_REPORT_DIR", "FOLJEVAL_RUN_PROCESSED_DIR"):
        monkeypatch.delenv(name, raising=False)
    _run_steps(tmp_path, project, lang, current)
    assert set(reads) >= {"clean", "outcomes", "effects", "survival"}  # the recorder saw the steps' reads
    missing = {
        step: sorted(p for p, container in found if not covered(p, container, STEPS[step].config))
        for step, found in reads.items()
    }
    assert {k: v for k, v in missing.items() if v} == {}
