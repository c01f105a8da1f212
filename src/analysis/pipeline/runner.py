"""Run each project's notebooks through papermill and build its report.

For every project, :func:`build_project`, holding the project's lock (a second run of
the same project is refused; :mod:`analysis.project.workspace`),

1. recovers what an interrupted earlier run left behind, then writes everything into
   temporary folders beside ``reports/<project>/`` and ``data/processed/<project>/``
   (the notebooks learn where from the kernel's environment, see
   :class:`analysis.pipeline.notebook.NotebookContext`);
2. executes ``notebooks/NN_*.ipynb`` with papermill (kernel ``python3``, absolute
   paths because papermill may change the working directory, parameters
   ``project``/``root``/``lang``) into ``notebooks/``, and scrubs what differs from run
   to run (timestamps, durations, the random id of the injected-parameters cell);
3. merges ``sections/*.json`` into ``results.json`` and validates it against
   ``resources/schema/results.schema.json``;
4. merges the executed notebooks into one notebook and exports ``report.html``;
5. scans everything it published (:mod:`analysis.report.scan`) and fails the
   project on a personnummer, a small cell or a network reference;
6. only then swaps the new folders in place of the old ones.

**Why notebook 00 runs last.** The summary at the top of the report
(``00_summary``) is generated from ``results.json``, which exists only once the
analysis notebooks have saved their sections. Notebooks whose name starts with
``00_`` are therefore executed after all the others and after ``results.json``
has been merged, and are placed first in the merged report (the merge order is
the file-name order). The alternative, rendering the summary in the runner,
would have put report content outside the notebooks, where an evaluator running
``make lab`` could not see or change it.

**A failing project** stops with one line naming the notebook, the cell and the
error (the exception's message, no traceback, personnummer masked). The last good
``report.html``, ``results.json`` and processed tables stay as they were; beside them
``error.html`` shows the cause, ``error/notebooks/`` holds the failed run's notebooks
(masked) and ``run.json`` records the failure for the red row of the index. The other
projects still finish. An interrupted run (Ctrl-C, a killed process) changes nothing
in place. Projects run in parallel in a process pool (``jobs``).

**One kernel per project.** Starting a kernel and importing pandas, statsmodels
and matplotlib costs a few seconds, more than most notebooks take to run. Each
project therefore gets one kernel that runs all its notebooks in turn: before
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
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.clean.identity import mask_personnummer
from analysis.project import paths, workspace
from analysis.project.config import Project
from analysis.project.errors import FoljevalError, ProjectBusyError

KERNEL = "python3"
SUMMARY_PREFIX = "00_"
ERROR_PAGE = "error.html"
ERROR_FOLDER = "error"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Progress = Callable[[str, str, int, int], None]  # project, step, done, total


@dataclass
class ProjectRun:
    """The outcome of one project's build."""

    project: str
    ok: bool
    report: Path | None = None
    message: str = ""
    notebooks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notebook_seconds: dict[str, float] = field(default_factory=dict)
    refused: bool = False  # another run holds the project's lock; nothing was written
    error_page: Path | None = None

    def summary_line(self) -> str:
        """One line for the console: status, project, time and the report's path or the cause."""
        if self.ok:
            return f"ok      {self.project}: {len(self.notebooks)} notebooks in {self.seconds:.1f} s -> {self.report}"
        if self.refused:
            return f"REFUSED {self.project}: {self.message}"
        where = f" -> {self.error_page}" if self.error_page else ""
        kept = f" (the last good report is kept: {self.report})" if self.report else ""
        return f"FAILED  {self.project}: {self.message}{where}{kept}"

    def to_json(self) -> dict:
        """What the index needs (no times, so that reruns give identical files)."""
        return {"project": self.project, "ok": self.ok, "message": self.message, "notebooks": self.notebooks}


