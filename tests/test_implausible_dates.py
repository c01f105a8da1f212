"""Implausible dates: year typos are quarantined with their reason, never cast or analysed.

Each fixture is shaped the way the dates arrive from outside: a case-management CSV export
(Windows-1252, semicolons) with a "20" typed as "99" (the independent fuzzer's 9907-01-19,
which used to crash with OutOfBoundsDatetime), an Excel workbook whose date cell holds the
year 9907 (Excel stores dates up to 9999-12-31), a register panel with a month typo, and a
wide income-support extract whose month header is mistyped.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import openpyxl
import pandas as pd
import pytest

from analysis.clean.run import clean_project
from analysis.project.config import load_project
from analysis.project.dates import parse_dates, parse_dates_far, parse_month, plausible_window
from analysis.project.errors import BadFileError
from conftest import make_pnr

YML = """
name: Datumprojektet
owner: Testkommunen
period: {{start: 2020-01-01, end: 2021-12-31}}
{data_end}
synthetic: true
files:
  participants: {{path: {participants}}}
{more}
"""

IDS = [make_pnr(dt.date(1980 + i, 3, 1 + i), i, i % 2 == 0) for i in range(8)]


def _project(tmp_path, participants: str = "deltagare.csv", more: str = "", data_end: str = "data_end: 2022-06-30"):
    (tmp_path / "project.yml").write_text(
        textwrap.dedent(YML.format(participants=participants, more=more, data_end=data_end)), encoding="utf-8"
    )
    return load_project(tmp_path)


def _case_export(tmp_path, rows: list[str]) -> None:
    header = "Personnummer;Remissdatum;Inskrivningsdatum;Utskrivningsdatum;Kön"
    (tmp_path / "deltagare.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))


def _rules(result, column: str | None = None) -> dict[int, set[str]]:
    p = result.problems if column is None else result.problems[result.problems["column"] == column]
    return p.groupby("row")["rule"].apply(set).to_dict()


def test_year_typos_in_a_case_export_are_quarantined(tmp_path):
    _case_export(
        tmp_path,
        [
            f"{IDS[0]};2020-01-10;2020-02-01;2020-09-30;Kvinna",  # kept
            f"{IDS[1]};2020-01-10;9907-01-19;2020-09-30;Man",  # start: "20" typed "99" (used to crash)
            f"{IDS[2]};2020-01-10;2020-02-01;2099-09-30;Kvinna",  # end far after data_end (and the period)
            f"{IDS[3]};1020-01-10;2020-02-01;;Man",  # referral 1020: before 1900
            f"{IDS[4]};1907-01-10;2020-02-01;;Kvinna",  # referral 1907: after 1900 but before the birth (1984)
            f"{IDS[5]};2020-01-10;1907-02-01;;Man",  # start 1907: outside the period, impossible age
        ],
    )
    result = clean_project(_project(tmp_path))
    assert result.balanced
    f = result.files[0]
    assert (f.rows_read, f.rows_kept, f.rows_rejected) == (6, 1, 5)
    rules = _rules(result)
    assert rules[3] == {"implausible_date"}
    assert rules[4] == {"implausible_date"}  # one reason: the typo is NaT for the period rules
    assert rules[5] == {"implausible_date"}
    assert rules[6] == {"date_before_birth"}
    assert rules[7] == {"start_outside_period", "impossible_age"}
    typo = result.problems[result.problems["row"] == 3].iloc[0]
    assert typo["column"] == "start_date" and typo["value"] == "9907-01-19"
    assert "1900-01-01..2023-06-30" in typo["message"] and "data_end" in typo["message"]
    # the typo never decides data_end or reaches the tables
    assert result.tables["participants"]["start_date"].max() == pd.Timestamp("2020-02-01")


def test_excel_date_cell_in_the_year_9907(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Personnummer", "Startdatum", "Slutdatum"])
    ws.append([IDS[0], dt.datetime(2020, 3, 2), dt.datetime(2020, 10, 30)])
    ws.append([IDS[1], dt.datetime(2020, 3, 2), dt.datetime(9907, 1, 19)])  # typed 9907-01-19 in Excel
    ws.append([IDS[2], dt.datetime(1899, 12, 31), None])  # Excel's day 0 shown as a date: not a start date
    wb.save(tmp_path / "deltagare.xlsx")
    result = clean_project(_project(tmp_path, participants="deltagare.xlsx"))
    assert result.balanced and result.files[0].rows_kept == 1
    assert _rules(result, "end_date")[3] == {"implausible_date"}
    assert _rules(result, "start_date")[4] & {"implausible_date", "unreadable_date"}


def test_register_panel_month_typo(tmp_path):
    _case_export(tmp_path, [f"{IDS[0]};2020-01-10;2020-02-01;2020-09-30;Kvinna"])
    lines = ["Personnummer;Månad;Sysselsättning"] + [f"{IDS[0]};2020-{m:02d};Arbete" for m in range(1, 7)]
    lines += [f"{IDS[0]};9907-07;Arbete", f"{IDS[0]};1020-08;Arbete", f"{IDS[0]};2099-09;Studier"]
    (tmp_path / "status.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = clean_project(_project(tmp_path, more="  status_monthly: {path: status.csv}"))
    panel = next(f for f in result.files if f.kind == "status_monthly")
    assert (panel.rows_read, panel.rows_kept, panel.rows_rejected) == (9, 6, 3)
    assert _rules(result, "month") == {8: {"implausible_date"}, 9: {"implausible_date"}, 10: {"implausible_date"}}
    assert result.tables["status_monthly"]["month"].max() == pd.Timestamp("2020-06-01")


def test_wide_extract_with_a_mistyped_month_header_is_refused_by_name(tmp_path):
    _case_export(tmp_path, [f"{IDS[0]};2020-01-10;2020-02-01;2020-09-30;Kvinna"])
    lines = ["Personnummer;202001;202002;209903", f"{IDS[0]};1200;0;850"]
    (tmp_path / "bistand.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    project = _project(tmp_path, more="  status_monthly: {path: bistand.csv, layout: wide, domain: income_support}")
    with pytest.raises(BadFileError) as err:
        clean_project(project)
    assert err.value.file == "bistand.csv" and err.value.column == "209903" and err.value.row == 1
    assert "2099-03" in str(err.value) and "header" in str(err.value)


def test_without_data_end_the_day_of_the_run_bounds_the_dates(tmp_path):
    _case_export(
        tmp_path,
        [f"{IDS[0]};2020-01-10;2020-02-01;2021-09-30;Kvinna", f"{IDS[1]};2020-01-10;2020-02-01;2199-09-30;Man"],
    )
    result = clean_project(_project(tmp_path, data_end=""))
    assert _rules(result, "end_date")[3] >= {"implausible_date"}
    assert result.data_end == dt.date(2021, 9, 30)  # inferred from the kept dates, not the typo


def test_window_and_parsers():
    assert str(plausible_window(dt.date(2021, 3, 31))) == "1900-01-01..2022-03-31"
    today = dt.date(2026, 5, 1)
    assert plausible_window(None, today=today).hi == pd.Timestamp("2027-05-01")
    values, bad, far = parse_dates_far(pd.Series(["9907-01-19", "2020-01-01", "x", "99070119", "1899-12-31"]))
    assert far.tolist() == [True, False, False, True, False]
    assert bad.tolist() == [False, False, True, False, False]
    assert values.isna().tolist() == [True, False, True, True, False]
    # the two-mask parsers never raise and count such dates as unreadable
    assert parse_dates(pd.Series(["9907-01-19"]))[1].tolist() == [True]
    months = pd.Series(["9907-01", dt.datetime(9907, 1, 1), 990701], dtype=object)
    assert parse_month(months)[1].tolist() == [True, True, False]  # 990701 is YYMMDD: 1999-07
