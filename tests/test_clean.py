"""The cleaning step end to end on a small messy project: nothing lost, nothing leaked."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from analysis.clean.identity import find_personnummer_in_text
from analysis.clean.run import clean_project
from analysis.project.config import load_project
from analysis.project.errors import BadFileError, KeyMissingError


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_every_row_kept_or_quarantined_with_its_rule(mini_project):
    folder, exp = mini_project
    result = clean_project(load_project(folder))
    rec = result.reconciliation.set_index("kind")
    for kind in ("participants", "followups", "status_monthly"):
        assert rec.loc[kind, "rows_read"] == exp[kind]["read"], kind
        assert rec.loc[kind, "rows_kept"] == exp[kind]["kept"], kind
        assert rec.loc[kind, "rows_read"] == rec.loc[kind, "rows_kept"] + rec.loc[kind, "rows_rejected"]
    part_rules = set(result.problems.loc[result.problems["file"] == "deltagare.csv", "rule"])
    assert part_rules == exp["participants"]["rules"]
    listed = set(result.notices[["column", "notice", "value"]].itertuples(index=False, name=None))
    assert listed == exp["participants"]["notices"]
    assert set(result.problems.loc[result.problems["file"] == "status.csv", "rule"]) == {
        "duplicate_month",
        "unreadable_month",
    }
    assert set(result.problems.loc[result.problems["file"] == "uppfoljning.csv", "rule"]) == {
        "unknown_person",
        "no_followup_time",
    }
    # row numbers are file line numbers (header = line 1)
    dup = result.problems[result.problems["rule"] == "duplicate_enrolment"]
    assert dup["row"].tolist() == [8] and "row 2" in dup["message"].iloc[0]


def test_values_are_canonical_and_derived(mini_project):
    folder, _ = mini_project
    p = clean_project(load_project(folder)).tables["participants"]
    assert p["track"].tolist() == ["study", "work", "study", "study", None]  # "Cykelspåret": unknown, listed
    # row 3 derived from the personnummer; row 8's "Okänt kön" is unknown, so the personnummer's gender is used
    assert p["gender"].tolist() == ["female", "male", "female", "male", "male"]
    assert p["birth_year"].tolist() == [1990, 1990, 1985, 1990, 1990]
    assert p["support_before_months"].tolist()[:2] == [12.5, 3.0]
    assert p["start_date"].tolist()[:3] == [
        pd.Timestamp("2020-02-01"),
        pd.Timestamp("2020-03-01"),
        pd.Timestamp("2020-03-01"),
    ]
    assert p["earnings_before"].tolist() == [100000.0, 0.0, 1.0, 1.0, 1.0]
    assert p["person_key"].str.fullmatch(r"[0-9a-f]{20}").all()


def test_followup_months_after_exit_derived(mini_project):
    folder, _ = mini_project
    f = clean_project(load_project(folder)).tables["followups"]
    assert f["months_after_exit"].tolist() == [6.0]
    assert f["status"].tolist() == ["work"] and f["income_source"].tolist() == ["wage"]


def test_no_personnummer_leaves_the_cleaning_step(mini_project, tmp_path):
    folder, exp = mini_project
    result = clean_project(load_project(folder))
    out = tmp_path / "processed"
    result.write(out)
    texts = []
    for path in out.iterdir():
        if path.suffix == ".parquet":
            texts.append(pd.read_parquet(path).to_csv(index=False))
        else:
            texts.append(path.read_text(encoding="utf-8"))
    blob = "\n".join(texts)
    assert find_personnummer_in_text(blob) == []
    for raw_id in exp["ids"]:
        assert re.sub(r"\D", "", raw_id)[-10:] not in re.sub(r"[-+]", "", blob)


def test_raw_files_are_never_written(mini_project, tmp_path):
    folder, _ = mini_project
    before = digest(folder)
    clean_project(load_project(folder)).write(tmp_path / "processed")
    assert digest(folder) == before


def test_missing_required_column_names_file_column_and_row(mini_project):
    folder, _ = mini_project
    text = (folder / "deltagare.csv").read_bytes().decode("cp1252").replace("Startdatum", "Datum")
    (folder / "deltagare.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(BadFileError) as e:
        clean_project(load_project(folder))
    assert str(e.value).startswith("deltagare.csv, column 'start_date', row 1: required column missing")
    assert "looks like" not in str(e.value)  # "Datum" is no misspelling of a start date's names


def test_a_misspelt_header_is_named_beside_the_missing_column(mini_project):
    folder, _ = mini_project
    text = (folder / "deltagare.csv").read_bytes().decode("cp1252").replace("Startdatum", "Startdatm")
    (folder / "deltagare.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(BadFileError) as e:
        clean_project(load_project(folder))
    assert "column 'start_date', row 1" in str(e.value) and "'Startdatm' looks like 'startdatum' (start_date)" in str(
        e.value
    )


def test_real_project_without_key_says_how_to_set_one(mini_project):
    folder, _ = mini_project
    yml = folder / "project.yml"
    yml.write_text(yml.read_text().replace("synthetic: true", "synthetic: false"))
    with pytest.raises(KeyMissingError, match="FOLJEVAL_KEY"):
        clean_project(load_project(folder), env={})


def test_key_changes_pseudonyms(mini_project):
    folder, _ = mini_project
    yml = folder / "project.yml"
    yml.write_text(yml.read_text().replace("synthetic: true", "synthetic: false"))
    a = clean_project(load_project(folder), env={"FOLJEVAL_KEY": "a" * 64}).tables["participants"]["person_key"]
    b = clean_project(load_project(folder), env={"FOLJEVAL_KEY": "b" * 64}).tables["participants"]["person_key"]
    assert set(a).isdisjoint(set(b))


def test_large_file_path_gives_the_same_result(mini_project, monkeypatch):
    """Register-size CSVs are read with pyarrow into categoricals; the result must not change."""
    from analysis.clean import readers

    folder, _ = mini_project
    exact = clean_project(load_project(folder))
    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0)
    fast = clean_project(load_project(folder))
    for name, table in exact.tables.items():
        pd.testing.assert_frame_equal(fast.tables[name], table, check_categorical=False, obj=name)
    pd.testing.assert_frame_equal(fast.problems, exact.problems)
    assert fast.reconciliation.equals(exact.reconciliation)


def test_panel_with_pseudonymous_ids(tmp_path):
    """Register holders often deliver pseudonymised ids: the panel path keeps them (prefixed x),
    refuses a personnummer in the id column and quarantines persons not kept, with file rows."""
    import textwrap

    d = tmp_path / "data" / "raw" / "pseud"
    d.mkdir(parents=True)
    (d / "project.yml").write_text(
        textwrap.dedent("""
        name: Pseudonymer
        owner: Testkommunen
        period: {start: 2020-01-01, end: 2021-12-31}
        data_end: 2021-12-31
        synthetic: true
        id_type: pseudonym
        files:
          participants: {path: p.csv}
          status_monthly: {path: s.csv}
    """),
        encoding="utf-8",
    )
    (d / "p.csv").write_text(
        "person_id;start_date;gender;birth_year\nA1;2020-02-01;female;1990\nB-2;2020-03-01;male;1985\n",
        encoding="utf-8",
    )
    (d / "s.csv").write_text(
        "person_id;month;status\nA1;2020-01;work\nA1;2020-02;study\nB-2;2020-03;income_support\n"
        "C3;2020-03;work\n199001011239;2020-03;work\nB-2;2020-03;work\n",
        encoding="utf-8",
    )
    res = clean_project(load_project(d), env={})
    panel = res.tables["status_monthly"]
    assert sorted(panel["person_key"].astype(str).unique()) == ["xA1", "xB-2"] and len(panel) == 3
    rej = res.problems[res.problems["file"] == "s.csv"].set_index("row")["rule"].to_dict()
    assert rej == {5: "unknown_person", 6: "invalid_id", 7: "duplicate_month"}
    assert res.balanced
