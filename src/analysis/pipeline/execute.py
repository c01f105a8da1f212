"""The step loop of one project's build: skip, carry over or run each step, and record it.

Called by :func:`analysis.pipeline.runner.build_project` under the project's lock, with
the run's temporary folders. A skipped step's files are copied from the last good report
folder into the temporary one (its processed tables stay in place, the notebooks read them
there); a step that runs writes into the temporary folders, and what it wrote (files new or
changed) must be among the outputs the steps table declares for it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.pipeline.inputs import sha256_file
from analysis.pipeline.kernel import ProjectKernel, one_line, run_notebook
from analysis.pipeline.plan import Decision, StepInputs, decide
from analysis.pipeline.state import PROCESSED, STATE_FILE, StepRecord, state_text
from analysis.pipeline.steps import NOTEBOOK, REPORT, RESULTS, Step, StepTable
from analysis.project import workspace
from analysis.project.config import Project
from analysis.project.errors import FoljevalError


@dataclass
class Build:
    """What one project's build works from: the table, the inputs, the last good build's record."""

    table: StepTable
    project: Project
    root: Path
    lang: str
    notebooks_dir: Path
    inputs: StepInputs
    previous: dict[str, StepRecord]
    live: tuple[Path, Path]  # the report folder and the processed folder in place
    force: bool = False
    only: frozenset[str] = frozenset()
    wanted: frozenset[str] = frozenset()
    ran: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notebook_seconds: dict[str, float] = field(default_factory=dict)
    browser: str | None = None  # prints report.pdf (None: no PDF)
    pdf_note: str = ""  # why no PDF was made, when one was asked for
    pdf_seconds: float | None = None

    def decide(self, step: Step, outputs: dict[str, dict[str, str]]) -> Decision:
        return decide(
            step,
            self.inputs.of(step, outputs),
            self.previous.get(step.name),
            self.live,
            force=self.force,
            only=self.only,
            wanted=self.wanted,
        )

    def up_to_date(self) -> bool:
        """Whether no step would run (computed without writing anything)."""
        outputs: dict[str, dict[str, str]] = {}
        reasons = {}
        for step in self.table:
            d = self.decide(step, outputs)
            if d.run:
                return False
            reasons[step.name] = d.reason
            outputs[step.name] = self.previous[step.name].outputs
        self.skipped = reasons
        return True


def progress_name(step: Step) -> str:
    """What the progress bar shows for a step: the notebook, ``results.json`` or ``report.html``."""
    return step.notebook or ("results.json" if step.kind == RESULTS else "report.html")


def execute(
    build: Build, staging: Path, staging_processed: Path, progress: Callable[[str, int], None] | None = None
) -> None:
    """Run, or skip and carry over, every step into the temporary folders; write ``steps.json`` there."""
    env = {
        workspace.RUN_PROJECT_ENV: build.project.id,
        workspace.RUN_REPORT_DIR_ENV: str(staging),
        workspace.RUN_PROCESSED_DIR_ENV: str(staging_processed),
    }
    records: dict[str, StepRecord] = {}
    outputs: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}  # output file -> the step that wrote it
    with ProjectKernel(env) as kernel:
        for i, step in enumerate(build.table):
            if progress is not None:
                progress(progress_name(step), i)
            d = build.decide(step, outputs)
            if d.run:
                before = _listing(staging, staging_processed)
                t0 = time.perf_counter()
                _run(build, step, staging, kernel)
                if step.notebook:
                    build.notebook_seconds[step.notebook] = time.perf_counter() - t0
                record = StepRecord(d.inputs, _written(before, staging, staging_processed))
                _check_outputs(step, record.outputs, owner)
                build.ran[step.name] = d.reason
            else:
                record = build.previous[step.name]
                _carry_over(record, build.live[0], staging)
                build.skipped[step.name] = d.reason
            owner.update(dict.fromkeys(record.outputs, step.name))
            records[step.name] = record
            outputs[step.name] = record.outputs
    workspace.atomic_write_text(staging / STATE_FILE, state_text(records, build.table.names))


def _run(build: Build, step: Step, staging: Path, kernel: ProjectKernel) -> None:
    if step.kind == NOTEBOOK:
        src = build.notebooks_dir / str(step.notebook)
        out = staging / "notebooks" / str(step.notebook)
        out.parent.mkdir(parents=True, exist_ok=True)
        run_notebook(src, out, build.project.id, build.root, build.lang, kernel.fresh())
    elif step.kind == RESULTS:
        from analysis.report.results_file import write_results

        write_results(staging, build.project)
    elif step.kind == REPORT:
        from analysis.report.export import export_html
        from analysis.report.merge import merge_notebooks

        name = build.project.config.name
        merged = merge_notebooks(
            [staging / str(s.executed_notebook) for s in build.table.report_order], build.lang, name
        )
        export_html(merged, staging / "report.html", lang=build.lang, title=name)
        if build.browser:
            _print_pdf(build, staging, name)


def _print_pdf(build: Build, staging: Path, title: str) -> None:
    """``report.pdf`` from ``report.html``; a browser that fails leaves the report without a PDF and says why."""
    from analysis.report.pdf import write_pdf

    try:
        build.pdf_seconds = write_pdf(
            staging / "report.html", staging / "report.pdf", str(build.browser), lang=build.lang, title=title
        )
    except Exception as e:  # noqa: BLE001 - the HTML report stands without its PDF
        (staging / "report.pdf").unlink(missing_ok=True)
        build.pdf_note = f"report.pdf not made: {build.browser} failed ({type(e).__name__}: {one_line(e)})"


def _listing(staging: Path, staging_processed: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file in the temporary folders, processed ones prefixed ``processed/``."""
    out = {}
    for folder, prefix in ((staging, ""), (staging_processed, PROCESSED)):
        if folder.is_dir():
            for p in folder.rglob("*"):
                if p.is_file():
                    st = p.stat()
                    out[prefix + p.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def _written(before: dict[str, tuple[int, int]], staging: Path, staging_processed: Path) -> dict[str, str]:
    """The files a step wrote (new or changed since ``before``), with their sha256."""
    after = _listing(staging, staging_processed)
    out = {}
    for rel in sorted(k for k, v in after.items() if before.get(k) != v):
        path = staging_processed / rel[len(PROCESSED) :] if rel.startswith(PROCESSED) else staging / rel
        out[rel] = sha256_file(path)
    return out


def _check_outputs(step: Step, written: dict[str, str], owner: dict[str, str]) -> None:
    """Every file a step wrote must be declared as its output, and no other step's."""
    for rel in written:
        if rel in owner:
            raise FoljevalError(f"steps {owner[rel]} and {step.name} both write {rel}; one file, one step")
        if not step.writes(rel):
            raise FoljevalError(
                f"step {step.name} wrote {rel}, which the steps table (src/analysis/pipeline/steps.py) "
                "does not declare as its output"
            )


def _carry_over(record: StepRecord, live_report: Path, staging: Path) -> None:
    """Copy a skipped step's report files from the last good build (processed tables stay in place)."""
    for rel in record.outputs:
        if rel.startswith(PROCESSED):
            continue
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(live_report / rel, target)
