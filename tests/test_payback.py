"""The payback calculation: a hand-computed case, the equivalence with ipw_att, the cost table, the inputs."""

from __future__ import annotations

import datetime as dt
import textwrap
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.payback.analysis import payback_analysis, payback_from_effects
from analysis.payback.costs import JOINT_TAX_ACTOR, cost_table
from analysis.payback.estimate import ComparisonWeights, before_after_effects, month_effects
from analysis.payback.inputs import person_months
from analysis.payback.pricing import horizon_weights, payback_month
from analysis.payback.result import PaybackResult
from analysis.project.config import load_project
from analysis.project.errors import ConfigError
from analysis.project.payback import PaybackConfig, bundled_cost_table

SOURCES = ["income_support", "wage"]


def rows(spec: dict[str, dict[int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(p, k, s) for p, ks in spec.items() for k, s in ks.items()], columns=["person_key", "k", "source"]
    )


def hand_case(rate: float = 0.0):
    part = rows(
        {
            "a": {-1: "income_support", 0: "income_support", 1: "wage"},
            "b": {-1: "income_support", 0: "wage", 1: "wage"},
        }
    )
    comp = rows(
        {
            "c": {0: "income_support", 1: "income_support"},
            "d": {0: "income_support", 1: "wage"},
            "e": {0: "income_support", 1: "wage"},
        }
    )
    weights = ComparisonWeights(pd.Series({"c": 1.0, "d": 1.0, "e": 2.0}))
    net = month_effects(part, comp, weights, months=2, min_persons=1, sources=SOURCES)
    gross = before_after_effects(part, months=2, min_persons=1, sources=SOURCES)
    example = {"example": True}
    cfg = PaybackConfig(
        basis="income",
        cost={"per_participant_sek": 12000},
        discount_rate=rate,
        horizons_months=[1, 2],
        min_persons_per_month=1,
        entries={"wage": {"amount": 20000, **example}, "income_support": {"amount": 10000, **example}},
        rates={
            "municipal_tax": {"value": 0.3, **example},
            "regional_share": {"value": 0.5, **example},
            "employer_contributions": {"value": 0.3, **example},
        },
    )
    config = SimpleNamespace(payback=cfg, min_cell=1, budget_sek=None)
    return net, gross, payback_from_effects(net, gross, config, basis="income")


def test_hand_computed_case():
    """Two participants (a, b), three comparison persons (c, d, e with weights 1, 1, 2), months 0 and 1.

    Data (IS = income support, W = wage)::

        a: month -1 IS, month 0 IS, month 1 W          c: IS, IS   (weight 1)
        b: month -1 IS, month 0 W,  month 1 W          d: IS, W    (weight 1)
                                                       e: IS, W    (weight 2)

    Cost table (two lines): a wage of 20 000 kr a month; income support of 10 000 kr a month paid by
    the kommun, not taxable. Municipal tax 30 % of which half to the region, employer contributions
    30 %. One month of wage: individual +14 000, kommun +3 000, region +3 000, staten +6 000 (public
    12 000, society 26 000). One month of income support: kommun -10 000, individual +10 000 (public
    -10 000, society 0).

    Effects on the shares (participants minus weighted comparison, weights sum to 4):
    month 0: wage 1/2 - 0 = +0.5, IS 1/2 - 4/4 = -0.5;
    month 1: wage 2/2 - (1 + 2)/4 = +0.25, IS 0 - 1/4 = -0.25.
    Kommun: month 0: 0.5 * 3 000 + 0.5 * 10 000 = 6 500; month 1: 0.25 * 3 000 + 0.25 * 10 000 = 3 250;
    after two months (no discounting) 9 750. Region 1 500 + 750 = 2 250; staten 3 000 + 1 500 = 4 500;
    individual (7 000 - 5 000) + (3 500 - 2 500) = 3 000; public 11 000 + 5 500 = 16 500; society
    13 000 + 6 500 = 19 500.
    Cost 12 000 per participant: public 11 000 < 12 000 after one month, 16 500 after two: paid back
    after 2 months; society 13 000 after one month: paid back after 1 month. Return per krona after
    two months: public 16 500 / 12 000 = 1.375, society 19 500 / 12 000 = 1.625.

    Standard error of the kommun's 9 750 (weights fixed): a person's influence is the sum over months
    of (its kommun value - the group mean) / the group's weight. Kommun values per month: IS -10 000,
    W 3 000. Participants: means -3 500 (month 0) and 3 000 (month 1), so a: (-6 500 + 0)/2 = -3 250,
    b: +3 250. Comparison: means -10 000 and (-10 000 + 3 000 + 2 * 3 000)/4 = -250, and with the
    minus sign of the comparison mean c: -(0 - 9 750)/4 = 2 437.5, d: -(0 + 3 250)/4 = -812.5,
    e: -2 * 3 250/4 = -1 625. Variance 2 * 3 250^2 + 2 437.5^2 + 812.5^2 + 1 625^2 = 30 367 187.5.

    Before/after (the change since month -1, when both were on IS): month 0: wage +0.5, IS -0.5;
    month 1: wage +1, IS -1. Public: 11 000 + 22 000 = 33 000 after two months (kommun 6 500 + 13 000
    = 19 500), paid back after 2 months.

    Months: wage +0.5 + 0.25 = +0.75 months over two months, IS -0.75.
    """
    net, gross, res = hand_case()
    np.testing.assert_allclose(net.tau, [[-0.5, 0.5], [-0.25, 0.25]])
    np.testing.assert_allclose(gross.tau, [[-0.5, 0.5], [-1.0, 1.0]])
    expected = {"kommun": 9750, "region": 2250, "staten": 4500, "individual": 3000, "public": 16500, "society": 19500}
    for col, value in expected.items():
        assert res.net(col, 2).estimate == pytest.approx(value)
    assert res.net("kommun", 1).estimate == pytest.approx(6500)
    assert res.net("kommun", 2).se == pytest.approx(np.sqrt(30_367_187.5))
    assert res.payback("public").months == 2
    assert res.payback("society").months == 1
    assert res.return_per_krona("public", 2).estimate == pytest.approx(1.375)
    assert res.return_per_krona("society", 2).estimate == pytest.approx(1.625)
    assert res.net("public", 2, "gross").estimate == pytest.approx(33000)
    assert res.net("kommun", 2, "gross").estimate == pytest.approx(19500)
    assert res.payback("public", which="gross").months == 2
    months = res.months_table()
    assert months.loc["wage", "2"] == pytest.approx(0.75) and months.loc["income_support", "2"] == pytest.approx(-0.75)
    # actors without any flow are not shown; the public/society rows always are
    assert res.columns() == ["kommun", "region", "staten", "individual", "public", "society"]


def test_hand_computed_discounting():
    """At 10 % a year, month 1 is worth 1.1 ** (-1/12) = 0.992089 of month 0: the kommun's net after two
    months is 6 500 + 3 250 * 0.992089 = 9 724.29, and its standard error scales the month-1 terms alike."""
    _, _, res = hand_case(rate=0.10)
    d = 1.1 ** (-1 / 12)
    assert res.net("kommun", 2).estimate == pytest.approx(6500 + 3250 * d)
    # influence: a (-6 500 + 0 * d)/2, b +3 250, c -(0 - 9 750 d)/4, d -(0 + 3 250 d)/4, e -2 * 3 250 d / 4
    var = 2 * 3250**2 + (9750 * d / 4) ** 2 + (3250 * d / 4) ** 2 + (6500 * d / 4) ** 2
    assert res.net("kommun", 2).se == pytest.approx(np.sqrt(var))


def test_one_month_one_source_equals_ipw_att():
    """With one month and a binary source the estimate and standard error are ipw_att's (incl. the score)."""
    from analysis.effects.design import Sample
    from analysis.effects.estimators import ipw_att
    from analysis.effects.propensity import fit_propensity

    rng = np.random.default_rng(7)
    n = 1500
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.random(n) < 0.4})
    d = (rng.random(n) < 1 / (1 + np.exp(-(-1.2 + 0.8 * X["x1"] - 0.5 * X["x2"])))).to_numpy().astype(np.int8)
    y = (rng.random(n) < 0.3 + 0.1 * d + 0.1 * (X["x1"] > 0)).to_numpy().astype(float)
    ps = fit_propensity(X.astype(float), d)
    ref = ipw_att(Sample(y=y, d=d, X=X.astype(float)), ps, trim=False)
    keys = np.array([f"p{i}" for i in range(n)])
    frame = pd.DataFrame({"person_key": keys, "k": 0, "source": np.where(y == 1, "yes", "no")})
    e = ps.ps
    w = ComparisonWeights(pd.Series(e[d == 0] / (1 - e[d == 0]), index=keys[d == 0]), "ipw", ps.design, d, ps.ps, keys)
    me = month_effects(frame[d == 1], frame[d == 0], w, months=1, min_persons=1, sources=["no", "yes"])
    assert me.tau[0, 1] == pytest.approx(ref.estimate, abs=1e-12)
    assert me.se()[0, 1] == pytest.approx(ref.se, rel=1e-9)
    fixed = month_effects(frame[d == 1], frame[d == 0], ComparisonWeights(w.weights), 1, 1, ["no", "yes"])
    assert fixed.se()[0, 1] != pytest.approx(ref.se, rel=1e-4)  # the score correction matters


