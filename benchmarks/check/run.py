"""How long `foljeval check` takes, against its limit of 10 s + 2 s per MB of input (issue 14).

Runs ``foljeval check PROJECT`` as a user does (a fresh process: imports included) on

* every bundled example under ``data/raw/``;
* ``mutated-panel``: a copy of alv-vast whose status column holds a different text in every
  other row (id and month run together: ~120 000 distinct unknown labels), the shape of the
  mutated monthly panel that once ran over 120 s;
* ``register-N``: a register-scale project of ``--persons`` persons x 36 months written by
  ``benchmarks/register_scale/generate.py`` (a few hundred MB at 1 M persons).

Input size is the bytes of the raw files (project.yml excluded), in MB of 10^6 bytes.

    .venv/bin/python benchmarks/check/run.py --persons 100000 --json /tmp/check-times.json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLJEVAL = Path(sys.executable).with_name("foljeval")


def input_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != "project.yml") / 1e6


def time_check(project: str, root: Path) -> dict[str, object]:
    """One ``foljeval check`` run: wall time, input MB, the limit and the exit code."""
    mb = input_mb(root / "data" / "raw" / project)
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [str(FOLJEVAL), "check", project, "--root", str(root)], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)  # the machine may be shared
    limit = 10 + 2 * mb
    return {
        "project": project,
        "input_mb": round(mb, 2),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "limit_s": round(limit, 1),
        "within": seconds <= limit,
        "exit": done.returncode,
        "output_lines": len(done.stdout.splitlines()) + len(done.stderr.splitlines()),
    }


def mutated_panel(root: Path) -> str:
    """alv-vast with its status column shifted in every other row (a distinct unknown label per row)."""
    src = ROOT / "data" / "raw" / "alv-vast"
    dst = root / "data" / "raw" / "mutated-panel"
    shutil.copytree(src, dst)
    path = dst / "status_manad.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        pid, month, status = line.split(",")
        out.append(f"{pid},{month},{pid}{month}" if i % 2 == 0 else line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return "mutated-panel"


def register(root: Path, persons: int) -> str:
    name = f"register-{persons}"
    out = root / "data" / "raw" / name
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "register_scale" / "generate.py"), "--persons", str(persons)]
        + ["--out", str(out)],
        check=True,
        capture_output=True,
    )
    return name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000, help="register-scale project size (0: skip)")
    ap.add_argument("--only", nargs="*", default=None, help="example projects to time (default: all)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)
    examples = sorted(p.parent.name for p in (ROOT / "data" / "raw").glob("*/project.yml"))
    runs = [time_check(p, ROOT) for p in (args.only if args.only is not None else examples)]
    with tempfile.TemporaryDirectory(prefix="foljeval-check-") as tmp:
        work = Path(tmp)
        runs.append(time_check(mutated_panel(work), work))
        if args.persons:
            runs.append(time_check(register(work, args.persons), work))
    print(f"{'project':<28} {'MB':>8} {'seconds':>8} {'cpu s':>7} {'limit':>7}  within  exit")
    for r in runs:
        print(
            f"{r['project']:<28} {r['input_mb']:>8.2f} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} {r['limit_s']:>7.1f}  "
            f"{'yes' if r['within'] else 'NO':<6}  {r['exit']}"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["within"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
