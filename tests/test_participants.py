"""Participant flow and descriptive tables on a hand-made frame with known answers."""

import datetime as dt

import pandas as pd

from analysis.tables.participants import age_groups, participant_flow, participant_tables, populations

END = dt.date(2020, 12, 31)


def frame(n_enrolled=30, n_exited=12, n_referred_only=6, n_late=2):
    rows = []
    for i in range(n_enrolled + n_referred_only + n_late):
        start = (
            pd.Timestamp("2020-01-15")
            if i < n_enrolled
            else (pd.Timestamp("2021-02-01") if i >= n_enrolled + n_referred_only else pd.NaT)
        )
        end = pd.Timestamp("2020-09-30") if i < n_exited else pd.NaT
        rows.append(
            {
                "person_key": f"x{i}",
                "referral_date": pd.Timestamp("2020-01-01"),
                "start_date": start,
                "end_date": end,
                "referred_by": "soc" if i % 3 else "af",
                "gender": "female" if i % 2 else "male",
                "age_at_start": 20 + i,
                "origin": "sweden",
                "education": "compulsory",
                "support_before_months": float(i),
                "income_at_start": "income_support",
                "income_at_exit": None,
                "track": None,
                "action_plan_date": pd.NaT,
                "exit_status": "work" if end is not pd.NaT else None,
            }
        )
    df = pd.DataFrame(rows)
    df["age_at_start"] = df["age_at_start"].astype("Int64")
    return df


def test_flow_counts_at_data_end():
    p = frame()
    f = participant_flow(p, END)
    assert f.counts == {"referred": 38, "not_enrolled": 8, "enrolled": 30, "active": 18, "exited": 12}
    res = f.to_results()
    assert res["enrolled"] == 30 and res["suppressed"] == []
    assert "30" in f.sentence("sv")


def test_flow_small_cell_is_protected():
    f = participant_flow(frame(n_enrolled=30, n_exited=27), END)  # 3 active
    res = f.to_results()
    assert res["active"] is None and "active" in res["suppressed"]
    assert res["exited"] is None or res["enrolled"] is None  # 3 cannot be recovered by subtraction


def test_everyone_still_enrolled():
    f = participant_flow(frame(n_exited=0), END)
    assert f.counts["exited"] == 0 and f.to_results()["exited"] == 0


def test_age_groups_configurable():
    ages = pd.Series([15, 16, 24, 25, 64, 65, None], dtype="Int64")
    assert list(age_groups(ages)) == ["<16", "16–24", "16–24", "25–29", "50–64", "65+", None]
    assert list(age_groups(ages, bins=(18, 30))) == ["<18", "<18", "18–29", "18–29", "30+", "30+", None]


def test_tables_gender_by_age_and_translation():
    p = frame()
    res = participant_tables(p, END, planned=50)
    tab = res.tables["gender_by_age"].protected.counts
    assert tab.loc["__total__", "__total__"] == 30
    summ = res.summary("sv")
    assert "Kvinna: Antal" in summ["gender_by_age"].columns
    assert "Socialtjänsten" in summ["referred_by"].index
    out = res.to_results()
    assert out["flow"]["planned"] == 50
    # no visible count in 1..4 anywhere in the results
    for t in out["tables"].values():
        for g in t["groups"]:
            for c in g["categories"]:
                assert c["count"] is None or c["count"] == 0 or c["count"] >= 5
    assert "track" not in res.tables  # no tracks in this project


def test_populations_late_start_is_not_enrolled():
    pop = populations(frame(), END)
    assert pop["not_enrolled"].sum() == 8


def test_results_match_json_schema():
    import json
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/participants"})
    validator.validate(_plain(_example_result()))


def _example_result():
    return participant_tables(frame(), END, planned=50).to_results()
