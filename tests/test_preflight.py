"""`foljeval check` validates every project.yml field the report uses against the cleaned data."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from typer.testing import CliRunner

from analysis.pipeline.preflight import ERROR, WARNING, check_report_inputs
from conftest import ROOT


@pytest.fixture(scope="module")
def alv():
    """alv-vast cleaned once: participants, a comparison group, a panel, covariates, outcomes and a formula."""
    from analysis.clean import clean_project
    from analysis.project.config import load_project

    project = load_project(ROOT / "data" / "raw" / "alv-vast")
    return project, clean_project(project)


def _thinned(tables: dict, keep: int = 600) -> dict:
    """alv-vast with the first ``keep`` comparison persons (and their monthly rows): the same columns and
    codes, so a formula that runs here runs on the whole file, in a fifth of the time."""
    kept = tables["comparison"].head(keep)
    persons = set(tables["participants"]["person_key"]) | set(kept["person_key"])
    out = dict(tables, comparison=kept.reset_index(drop=True))
    for name in ("status_monthly", "income_monthly"):
        t = tables[name]
        out[name] = t[t["person_key"].isin(persons)].reset_index(drop=True)
    return out


def _with(project, **update):
    return project.model_copy(update={"config": project.config.model_copy(update=update)})


def _problems(project, result, tables=None):
    return check_report_inputs(project, tables or result.tables, result.data_end)


def test_the_bundled_examples_pass(alv):
    project, result = alv
    assert _problems(project, result) == []


@pytest.mark.parametrize(
    "update, field, words",
    [
        ({"propensity_formula": "age_at_start + C(gender) + shoe_size"}, "propensity_formula", "'shoe_size' is not"),
        ({"propensity_formula": "age_at_start + C(gender) + track"}, "propensity_formula", "'track' is not one of"),
        ({"propensity_formula": "age_at_start +"}, "propensity_formula", "cannot be used: PatsyError"),
        ({"propensity_formula": "age_at_start + C(gender", "covariates": ["age_at_start"]}, "propensity_formula", ""),
        ({"covariates": ["age_at_start", "track"]}, "covariates[1]", "empty for every person in comparison"),
        ({"covariates": ["age_at_start", "hat_size"]}, "covariates[1]", "not a column of the cleaned tables"),
        ({"outcomes": ["earnings_after", "hat_size"]}, "outcomes[1]", "not a column of the cleaned tables"),
        ({"data_end": None}, None, None),  # the data's own end: fine
    ],
)
def test_fields_the_report_cannot_use_are_errors_naming_the_field(alv, update, field, words):
    project, result = alv
    found = _problems(_with(project, **update), result)
    if field is None:
        assert found == []
        return
    errors = [p for p in found if p.severity == ERROR]
    assert [p.field for p in errors] == [field], found
    assert words in errors[0].message and str(errors[0]).startswith(f"project.yml {field}: ")


@pytest.mark.slow  # runs alv-vast's effects analysis (comparison thinned) once per accepted formula
def test_check_and_report_agree_on_the_formula_and_covariates(alv):
    """Where check finds no error the effects notebook's analysis runs; where it finds one, that analysis
    fails or would estimate from a covariate one group lacks (both are what check must catch)."""
    from analysis.effects.analysis import effects_analysis
    from analysis.effects.design import covariate_matrix, persons

    project, result = alv
    cases = [
        ("age_at_start + C(gender) + I(age_at_start ** 2)", None),
        ("age_at_start + np.log(age_at_start + 1)", None),
        ("age_at_start + C(gender):support_before_months", None),
        ("age_at_start + shoe_size", None),
        ("age_at_start + C(gender", None),
        ("age_at_start +", None),
        (None, ["age_at_start", "track"]),
    ]
    for formula, covs in cases:
        update = {"propensity_formula": formula}
        if covs:
            update["covariates"] = covs
        p = _with(project, **update)
        errors = [x for x in _problems(p, result) if x.severity == ERROR]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if errors and formula:
                frame = persons(dict(result.tables))
                with pytest.raises(Exception):  # noqa: B017 - patsy raises several types
                    covariate_matrix(frame, p.config.covariates, formula)
            elif not errors:
                # must not raise (the DiD, subgroups and sensitivity use the same design: covered elsewhere)
                effects_analysis(_thinned(result.tables), p.config, result.data_end, robustness=False)
            else:  # the covariate exists for participants only: the comparison group has no value at all
                frame = persons(dict(result.tables))
                assert frame.loc[frame["treated"] == 0, covs[1]].isna().all()


def test_cohort_by_track_needs_tracks_and_unmeasurable_targets_are_warnings(alv):
    project, result = alv
    tables = dict(result.tables)
    tables["participants"] = tables["participants"].assign(track=None, action_plan_date=None)
    p = _with(
        project,
        targets=[
            *project.config.targets,
            project.config.targets[0].model_copy(
                update={"id": "plan", "metric": "action_plan_within_days", "days": 30}
            ),
        ],
    )
    found = {x.field: x for x in _problems(p, result, tables)}
    assert found["cohort_by"].severity == ERROR and "no participant has a track" in found["cohort_by"].message
    assert found["tracks"].severity == WARNING
    plan = found[f"targets[{len(p.config.targets) - 1}] (plan)"]
    assert plan.severity == WARNING and "action_plan_date in participants" in plan.message


def test_survey_fields(alv):
    from analysis.project.config import SurveySpec

    project, result = alv
    spec = SurveySpec.model_validate(
        {
            "items": [{"id": "q1", "text_sv": "Fråga", "scale": "likert"}],
            "scales": {"likert": {"labels_sv": ["nej", "ja"], "labels_en": ["no"], "agree_from": 3}},
        }
    )
    found = {x.field: x for x in _problems(_with(project, survey=spec), result)}
    assert found["survey.scales.likert.agree_from"].severity == ERROR
    assert found["survey.scales.likert.labels_en"].severity == ERROR
    assert found["survey"].severity == WARNING  # described, but no survey file


def test_data_end_before_the_period_is_an_error(alv):
    project, result = alv
    found = check_report_inputs(project, result.tables, dt.date(2000, 1, 1))
    assert [x.field for x in found if x.severity == ERROR] == ["data_end"]


def test_check_fails_on_an_unknown_formula_column_that_report_would_hit_in_notebook_04(mini_project):
    from analysis.pipeline.cli import app

    folder, _ = mini_project
    yml = folder / "project.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8") + "propensity_formula: earnings_before + I(earnings_before ** 2) + shoe_size\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", "mini", "--root", str(folder.parents[2])])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "error: project.yml propensity_formula: 'shoe_size' is not one of the covariates (earnings_before)" in text
    assert "1 project.yml field(s) the report cannot use" in text
