"""Effects at register scale by chunked accumulation: logit, IPW, regression and DiD over parquet row groups.

    .venv/bin/python benchmarks/register_scale/effects_chunked.py --persons 10000000

1. ``generate``: a person-level design of ``--persons`` persons (2 % participants) is drawn with
   numpy one row group at a time from ``--seed`` and written as parquet (row groups of
   ``--row-group`` persons) to ``--work`` (deleted at the end unless ``--keep``). The covariates
   are the register generator's (``generate.py``: age, gender, education, origin, months on
   support, earnings before), participation is its propensity logit (``truth.PROPENSITY``, the
   intercept calibrated to the participant share on the first row group), and the outcome is
   earnings in a base year and a later year, linear in the covariates plus a person level and
   noise, with a **planted ATT of exactly 12,000 SEK** for every participant (no unobserved
   confounding, so every adjusted estimator and the DiD are unbiased for it).
2. ``chunked``: :func:`analysis.effects.chunked.chunked_effects` on the later year,
   :func:`~analysis.effects.chunked.chunked_did` on the change with its own propensity logit, and
   again reusing the cross-section's logit (``propensity=``), reading the parquet row group by row
   group (``parquet_chunks``; ``--batch-rows`` reads smaller batches): wall and CPU time, passes,
   peak RSS.
3. ``in-memory`` (only up to ``--compare-max`` persons, default 1 M): the whole file read into
   pandas and the in-memory estimators (``fit_propensity``, ``regression_adjustment``, ``ipw_att``,
   ``aipw_att``, ``did_panel``) on the same data: wall time, peak RSS and the largest difference.

Each phase runs in its own process, so its peak RSS (``ru_maxrss``, imports included) is its own;
the baseline after the imports is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SEED = 20240808
ATT = 12_000.0  # planted effect on earnings of every participant (SEK)
COVARIATES = [  # truth.design's terms (unknown education and Swedish/Nordic/unknown origin the references)
    "age_minus_35",
    "female",
    "education_compulsory",
    "education_upper_secondary",
    "education_post_secondary",
    "origin_europe",
    "origin_outside_europe",
    "support_before_months",
    "earnings_before_100k",
]


def rss_mib() -> dict:
    """Current and peak resident memory of this process (MiB; Linux /proc and resource)."""
    out: dict = {}
    try:
        status = Path("/proc/self/status").read_text().splitlines()
        out["rss_mib"] = next(int(x.split()[1]) for x in status if x.startswith("VmRSS")) / 1024
    except (OSError, StopIteration):
        pass
    try:
        import resource

        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    except ImportError:  # Windows: no resource module
        pass
    return out


# --------------------------------------------------------------------------- generate
def draw_block(rng, n: int, alpha: float | None = None):
    """One row group of persons: covariate terms (truth.design's names), participation, outcomes."""
    import numpy as np
    import truth
    from generate import EDUCATION, ORIGIN, _choice

    age = np.floor(18 + rng.beta(1.6, 2.6, n) * 46.9)
    female = (rng.random(n) >= 0.52).astype(float)
    edu, org = _choice(rng, EDUCATION, n), _choice(rng, ORIGIN, n)
    support = np.minimum(np.round(rng.gamma(1.2, 12.0, n) + 6 * (org == 3)), 120)
    zero = rng.random(n) < np.clip(0.30 + 0.004 * support, 0, 0.9)
    mean = np.maximum(90_000 + 40_000 * (edu == 2) + 15_000 * (edu == 1) - 800 * support, 20_000)
    earn = np.where(zero, 0.0, np.round(rng.gamma(1.5, mean / 1.5) / 100) * 100)
    t = {
        "age_minus_35": age - 35,
        "female": female,
        "education_compulsory": (edu == 0).astype(float),
        "education_upper_secondary": (edu == 1).astype(float),
        "education_post_secondary": (edu == 2).astype(float),
        "origin_europe": (org == 2).astype(float),
        "origin_outside_europe": (org == 3).astype(float),
        "support_before_months": support,
        "earnings_before_100k": earn / 100_000,
    }
    eta = truth.linear(t, truth.PROPENSITY)
    if alpha is None:
        alpha = calibrate(eta, truth.PARTICIPANT_SHARE)
    d = (rng.random(n) < truth.expit(eta + alpha)).astype(float)
    level = 25_000 + 60_000 * t["earnings_before_100k"] + 15_000 * t["education_post_secondary"]
    level += 5_000 * t["education_upper_secondary"] - 300 * support - 200 * t["age_minus_35"]
    base = level + rng.normal(0, 15_000, n) + rng.normal(0, 10_000, n)  # person level + year noise
    growth = 3_000 - 100 * t["age_minus_35"] + 2_000 * t["education_post_secondary"]  # trends differ by X
    later = base + growth + ATT * d + rng.normal(0, 10_000, n)
    return t, d, base, later, alpha


def calibrate(eta, share: float) -> float:
    """Intercept giving a mean participation probability of ``share`` (bisection)."""
    import truth

    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if truth.expit(eta + mid).mean() < share else (lo, mid)
    return (lo + hi) / 2


def generate(persons: int, row_group: int, seed: int, work: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    work.mkdir(parents=True, exist_ok=True)
    base_rss = rss_mib()
    start = time.perf_counter()
    alpha, treated, writer = None, 0, None
    path = work / "persons.parquet"
    for i, first in enumerate(range(0, persons, row_group)):
        n = min(row_group, persons - first)
        t, d, base, later, alpha = draw_block(np.random.default_rng([seed, i]), n, alpha)
        table = pa.table({"treated": d, "earnings_base": base, "earnings_later": later, **t})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=row_group)
        treated += int(d.sum())
    if writer is not None:
        writer.close()
    return {
        "seconds": time.perf_counter() - start,
        "treated": treated,
        "file_mib": path.stat().st_size / 2**20,
        "row_groups": pq.ParquetFile(path).num_row_groups,
        "baseline_rss_mib": base_rss.get("rss_mib"),
        **rss_mib(),
    }


# --------------------------------------------------------------------------- estimate
def summary(fit) -> dict:
    return {r.estimator: {"estimate": r.estimate, "se": r.se, "n_treated": r.n_treated} for r in fit.results}


def chunked(work: Path, batch_rows: int | None) -> dict:
    """The cross-section, the DiD with its own logit, and the DiD reusing the cross-section's logit."""
    from analysis.effects.chunked import chunked_did, chunked_effects, parquet_chunks

    base_rss = rss_mib()
    path = work / "persons.parquet"
    out: dict = {"baseline_rss_mib": base_rss.get("rss_mib")}
    first = None
    for name, call, y_before in (
        ("cross_section", chunked_effects, None),
        ("did", chunked_did, "earnings_base"),
        ("did_reused_logit", chunked_did, "earnings_base"),
    ):
        source = parquet_chunks(path, "treated", "earnings_later", COVARIATES, y_before, batch_rows)
        start, cpu = time.perf_counter(), time.process_time()
        fit = call(source, outcome="earnings_later", propensity=first if name == "did_reused_logit" else None)
        out[name] = {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}
        out[name].update({"passes": fit.passes, "results": summary(fit), "n_trimmed": fit["ipw"].details["n_trimmed"]})
        first = first or fit
    return {**out, **rss_mib()}


def in_memory(work: Path) -> dict:
    """The in-memory estimators on the whole file: the DiD's IPW and regression also by did_panel."""
    import numpy as np
    import pandas as pd

    from analysis.effects.design import Sample
    from analysis.effects.did2x2 import did_panel
    from analysis.effects.estimators import aipw_att, ipw_att, regression_adjustment, unadjusted
    from analysis.effects.propensity import fit_propensity

    out: dict = {"baseline_rss_mib": rss_mib().get("rss_mib")}
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_parquet(work / "persons.parquet")
    d, X = frame["treated"].to_numpy().astype(np.int8), frame[COVARIATES]
    out["read_seconds"] = time.perf_counter() - start
    ps = fit_propensity(X, d)
    for name, y in (
        ("cross_section", frame["earnings_later"]),
        ("did", frame["earnings_later"] - frame["earnings_base"]),
    ):
        s = Sample(y=y.to_numpy(float), d=d, X=X, outcome="earnings_later")
        res = [unadjusted(s), regression_adjustment(s), ipw_att(s, ps), aipw_att(s, ps)]
        out[name] = {"results": {r.estimator: {"estimate": r.estimate, "se": r.se} for r in res}}
    design = np.column_stack([np.ones(len(d)), X.to_numpy(float)])
    for method, estimator in (("ipw", "ipw"), ("reg", "regression")):
        att, psi = did_panel(s.y, d.astype(float), design, method=method)
        se = float(np.sqrt(np.mean(psi**2) / len(d)))
        out["did"]["did_panel"] = {**out["did"].get("did_panel", {}), estimator: {"estimate": att, "se": se}}
    out["seconds"], out["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
    return {**out, **rss_mib()}


# --------------------------------------------------------------------------- driver
def run_phase(phase: str, args) -> dict:
    """Run one phase in a fresh process (its own peak RSS) and read its JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--persons", str(args.persons)]
    cmd += ["--row-group", str(args.row_group), "--seed", str(args.seed), "--work", str(args.work)]
    cmd += ["--batch-rows", str(args.batch_rows)] if args.batch_rows else []
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(chunk: dict, memory: dict) -> dict:
    """Largest absolute difference of the estimates and relative difference of the standard errors.

    The chunked DiD uses did2x2's trimming (``chunked_did``'s default): its IPW and regression are
    compared with ``did_panel``, its unadjusted and regression with the estimators on the change.
    """
    pairs = [(chunk["cross_section"]["results"][k], v) for k, v in memory["cross_section"]["results"].items()]
    did = chunk["did"]["results"]
    pairs += [(did[k], memory["did"]["results"][k]) for k in ("unadjusted", "regression")]
    pairs += [(did[k], v) for k, v in memory["did"]["did_panel"].items()]
    return {
        "max_abs_estimate_diff": max(abs(a["estimate"] - b["estimate"]) for a, b in pairs),
        "max_rel_estimate_diff": max(abs(a["estimate"] / b["estimate"] - 1) for a, b in pairs),
        "max_rel_se_diff": max(abs(a["se"] / b["se"] - 1) for a, b in pairs),
        "compared": len(pairs),
    }


def report(out: dict) -> None:
    g, c = out["generate"], out["chunked"]
    print(f"persons {out['persons']:,}, participants {g['treated']:,}, planted ATT {ATT:,.0f} SEK")
    print(f"generate: {g['seconds']:.1f} s, peak {g.get('peak_mib', 0):.0f} MiB, parquet {g['file_mib']:.0f} MiB")
    for part in ("cross_section", "did", "did_reused_logit"):
        p = c[part]
        print(
            f"chunked {part}: {p['seconds']:.1f} s wall, {p['cpu_seconds']:.1f} s CPU, "
            f"{p['passes']} passes, {p['n_trimmed']} trimmed"
        )
        for name, r in p["results"].items():
            z = (r["estimate"] - ATT) / r["se"]
            print(f"  {name:11s} {r['estimate']:10.1f}  se {r['se']:7.1f}  planted {ATT:,.0f}  z {z:+.2f}")
    print(f"chunked peak RSS {c.get('peak_mib', 0):.0f} MiB (after imports {c['baseline_rss_mib']:.0f} MiB)")
    if "in_memory" in out:
        m = out["in_memory"]
        print(
            f"in memory (read {m['read_seconds']:.1f} s incl.): {m['seconds']:.1f} s wall, {m['cpu_seconds']:.1f} s CPU, "
            f"peak {m.get('peak_mib', 0):.0f} MiB (after imports {m['baseline_rss_mib']:.0f} MiB)"
        )
        print(f"chunked vs in memory: {out['agreement']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=10_000_000)
    ap.add_argument("--row-group", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--work", type=Path, default=Path("/tmp/foljeval-chunked"))
    ap.add_argument("--keep", action="store_true", help="keep the parquet file")
    ap.add_argument("--batch-rows", type=int, help="read the row groups in batches of this many rows")
    ap.add_argument("--compare-max", type=int, default=1_000_000, help="in-memory comparison up to this size")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--phase", choices=["generate", "chunked", "in-memory"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase:
        phases = {
            "generate": lambda: generate(args.persons, args.row_group, args.seed, args.work),
            "chunked": lambda: chunked(args.work, args.batch_rows),
            "in-memory": lambda: in_memory(args.work),
        }
        print(json.dumps(phases[args.phase]()))
        return 0
    out: dict = {"persons": args.persons, "row_group": args.row_group, "seed": args.seed}
    try:
        out["generate"] = run_phase("generate", args)
        out["chunked"] = run_phase("chunked", args)
        if args.persons <= args.compare_max:
            out["in_memory"] = run_phase("in-memory", args)
            out["agreement"] = compare(out["chunked"], out["in_memory"])
    finally:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    report(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
