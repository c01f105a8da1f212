"""Register-scale benchmark: raw files -> report.html, timed per stage, with the reference libraries beside it.

One command (see README.md)::

    .venv/bin/python benchmarks/register_scale/run.py --persons 1000000

1. Generates the project with ``generate.py`` if its folder does not exist yet
   (not part of the timed pipeline).
2. Runs the project's notebooks exactly as ``foljeval report`` does
   (:func:`analysis.pipeline.runner.build_project`: one kernel, papermill, nbconvert, the
   publication scan) in a scratch root whose ``data/raw/<name>`` points at the
   generated files. Stages are the notebooks: ``01_clean`` (raw -> processed),
   ``02_participants`` + ``03_outcomes`` (tables), ``04_effects``, ``05_survival``,
   and ``report`` (results.json, ``00_summary``, ``99_appendix``, merge, HTML
   export, scan).
3. Runs the same computations with the reference libraries on the processed data
   in this process: Kaplan–Meier + log-rank + Cox (Efron) with lifelines against
   foljeval's estimators on the same first spells (numbers must agree to 4
   decimals), and the propensity score and the IPW ATT with plain statsmodels
   (``Logit`` and ``WLS``) against foljeval's on the same analysis sample.

Peak memory is the resident set size of this process *plus all its descendants*
(the Jupyter kernel does the work), sampled from ``/proc`` every 50 ms; each stage
reports the peak seen while it ran. Wall times are ``time.perf_counter``.
Prints a table and writes ``--json`` if given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- memory sampling
def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError):
        return 0


def tree_rss(pid: int | None = None) -> int:
    """Resident bytes of a process and all its descendants."""
    todo, total = [pid or os.getpid()], 0
    while todo:
        p = todo.pop()
        total += _rss(p)
        todo.extend(_children(p))
    return total


class Sampler:
    """Samples the process tree's RSS in a thread; ``mark(name)`` starts a new stage."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.stages: list[dict] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.overall_peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.mark(None)
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            rss = tree_rss()
            with self._lock:
                self.overall_peak = max(self.overall_peak, rss)
                if self.stages and "end" not in self.stages[-1]:
                    self.stages[-1]["peak_rss"] = max(self.stages[-1]["peak_rss"], rss)
            time.sleep(self.interval)

    def mark(self, name: str | None):
        now = time.perf_counter()
        rss = tree_rss()
        with self._lock:
            if self.stages and "end" not in self.stages[-1]:
                self.stages[-1]["end"] = now
                self.stages[-1]["seconds"] = now - self.stages[-1]["start"]
                self.stages[-1]["peak_rss"] = max(self.stages[-1]["peak_rss"], rss)
            if name is not None:
                self.stages.append({"stage": name, "start": now, "peak_rss": rss})


# --------------------------------------------------------------------------- pipeline
STAGE_OF = {
    "01_clean.ipynb": "clean",
    "02_participants.ipynb": "tables",
    "03_outcomes.ipynb": "tables",
    "04_effects.ipynb": "effects",
    "05_survival.ipynb": "survival",
}


def prepare_root(data: Path, work: Path) -> str:
    name = data.name
    raw = work / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    link = raw / name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(data.resolve())
    return name


def run_pipeline(name: str, work: Path, sampler: Sampler) -> dict:
    from analysis.pipeline.runner import build_project

    sampler.mark("start-up")

    def progress(project, step, done, total):
        stage = STAGE_OF.get(step, "report") if step != "done" else None
        current = sampler.stages[-1]["stage"] if sampler.stages else None
        if stage != current or step in STAGE_OF:
            sampler.mark(f"{stage}:{step}" if stage else None)

    t0 = time.perf_counter()
    run = build_project(name, work, None, REPO / "notebooks", progress)
    total = time.perf_counter() - t0
    sampler.mark(None)
    if not run.ok:
        raise SystemExit(f"the pipeline failed: {run.message}")
    return {"seconds": total, "notebook_seconds": run.notebook_seconds, "report": str(run.report)}


