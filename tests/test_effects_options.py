"""The matching and weighting options of project.yml against references that share no code with them.

* IPW and regression adjustment: statsmodels' ``TreatmentEffect(..., effect_group=1)``, estimate and
  standard error to 1e-6 (on data whose scores stay inside statsmodels' clipping to [0.01, 0.99]).
* Entropy balancing: the ``ebal`` package (Hainmueller's algorithm, Eddie Yang's Python port): weights
  to 1e-8 and its ATT (weighted least squares coefficient).
* Overlap weights and entropy balancing standard errors: a stacked M-estimation sandwich written
  here from the papers, with a finite-difference Jacobian.
* Bias-corrected matching: ``causalinference`` (Laurence Wong's ``est_via_matching(bias_adj=True)``).
* Matching without replacement and within exact cells: brute force written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.effects import fit_propensity, ipw_att, match_att, regression_adjustment
from analysis.effects.design import Sample
from analysis.effects.weighting import entropy_att, entropy_weights, overlap_att, trim_mask


def mild(n=3000, seed=4, tau=2.0):
    """Selection on two covariates, mild enough that every score lies in [0.02, 0.98]."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n).astype(float)
    e = 1 / (1 + np.exp(-(-0.6 + 0.7 * x1 + 0.6 * x2)))
    d = (rng.random(n) < e).astype(np.int8)
    y = 1 + 2 * x1 + 1.5 * x2 + 0.5 * x1**2 + tau * d + rng.normal(size=n)
    return Sample(y=y, d=d, X=pd.DataFrame({"x1": x1, "x2": x2}))


def test_ipw_and_ra_equal_statsmodels_treatment_effect():
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    s = mild()
    X = sm.add_constant(s.X.to_numpy())
    d = s.d.astype(int)
    sel = sm.Logit(d, X).fit(disp=0)
    assert sel.predict().min() > 0.01 and sel.predict().max() < 0.99  # no clipping inside statsmodels
    te = TreatmentEffect(sm.OLS(s.y, X), d, results_select=sel)
    ref_ipw = te.ipw(effect_group=1).summary_frame().loc["ATE"]
    ref_ra = te.ra(effect_group=1).summary_frame().loc["ATE"]
    ipw, ra = ipw_att(s, trim=False), regression_adjustment(s)
    assert ipw.estimate == pytest.approx(ref_ipw["coef"], abs=1e-6)
    assert ipw.se == pytest.approx(ref_ipw["std err"], abs=1e-6)
    assert ra.estimate == pytest.approx(ref_ra["coef"], abs=1e-6)
    assert ra.se == pytest.approx(ref_ra["std err"], abs=1e-6)


def test_entropy_balancing_equals_the_ebal_package():
    ebal = pytest.importorskip("ebal")
    s = mild(seed=8)
    ref = ebal.ebal_bin(PCA=False, print_level=-1, max_iterations=500, constraint_tolerance=1e-10)
    out = ref.ebalance(s.d, s.X.to_numpy(), s.y)
    assert out["converged"]
    w_ref = out["w"][s.d == 0] / out["w"][s.d == 0].sum()
    w, _, converged, _ = entropy_weights(s.X.to_numpy(), s.d)
    assert converged
    np.testing.assert_allclose(w[s.d == 0], w_ref, atol=1e-8)
    r = entropy_att(s)
    assert r.estimate == pytest.approx(float(out["wls"].params[1]), abs=1e-8)
    # the covariate means are balanced exactly
    t = s.d == 1
    np.testing.assert_allclose(w[~t] @ s.X.to_numpy()[~t], s.X.to_numpy()[t].mean(axis=0), atol=1e-8)


