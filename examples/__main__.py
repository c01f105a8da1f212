"""``python -m examples --out data/raw`` or ``--check`` (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import PROJECTS, check, generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m examples", description="Write or verify the bundled synthetic example projects."
    )
    ap.add_argument("--out", type=Path, default=Path("data/raw"), help="raw-data folder to write (default data/raw)")
    ap.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and fail if any file differs from --out",
    )
    ap.add_argument("projects", nargs="*", help="project ids (default: all)")
    args = ap.parse_args(argv)
    projects = args.projects or None
    unknown = [p for p in projects or [] if p not in PROJECTS]
    if unknown:
        ap.error(f"unknown project(s) {', '.join(unknown)}; known: {', '.join(PROJECTS)}")
    if args.check:
        diff = check(args.out, projects)
        if diff:
            print("differ from a fresh generation (rerun `python -m examples --out data/raw`):", file=sys.stderr)
            for f in diff:
                print(f"  {f}", file=sys.stderr)
            return 1
        print(f"{args.out}: the example projects are byte-identical to a fresh generation")
        return 0
    generate(args.out, projects)
    print(f"wrote {', '.join(projects or PROJECTS)} under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
