"""The survival section: spells -> estimators -> results.json, disclosure, and the notebook end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.project.config import ProjectConfig
from analysis.survival.analysis import survival_analysis
from analysis.survival.plots import curve_figure
from test_spells import simulate_panel

CFG = {
    "name": "x",
    "owner": "y",
    "period": {"start": "2020-01-01", "end": "2023-12-31"},
    "synthetic": True,
    "bridge_gap_months": 0,
    "files": {"participants": {"path": "p.csv"}, "status_monthly": {"path": "s.csv"}},
    "planted_truth": {"survival": {"leave_hazard_by_cohort": {2020: 0.08, 2021: 0.06, 2022: 0.04}}},
}


@pytest.fixture(scope="module")
def tables():
    panel, persons = simulate_panel(n=900, seed=5)
    persons = persons.assign(
        gender=np.where(np.arange(len(persons)) % 2, "female", "male"),
        age_at_start=pd.array(20 + np.arange(len(persons)) % 40, dtype="Int64"),
        track=None,
    )
    return {"participants": persons.drop(columns="cohort"), "status_monthly": panel}


def test_section_recovers_planted_hazards_and_is_json_safe(tables):
    res = survival_analysis(tables, ProjectConfig.model_validate(CFG), pd.Timestamp("2023-12-31"))
    assert res.available and set(res.km) >= {"all", "cohort", "gender"}
    check = res.planted_check()
    assert list(check.index) == ["2020", "2021", "2022"]
    assert ((check["hazard"] - check["planted"]).abs() < 3 * check["se"]).all()
    assert res.logrank["cohort"].p_value < 0.01 and res.logrank["cohort"].trend_p_value < 0.01
    assert res.cox.hazard_ratios["cohort[2022]"] < 1
    out = res.to_results()
    json.dumps(out)  # plain values only
    s12 = out["kaplan_meier"]["cohort"]["rows"]["2020"]["s12"]
    assert len(s12) == 3 and s12[1] <= s12[0] <= s12[2]  # estimate, lower, upper
    assert out["kaplan_meier"]["total"]["order"] == ["total"]  # one name for everyone together


def test_no_panel_says_so(tables):
    res = survival_analysis(
        {"participants": tables["participants"]}, ProjectConfig.model_validate(CFG), pd.Timestamp("2023-12-31")
    )
    assert not res.available and res.reason == "no_panel"
    assert res.to_results()["no_data"] == {"survival": "no_panel"}


def test_small_groups_and_small_risk_sets_are_not_published(tables):
    cfg = ProjectConfig.model_validate({**CFG, "min_cell": 20})
    parts = tables["participants"].copy()
    parts.loc[parts.index[:3], "gender"] = "x_small"  # a tiny group
    res = survival_analysis({**tables, "participants": parts}, cfg, pd.Timestamp("2023-12-31"))
    gender = res.survival_table("gender")
    assert gender.loc["x_small"].drop("n").isna().all()
    # each published S(t) has at least min_cell at risk
    at = res.km["cohort"].survival_at(res.times, min_at_risk=20)
    assert at.loc[at["survival"].notna(), "at_risk"].min() >= 20
    fig, pg = curve_figure(res.km["gender"].curves, 20)
    assert "x_small" in pg.dropped
    ax = fig.axes[0]
    # curves stop where fewer than min_cell remain at risk
    for line, (_g, c) in zip(ax.get_lines(), [(g, c) for g, c in res.km["gender"].curves.items() if g in pg.keep]):
        assert line.get_xdata().max() <= c.timeline[c.cut(20)]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert all(not (s.isdigit() and 0 < int(s) < 20) for s in texts)
    res_json = res.to_results()["kaplan_meier"]["gender"]["rows"]["x_small"]
    assert res_json["n"] is None and res_json["shown"]["n"] == "<20"
    assert all(res_json[f"s{t}"] is None for t in res.times)


def test_publish_runs_in_both_languages(tables, page):
    from analysis.report.sections.survival import from_analysis

    res = survival_analysis(tables, ProjectConfig.model_validate(CFG), pd.Timestamp("2023-12-31"))
    for lang in ("sv", "en"):
        from_analysis(res, "2023-12-31").show(lang)
    assert any('data-results="/survival/kaplan_meier/cohort"' in x for x in page)
    page.clear()
    from_analysis(
        survival_analysis(
            {"participants": tables["participants"]}, ProjectConfig.model_validate(CFG), pd.Timestamp("2023-12-31")
        )
    ).show("sv")
    assert any("status_monthly" in x for x in page)  # the one sentence says which data would fill it


def test_subgroup_sizes_are_protected_with_their_total():
    """A cohort of 3 in a cumulative-incidence table: "<5", and another cohort hidden so 3 cannot be subtracted."""
    from analysis.survival.cif import aalen_johansen
    from analysis.survival.publish import cif_table

    rng = np.random.default_rng(1)
    curves = {
        g: aalen_johansen(rng.integers(1, 20, n).astype(float), rng.integers(0, 2, n), 1)
        for g, n in (("2019", 150), ("2020", 147), ("2021", 3))
    }
    from analysis.disclosure.published import place

    node = place(cif_table(curves, "cohort", (6, 12), 5), "/survival/first_work_or_study/cohort")
    ns = {g: r["n"] for g, r in node["rows"].items()}
    assert ns["2021"] is None and node["rows"]["2021"]["shown"]["n"] == "<5"
    assert sum(v is None for v in ns.values()) >= 2


def test_framtidsjobb_planted_hazards_are_found_and_recovered():
    """The example's planted truth nests one hazard per cohort; the report's planted check must find it."""
    from pathlib import Path

    from analysis.clean.run import clean_project
    from analysis.project.config import load_project
    from analysis.survival.analysis import survival_analysis

    raw = Path(__file__).resolve().parents[1] / "data" / "raw" / "framtidsjobb-avesta"
    proj = load_project(raw)
    cleaned = clean_project(proj)
    res = survival_analysis(cleaned.tables, proj.config, cleaned.data_end)
    check = res.planted_check()
    assert check is not None and list(check.index.astype(str)) == ["2016", "2017", "2018"]
    assert list(check["planted"]) == [0.08, 0.06, 0.04]
    assert ((check["lower"] <= check["planted"]) & (check["planted"] <= check["upper"])).all()
