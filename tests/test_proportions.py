"""Wilson intervals equal statsmodels; distributions count and share correctly."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analysis.disclosure.intervals import share_table, wilson_interval
from analysis.disclosure.proportions import binary_shares, distribution
from analysis.report.format import formatter


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.sampled_from([0.05, 0.1, 0.01])
)
def test_wilson_equals_statsmodels(kn, alpha):
    k, n = kn
    lo, hi = wilson_interval(k, n, alpha)
    slo, shi = proportion_confint(k, n, alpha=alpha, method="wilson")
    assert np.isclose(lo, slo, atol=1e-12) and np.isclose(hi, shi, atol=1e-12)


def test_wilson_vectorised_and_zero_denominator():
    lo, hi = wilson_interval([0, 3, 10, 0], [10, 10, 10, 0])
    slo, shi = proportion_confint([0, 3, 10], [10, 10, 10], method="wilson")
    np.testing.assert_allclose(lo[:3], slo)
    np.testing.assert_allclose(hi[:3], shi)
    assert np.isnan(lo[3]) and np.isnan(hi[3])
    tab = share_table([0], [0])
    assert np.isnan(tab.loc[0, "share"])


def test_percent_format_one_decimal():
    assert formatter("sv").share(0.5) == "50,0" and formatter("en").share(1 / 3) == "33.3"
    assert formatter("sv").share(None) == "–"


def test_distribution_counts_shares_and_missing():
    df = pd.DataFrame({"s": ["a"] * 12 + ["b"] * 8 + [None] * 6, "g": ["f"] * 13 + ["m"] * 13})
    d = distribution(df, "s", categories=["a", "b"])
    tab = d.table.set_index("category")
    assert tab.loc["a", "count"] == 12 and tab.loc["a", "n"] == 26
    assert np.isclose(tab.loc["a", "share"], 12 / 26)
    assert tab.loc["__missing__", "count"] == 6
    pt = d.published()
    assert pt.rows == ["a", "b", "missing", "total"]  # one code for the total and one for missing
    assert pt.cell("total", "count").value == 26 and round(pt.cell("a", "share").value, 3) == 0.462
    assert [c.key for c in pt.shown_columns] == ["count", "share"]  # the interval is in results.json only


def test_binary_shares_hide_small_complements():
    s = pd.Series([True] * 20 + [False] * 3 + [True] * 10 + [False] * 10)
    g = pd.Series(["x"] * 23 + ["y"] * 20)
    b = binary_shares(s, g)
    res = b.to_results()["rows"]
    assert res["x"]["share"] is None and res["x"]["shown"]["share"] == ".."  # 3 "no" would be revealed by 20/23
    assert all(r["share"] is None or r["successes"] >= 5 for r in res.values())
    assert set(res) == {"x", "y", "total"}
