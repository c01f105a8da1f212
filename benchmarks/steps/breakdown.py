"""Where a small project's build spends its time: imports and compute, step by step, in one process.

    .venv/bin/python benchmarks/steps/breakdown.py [PROJECT] [--root ROOT] [--top 25] [--prof out.prof]

Runs what ``foljeval report PROJECT --force`` runs, in one plain Python process and in the
order of the steps table: every notebook's code cells with ``exec`` (outputs discarded,
matplotlib's Agg backend), the results step and the report step (merge + HTML export).
It prints

1. the import cost: the wall time of importing every module the notebooks and the runner
   steps import, before any compute (and the same per top-level package, from
   ``python -X importtime`` in a subprocess);
2. the compute per step, timed without a profiler;
3. a cProfile of the compute (imports already done), grouped into what dominates: figures
   (matplotlib drawing and SVG), tables (pandas to HTML), disclosure control, the HTML
   export, results.json validation, the cleaning, and the top functions of ``analysis``.

The root must hold ``data/raw/PROJECT`` and ``notebooks`` (default: the repository; what
the steps write goes to the scratch folders, as for any notebook run by hand). The export
is timed on the executed notebooks of the project's last ``foljeval report`` (skipped
when there are none).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import io
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

GROUPS = {
    "figures (matplotlib draw + SVG)": ("matplotlib/backends/backend_svg.py", "matplotlib/figure.py:3"),
    "tables (DataFrame to HTML)": ("pandas/io/formats/html.py", "pandas/io/formats/style"),
    "disclosure control": ("analysis/disclosure/",),
    "HTML export (nbconvert)": ("nbconvert/",),
    "results.json validation": ("jsonschema/", "referencing/"),
    "pandera checks": ("pandera/",),
}


def step_code(step, root: Path) -> list[str]:
    import nbformat

    nb = nbformat.read(root / "notebooks" / step.notebook, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def run_step(step, project, root: Path, lang: str) -> None:
    """One step, as the runner does it, in this process."""
    import matplotlib.pyplot as plt

    from analysis.pipeline.steps import NOTEBOOK, RESULTS
    from analysis.project import workspace

    scratch = workspace.scratch_report_dir(project.id, root)
    if step.kind == NOTEBOOK:
        ns = {"__name__": "__main__", "project": project.id, "root": str(root), "lang": lang}
        for source in step_code(step, root):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, step.notebook, "exec"), ns)
            plt.close("all")
    elif step.kind == RESULTS:
        from analysis.report.results_file import write_results

        write_results(scratch, project)
    else:
        from analysis.project import paths
        from analysis.report.export import export_html
        from analysis.report.merge import merge_notebooks

        # the notebooks run here are not saved: the export works on those of the last `foljeval report`
        executed = paths.reports_dir(project.id, root) / "notebooks"
        if not executed.is_dir():
            return
        merged = merge_notebooks([executed / s.notebook for s in STEPS_TABLE.report_order], lang, project.config.name)
        export_html(merged, scratch / "report.html", lang=lang, title=project.config.name)


STEPS_TABLE = None


def import_everything(root: Path) -> float:
    from analysis.pipeline.inputs import notebook_imports
    from analysis.pipeline.steps import STEPS

    t0 = time.perf_counter()
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    modules = set().union(*(notebook_imports(root / "notebooks" / s.notebook) for s in STEPS if s.notebook))
    modules |= {m for s in STEPS for m in s.code}
    for m in sorted(modules):
        importlib.import_module(m)
    importlib.import_module("nbconvert")
    return time.perf_counter() - t0


def importtime_by_package(root: Path) -> list[tuple[str, float]]:
    code = (
        "import sys; sys.argv = ['x', sys.argv[1]]; "
        f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import breakdown as p; p.import_everything(p.Path(sys.argv[1]))"
    )
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(root)], capture_output=True, text=True)
    agg: collections.Counter = collections.Counter()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            parts = line[len("import time:") :].split("|")
            agg[parts[2].strip().split(".")[0]] += int(parts[0])
    return [(k, v / 1e6) for k, v in agg.most_common(12)]


def grouped(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of the outermost calls into each group's files."""
    out = dict.fromkeys(GROUPS, 0.0)
    for (file, line, _name), (_cc, _nc, _tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{file}:{line}"
        for group, needles in GROUPS.items():
            if any(n in where for n in needles):
                outer = not any(any(n in f"{cf}:{cl}" for n in needles) for (cf, cl, _cn) in callers)
                if outer:
                    out[group] += ct
    return out


def main(argv: list[str] | None = None) -> int:
    global STEPS_TABLE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project", nargs="?", default="barnfamiljer-goteborg")
    ap.add_argument("--root", type=Path, default=REPO)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--prof", type=Path)
    args = ap.parse_args(argv)
    root = args.root.resolve()
    print("import cost by package (python -X importtime, self time summed per top-level package):")
    for name, seconds in importtime_by_package(root):
        print(f"  {seconds:6.2f} s  {name}")
    imports = import_everything(root)
    from analysis.pipeline.steps import STEPS
    from analysis.project.config import load_project

    STEPS_TABLE = STEPS
    project = load_project(root / "data" / "raw" / args.project)
    lang = project.config.language
    print(f"\nimporting every module the steps use: {imports:.2f} s (wall, this process)")
    timings = {}
    for step in STEPS:
        t0 = time.perf_counter()
        run_step(step, project, root, lang)
        timings[step.name] = time.perf_counter() - t0
    print("compute per step (no profiler): " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    print(f"compute total: {sum(timings.values()):.2f} s")
    prof = cProfile.Profile()
    prof.enable()
    for step in STEPS:
        run_step(step, project, root, lang)
    prof.disable()
    if args.prof:
        prof.dump_stats(str(args.prof))
    stats = pstats.Stats(prof)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "run_step")  # type: ignore[attr-defined]
    print(f"\nprofiled compute (second run, under cProfile): {total:.2f} s; by group (cumulative):")
    for group, seconds in grouped(stats).items():
        print(f"  {seconds:6.2f} s  {group}")
    print(f"\ntop {args.top} functions of analysis by cumulative time:")
    rows = sorted(
        (
            (v[3], f"{Path(k[0]).relative_to(REPO / 'src').as_posix()}:{k[1]}({k[2]})")
            for k, v in stats.stats.items()  # type: ignore[attr-defined]
            if "/src/analysis/" in k[0]
        ),
        reverse=True,
    )
    for seconds, where in rows[: args.top]:
        print(f"  {seconds:6.2f} s  {where}")
    print(json.dumps({"imports": imports, "compute": timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
