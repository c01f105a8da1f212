"""The step loop of one project's build: skip, carry over or run each step, and record it.

Called by :func:`analysis.pipeline.runner.build_project` under the project's lock, with
the run's temporary folders. A skipped step's files are copied from the last good report
folder into the temporary one (its processed tables stay in place, the notebooks read them
there); a step that runs writes into the temporary folders, and what it wrote (files new or
changed) must be among the outputs the steps table declares for it.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.pipeline.inputs import sha256_file
from analysis.pipeline.kernel import ProjectKernel, one_line, run_notebook
from analysis.pipeline.plan import Decision, StepInputs, decide
from analysis.pipeline.second_language import SecondLanguage
from analysis.pipeline.state import PROCESSED, STATE_FILE, StepRecord, state_text
from analysis.pipeline.steps import NOTEBOOK, REPORT, RESULTS, Step, StepTable, other_language
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
    other_language: bool = False  # also build the report in the other language (report.en.html or report.sv.html)
    other_seconds: float | None = None

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
        workspace.RUN_DELIVERY_ENV: build.project.delivery_name or "",
    }
    with contextlib.ExitStack() as stack:
        kernel = stack.enter_context(ProjectKernel(env))
        second = None
        if build.other_language:
            params = (build.project.id, build.root)
            lang = other_language(build.lang)
            second = stack.enter_context(SecondLanguage(staging, env, lang, build.notebooks_dir, params, kernel))
        records = _steps(build, staging, staging_processed, kernel, second, progress)
    workspace.atomic_write_text(staging / STATE_FILE, state_text(records, build.table.names))


def _steps(
    build: Build,
    staging: Path,
    staging_processed: Path,
    kernel: ProjectKernel,
    second: SecondLanguage | None,
    progress: Callable[[str, int], None] | None,
) -> dict[str, StepRecord]:
    """The step loop: each step run (its second language queued) or carried over; the records."""
    records: dict[str, StepRecord] = {}
    outputs: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}  # output file -> the step that wrote it
    hidden = f"notebooks/{second.lang}/" if second else None  # written by the second kernel, recorded on wait()
    for i, step in enumerate(build.table):
        if progress is not None:
            progress(progress_name(step), i)
        if step.kind == REPORT and second is not None:
            _add_second_language(second.wait(), records, outputs)
        d = build.decide(step, outputs)
        if d.run:
            before = _listing(staging, staging_processed, hidden)
            t0 = time.perf_counter()
            _run(build, step, staging, kernel, second)
            if step.notebook:
                build.notebook_seconds[step.notebook] = time.perf_counter() - t0
            record = StepRecord(d.inputs, _written(before, staging, staging_processed, hidden))
            _check_outputs(step, record.outputs, owner)
            build.ran[step.name] = d.reason
        else:
            record = build.previous[step.name]
            _carry_over(record, build.live[0], staging)
            build.skipped[step.name] = d.reason
        owner.update(dict.fromkeys(record.outputs, step.name))
        records[step.name] = record
        outputs[step.name] = record.outputs
    return records


def _add_second_language(
    done: dict[str, dict[str, str]], records: dict[str, StepRecord], outputs: dict[str, dict[str, str]]
) -> None:
    """Record the second language's notebooks as outputs of the steps they belong to."""
    for name, files in done.items():
        record = StepRecord(records[name].inputs, {**records[name].outputs, **files})
        records[name], outputs[name] = record, record.outputs


def _run(build: Build, step: Step, staging: Path, kernel: ProjectKernel, second: SecondLanguage | None) -> None:
    if step.kind == NOTEBOOK:
        src = build.notebooks_dir / str(step.notebook)
        out = staging / "notebooks" / str(step.notebook)
        out.parent.mkdir(parents=True, exist_ok=True)
        run_notebook(src, out, build.project.id, build.root, build.lang, kernel.fresh())
        if second is not None:
            second.submit(step)
    elif step.kind == RESULTS:
        from analysis.report.results_file import write_results

        write_results(staging, build.project)
    elif step.kind == REPORT:
        _reports(build, staging, second)


def _reports(build: Build, staging: Path, second: SecondLanguage | None) -> None:
    """The report page (and PDF) in the build's language, then in the second one when there is one.

    The PDFs are printed by one browser in a thread of their own while the next page is exported.
    """
    from analysis.report.pdf import PdfPrinter

    with PdfPrinter(build.browser) as printer:
        other = second.lang if second else None
        _report(build, staging, build.lang, staging / "notebooks", other, printer)
        if second is not None:
            t0 = time.perf_counter()
            _report(build, staging, second.lang, second.folder(), build.lang, printer)
            build.other_seconds = second.seconds + time.perf_counter() - t0
    build.pdf_seconds = printer.seconds if printer.printed else None
    for pdf, e in printer.failed:
        build.pdf_note = f"{pdf.name} not made: {build.browser} failed ({type(e).__name__}: {one_line(e)})"


def report_name(lang: str, main: str, suffix: str = "html") -> str:
    """``report.html`` in the build's language ``main``, ``report.<lang>.html`` in the other."""
    return f"report.{suffix}" if lang == main else f"report.{lang}.{suffix}"


def _report(build: Build, staging: Path, lang: str, notebooks: Path, link: str | None, printer) -> None:
    """Merge the executed notebooks in ``notebooks`` into the report page in ``lang``; queue its PDF."""
    from analysis.report.export import export_html
    from analysis.report.merge import merge_notebooks

    name = build.project.config.name
    order = build.table.report_order
    texts = _text_inserts(build, staging, order, lang)
    merged = merge_notebooks([notebooks / str(s.notebook) for s in order], lang, name, texts)
    page = staging / report_name(lang, build.lang)
    other = (link, report_name(link, build.lang)) if link else None
    export_html(merged, page, lang=lang, title=name, other=other)
    printer.submit(page, page.with_suffix(".pdf"), lang, name)


def _text_inserts(build: Build, staging: Path, order: list[Step], lang: str) -> dict[tuple[str, str], list]:
    """The evaluator's texts by place in the merged report (``(before|after, notebook stem)``).

    A place whose step is not in this table's report order goes to the start ("after") or the
    end ("before") of the report, so that no text is lost.
    """
    import json

    from analysis.report.evaluator_text import text_cells

    path = staging / "results.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    stems = {s.name: Path(str(s.notebook)).stem for s in order}
    first, last = stems[order[0].name], stems[order[-1].name]
    inserts: dict[tuple[str, str], list] = {}
    for (where, name), cells in text_cells(build.project, results, lang).items():
        place = (where, stems[name]) if name in stems else ("before", first) if where == "after" else ("after", last)
        inserts.setdefault(place, []).extend(cells)
    return inserts


def _listing(staging: Path, staging_processed: Path, hidden: str | None = None) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file in the temporary folders, processed ones prefixed ``processed/``.

    Files under ``hidden`` (the second kernel's notebooks, written while other steps run) are left out.
    """
    out = {}
    for folder, prefix in ((staging, ""), (staging_processed, PROCESSED)):
        if folder.is_dir():
            for p in folder.rglob("*"):
                rel = prefix + p.relative_to(folder).as_posix()
                if p.is_file() and not (hidden and rel.startswith(hidden)):
                    st = p.stat()
                    out[rel] = (st.st_size, st.st_mtime_ns)
    return out


def _written(
    before: dict[str, tuple[int, int]], staging: Path, staging_processed: Path, hidden: str | None = None
) -> dict[str, str]:
    """The files a step wrote (new or changed since ``before``), with their sha256."""
    after = _listing(staging, staging_processed, hidden)
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
