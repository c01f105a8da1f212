"""Effect estimators on simulated data with a planted ATT, cross-checked against statsmodels and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.effects import aipw_att, fit_propensity, ipw_att, match_att, regression_adjustment, unadjusted
from analysis.effects.design import Sample
from analysis.effects.estimators import nearest_neighbours


def simulate(n=4000, seed=0, binary=False, tau=2.0):
    """Selection on observables: x1 and x2 raise both participation and the outcome."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(-1.5 + x1 + 0.8 * x2))))
    if binary:
        base = 1 / (1 + np.exp(-(-0.5 + 0.8 * x1 + 0.5 * x2)))
        y = rng.binomial(1, np.clip(base + tau * d, 0, 1)).astype(float)
    else:
        y = 1 + 2 * x1 + 1.5 * x2 + tau * d + rng.normal(size=n)
    return Sample(
        y=y,
        d=d.astype(np.int8),
        X=pd.DataFrame({"x1": x1, "x2": x2.astype(float)}),
        kind="binary" if binary else "continuous",
    )


@pytest.mark.parametrize("binary,tau", [(False, 2.0), (True, 0.10)])
def test_planted_att_recovered_and_naive_biased(binary, tau):
    s = simulate(binary=binary, tau=tau)
    ps = fit_propensity(s.X, s.d)
    naive = unadjusted(s)
    assert abs(naive.estimate - tau) > 5 * naive.se  # confounding: the raw difference is far off
    for r in (regression_adjustment(s), match_att(s, ps), ipw_att(s, ps), aipw_att(s, ps)):
        assert abs(r.estimate - tau) < 3 * r.se, (r.estimator, r.estimate, r.se)
        assert r.se > 0


def test_confidence_intervals_cover_close_to_95_percent():
    """300 seeded replications: coverage of each 95 % interval within binomial noise of 0.95."""
    cover = {}
    for rep in range(300):
        s = simulate(n=1500, seed=1000 + rep)
        ps = fit_propensity(s.X, s.d)
        for r in (regression_adjustment(s), ipw_att(s, ps, trim=False), aipw_att(s, ps), match_att(s, ps)):
            cover.setdefault(r.estimator, []).append(r.covers(2.0))
    for name, hits in cover.items():
        # sd of a coverage share over 300 runs is 0.0126; allow about 3 sd
        assert 0.91 <= np.mean(hits) <= 0.99, (name, np.mean(hits))


def test_regression_and_ipw_equal_hand_computed_statsmodels_fits():
    s = simulate(n=800, seed=3)
    X = sm.add_constant(s.X.to_numpy())
    c = s.d == 0
    ols = sm.OLS(s.y[c], X[c]).fit()
    hand = np.mean(s.y[~c] - ols.predict(X[~c]))
    assert regression_adjustment(s).estimate == pytest.approx(hand, rel=1e-10)
    # IPW ATT = coefficient of d in WLS of y on d with weights 1 (treated) and e/(1-e) (controls)
    e = sm.Logit(s.d, X).fit(disp=0).predict(X)
    w = np.where(c, e / (1 - e), 1.0)
    wls = sm.WLS(s.y, sm.add_constant(s.d.astype(float)), weights=w).fit()
    assert ipw_att(s, trim=False).estimate == pytest.approx(wls.params[1], rel=1e-8)
    # binary RA: logit on controls, mean of observed minus predicted among participants
    b = simulate(n=800, seed=4, binary=True, tau=0.1)
    Xb = sm.add_constant(b.X.to_numpy())
    logit = sm.Logit(b.y[b.d == 0], Xb[b.d == 0]).fit(disp=0)
    hand_b = np.mean(b.y[b.d == 1] - logit.predict(Xb[b.d == 1]))
    assert regression_adjustment(b).estimate == pytest.approx(hand_b, rel=1e-8)


def brute_force_matching(st, sc, yt, yc, k, caliper):
    """n_treated x n_control distances; all controls tied with the k-th nearest; caliper in score units."""
    D = np.abs(st[:, None] - sc[None, :])
    r = np.sort(D, axis=1)[:, k - 1]
    if caliper is not None:
        r = np.minimum(r, caliper)
    M = r[:, None] * (1 + 1e-10) + 1e-12 >= D
    if caliper is not None:
        M &= caliper * (1 + 1e-10) + 1e-12 >= D
    m = M.sum(axis=1)
    ok = m > 0
    yhat = (M * yc[None, :]).sum(axis=1)[ok] / m[ok]
    K = (M[ok] / m[ok, None]).sum(axis=0)
    return float(np.mean(yt[ok] - yhat)), K, int((~ok).sum())


@pytest.mark.parametrize(
    "k,caliper,ties", [(1, None, False), (3, None, False), (1, 0.05, False), (2, None, True), (4, 0.1, True)]
)
def test_matching_equals_brute_force(k, caliper, ties):
    rng = np.random.default_rng(k * 10 + ties)
    n1, n0 = 60, 200
    st, sc = rng.uniform(size=n1), rng.uniform(size=n0)
    if ties:  # a discrete score gives many exact ties
        st, sc = np.round(st * 8) / 8, np.round(sc * 8) / 8
    yt, yc = rng.normal(size=n1), rng.normal(size=n0)
    tau, K, unmatched = brute_force_matching(st, sc, yt, yc, k, caliper)
    s = Sample(
        y=np.concatenate([yt, yc]),
        d=np.r_[np.ones(n1), np.zeros(n0)].astype(np.int8),
        X=pd.DataFrame(index=range(n1 + n0)),
    )
    score = np.concatenate([st, sc])
    cal_sd = None if caliper is None else caliper / np.std(score)
    r = match_att(s, k=k, caliper=cal_sd, score=score)
    assert r.estimate == pytest.approx(tau, abs=1e-12)
    assert r.details["n_unmatched"] == unmatched
    np.testing.assert_allclose(r.weights[n1:], K, atol=1e-12)
    order, lo, hi = nearest_neighbours(st, sc, k, caliper)
    assert ((hi - lo) > 0).sum() == n1 - unmatched


def test_matching_memory_is_linear_at_register_scale():
    """20 000 participants against 1 000 000 controls: a treated x control matrix would need 160 GB."""
    rng = np.random.default_rng(5)
    n1, n0 = 20_000, 1_000_000
    x = np.r_[rng.normal(0.5, 1, n1), rng.normal(0, 1, n0)]
    d = np.r_[np.ones(n1), np.zeros(n0)].astype(np.int8)
    y = x + 1.0 * d + rng.normal(size=n1 + n0)
    s = Sample(y=y, d=d, X=pd.DataFrame({"x": x}))
    r = match_att(s, score=x, caliper=None, k=2)
    assert abs(r.estimate - 1.0) < 3 * r.se
