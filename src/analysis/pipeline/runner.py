"""Run each project's steps through papermill and build its report.

The steps, their order and their inputs are declared in :mod:`analysis.pipeline.steps`.
For every project, :func:`build_project`, holding the project's lock (a second run of
the same project is refused; :mod:`analysis.project.workspace`),

1. recovers what an interrupted earlier run left behind and compares each step's inputs
   with ``reports/<project>/steps.json`` of the last good build
   (:mod:`analysis.pipeline.plan`). When every step is up to date it says so and writes
   nothing;
2. otherwise writes everything into temporary folders beside ``reports/<project>/`` and
   ``data/processed/<project>/`` (the notebooks learn where from the kernel's environment,
   see :class:`analysis.pipeline.notebook.NotebookContext`), step by step in the table's
   order: a step whose inputs are unchanged is skipped and its outputs are copied over from
   the last good build (processed tables stay in place); a notebook step runs with
   papermill (kernel ``python3``, absolute paths because papermill may change the working
   directory, parameters ``project``/``root``/``lang``) into ``notebooks/``, scrubbed of
   what differs from run to run (timestamps, durations, the random id of the
   injected-parameters cell); the ``results`` step merges ``sections/*.json`` into
   ``results.json`` and validates it against ``resources/schema/results.schema.json``; the
   ``report`` step merges the executed notebooks in report order and exports ``report.html``;
3. scans everything it publishes (:mod:`analysis.report.scan`) and fails the project on a
   personnummer, a small cell or a network reference;
4. only then swaps the new folders in place of the old ones, ``steps.json`` with them.

A skipped step's outputs are the bytes a rerun would write (the notebooks are deterministic
and each starts in a fresh namespace), so an incremental build gives the same files as a
full rebuild (``--force``), which the tests check.

**A failing project** stops with one line naming the notebook, the cell and the
error (the exception's message, no traceback, personnummer masked). The last good
``report.html``, ``results.json`` and processed tables stay as they were; beside them
``error.html`` shows the cause, ``error/notebooks/`` holds the failed run's notebooks
(masked) and ``run.json`` records the failure for the red row of the index. The other
projects still finish. An interrupted run (Ctrl-C, a killed process) changes nothing
in place. Projects run in parallel in a process pool (``jobs``).

**One kernel per project**, started when the first notebook step has to run. Starting a
kernel and importing pandas, statsmodels and matplotlib costs a few seconds, more than
most notebooks take to run, so all of a project's notebooks run in it in turn: before
each notebook the kernel's namespace and execution counter are reset
(``get_ipython().reset(new_session=True)``), so a notebook cannot use another's
variables, while imported modules stay loaded. A notebook that changes global
state of a library (e.g. matplotlib's rcParams) must set what it needs itself,
which ``analysis.pipeline.notebook.setup`` does.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.clean.identity import mask_personnummer
from analysis.pipeline import second_language
from analysis.pipeline import steps as steps_module
from analysis.pipeline.kernel import one_line
from analysis.pipeline.run_result import ProjectRun
from analysis.pipeline.steps import StepTable
from analysis.project import paths, workspace
from analysis.project.errors import FoljevalError, ProjectBusyError

ERROR_PAGE = "error.html"
ERROR_FOLDER = "error"

Progress = Callable[[str, str, int, int], None]  # project, step, done, total


class _MaskedLog(logging.Filter):
    """Masks personnummer in every log record (libraries' warnings included) before it is printed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_personnummer(record.getMessage()), None
        return True


def mask_logs() -> None:
    """Print Python warnings and library logs (WARNING and up) through one handler that masks personnummer.

    Called by the command line and by every worker process of a parallel run.
    """
    handler = logging.StreamHandler()
    handler.addFilter(_MaskedLog())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.captureWarnings(False)  # a fresh start when called again in one process (tests)
    logging.captureWarnings(True)


@dataclass(frozen=True)
class Options:
    """How :func:`build_project` builds: the arguments it passes on to each delivery's build."""

    lang: str | None
    notebooks_dir: Path | None
    progress: Progress | None
    table: StepTable
    force: bool
    only: tuple[str, ...]
    pdf: bool
    other_language: bool

    def build(self, project: str, root: Path, delivery: str | None = None, force: bool = False) -> ProjectRun:
        """Build one delivery (None: the flat files) under the project's lock, held by the caller."""
        return _build_locked(
            project,
            root,
            self.lang,
            self.notebooks_dir,
            self.progress,
            self.table,
            self.force or force,
            self.only,
            (self.pdf, self.other_language),
            delivery,
        )


def _error_page(report_dir: Path, project: str, lang: str, message: str, last_good: bool) -> Path:
    """``reports/<project>/error.html``: the cause of the failed run, beside the last good report."""
    import html

    from analysis.report.export import simple_page
    from analysis.report.i18n import t

    kept = (
        f'<p><a href="report.html">{html.escape(t("rep_error_last_good", lang))}</a></p>'
        if last_good
        else f"<p>{html.escape(t('rep_error_no_report', lang))}</p>"
    )
    body = (
        f"<h1>{html.escape(t('rep_error_title', lang))}: {html.escape(project)}</h1>"
        f'<p>{html.escape(t("rep_error_intro", lang))}</p><p class="fe-error">{html.escape(mask_personnummer(message))}</p>'
        f"<p>{html.escape(t('rep_error_hint', lang, command=f'foljeval report {project}'))}</p>{kept}"
    )
    page = simple_page(body, lang=lang, title=f"{t('rep_error_title', lang)}: {project}")
    return workspace.atomic_write_text(report_dir / ERROR_PAGE, page)


def _enforce_scan(report_dir: Path, min_cell: int, label: str, remove: bool = False) -> None:
    """Scan the files about to be published; fail when anything is found (and with ``remove``, delete them).

    A run's temporary folder is never published, so its files are kept for the failed run's
    notebooks (masked) under ``error/``; files already in place are removed.
    """
    from analysis.report.scan import scan_report

    findings = scan_report(report_dir, min_cell, label=label)
    if not findings:
        return
    if remove:
        for name in {f.file for f in findings}:
            (report_dir / name.removeprefix(f"{label}/")).unlink(missing_ok=True)  # never leave a finding published
    shown = "; ".join(str(f) for f in findings[:3]) + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
    raise FoljevalError(f"the publication scan failed: {shown}")


def _write_run(folder: Path, run: ProjectRun) -> None:
    text = json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n"
    workspace.atomic_write_text(folder / "run.json", text)


def build_project(
    project: str,
    root: Path,
    lang: str | None = None,
    notebooks_dir: Path | None = None,
    progress: Progress | None = None,
    *,
    steps: StepTable | None = None,
    force: bool = False,
    only: tuple[str, ...] = (),
    pdf: bool = True,
    other_language: bool = True,
    delivery: str | None = None,
    new_key: bool = False,
) -> ProjectRun:
    """Build one project's report, running the steps whose inputs changed; never raises for a project error.

    The run holds the project's lock (a second run of the same project is refused) and
    writes into temporary folders beside ``reports/<project>`` and
    ``data/processed/<project>``, which replace them only when every step succeeded
    (:mod:`analysis.project.workspace`). A failed run keeps the last good report and
    writes its cause to ``reports/<project>/error.html``; an interrupted one leaves the
    previous folders as they were.

    Parameters
    ----------
    steps : StepTable, optional
        The steps (default :data:`analysis.pipeline.steps.STEPS`, looked up at call time).
    force : bool
        Run every step, whatever the last good build recorded.
    only : tuple of str
        Run these steps even when up to date, with the out-of-date steps they need and the
        steps after them whose inputs change; leave the other steps as they are.
    pdf : bool
        Print ``report.pdf`` beside ``report.html`` (when a browser is found,
        :func:`analysis.report.pdf.find_browser`; otherwise the run says why not).
    other_language : bool
        Also build the report in the other language (``report.en.html`` beside a Swedish one).
    delivery, new_key : str, bool
        The delivery folder to build (``YYYY-MM-DD``; default: the newest), and whether to rebuild
        every delivery with the key in use (:mod:`analysis.pipeline.deliveries`).
    """
    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order cannot vary between runs
    root = Path(root).resolve()
    if not (paths.raw_dir(project, root) / "project.yml").is_file():
        message = f"no project.yml in {paths.raw_dir(project, root)}; `foljeval list` shows the projects"
        return ProjectRun(project, ok=False, message=message)
    try:
        with workspace.project_lock(project, root):
            workspace.recover_project(project, root)
            from analysis.pipeline.deliveries import build_deliveries  # builds each delivery with Options.build

            build = Options(
                lang, notebooks_dir, progress, steps or steps_module.STEPS, force, tuple(only), pdf, other_language
            )
            return build_deliveries(project, root, build, delivery, new_key)
    except ProjectBusyError as e:
        return ProjectRun(project, ok=False, message=one_line(e), refused=True)


def _plan(
    project: str,
    root: Path,
    lang: str | None,
    notebooks_dir: Path,
    table: StepTable,
    force: bool,
    only,
    pdf: bool,
    other: bool,
    delivery: str | None = None,
):
    """The build's starting point: project.yml loaded, notebooks checked, the last good build's record read."""
    from analysis.pipeline.execute import Build
    from analysis.pipeline.plan import StepInputs, notebook_problems, wanted_steps
    from analysis.pipeline.state import read_state
    from analysis.project.config import load_project
    from analysis.report.pdf import find_browser

    proj = load_project(paths.raw_dir(project, root), delivery)
    problems = notebook_problems(table, notebooks_dir)
    if problems:
        raise FoljevalError("; ".join(problems))
    language = lang or proj.config.language
    live = (paths.reports_dir(project, root, delivery), paths.processed_dir(project, root, delivery))
    browser, where = find_browser() if pdf else (None, "")
    return Build(
        table=table,
        project=proj,
        root=root,
        lang=language,
        notebooks_dir=notebooks_dir,
        inputs=StepInputs(table, proj, root, language, notebooks_dir, pdf=browser is not None, other_language=other),
        previous=read_state(live[0]),
        live=live,
        force=force,
        only=frozenset(only),
        wanted=wanted_steps(table, only) if only else frozenset(),
        browser=browser,
        other_language=other,
        pdf_note="" if browser or not pdf else f"report.pdf not made: {where}",
    )


def _last_run_ok(report_dir: Path) -> bool:
    try:
        last = json.loads((report_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(last.get("ok")) and not (report_dir / ERROR_PAGE).exists() and (report_dir / "report.html").is_file()


def _build_locked(
    project: str,
    root: Path,
    lang: str | None,
    notebooks_dir: Path | None,
    progress: Progress | None,
    table: StepTable,
    force: bool,
    only: tuple[str, ...],
    outputs: tuple[bool, bool] = (True, True),
    delivery: str | None = None,
) -> ProjectRun:
    from analysis.pipeline.execute import execute

    live_report = paths.reports_dir(project, root, delivery)
    live_processed = paths.processed_dir(project, root, delivery)
    run = ProjectRun(project, ok=False, notebooks=[str(s.notebook) for s in table.report_order])
    started = time.perf_counter()
    language, min_cell, total = lang or "sv", 5, len(table.steps)

    def step(name: str, done: int) -> None:
        if progress is not None:
            progress(project, name, done, total)

    staging: Path | None = None
    staging_processed: Path | None = None
    try:
        try:
            nb_dir = Path(notebooks_dir or paths.notebooks_dir(root))
            build = _plan(project, root, lang, nb_dir, table, force, only, *outputs, delivery)
            language, min_cell = build.lang, build.project.config.min_cell
            if _last_run_ok(live_report) and build.up_to_date():
                run.ok, run.up_to_date, run.report, run.skipped = True, True, live_report / "report.html", build.skipped
            else:
                staging = workspace.new_staging(live_report)
                staging_processed = live_processed.with_name(
                    staging.name.replace(f".{live_report.name}.new", f".{live_processed.name}.new-processed")
                )
                (staging / "notebooks").mkdir()
                try:
                    execute(build, staging, staging_processed, step)
                finally:
                    run.ran, run.skipped, run.notebook_seconds = build.ran, build.skipped, build.notebook_seconds
                    run.pdf_note, run.pdf_seconds = build.pdf_note, build.pdf_seconds
                    run.other_seconds = build.other_seconds
                _publish(run, staging, staging_processed, (live_report, live_processed), min_cell)
        except FoljevalError as e:
            run.ok, run.message = False, one_line(e)
        except Exception as e:  # noqa: BLE001 - isolation: one project's bug must not stop the others
            run.ok, run.message = False, f"{type(e).__name__}: {one_line(e)}"
        if not run.ok:
            _record_failure(run, staging, live_report, language, min_cell)
    finally:  # Ctrl-C included: whatever happened, nothing half-written stays beside the live folders
        for folder in (staging, staging_processed):
            if folder is not None:
                with contextlib.suppress(OSError):
                    workspace.remove_tree(folder)
    step("done", total)
    run.seconds = time.perf_counter() - started
    return run


def _publish(run: ProjectRun, staging: Path, staging_processed: Path, live: tuple[Path, Path], min_cell: int) -> None:
    """Scan, then swap the new folders in (``live``: the report and processed folders): processed data
    first (a file of it open in Excel stops the swap before anything changed), then the report."""
    _enforce_scan(staging, min_cell, run.project)
    run.ok, run.report = True, live[0] / "report.html"
    _write_run(staging, run)
    if staging_processed.is_dir():  # notebooks that do not clean leave the processed data in place
        workspace.replace_folder(staging_processed, live[1])
    workspace.replace_folder(staging, live[0])


def _record_failure(run: ProjectRun, staging: Path | None, live_report: Path, language: str, min_cell: int) -> None:
    """Beside the last good report: error.html, run.json and the failed run's notebooks under error/ (masked)."""
    live_report.mkdir(parents=True, exist_ok=True)
    last_good = (live_report / "report.html").is_file()
    try:
        with workspace.staged_folder(live_report / ERROR_FOLDER) as folder:
            (folder / "notebooks").mkdir()
            for nb in sorted((staging / "notebooks").glob("*.ipynb")) if staging is not None else []:
                text = nb.read_text(encoding="utf-8", errors="replace")
                (folder / "notebooks" / nb.name).write_text(mask_personnummer(text), encoding="utf-8")
            _enforce_scan(folder, min_cell, f"{run.project}/{ERROR_FOLDER}", remove=True)
    except FoljevalError as e:
        run.message += f" ({one_line(e)})"
    _error_page(live_report, run.project, language, run.message, last_good)
    run.report = live_report / "report.html" if last_good else None
    run.error_page = live_report / ERROR_PAGE
    _write_run(live_report, run)


# With several projects in parallel, each kernel gets one thread for BLAS and Arrow: the
# projects already fill the cores, and two kernels each spinning two BLAS threads on two
# cores cost more CPU time than they save.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "ARROW_NUM_THREADS": "1",
}


def _worker(project: str, root: str, lang: str | None, notebooks_dir: str | None, q, options: dict) -> ProjectRun:
    def progress(p: str, name: str, done: int, total: int) -> None:
        q.put((p, name, done, total))

    os.environ.update(SINGLE_THREAD_ENV)  # inherited by the project's kernel
    second_language.BESIDE = False  # the other cores build other projects
    mask_logs()

    return build_project(project, Path(root), lang, Path(notebooks_dir) if notebooks_dir else None, progress, **options)


class _Bar:
    """A rich progress bar with one line per project showing its current notebook."""

    def __init__(self, enabled: bool, projects: list[str]):
        self.enabled = enabled
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.fields[project]:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self.tasks = {p: self.bar.add_task("waiting", project=p, total=None) for p in projects}

    def __enter__(self):
        if self.enabled:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()

    def update(self, project: str, name: str, done: int, total: int) -> None:
        if self.enabled:
            self.bar.update(self.tasks[project], description=name, completed=done, total=total)


def run_reports(
    projects: list[str],
    jobs: int = 1,
    lang: str | None = None,
    root: Path | None = None,
    progress: bool = False,
    notebooks_dir: Path | None = None,
    *,
    steps: StepTable | None = None,
    force: bool = False,
    only: tuple[str, ...] = (),
    pdf: bool = True,
    other_language: bool = True,
    delivery: str | None = None,
    new_key: bool = False,
) -> list[ProjectRun]:
    """Build the reports of ``projects`` (``jobs`` in parallel), then ``reports/index.html``.

    Parameters
    ----------
    projects : list of str
        Folders under ``data/raw/``.
    jobs : int
        Projects built at the same time, each in its own process.
    lang : {"sv", "en"}, optional
        Overrides each project's ``language``.
    root : Path, optional
        Repository root (default: :func:`analysis.project.paths.repo_root`).
    progress : bool
        Show a progress bar (project and notebook) on stderr.
    notebooks_dir : Path, optional
        Where the steps' notebooks are (default ``<root>/notebooks``).
    steps, force, only, pdf, other_language, delivery, new_key
        As for :func:`build_project` (``delivery`` only with one project).

    Returns
    -------
    list of ProjectRun
        In the order of ``projects``; ``ok`` is False for a failed project.
    """
    root = Path(root or paths.repo_root()).resolve()
    # the table itself goes to the worker processes (a table set at run time is not in a fresh process)
    options: dict[str, Any] = {"steps": steps or steps_module.STEPS, "force": force, "only": tuple(only)}
    options |= {"pdf": pdf, "other_language": other_language}
    if delivery or new_key:
        options |= {"delivery": delivery, "new_key": new_key}
    with _Bar(progress, projects) as bar:
        if jobs <= 1 or len(projects) <= 1:
            runs = {p: build_project(p, root, lang, notebooks_dir, bar.update, **options) for p in projects}
        else:
            runs = _run_in_parallel(projects, jobs, root, lang, notebooks_dir, options, bar)
    ordered = [runs[p] for p in projects]
    return _with_index(ordered, root, lang)


def _run_in_parallel(
    projects: list[str],
    jobs: int,
    root: Path,
    lang: str | None,
    notebooks_dir: Path | None,
    options: dict[str, Any],
    bar: _Bar,
) -> dict[str, ProjectRun]:
    """Build the projects in ``jobs`` spawned worker processes, relaying their progress to ``bar``."""
    runs: dict[str, ProjectRun] = {}
    ctx = mp.get_context("spawn")
    with (
        ctx.Manager() as manager,
        cf.ProcessPoolExecutor(max_workers=min(jobs, len(projects)), mp_context=ctx) as pool,
    ):
        q = manager.Queue()
        # longest first (raw data size as the proxy): the last project to start is a short one,
        # so the workers finish together instead of one waiting for a late large project
        futures = {
            pool.submit(_worker, p, str(root), lang, str(notebooks_dir) if notebooks_dir else None, q, options): p
            for p in sorted(projects, key=lambda p: -_raw_bytes(root, p))
        }
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2)
            _drain(q, bar)
            for f in done:
                p = futures[f]
                try:
                    runs[p] = f.result()
                except Exception as e:  # noqa: BLE001 - a worker process died
                    runs[p] = ProjectRun(p, ok=False, message=f"{type(e).__name__}: {one_line(e)}")
        _drain(q, bar)
    return runs


def _with_index(ordered: list[ProjectRun], root: Path, lang: str | None) -> list[ProjectRun]:
    """Write ``reports/index.html``; if its scan finds anything, remove it and add a failed run that says why."""
    from analysis.report.index import build_index
    from analysis.report.scan import scan_file

    index = build_index(root, lang=lang or "sv")
    findings = scan_file(index)
    if findings:
        index.unlink()
        ordered.append(ProjectRun("index.html", ok=False, message="; ".join(map(str, findings[:5]))))
    return ordered


def _raw_bytes(root: Path, project: str) -> int:
    folder = paths.raw_dir(project, root)
    try:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())  # delivery folders included
    except OSError:
        return 0


def _drain(q, bar: _Bar) -> None:
    while True:
        try:
            bar.update(*q.get_nowait())
        except queue_mod.Empty:
            return
