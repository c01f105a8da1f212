"""Targets: every metric on a hand-made frame, not-measurable cases, zero denominators."""

import datetime as dt

import numpy as np
import pandas as pd

from analysis.project.config import ProjectConfig
from analysis.tables.targets import evaluate_targets

END = dt.date(2021, 12, 31)


def config(targets, **kw):
    return ProjectConfig.model_validate(
        {
            "name": "t",
            "owner": "o",
            "period": {"start": "2020-01-01", "end": "2022-06-30"},
            "files": {"participants": {"path": "p.csv"}},
            "targets": targets,
            "planned_participants": 40,
            **kw,
        }
    )


def frame(n=20):
    start = pd.Timestamp("2020-01-01")
    return pd.DataFrame(
        {
            "person_key": [f"x{i}" for i in range(n)],
            "referral_date": start,
            "start_date": start,
            "end_date": [pd.Timestamp("2020-10-01")] * 10 + [pd.NaT] * (n - 10),
            "referred_by": "soc",
            "gender": "female",
            "age_at_start": pd.array([30] * n, dtype="Int64"),
            "origin": "sweden",
            "education": "compulsory",
            "support_before_months": 1.0,
            "income_at_start": "income_support",
            "income_at_exit": ["wage"] * 6 + ["income_support"] * 4 + [None] * (n - 10),
            "track": None,
            "action_plan_date": [start + pd.Timedelta(days=d) for d in [3] * 14 + [30] * 6],
            "exit_status": ["work"] * 7 + ["job_seeking"] * 3 + [None] * (n - 10),
        }
    )


def by_id(res):
    return res.table.set_index("id")


def test_every_metric_known_answers():
    targets = [
        {"id": "wos12", "metric": "share_work_or_study_within_months", "months": 12, "threshold": 0.3},
        {"id": "self12", "metric": "share_self_supporting_within_months", "months": 12, "threshold": 0.5},
        {"id": "plan", "metric": "action_plan_within_days", "days": 14, "threshold": 0.8},
        {"id": "reach", "metric": "participants_reached", "threshold": 15},
        {"id": "exit", "metric": "share_work_or_study_at_exit", "threshold": 0.5},
        {"id": "contact", "metric": "followup_contact_every_months", "months": 3, "threshold": 0.5},
    ]
    p = frame()
    # contacts every 2 months for x0..x9 during enrolment, none for the others
    fu = pd.DataFrame(
        [
            {
                "person_key": f"x{i}",
                "followup_date": pd.Timestamp("2020-01-01") + pd.DateOffset(months=m),
                "months_after_exit": np.nan,
                "status": None,
                "income_source": None,
            }
            for i in range(10)
            for m in (2, 4, 6, 8)
        ]
    )
    res = evaluate_targets(config(targets), {"participants": p, "followups": fu}, END)
    t = by_id(res)
    assert (t.loc["wos12", "successes"], t.loc["wos12", "n"]) == (7, 20)
    assert t.loc["wos12", "status"] == "met"
    assert (t.loc["self12", "successes"], t.loc["self12", "n"]) == (6, 20) and t.loc["self12", "status"] == "not_met"
    assert (t.loc["plan", "successes"], t.loc["plan", "n"]) == (14, 20) and t.loc["plan", "status"] == "not_met"
    assert t.loc["reach", "value"] == 20 and t.loc["reach", "status"] == "met"
    assert (t.loc["exit", "successes"], t.loc["exit", "n"]) == (7, 10) and t.loc["exit", "status"] == "met"
    # x0..x9: gaps 2,2,2,2 months then 1 month to exit -> ok; x10..x19 never contacted -> not
    assert (t.loc["contact", "successes"], t.loc["contact", "n"]) == (10, 20)
    from analysis.report.sections.targets import TargetsSection, definition

    out = res.to_results()
    assert definition(out["definitions"]["wos12"], "sv") == "Andel i arbete eller studier inom 12 månader från start"
    assert {r["status"] for r in out["table"]["rows"].values()} <= {"met", "not_met", "not_measurable"}
    assert out["table"]["rows"]["reach"]["value"] == 20 and out["table"]["rows"]["reach"]["kinds"]["value"] == "count"
    TargetsSection("targets", res.published()).show("en")


