"""Planted-dip coverage benchmark: static comparison vs the panel-built comparison (start now vs not now).

::

    .venv/bin/python benchmarks/comparison/run.py --reps 500 --jobs 2 --out benchmarks/comparison/results

Each replication draws a new data set from :mod:`dip` (3 000 persons x 60 months), estimates every
estimator with both designs, and compares them with the Monte Carlo truth of the estimand of that
replication. Prints, per design x estimator x outcome: mean bias, RMSE, mean SE, SD of the
estimates and coverage of the 95 % interval; writes ``summary.csv``, ``replications.csv`` and
``coverage.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per worker: two workers on two cores
from concurrent.futures import ProcessPoolExecutor  # noqa: E402 - after the thread settings
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FOLLOWUP = (6, 12)


def one(seed: int, n: int = 3000) -> list[dict]:
    import dip

    from analysis.effects.adjust import EffectOptions, run_estimators
    from analysis.effects.design import Sample, covariate_matrix, panel_status_at, persons
    from analysis.effects.panel_design import build_panel_design, panel_sample
    from analysis.effects.propensity import fit_propensity
    from analysis.project.comparison import ComparisonSpec

    sim = dip.simulate(n, seed=seed, followup=FOLLOWUP)
    tab = dip.tables(sim)
    frame = persons(tab)
    end = "2019-12-31"
    rows = []

    def record(design, k, sample):
        ps = fit_propensity(sample.X, sample.d)
        res, _, _, _ = run_estimators(sample, ps, EffectOptions())
        for r in res:
            lo, hi = r.ci
            truth = sim["truth"][k]
            rows.append(
                {
                    "seed": seed,
                    "design": design,
                    "months": k,
                    "estimator": r.estimator,
                    "estimate": r.estimate,
                    "se": r.se,
                    "truth": truth,
                    "covers": lo <= truth <= hi,
                }
            )

    spec = ComparisonSpec.model_validate({"from": "panel", "eligible_statuses": ["income_support"]})
    des = build_panel_design(frame, spec, ["work"], list(FOLLOWUP), end, panel=tab["status_monthly"])
    for k in FOLLOWUP:
        record("panel", k, panel_sample(des, f"wos_{k}m"))
    y_all = panel_status_at(frame, tab["status_monthly"], list(FOLLOWUP), ["work"], end)
    X, complete = covariate_matrix(frame, ["age_at_start", "gender", "education", "support_before_months"])
    for k in FOLLOWUP:
        y = y_all[f"wos_{k}m"].to_numpy()
        keep = complete & ~np.isnan(y)
        d = frame["treated"].to_numpy()[keep].astype(np.int8)
        record("static", k, Sample(y=y[keep], d=d, X=X.loc[frame.index[keep]], kind="binary"))
    return rows


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    g = df.assign(err=df["estimate"] - df["truth"]).groupby(["design", "months", "estimator"], sort=False)
    return pd.DataFrame(
        {
            "reps": g.size(),
            "truth": g["truth"].mean(),
            "bias": g["err"].mean(),
            "rmse": g["err"].apply(lambda e: float(np.sqrt(np.mean(e**2)))),
            "mean_se": g["se"].mean(),
            "sd_estimate": g["estimate"].std(),
            "coverage": g["covers"].mean(),
        }
    )


def plot(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, k in zip(axes, FOLLOWUP):
        part = summary.xs(k, level="months")
        for i, design in enumerate(("static", "panel")):
            if design not in part.index.get_level_values(0):
                continue
            p = part.xs(design, level="design")
            ax.barh(np.arange(len(p)) + 0.4 * i, p["coverage"], height=0.4, label=design)
            ax.set_yticks(np.arange(len(p)) + 0.2, p.index)
        ax.axvspan(0.93, 0.97, color="grey", alpha=0.2)
        ax.axvline(0.95, color="black", lw=0.8)
        ax.set_xlim(0, 1)
        ax.set_title(f"work {k} months after start: 95 % CI coverage")
    axes[0].legend(frameon=False, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.reps))
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [r for part in pool.map(one, seeds, chunksize=4) for r in part]
    df = pd.DataFrame(rows)
    df.to_csv(args.out / "replications.csv", index=False)
    summary = summarise(df)
    summary.to_csv(args.out / "summary.csv")
    plot(summary, args.out / "coverage.png")
    with pd.option_context("display.width", 160, "display.float_format", "{:.4f}".format):
        print(summary)
    print(f"{args.reps} replications in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
