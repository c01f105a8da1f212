"""Long whole-file fuzzing of the cleaning step and `foljeval check` (the suite runs a short, fixed slice).

Generates whole input files with the suite's generator (``tests/fuzz_files.py``: csv and xlsx,
random bytes, truncation, encodings, merged/empty/duplicated header rows, duplicated columns,
huge cells, formulas, dates as numbers, mixed types; plus fuzzed project.yml), cleans each
in-process and checks the same promises as ``tests/test_fuzz_files.py``. Unlike the test it
does not stop at the first broken promise: it groups them by cause and keeps the first input
of each cause under ``--out`` (copy it into ``tests/fixtures/crash_corpus/`` with the fix).

    .venv/bin/python benchmarks/fuzz/run.py --cases 5000 --seed 1 --out /tmp/fuzz-crashes
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

import fuzz_files as ff  # noqa: E402


def _cause(message: str) -> str:
    """A broken promise without its numbers and quoted values: one line per distinct cause."""
    first = message.splitlines()[0] if message else ""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", first)[:160]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=2000, help="inputs to generate (default 2000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the first input of each cause")
    ap.add_argument("--no-check-view", action="store_true", help="clean only; skip rendering what check prints")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="foljeval-fuzz-"))
    outcomes: collections.Counter[str] = collections.Counter()
    causes: dict[str, tuple[int, str, str]] = {}
    n = [0]

    @settings(
        max_examples=args.cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=ff.cases())
    def one(case: ff.Case) -> None:
        n[0] += 1
        folder = work / f"case{n[0]:06d}"
        try:
            outcomes[ff.run_case(case, folder, render_check=not args.no_check_view)] += 1
        except ff.Crash as crash:
            outcomes["broken promise"] += 1
            cause = _cause(str(crash))
            if cause not in causes:
                causes[cause] = (n[0], str(crash)[:300], ff.describe(case))
                if args.out is not None:
                    shutil.copytree(folder, args.out / f"case{n[0]:06d}", dirs_exist_ok=True)
                    (args.out / f"case{n[0]:06d}" / "CAUSE.txt").write_text(
                        f"{crash}\n\n{ff.describe(case)}\n", encoding="utf-8"
                    )
        shutil.rmtree(folder, ignore_errors=True)

    t0 = time.perf_counter()
    import hypothesis

    hypothesis.seed(args.seed)(one)()
    elapsed = time.perf_counter() - t0
    shutil.rmtree(work, ignore_errors=True)
    total = sum(outcomes.values())
    print(f"{total} inputs in {elapsed:.1f} s ({elapsed / max(total, 1) * 1000:.0f} ms each): {dict(outcomes)}")
    for _cause, (i, message, case) in sorted(causes.items(), key=lambda kv: kv[1][0]):
        print(f"- case {i}: {message}\n    {case}")
    return 1 if causes else 0


if __name__ == "__main__":
    raise SystemExit(main())
