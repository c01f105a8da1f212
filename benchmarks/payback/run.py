"""Coverage of the payback intervals on the planted simulation (``simulate.py``): ``make benchmark NAME=payback``.

For each replication the 95 % interval of the 5-year (and 1-year) net effect per participant is
checked against the planted truth, for the public sector, society and each actor; the before/after
figure is compared with the truth too. Prints one table and, with ``--json``, writes the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import simulate


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    truth = {h: simulate.truth(horizon=h) for h in (12, simulate.MONTHS)}
    records = []
    t0 = time.time()
    for rep in range(args.reps):
        sim = simulate.draw(rng, args.persons)
        for corrected in (True, False):
            res = simulate.estimate(sim, score_correction=corrected)
            for col in res.columns():
                for h in (12, simulate.MONTHS):
                    iv = res.net(col, h)
                    records.append(
                        {
                            "rep": rep,
                            "score_correction": corrected,
                            "column": col,
                            "horizon": h,
                            "estimate": iv.estimate,
                            "se": iv.se,
                            "covered": iv.lower <= truth[h][col] <= iv.upper,
                            "truth": truth[h][col],
                            "gross": res.net(col, h, "gross").estimate,
                        }
                    )
    df = pd.DataFrame(records)
    summary = (
        df.groupby(["score_correction", "horizon", "column"])
        .agg(
            truth=("truth", "first"),
            mean_estimate=("estimate", "mean"),
            sd_estimate=("estimate", "std"),
            mean_se=("se", "mean"),
            coverage=("covered", "mean"),
            mean_before_after=("gross", "mean"),
        )
        .reset_index()
    )
    summary["bias"] = summary["mean_estimate"] - summary["truth"]
    summary["coverage_mcse"] = np.sqrt(summary["coverage"] * (1 - summary["coverage"]) / args.reps)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    print(f"{args.reps} replications, {args.persons} persons each, seed {args.seed}, {time.time() - t0:.0f} s")
    print(summary.round(3).to_string(index=False))
    if args.json:
        args.json.write_text(json.dumps(summary.to_dict("records"), indent=1), encoding="utf-8")
    main_rows = summary[(summary["score_correction"]) & (summary["horizon"] == simulate.MONTHS)]
    ok = main_rows["coverage"].between(0.93, 0.97).all()
    print("5-year coverage in 93-97 % for every column:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