def notebook_paths(notebooks_dir: Path) -> list[Path]:
    """The report's notebooks in report order: ``NN_name.ipynb`` sorted by name."""
    return sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb") if p.is_file())


def execution_order(notebooks: list[Path]) -> list[Path]:
    """Report order, except that summary notebooks (``00_*``) run last (see the module docstring)."""
    return [p for p in notebooks if not p.name.startswith(SUMMARY_PREFIX)] + [
        p for p in notebooks if p.name.startswith(SUMMARY_PREFIX)
    ]


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


def one_line(text: object) -> str:
    """An error message as one line: no colour codes, no line breaks, no personnummer."""
    return " ".join(mask_personnummer(_ANSI.sub("", str(text))).split())


def scrub_notebook(path: Path, root: Path) -> None:
    """Remove what differs between two runs of the same notebook on the same input."""
    import nbformat  # here, not at the top: importing it costs ~1 s (6 s on a busy machine) of every `check`

    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": pm.get("parameters", {}), "version": pm.get("version")}
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:40]
    banner = 0
    for cell in nb.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = f"{stem}-injected-parameters"
        elif (
            cell.cell_type == "markdown"
            and not cell.get("id", "").startswith(stem)
            and "papermill-error-cell-tag" in tags
        ):
            banner += 1
            cell.id = f"{stem}-error-{banner}"
    nbformat.write(nb, path)


def _error_cell(path: Path) -> tuple[str | None, int | None]:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - the partial notebook is only used to name the cell
        return None, None
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("id"), cell.get("execution_count")
    return None, None


class ProjectKernel:
    """One python3 kernel shared by a project's notebooks (see the module docstring)."""

    RESET = "get_ipython().reset(new_session=True, aggressive=False)"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name=KERNEL)
        self.env = {**os.environ, **(env or {})}  # the kernel's environment: where this run writes
        self.used = False

    def __enter__(self) -> ProjectKernel:
        # ipykernel logs a warning about TCP without encryption (local kernel only) and
        # KeyboardInterrupt at shutdown; neither helps, real errors surface in the cells.
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"], env=self.env)
        return self

    def fresh(self):
        """The kernel manager, with an empty namespace and the execution counter at 1."""
        if self.used:
            kc = self.km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=60)
                reply = kc.execute_interactive(
                    self.RESET, silent=True, store_history=False, timeout=60, output_hook=lambda msg: None
                )
                if reply["content"]["status"] != "ok":
                    raise FoljevalError("could not reset the kernel between notebooks")
            finally:
                kc.stop_channels()
        self.used = True
        return self.km

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):  # the kernel may have died already
            self.km.shutdown_kernel(now=True)


