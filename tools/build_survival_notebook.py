"""Write notebooks/05_survival.ipynb (fixed cell ids, no outputs). Run: .venv/bin/python tools/build_survival_notebook.py"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", {"tags": ["notebook-only"]}, """# Survival in work or study (notebook notes, not shown in the report)

Spells of work or study from the monthly panel (`analysis.spells`), Kaplan–Meier by intake cohort with numbers at risk,
log-rank, Cox (Efron ties) and the cumulative incidence of first work or study with competing exits
(`analysis.survival`). Reads only `data/processed/<project>/`. Without a monthly panel the section says so."""),
    ("code", {"tags": ["parameters"]}, """project = ""  # folder under data/raw/
root = ""  # repository root; empty means found from the working directory
lang = ""  # sv or en; empty means the language in project.yml"""),
    ("code", {}, """from analysis.notebook import setup
from analysis.results import save_section
from analysis.survival.analysis import survival_analysis
from analysis.survival.publish import show_survival

ctx = setup(project, root, lang)
data_end = ctx.data_end.date()"""),
    ("code", {}, """survival = survival_analysis(ctx.tables, ctx.config, data_end)
show_survival(survival, ctx.lang, data_end)
save_section(ctx.report_dir, "survival", survival.to_results())"""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (foljeval)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, (kind, meta, src) in enumerate(CELLS):
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell.metadata = meta
        cell.id = f"survival-{i:02d}"
        nb.cells.append(cell)
    return nb


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "notebooks" / "05_survival.ipynb"
    nbformat.write(build(), out)
    print(out)
