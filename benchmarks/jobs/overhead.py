"""Papermill's overhead: the report notebooks through the runner vs the same code in one plain process.

    .venv/bin/python benchmarks/jobs/overhead.py [PROJECT ...]

For each example project (default: all five) this times

* ``runner``: the notebooks executed as ``foljeval report`` does (one kernel per project,
  papermill, scrubbing), without the HTML export, i.e. the per-notebook seconds that
  :func:`analysis.pipeline.runner.build_project` records;
* ``plain``: the code cells of the same notebooks, with the same parameters, executed
  with ``exec`` one after the other in a fresh Python process (imports included, outputs
  discarded, a non-interactive matplotlib backend).

The difference is what papermill and the kernel cost. Results go to stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = ["alv-vast", "barnfamiljer-goteborg", "c2-lycksele", "etableringsresurs-vasteras", "framtidsjobb-avesta"]

PLAIN = r"""
import io, json, sys, time, contextlib
t0 = time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
from analysis.pipeline.runner import execution_order, notebook_paths
from analysis.report.results_file import write_results
from analysis.project.config import load_project
from analysis import paths
project, root = sys.argv[1], sys.argv[2]
root_p = __import__("pathlib").Path(root)
proj = load_project(paths.raw_dir(project, root_p))
notebooks = execution_order(notebook_paths(paths.notebooks_dir(root_p)))
report_dir = paths.reports_dir(project, root_p)
done_results = False
for nb_path in notebooks:
    if nb_path.name.startswith("00_") and not done_results:
        write_results(report_dir, proj); done_results = True
    nb = nbformat.read(nb_path, as_version=4)
    ns = {"__name__": "__main__"}
    exec(f"project = {project!r}\nroot = {root!r}\nlang = ''", ns)
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, str(nb_path), "exec"), ns)
        plt.close("all")
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def main(argv: list[str]) -> int:
    projects = argv or EXAMPLES
    sys.path.insert(0, str(REPO / "src"))
    rows = []
    for project in projects:
        # the plain process first: it also (re)writes data/processed, as the cleaning notebook does
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(REPO / ".venv" / "bin" / "python"), "-c", PLAIN, project, str(REPO)], capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"{project}: plain run failed\n{done.stderr[-2000:]}")
        plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = subprocess.run(
            [
                str(REPO / ".venv" / "bin" / "python"),
                "-c",
                "import json,sys; from analysis.pipeline.runner import build_project; "
                "r = build_project(sys.argv[1], sys.argv[2]); "
                "print(json.dumps({'ok': r.ok, 'notebooks': sum(r.notebook_seconds.values()), 'total': r.seconds}))",
                project,
                str(REPO),
            ],
            capture_output=True,
            text=True,
        )
        runner_wall = time.perf_counter() - t0
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((project, plain, r["notebooks"], runner_wall))
        print(
            f"{project:<28} plain process {plain:6.1f} s | runner: notebooks {r['notebooks']:6.1f} s, "
            f"whole process incl. HTML export {runner_wall:6.1f} s | overhead of papermill+kernel "
            f"{r['notebooks'] - plain:+5.1f} s",
            flush=True,
        )
    tp, tn = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(
        f"{'all':<28} plain {tp:.1f} s, runner notebooks {tn:.1f} s: overhead {tn - tp:+.1f} s ({(tn / tp - 1) * 100:+.0f} %)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