def test_clearly_met_with_interval():
    res = evaluate_targets(
        config([{"id": "plan", "metric": "action_plan_within_days", "days": 14, "threshold": 0.3}]),
        {"participants": frame()},
        END,
    )
    assert by_id(res).loc["plan", "ci_verdict"] == "clearly_met"


def test_not_measurable_no_data_and_too_few():
    targets = [
        {"id": "plan", "metric": "action_plan_within_days", "days": 14, "threshold": 0.5},
        {"id": "contact", "metric": "followup_contact_every_months", "months": 3, "threshold": 0.5},
        {
            "id": "wos",
            "metric": "share_work_or_study_within_months",
            "months": 12,
            "threshold": 0.5,
            "min_observed": 50,
        },
    ]
    p = frame().assign(action_plan_date=pd.NaT)
    res = evaluate_targets(config(targets), {"participants": p, "followups": None, "status_monthly": None}, END)
    t = by_id(res)
    assert (t["status"] == "not_measurable").all()
    assert t.loc["plan", "note"] == "no_data" and t.loc["contact", "note"] == "no_data"
    assert t.loc["wos", "note"] == "too_few_observed"


def test_why_a_target_cannot_be_measured_is_said(page):
    from analysis.report.sections.targets import TargetsSection

    targets = [{"id": "plan", "metric": "action_plan_within_days", "days": 14, "threshold": 0.5}]
    p = frame().assign(action_plan_date=pd.NaT)
    res = evaluate_targets(config(targets), {"participants": p}, END)
    TargetsSection("targets", res.published()).show("sv")
    assert any("kan ännu inte mätas: deltagarfilen saknar datum för handlingsplan" in x for x in page)


def test_everyone_censored_zero_denominator():
    p = frame().assign(start_date=pd.Timestamp("2021-11-01"), end_date=pd.NaT, exit_status=None, income_at_exit=None)
    targets = [
        {"id": "wos", "metric": "share_work_or_study_within_months", "months": 12, "threshold": 0.5},
        {"id": "exit", "metric": "share_work_or_study_at_exit", "threshold": 0.5},
        {"id": "reach", "metric": "participants_reached", "threshold": 100},
    ]
    res = evaluate_targets(config(targets), {"participants": p}, END)
    t = by_id(res)
    assert (t["status"] == "not_measurable").all()
    assert t.loc["reach", "note"] == "recruitment_open"  # period ends after data_end
    assert res.to_results()["table"]["rows"]["wos"]["value"] is None


def test_panel_used_when_present():
    p = frame(20)
    months = pd.date_range("2020-01-01", "2021-06-01", freq="MS")
    panel = pd.DataFrame(
        [
            {"person_key": f"x{i}", "month": m, "status": "work" if (i < 6 and m.month == 5) else "income_support"}
            for i in range(20)
            for m in months
        ]
    )
    res = evaluate_targets(
        config(
            [
                {
                    "id": "w",
                    "metric": "share_work_or_study_within_months",
                    "months": 6,
                    "threshold": 0.5,
                    "min_observed": 5,
                }
            ]
        ),
        {"participants": p, "status_monthly": panel},
        END,
    )
    t = by_id(res)
    assert (t.loc["w", "successes"], t.loc["w", "n"]) == (6, 20) and t.loc["w", "status"] == "not_met"
    assert res.to_results()["table"]["rows"]["w"]["value"] == 0.3


def test_results_match_json_schema():
    import json
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/targets"})
    validator.validate(_plain(_example_result()))