def test_horizon_weights_extrapolate_the_last_year():
    """K = 3 estimated months, horizon 5, no discounting: months 3 and 4 take the mean of months 0-2,
    so each estimated month counts 1 + 2/3; without extrapolation the horizon is not available."""
    np.testing.assert_allclose(horizon_weights(3, 5, 0.0, "last_year"), [5 / 3] * 3)
    np.testing.assert_allclose(horizon_weights(3, 2, 0.0, "last_year"), [1, 1, 0])
    assert horizon_weights(3, 5, 0.0, "none") is None
    # 20 months of data, 24-month horizon: the last 12 months each get 4/12 more
    c = horizon_weights(20, 24, 0.0, "last_year")
    np.testing.assert_allclose(c, [1] * 8 + [1 + 4 / 12] * 12)


def test_payback_month_is_the_first_month_it_stays_covered():
    months = np.arange(1, 7)
    cost = np.full(6, 10.0)
    assert payback_month(np.array([1, 11, 9, 12, 13, 14.0]), cost, months) == 4  # dips below after month 2
    assert payback_month(np.array([1, 2, 3, 4, 5, 6.0]), cost, months) is None  # censored
    assert payback_month(np.array([10, 11, 12, 13, 14, 15.0]), cost, months) == 1


def _node(res: PaybackResult) -> dict:
    """The payback node of results.json, as the section writes it."""
    from analysis.report.results import _plain
    from analysis.report.sections.payback import from_analysis

    return _plain(from_analysis(res).to_results())


