"""The register-scale data generator (benchmarks/register_scale): valid ids, deterministic bytes,
clean reconciliation through the cleaning step, and the planted truth recovered from the cleaned data."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.clean.identity import parse_personnummer
from analysis.clean.run import clean_project
from analysis.project.config import load_project
from analysis.project.dates import month_numbers
from analysis.survival.analysis import _find_planted_hazards, monthly_hazard
from analysis.survival.spells import build_spells, first_spell_after
from conftest import luhn_digit

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "register_scale"
PERSONS, MONTHS, SHARE = 20_000, 36, 0.10  # a large participant share: precise effect checks at small n
Z = 4.0  # tolerance in standard errors for the planted-truth checks


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"register_scale_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gen = _load("generate")
truth = gen.truth  # the very module the generator draws from


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    out = tmp_path_factory.mktemp("register") / "register-20k"
    summary = gen.generate(out, PERSONS, MONTHS, participant_share=SHARE)
    result = clean_project(load_project(out), env={})
    return out, summary, result


def test_bytes_are_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(a, 3_000, 30)
    gen.generate(b, 3_000, 30)
    gen.generate(c, 3_000, 30, seed=gen.SEED + 1)
    names = sorted(p.name for p in a.iterdir())
    assert names == ["comparison.csv", "participants.csv", "project.yml", "status_monthly.csv"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "status_monthly.csv").read_bytes() != (c / "status_monthly.csv").read_bytes()


def test_personnummer_valid_unique_and_consistent():
    rng = np.random.default_rng(1)
    # Many persons on few days: the birth numbers must still be unique.
    birth = np.datetime64("1980-01-01") + rng.integers(0, 60, 20_000).astype("timedelta64[D]")
    male = rng.random(20_000) < 0.5
    ids = gen.personnummer(birth, male).astype(str)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 12 and i.isdigit() for i in ids[:100])
    # Check digit by the independent helper of the test suite (the Luhn rule over YYMMDDNNN).
    assert all(int(i[11]) == luhn_digit(i[2:11]) for i in ids[:500])
    parsed = parse_personnummer(pd.Series(ids[:2_000]))
    assert parsed["valid"].all()
    assert (parsed["gender"].to_numpy() == np.where(male[:2_000], "male", "female")).all()
    assert (parsed["birth_date"].to_numpy().astype("datetime64[D]") == birth[:2_000]).all()


def test_too_few_months_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        gen.generate(tmp_path / "x", 100, 12)


def test_files_and_project_yml(project):
    out, summary, _ = project
    cfg = yaml.safe_load((out / "project.yml").read_text(encoding="utf-8"))
    assert cfg["synthetic"] is True and cfg["language"] == "en"
    assert set(cfg["files"]) == {"participants", "comparison", "status_monthly"}
    truth_block = cfg["planted_truth"]
    assert truth_block["effects"]["work_or_study_12m"] == pytest.approx(0.10)
    assert truth_block["effects"]["earnings_after"] == pytest.approx(12_000)
    hazards = _find_planted_hazards(truth_block, "leav")  # what the survival section compares against
    assert hazards and set(hazards.values()) == {truth.LEAVE_HAZARD}
    assert summary["participants"] + summary["comparison"] == PERSONS
    assert abs(summary["participants"] / PERSONS - SHARE) < 4 * np.sqrt(SHARE * (1 - SHARE) / PERSONS)
    head = (out / "status_monthly.csv").open(encoding="utf-8").readline()
    assert head == "person_id;month;status\n"
    assert b'"' not in (out / "status_monthly.csv").read_bytes()  # unquoted: the reader's fast path


def test_cleaning_reconciles_with_the_planted_bad_rows(project):
    out, summary, result = project
    assert result.balanced
    rec = result.reconciliation.set_index("kind")
    raw_panel = pd.read_csv(out / "status_monthly.csv", sep=";", dtype=str)
    part = pd.read_csv(out / "participants.csv", sep=";", dtype=str)
    comp = pd.read_csv(out / "comparison.csv", sep=";", dtype=str)
    assert rec.loc["participants", "rows_read"] == len(part) == summary["participants"]
    assert rec.loc["comparison", "rows_read"] == len(comp) == summary["comparison"]
    assert rec.loc["status_monthly", "rows_read"] == len(raw_panel) == PERSONS * MONTHS
    n_bad = summary["bad_id_participants"] + summary["bad_id_comparison"]
    assert n_bad == max(1, round(PERSONS * gen.BAD_ID_SHARE))
    assert rec.loc["participants", "rows_rejected"] == summary["bad_id_participants"]
    assert rec.loc["comparison", "rows_rejected"] == summary["bad_id_comparison"]
    # Panel rows of persons whose person-file row was rejected, or with an unknown status label.
    listed = pd.Series(sorted(set(part["person_id"]) | set(comp["person_id"])))
    good_ids = set(listed[parse_personnummer(listed)["valid"].to_numpy()])
    orphan = ~raw_panel["person_id"].isin(good_ids)
    bad_label = raw_panel["status"].isin(gen.BAD_STATUS_LABELS)
    assert bad_label.sum() == summary["bad_status_rows"]
    assert orphan.sum() == MONTHS * n_bad
    assert rec.loc["status_monthly", "rows_rejected"] == (orphan | bad_label).sum()
    rules = set(result.problems["rule"])
    assert {"invalid_id", "unknown_person"} <= rules
    assert len(result.tables["status_monthly"]) == PERSONS * MONTHS - (orphan | bad_label).sum()


def _in_work_or_study(panel: pd.DataFrame, persons: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per person observed in month start + k: (row index into persons, in work or study)."""
    pm = pd.DataFrame(
        {
            "person_key": panel["person_key"].astype(str).to_numpy(),
            "m": month_numbers(panel["month"]),
            "ws": panel["status"].isin(["work", "study"]).to_numpy(),
        }
    )
    look = pd.DataFrame(
        {
            "person_key": persons["person_key"].to_numpy(),
            "m": month_numbers(persons["start_date"]) + k,
            "i": np.arange(len(persons)),
        }
    )
    j = look.merge(pm, on=["person_key", "m"], how="inner")
    return j["i"].to_numpy(), j["ws"].to_numpy(float)


