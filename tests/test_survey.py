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


def test_summary_known_values(page):
    from analysis.report.sections.survey import SurveySection

    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    tab = res.table.set_index(["item", "wave"])
    assert tab.loc[("q1", "exit"), "n"] == 12 and tab.loc[("q1", "exit"), "agree"] == 7
    assert tab.loc[("q1", "exit"), "median"] == 4
    items = res.items_table()
    assert items.cell("q1:exit", "n").value == 12 and round(items.cell("q1:exit", "share").value, 3) == 0.583
    small = items.cell("q1:followup", "n")
    assert small.marker == "<5" and items.cell("q1:followup", "share").marker == ".."
    assert items.cell("q1:followup", "median").marker == ".."
    assert res.rates_table().cell("exit", "rate").value == 0.5  # 12 of 24 exited
    SurveySection("survey", res.published(), {"spec": SPEC}).show("en")
    html = "".join(page)
    assert "Good support" in html and ">50.0<" in html and "Response rate, %" in html


def test_free_text_never_output_and_json_safe(page):
    from analysis.report.sections.survey import SurveySection

    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    SurveySection("survey", res.published(), {"spec": SPEC}).show("sv")
    blob = json.dumps(res.to_results()) + "".join(page)
    assert "HEMLIG" not in blob
    rows = res.to_results()["items"]["rows"]
    assert rows["q1:followup"]["n"] is None and rows["q1:followup"]["share"] is None
    for pt in res.to_results()["distributions"].values():
        for row in pt["rows"].values():
            assert all(v is None or v == 0 or v >= 5 for k, v in row.items() if k != "shown")


def test_figure_draws_published_answers_only():
    """Small items are not drawn, and hidden answers are one grey segment (never their exact share)."""
    import matplotlib.colors as mcolors

    from analysis.disclosure.published import place
    from analysis.report.figures import HIDDEN_GREY, answers_figure
    from analysis.report.labels import Labels

    res = summarise_survey(data(), SPEC, participants(), dt.date(2021, 1, 1))
    pt = res.distribution_tables()["a5"]
    place({"a5": pt}, "/survey/distributions")
    fig = answers_figure(pt, ["1", "2", "3", "4", "5"], "en", Labels("en"))
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert len(labels) == 1 and "q1:exit" in labels[0]  # the follow-up wave has 3 answers: not drawn
    widths = {round(p.get_width(), 6) for p in fig.axes[0].patches if p.get_height() > 0.5}
    for v in range(1, 6):
        cell = pt.cell("q1:exit", str(v))
        if cell.value is not None:
            assert round(100 * cell.value / 12, 6) in widths
    grey = [p for p in fig.axes[0].patches if mcolors.to_hex(p.get_facecolor()) == HIDDEN_GREY and p.get_height() > 0.5]
    hidden = [v for v in range(1, 6) if pt.cell("q1:exit", str(v)).value is None]
    assert bool(grey) == bool(hidden)


def test_no_survey():
    assert summarise_survey(None, SPEC) is None
    res = summarise_survey(data(), SPEC)  # no participants: no response rate
    assert res.to_results()["response_rates"]["rows"]["exit"]["rate"] is None


def test_answers_outside_the_scale_are_a_note_in_plain_words(page):
    from analysis.report.sections.survey import SurveySection

    d = data()
    d.loc[0, "response"] = 9.0  # outside 1..5
    res = summarise_survey(d, SPEC, participants(), dt.date(2021, 1, 1))
    note = res.to_results()["notes"][0]
    assert note["note"] == "responses_outside_scale" and note["count"] is None and note["shown"]["count"] == "<5"
    SurveySection("survey", res.published(), {"spec": SPEC}).show("sv")
    assert any("<5 svar låg utanför skalan 1–5" in text for text in page)


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
    assert res.items_table().cell("q2:exit", "share").marker == ".."  # 3 disagreeing would be revealed


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