def run_notebook(src: Path, out: Path, project: str, root: Path, lang: str, km=None) -> None:
    """Execute one notebook (in ``km``'s kernel when given); raise FoljevalError with one line
    naming the notebook, the cell and the error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    # papermill warns about parameter comments it cannot parse and ipykernel about TCP without
    # encryption (local kernels only); neither helps the evaluator, real errors still surface.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    try:
        pm.execute_notebook(
            str(src.resolve()),
            str(out.resolve()),
            parameters={"project": project, "root": str(root), "lang": lang},
            kernel_name=KERNEL,
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            record_timing=False,
            **({"km": km} if km is not None else {"extra_arguments": ["--IPKernelApp.log_level=CRITICAL"]}),
        )
    except PapermillExecutionError as e:
        cell_id, count = _error_cell(out)
        where = f"cell {cell_id}" if cell_id else f"cell {e.cell_index}"
        if count:
            where += f" (In [{count}])"
        raise FoljevalError(f"notebook {src.name}, {where}: {e.ename}: {one_line(e.evalue)}") from None
    except FoljevalError:
        raise
    except Exception as e:  # noqa: BLE001 - kernel died, bad notebook file, ...: report it as one line
        raise FoljevalError(f"notebook {src.name}: {type(e).__name__}: {one_line(e)}") from None
    finally:
        if out.is_file():
            scrub_notebook(out, root)


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
) -> ProjectRun:
    """Run one project's notebooks and build its report; never raises for a project error.

    The run holds the project's lock (a second run of the same project is refused) and
    writes into temporary folders beside ``reports/<project>`` and
    ``data/processed/<project>``, which replace them only when every step succeeded
    (:mod:`analysis.project.workspace`). A failed run keeps the last good report and
    writes its cause to ``reports/<project>/error.html``; an interrupted one leaves the
    previous folders as they were.
    """
    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order cannot vary between runs
    root = Path(root).resolve()
    if not (paths.raw_dir(project, root) / "project.yml").is_file():
        message = f"no project.yml in {paths.raw_dir(project, root)}; `foljeval list` shows the projects"
        return ProjectRun(project, ok=False, message=message)
    try:
        with workspace.project_lock(project, root):
            workspace.recover_project(project, root)
            return _build_locked(project, root, lang, notebooks_dir, progress)
    except ProjectBusyError as e:
        return ProjectRun(project, ok=False, message=one_line(e), refused=True)


def _build_locked(
    project: str, root: Path, lang: str | None, notebooks_dir: Path | None, progress: Progress | None
) -> ProjectRun:
    from analysis.project.config import load_project

    notebooks = notebook_paths(notebooks_dir or paths.notebooks_dir(root))
    live_report = paths.reports_dir(project, root)
    run = ProjectRun(project, ok=False, notebooks=[p.name for p in notebooks])
    started = time.perf_counter()
    language, min_cell, total = lang or "sv", 5, len(notebooks) + 1

    def step(name: str, done: int) -> None:
        if progress is not None:
            progress(project, name, done, total)

    staging = workspace.new_staging(live_report)
    staging_processed = paths.processed_dir(project, root).with_name(
        staging.name.replace(f".{project}.new", f".{project}.new-processed")
    )
    (staging / "notebooks").mkdir()
    try:
        try:
            proj = load_project(paths.raw_dir(project, root))
            language, min_cell = lang or proj.config.language, proj.config.min_cell
            if not notebooks:
                raise FoljevalError(f"no notebooks NN_*.ipynb in {notebooks_dir or paths.notebooks_dir(root)}")
            _execute(proj, notebooks, staging, staging_processed, root, language, run, step)
            _publish(run, staging, staging_processed, root, min_cell)
        except FoljevalError as e:
            run.ok, run.message = False, one_line(e)
        except Exception as e:  # noqa: BLE001 - isolation: one project's bug must not stop the others
            run.ok, run.message = False, f"{type(e).__name__}: {one_line(e)}"
        if not run.ok:
            _record_failure(run, staging, live_report, language, min_cell)
    finally:  # Ctrl-C included: whatever happened, nothing half-written stays beside the live folders
        for folder in (staging, staging_processed):
            with contextlib.suppress(OSError):
                workspace.remove_tree(folder)
    step("done", total)
    run.seconds = time.perf_counter() - started
    return run


def _execute(
    proj: Project,
    notebooks: list[Path],
    staging: Path,
    staging_processed: Path,
    root: Path,
    language: str,
    run: ProjectRun,
    step: Callable[[str, int], None],
) -> None:
    """Run the notebooks in one kernel, writing into the temporary folders; merge results.json and export."""
    from analysis.report.export import export_html
    from analysis.report.merge import merge_notebooks
    from analysis.report.results_file import write_results

    env = {
        workspace.RUN_PROJECT_ENV: proj.id,
        workspace.RUN_REPORT_DIR_ENV: str(staging),
        workspace.RUN_PROCESSED_DIR_ENV: str(staging_processed),
    }
    results_written = False
    with ProjectKernel(env) as kernel:
        for i, src in enumerate(execution_order(notebooks)):
            if src.name.startswith(SUMMARY_PREFIX) and not results_written:
                write_results(staging, proj)
                results_written = True
            step(src.name, i)
            t0 = time.perf_counter()
            run_notebook(src, staging / "notebooks" / src.name, proj.id, root, language, kernel.fresh())
            run.notebook_seconds[src.name] = time.perf_counter() - t0
    if not results_written:
        write_results(staging, proj)
    step("report.html", len(notebooks))
    merged = merge_notebooks([staging / "notebooks" / p.name for p in notebooks], language, proj.config.name)
    export_html(merged, staging / "report.html", lang=language, title=proj.config.name)


def _publish(run: ProjectRun, staging: Path, staging_processed: Path, root: Path, min_cell: int) -> None:
    """Scan, then swap the new folders in: processed data first (a file of it open in Excel stops the
    swap before anything changed), then the report."""
    _enforce_scan(staging, min_cell, run.project)
    run.ok, run.report = True, paths.reports_dir(run.project, root) / "report.html"
    _write_run(staging, run)
    if staging_processed.is_dir():  # notebooks that do not clean leave the processed data in place
        workspace.replace_folder(staging_processed, paths.processed_dir(run.project, root))
    workspace.replace_folder(staging, paths.reports_dir(run.project, root))


def _record_failure(run: ProjectRun, staging: Path, live_report: Path, language: str, min_cell: int) -> None:
    """Beside the last good report: error.html, run.json and the failed run's notebooks under error/ (masked)."""
    live_report.mkdir(parents=True, exist_ok=True)
    last_good = (live_report / "report.html").is_file()
    try:
        with workspace.staged_folder(live_report / ERROR_FOLDER) as folder:
            (folder / "notebooks").mkdir()
            for nb in sorted((staging / "notebooks").glob("*.ipynb")):
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


