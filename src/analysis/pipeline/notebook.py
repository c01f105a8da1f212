"""What every notebook does first: validate the parameters and load the project.

Where a notebook writes depends on who runs it. Run by ``foljeval report``, it writes into
the run's temporary folders (the runner names them in the kernel's environment), which
replace ``reports/<project>/`` and ``data/processed/<project>/`` when the whole build
succeeded. Run by hand (``foljeval lab``, JupyterLab, a script), it writes into the
project's scratch folders ``reports/.scratch/<project>/`` and
``data/processed/.scratch/<project>/``, so interactive work never changes a published
report or the processed data it was built from. It reads the processed tables of its own
run when the cleaning notebook has written them there, else the last good build's.

An empty ``project`` parameter falls back to ``FOLJEVAL_PROJECT``, which ``foljeval lab
PROJECT`` sets for every kernel it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.project import paths, workspace
from analysis.project.config import Project, load_project
from analysis.project.errors import FoljevalError

if TYPE_CHECKING:
    from analysis.report.section import SectionResult


@dataclass
class NotebookContext:
    """The project a notebook runs for, with absolute paths (papermill changes the cwd)."""

    project: Project
    lang: str
    root: Path
    _tables: Any = field(default=None, repr=False)

    @property
    def config(self):
        return self.project.config

    def _run_dir(self, variable: str) -> Path | None:
        """The folder a ``foljeval report`` run of this project writes to instead (see the runner)."""
        if os.environ.get(workspace.RUN_PROJECT_ENV) == self.project.id and os.environ.get(variable):
            return Path(os.environ[variable])
        return None

    @property
    def interactive(self) -> bool:
        """True when the notebook is not run by ``foljeval report`` (it writes to the scratch folders)."""
        return self._run_dir(workspace.RUN_REPORT_DIR_ENV) is None

    @property
    def processed_dir(self) -> Path:
        """Where the cleaning step writes: the run's temporary folder, or the scratch folder when run by hand."""
        return self._run_dir(workspace.RUN_PROCESSED_DIR_ENV) or workspace.scratch_processed_dir(
            self.project.id, self.root
        )

    @property
    def report_dir(self) -> Path:
        """Where the sections go: the run's temporary folder, or the scratch folder when run by hand."""
        return self._run_dir(workspace.RUN_REPORT_DIR_ENV) or workspace.scratch_report_dir(self.project.id, self.root)

    @property
    def results_dir(self) -> Path:
        """Where ``results.json`` is read from: the run's folder, or by hand the scratch folder when it
        has one, else the last good report."""
        own = self.report_dir
        if not self.interactive or (own / "results.json").is_file():
            return own
        return paths.reports_dir(self.project.id, self.root, self.project.delivery_name)

    @property
    def _read_dir(self) -> Path:
        # A run whose notebooks do not clean reads the processed data already in place.
        staged = self.processed_dir
        if (staged / "manifest.json").is_file():
            return staged
        return paths.processed_dir(self.project.id, self.root, self.project.delivery_name)

    @property
    def tables(self):
        """The processed tables, a read-only mapping that reads each one on first use."""
        if self._tables is None:
            from analysis.clean.store import ProcessedTables

            self._tables = ProcessedTables(self._read_dir)
        return self._tables

    @property
    def manifest(self) -> dict:
        from analysis.clean.store import read_manifest

        return read_manifest(self._read_dir)

    @property
    def data_end(self) -> pd.Timestamp:
        return pd.Timestamp(self.manifest["data_end"])

    def publish(self, section: SectionResult) -> None:
        """Show a section (a :class:`analysis.report.section.SectionResult`) and save its results.json node.

        Returns nothing, so nothing of it is printed into the report.
        """
        from analysis.report.results import save_section

        section.show(self.lang)
        save_section(self.report_dir, section.name, section.to_results())


def setup(project: str, root: str = "", lang: str = "") -> NotebookContext:
    """Validate notebook parameters, load project.yml and set the plotting style.

    Papermill only warns about unknown parameters, so the values are checked here. An empty
    ``project`` falls back to the ``FOLJEVAL_PROJECT`` environment variable (``foljeval lab``).

    Example
    -------
    >>> ctx = setup("alv-vast")  # doctest: +SKIP
    >>> ctx.report_dir  # doctest: +SKIP
    PosixPath('.../reports/.scratch/alv-vast')
    """
    project = project or os.environ.get(workspace.PROJECT_ENV, "")
    if not project:
        raise FoljevalError(
            "the notebook parameter 'project' is empty; run it with `foljeval report PROJECT`, "
            'open it with `foljeval lab PROJECT`, or set project = "..." in the parameters cell'
        )
    root_path = Path(root).resolve() if root else paths.repo_root()
    # a run of `foljeval report --delivery` names its delivery; by hand, the newest delivery
    delivery = (
        os.environ.get(workspace.RUN_DELIVERY_ENV) if os.environ.get(workspace.RUN_PROJECT_ENV) == project else None
    )
    proj = load_project(paths.raw_dir(project, root_path), delivery or None)
    language = lang or proj.config.language
    if language not in ("sv", "en"):
        raise FoljevalError(f"the notebook parameter 'lang' must be sv or en, got {lang!r}")
    from analysis.report.labels import use_project_labels
    from analysis.report.style import set_style

    set_style()
    use_project_labels(proj.config.labels)
    return NotebookContext(project=proj, lang=language, root=root_path)