def _check_mean(x: np.ndarray, target: float, label: str) -> None:
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert abs(x.mean() - target) < Z * se, f"{label}: {x.mean():.4f} vs planted {target:.4f} (se {se:.4f})"


def test_planted_effects_recovered_from_cleaned_data(project):
    _, _, result = project
    t = result.tables
    groups = {
        "participants": (t["participants"], True),
        "comparison": (t["comparison"].rename(columns={"reference_date": "start_date"}), False),
    }
    for name, (persons, treated) in groups.items():
        for k in (6, 12):
            idx, ws = _in_work_or_study(t["status_monthly"], persons, k)
            assert idx.size > 0.95 * len(persons)  # every start leaves 12 months of panel
            # Observed minus the exact untreated expectation given X: the ATT for participants, 0 otherwise.
            resid = ws - truth.untreated_work_or_study(persons.iloc[idx], k)
            _check_mean(
                resid, truth.effect_on_work_or_study(k) if treated else 0.0, f"{name} work or study at {k} months"
            )
        resid = persons["earnings_after"].to_numpy(float) - truth.untreated_earnings(persons)
        _check_mean(resid, truth.EFFECT_EARNINGS if treated else 0.0, f"{name} earnings_after")
    # Selection on observables: participants' untreated chances are lower, so the raw difference understates the effect.
    p0 = truth.untreated_work_or_study(groups["participants"][0], 12).mean()
    c0 = truth.untreated_work_or_study(groups["comparison"][0], 12).mean()
    assert p0 < c0 - 0.02


def test_planted_survival_recovered(project):
    _, _, result = project
    t = result.tables
    spells = build_spells(t["status_monthly"], ["work", "study"], 1, result.data_end)
    persons = pd.concat(
        [
            t["participants"][["person_key", "start_date"]],
            t["comparison"].rename(columns={"reference_date": "start_date"})[["person_key", "start_date"]],
        ]
    )
    first = first_spell_after(spells, persons)
    assert len(first) > 0.5 * PERSONS
    h = monthly_hazard(first["duration"], first["event"])
    assert abs(h["hazard"] - truth.LEAVE_HAZARD) < Z * h["se"], h
    assert not spells["left_censored"].any()  # nobody is in work or study before the start


def test_exact_curves_match_a_direct_simulation():
    """The closed-form P(in work or study in month k) equals the generator's own simulated panel."""
    p = gen.draw_persons(40_000, 36, seed=7)
    codes = gen.simulate_panel_chunk(p, 0, 40_000, 36, seed=7)
    k = 12
    col = p["start_month"] + k
    ws = (codes[np.arange(40_000), col] <= 1).astype(float)
    cf, cn = truth.work_or_study_curves(k)
    expected = np.where(p["finder"], cf[k], cn[k])
    _check_mean(ws - expected, 0.0, "simulated vs exact curve")
