"""Scaling table of the register path: time and peak memory per stage from 10 k to 10 M persons, and the slope.

    .venv/bin/python benchmarks/register_scale/scaling.py --sizes 10000,100000,1000000,5000000,10000000 \
        --out /tmp/scaling

For every size, in this order and each in its own process: ``out_of_core.py`` (persons, panel,
spells, survival under a DuckDB memory limit; the project is generated first if it is missing,
not timed) and ``effects_chunked.py`` (the chunked propensity logit, regression, IPW, AIPW and
DiD on a person-level design of the same size; ``--compare-max 0``, so no in-memory run). Their
JSON is kept in ``--out`` (``ooc-<size>.json``, ``effects-<size>.json``); ``--table-only`` prints
the table again from those files without running anything.

The slope is how a stage's time grows per x10 persons: ``10**b`` where ``b`` is the least-squares
slope of log(time) on log(persons) over the sizes of at least ``--slope-from`` persons (default
1 M; below it the fixed costs, interpreter start-up and imports, dominate). Linear growth is 10.0.

The 10 M project is ~12 GB of CSV (5 M: ~6 GB): check the free disk first (``df -h``), give
``--data-root`` a disk with room, and delete the projects when done.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("persons", "panel", "spells", "survival")


def label(n: int) -> str:
    """``10k``, ``1m``: the generator's folder suffix for ``n`` persons."""
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def run_size(n: int, args) -> None:
    """Run both benchmarks at one size and keep their JSON."""
    name = label(n)
    work = args.work / name
    data = args.data_root / f"register-{name}"
    py = sys.executable
    cmd = [py, str(HERE / "out_of_core.py"), "--persons", str(n), "--data", str(data), "--work", str(work)]
    cmd += ["--memory-limit", args.memory_limit, "--json", str(args.out / f"ooc-{name}.json")]
    subprocess.run(cmd, check=True)
    shutil.rmtree(work, ignore_errors=True)
    cmd = [py, str(HERE / "effects_chunked.py"), "--persons", str(n), "--compare-max", "0"]
    cmd += ["--work", str(work / "effects"), "--json", str(args.out / f"effects-{name}.json")]
    subprocess.run(cmd, check=True)
    shutil.rmtree(work, ignore_errors=True)


def rows_of(out: Path, sizes: list[int]) -> list[dict]:
    """One row per size: seconds and peak GiB per stage, from the kept JSON."""
    rows = []
    for n in sizes:
        name = label(n)
        ooc = json.loads((out / f"ooc-{name}.json").read_text(encoding="utf-8"))
        row: dict = {"n": n, "panel_rows": ooc["panel"]["rows_read"]}
        for s in ooc["stages"]:
            row[s["stage"]] = (s["seconds"], s["peak_rss"] / 2**30)
        eff_path = out / f"effects-{name}.json"
        if eff_path.is_file():
            eff = json.loads(eff_path.read_text(encoding="utf-8"))["chunked"]
            secs = sum(eff[p]["seconds"] for p in ("cross_section", "did", "did_reused_logit"))
            row["effects"] = (secs, eff.get("peak_mib", 0) / 1024)
        row["total"] = (sum(v[0] for k, v in row.items() if isinstance(v, tuple)), ooc["peak_rss"] / 2**30)
        if "effects" in row:
            row["total"] = (row["total"][0], max(row["total"][1], row["effects"][1]))
        rows.append(row)
    return rows


def slope(rows: list[dict], stage: str, start: int) -> float | None:
    """``10**b``, b the least-squares slope of log(seconds) on log(persons) from ``start`` persons up."""
    pts = [(math.log10(r["n"]), math.log10(r[stage][0])) for r in rows if r["n"] >= start and stage in r]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return 10**b


def _seconds(t: float) -> str:
    return f"{t:.2f} s" if t < 10 else f"{t:.0f} s" if t >= 100 else f"{t:.1f} s"


def table(rows: list[dict], start: int) -> str:
    """The markdown table: one column per size, one row per stage, the slope at the end."""
    stages = [s for s in (*STAGES, "effects", "total") if any(s in r for r in rows)]
    head = "| stage | " + " | ".join(f"{r['n']:,} persons" for r in rows) + " | slope per x10 |"
    lines = [head, "|" + "---|" * (len(rows) + 2)]
    lines.append("| panel rows | " + " | ".join(f"{r['panel_rows']:,}" for r in rows) + " | |")
    for s in stages:
        cells = [f"{_seconds(r[s][0])} / {r[s][1]:.2f} GiB" if s in r else "" for r in rows]
        k = slope(rows, s, start)
        lines.append(f"| {s} | " + " | ".join(cells) + f" | {'' if k is None else f'x{k:.1f}'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000,5000000,10000000")
    ap.add_argument("--out", type=Path, required=True, help="folder for the JSON of every run")
    ap.add_argument("--data-root", type=Path, default=HERE / "data", help="where the generated projects are")
    ap.add_argument("--work", type=Path, default=Path("/tmp/foljeval-scaling"), help="scratch (deleted per size)")
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--slope-from", type=int, default=1_000_000)
    ap.add_argument("--table-only", action="store_true", help="print the table from the JSON in --out")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table_only:
        for n in sizes:
            run_size(n, args)
    print(table(rows_of(args.out, sizes), args.slope_from))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