def test_not_paid_back_is_censored_in_results():
    net, gross, res = hand_case()
    res.cost_per_participant = 1_000_000.0
    node = _node(res)
    public = node["actors"]["rows"]["public"]
    assert public["payback"] == "not_within_horizon" and public["kinds"]["payback"] == "code"
    assert public["payback_lower"] is None and public["payback_upper"] is None
    assert node["sensitivity"]["rows"]["base"]["public"]["payback"] == "not_within_horizon"
    from analysis.report.results_file import SCHEMA_VERSION, validate_results

    doc = {"schema_version": SCHEMA_VERSION, "project": _facts(), "payback": node}
    assert validate_results(doc) == []
    none = _node(PaybackResult(available=False, reason="no_cost"))
    assert none == {"min_cell": 5, "no_data": {"payback": "no_cost"}}
    assert validate_results({"schema_version": SCHEMA_VERSION, "project": _facts(), "payback": none}) == []
    assert validate_results({"schema_version": SCHEMA_VERSION, "project": _facts(), "payback": {"available": 1}})


def test_published_amounts_are_the_computed_ones():
    """The actor table holds the unrounded kronor (the page rounds them to 100); payback month and interval."""
    _, _, res = hand_case()
    rows = _node(res)["actors"]["rows"]
    iv = res.net("public", 2)
    assert rows["public"]["net_2"] == pytest.approx(iv.estimate) == pytest.approx(16500)
    assert rows["public"]["ci_2"] == pytest.approx([iv.lower, iv.upper])
    assert rows["public"]["payback"] == 2 and rows["society"]["payback"] == 1
    assert rows["kommun"]["payback"] is None  # the kommun paid no set share of the cost
    assert rows["public"]["return_per_krona"][0] == pytest.approx(1.375)
    assert rows["public"]["gross"] == pytest.approx(res.net("public", 2, "gross").estimate)


