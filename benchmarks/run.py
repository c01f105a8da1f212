"""List the documented benchmarks, or run one by name: ``make benchmark [NAME=name] [ARGS="..."]``.

Each benchmark is a script in this folder; its figures, with date and commit, are in
``benchmarks/README.md``. Benchmarks are never part of ``make test``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (script, default arguments, what it measures)
BENCHMARKS: dict[str, tuple[str, list[str], str]] = {
    "register": (
        "register_scale/run.py",
        ["--persons", "1000000"],
        "raw files -> report.html on a register-scale project, per stage, vs lifelines/statsmodels",
    ),
    "out-of-core": (
        "register_scale/out_of_core.py",
        ["--persons", "5000000", "--memory-limit", "3GB"],
        "the panel steps out of core (DuckDB over partitioned parquet)",
    ),
    "effects-chunked": (
        "register_scale/effects_chunked.py",
        ["--persons", "10000000"],
        "propensity logit, regression, IPW, AIPW and DiD by chunked accumulation at register size",
    ),
    "scaling": (
        "register_scale/scaling.py",
        ["--out", "/tmp/foljeval-scaling-json"],
        "the register path's time and peak per stage at 10 k / 100 k / 1 M / 5 M / 10 M persons, and the slope",
    ),
    "comparison": (
        "comparison/run.py",
        ["--reps", "500", "--jobs", "2"],
        "planted Ashenfelter's dip: static vs panel-built comparison, bias and 95 % coverage per estimator",
    ),
    "staggered": (
        "staggered/run.py",
        ["--reps", "500", "--jobs", "2"],
        "planted staggered starts: ATT(g,t), event-time and overall DiD effects, sup-t band; bias and coverage",
    ),
    "subgroups": (
        "subgroups/run.py",
        ["--reps", "500", "--jobs", "2"],
        "planted subgroup effects (by sex, by track): AIPW coverage, size and power of the heterogeneity test",
    ),
    "jobs": ("jobs/run.py", [], "foljeval report --all --jobs 1 vs --jobs 2 on the examples plus copies"),
    "overhead": ("jobs/overhead.py", [], "papermill + kernel vs the same notebook code in one plain process"),
    "payback": (
        "payback/run.py",
        ["--reps", "1000"],
        "coverage of the payback intervals (1- and 5-year net per actor) on a planted simulation",
    ),
    "fuzz": (
        "fuzz/run.py",
        ["--cases", "5000", "--seed", "1", "--out", "/tmp/foljeval-fuzz-crashes"],
        "whole-file fuzzing of the cleaning step and check (csv/xlsx/yml), broken promises grouped by cause",
    ),
    "check": (
        "check/run.py",
        ["--persons", "100000"],
        "foljeval check wall and CPU time vs its limit of 10 s + 2 s per MB (examples, a mutated panel, a register)",
    ),
}


def main(argv: list[str]) -> int:
    name = argv[0] if argv else ""
    if not name:
        print("benchmarks (make benchmark NAME=<name> [ARGS='...']; figures in benchmarks/README.md):")
        for key, (script, args, what) in BENCHMARKS.items():
            print(f"  {key:<14} {what}\n  {'':<14} python benchmarks/{script} {' '.join(args)}")
        return 0
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    script, args, _ = BENCHMARKS[name]
    extra = shlex.split(os.environ.get("ARGS", "")) or args
    return subprocess.call([sys.executable, str(HERE / script), *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
