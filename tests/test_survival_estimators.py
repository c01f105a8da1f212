"""Kaplan–Meier, log-rank, Cox (Efron) and Aalen–Johansen against lifelines, published Rossi results and planted truths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

lifelines = pytest.importorskip("lifelines")
from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter  # noqa: E402
from lifelines.datasets import load_rossi  # noqa: E402
from lifelines.statistics import multivariate_logrank_test  # noqa: E402

from analysis.survival import aalen_johansen, cox_ph, kaplan_meier, kaplan_meier_by, logrank_test  # noqa: E402

DEC = 1e-6  # agreement required with lifelines (the brief asks for 4 decimals; we get ~1e-12)


def tied_data(n=400, seed=3):
    """Monthly (integer, heavily tied) durations with censoring and two covariates."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, n)
    lam = 0.05 * np.exp(0.5 * x1 - 0.7 * x2)
    t = np.ceil(rng.exponential(1 / lam))
    c = rng.integers(1, 40, n)
    return pd.DataFrame(
        {"T": np.minimum(t, c), "E": (t <= c).astype(int), "x1": x1, "x2": x2, "g": rng.choice(["a", "b", "c"], n)}
    )


# ---------------------------------------------------------------- Kaplan–Meier
@pytest.mark.parametrize("data", ["rossi", "tied", "entry"])
def test_km_matches_lifelines(data):
    if data == "rossi":
        r = load_rossi()
        t, e, entry = r["week"], r["arrest"], None
    else:
        d = tied_data()
        t, e = d["T"], d["E"]
        entry = np.floor(np.random.default_rng(1).uniform(0, 1, len(d)) * t * 0.5) if data == "entry" else None
    ours = kaplan_meier(t, e, entry=entry)
    kmf = KaplanMeierFitter().fit(t, e, entry=entry)
    np.testing.assert_allclose(ours.timeline, kmf.timeline)
    np.testing.assert_allclose(ours.survival, kmf.survival_function_.iloc[:, 0], atol=DEC)
    ci = kmf.confidence_interval_.to_numpy()
    np.testing.assert_allclose(ours.lower, ci[:, 0], atol=DEC)
    np.testing.assert_allclose(ours.upper, ci[:, 1], atol=DEC)
    np.testing.assert_allclose(ours.at_risk, kmf.event_table["at_risk"], atol=0)
    assert ours.median()[0] == kmf.median_survival_time_


def test_km_by_group_equals_separate_fits_and_at_risk_counts():
    d = tied_data()
    groups = kaplan_meier_by(d["T"], d["E"], d["g"])
    for g, curve in groups.curves.items():
        sub = d[d["g"] == g]
        kmf = KaplanMeierFitter().fit(sub["T"], sub["E"])
        np.testing.assert_allclose(curve.survival, kmf.survival_function_.iloc[:, 0], atol=DEC)
        at = curve.at_risk_at([0, 5, 12.5, 100])
        assert list(at) == [len(sub), (sub["T"] >= 5).sum(), (sub["T"] >= 12.5).sum(), 0]


def test_km_recovers_geometric_survival():
    """Planted constant monthly hazard 0.06 with random censoring: S(t) = 0.94^t within the band."""
    rng = np.random.default_rng(11)
    n, h = 3000, 0.06
    t = rng.geometric(h, n)
    c = rng.integers(1, 60, n)
    km = kaplan_meier(np.minimum(t, c), (t <= c).astype(int))
    at = km.survival_at([6, 12, 24])
    truth = (1 - h) ** at["time"]
    se = (at["upper"] - at["lower"]) / (2 * 1.96)
    assert (np.abs(at["survival"] - truth) < 3.5 * se).all()


# ---------------------------------------------------------------- log-rank
@pytest.mark.parametrize("k", [2, 3])
def test_logrank_matches_lifelines(k):
    d = tied_data(n=500, seed=5)
    g = d["g"].where(d["g"].isin(["a", "b", "c"][:k]), "a")
    ours = logrank_test(d["T"], d["E"], g)
    ref = multivariate_logrank_test(d["T"], g, d["E"])
    assert ours.statistic == pytest.approx(ref.test_statistic, abs=1e-8)
    assert ours.p_value == pytest.approx(ref.p_value, abs=1e-10)
    assert ours.df == k - 1


def test_logrank_detects_planted_difference_and_not_a_null_one():
    rng = np.random.default_rng(2)
    n = 600
    g = rng.integers(0, 3, n)
    t_diff = rng.geometric(np.array([0.08, 0.06, 0.04])[g])
    t_null = rng.geometric(0.06, n)
    c = rng.integers(1, 36, n)
    diff = logrank_test(np.minimum(t_diff, c), t_diff <= c, g, trend=True)
    assert diff.p_value < 1e-4 and diff.trend_p_value < 1e-4
    null = logrank_test(np.minimum(t_null, c), t_null <= c, g, trend=True)
    assert null.p_value > 0.001


# ---------------------------------------------------------------- Cox
# Fox & Weisberg (2002/2011), "Cox Proportional-Hazards Regression for Survival Data in R", Table: coef and se(coef)
ROSSI_PUBLISHED = pd.DataFrame(
    {
        "coef": [-0.3794, -0.0574, 0.3139, -0.1498, -0.4337, -0.0849, 0.0915],
        "se": [0.1914, 0.0220, 0.3080, 0.2122, 0.3819, 0.1958, 0.0286],
    },
    index=["fin", "age", "race", "wexp", "mar", "paro", "prio"],
)