def _facts() -> dict:
    return {
        "id": "x",
        "name": "x",
        "owner": "x",
        "period": {"start": "2020-01-01", "end": "2020-12-31"},
        "language": "sv",
        "min_cell": 5,
        "synthetic": True,
    }


# ---------------------------------------------------------------------------- the cost table


def test_bundled_cost_table_entries_carry_source_year_and_statistic():
    raw = bundled_cost_table()
    assert raw["version"]
    for name, e in {**raw["entries"], **raw["rates"]}.items():
        assert e["status"] in ("sourced", "derived", "second_hand", "input", "rule"), name
        if e["status"] in ("sourced", "derived", "second_hand"):
            assert e["sources"] and all(s["source"] and s["quote"] for s in e["sources"]), name
            assert e["year"], name
        if e["status"] == "input":
            assert e.get("amount", e.get("value")) is None and e["statistic"], name
    table = cost_table()
    # transfers move money between actors: zero for society; a wage adds wage + employer contributions
    for name in ("income_support", "activity_support", "sickness_benefit", "unemployment_insurance"):
        assert sum(table.flows(name).values()) == pytest.approx(0)
    wage = table.flows("wage")
    assert sum(wage.values()) == pytest.approx(27900 * 1.3142)
    assert wage[JOINT_TAX_ACTOR] == pytest.approx(27900 * 0.3237)  # regional share not set: kommun + region
    assert table.flows("student_aid") is None  # an input the project must set
    assert table.entries["activity_support"].monthly == pytest.approx(223 * 21.67)


def test_project_overrides_are_marked():
    cfg = PaybackConfig(
        entries={"wage": {"amount": 30000, "source": "SCB lönestrukturstatistik 2024, städare", "year": 2024}},
        rates={"regional_share": {"value": 0.36, "example": True}},
    )
    table = cost_table(cfg)
    assert table.entries["wage"].status == "project" and table.entries["wage"].monthly == 30000
    assert table.rates["regional_share"].status == "example"
    assert table.example_values() == ["regional_share"]
    assert JOINT_TAX_ACTOR not in table.actors and table.flows("wage")["region"] == pytest.approx(30000 * 0.3237 * 0.36)


MINIMAL = """
name: Test
owner: Kommunen
period: {start: 2020-01-01, end: 2021-12-31}
files:
  participants: {path: deltagare.csv}
"""


