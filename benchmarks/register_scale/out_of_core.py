"""Out-of-core register panel: clean -> spells -> survival on a project too large for the in-memory path.

    .venv/bin/python benchmarks/register_scale/out_of_core.py --persons 5000000 --memory-limit 3GB

Generates the project with ``generate.py`` if missing (not timed), then in one process:

1. ``persons``: :func:`analysis.clean.outofcore.clean_persons` cleans the person files
   (participants, comparison group) with :func:`analysis.clean.clean_project` in a child
   process, which writes the kept persons to parquet and exits; they come back
   column-wise (keys as pyarrow strings);
2. ``panel``: :func:`analysis.clean.outofcore.panel_to_parquet` cleans the panel CSV in
   DuckDB under ``--memory-limit`` into parquet partitioned by person, with the
   quarantine reconciled; its distinct ids are parsed and pseudonymised a million at a
   time and matched to the kept persons' keys in DuckDB;
3. ``spells``: first spells after the start month and time to first work or study
   (:mod:`analysis.clean.outofcore`, bucket by bucket);
4. ``survival``: Kaplan–Meier by group, log-rank and Cox (Efron) with foljeval's
   in-memory estimators on the person-level spells.

Peak RSS is the process tree's resident memory sampled every 50 ms (as in
``run.py``); the DuckDB memory limit bounds its buffer manager, spilling to disk.
Prints the planted truth beside the estimates (monthly hazard of leaving 0.05,
S(12) = 0.5404).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Sampler, ensure_project, stage_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=5_000_000)
    ap.add_argument("--data", type=Path, help="project folder (default benchmarks/register_scale/data/register-<size>)")
    ap.add_argument(
        "--work", type=Path, default=Path("/tmp/foljeval-ooc"), help="scratch folder for parquet and spill files"
    )
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit (default 3GB)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--buckets", type=int, default=32)
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--in-process", action="store_true", help="clean the person files in this process (default: a child process)"
    )
    args = ap.parse_args(argv)

    data = ensure_project(args.persons, args.data)

    import numpy as np
    import pandas as pd

    from analysis.clean import identity
    from analysis.clean.outofcore import (
        clean_persons,
        first_spells_out_of_core,
        panel_to_parquet,
        time_to_first_out_of_core,
    )
    from analysis.project.config import load_project
    from analysis.project.paths import repo_root
    from analysis.survival.cox import cox_ph
    from analysis.survival.km import kaplan_meier_by
    from analysis.survival.logrank import logrank_test

    out: dict = {
        "project": data.name,
        "date": time.strftime("%Y-%m-%d"),
        "memory_limit": args.memory_limit,
        "threads": args.threads,
        "buckets": args.buckets,
    }
    t_start = time.perf_counter()
    with Sampler() as sampler:
        sampler.mark("persons")
        project = load_project(data)
        cfg = project.config
        key, _ = identity.resolve_key(cfg.synthetic, env=os.environ, repo_root=repo_root())
        people = clean_persons(data, args.work / "persons", separate_process=not args.in_process)
        persons = people.persons

        sampler.mark("panel")
        conv = panel_to_parquet(
            data / cfg.files["status_monthly"].path,
            args.work / "panel",
            kept_keys=people.kept_keys,
            key=key,
            status_values=cfg.files["status_monthly"].values.get("status", {}),
            buckets=args.buckets,
            memory_limit=args.memory_limit,
            threads=args.threads,
        )

        sampler.mark("spells")
        firsts = first_spells_out_of_core(
            conv.dataset,
            persons,
            cfg.panel_work_or_study,
            cfg.bridge_gap_months,
            cfg.data_end,
            memory_limit=args.memory_limit,
            threads=args.threads,
        )
        first = time_to_first_out_of_core(
            conv.dataset,
            persons,
            cfg.panel_work_or_study,
            cfg.data_end,
            memory_limit=args.memory_limit,
            threads=args.threads,
        )

        sampler.mark("survival")
        d, e, g = firsts["duration"].to_numpy(float), firsts["event"].to_numpy(int), firsts["group"].to_numpy(int)
        km = kaplan_meier_by(d, e, g, order=[1, 0])
        lr = logrank_test(d, e, g, order=[1, 0])
        firsts = firsts.dropna(subset=["age_at_start", "gender"])
        x = pd.DataFrame(
            {
                "participant": firsts["group"].astype(float),
                "age_10y": firsts["age_at_start"].astype(float) / 10,
                "female": (firsts["gender"] == "female").astype(float),
            }
        )
        cox = cox_ph(x, firsts["duration"].to_numpy(float), firsts["event"].to_numpy(int), concordance=False)
        sampler.mark(None)
    total = time.perf_counter() - t_start

    hazard = float(e.sum() / d.sum())

    def at(curve, t):  # the step function's value at t
        i = np.searchsorted(curve.timeline, t, side="right") - 1
        return float(curve.survival[i]) if i >= 0 else 1.0

    s12 = {k: at(c, 12) for k, c in km.curves.items()}
    out.update(
        {
            "seconds_total": total,
            "peak_rss": sampler.overall_peak,
            "stages": stage_table(sampler.stages),
            "persons": {
                "rows_read": people.rows_read,
                "rows_kept": people.rows_kept,
                "quarantined": people.quarantined,
                "kept": int(len(persons)),
            },
            "panel": {
                "rows_read": conv.rows_read,
                "rows_kept": conv.rows_kept,
                "quarantined": conv.quarantined,
                "balanced": conv.balanced,
                "seconds": conv.seconds,
            },
            "first_spells": int(len(d)),
            "time_to_first_persons": int(len(first)),
            "monthly_hazard": hazard,
            "planted_hazard": 0.05,
            "survival_12": s12,
            "planted_survival_12": 0.95**12,
            "logrank_p": float(lr.p_value),
            "cox_hazard_ratio_participant": float(np.exp(cox.params["participant"])),
        }
    )
    print(
        f"\n{data.name}: persons -> panel parquet -> spells -> survival in {total:.1f} s, "
        f"peak RSS {sampler.overall_peak / 2**30:.2f} GiB (DuckDB limit {args.memory_limit}, {args.threads} threads)"
    )
    print(f"{'stage':<10}{'wall s':>9}{'peak RSS GiB':>14}")
    for s in out["stages"]:
        print(f"{s['stage']:<10}{s['seconds']:>9.1f}{s['peak_rss'] / 2**30:>14.2f}")
    print(
        f"panel rows read {conv.rows_read:,} = kept {conv.rows_kept:,} + quarantined {conv.rows_quarantined:,} "
        f"{conv.quarantined}; balanced: {conv.balanced}"
    )
    print(
        f"first spells {len(d):,}: monthly hazard of leaving {hazard:.4f} (planted 0.05); S(12) participants "
        f"{s12.get(1, float('nan')):.4f}, comparison {s12.get(0, float('nan')):.4f} (planted {0.95**12:.4f}); "
        f"Cox HR participant {out['cox_hazard_ratio_participant']:.3f} (planted 1)"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    return 0 if conv.balanced else 1


if __name__ == "__main__":
    sys.exit(main())
