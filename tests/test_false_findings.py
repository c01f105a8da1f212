"""Two false findings (issue 17, defect 12): separation is diagnosed on the fitted model, and a covariate
entered twice in the Cox model is removed with a message naming the project.yml field.

Fixture 1 is a comparison group of ~16 000 persons with strong selection on age: the logit converges,
its linear predictor reaches beyond -40 for the oldest comparison persons, and nothing is separated.
The old rule (``abs(design @ params).max() > 30`` -> penalised fit) replaced it; the fit must now be
statsmodels' maximum-likelihood estimate, and the matching estimate the one on that score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.effects import fit_propensity, match_att
from analysis.effects.design import Sample
from analysis.effects.logit import fit_logit, separation_lp
from analysis.project.config import ProjectConfig
from analysis.survival.analysis import survival_analysis
from test_spells import simulate_panel


def strong_selection(n0: int = 16_000, seed: int = 7) -> Sample:
    """Participants are young and long on support; 64-year-olds have log odds near -40 of taking part."""
    rng = np.random.default_rng(seed)
    n = n0 + 500
    age = rng.uniform(18, 64, n)
    months = rng.gamma(2, 12, n)
    female = rng.binomial(1, 0.5, n)
    eta = -2 - 0.9 * (age - 25) + 0.15 * (months - 24) + 1.0 * female
    d = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    y = 60 * (age - 40) ** 2 - 300 * months + 2000 * female + 5000.0 * d + rng.normal(0, 2000, n)
    return Sample(y=y, d=d, X=pd.DataFrame({"age": age, "months": months, "female": female.astype(float)}))


def test_converged_logit_with_a_large_linear_predictor_keeps_its_fit():
    s = strong_selection()
    assert s.n_control > 14_000 and s.n_treated > 1000
    ps = fit_propensity(s.X, s.d)
    assert np.abs(ps.score).max() > 30  # what the old threshold called separation
    assert not ps.separated and ps.separation is None and ps.converged
    mle = sm.Logit(s.d.astype(float), ps.design).fit(disp=0, method="newton", maxiter=200)
    np.testing.assert_allclose(ps.score, ps.design @ mle.params, rtol=1e-8, atol=1e-8)
    # the matching estimate is the one on the maximum-likelihood score ...
    on_mle = match_att(s, score=ps.design @ np.asarray(mle.params))
    assert match_att(s, ps).estimate == pytest.approx(on_mle.estimate, abs=1e-9)
    # ... not the one on the penalised fit the old rule substituted (the estimate moved)
    pen = sm.Logit(s.d.astype(float), ps.design).fit_regularized(
        method="l1", alpha=1e-4 * len(s.d), disp=0, trim_mode="off"
    )
    moved = match_att(s, score=ps.design @ np.asarray(pen.params)).estimate - on_mle.estimate
    assert abs(moved) > 50


def test_quasi_complete_separation_is_found_by_the_linear_program():
    rng = np.random.default_rng(3)
    n = 2000
    x = rng.normal(size=n)
    design = np.column_stack([np.ones(n), x, rng.normal(size=n)])
    d = (x > 0.8).astype(float)  # x separates completely
    fit = fit_logit(d, design)
    assert fit.separated and fit.reason == "separation" and fit.n_separated >= n - 2
    assert np.all(np.isfinite(fit.params))
    # quasi-complete: only the persons with x above 2 are all participants, the rest overlap
    d2 = np.where(x > 2, 1.0, (rng.random(n) < 0.3).astype(float))
    d2[x < -2] = 0.0
    assert not separation_lp(design, d2)[0]
    z = np.where(x > 0, 1.0, 0.0)
    d4 = np.where(x > 0, 1.0, (rng.random(n) < 0.5).astype(float))  # x > 0 always participants
    quasi = np.column_stack([np.ones(n), z])
    sep, n_sep = separation_lp(quasi, d4)
    assert sep and 0 < n_sep < n  # quasi-complete: the participants with x > 0
    assert fit_logit(d4, quasi).separated


CFG = {
    "name": "x",
    "owner": "y",
    "period": {"start": "2020-01-01", "end": "2023-12-31"},
    "synthetic": True,
    "bridge_gap_months": 0,
    "files": {"participants": {"path": "p.csv"}, "status_monthly": {"path": "s.csv"}},
}


@pytest.fixture(scope="module")
def tables():
    panel, persons = simulate_panel(n=600, seed=11)
    rng = np.random.default_rng(2)
    persons = persons.assign(
        gender=np.where(np.arange(len(persons)) % 2, "female", "male"),
        age_at_start=pd.array(rng.integers(20, 60, len(persons)), dtype="Int64"),
        support_before_months=rng.integers(0, 40, len(persons)).astype(float),
        track=None,
    )
    return {"participants": persons.drop(columns="cohort"), "status_monthly": panel}


@pytest.mark.parametrize("listed", ["age_at_start", "age"])
def test_age_listed_as_a_cox_covariate_enters_once(tables, listed):
    cfg = ProjectConfig.model_validate({**CFG, "covariates": [listed, "support_before_months"]})
    res = survival_analysis(tables, cfg, pd.Timestamp("2023-12-31"))
    assert res.cox is not None, res.cox_problem
    assert "age_10y" in res.cox.params.index and "age_at_start" not in res.cox.params.index
    assert "support_before_months" in res.cox.params.index
    assert res.cox_dropped == [{"term": listed, "field": "covariates", "reason": "duplicate", "kept": "age_10y"}]
    out = res.to_results()
    assert "cox" in out and out["cox_dropped_terms"][0]["field"] == "covariates"
    from analysis.report.sections.survival import from_analysis

    from_analysis(res).show("sv")  # the sentence naming the field renders


def test_collinear_listed_covariate_is_left_out_and_named(tables):
    t = dict(tables)
    t["participants"] = tables["participants"].assign(
        support_years=tables["participants"]["support_before_months"] / 12
    )
    cfg = ProjectConfig.model_validate({**CFG, "covariates": ["support_before_months", "support_years"]})
    res = survival_analysis(t, cfg, pd.Timestamp("2023-12-31"))
    assert res.cox is not None and "support_years" not in res.cox.params.index
    assert res.cox_dropped == [{"term": "support_years", "field": "covariates", "reason": "collinear", "kept": None}]


def test_cox_failure_reason_is_not_blamed_on_separation():
    from analysis.survival.cox import ConvergenceError, cox_ph

    x = np.column_stack([np.arange(50.0), np.arange(50.0) * 2])
    with pytest.raises(ConvergenceError) as err:
        cox_ph(x, np.arange(1, 51), np.ones(50))
    assert err.value.reason == "collinear" and err.value.terms == ["x1"]
