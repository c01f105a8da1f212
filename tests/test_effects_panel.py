"""Event study: equals statsmodels' person-clustered saturated regression, and recovers a planted DiD."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.effects.panel import event_study


def panel(n=300, seed=0, effect=0.2):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n):
        g = int(p < n // 3)
        u = rng.normal()
        for k in range(-4, 5):
            if rng.uniform() < 0.05 and k != -1:
                continue  # unbalanced panel
            prob = 1 / (1 + np.exp(-(u - 0.5 + 0.05 * k + 0.3 * g))) + (effect * g if k >= 0 else 0)
            rows.append((p, g, k, int(rng.uniform() < min(prob, 1))))
    return pd.DataFrame(rows, columns=["person", "group", "k", "y"])


def test_equals_clustered_ols():
    long = panel()
    es = event_study(long, ref=-1, min_cell=5)
    base = long[long.k == -1].set_index("person")["y"]
    sub = long[long.k != -1].copy()
    sub["delta"] = sub["y"] - base.reindex(sub["person"]).to_numpy()
    ks = sorted(sub.k.unique())
    X = pd.concat(
        [pd.get_dummies(sub.k, prefix="k", dtype=float)]
        + [(sub.group * (sub.k == k)).rename(f"gk{k}").astype(float) for k in ks],
        axis=1,
    )
    fit = sm.OLS(sub["delta"].to_numpy(), X.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": sub["person"].to_numpy(), "use_correction": False}
    )
    gk = [X.columns.get_loc(f"gk{k}") for k in ks]
    np.testing.assert_allclose(es.estimates["estimate"].to_numpy(), fit.params[gk], atol=1e-10)
    np.testing.assert_allclose(es.estimates["se"].to_numpy(), fit.bse[gk], rtol=1e-8)


def test_planted_difference_in_differences_and_pretrend():
    long = panel(n=3000, seed=1, effect=0.2)
    es = event_study(long, ref=-1)
    post = es.estimates.loc[[0, 1, 2, 3, 4]]
    # the planted jump is 0.2 in probability, less where the probability is capped at 1
    assert (post["estimate"] > 0.12).all() and (post["estimate"] < 0.22).all()
    assert es.pretrend["df"] == 3 and es.pretrend["p"] > 0.001


def test_before_after_without_comparison():
    long = panel(seed=2)
    es = event_study(long[long.group == 1], ref=-1)
    assert not es.has_comparison and es.pretrend is None
    assert (es.estimates["n_control"] == 0).all()


@pytest.mark.parametrize("comparison", [True, False])
def test_grid_and_long_computations_agree(comparison):
    """Register-sized panels use a persons x event-time array; it must give the row-by-row numbers."""
    long = panel(n=400, seed=5)
    if not comparison:
        long = long[long.group == 1]
    grid = event_study(long, ref=-1, min_cell=5, method="grid")
    rows = event_study(long, ref=-1, min_cell=5, method="long")
    pd.testing.assert_frame_equal(grid.estimates, rows.estimates, check_exact=False, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grid.cov, rows.cov, rtol=1e-9, atol=1e-15)
    pd.testing.assert_frame_equal(grid.shares, rows.shares)
    # a duplicated (person, k) row makes the grid step aside; the result is the row-by-row one
    dup = pd.concat([long, long.iloc[[3]]], ignore_index=True)
    np.testing.assert_allclose(event_study(dup, ref=-1).cov, event_study(dup, ref=-1, method="long").cov)
