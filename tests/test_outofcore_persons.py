"""The register path's person level (``clean_persons``) and the panel matched by key give what ``clean_project`` gives.

A small generated register project (benchmarks/register_scale/generate.py, with its planted
invalid ids in the person files and unknown labels in the panel) gets extra panel rows with
an empty id, a wrong check digit, a valid id of nobody kept, and a kept person's id written
with a hyphen. The out-of-core path must keep the same persons with the same keys and
quarantine the same file rows for the same reasons as the in-memory cleaning step.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.outofcore import QUARANTINE, clean_persons, panel_to_parquet
from analysis.clean.run import clean_project
from analysis.project.config import load_project
from conftest import bad_check_digit, make_pnr

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "register_scale"
PERSONS, MONTHS = 3_000, 24


def _generator():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("register_scale_generate_persons", BENCH / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("ooc-persons")
    out = root / "register-3k"
    _generator().generate(out, PERSONS, MONTHS, participant_share=0.1)
    kept_id = pd.read_csv(out / "comparison.csv", sep=";", dtype=str, nrows=5)["person_id"].iloc[4]
    planted = [
        ("", "2021-03", "work"),  # empty id
        (bad_check_digit(kept_id), "2021-03", "work"),  # invalid id
        (make_pnr(dt.date(1980, 5, 5), 7, True, sep="", digits=12), "2021-03", "work"),  # valid, nobody kept
        (f"{kept_id[:8]}-{kept_id[8:]}", "2021-04", "sick"),  # a kept person written with a hyphen: same key
    ]
    with (out / "status_monthly.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.writelines(";".join(r) + "\n" for r in planted)
    reference = clean_project(load_project(out), env={})
    return root, out, reference


@pytest.fixture(scope="module")
def persons(project):
    root, out, _ = project
    return clean_persons(out, root / "work", env={}, separate_process=True)


def test_the_same_persons_keys_and_values_as_clean_project(project, persons):
    _, _, ref = project
    got = persons.persons
    for group, kind, date in ((1, "participants", "start_date"), (0, "comparison", "reference_date")):
        exp = ref.tables[kind]
        mine = got[got["group"] == group].reset_index(drop=True)
        assert len(mine) == len(exp) > 0
        assert mine["person_key"].astype(str).tolist() == exp["person_key"].astype(str).tolist()
        assert mine["start_date"].tolist() == exp[date].tolist()
        assert mine["age_at_start"].astype("Int64").tolist() == exp["age_at_start"].astype("Int64").tolist()
        assert mine["gender"].astype(object).tolist() == exp["gender"].astype(object).tolist()
    assert isinstance(got["gender"].dtype, pd.CategoricalDtype)
    assert str(got["person_key"].dtype) == "string[pyarrow]"


def test_the_same_person_file_quarantine_as_clean_project(project, persons):
    _, _, ref = project
    person_files = ref.problems[~ref.problems["file"].str.contains("status_monthly")]
    expected = person_files.drop_duplicates(["file", "row", "rule"])["rule"].value_counts().to_dict()
    assert persons.quarantined == expected
    assert persons.quarantined.get("invalid_id", 0) >= 1  # the generator's planted bad ids
    files = {r.file: (r.rows_read, r.rows_kept) for r in ref.files if "status_monthly" not in r.file}
    assert {f: (persons.rows_read[f], persons.rows_kept[f]) for f in files} == files


def test_the_panel_matched_by_key_quarantines_the_rows_clean_project_does(project, persons):
    root, out, ref = project
    cfg = load_project(out).config
    key = _key(out)
    conv = panel_to_parquet(
        out / "status_monthly.csv",
        root / "panel",
        kept_keys=persons.kept_keys,
        key=key,
        status_values=cfg.files["status_monthly"].values.get("status", {}),
        buckets=4,
        memory_limit="500MB",
    )
    assert conv.balanced
    q = pd.read_parquet(root / "panel" / QUARANTINE)
    got = sorted(zip(q["row"].astype(int), q["reason"]))
    problems = ref.problems[ref.problems["file"].str.contains("status_monthly")]
    expected = sorted(set(zip(problems["row"].astype(int), problems["rule"])))
    assert got == expected
    reasons = {r for _, r in got}
    assert {"empty_id", "invalid_id", "unknown_person", "unknown_label", "duplicate_month"} <= reasons
    panel = pd.read_parquet(conv.dataset)[["person_key", "month", "status"]]
    exp = ref.tables["status_monthly"][["person_key", "month", "status"]]
    order = ["person_key", "month"]
    panel = panel.astype(str).sort_values(order).reset_index(drop=True)
    exp = exp.astype({"person_key": str, "status": str}).assign(month=exp["month"].dt.date.astype(str))
    pd.testing.assert_frame_equal(panel, exp.sort_values(order).reset_index(drop=True))


def _key(out: Path) -> bytes:
    """The pseudonymisation key ``clean_project`` used for the synthetic project."""
    from analysis.clean import identity
    from analysis.project.paths import repo_root

    return identity.resolve_key(load_project(out).config.synthetic, env={}, repo_root=repo_root())[0]
