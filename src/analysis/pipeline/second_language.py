"""The report's notebooks in the other language, run in a second kernel beside the build's steps.

A build in Swedish also makes ``report.en.html`` (and an English one ``report.sv.html``). The
notebooks of that page are the steps' notebooks run again with ``lang`` switched: each one
right after its step has run, in a kernel of its own in a worker thread, so that on a machine
with two cores the second language costs little more than its own export. Its executed
notebooks are outputs of their steps (``notebooks/<lang>/<notebook>``): a step skipped by an
incremental build carries them over with its other files, and one changed label reruns the
second language of the steps that show it only.

Each notebook of the second kernel sees, as its report folder, a scratch copy of the run's
sections (and ``results.json``) as they were when its step ended, made before the next step
starts: what it reads is what the step's own run read, whether the steps before it ran in this
build or were carried over, and what it writes is discarded (removed afterwards), never put into
the run's report folder. The cleaning step is not run again: its saved section is shown in the
other language (``show_saved_section``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from analysis.pipeline.inputs import sha256_file
from analysis.pipeline.kernel import ProjectKernel, run_notebook
from analysis.pipeline.steps import Step
from analysis.project import workspace

# Whether the second language gets a kernel of its own, running beside the build's. False in the
# worker processes of ``foljeval report --jobs N`` (N > 1): there the cores are busy with other
# projects already, and a second kernel would only add its start-up and imports; the notebooks
# then run in the build's kernel, each right after its step.
BESIDE = True


class SecondLanguage:
    """Runs each step's notebook in ``lang`` after the step, in a second kernel in a worker thread.

    Use as a context manager around the step loop: :meth:`submit` after a notebook step ran,
    :meth:`wait` before the report step (it returns the executed notebooks, by step, with their
    SHA-256).
    """

    def __init__(
        self,
        staging: Path,
        env: dict[str, str],
        lang: str,
        notebooks_dir: Path,
        params: tuple[str, Path],
        kernel: ProjectKernel,
    ):
        self.staging, self.lang, self.notebooks_dir = staging, lang, notebooks_dir
        self.project, self.root = params
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{staging.name}-{lang}-", dir=staging.parent))
        self.own = BESIDE
        self.kernel = ProjectKernel(env) if self.own else kernel  # the build's kernel when not beside it
        self.home = str(staging)  # the build's kernel's report folder, set back after each notebook
        self.pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="foljeval-second-language") if self.own else None
        )
        self.pending: list[tuple[Step, Future]] = []
        self.submitted = 0
        self.seconds = 0.0  # time spent running notebooks in this language

    def folder(self) -> Path:
        """Where the executed notebooks in this language go: ``notebooks/<lang>/`` of the run's folder."""
        return self.staging / "notebooks" / self.lang

    def __enter__(self) -> SecondLanguage:
        return self

    def submit(self, step: Step) -> None:
        """Queue ``step``'s notebook in this language (it runs after the ones queued before it).

        Called between steps, when no notebook of the build's kernel is writing: the run's
        sections and ``results.json`` are copied now into the notebook's own report folder.
        """
        self.submitted += 1
        view = self.scratch / f"{self.submitted:02d}-{step.name}"
        if (self.staging / "sections").is_dir():
            shutil.copytree(self.staging / "sections", view / "sections")
        view.mkdir(parents=True, exist_ok=True)
        if (self.staging / "results.json").is_file():
            shutil.copy2(self.staging / "results.json", view / "results.json")
        if self.pool is not None:
            self.pending.append((step, self.pool.submit(self._run, step, view)))
            return
        done: Future = Future()
        try:
            done.set_result(self._run(step, view))
        finally:
            self._switch(self.home)
        self.pending.append((step, done))

    def _run(self, step: Step, view: Path) -> str:
        t0 = time.perf_counter()
        name = str(step.notebook)
        src = self._clean_display(name) if step.raw else self.notebooks_dir / name
        out = self.folder() / name
        out.parent.mkdir(parents=True, exist_ok=True)
        self._switch(str(view))
        run_notebook(src, out, self.project, self.root, self.lang, self.kernel.fresh())
        self.seconds += time.perf_counter() - t0
        return sha256_file(out)

    def _switch(self, folder: str) -> None:
        """Point the kernel's notebooks at ``folder`` as their report folder."""
        self.kernel.run_silently(f"import os; os.environ[{workspace.RUN_REPORT_DIR_ENV!r}] = {folder!r}")

    def wait(self) -> dict[str, dict[str, str]]:
        """The notebooks run so far, by step name (``notebooks/<lang>/<nb>`` -> sha256); raises the first failure."""
        done: dict[str, dict[str, str]] = {}
        try:
            for step, future in self.pending:
                done[step.name] = {str(step.executed_in(self.lang)): future.result()}
        finally:
            self.pending = []
        return done

    def _clean_display(self, name: str) -> Path:
        """A notebook that shows the saved cleaning section (the raw data are not read again)."""
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook

        params = new_code_cell('project = ""\nroot = ""\nlang = ""', metadata={"tags": ["parameters"]})
        show = new_code_cell(
            "from analysis.pipeline.notebook import setup\n"
            "from analysis.report.sections.cleaning import show_saved_section\n\n"
            "show_saved_section(setup(project, root, lang))"
        )
        nb = new_notebook(
            cells=[params, show],
            metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        )
        for i, cell in enumerate(nb.cells):
            cell.id = f"{Path(name).stem}-{i:02d}"
        path = self.scratch / "source" / name
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        return path

    def __exit__(self, *exc: object) -> None:
        # a failed step leaves queued notebooks: drop them, let the running one end, stop the kernel
        for _, future in self.pending:
            future.cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.kernel.__exit__()
        shutil.rmtree(self.scratch, ignore_errors=True)