@pytest.mark.parametrize(
    "payback, message",
    [
        ("income_sources: {income_support: bistand}", "payback.*unknown cost-table entry"),
        ("statuses: {jobb: wage}", "payback.statuses.*unknown panel status"),
        ("entries: {wage: {amount: 30000}}", "needs its `source`"),
        ("cost: {funders: {kommun: 0.5, region: 0.25}}", "sum to 1"),
        ("cost: {total_sek: 1000, per_participant_sek: 10}", "not both"),
        ("entries: {etablering: {amount: 308, per: day, kind: transfer, source: AF 2024}}", "needs the `actor`"),
        ("rates: {vat: {value: 0.25, example: true}}", "unknown rate"),
    ],
)
def test_payback_config_errors_name_the_field(tmp_path, payback, message):
    d = tmp_path / "proj"
    d.mkdir()
    text = textwrap.dedent(MINIMAL) + "payback:\n  " + payback + "\n"
    (d / "project.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_project(d)


# ---------------------------------------------------------------------------- inputs


def test_income_register_export_is_cleaned_and_missing_months_are_none(tmp_path, pnr):
    """An income register as a kommun's or FK's export comes: Excel, Swedish labels, 'Period' as YYYY-MM
    text, several sources in one month, a label with a typo and a repeated row (both quarantined)."""
    from analysis.clean.run import clean_project
    from analysis.effects.design import persons

    d = tmp_path / "proj"
    d.mkdir()
    (d / "project.yml").write_text(
        textwrap.dedent(
            """
            name: Test
            owner: Kommunen
            period: {start: 2020-01-01, end: 2021-12-31}
            data_end: 2020-06-30
            synthetic: true
            files:
              participants: {path: deltagare.csv}
              income_monthly:
                path: ersattning.xlsx
                columns: {Ersättningstyp: income_source}
                values: {income_source: {"Ek. bistånd": income_support}}
            """
        ),
        encoding="utf-8",
    )
    a, b = pnr(dt.date(1990, 3, 4), 11, True), pnr(dt.date(1985, 7, 8), 12, False)
    (d / "deltagare.csv").write_text(f"Personnummer;Startdatum\n{a};2020-02-10\n{b};2020-03-01\n", encoding="utf-8")
    pd.DataFrame(
        {
            "Personnummer": [a, a, a, a, b, b, b, b],
            "Period": ["2020-01", "2020-02", "2020-02", "2020-03", "2020-03", "2020-03", "2020-04", "2020-05"],
            "Ersättningstyp": [
                "Ek. bistånd",
                "Ek. bistånd",
                "Lön",
                "Lön",
                "Aktivitetsstöd",
                "Aktivitetsstöd",
                "Forsörjningsstöd",
                "Lön",
            ],
        }
    ).to_excel(d / "ersattning.xlsx", index=False)
    res = clean_project(load_project(d), env={})
    rej = res.problems[res.problems["file"] == "ersattning.xlsx"].set_index("row")["rule"].to_dict()
    assert rej == {7: "duplicate_income_source", 8: "unknown_label"}
    inc = res.tables["income_monthly"]
    assert len(inc) == 6 and set(inc["income_source"].astype(str)) == {"income_support", "wage", "activity_support"}
    pm = person_months(persons(res.tables), res.tables, "income", 6, res.data_end)
    got = {
        (k, s)
        for _, k, s in pm.participants[pm.participants["person_key"] == inc["person_key"].iloc[0]].itertuples(
            index=False
        )
    }
    # a starts in February: January is month -1, February has two sources; April and May (the register's
    # last month) have no row: no income; June (after the register, before data_end) is not observed
    assert got == {(-1, "income_support"), (0, "income_support"), (0, "wage"), (1, "wage"), (2, "none"), (3, "none")}


def test_followups_basis_carries_the_snapshots():
    """Income at start holds from month -1 until the exit month, income at exit until the follow-up, the
    follow-up's until data_end is reached or the horizon; nothing after the last snapshot."""
    part = pd.DataFrame(
        {
            "person_key": ["p1", "p2"],
            "start_date": pd.to_datetime(["2020-01-15", "2020-02-01"]),
            "end_date": pd.to_datetime(["2020-03-20", pd.NaT]),
            "income_at_start": ["income_support", "activity_support"],
            "income_at_exit": ["wage", None],
            "gender": ["female", "male"],
        }
    )
    fu = pd.DataFrame(
        {
            "person_key": ["p1"],
            "followup_date": pd.to_datetime(["2020-06-10"]),
            "months_after_exit": [np.nan],
            "income_source": ["student_aid"],
        }
    )
    frame = part.assign(treated=1, t0=part["start_date"])
    pm = person_months(frame, {"participants": part, "followups": fu}, "followups", 12, dt.date(2020, 5, 31))
    p1 = pm.participants[pm.participants["person_key"] == "p1"].set_index("k")["source"].to_dict()
    # data_end (May) cuts the follow-up's June month off
    assert p1 == {-1: "income_support", 0: "income_support", 1: "income_support", 2: "wage", 3: "wage", 4: "wage"}
    p2 = pm.participants[pm.participants["person_key"] == "p2"].set_index("k")["source"].to_dict()
    assert p2 == dict.fromkeys(range(-1, 4), "activity_support")  # still enrolled: income at start until data_end
    assert pm.comparison is None


def test_status_that_cannot_be_attributed_is_reported_not_priced():
    part = rows({f"t{i}": {-1: "job_seeking", 0: "work" if i % 2 else "job_seeking"} for i in range(6)})
    gross = before_after_effects(part, months=1, min_persons=1, sources=["job_seeking", "work"])
    cfg = PaybackConfig(
        basis="status", cost={"per_participant_sek": 5000}, horizons_months=[1], min_persons_per_month=1
    )
    res = payback_from_effects(None, gross, SimpleNamespace(payback=cfg, min_cell=1, budget_sek=None), basis="status")
    assert res.design == "before_after" and res.prices.unattributed == ["job_seeking"]
    months = res.months_table()
    assert not months.loc["job_seeking", "priced"] and months.loc["job_seeking", "1"] == pytest.approx(-0.5)
    # half moved from job seeking (not priced) to work (priced as a wage): only the wage counts
    assert res.net("society", 1).estimate == pytest.approx(0.5 * 27900 * 1.3142)


def test_small_sex_group_is_not_published(tmp_path):
    """A sex with fewer than min_cell participants gets no estimate, and its count is protected."""
    rng = np.random.default_rng(3)
    n = 40
    keys = [f"x{i}" for i in range(n)]
    part = pd.DataFrame(
        {
            "person_key": keys,
            "start_date": pd.Timestamp("2020-03-01"),
            "end_date": pd.NaT,
            "gender": ["male"] * 3 + ["female"] * (n - 3),
            "income_at_start": "income_support",
        }
    )
    panel = pd.DataFrame(
        [
            (k, pd.Timestamp(2020, m, 1), "work" if rng.random() < 0.3 and m > 3 else "income_support")
            for k in keys
            for m in range(2, 9)
        ],
        columns=["person_key", "month", "status"],
    )
    cfg = PaybackConfig(
        basis="status", cost={"per_participant_sek": 50000}, horizons_months=[3], min_persons_per_month=5
    )
    config = SimpleNamespace(payback=cfg, min_cell=5, budget_sek=None)
    res = payback_analysis({"participants": part, "status_monthly": panel}, config, dt.date(2020, 8, 31))
    assert res.available and res.design == "before_after"
    assert set(res.by_sex) == {"female"}
    node = _node(res)
    persons = node["persons"]["rows"]
    assert persons["male"] == {"count": None, "shown": {"count": "<5"}}
    # the complement of the small cell in female + male = analysed
    assert persons["female"] == {"count": None, "shown": {"count": ".."}}
    assert node["by_sex"]["order"] == ["female_public", "female_society"] and node["by_sex"]["sexes"] == ["female"]
    female = node["by_sex"]["rows"]["female_public"]
    assert female["n"] is None and female["shown"] == {"n": ".."}
    assert all(r["count"] is None or r["count"] == 0 or r["count"] >= 5 for r in persons.values())


def test_without_payback_part_nothing_is_computed():
    res = payback_analysis({"participants": pd.DataFrame()}, SimpleNamespace(payback=None), dt.date(2020, 1, 1))
    assert not res.available and res.reason == "not_configured"
    assert _node(res) == {"min_cell": 5, "no_data": {"payback": "not_configured"}}


def test_planted_simulation_recovers_the_truth_before_after_does_not():
    """One seeded draw of the benchmark's planted process (benchmarks/payback/simulate.py; the coverage
    over 1 000 draws is the benchmark): the weighted estimate is within 3 standard errors of the true
    5-year net, the before/after figure (which counts the general rise in wages as an effect) is not."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "payback" / "simulate.py"
    spec = importlib.util.spec_from_file_location("payback_simulate", path)
    simulate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(simulate)
    truth = simulate.truth()
    res = simulate.estimate(simulate.draw(np.random.default_rng(11), 4000))
    for col in ("public", "society", "kommun"):
        iv = res.net(col, 60)
        assert abs(iv.estimate - truth[col]) < 3 * iv.se, col
    gross = res.net("public", 60, "gross")
    assert gross.estimate - truth["public"] > 3 * gross.se


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_section_renders_and_says_what_is_an_example(lang, page):
    """The section publishes its text, figure and tables; every table carries its pointer, amounts are
    rounded to 100 with the language's thousands separator; example values and the unpriced are named."""
    import matplotlib
    from bs4 import BeautifulSoup

    from page_check import page_problems

    matplotlib.use("Agg")
    from analysis.report.sections.payback import actor_label, from_analysis

    _, _, res = hand_case()
    section = from_analysis(res)
    section.show(lang)
    out = "\n".join(page)
    assert out.count("fe-table-figure") >= 5 and "<svg" in out
    assert ("exempelvärden" if lang == "sv" else "example values") in out
    soup = BeautifulSoup(out, "html.parser")
    tables = soup.find_all("table")
    assert tables and all(tab.get("data-results", "").startswith("/payback/") for tab in tables)
    actors = soup.find("table", attrs={"data-results": "/payback/actors"})
    labels = [th.get_text() for th in actors.find_all("th", scope="row")]
    assert labels[-2:] == [actor_label("public", lang), actor_label("society", lang)]
    first = actors.find("td", attrs={"data-results": "/payback/actors/rows/kommun/net_1"}).get_text()
    assert first == ("6\u00a0500" if lang == "sv" else "6,500")
    ci = actors.find("td", attrs={"data-results": "/payback/actors/rows/kommun/ci_1"}).get_text()
    assert ci.startswith("\u22122") and "-" not in ci  # a real minus, rounded to 100: −2 500
    # the node before results.json rounds it to 6 decimals: the hand case has returns of exactly 1,375
    document = {"payback": section.to_results()}
    problems, checked = page_problems(f'<html lang="{lang}"><body>{out}</body></html>', document)
    assert problems == [] and checked > 80
    page.clear()
    from_analysis(PaybackResult(available=False, reason="not_configured")).show(lang)
    assert len(page) == 2 and "payback:" in page[1]


def test_kronor_format_rounds_to_hundreds_with_thousands_space_and_minus():
    """The one number format shows amounts as the payback tables do: to the nearest hundred, a non-breaking
    thousands space (comma in English), a real minus, "-0" never; rates with as few decimals as they need."""
    from analysis.report.format import formatter

    sv, en = formatter("sv"), formatter("en")
    assert sv.kronor(-57183.58) == "\u221257\u00a0200" and en.kronor(-57183.58) == "\u221257,200"
    assert sv.kronor(774078.57) == "774\u00a0100" and sv.kronor(-40.0) == "0"
    assert sv.kronor(22454885.0, 0) == "22\u00a0454\u00a0885" and sv.sek(11370.4) == "11\u00a0370\u00a0kr"
    assert sv.value(-1049.0, "sek", -2) == "\u22121\u00a0000" and sv.interval(-2508.4, 15508.4, "sek", -2) == (
        "\u22122\u00a0500\u00a0\u2013\u00a015\u00a0500"
    )
    assert sv.rate(0.035) == "3,5\u00a0%" and sv.rate(0.3237) == "32,37\u00a0%" and en.rate(0.35) == "35%"
    assert sv.tick("number")(np.int64(12)) == "12"  # fixed ticks of a figure arrive as numpy integers
