"""The staggered-start DiD of the effects notebook on a processed register project: cells, time, peak.

::

    .venv/bin/python benchmarks/register_scale/did_cells.py PROCESSED_DIR RAW_DIR --cohorts 3

builds the person x month outcome grid (work or study) and the covariate design exactly as
``analysis.effects.did.did_analysis`` does, keeps the first ``--cohorts`` start-month cohorts and
every never-starter, and runs ``estimate_attgt`` (improved DR-DiD, every ATT(g, t), aggregations,
simultaneous band, pre-trend test). Prints the cells, the wall time and the peak RSS of this
process; ``--json`` also writes the estimates, to compare two commits.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from analysis.clean.store import ProcessedTables
    from analysis.effects import did as D
    from analysis.effects.attgt import NEVER
    from analysis.effects.design import persons
    from analysis.effects.panel_source import PanelSource
    from analysis.project.config import load_project
    from analysis.project.dates import month_numbers

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("processed", type=Path)
    ap.add_argument("raw", type=Path)
    ap.add_argument("--cohorts", type=int, default=3, help="the first N start-month cohorts (0: all)")
    ap.add_argument("--control", choices=("never", "notyet"), default="never")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    cfg = load_project(args.raw).config
    tables = ProcessedTables(args.processed)
    frame = persons(tables)
    X, complete, _ = D._design(frame, cfg)
    frame = frame[complete].reset_index(drop=True)
    G = np.where(frame["treated"].to_numpy() == 1, month_numbers(frame["t0"]).astype(float), NEVER)
    grid = partial(D.outcome_grid, statuses=list(cfg.panel_work_or_study), data_end=cfg.data_end)
    Y, periods = PanelSource(tables).grid(frame, grid)
    cohorts = np.unique(G[np.isfinite(G)])
    if args.cohorts:
        keep = np.isin(G, cohorts[: args.cohorts]) | ~np.isfinite(G)
        Y, G, X = Y[keep], G[keep], X[keep]
    t0 = time.perf_counter()
    r = D.estimate_attgt(Y, G, X, periods, "work_or_study", "dr", args.control)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"{len(G):,} persons, {r.counts['cells']} cells: {seconds:.1f} s ({seconds / r.counts['cells']:.2f} s per cell), peak {peak:.2f} GiB"
    )
    if args.json:
        out = {"seconds": seconds, "peak_gib": peak, "overall": r.overall, "critical_value": r.critical_value}
        out["cells"] = r.cells[["g", "t", "att", "se"]].to_dict(orient="list")
        args.json.write_text(json.dumps(out, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
