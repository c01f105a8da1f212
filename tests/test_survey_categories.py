"""Survey items on categorical scales: open answers the evaluator coded into unordered categories.

The C2 evaluation's tables 9-10 ("Vad kommer du att göra det närmsta året?", "Hur tror du din
situation är om två år?"): per wave the number and share of answers in each category, with
each item's own labels from project.yml, disclosure-protected, never a share agreeing, free
text never printed. The fixtures are shaped the way evaluators deliver them: a CSV exported
from a spreadsheet where the coder typed the category (one typo), and an SPSS file whose codes
carry value labels.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pandas as pd
import pyreadstat
import pytest

from analysis.clean.run import clean_project
from analysis.disclosure.audit import audit_report
from analysis.project.config import SurveySpec, load_project
from analysis.report.sections.survey import SurveySection
from analysis.tables.survey import summarise_survey
from conftest import make_pnr

PLAN_SV = ["Arbete", "Studier", "Söka arbete", "Annat", "Vet inte"]
PLAN_EN = ["Work", "Studies", "Looking for work", "Other", "Don't know"]
SPEC = SurveySpec.model_validate(
    {
        "scales": {
            "a5": {"labels_sv": ["Inte alls", "Lite", "Varken", "Ganska", "Helt"], "agree_from": 4},
            "plan": {"kind": "categorical", "labels_sv": PLAN_SV, "labels_en": PLAN_EN},
            "future": {"kind": "categorical", "labels_sv": ["Bättre", "Som nu", "Sämre"]},
        },
        "items": [
            {"id": "q1", "text_sv": "Bra stöd", "scale": "a5"},
            {
                "id": "q6",
                "text_sv": "Vad kommer du att göra det närmsta året?",
                "text_en": "Next year?",
                "scale": "plan",
            },
            {"id": "q7", "text_sv": "Hur tror du din situation är om två år?", "scale": "future"},
        ],
    }
)
# q6 at exit: 12 work, 8 studies, 6 looking for work, 3 other, 6 don't know (35); at follow-up 2 answers
Q6_EXIT = [1] * 12 + [2] * 8 + [3] * 6 + [4] * 3 + [5] * 6
Q7_EXIT = [1] * 20 + [2] * 10 + [3] * 5


def answers() -> pd.DataFrame:
    rows = []
    for item, values in (("q6", Q6_EXIT), ("q7", Q7_EXIT), ("q1", [4] * 20 + [2] * 15)):
        for i, v in enumerate(values):
            rows.append({"respondent_key": f"x{i}", "wave": "exit", "item": item, "response": float(v),
                         "free_text": "HEMLIGT öppet svar"})  # fmt: skip
    for i in range(2):
        rows.append({"respondent_key": f"x{i}", "wave": "followup", "item": "q6", "response": 1.0, "free_text": ""})
    return pd.DataFrame(rows)


def participants(n=40):
    keys = [f"x{i}" for i in range(n)]
    day = pd.Timestamp("2020-01-01")
    return pd.DataFrame({"person_key": keys, "referral_date": day, "start_date": day, "end_date": day})


def section():
    res = summarise_survey(answers(), SPEC, participants(), dt.date(2021, 1, 1))
    return res, SurveySection("survey", res.published(), {"spec": SPEC})


def test_categories_counted_and_shared_per_wave_never_a_share_agreeing():
    res, _ = section()
    q6 = res.category_tables()["q6"]
    assert q6.rows == ["1", "2", "3", "4", "5", "total"] and q6.rows_are == "scale:plan"
    exit_counts = next(iw for iw in res.categorical if iw.item == "q6" and iw.wave == "exit").counts.counts
    assert exit_counts["count"].tolist() == [12, 8, 6, 3, 6, 35]
    shown = {r: q6.cell(r, "count", "exit") for r in q6.rows}
    assert all(c.suppressed or c.value == exit_counts["count"].iloc[i] for i, c in enumerate(shown.values()))
    assert [shown[r].value for r in ("1", "2", "total")] == [12, 8, 35]
    assert q6.cell("1", "share", "exit").value == pytest.approx(12 / 35)
    assert q6.cell("total", "share", "exit").value == 1.0
    # the categorical items are in no share-agreeing table, the Likert item still is
    assert res.items_table().rows == ["q1:exit"]
    assert set(res.distribution_tables()) == {"a5"}
    assert set(res.category_tables()) == {"q6", "q7"} and res.category_tables()["q7"].rows_are == "scale:future"


def test_small_categories_and_waves_are_protected_and_the_report_audits_clean():
    res, _ = section()
    q6 = res.category_tables()["q6"]
    # "Annat" (3) is below 5: hidden, with one more cell hidden so it cannot be taken from the total
    assert q6.cell("4", "count", "exit").marker == "<5" and q6.cell("4", "share", "exit").marker == ".."
    hidden = [r for r in ("1", "2", "3", "5") if q6.cell(r, "count", "exit").suppressed]
    assert len(hidden) == 1 and q6.cell(hidden[0], "share", "exit").marker == ".."
    # two answers at follow-up: the wave's N is hidden and no share of it is shown
    assert q6.cell("total", "count", "followup").marker == "<5"
    assert all(q6.cell(r, "share", "followup").value is None for r in q6.rows)
    node = res.to_results()
    assert audit_report({"survey": node}, 5).findings == []
    assert "categories" in node and set(node["categories"]) == {"q6", "q7"}


def test_the_section_shows_each_items_own_labels_and_no_free_text(page):
    _, sec = section()
    sec.show("sv")
    sv = "".join(page)
    assert "Vad kommer du att göra det närmsta året?" in sv and "Söka arbete" in sv and "Sämre" in sv
    assert "HEMLIGT" not in sv
    tables = [p for p in page if "svar per kategori" in p]
    assert len(tables) == 2
    assert all("Instämmer" not in p and "Median" not in p for p in tables)
    page.clear()
    sec.show("en")
    en = "".join(page)
    assert "Next year?" in en and "Looking for work" in en and "answers by category" in en
    assert "Sämre" in en  # no labels_en: the Swedish categories


def test_results_file_schema_accepts_the_categories():
    from importlib import resources

    import jsonschema

    from analysis.report.results import _plain

    schema = json.loads((resources.files("analysis") / "resources" / "schema" / "tables.schema.json").read_text())
    validator = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/survey"})
    res, _ = section()
    tree = _plain(res.to_results())
    validator.validate(tree)
    assert tree["categories"]["q6"]["rows"]["total"]["exit"]["count"] == 35
    with pytest.raises(jsonschema.ValidationError):  # the survey node takes no unknown part
        validator.validate({**tree, "categorys": tree["categories"]})


@pytest.mark.parametrize(
    "scale, message",
    [
        ({"labels_sv": ["a", "b"]}, "needs agree_from"),
        ({"kind": "categorical", "labels_sv": ["a", "b"], "agree_from": 2}, "has no agree_from"),
        ({"kind": "categoric", "labels_sv": ["a", "b"]}, "did you mean 'categorical'"),
    ],
)
def test_a_scale_without_the_right_fields_is_refused(scale, message):
    with pytest.raises(ValueError, match=message):
        SurveySpec.model_validate({"scales": {"s": scale}, "items": [{"id": "q", "text_sv": "?", "scale": "s"}]})


PNR = [make_pnr(dt.date(1980 + i, 1 + i % 12, 1 + i), i, i % 2 == 0, sep="-") for i in range(8)]
PROJECT = """
name: Enkätprojektet
owner: Testförbundet
period: {start: 2022-01-01, end: 2024-12-31}
data_end: 2024-12-31
synthetic: true
survey:
  scales:
    plan: {kind: categorical, labels_sv: [Arbete, Studier, Söka arbete, Annat, Vet inte]}
  items:
    - {id: q6, text_sv: "Vad kommer du att göra det närmsta året?", scale: plan}
