"""The DiD, subgroup and sensitivity nodes of the effects section: what is published and what is hidden.

* subgroup sizes are protected with their total: a level of three participants is "<5", is not
  estimated, and one more count of its dimension is hidden so that total minus the others does not
  give it away; a total the design hides is hidden here too;
* the sensitivity table publishes Gamma and the robustness values to three decimals (their full
  precision would give the regression's sample size away), the placebo as an estimate with its interval;
* the DiD event table hides a participants' share whose successes are a small count, and the figure,
  drawn from the published table, does not draw it; the page shows what results.json holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure.published import place
from analysis.effects.did import estimate_attgt
from analysis.effects.hidden_bias import SensitivityResult
from analysis.effects.publish_did import event_table
from analysis.effects.publish_sensitivity import sensitivity_table, subgroup_counts, subgroups_published
from analysis.effects.subgroups import subgroup_estimates
from analysis.report.sections.effects_robust import _values, did_figure, sensitivity_sentences
from analysis.report.tables import table_html
from test_hidden_bias_subgroups import _planted


def _with_small_level():
    sample, labels = _planted(3, n=1500)
    lab = labels["gender"].copy()
    lab.iloc[np.flatnonzero(sample.d == 1)[:3]] = "other"  # three participants in a level of their own
    return subgroup_estimates(sample, {"gender": lab, "track": labels["track"]}, "aipw", 5), sample


def test_small_subgroup_is_not_estimated_and_cannot_be_worked_out():
    sg, sample = _with_small_level()
    node = place(subgroups_published(sg, "binary", "file"), "/effects/subgroups")
    rows = node["estimates"]["rows"]
    assert rows["gender:other"]["n_treated"] is None and rows["gender:other"]["shown"]["n_treated"] == "<5"
    assert rows["gender:other"]["estimate"] is None and rows["gender:other"]["status"] == "too_few"
    shown = [rows[f"gender:{lv}"]["n_treated"] for lv in ("female", "male", "other")]
    total = rows["total"]["n_treated"]
    assert total == sample.n_treated
    assert sum(v is None for v in shown) >= 2  # total - the others does not give the three away
    assert rows["gender:female"]["estimate"] is not None and rows["track:study"]["p_holm"] >= rows["track:study"]["p"]
    het = node["heterogeneity"]["rows"]
    assert het["gender"]["df"] == 1  # "other" is not estimated: female against male


def test_subgroup_total_hidden_by_the_design_is_hidden_here():
    sg, _ = _with_small_level()
    pc = subgroup_counts(sg, force=("treated",))
    assert pc.hidden["treated"]
    # with the total hidden, the levels of every dimension cannot all be shown (they would add up to it)
    for dim in ("gender", "track"):
        assert any(pc.hidden[k] for k in pc.values if k.startswith(f"{dim}:") and k.endswith(":treated")), dim


def _sensitivity():
    placebo = pd.DataFrame(
        [
            {"estimator": "aipw", "months": -12, "estimate": 0.012, "se": 0.02, "lower": -0.027, "upper": 0.051},
            {"estimator": "aipw", "months": -6, "estimate": 0.09, "se": 0.02, "lower": 0.051, "upper": 0.129},
            {"estimator": "ipw", "months": -6, "estimate": 0.08, "se": 0.02, "lower": 0.041, "upper": 0.119},
        ]
    ).assign(p=[0.55, 0.00001, 0.0001], n_treated=100, n_control=300)
    rosenbaum = {"test": "mcnemar", "direction": "positive", "gamma_star": 1.4567891, "bounds": [], "sets": 97}
    robustness = {"partial_r2": 0.0123456, "rv_q": 0.1234567, "rv_qa": 0.0456789, "q": 1.0, "alpha": 0.05}
    return SensitivityResult("wos_12m", "file", rosenbaum, robustness, placebo)


def test_sensitivity_table_rounds_what_would_give_the_sample_away():
    pt = sensitivity_table(_sensitivity(), {"evalue": 1.83, "evalue_ci": 1.21}, 5)
    node = place({"t": pt}, "/effects/sensitivity")["t"]
    assert node["order"] == ["evalue", "evalue_ci", "gamma_star", "rv_q", "rv_qa", "placebo_12", "placebo_6"]
    assert node["rows"]["gamma_star"]["value"] == 1.457
    assert node["rows"]["rv_q"]["value"] == 0.123 and node["rows"]["rv_q"]["kinds"]["value"] == "share"
    assert node["rosenbaum"] == {"test": "mcnemar", "direction": "positive", "bounds": []}  # no count of sets
    assert node["rows"]["placebo_6"]["value"] == [0.09, 0.051, 0.129]
    said = sensitivity_sentences(pt, "sv")
    assert len(said) == len(pt.rows)
    assert "1,46" in said[2] and "12,3\u00a0%" in said[3]
    assert "säkerställd –" in said[-1] and "inte säkerställd" in said[-2]  # -6 months fails, -12 passes


def test_page_of_sensitivity_table_is_its_node():
    from page_check import page_problems

    pt = sensitivity_table(_sensitivity(), {"evalue": 1.83, "evalue_ci": 1.21}, 5)
    results = {"effects": {"sensitivity": {"table": place(pt, "/effects/sensitivity/table")}}}
    from analysis.report.format import formatter
    from analysis.report.labels import Labels
    from analysis.report.sections.effects_robust import _value_text

    html = table_html(pt, "x", "sv", formats={"value": _value_text(formatter("sv"), Labels("sv"))})
    problems, checked = page_problems(f'<html lang="sv"><body>{html}</body></html>', results)
    assert not problems and checked == 2 * len(pt.rows)


def test_did_event_table_hides_a_small_share_and_the_figure_does_not_draw_it():
    rng = np.random.default_rng(0)
    n, T = 600, 10
    G = np.where(rng.random(n) < 0.5, np.inf, 4.0)
    Y = (rng.random((n, T)) < 0.4).astype(float)
    Y[np.isfinite(G), 0] = 0.0
    Y[np.flatnonzero(np.isfinite(G))[:2], 0] = 1.0  # two participants at 1 in the first month (e = -4)
    r = estimate_attgt(Y, G, np.ones((n, 1)), np.arange(T), "work_or_study", "dr", "never", window=(-4, 3))
    pt = event_table(r, 5)
    place(pt, "/effects/did/event")
    e0 = str(int(min(r.event.index)))  # e = -4: month 0, 2 participants at 1
    assert pt.cell(e0, "share_treated").marker == ".."
    assert pt.cell("-1", "estimate").value is None  # the reference month: 0 by construction, no interval
    fig = did_figure(pt, "sv")
    top = fig.axes[0].lines[0].get_ydata()
    assert np.isnan(top[list(pt.rows).index(e0)])
    np.testing.assert_allclose(_values(pt, "share_comparison_weighted", list(pt.rows)), r.event["comparison_weighted"])
    band = _values(pt, "band", list(pt.rows), 0)
    assert (band[np.isfinite(band)] <= _values(pt, "estimate", list(pt.rows), 1)[np.isfinite(band)] + 1e-12).all()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_new_label_has_both_languages(lang):
    from analysis.report.i18n import table

    keys = [k for k in table() if k.startswith(("eff_did_", "eff_sub_", "eff_sens_", "nodata_did", "nodata_sub"))]
    assert len(keys) > 40
    assert all(table()[k].get(lang) for k in keys)