def stage_table(stages: list[dict]) -> list[dict]:
    """Merge the notebook marks into pipeline stages (wall = sum, peak = max)."""
    merged: dict[str, dict] = {}
    for s in stages:
        if "seconds" not in s:
            continue
        key = s["stage"].split(":")[0]
        m = merged.setdefault(key, {"stage": key, "seconds": 0.0, "peak_rss": 0})
        m["seconds"] += s["seconds"]
        m["peak_rss"] = max(m["peak_rss"], s["peak_rss"])
    return list(merged.values())


# --------------------------------------------------------------------------- references
def reference_survival(processed: Path, sampler: Sampler) -> dict:
    sys.path.insert(0, str(HERE))
    from survival_vs_lifelines import compare, spells_frame

    sampler.mark("ref:spells")
    firsts, timings = spells_frame(processed)
    sampler.mark("ref:km+logrank+cox")
    out = compare(firsts)
    sampler.mark(None)
    return {**timings, **out}


def reference_effects(work: Path, name: str, sampler: Sampler) -> dict:
    """Propensity score and IPW ATT: foljeval vs plain statsmodels on the same analysis sample."""
    import numpy as np
    import statsmodels.api as sm

    from analysis.clean.store import read_processed
    from analysis.effects.analysis import effects_analysis
    from analysis.effects.estimators import ipw_att
    from analysis.project.config import load_project

    sampler.mark("ref:effects-foljeval")
    proj = load_project(work / "data" / "raw" / name)
    tables = read_processed(work / "data" / "processed" / name)
    t0 = time.perf_counter()
    res = effects_analysis(tables, proj.config, proj.config.data_end)
    t_all = time.perf_counter() - t0
    main = res.main
    sample = main.sample
    t0 = time.perf_counter()
    ours = ipw_att(sample, trim=False)
    t_ours = time.perf_counter() - t0
    sampler.mark("ref:effects-statsmodels")
    t0 = time.perf_counter()
    X = sm.add_constant(np.asarray(sample.X, dtype=float), has_constant="add")
    d = np.asarray(sample.d, dtype=float)
    y = np.asarray(sample.y, dtype=float)
    ps = sm.Logit(d, X).fit(disp=0, method="newton").predict(X)
    w = np.where(d == 1, 1.0, ps / (1 - ps))
    wls = sm.WLS(y, sm.add_constant(d), weights=w).fit()
    t_sm = time.perf_counter() - t0
    sampler.mark(None)
    return {
        "outcome": main.spec.name,
        "n_treated": int(d.sum()),
        "n_control": int((1 - d).sum()),
        "effects_analysis_s": t_all,
        "ipw_foljeval_s": t_ours,
        "ipw_statsmodels_s": t_sm,
        "ipw_att_foljeval": float(ours.estimate),
        "ipw_att_statsmodels": float(wls.params[1]),
        "agree": abs(float(ours.estimate) - float(wls.params[1])) < 5e-5,
        "estimates": {r.estimator: round(float(r.estimate), 5) for r in main.estimates.results},
    }


