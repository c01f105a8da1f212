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
    assert res["rows"]["enrolled"]["count"] == 30 and not any("shown" in r for r in res["rows"].values())


def test_flow_small_cell_is_protected():
    f = participant_flow(frame(n_enrolled=30, n_exited=27), END)  # 3 active
    rows = f.to_results()["rows"]
    assert rows["active"]["count"] is None and rows["active"]["shown"]["count"] == "<5"
    assert rows["exited"]["count"] is None or rows["enrolled"]["count"] is None  # 3 cannot be recovered


def test_everyone_still_enrolled():
    f = participant_flow(frame(n_exited=0), END)
    assert f.counts["exited"] == 0 and f.to_results()["rows"]["exited"]["count"] == 0


def test_age_groups_configurable():
    ages = pd.Series([15, 16, 24, 25, 64, 65, None], dtype="Int64")
    assert list(age_groups(ages)) == ["<16", "16–24", "16–24", "25–29", "50–64", "65+", None]
    assert list(age_groups(ages, bins=(18, 30))) == ["<18", "<18", "18–29", "18–29", "30+", "30+", None]


def test_tables_gender_by_age_and_translation(page):
    from analysis.report.sections.participants import ParticipantsSection

    p = frame()
    res = participant_tables(p, END, planned=50)
    tab = res.tables["gender_by_age"].protected.counts
    assert tab.loc["__total__", "__total__"] == 30
    section = ParticipantsSection("participants", res.published())
    section.show("sv")
    html = "".join(page)
    assert "Kvinna: Antal" in html and "Socialtjänsten" in html and "Totalt: Antal" in html
    out = section.to_results()
    assert out["flow"]["rows"]["planned"]["count"] == 50
    assert out["tables"]["gender_by_age"]["rows"]["total"]["total"]["count"] == 30  # one name for the whole
    # no visible count in 1..4 anywhere in the results
    from analysis.disclosure.published import table_cells

    for t in out["tables"].values():
        for _row, _col, value, _marker, kind in table_cells(t):
            if kind == "count":
                assert value is None or value == 0 or value >= 5
    assert "track" not in res.tables  # no tracks in this project


def test_support_medians_protected_with_their_total():
    """One agency with 3 persons: its n is "<5" and another agency's n is hidden, so 3 cannot be subtracted."""
    p = frame(n_enrolled=30, n_referred_only=0, n_late=0)
    p["referred_by"] = ["af"] * 3 + ["soc"] * 14 + ["fk"] * 13
    node = participant_tables(p, END).support.to_results()
    rows = node["rows"]
    assert rows["af"]["n"] is None and rows["af"]["shown"]["n"] == "<5" and rows["af"]["median"] is None
    assert rows["total"]["n"] == 30
    assert sum(r["n"] is None for k, r in rows.items() if k != "total") >= 2


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
