"""Write notebooks/04_effects.ipynb (fixed cell ids, no outputs). Run: .venv/bin/python tools/build_effects_notebook.py"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", {"tags": ["notebook-only"]}, """# Outcome effects (notebook notes, not shown in the report)

Participants against the comparison group (`analysis.effects`): unadjusted difference, regression adjustment,
propensity-score matching (Abadie–Imbens standard errors), inverse-probability weighting and a doubly robust (AIPW)
estimate of the average effect on participants, with balance, overlap, E-values and the event study on the monthly
panel. Reads only `data/processed/<project>/`. Without a comparison group the section says so and shows only the
descriptive before/after."""),
    ("code", {"tags": ["parameters"]}, """project = ""  # folder under data/raw/
root = ""  # repository root; empty means found from the working directory
lang = ""  # sv or en; empty means the language in project.yml"""),
    ("code", {}, """from analysis.notebook import setup
from analysis.results import save_section
from analysis.effects.analysis import effects_analysis
from analysis.effects.publish import show_effects

ctx = setup(project, root, lang)
data_end = ctx.data_end.date()"""),
    ("code", {}, """effects = effects_analysis(ctx.tables, ctx.config, data_end)
show_effects(effects, ctx.lang)
_ = save_section(ctx.report_dir, "effects", effects.to_results())"""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (foljeval)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, (kind, meta, src) in enumerate(CELLS):
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell.metadata = meta
        cell.id = f"effects-{i:02d}"
        nb.cells.append(cell)
    return nb


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "notebooks" / "04_effects.ipynb"
    nbformat.write(build(), out)
    print(out)
