"""Kaplan–Meier + log-rank + Cox (Efron) on the same spells: foljeval vs lifelines.

Used by ``run.py`` (stage ``survival``); can also run alone on a processed project::

    .venv/bin/python benchmarks/register_scale/survival_vs_lifelines.py DATA/processed/PROJECT

Both implementations get identical arrays (first spell in work or study after the
start/reference month, for participants and comparison persons); the script times
each and checks that every number agrees to 4 decimals.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.survival import cox as fe_cox
from analysis.survival import km as fe_km
from analysis.survival import logrank as fe_logrank
from analysis.survival.spells import build_spells, first_spell_after


def spells_frame(
    processed: Path, work_or_study=("work", "study"), bridge_gap_months: int = 1
) -> tuple[pd.DataFrame, dict]:
    """First spells of participants and comparison persons with covariates, and timings."""
    t0 = time.perf_counter()
    if (processed / "status_monthly").is_dir():  # the register path stores the panel by person bucket
        from analysis.clean.store import read_partitioned

        panel = read_partitioned(processed / "status_monthly")
    else:
        panel = pd.read_parquet(processed / "status_monthly.parquet")
    part = pd.read_parquet(processed / "participants.parquet")
    comp_path = processed / "comparison.parquet"
    persons = [part.assign(group=1)]
    if comp_path.is_file():
        comp = pd.read_parquet(comp_path).rename(columns={"reference_date": "start_date"})
        persons.append(comp.assign(group=0))
    persons = pd.concat(persons, ignore_index=True)
    t1 = time.perf_counter()
    spells = build_spells(panel, work_or_study, bridge_gap_months)
    t2 = time.perf_counter()
    cols = ["person_key", "start_date", "group", "age_at_start", "gender"]
    firsts = first_spell_after(spells, persons[[c for c in cols if c in persons]])
    firsts = firsts.dropna(subset=["age_at_start", "gender"])
    firsts["age_10y"] = firsts["age_at_start"].astype(float) / 10
    firsts["female"] = (firsts["gender"] == "female").astype(float)
    t3 = time.perf_counter()
    return firsts, {
        "read_panel_s": t1 - t0,
        "spells_s": t2 - t1,
        "first_spells_s": t3 - t2,
        "panel_rows": len(panel),
        "spells": len(spells),
        "first_spells": len(firsts),
    }


def compare(firsts: pd.DataFrame, decimals: int = 4) -> dict:
    """Fit both, time both, and check the numbers agree to ``decimals``."""
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank

    d = firsts["duration"].to_numpy(float)
    e = firsts["event"].to_numpy(int)
    g = firsts["group"].to_numpy(int)
    x = firsts[["group", "age_10y", "female"]]

    t0 = time.perf_counter()
    km = fe_km.kaplan_meier_by(d, e, g, order=[1, 0])
    lr = fe_logrank.logrank_test(d, e, g, order=[1, 0])
    cox = fe_cox.cox_ph(x, d, e, concordance=False)
    t_fe = time.perf_counter() - t0

    t0 = time.perf_counter()
    ll_curves = {k: KaplanMeierFitter().fit(d[g == k], e[g == k]) for k in (1, 0)}
    ll_lr = ll_logrank(d[g == 1], d[g == 0], e[g == 1], e[g == 0])
    ll_cox = CoxPHFitter().fit(pd.DataFrame({"T": d, "E": e, **{c: x[c].to_numpy() for c in x}}), "T", "E")
    t_ll = time.perf_counter() - t0

    diffs = {}
    for k in (1, 0):
        ours = km.curves[k]
        theirs = ll_curves[k].survival_function_.iloc[:, 0]
        s_ours = pd.Series(ours.survival, index=ours.timeline).reindex(theirs.index)
        diffs[f"km_survival_group{k}"] = float(np.nanmax(np.abs(s_ours.to_numpy() - theirs.to_numpy())))
        ci = ll_curves[k].confidence_interval_
        lo_ours = pd.Series(ours.lower, index=ours.timeline).reindex(ci.index)
        diffs[f"km_lower_group{k}"] = float(np.nanmax(np.abs(lo_ours.to_numpy() - ci.iloc[:, 0].to_numpy())))
    diffs["logrank_statistic_rel"] = abs(lr.statistic - ll_lr.test_statistic) / max(1.0, abs(ll_lr.test_statistic))
    diffs["cox_coef"] = float(np.max(np.abs(cox.params.to_numpy() - ll_cox.params_.to_numpy())))
    diffs["cox_se"] = float(np.max(np.abs(cox.standard_errors.to_numpy() - ll_cox.standard_errors_.to_numpy())))
    diffs["cox_loglik_rel"] = abs(cox.log_likelihood - ll_cox.log_likelihood_) / abs(ll_cox.log_likelihood_)
    tol = 0.5 * 10**-decimals
    return {
        "foljeval_s": t_fe,
        "lifelines_s": t_ll,
        "speedup": t_ll / t_fe,
        "max_abs_differences": diffs,
        "agree_to_decimals": decimals,
        "agree": all(v <= tol for v in diffs.values()),
        "n": len(d),
        "events": int(e.sum()),
        "cox_params": cox.params.round(6).to_dict(),
    }


def main(argv: list[str]) -> int:
    processed = Path(argv[1])
    firsts, timings = spells_frame(processed)
    out = compare(firsts)
    print({**timings, **out})
    return 0 if out["agree"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
