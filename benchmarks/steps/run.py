"""Small projects: `foljeval report` cold, unchanged, after one changed label, and --all --jobs 2.

    .venv/bin/python benchmarks/steps/run.py [--rounds 3] [--project barnfamiljer-goteborg] [--json out.json]

Every figure is the wall time of the real command line in a fresh process, as a ratio to
an import-only process (``python -c "import pandas, matplotlib, scipy.stats,
statsmodels.api"``) timed in the same benchmark run right before and right after it (the
mean of the two), so that the ratios hold on a machine shared with other work. Each case
runs ``--rounds`` times; the table shows the median.

Cases (issue 18's goals in brackets):

* ``cold``: ``foljeval report PROJECT`` with no reports and no processed data (<= 3x);
* ``unchanged``: the same command again, nothing changed (<= 1x);
* ``label``: after one target label in project.yml changed (<= 1.5x);
* ``text``: after one sentence added to one of the evaluator's text files (<= 1.5x);
* ``all --jobs 2``: ``foljeval report --all --jobs 2`` on the five examples, cold (<= 10x).

The scratch root (default /tmp/foljeval-steps) holds copies of the examples' raw folders
(project.yml is edited) and a link to notebooks/; it is rebuilt on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
FOLJEVAL = REPO / ".venv" / "bin" / "foljeval"
EXAMPLES = ["alv-vast", "barnfamiljer-goteborg", "c2-lycksele", "etableringsresurs-vasteras", "framtidsjobb-avesta"]
BASELINE = "import pandas, matplotlib, scipy.stats, statsmodels.api"
GOALS = {"cold": 3.0, "unchanged": 1.0, "label": 1.5, "text": 1.5, "all --jobs 2": 10.0}
LABELS = ("label_sv: 30 barnfamiljer", "label_sv: Trettio barnfamiljer")


def prepare(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    for name in EXAMPLES:
        shutil.copytree(REPO / "data" / "raw" / name, root / "data" / "raw" / name)


def wipe(root: Path) -> None:
    for folder in ("reports", "data/processed"):
        shutil.rmtree(root / folder, ignore_errors=True)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def relabel(root: Path, project: str, round_no: int) -> None:
    path = root / "data" / "raw" / project / "project.yml"
    text = path.read_text(encoding="utf-8")
    old, new = (LABELS if round_no % 2 == 0 else LABELS[::-1]) if project == "barnfamiljer-goteborg" else ("", "")
    if not old or old not in text:
        sys.exit(f"{path}: no target label to change ({LABELS[0]!r}); the label case supports barnfamiljer-goteborg")
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_sentence(root: Path, project: str, round_no: int) -> None:
    """One sentence more at the end of the evaluator's conclusions (the first text file there is)."""
    folder = root / "data" / "raw" / project / "text"
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if not files:
        sys.exit(f"{folder}: no evaluator text to change; the text case needs a project with text/*.md")
    path = next((f for f in files if f.stem == "slutsatser"), files[0])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f"\n\nEn mening till, omgång {round_no + 1}.\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--project", default="barnfamiljer-goteborg")
    ap.add_argument("--root", type=Path, default=Path("/tmp/foljeval-steps"))
    ap.add_argument("--skip-all", action="store_true", help="leave out the --all --jobs 2 case")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    prepare(args.root)
    report = [str(FOLJEVAL), "report", args.project, "--root", str(args.root)]
    everything = [str(FOLJEVAL), "report", "--all", "--jobs", "2", "--root", str(args.root)]
    rows: dict[str, list[dict]] = {case: [] for case in GOALS}

    def measure(case: str, cmd: list[str]) -> None:
        before, _ = timed([str(PYTHON), "-c", BASELINE], env)
        seconds, out = timed(cmd, env)
        after, _ = timed([str(PYTHON), "-c", BASELINE], env)
        base = (before + after) / 2
        rows[case].append({"seconds": seconds, "baseline": base, "ratio": seconds / base, "output": out})
        print(f"{case:<14} {seconds:6.2f} s  import-only {base:5.2f} s  ratio {seconds / base:5.2f}", flush=True)

    for r in range(args.rounds):
        wipe(args.root)
        measure("cold", report)
        measure("unchanged", report)
        if "up to date" not in rows["unchanged"][-1]["output"]:
            sys.exit(f"the unchanged rerun was not up to date:\n{rows['unchanged'][-1]['output']}")
        relabel(args.root, args.project, r)
        measure("label", report)
        add_sentence(args.root, args.project, r)
        measure("text", report)
        if not args.skip_all:
            wipe(args.root)
            measure("all --jobs 2", everything)
    print(f"\n{'case':<14} {'median s':>9} {'import-only s':>14} {'ratio':>6} {'goal':>6}  met")
    summary = {}
    for case, goal in GOALS.items():
        if not rows[case]:
            continue
        ratio = statistics.median(x["ratio"] for x in rows[case])
        secs = statistics.median(x["seconds"] for x in rows[case])
        base = statistics.median(x["baseline"] for x in rows[case])
        summary[case] = {"seconds": secs, "baseline": base, "ratio": ratio, "goal": goal, "met": ratio <= goal}
        print(f"{case:<14} {secs:9.2f} {base:14.2f} {ratio:6.2f} {goal:6.1f}  {'yes' if ratio <= goal else 'NO'}")
    for case in ("label", "text"):
        out = rows[case][-1]["output"] if rows[case] else ""
        print(f"\nwhat the {case} change ran:\n" + "\n".join(x for x in out.splitlines() if x.startswith("    ")))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rounds": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
