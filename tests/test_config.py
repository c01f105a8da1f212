"""project.yml validation: every problem listed, each naming its field."""

import textwrap

import pytest

from analysis.project.config import load_project
from analysis.project.errors import ConfigError

MINIMAL = """
name: Test
owner: Kommunen
period: {start: 2020-01-01, end: 2021-12-31}
files:
  participants: {path: deltagare.csv}
"""


def write(tmp_path, text):
    d = tmp_path / "proj"
    d.mkdir(exist_ok=True)
    (d / "project.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def test_minimal_project_gets_defaults(tmp_path):
    p = load_project(write(tmp_path, MINIMAL))
    assert p.id == "proj"
    assert p.config.language == "sv" and p.config.min_cell == 5
    assert p.config.work_or_study == ["work", "subsidised_work", "study", "work_and_study"]
    assert not p.config.has_comparison


def test_every_error_is_listed_with_its_field(tmp_path):
    bad = (
        MINIMAL
        + """
language: de
min_cell: 0
work_or_study: [work, jobb]
colour: blue
targets:
  - {id: t1, metric: share_work_or_study_within_months, threshold: 50}
  - {id: t1, metric: action_plan_within_days, threshold: 0.9}
"""
    )
    with pytest.raises(ConfigError) as e:
        load_project(write(tmp_path, bad))
    msg = str(e.value)
    for field in (
        "language",
        "min_cell",
        "work_or_study",
        "colour",
        "targets[t1]: metric share",
        "targets[t1]: metric action",
    ):
        assert field in msg, (field, msg)
    assert "project.yml" in msg and "Traceback" not in msg
    assert "targets.0" not in msg and "Value error" not in msg and "pydantic" not in msg


def test_period_end_before_start(tmp_path):
    with pytest.raises(ConfigError, match="period"):
        load_project(write(tmp_path, MINIMAL.replace("end: 2021-12-31", "end: 2019-12-31")))


def test_malformed_yaml_names_line(tmp_path):
    with pytest.raises(ConfigError, match=r"malformed YAML at line \d+"):
        load_project(write(tmp_path, "name: [unclosed\nowner: x\n"))


def test_missing_file_says_how_to_create(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="foljeval new empty"):
        load_project(tmp_path / "empty")


def test_participants_file_required(tmp_path):
    with pytest.raises(ConfigError, match="files.participants is required"):
        load_project(write(tmp_path, MINIMAL.replace("participants: {path: deltagare.csv}", "survey: {path: s.csv}")))


def test_survey_items_need_known_scales(tmp_path):
    text = (
        MINIMAL
        + """
survey:
  scales: {agree5: {labels_sv: [a, b, c, d, e], agree_from: 4}}
  items: [{id: q1, text_sv: Fråga, scale: agree7}]
"""
    )
    with pytest.raises(ConfigError, match="agree7"):
        load_project(write(tmp_path, text))


def test_template_from_new_validates(tmp_path):
    from importlib import resources

    text = (resources.files("analysis") / "resources" / "project_template.yml").read_text(encoding="utf-8")
    p = load_project(write(tmp_path, text.replace("{project}", "proj")))
    assert p.config.targets[0].months == 12


def test_retired_followup_months_names_both_replacements(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_project(write(tmp_path, MINIMAL + "followup_months: [6, 12]\n"))
    msg = str(e.value)
    assert "followup_months" in msg
    assert "followup_months_after_exit" in msg and "effect_months_after_start" in msg
    assert "Traceback" not in msg and "pydantic" not in msg


def test_followup_and_effect_months_have_one_meaning_each(tmp_path):
    p = load_project(write(tmp_path, MINIMAL + "followup_months_after_exit: [6]\neffect_months_after_start: [12]\n"))
    assert p.config.followup_months_after_exit == [6]
    assert p.config.effect_months_after_start == [12]
    d = load_project(write(tmp_path, MINIMAL)).config
    assert d.followup_months_after_exit == [6, 12, 24] and d.effect_months_after_start == [6, 12, 24]


def test_unknown_metric_lists_the_registry(tmp_path):
    from analysis.project.metrics import SPECS

    text = MINIMAL + "targets:\n  - {id: t1, metric: share_in_work, threshold: 0.5}\n"
    with pytest.raises(ConfigError) as e:
        load_project(write(tmp_path, text))
    for name in SPECS:
        assert name in str(e.value)


def test_a_misspelt_main_outcome_names_the_field_and_the_allowed_values(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_project(write(tmp_path, MINIMAL + "main_outcome: off_incomesupport\n"))
    assert "main_outcome" in str(e.value) and "off_income_support" in str(e.value)
