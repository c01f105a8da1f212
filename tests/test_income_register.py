"""The income register (``files.income_monthly``): one row per person, month and income source.

The fixtures are shaped like a Försäkringskassan/kommun payment extract as it reaches an evaluator:
Windows-1252 text with semicolons, a title line above the header, "Period" as YYYYMM, a
"Ersättningsslag" column with Swedish labels, a combined label ("Lön + ekonomiskt bistånd") where a
hand-kept sheet merged two payments, a repeated row, and a label a clerk pasted a personnummer into.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean.identity import find_personnummer_in_text
from analysis.clean.run import clean_project, validate_tables
from analysis.project.config import load_project
from analysis.project.errors import BadFileError, FoljevalError

YML = """
name: Test
owner: Kommunen
period: {start: 2020-01-01, end: 2021-12-31}
data_end: 2020-06-30
synthetic: true
files:
  participants: {path: deltagare.csv}
  income_monthly: {path: utbetalningar.csv}
"""


def _project(tmp_path: Path, pnr, lines: list[str], yml: str = YML) -> tuple[Path, str, str]:
    d = tmp_path / "proj"
    d.mkdir()
    (d / "project.yml").write_text(textwrap.dedent(yml), encoding="utf-8")
    a, b = pnr(dt.date(1990, 3, 4), 11, True), pnr(dt.date(1985, 7, 8), 12, False)
    (d / "deltagare.csv").write_text(f"Personnummer;Startdatum\n{a};2020-02-10\n{b};2020-03-01\n", encoding="utf-8")
    text = "Utbetalningar per månad, uttag 2020-07-02\n" + "\n".join(lines).format(a=a, b=b) + "\n"
    (d / "utbetalningar.csv").write_bytes(text.encode("cp1252"))
    return d, a, b


def test_register_extract_is_read_with_the_dictionary_alone(tmp_path, pnr):
    """Title line, cp1252, 'Period' and 'Ersättningsslag' headers: no mapping in project.yml needed; a
    combined label becomes one row per source (its file row kept once, with a note), a repeated row and
    an unknown label are quarantined, and every file row is accounted for."""
    d, a, b = _project(
        tmp_path,
        pnr,
        [
            "Personnummer;Period;Ersättningsslag",
            "{a};202001;Ekonomiskt bistånd",  # file row 3
            "{a};202002;Lön + ekonomiskt bistånd",  # 4: two sources
            "{a};202003;Lön",  # 5
            "{a};202003;Lön",  # 6: repeated
            "{b};202003;Aktivitetsstöd",  # 7
            "{b};202004;Sjukpenning",  # 8
            "{b};202005;Bostadsbidrag",  # 9: not a code of the income domain
        ],
    )
    res = clean_project(load_project(d), env={})
    rej = res.problems[res.problems["file"] == "utbetalningar.csv"].set_index("row")["rule"].to_dict()
    assert rej == {6: "duplicate_income_source", 9: "unknown_label"}
    (f,) = [f for f in res.files if f.kind == "income_monthly"]
    assert (f.rows_read, f.rows_kept, f.rows_rejected) == (7, 5, 2)
    inc = res.tables["income_monthly"]
    got = sorted(zip(inc["month"].dt.strftime("%Y-%m"), inc["income_source"].astype(str)))
    assert got == [
        ("2020-01", "income_support"),
        ("2020-02", "income_support"),
        ("2020-02", "wage"),
        ("2020-03", "activity_support"),
        ("2020-03", "wage"),
        ("2020-04", "sickness_benefit"),
    ]
    assert isinstance(inc["income_source"].dtype, pd.CategoricalDtype)
    notes = set(res.notices[["row", "column", "notice"]].itertuples(index=False, name=None))
    assert notes == {(4, "income_source", "split_label")}
    # the processed table's own check: one row per person, month and source
    validate_tables({"income_monthly": inc})
    twice = pd.concat([inc, inc.iloc[[0]]], ignore_index=True)
    twice["person_key"] = twice["person_key"].astype(inc["person_key"].dtype)
    twice["income_source"] = twice["income_source"].astype(inc["income_source"].dtype)
    with pytest.raises(FoljevalError, match="one_row_per_person_and_month_and_income_source"):
        validate_tables({"income_monthly": twice})


def test_a_combined_row_that_repeats_a_source_is_quarantined_whole(tmp_path, pnr):
    """'Lön + ekonomiskt bistånd' after a 'Lön' row of the same month: the file row is one row, so it is
    quarantined as a whole (its income support is not kept half), and the reconciliation adds up."""
    d, a, b = _project(
        tmp_path,
        pnr,
        [
            "Personnummer;Period;Ersättningsslag",
            "{a};202002;Lön",  # 3
            "{a};202002;Lön + ekonomiskt bistånd",  # 4
            "{b};202003;Lön",  # 5
        ],
    )
    res = clean_project(load_project(d), env={})
    assert res.problems.set_index("row")["rule"].to_dict() == {4: "duplicate_income_source"}
    assert res.balanced
    inc = res.tables["income_monthly"]
    assert sorted(inc["income_source"].astype(str)) == ["wage", "wage"]


def test_project_mapping_to_several_codes_and_register_codes(tmp_path, pnr):
    """Register codes mapped in project.yml, one of them to a list of codes (one row each)."""
    yml = YML.replace(
        "  income_monthly: {path: utbetalningar.csv}",
        "  income_monthly:\n    path: utbetalningar.csv\n"
        "    values: {income_source: {EKB: income_support, LON: wage, KOMB: [wage, income_support]}}",
    )
    d, a, b = _project(
        tmp_path, pnr, ["Personnummer;Period;Försörjning", "{a};202002;EKB", "{a};202003;KOMB", "{b};202003;LON"], yml
    )
    res = clean_project(load_project(d), env={})
    assert res.problems.empty
    inc = res.tables["income_monthly"]
    assert len(inc) == 4 and (inc["month"].dt.month == 3).sum() == 3


def test_no_personnummer_leaves_the_cleaning_of_an_income_register(tmp_path, pnr):
    """A personnummer pasted into the income-source column (and an invalid one in the id column) is masked
    in rejected.csv's messages and values, in the notes and in the manifest."""
    d, a, b = _project(
        tmp_path,
        pnr,
        [
            "Personnummer;Period;Ersättningsslag",
            "{a};202002;Ek. bistånd {b}",  # an unknown label holding b's personnummer
            "{a};202003;Lön + " + "{b}",  # not a combined label of known parts: unknown, masked
            "19900304-0000;202003;Lön",  # invalid check digit
        ],
    )
    res = clean_project(load_project(d), env={})
    assert set(res.problems["rule"]) == {"unknown_label", "invalid_id"}
    out = res.problems.to_csv(index=False) + res.notices.to_csv(index=False) + str(res.manifest())
    assert find_personnummer_in_text(out) == []
    assert b.replace("-", "")[-4:] not in res.problems["message"].str.cat()


def test_missing_income_source_column_names_the_mapping(tmp_path, pnr):
    d, a, b = _project(tmp_path, pnr, ["Personnummer;Period;Belopp", "{a};202002;1200"])
    with pytest.raises(BadFileError, match=r"files\.income_monthly\.columns") as err:
        clean_project(load_project(d), env={})
    assert "income_source" in str(err.value)
