"""Missing covariates: Rubin's rules against the formulas, MICE recovers a planted effect that complete
cases miss, the missing-indicator option keeps everybody, and the count of persons left out is
disclosure-protected in results.json and on the page."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.clean.run import clean_project
from analysis.effects.adjust import EffectOptions
from analysis.effects.analysis import effects_analysis
from analysis.effects.design import OutcomeSpec, Sample
from analysis.effects.missing import impute, pool_rubin, with_indicators
from analysis.effects.outcome import estimate_imputed
from analysis.effects.result import EffectResult
from analysis.project.comparison import ComparisonSpec
from analysis.project.config import load_project

sys.path.insert(0, str(Path(__file__).parent / "data" / "projects"))
from nsw_jtrain import write_project


def test_rubins_rules_by_hand():
    est = np.array([1.0, 1.4, 0.8, 1.2])
    se = np.array([0.30, 0.32, 0.29, 0.31])
    r = pool_rubin([EffectResult("ipw", "y", e, s, 10, 20) for e, s in zip(est, se)])
    m = 4
    u, b = np.mean(se**2), np.var(est, ddof=1)
    total = u + (1 + 1 / m) * b
    df = (m - 1) * (1 + u / ((1 + 1 / m) * b)) ** 2
    assert r.estimate == pytest.approx(est.mean())
    assert r.se == pytest.approx(np.sqrt(total))
    assert r.df == pytest.approx(df)
    q = stats.t.ppf(0.975, df)
    assert r.ci == pytest.approx((est.mean() - q * np.sqrt(total), est.mean() + q * np.sqrt(total)))


def planted(n=3000, seed=1):
    """x drives taking part and the outcome; x is missing more often for participants with a high outcome."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n) + 0.6 * x  # an auxiliary covariate, always observed
    d = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + x)))).astype(np.int8)
    y = 1 + 2 * x + 0.5 * z + 1.0 * d + rng.normal(size=n)
    miss = rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.2 * (y > 2) + 0.8 * d)))
    frame = pd.DataFrame({"x": np.where(miss, np.nan, x), "z": z, "treated": d})
    return frame, y, d, miss


def test_mice_keeps_everybody_and_recovers_the_planted_effect():
    frame, y, d, miss = planted()
    spec = OutcomeSpec("y", "continuous", None, "register")
    cc = ~miss
    done = impute(frame, ["x"], pd.DataFrame({"z": frame["z"], "d": d, "y": y}), m=10, seed=3)
    assert all(not f["x"].isna().any() for f in done)
    np.testing.assert_array_equal(done[0].loc[cc, "x"], frame.loc[cc, "x"])  # observed values kept
    samples = [Sample(y=y, d=d, X=f[["x", "z"]]) for f in done]
    pooled = estimate_imputed(samples, spec, 5, EffectOptions())
    for name in ("regression", "ipw", "aipw", "matching", "entropy"):
        r = pooled.result(name)
        assert r.details["imputations"] == 10 and r.df is not None
        assert abs(r.estimate - 1.0) < 3 * r.se, (name, r.estimate, r.se)
    # more persons than the complete cases: the imputed ones count
    assert pooled.n_treated == int(d.sum()) > int(d[cc].sum())


def test_missing_indicator_keeps_everybody():
    frame, *_ = planted(n=200)
    out, names = with_indicators(frame, ["x"])
    assert names == ["x=missing"] and not out["x"].isna().any()
    assert out["x=missing"].sum() == frame["x"].isna().sum()


@pytest.mark.parametrize("method", ["complete", "indicator", "mice"])
def test_project_states_method_and_protects_the_count(tmp_path, method):
    d = write_project(tmp_path, "jtrain3", "nsw")
    proj = load_project(d)
    cleaned = clean_project(proj)
    tables = dict(cleaned.tables)
    part = tables["participants"].copy()
    part.loc[part.index[:3], "educ"] = np.nan  # three participants lack education: fewer than min_cell
    tables["participants"] = part
    cfg = proj.config.model_copy(
        update={"comparison": ComparisonSpec.model_validate({"missing": {"method": method, "imputations": 3}})}
    )
    res = effects_analysis(tables, cfg, cfg.data_end)
    out = res.to_results()
    assert out["missing"]["method"] == method and out["missing"]["columns"] == ["educ"]
    assert out["missing"]["n_missing"] is None and out["missing"]["shown"]["n_missing"] == "<5"
    n1 = res.outcomes["re78"].n_treated
    assert n1 == (182 if method == "complete" else 185)
    if method == "mice":
        assert out["outcomes"]["re78"]["imputations"] == 3
        rows = out["outcomes"]["re78"]["estimates"]["rows"]
        assert all(r["imputations"] == 3 for r in rows.values())  # every estimator pooled by Rubin's rules
    from analysis.report.sections.design import missing_sentence
    from analysis.report.sections.effects import from_analysis

    text = missing_sentence(from_analysis(res).tree["missing"], "sv")
    assert text.startswith("<5 personer")
