"""Run each project's notebooks through papermill and build its report.

For every project, :func:`build_project`

1. empties ``reports/<project>/`` (stale sections must not leak into a new report);
2. executes ``notebooks/NN_*.ipynb`` with papermill (kernel ``python3``, absolute
   paths because papermill may change the working directory, parameters
   ``project``/``root``/``lang``) into ``reports/<project>/notebooks/``, and scrubs
   what differs from run to run (timestamps, durations, the random id of the
   injected-parameters cell);
3. merges ``sections/*.json`` into ``results.json`` and validates it against
   ``resources/schema/results.schema.json``;
4. merges the executed notebooks into one notebook and exports ``report.html``;
5. scans everything it published (:mod:`analysis.report.scan`) and fails the
   project on a personnummer, a small cell or a network reference.

**Why notebook 00 runs last.** The summary at the top of the report
(``00_summary``) is generated from ``results.json``, which exists only once the
analysis notebooks have saved their sections. Notebooks whose name starts with
``00_`` are therefore executed after all the others and after ``results.json``
has been merged, and are placed first in the merged report (the merge order is
the file-name order). The alternative, rendering the summary in the runner,
would have put report content outside the notebooks, where an evaluator running
``make lab`` could not see or change it.

A failing notebook stops its project with one line naming the notebook, the cell
and the error (the exception's message, no traceback); ``report.html`` becomes a
short error page, ``run.json`` records the failure for the red row of the index,
and the other projects still finish. Projects run in parallel in a process pool
(``jobs``).

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
import multiprocessing as mp
import os
import queue as queue_mod
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from analysis.project import paths
from analysis.project.errors import FoljevalError

KERNEL = "python3"
SUMMARY_PREFIX = "00_"
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

    def summary_line(self) -> str:
        """One line for the console: status, project, time and the report's path or the cause."""
        if self.ok:
            return f"ok      {self.project}: {len(self.notebooks)} notebooks in {self.seconds:.1f} s -> {self.report}"
        return f"FAILED  {self.project}: {self.message}"

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


def one_line(text: str) -> str:
    """An error message as one line: no colour codes, no line breaks, no personnummer."""
    from analysis.clean.identity import find_personnummer_in_text
    from analysis.report.scan import mask

    text = _ANSI.sub("", str(text))
    for pnr in set(find_personnummer_in_text(text)):
        text = text.replace(pnr, mask(pnr))
    return " ".join(text.split())


def scrub_notebook(path: Path, root: Path) -> None:
    """Remove what differs between two runs of the same notebook on the same input."""
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

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name=KERNEL)
        self.used = False

    def __enter__(self) -> ProjectKernel:
        # ipykernel logs a warning about TCP without encryption (local kernel only) and
        # KeyboardInterrupt at shutdown; neither helps, real errors surface in the cells.
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
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
    import logging

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


def _error_page(report_dir: Path, project: str, lang: str, message: str) -> Path:
    import html

    from analysis.report.export import simple_page
    from analysis.report.i18n import t

    body = (
        f"<h1>{html.escape(t('rep_error_title', lang))}: {html.escape(project)}</h1>"
        f'<p>{html.escape(t("rep_error_intro", lang))}</p><p class="fe-error">{html.escape(message)}</p>'
        f"<p>{html.escape(t('rep_error_hint', lang, command=f'foljeval report {project}'))}</p>"
    )
    out = report_dir / "report.html"
    out.write_text(simple_page(body, lang=lang, title=f"{t('rep_error_title', lang)}: {project}"), encoding="utf-8")
    return out


def _enforce_scan(report_dir: Path, min_cell: int) -> None:
    """Scan the published files; remove offending files and fail when anything is found."""
    from analysis.report.scan import scan_report

    findings = scan_report(report_dir, min_cell)
    if not findings:
        return
    for f in {f.file for f in findings}:
        (report_dir.parent / f).unlink(missing_ok=True)  # never leave a finding published
    shown = "; ".join(str(f) for f in findings[:3]) + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
    raise FoljevalError(f"the publication scan failed: {shown}")


def build_project(
    project: str,
    root: Path,
    lang: str | None = None,
    notebooks_dir: Path | None = None,
    progress: Progress | None = None,
) -> ProjectRun:
    """Run one project's notebooks and build its report; never raises for a project error."""
    from analysis.project.config import load_project
    from analysis.report.export import export_html
    from analysis.report.merge import merge_notebooks
    from analysis.report.results_file import write_results

    os.environ.setdefault("PYTHONHASHSEED", "0")  # kernels inherit it: set order cannot vary between runs
    root = Path(root).resolve()
    notebooks = notebook_paths(notebooks_dir or paths.notebooks_dir(root))
    report_dir = paths.reports_dir(project, root)
    run = ProjectRun(project, ok=False, notebooks=[p.name for p in notebooks])
    started = time.perf_counter()
    language = lang or "sv"
    min_cell = 5
    total = len(notebooks) + 1

    def step(name: str, done: int) -> None:
        if progress is not None:
            progress(project, name, done, total)

    if report_dir.exists():
        shutil.rmtree(report_dir)
    (report_dir / "notebooks").mkdir(parents=True)
    try:
        proj = load_project(paths.raw_dir(project, root))
        language = lang or proj.config.language
        min_cell = proj.config.min_cell
        if not notebooks:
            raise FoljevalError(f"no notebooks NN_*.ipynb in {notebooks_dir or paths.notebooks_dir(root)}")
        results_written = False
        with ProjectKernel() as kernel:
            for i, src in enumerate(execution_order(notebooks)):
                if src.name.startswith(SUMMARY_PREFIX) and not results_written:
                    write_results(report_dir, proj)
                    results_written = True
                step(src.name, i)
                t0 = time.perf_counter()
                run_notebook(src, report_dir / "notebooks" / src.name, project, root, language, kernel.fresh())
                run.notebook_seconds[src.name] = time.perf_counter() - t0
        if not results_written:
            write_results(report_dir, proj)
        step("report.html", len(notebooks))
        executed = [report_dir / "notebooks" / p.name for p in notebooks]
        title = proj.config.name
        merged = merge_notebooks(executed, language, title)
        export_html(merged, report_dir / "report.html", lang=language, title=title)
        _enforce_scan(report_dir, min_cell)
        run.ok, run.report = True, report_dir / "report.html"
    except FoljevalError as e:
        run.message = one_line(e)
    except Exception as e:  # noqa: BLE001 - isolation: one project's bug must not stop the others
        run.message = f"{type(e).__name__}: {one_line(e)}"
    if not run.ok:
        try:
            _error_page(report_dir, project, language, run.message)
            _enforce_scan(report_dir, min_cell)
        except FoljevalError as e:
            run.message += f" ({one_line(e)})"
        run.report = report_dir / "report.html"
    (report_dir / "run.json").write_text(
        json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    step("done", total)
    run.seconds = time.perf_counter() - started
    return run


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
