"""The panel-built comparison (start now vs not now): the risk sets against a brute-force loop, the
out-of-core path against the in-memory one, and the planted Ashenfelter's dip (bias, not coverage;
coverage is benchmarks/comparison/run.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.effects.design import persons
from analysis.effects.panel_design import build_panel_design
from analysis.project.comparison import ComparisonSpec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "comparison"))
import dip  # noqa: E402
import run as dip_run  # noqa: E402

SPEC = ComparisonSpec.model_validate({"from": "panel", "eligible_statuses": ["income_support"], "history_months": [3]})


def small_tables(seed: int = 0, n: int = 60):
    sim = dip.simulate(n, seed=seed, reps=2)
    return sim, dip.tables(sim)


def brute_force(tab, spec, followup, end_m):
    """Loop over persons and start months exactly as the module docstring says."""
    pan = tab["status_monthly"]
    m = pan["month"].dt.year * 12 + pan["month"].dt.month - 1
    st = dict(zip(zip(pan["person_key"].astype(str), m), pan["status"].astype(str)))
    part = tab["participants"]
    start = dict(zip(part["person_key"], part["start_date"].dt.year * 12 + part["start_date"].dt.month - 1))
    months = sorted(set(start.values()))
    keys = sorted(set(pan["person_key"].astype(str)))
    rows = []
    for p in keys:
        for t0 in months:
            s = start.get(p)
            if s is not None and s < t0:
                continue
            if st.get((p, t0 - 1)) not in spec.eligible_statuses:
                continue
            dur = 0
            while st.get((p, t0 - 1 - dur)) in spec.eligible_statuses:
                dur += 1
            h = spec.history_months[0]
            row = {"person_key": p, "t0": t0, "treated": int(s == t0), "duration": dur}
            row[f"hist_elig_{h}"] = sum(st.get((p, t0 - 1 - i)) in spec.eligible_statuses for i in range(h))
            row[f"hist_wos_{h}"] = sum(st.get((p, t0 - 1 - i)) == "work" for i in range(h))
            for k in followup:
                v = st.get((p, t0 + k)) if t0 + k <= end_m else None
                row[f"wos_{k}m"] = np.nan if v is None else float(v == "work")
            rows.append(row)
    return pd.DataFrame(rows)


def test_risk_sets_equal_a_brute_force_loop():
    sim, tab = small_tables()
    end = pd.Timestamp("2018-06-30")
    des = build_panel_design(persons(tab), SPEC, ["work"], [2, 6], end, panel=tab["status_monthly"])
    ref = brute_force(tab, SPEC, [2, 6], end.year * 12 + end.month - 1)
    got = des.rows[ref.columns].sort_values(["person_key", "t0"]).reset_index(drop=True)
    ref = ref.sort_values(["person_key", "t0"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    # later participants are comparisons before their start: start now vs not now
    assert des.counts["comparison_later_participants"] > 0
    assert des.counts["participants_eligible"] == int((sim["start"] >= 0).sum())


def test_out_of_core_dataset_gives_the_same_rows(tmp_path):
    _, tab = small_tables(seed=3, n=80)
    pan = tab["status_monthly"].copy()
    bucket = pan["person_key"].astype(str).str[-1].astype(int) % 3
    for b in range(3):
        folder = tmp_path / f"bucket={b}"
        folder.mkdir()
        pan[bucket == b].assign(person_key=lambda f: f["person_key"].astype(str)).to_parquet(folder / "part.parquet")
    frame = persons(tab)
    mem = build_panel_design(frame, SPEC, ["work"], [6], "2019-12-31", panel=pan)
    ooc = build_panel_design(frame, SPEC, ["work"], [6], "2019-12-31", dataset=tmp_path)
    pd.testing.assert_frame_equal(mem.rows, ooc.rows)
    assert mem.counts == ooc.counts


@pytest.mark.slow
def test_planted_dip_static_is_biased_and_the_panel_built_comparison_is_not():
    """Three seeded draws: mean error of each estimator against the truth of start now vs not now."""
    rows = [r for seed in (11, 12, 13) for r in dip_run.one(seed, n=2000)]
    df = pd.DataFrame(rows).assign(err=lambda f: f["estimate"] - f["truth"])
    bias = df.groupby(["design", "months", "estimator"])["err"].mean()
    for k in dip_run.FOLLOWUP:
        for est in ("regression", "matching", "ipw", "aipw", "entropy"):
            assert abs(bias[("panel", k, est)]) < 0.035, (k, est, bias[("panel", k, est)])
            assert bias[("static", k, est)] < -0.08, (k, est, bias[("static", k, est)])
    assert df["truth"].gt(0.1).all()  # the planted effect is large and positive


def test_config_rejects_time_varying_panel_covariates():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="may change over time"):
        ComparisonSpec.model_validate({"from": "panel", "covariates": ["earnings_before"]})
    with pytest.raises(ValidationError, match="duration_bands"):
        ComparisonSpec.model_validate({"duration_bands": [0, 3]})
    with pytest.raises(ValidationError):
        ComparisonSpec.model_validate({"matching": {"k": 0}})
