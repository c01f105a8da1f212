"""Fixtures for the runner and report tests: a tiny notebooks folder and built reports.

The reports are built once per test process (each notebook costs a kernel start),
from the messy ``mini`` project of conftest.py, so that these tests do not depend
on the analysis notebooks written elsewhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis.pipeline.steps import STEPS, Step, StepTable, with_report
from conftest import ROOT, mini_project

PARAMS = 'project = ""  # folder under data/raw/\nroot = ""  # repository root\nlang = ""  # sv or en'
KERNELSPEC = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

DEMO = """
import matplotlib.pyplot as plt
import pandas as pd
from analysis.pipeline.notebook import setup
from analysis.report.display import show_figure, show_table, show_text
from analysis.report.results import save_section

ctx = setup(project, root, lang)
n = len(ctx.tables["participants"])
show_text("# Demo\\n\\nEn mening.")
show_text("## Del")
show_table(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "Demotabell")
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [1, 3, 2])
show_figure(fig, "Demofigur")
show_text("## Del")  # a duplicate heading: its id must be made unique
save_section(ctx.report_dir, "demo", {"participants_read": n})
"""


def write_notebook(path: Path, prefix: str, code: list[str], note: str = "notes") -> Path:
    nb = new_notebook()
    nb.metadata = dict(KERNELSPEC)
    cells = [
        new_markdown_cell(note, metadata={"tags": ["notebook-only"]}),
        new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
    ] + [new_code_cell(c) for c in code]
    for i, c in enumerate(cells):
        c.id = f"{prefix}-{i:02d}"
    nb.cells = cells
    nbformat.write(nb, path)
    return path


# The steps of tiny_notebooks(): the repository's clean, appendix and summary steps and the demo notebook.
TINY_STEPS = with_report(
    (
        STEPS["clean"],
        Step("demo", "02_demo.ipynb", upstream=("clean",), config=("min_cell",), outputs=("sections/demo.json",)),
        STEPS["appendix"],
    ),
    after=(STEPS["summary"],),
    report_order=("summary", "clean", "demo", "appendix"),
)


def tiny_notebooks(folder: Path) -> Path:
    """00_summary, 01_clean and 99_appendix from the repository plus a demo notebook with a table and an SVG
    (the steps are :data:`TINY_STEPS`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("00_summary.ipynb", "01_clean.ipynb", "99_appendix.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, folder / name)
    write_notebook(folder / "02_demo.ipynb", "demo", [DEMO])
    return folder


def make_mini(root: Path, name: str = "mini") -> Path:
    """The conftest ``mini`` project under ``root`` (optionally under another name)."""
    fn = getattr(mini_project, "__wrapped__", None) or mini_project._get_wrapped_function()
    folder, _ = fn(root)
    if name != "mini":
        folder = folder.rename(folder.with_name(name))
    return folder


_BUILT: dict[str, tuple] = {}


def reports_bytes(root: Path) -> dict[str, bytes]:
    """The bytes of every file under ``root/reports``, by path relative to ``root``."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "reports").rglob("*")) if p.is_file()
    }


def built_twice(base: Path) -> tuple[Path, dict[str, bytes], list]:
    """Build the mini project's report, then rebuild every step (``force``) in the same root
    (SOURCE_DATE_EPOCH fixed).

    Returns the root, the bytes of every file under reports/ after the first build, and the runs of the second.
    """
    import os

    from analysis.pipeline.runner import run_reports

    key = str(base)
    if key not in _BUILT:
        root = base / "repo"
        make_mini(root)
        nbdir = tiny_notebooks(base / "notebooks")
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        run_reports(["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, pdf=False, other_language=False)
        first = reports_bytes(root)
        runs = run_reports(
            ["mini"], root=root, notebooks_dir=nbdir, steps=TINY_STEPS, force=True, pdf=False, other_language=False
        )
        _BUILT[key] = (root, first, runs)
    return _BUILT[key]


def runs_steps() -> StepTable:
    """The steps of tests/test_runs.py's notebooks: the repository's clean, then 03_gate and 04_fail."""
    return with_report(
        (
            STEPS["clean"],
            Step("gate", "03_gate.ipynb", upstream=("clean",)),
            Step("fail", "04_fail.ipynb", upstream=("gate",)),
        )
    )


def install_steps(name: str) -> None:
    """Make a table of this module the default (for a ``foljeval`` command run in a subprocess)."""
    from analysis.pipeline import steps

    steps.STEPS = {"runs": runs_steps, "tiny": lambda: TINY_STEPS}[name]()