files:
  participants: {path: deltagare.csv}
  survey: {path: %s, columns: {fraga: item, omgang: wave}}
"""


def _project(tmp_path, survey_file: str):
    d = tmp_path / "data" / "raw" / "p"
    d.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")
    (d / "project.yml").write_text(textwrap.dedent(PROJECT % survey_file), encoding="utf-8")
    lines = ["Personnummer;Startdatum;Slutdatum", *[f"{p};2022-02-01;2023-01-31" for p in PNR]]
    (d / "deltagare.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    return d


def test_a_typed_category_with_a_typo_is_quarantined_naming_file_column_row_and_the_fix(tmp_path):
    """Layout: the coder's spreadsheet saved as CSV (Windows-1252, ';'): respondent, wave, item, the
    category as typed ("arbete" in lower case is fine, "Arbte" is a typo), and the open answer."""
    d = _project(tmp_path, "enkat.csv")
    typed = ["Arbete", "arbete", "Studier", "Söka arbete", "Arbte", "Vet inte", "Annat", "2"]
    lines = ["Svarande;Omgång;Fraga;Svar;Kommentar", *[f"{p};Avslut;q6;{v};Jobba på Coop" for p, v in zip(PNR, typed)]]
    lines[0] = lines[0].replace("Fraga", "fraga").replace("Omgång", "omgang")
    (d / "enkat.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    r = clean_project(load_project(d), env={})
    bad = r.problems[r.problems["rule"] == "unknown_category"]
    assert len(bad) == 1, r.problems
    row = bad.iloc[0]
    assert (row["file"], int(row["row"]), row["column"], row["value"]) == ("enkat.csv", 6, "response", "Arbte")
    assert "'Arbte' is not a category of scale plan (Arbete, Studier, Söka arbete, Annat, Vet inte)" in row["message"]
    assert "did you mean 'Arbete'?" in row["message"] and "survey.scales.plan.labels_sv" in row["message"]
    kept = r.tables["survey"].sort_values("response")["response"].tolist()
    assert kept == [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0]  # "2" is the code of Studier
    assert "free_text" not in r.tables["survey"]


def test_spss_codes_with_value_labels_become_the_categories(tmp_path):
    """Layout: an SPSS file from the survey tool: numeric codes 1-5 in ``svar`` with the categories
    as value labels, ``omgang`` 1/2 labelled Avslut/Uppföljning; one code (7) without a label."""
    d = _project(tmp_path, "enkat.sav")
    codes = [1.0, 1.0, 2.0, 3.0, 5.0, 4.0, 1.0, 7.0]
    df = pd.DataFrame({"respondent": PNR, "omgang": 1.0, "fraga": "q6", "svar": codes, "kommentar": "öppet svar"})
    labels = {"omgang": {1.0: "Avslut", 2.0: "Uppföljning"}, "svar": dict(enumerate(PLAN_SV, start=1))}
    pyreadstat.write_sav(df, str(d / "enkat.sav"), variable_value_labels=labels)
    r = clean_project(load_project(d), env={})
    assert r.problems["rule"].tolist() == ["unknown_category"] and int(r.problems["row"].iloc[0]) == 8
    assert "is not a category of scale plan" in r.problems["message"].iloc[0]
    s = r.tables["survey"]
    assert s["response"].value_counts().sort_index().to_dict() == {1.0: 3, 2.0: 1, 3.0: 1, 4.0: 1, 5.0: 1}