def _example_result():
    targets = [
        {"id": "wos12", "metric": "share_work_or_study_within_months", "months": 12, "threshold": 0.3},
        {"id": "reach", "metric": "participants_reached", "threshold": 15},
    ]
    return evaluate_targets(config(targets), {"participants": frame()}, END).to_results()


def test_every_metric_is_declared_computed_and_worded():
    from importlib import resources

    from analysis.project.metrics import SPECS
    from analysis.report.i18n import table
    from analysis.tables.targets import METRICS

    assert set(METRICS) == set(SPECS)
    template = (resources.files("analysis") / "resources" / "project_template.yml").read_text(encoding="utf-8")
    for name, m in METRICS.items():
        assert m.spec is SPECS[name] and callable(m.compute)
        assert set(table()[m.spec.definition_key]) == {"sv", "en"}
        assert name in template, f"the project.yml template does not list {name}"


def test_a_new_metric_is_one_registry_entry(monkeypatch):
    """Declaring a metric and its compute function is all it takes: config, evaluation and texts follow."""
    from analysis.project.config import Target
    from analysis.project.metrics import SPECS, MetricSpec
    from analysis.report import i18n
    from analysis.tables import targets as tg

    spec = MetricSpec("share_with_track", "Share of enrolled persons with a track", ())
    monkeypatch.setitem(SPECS, spec.name, spec)
    monkeypatch.setitem(tg.METRICS, spec.name, tg.Metric(spec, lambda t, c, tables, e: (3, 4, None)))
    monkeypatch.setitem(i18n.table(), spec.definition_key, {"sv": "Andel med spår", "en": "Share with a track"})
    target = Target(id="track", metric=spec.name, threshold=0.5, min_observed=1)
    cfg = type("Cfg", (), {"min_cell": 1, "planned_participants": None})()
    row = tg.evaluate_target(target, cfg, {"participants": None}, None)
    assert (row["successes"], row["n"], row["status"]) == (3, 4, "met")
    from analysis.report.sections.targets import definition

    assert definition({"metric": spec.name, "months": None, "days": None}, "en") == "Share with a track"


def test_a_share_target_at_0_or_100_percent_is_shown_not_a_crash(page):
    """0 of 10 and 10 of 10 in work or study at exit: the Wilson bound is exactly 0 (1), the figure is drawn."""
    from analysis.disclosure.intervals import wilson_interval
    from analysis.report.sections.targets import TargetsSection

    assert wilson_interval(0, 36)[0] == 0.0 and wilson_interval(36, 36)[1] == 1.0  # not 6.9e-18 / 0.99999...
    targets = [
        {"id": "none", "metric": "share_work_or_study_at_exit", "threshold": 0.5},
        {"id": "all", "metric": "share_work_or_study_at_exit", "threshold": 1.0},
    ]
    for status in ("job_seeking", "work"):
        p = frame().assign(exit_status=["job_seeking" if status == "job_seeking" else "work"] * 10 + [None] * 10)
        res = evaluate_targets(config(targets), {"participants": p}, END)
        value = by_id(res).loc["none", "value"]
        assert value == (0.0 if status == "job_seeking" else 1.0)
        page.clear()
        TargetsSection("targets", res.published()).show("sv")
        assert any("<svg" in x for x in page), "the targets figure was not drawn"


def test_participants_reached_counts_those_registered_without_a_personnummer_as_the_flow_does():
    """A SUS export lists some participants without a personnummer: the target and the flow agree."""
    from analysis.tables.participants import participant_flow

    p = frame(20)
    anonymous = p.head(7)[["start_date", "end_date"]].reset_index(drop=True)
    targets = [{"id": "reach", "metric": "participants_reached", "threshold": 25}]
    tables = {"participants": p, "anonymous": anonymous}
    t = by_id(evaluate_targets(config(targets), tables, END))
    flow = participant_flow(p, END, anonymous=anonymous)
    assert t.loc["reach", "n"] == 27 == flow.counts["enrolled"] and t.loc["reach", "status"] == "met"