# --------------------------------------------------------------------------- main
_FLOOR = """
import sys, time, resource
import pyarrow.csv as pv
t0 = time.perf_counter()
rows = 0
for name in sys.argv[1:]:
    rows += pv.read_csv(name).num_rows
print(time.perf_counter() - t0, rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def read_floor(data: Path) -> dict:
    """The read floor: every raw CSV read once with pyarrow (all cores), in a fresh process.

    The pipeline's time is reported as a multiple of this in the same run (issue 18): what no
    cleaning step can go below, since it has to read the files at least once.
    """
    files = sorted(str(f) for f in data.iterdir() if f.suffix.lower() in {".csv", ".txt", ".tsv"})
    out = subprocess.run([sys.executable, "-c", _FLOOR, *files], check=True, capture_output=True, text=True)
    seconds, rows, peak = out.stdout.split()
    return {
        "seconds": float(seconds),
        "rows": int(rows),
        "bytes": sum(Path(f).stat().st_size for f in files),
        "peak_rss": int(peak),
        "files": [Path(f).name for f in files],
    }


def _label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def ensure_project(persons: int, data: Path | None = None) -> Path:
    """The generated project folder for ``persons``, generated first if it is missing (not timed)."""
    data = data or HERE / "data" / f"register-{_label(persons)}"
    if not (data / "project.yml").is_file():
        print(f"generating {data} ...", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--persons", str(persons), "--out", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons in the register (default 1,000,000)")
    ap.add_argument("--data", type=Path, help="project folder (default benchmarks/register_scale/data/register-<size>)")
    ap.add_argument(
        "--work", type=Path, help="scratch root for data/processed and reports (default /tmp/foljeval-bench)"
    )
    ap.add_argument("--no-reference", action="store_true", help="skip the lifelines/statsmodels side-by-side stage")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument(
        "--register",
        choices=("auto", "on", "off"),
        default="auto",
        help="the cleaning step's register path: auto = by the panel file's size (the product's rule), "
        "on = always (FOLJEVAL_REGISTER_PANEL_BYTES=0), off = never",
    )
    args = ap.parse_args(argv)
    if args.register != "auto":  # the kernel inherits the environment
        os.environ["FOLJEVAL_REGISTER_PANEL_BYTES"] = "0" if args.register == "on" else str(10**15)

    data = ensure_project(args.persons, args.data)
    work = (args.work or Path("/tmp/foljeval-bench")).resolve()
    name = prepare_root(data, work)

    results: dict = {
        "project": name,
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    results["read_floor"] = read_floor(data)
    with Sampler() as sampler:
        results["pipeline"] = run_pipeline(name, work, sampler)
        pipeline_peak = sampler.overall_peak
        from analysis.clean.store import read_manifest

        results["panel_storage"] = read_manifest(work / "data" / "processed" / name).get("panel_storage")
        stages = stage_table(sampler.stages)
        if not args.no_reference:
            results["survival_reference"] = reference_survival(work / "data" / "processed" / name, sampler)
            results["effects_reference"] = reference_effects(work, name, sampler)
    results["pipeline"]["peak_rss"] = pipeline_peak
    results["stages"] = stages
    results["reference_stages"] = [s for s in stage_table(sampler.stages) if s["stage"] == "ref"]

    print(
        f"\n{name}: raw files -> report.html in {results['pipeline']['seconds']:.1f} s, "
        f"peak RSS {pipeline_peak / 2**30:.2f} GiB (process tree); panel stored as {results['panel_storage']}"
    )
    floor = results["read_floor"]
    results["pipeline"]["floor_ratio"] = results["pipeline"]["seconds"] / floor["seconds"]
    print(
        f"read floor (pyarrow, every raw CSV once, {floor['bytes'] / 1e9:.2f} GB): {floor['seconds']:.1f} s; "
        f"pipeline = {results['pipeline']['floor_ratio']:.1f}x the floor"
    )
    print(f"{'stage':<12}{'wall s':>9}{'peak RSS GiB':>14}")
    for s in stages:
        print(f"{s['stage']:<12}{s['seconds']:>9.1f}{s['peak_rss'] / 2**30:>14.2f}")
    if "survival_reference" in results:
        r = results["survival_reference"]
        print(
            f"\nsurvival on {r['first_spells']:,} first spells: foljeval {r['foljeval_s']:.2f} s, lifelines "
            f"{r['lifelines_s']:.2f} s ({r['speedup']:.1f}x); agree to 4 decimals: {r['agree']}"
        )
        e = results["effects_reference"]
        print(
            f"effects ({e['outcome']}, {e['n_treated']:,} treated vs {e['n_control']:,} controls): whole analysis "
            f"{e['effects_analysis_s']:.1f} s; IPW ATT foljeval {e['ipw_att_foljeval']:.5f} in {e['ipw_foljeval_s']:.2f} s, "
            f"statsmodels Logit+WLS {e['ipw_att_statsmodels']:.5f} in {e['ipw_statsmodels_s']:.2f} s; agree: {e['agree']}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    ok = results.get("survival_reference", {}).get("agree", True) and results.get("effects_reference", {}).get(
        "agree", True
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
