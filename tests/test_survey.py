"""Survey: Likert summaries, response rates, small items not drawn, free text never output."""

import datetime as dt
import json

import pandas as pd

from analysis.project.config import SurveySpec
from analysis.tables.survey import summarise_survey

SPEC = SurveySpec.model_validate(
    {
        "scales": {"a5": {"labels_sv": ["Inte alls", "Lite", "Varken", "Ganska", "Helt"], "agree_from": 4}},
        "items": [
            {"id": "q1", "text_sv": "Bra stöd", "text_en": "Good support", "scale": "a5"},
            {"id": "q2", "text_sv": "Nöjd", "scale": "a5"},
        ],
    }
)


def data():
    rows = []
    answers = [1, 1, 2, 2, 3, 4, 4, 4, 5, 5, 5, 5]  # 12 answers, 7 agree, 5 not, median 4
    for i, a in enumerate(answers):
        rows.append(
            {
                "respondent_key": f"x{i}",
                "wave": "exit",
                "item": "q1",
                "response": float(a),
                "free_text": "HEMLIG kommentar",
            }
        )
    for i in range(3):  # too few to show
        rows.append(
            {"respondent_key": f"x{i}", "wave": "followup", "item": "q1", "response": 5.0, "free_text": "HEMLIG"}
        )
    return pd.DataFrame(rows)


def participants(n=24):
    return pd.DataFrame(
        {
            "person_key": [f"x{i}" for i in range(n)],
            "referral_date": pd.Timestamp("2020-01-01"),
            "start_date": pd.Timestamp("2020-01-01"),
            "end_date": pd.Timestamp("2020-06-01"),
        }
    )


def test_summary_known_values():
    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    tab = res.table.set_index(["item", "wave"])
    assert tab.loc[("q1", "exit"), "n"] == 12 and tab.loc[("q1", "exit"), "agree"] == 7
    assert tab.loc[("q1", "exit"), "median"] == 4
    summ = res.summary("sv")
    row = summ[(summ["Fråga"] == "Bra stöd") & (summ["Tillfälle"] == "Vid avslut")].iloc[0]
    assert row["Antal"] == "12" and row["Instämmer, %"] == "58,3"
    small = summ[summ["Tillfälle"] == "Vid uppföljning"].iloc[0]
    assert small["Antal"] == "<5" and small["Instämmer, %"] == "–" and small["Median"] == "–"
    rr = res.response_rate_summary("en")
    assert rr.iloc[0]["Response rate, %"] == "50.0"  # 12 of 24 exited


def test_free_text_never_output_and_json_safe():
    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    blob = json.dumps(res.to_results()) + res.summary("sv").to_csv() + res.distribution_summary("sv").to_csv()
    assert "HEMLIG" not in blob
    items = {(i["item"], i["wave"]): i for i in res.to_results()["items"]}
    assert items[("q1", "followup")]["n"] is None and items[("q1", "followup")]["agree"]["share"] is None
    for i in items.values():
        for d in i["distribution"]:
            assert d["count"] is None or d["count"] == 0 or d["count"] >= 5


def test_plot_leaves_out_small_items():
    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    fig = res.plot("en")
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert len(labels) == 1 and "Good support" in labels[0]
    assert any("fewer than 5" in t.get_text() for t in fig.texts)


def test_no_survey():
    assert summarise_survey(None, SPEC) is None
    res = summarise_survey(data(), SPEC)  # no participants: no response rate
    assert res.to_results()["response_rates"][0]["rate"] is None


def test_share_hidden_when_complement_small():
    d = pd.DataFrame(
        {
            "respondent_key": [f"x{i}" for i in range(12)],
            "wave": "exit",
            "item": "q2",
            "response": [5.0] * 9 + [1.0] * 3,
        }
    )
    res = summarise_survey(d, SPEC)
    assert res.summary("en").iloc[0]["Agreeing, %"] == "–"  # 3 disagreeing would be revealed


def test_results_match_json_schema():
    import json
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/survey"})
    validator.validate(_plain(_example_result()))


def _example_result():
    return summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1)).to_results()
