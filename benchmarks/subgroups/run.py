"""Coverage of the subgroup effects (AIPW by sex and by track) and the size and power of the heterogeneity test.

::

    .venv/bin/python benchmarks/subgroups/run.py --reps 500 --jobs 2 --out benchmarks/subgroups/results

Each replication draws 2 000 persons: participation from a logit in ``x`` and sex, a 0/1 outcome
whose planted effect on participants is 0.15 for women and 0.05 for men (design "hetero") or 0.10
for both (design "equal"), and a track for each participant drawn at random (so the tracks' true
effects are equal: the mean effect of their participants). :func:`analysis.effects.subgroups.subgroup_estimates`
(AIPW, ``min_cell`` 5) gives each subgroup's estimate and 95 % interval, the Wald test of equal
effects per dimension and Holm's adjustment. Recorded: whether each interval covers the planted
subgroup ATT (the mean planted effect over the subgroup's participants in that draw), and how often
the heterogeneity test rejects at 5 % (size under "equal" and for the tracks, power for sex under
"hetero"). Writes ``summary.csv`` and ``replications.csv`` to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DESIGNS = {"hetero": (0.15, 0.05), "equal": (0.10, 0.10)}


def draw(seed: int, effects: tuple[float, float], n: int = 2000):
    from analysis.effects.design import Sample

    rng = np.random.default_rng(seed)
    female = rng.random(n) < 0.5
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.5 * x + 0.3 * female)))).astype(np.int8)
    effect = np.where(female, effects[0], effects[1])
    base = 0.3 + 0.1 * x + 0.05 * female
    p = np.clip(base + effect * d, 0.01, 0.99)
    y = (rng.random(n) < p).astype(float)
    # the planted ATT of a subgroup: the mean over its participants of p(1) - p(0), clipping included
    tau = np.clip(base + effect, 0.01, 0.99) - np.clip(base, 0.01, 0.99)
    track = np.where(rng.random(n) < 0.5, "study", "work")
    labels = {
        "gender": pd.Series(np.where(female, "female", "male")),
        "track": pd.Series(np.where(d == 1, track, None)),
    }
    X = pd.DataFrame({"x": x, "female": female.astype(float)})
    truth = {
        ("gender", "female"): tau[(d == 1) & female].mean(),
        ("gender", "male"): tau[(d == 1) & ~female].mean(),
        ("track", "study"): tau[(d == 1) & (track == "study")].mean(),
        ("track", "work"): tau[(d == 1) & (track == "work")].mean(),
    }
    return Sample(y=y, d=d, X=X, outcome="y", kind="binary"), labels, truth


def one(seed: int) -> list[dict]:
    from analysis.effects.subgroups import subgroup_estimates

    rows = []
    for design, effects in DESIGNS.items():
        sample, labels, truth = draw(seed, effects)
        r = subgroup_estimates(sample, labels, "aipw", 5)
        t = r.summary()
        tests = r.tests.set_index("dimension")
        for (dim, level), true in truth.items():
            e = t.loc[(dim, level)]
            rows.append(
                {
                    "seed": seed, "design": design, "target": f"{dim}:{level}", "truth": true,
                    "estimate": e["estimate"], "se": e["se"],
                    "covered": bool(e["lower"] <= true <= e["upper"]), "p_holm": e["p_holm"],
                }
            )  # fmt: skip
        for dim in ("gender", "track"):
            rows.append(
                {
                    "seed": seed, "design": design, "target": f"test:{dim}",
                    "rejected": bool(tests.loc[dim, "p"] < 0.05), "rejected_holm": bool(tests.loc[dim, "p_holm"] < 0.05),
                }
            )  # fmt: skip
    return rows


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    est = reps[reps["target"].str.startswith(("gender", "track"))]
    a = est.groupby(["design", "target"]).agg(
        reps=("seed", "size"), truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
        sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"),
    )  # fmt: skip
    a["bias"] = a["mean_estimate"] - a["truth"]
    tests = reps[reps["target"].str.startswith("test")]
    b = tests.groupby(["design", "target"]).agg(
        reps=("seed", "size"), rejection=("rejected", "mean"), rejection_holm=("rejected_holm", "mean")
    )
    return pd.concat([a, b]).reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = ap.parse_args()
    t0 = time.time()
    seeds = [args.seed + i for i in range(args.reps)]
    with ProcessPoolExecutor(args.jobs) as ex:
        rows = [r for chunk in ex.map(one, seeds, chunksize=10) for r in chunk]
    reps = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    reps.to_csv(args.out / "replications.csv", index=False)
    summary = summarise(reps)
    summary.to_csv(args.out / "summary.csv", index=False, float_format="%.4f")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.to_string(index=False))
    print(f"{args.reps} replications in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
