"""Staggered-start DiD: the 2x2 estimators and ATT(g, t) against the reference implementations, bias on planted data.

References (test-only dependencies, no code shared with ``analysis.effects``):

* ``drdid`` (Python port of R's DRDID): traditional doubly robust, normalised IPW and outcome-regression
  panel DiD, estimate and influence function;
* ``differences`` (Dionisi): the improved doubly robust DiD with inverse probability tilting (``dr-ipt``),
  cell by cell;
* ``csdid`` (Python port of R's ``did``): ATT(g, t) with never- and not-yet-treated controls, both base
  periods, and the simple, dynamic and group aggregations with their analytic standard errors.

Estimates and standard errors must agree to 3 decimals (they agree to ~1e-7 or better).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.effects.attgt import event_time, group_time_att, overall, sup_t_critical
from analysis.effects.did import did_analysis, estimate_attgt
from analysis.effects.did2x2 import did_panel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "staggered"))
import sim  # noqa: E402

TOL = 5e-4  # "equal to 3 decimals"


def _two_period(seed=3, n=3000):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), (rng.random(n) < 0.4).astype(float)
    d = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.8 * x1 + 0.5 * x2)))).astype(float)
    y0 = 1 + x1 + rng.normal(size=n)
    y1 = y0 + 0.5 + 0.3 * x1 + 0.4 * x2 + 1.0 * d + rng.normal(size=n)
    return y1, y0, d, np.column_stack([np.ones(n), x1, x2])


def _se(psi):
    psi = np.asarray(psi).ravel()
    return np.sqrt(np.mean(psi**2) / len(psi))


@pytest.mark.parametrize("method", ["dr_traditional", "ipw", "reg"])
def test_2x2_equals_drdid(method):
    drdid = pytest.importorskip("drdid._estimators")
    ref = {"dr_traditional": drdid.drdid_panel, "ipw": drdid.std_ipw_did_panel, "reg": drdid.reg_did_panel}[method]
    y1, y0, d, X = _two_period()
    att, psi = did_panel(y1 - y0, d, X, method=method)
    att_ref, psi_ref = ref(y1, y0, d, X)
    assert att == pytest.approx(att_ref, abs=1e-7)
    assert _se(psi) == pytest.approx(_se(psi_ref), abs=1e-7)


def test_improved_dr_equals_differences_and_balances_exactly():
    did_cal = pytest.importorskip("differences.models.did.did_cal")
    y1, y0, d, X = _two_period()
    att, psi = did_panel(y1 - y0, d, X, method="dr")
    ref = did_cal.drdid_panel_improved(y1 - y0, X, d, np.ones(len(d)))
    assert att == pytest.approx(ref["att"], abs=1e-7)
    assert _se(psi) == pytest.approx(_se(ref["influence_func"]), abs=1e-6)
    # the tilting score's comparison weights reproduce the treated covariate means
    from analysis.effects.did2x2 import pscore_ipt

    e = pscore_ipt(d, X, np.ones(len(d)))
    w = (1 - d) * e / (1 - e)
    np.testing.assert_allclose(X[d == 0].T @ w[d == 0] / w.sum(), X[d == 1].mean(axis=0), atol=1e-9)


def _staggered(seed=5, n=1200, T=8):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), (rng.random(n) < 0.5).astype(float)
    u = rng.random(n)
    G = np.select([u < 0.25, u < 0.45, u < 0.65, u < 0.85], [np.inf, 3, 4, 6], np.inf)
    G = np.where((rng.random(n) < 1 / (1 + np.exp(-(0.6 * x1 - 0.4 * x2)))) | np.isfinite(G), G, np.inf)
    t = np.arange(T)
    Y = (rng.normal(size=n) + x1)[:, None] + 0.2 * t + 0.3 * x1[:, None] * t / T + rng.normal(size=(n, T))
    e = t[None, :] - G[:, None]
    Y = Y + np.where(e >= 0, 0.5 + 0.1 * np.maximum(e, 0), 0)
    X = np.column_stack([np.ones(n), x1, x2])
    long = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(np.arange(1, T + 1), n),
            "y": Y.ravel(),
            "g": np.repeat(np.where(np.isfinite(G), G + 1, 0), T),
            "x1": np.repeat(x1, T),
            "x2": np.repeat(x2, T),
        }
    )
    return Y, G, X, long


@pytest.fixture(scope="module")
def staggered():
    return _staggered()


@pytest.mark.parametrize("base", ["universal", "varying"])
@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["dr_traditional", "ipw", "reg"])
def test_attgt_and_aggregations_equal_csdid(staggered, method, control, base):
    pytest.importorskip("csdid")
    from csdid.att_gt import ATTgt

    Y, G, X, long = staggered
    gt = group_time_att(Y, G, X, method=method, control=control, base_period=base, window=(-10, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = ATTgt(
            yname="y", tname="t", idname="id", gname="g", data=long,
            control_group=["nevertreated" if control == "never" else "notyettreated"], xformla="~x1+x2",
        ).fit(est_method={"dr_traditional": "dr"}.get(method, method), base_period=base, bstrap=False)  # fmt: skip
    r = cs.results
    ref = pd.DataFrame({"g": np.array(r["group"]) - 1, "t": np.array(r["year"]) - 1, "att": r["att"], "se": r["se"]})
    m = gt.cells.merge(ref, on=["g", "t"], suffixes=("", "_ref"))
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["att"], m["att_ref"], atol=TOL)
    est = m[~m["reference"]]  # the reference cell (universal base) is 0 by construction: no SE there
    np.testing.assert_allclose(est["se"], est["se_ref"], atol=TOL)
    ours = overall(gt)
    ev, _ = event_time(gt)
    for kind in ("simple", "group", "dynamic"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cs.aggte(typec=kind, bstrap=False, na_rm=True)
        a = cs.atte
        assert ours[kind]["estimate"] == pytest.approx(a["overall_att"], abs=TOL), kind
        assert ours[kind]["se"] == pytest.approx(a["overall_se"], abs=TOL), kind
    ref_ev = pd.DataFrame({"att": a["att_egt"], "se": np.ravel(a["se_egt"])}, index=a["egt"])
    both = ev.join(ref_ev, how="inner", rsuffix="_ref")
    assert len(both) == len(ref_ev)
    np.testing.assert_allclose(both["estimate"], both["att"], atol=TOL)
    both = both[~both["reference"]]
    np.testing.assert_allclose(both["se"], both["se_ref"], atol=TOL)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_improved_dr_attgt_equals_differences(staggered, control):
    pytest.importorskip("differences")
    from differences import ATTgt

    Y, G, X, long = staggered
    gt = group_time_att(Y, G, X, method="dr", control=control, base_period="varying", window=(-10, 10))
    data = long.assign(g=long["g"].where(long["g"] > 0)).set_index(["id", "t"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ATTgt(data=data, cohort_column="g", base_period="varying").fit(
            "y ~ x1 + x2", est_method="dr-ipt", control_group={"never": "never_treated"}.get(control, "not_yet_treated"),
            progress_bar=False,
        )  # fmt: skip
    tab = res.to_pandas().reset_index()
    tab.columns = [c[-1] or c[0] for c in tab.columns]
    ref = pd.DataFrame({"g": tab["cohort"] - 1.0, "t": tab["time"] - 1.0, "att": tab["ATT"], "se": tab["std_error"]})
    m = gt.cells.merge(ref.astype(float), on=["g", "t"], suffixes=("", "_ref"))
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["att"], m["att_ref"], atol=TOL)
    np.testing.assert_allclose(m["se"], m["se_ref"], atol=TOL)


@pytest.mark.parametrize("method", ["dr", "dr_traditional", "ipw", "reg"])
def test_planted_staggered_effects_are_recovered(method):
    """Small seeded bias check (coverage is a benchmark): 20 panels, the mean error of theta(0..3)."""
    errors, ses = [], []
    for seed in range(20):
        s = sim.simulate(800, seed)
        r = estimate_attgt(s["Y"], s["G"], s["X"], np.arange(sim.T), "y", method, "notyet", window=(-3, 3), draws=99)
        errors.append(r.event.loc[0:3, "estimate"].to_numpy() - sim.tau(np.arange(4)))
        ses.append(r.event.loc[0:3, "se"].to_numpy())
        assert r.event.loc[-1, "estimate"] == 0.0
    bias = np.mean(errors, axis=0)
    # the mean error of 20 draws is within 3.5 of its standard errors of zero (an unbiased estimator fails ~1/2000)
    assert (np.abs(bias) < 3.5 * np.mean(ses, axis=0) / np.sqrt(20)).all(), bias
    s = sim.simulate(800, 0)
    naive = estimate_attgt(s["Y"], s["G"], s["X"][:, :1], np.arange(sim.T), "y", "reg", "never", window=(-3, 3))
    assert naive.pretrend is not None  # the pre-start estimates are tested jointly


def test_band_is_wider_than_pointwise_and_seeded():
    s = sim.simulate(800, 1)
    a = estimate_attgt(s["Y"], s["G"], s["X"], np.arange(sim.T), "y", "dr", "never", window=(-3, 3), seed=7)
    b = estimate_attgt(s["Y"], s["G"], s["X"], np.arange(sim.T), "y", "dr", "never", window=(-3, 3), seed=7)
    assert a.critical_value == b.critical_value
    assert 1.96 < a.critical_value < 3.5
    e = a.event[a.event["se"] > 0]
    assert (e["band_upper"] > e["upper"]).all() and (e["band_lower"] < e["lower"]).all()


def test_sup_t_critical_of_independent_columns():
    """With K independent standard-normal influence columns the critical value is that of max |Z_k|."""
    rng = np.random.default_rng(0)
    n, K = 4000, 6
    psi = rng.normal(size=(n, K))
    se = np.sqrt(np.mean(psi**2, axis=0) / n)
    from scipy import stats

    exact = stats.norm.ppf(1 - (1 - (0.95) ** (1 / K)) / 2)
    assert sup_t_critical(psi, se, draws=2000, seed=1) == pytest.approx(exact, abs=0.08)


def test_did_analysis_on_a_project_without_comparison_file(mini_project):
    from analysis.clean.run import clean_project
    from analysis.project.config import load_project

    folder, _ = mini_project
    proj = load_project(folder)
    cleaned = clean_project(proj)
    tables = dict(cleaned.tables)
    tables.pop("comparison", None)
    res = did_analysis(tables, proj.config, proj.config.data_end or "2021-12-31", methods=("reg",))
    assert all(c == "notyet" for (_, _, c) in res.results)  # no never-starters without a comparison file
    if res.available:
        assert set(res.summary().index.get_level_values("summary")) <= {"simple", "dynamic", "group"}


def test_weighted_comparison_path_is_in_the_event_table():
    s = sim.simulate(800, 2)
    r = estimate_attgt(s["Y"], s["G"], s["X"], np.arange(sim.T), "y", "ipw", "never", window=(-3, 3))
    e = r.event
    assert {"mean_treated", "comparison_weighted", "mean_control", "counterfactual"} <= set(e.columns)
    # weighting moves the comparison toward the participants (x1 raises both starting early and the outcome)
    gap_w = (e["mean_treated"] - e["comparison_weighted"]).loc[-3:-1].abs().mean()
    gap_u = (e["mean_treated"] - e["mean_control"]).loc[-3:-1].abs().mean()
    assert gap_w < gap_u
    np.testing.assert_allclose(e["counterfactual"], e["mean_treated"] - e["estimate"])


def test_cells_of_an_unbalanced_panel_equal_cold_fits_one_by_one():
    # a few persons missing a month make every cell's sample differ slightly: each cell's score starts
    # from its cohort's previous fit (the register-scale speed-up), which must reach the same minimum
    rng = np.random.default_rng(7)
    n, T = 3000, 8
    x = rng.normal(size=n)
    G = np.where(rng.random(n) < 1 / (1 + np.exp(1.0 - 0.5 * x)), rng.choice([3.0, 5.0], size=n), np.inf)
    Y = x[:, None] * np.arange(T)[None, :] * 0.1 + rng.normal(size=(n, T)) + (np.arange(T) >= G[:, None]) * 0.5
    Y[rng.random((n, T)) < 0.01] = np.nan
    X = np.column_stack([np.ones(n), x])
    gt = group_time_att(Y, G, X, method="dr", control="never", window=(-2, 3))
    fitted = gt.cells[~gt.cells["reference"] & gt.cells["att"].notna()]
    assert len(fitted) >= 8
    for cell in fitted.itertuples():
        ok = ~np.isnan(Y[:, cell.t]) & ~np.isnan(Y[:, cell.base]) & ((cell.g == G) | np.isinf(G))
        att, _ = did_panel(Y[ok, cell.t] - Y[ok, cell.base], (G[ok] == cell.g).astype(float), X[ok], method="dr")
        assert cell.att == pytest.approx(att, abs=1e-10)