def _sandwich_se(moments, theta, contrast):
    """Stacked M-estimation: V = G^-1 S G^-T / n with G the finite-difference Jacobian of the mean moments."""
    m = moments(theta)
    n = m.shape[0]
    G = np.zeros((len(theta), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        G[:, j] = (moments(up).mean(axis=0) - moments(dn).mean(axis=0)) / (2 * h)
    S = m.T @ m / n
    Gi = np.linalg.inv(G)
    V = Gi @ S @ Gi.T / n
    return float(np.sqrt(contrast @ V @ contrast))


def test_overlap_weights_se_equals_a_stacked_sandwich():
    s = mild(seed=5)
    r = overlap_att(s)
    Z = np.column_stack([np.ones(len(s.y)), s.X.to_numpy()])
    d, y = s.d.astype(float), s.y
    beta = sm.Logit(d, Z).fit(disp=0).params
    e = 1 / (1 + np.exp(-Z @ beta))
    mu1 = np.sum(d * (1 - e) * y) / np.sum(d * (1 - e))
    mu0 = np.sum((1 - d) * e * y) / np.sum((1 - d) * e)
    assert r.estimate == pytest.approx(mu1 - mu0, abs=1e-9)

    def moments(th):
        b, m1, m0 = th[:3], th[3], th[4]
        p = 1 / (1 + np.exp(-Z @ b))
        return np.column_stack([Z * (d - p)[:, None], d * (1 - p) * (y - m1), (1 - d) * p * (y - m0)])

    ref = _sandwich_se(moments, np.r_[beta, mu1, mu0], np.r_[0, 0, 0, 1, -1])
    assert r.se == pytest.approx(ref, rel=1e-5)
    # overlap weights balance the logit's covariates exactly
    X = s.X.to_numpy()
    np.testing.assert_allclose(
        (d * (1 - e)) @ X / np.sum(d * (1 - e)), ((1 - d) * e) @ X / np.sum((1 - d) * e), atol=1e-8
    )


def test_entropy_balancing_se_equals_a_stacked_sandwich():
    s = mild(seed=6)
    r = entropy_att(s)
    X = s.X.to_numpy()
    sd = X.std(axis=0)
    Xs = X / sd
    d, y = s.d.astype(float), s.y
    t = d == 1
    w, lam, _, _ = entropy_weights(X, s.d)
    m = Xs[t].mean(axis=0)

    def moments(th):
        mm, lv, m1, m0 = th[:2], th[2:4], th[4], th[5]
        u = (1 - d) * np.exp((Xs - mm) @ lv)
        return np.column_stack([d[:, None] * (Xs - mm), u[:, None] * (Xs - mm), d * (y - m1), u * (y - m0)])

    theta = np.r_[m, lam, y[t].mean(), float(w @ y)]
    assert np.abs(moments(theta).mean(axis=0)).max() < 1e-8  # the solution solves the stacked equations
    ref = _sandwich_se(moments, theta, np.r_[0, 0, 0, 0, 1, -1])
    assert r.se == pytest.approx(ref, rel=1e-5)


def brute_greedy(st, sc, k, caliper):
    """Greedy without replacement by full distance search, participants by decreasing score."""
    free = np.ones(len(sc), bool)
    pairs = []
    for _ in range(k):
        for i in np.argsort(-st, kind="stable"):
            dist = np.where(free, np.abs(sc - st[i]), np.inf)
            j = int(np.argmin(dist))  # the lowest index among equal distances is the left neighbour
            if not np.isfinite(dist[j]) or (caliper is not None and dist[j] > caliper):
                continue
            free[j] = False
            pairs.append((i, j))
    return pairs


@pytest.mark.parametrize("k,caliper", [(1, None), (2, None), (1, 0.02), (3, 0.05)])
def test_matching_without_replacement_equals_brute_force_greedy(k, caliper):
    rng = np.random.default_rng(k)
    n1, n0 = 80, 300
    st, sc = rng.uniform(size=n1), rng.uniform(size=n0)
    yt, yc = rng.normal(size=n1), rng.normal(size=n0)
    pairs = brute_greedy(st, sc, k, caliper)
    matched = sorted({i for i, _ in pairs})
    est = np.mean([yt[i] - np.mean([yc[j] for ii, j in pairs if ii == i]) for i in matched])
    s = Sample(
        y=np.r_[yt, yc], d=np.r_[np.ones(n1), np.zeros(n0)].astype(np.int8), X=pd.DataFrame(index=range(n1 + n0))
    )
    score = np.r_[st, sc]
    r = match_att(s, score=score, k=k, caliper=None if caliper is None else caliper / np.std(score), replacement=False)
    assert r.estimate == pytest.approx(est, abs=1e-12)
    assert r.details["n_unmatched"] == n1 - len(matched)
    assert r.weights[n1:].max() <= 1.0 / 1 + 1e-12  # each comparison person used at most once


def test_matching_within_exact_cells_equals_matching_cell_by_cell():
    rng = np.random.default_rng(9)
    n = 900
    cell = rng.integers(0, 4, n)
    x = rng.normal(size=n) + cell
    d = (rng.random(n) < 1 / (1 + np.exp(-(x - 2)))).astype(np.int8)
    y = x + cell + 1.0 * d + rng.normal(size=n)
    s = Sample(y=y, d=d, X=pd.DataFrame({"x": x}))
    r = match_att(s, score=x, caliper=None, k=2, cells=cell)
    parts = []
    for c in range(4):
        m = cell == c
        sub = Sample(y=y[m], d=d[m], X=pd.DataFrame({"x": x[m]}))
        parts.append((match_att(sub, score=x[m], caliper=None, k=2).estimate, int(d[m].sum())))
    pooled = sum(e * n1 for e, n1 in parts) / sum(n1 for _, n1 in parts)
    assert r.estimate == pytest.approx(pooled, abs=1e-10)


def test_bias_corrected_matching_equals_causalinference():
    causal = pytest.importorskip("causalinference")
    rng = np.random.default_rng(12)
    n = 600
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(np.int8)
    y = 1 + 3 * x + 2.0 * d + rng.normal(size=n)
    s = Sample(y=y, d=d, X=pd.DataFrame({"x": x}))
    for k in (1, 3):
        ref = causal.CausalModel(y, d.astype(int), x[:, None])
        ref.est_via_matching(bias_adj=True, matches=k)
        ours = match_att(s, score=x, caliper=None, k=k, bias_correction=True)
        assert ours.estimate == pytest.approx(ref.estimates["matching"]["att"], abs=1e-10), k
        ref.est_via_matching(bias_adj=False, matches=k)
        plain = match_att(s, score=x, caliper=None, k=k)
        assert plain.estimate == pytest.approx(ref.estimates["matching"]["att"], abs=1e-10), k


def test_clustered_se_equals_plain_se_with_one_row_per_person_and_grows_with_repeated_persons():
    s = mild(n=1200, seed=2)
    ps = fit_propensity(s.X, s.d)
    plain = {f.__name__: f(s) for f in (overlap_att, entropy_att)}
    plain["ipw"] = ipw_att(s, ps, trim=False)
    plain["matching"] = match_att(s, ps)
    s.cluster = np.arange(len(s.y))
    for name, r in plain.items():
        again = {"overlap_att": overlap_att, "entropy_att": entropy_att}.get(name)
        r2 = again(s) if again else (ipw_att(s, ps, trim=False) if name == "ipw" else match_att(s, ps))
        assert r2.se == pytest.approx(r.se, rel=1e-10), name
    # the same persons twice (identical rows): clustering by person doubles the variance of the sums
    twice = Sample(
        y=np.r_[s.y, s.y],
        d=np.r_[s.d, s.d],
        X=pd.concat([s.X, s.X], ignore_index=True),
        cluster=np.r_[s.cluster, s.cluster],
    )
    r_ipw = ipw_att(twice, trim=False)
    assert r_ipw.se == pytest.approx(plain["ipw"].se, rel=1e-6)  # no information gained by copying persons
    twice.cluster = None
    assert ipw_att(twice, trim=False).se == pytest.approx(plain["ipw"].se / np.sqrt(2), rel=1e-6)


def test_trimming_rules():
    s = mild(seed=3)
    ps = fit_propensity(s.X, s.d)
    assert trim_mask(ps, "none").all()
    np.testing.assert_array_equal(trim_mask(ps, "support"), ~ps.outside_support)
    crump = trim_mask(ps, "crump")
    np.testing.assert_array_equal(crump, (ps.ps >= 0.1) & (ps.ps <= 0.9))
    assert trim_mask(ps, (0.05, 0.95)).sum() >= crump.sum()