def test_cox_rossi_published_and_lifelines():
    r = load_rossi()
    x = r[ROSSI_PUBLISHED.index]
    ours = cox_ph(x, r["week"], r["arrest"])
    np.testing.assert_allclose(ours.params.round(4), ROSSI_PUBLISHED["coef"], atol=1.01e-4)
    np.testing.assert_allclose(ours.standard_errors.round(4), ROSSI_PUBLISHED["se"], atol=1.01e-4)
    ref = CoxPHFitter().fit(r[[*ROSSI_PUBLISHED.index, "week", "arrest"]], "week", "arrest")
    np.testing.assert_allclose(ours.params, ref.params_[ours.params.index], atol=1e-7)
    np.testing.assert_allclose(ours.standard_errors, ref.standard_errors_[ours.params.index], atol=1e-7)
    assert ours.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-7)
    assert ours.concordance == pytest.approx(ref.concordance_index_, abs=1e-10)
    assert ours.log_likelihood_null == pytest.approx(-675.38, abs=0.01)  # published null log-likelihood
    assert ours.likelihood_ratio_test[0] == pytest.approx(33.27, abs=0.01)  # published LR test, 7 df


def test_cox_efron_with_ties_matches_lifelines():
    d = tied_data(n=800, seed=9)
    ours = cox_ph(d[["x1", "x2"]], d["T"], d["E"])
    ref = CoxPHFitter().fit(d[["T", "E", "x1", "x2"]], "T", "E")
    np.testing.assert_allclose(ours.params, ref.params_, atol=1e-5)  # lifelines stops at a looser tolerance
    np.testing.assert_allclose(ours.standard_errors, ref.standard_errors_, atol=1e-6)
    assert ours.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-7)
    assert ours.concordance == pytest.approx(ref.concordance_index_, abs=1e-10)


def test_cox_recovers_planted_coefficients():
    d = tied_data(n=3000, seed=21)
    fit = cox_ph(d[["x1", "x2"]], d["T"], d["E"])
    # grouping to months attenuates a little; the planted values lie within 3 SE
    assert abs(fit.params["x1"] - 0.5) < 3 * fit.standard_errors["x1"]
    assert abs(fit.params["x2"] + 0.7) < 3 * fit.standard_errors["x2"]


def test_ph_test_flags_non_proportional_hazard():
    rng = np.random.default_rng(4)
    n = 1500
    x = rng.integers(0, 2, n)
    # x = 1: high hazard early, low late (crossing hazards)
    early = rng.exponential(np.where(x == 1, 3.0, 10.0))
    t = np.where(early < 5, early, 5 + rng.exponential(np.where(x == 1, 30.0, 10.0)))
    ph = cox_ph(x.astype(float), t, np.ones(n)).proportional_hazard_test()
    assert ph["p"].iloc[0] < 0.001
    t_ok = rng.exponential(np.where(x == 1, 5.0, 10.0))
    assert cox_ph(x.astype(float), t_ok, np.ones(n)).proportional_hazard_test()["p"].iloc[0] > 0.001


def test_cox_summary_and_plot():
    r = load_rossi()
    fit = cox_ph(r[["fin", "prio"]], r["week"], r["arrest"])
    s = fit.summary()
    assert list(s.index) == ["fin", "prio"]
    assert np.allclose(s["exp(coef)"], np.exp(s["coef"]))
    assert (s["exp(coef) lower"] < s["exp(coef)"]).all() and (s["exp(coef)"] < s["exp(coef) upper"]).all()
    ax = fit.plot()
    assert len(ax.get_yticklabels()) == 2


# ---------------------------------------------------------------- Aalen–Johansen
def test_aalen_johansen_matches_lifelines_without_ties():
    rng = np.random.default_rng(1)
    n = 400
    t = rng.exponential(10, n) + 0.01
    e = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    ours = aalen_johansen(t, e, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = AalenJohansenFitter(calculate_variance=True).fit(t, e, event_of_interest=1)
    np.testing.assert_allclose(ours.timeline, ref.timeline)
    np.testing.assert_allclose(ours.incidence, ref.cumulative_density_.iloc[:, 0], atol=DEC)
    np.testing.assert_allclose(ours.variance, ref.variance_, atol=DEC)
    ci = ref.confidence_interval_.to_numpy()
    ok = ours.incidence > 0
    np.testing.assert_allclose(ours.lower[ok], np.fmin(ci[:, 0], ci[:, 1])[ok], atol=DEC)
    np.testing.assert_allclose(ours.upper[ok], np.fmax(ci[:, 0], ci[:, 1])[ok], atol=DEC)


def test_aalen_johansen_recovers_competing_geometric_hazards():
    """Monthly hazards 0.05 (work) and 0.01 (competing): F1(t) = 0.05/0.06 * (1 - 0.94^t)."""
    rng = np.random.default_rng(8)
    n = 4000
    t_any = rng.geometric(0.06, n)
    cause = np.where(rng.random(n) < 0.05 / 0.06, 1, 2)
    c = rng.integers(1, 48, n)
    obs = np.minimum(t_any, c)
    ev = np.where(t_any <= c, cause, 0)
    cif = aalen_johansen(obs, ev, 1).incidence_at([6, 12, 24])
    truth = 0.05 / 0.06 * (1 - 0.94 ** cif["time"])
    se = (cif["upper"] - cif["lower"]) / (2 * 1.96)
    assert (np.abs(cif["incidence"] - truth) < 3.5 * se).all()
    # with no competing events it is 1 - KM
    ev1 = (t_any <= c).astype(int)
    np.testing.assert_allclose(aalen_johansen(obs, ev1, 1).incidence, 1 - kaplan_meier(obs, ev1).survival, atol=1e-12)