def _worker(project: str, root: str, lang: str | None, notebooks_dir: str | None, q) -> ProjectRun:
    def progress(p: str, name: str, done: int, total: int) -> None:
        q.put((p, name, done, total))

    os.environ.update(SINGLE_THREAD_ENV)  # inherited by the project's kernel
    mask_logs()

    return build_project(project, Path(root), lang, Path(notebooks_dir) if notebooks_dir else None, progress)


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
        Where the ``NN_*.ipynb`` notebooks are (default ``<root>/notebooks``).

    Returns
    -------
    list of ProjectRun
        In the order of ``projects``; ``ok`` is False for a failed project.
    """
    from analysis.report.index import build_index
    from analysis.report.scan import scan_file

    root = Path(root or paths.repo_root()).resolve()
    runs: dict[str, ProjectRun] = {}
    with _Bar(progress, projects) as bar:
        if jobs <= 1 or len(projects) <= 1:
            for p in projects:
                runs[p] = build_project(p, root, lang, notebooks_dir, bar.update)
        else:
            ctx = mp.get_context("spawn")
            with (
                ctx.Manager() as manager,
                cf.ProcessPoolExecutor(max_workers=min(jobs, len(projects)), mp_context=ctx) as pool,
            ):
                q = manager.Queue()
                # longest first (raw data size as the proxy): the last project to start is a short one,
                # so the workers finish together instead of one waiting for a late large project
                futures = {
                    pool.submit(_worker, p, str(root), lang, str(notebooks_dir) if notebooks_dir else None, q): p
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
    ordered = [runs[p] for p in projects]
    index = build_index(root, lang=lang or "sv")
    findings = scan_file(index)
    if findings:
        index.unlink()
        ordered.append(ProjectRun("index.html", ok=False, message="; ".join(map(str, findings[:5]))))
    return ordered


def _raw_bytes(root: Path, project: str) -> int:
    folder = paths.raw_dir(project, root)
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except OSError:
        return 0


def _drain(q, bar: _Bar) -> None:
    while True:
        try:
            bar.update(*q.get_nowait())
        except queue_mod.Empty:
            return
