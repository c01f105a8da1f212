"""Real exports go in unchanged: each fixture below is shaped the way the outside world produces it.

The layout of every fixture is written down first (in its docstring), from how the
systems export: a case-management or SUS participant list in Excel with title rows and
a footer, a municipal income-support extract with one column per month in kronor,
Excel's "Unicode text" (UTF-16, tabs), an old .xls, personnummer that Excel turned
into numbers. The cleaning must read them with project.yml mappings only.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.clean.readers import ROW, read_source
from analysis.clean.run import clean_project
from analysis.project.config import FileSpec, load_project
from analysis.project.errors import ConfigError
from conftest import make_pnr

PNR = [make_pnr(dt.date(1980 + i, 1 + i % 12, 1 + i), i, i % 2 == 0, sep="-") for i in range(12)]
YOUNG = make_pnr(dt.date(2003, 4, 5), 12, True, sep="", digits=10)  # "0304..." -> Excel number 304...


def project(tmp_path: Path, files_yml: str, extra: str = "") -> Path:
    d = tmp_path / "data" / "raw" / "p"
    d.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")
    text = textwrap.dedent(
        """
        name: Testprojektet
        owner: Testförbundet
        period: {start: 2022-01-01, end: 2024-12-31}
        data_end: 2024-12-31
        synthetic: true
        """
    )
    (d / "project.yml").write_text(text + textwrap.dedent(extra) + textwrap.dedent(files_yml), encoding="utf-8")
    return d


def sus_sheet(ws, rows: list[list], header: list[str], footer: bool = True) -> None:
    """A SUS-like sheet: five title/info rows, a blank row, the header (row 7), data, blank, footer."""
    for title in (
        "SUS - Deltagarförteckning",
        "Samordningsförbund: Test",
        "Insats: Test",
        "Utskriftsdatum: 2025-01-15",
    ):
        ws.append([title])
    ws.append(["Urval: alla deltagare"])
    ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    if footer:
        ws.append([])
        ws.append([f"Totalt antal rader: {len(rows)}"])


HEADER = [
    "Personnummer",
    "Namn",
    "Kön",
    "Ålder",
    "Inskriven",
    "Utskriven",
    "Orsak till avslut",
    "Försörjning vid utskrivning",
]


def sus_rows() -> list[list]:
    return [
        [PNR[0], "Anna A", "Kvinna", 41, dt.date(2022, 3, 1), dt.date(2022, 9, 30), "Arbete", "Lön"],
        [int(PNR[1].replace("-", "")), "Bo B", "Man", 40, "22-09-19", "pågår", "", ""],  # 12-digit number
        [int(YOUNG), "Cia C", "Kvinna", 19, "15 november 2022", "-", "", ""],  # Excel dropped the zero
        [YOUNG[1:], "Dan D", "Man", 19, "15 nov. 2022", "pågående", "", ""],  # a text cell missing its zero
        ["", "", "Kvinna", 33, dt.date(2023, 1, 10), "", "", ""],  # anonymous participant
        [PNR[2], "Eva E", "Kvinna", 38, dt.date(2023, 2, 1), dt.date(2023, 2, 1), "Felregistrering", ""],
        [
            PNR[3],
            "Fia F",
            "Kvinna",
            37,
            dt.date(2022, 5, 1),
            dt.date(2022, 12, 1),
            "Arbete med stöd",
            "Lön + ekonomiskt bistånd",
        ],
        [
            PNR[3],
            "Fia F",
            "Kvinna",
            38,
            dt.date(2023, 6, 1),
            dt.date(2023, 12, 1),
            "Studier",
            "Studiemedel",
        ],  # 2nd episode
    ]


def test_sus_workbook_with_title_rows_footer_and_two_sheets(tmp_path):
    """Layout: deltagare.xlsx, sheets "2022" and "2023"; rows 1-5 titles, row 6 blank, row 7 header, data,
    a blank row and "Totalt antal rader: n". Personnummer as text, 12-digit numbers and 9-digit numbers (born
    2003, zero lost); dates as date cells, "22-09-19", "15 november 2022", "15 nov. 2022"; "pågår" for open."""
    d = project(
        tmp_path,
        """
        files:
          participants:
            path: deltagare.xlsx
            sheet: "*"
            anonymous: count
            episodes: all
            values: {exit_status: {"Arbete med stöd": subsidised_work}}
        """,
    )
    wb = openpyxl.Workbook()
    sus_sheet(wb.active, sus_rows()[:4], HEADER)
    wb.active.title = "2022"
    sus_sheet(wb.create_sheet("2023"), sus_rows()[4:], HEADER)
    wb.save(d / "deltagare.xlsx")
    r = clean_project(load_project(d), env={})
    rec = r.reconciliation.set_index("file")
    assert rec.loc["deltagare.xlsx [2022]", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [4, 3, 1]
    assert rec.loc["deltagare.xlsx [2023]", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [4, 3, 1]
    f = {x.file: x for x in r.files}["deltagare.xlsx [2022]"]
    assert (f.header_row, f.header_detected, f.title_rows, f.footer_rows) == (7, True, 5, 1)
    assert f.columns["Ålder"] == "age_at_start" and f.columns["Utskriven"] == "end_date"
    assert "Namn" in f.ignored and "contract" in f.ignored["Namn"]
    assert f.date_formats["start_date"] == {"date cell": 1, "YY-MM-DD": 1, "D month YYYY": 2}
    rules = dict(zip(r.problems["row"].astype(str) + r.problems["file"], r.problems["rule"]))
    assert rules == {"11deltagare.xlsx [2022]": "invalid_id", "9deltagare.xlsx [2023]": "registration_error"}
    p = r.tables["participants"]
    assert len(p) == 4  # PNR[0], the 12-digit number, the restored young person, PNR[3] once with 2 episodes
    assert p["end_date"].isna().sum() == 2  # "pågår" and "-": still enrolled
    both = p[p["episodes"] == 2].iloc[0]
    assert both["start_date"] == pd.Timestamp("2022-05-01") and both["end_date"] == pd.Timestamp("2023-12-01")
    assert both["exit_status"] == "study"  # episodes: all -> the exit of the last episode
    assert sorted(r.tables["episodes"]["episode"]) == [1, 1, 1, 1, 2]
    assert r.counts["anonymous_rows"] == 1 and len(r.tables["anonymous"]) == 1
    notes = set(zip(r.notices["column"], r.notices["notice"]))
    assert ("person_id", "restored_leading_zero") in notes
    assert ("income_at_exit", "combined_label") in notes
    assert p["age_at_start"].notna().all()


@pytest.mark.parametrize("mode, start", [("first", "2022-05-01"), ("last", "2023-06-01")])
def test_episodes_first_or_last(tmp_path, mode, start):
    d = project(tmp_path, f"files:\n  participants: {{path: d.xlsx, episodes: {mode}}}\n")
    wb = openpyxl.Workbook()
    sus_sheet(wb.active, sus_rows()[6:], HEADER)
    wb.save(d / "d.xlsx")
    p = clean_project(load_project(d), env={}).tables["participants"]
    assert len(p) == 1 and p["start_date"].iloc[0] == pd.Timestamp(start)


def test_anonymous_rows_are_quarantined_by_default(tmp_path):
    d = project(tmp_path, "files:\n  participants: {path: d.xlsx}\n")
    wb = openpyxl.Workbook()
    sus_sheet(wb.active, sus_rows()[4:5], HEADER)
    wb.save(d / "d.xlsx")
    r = clean_project(load_project(d), env={})
    assert r.problems["rule"].tolist() == ["empty_id"] and "anonymous" not in r.tables


def test_explicit_header_row_and_a_csv_with_a_title_line(tmp_path):
    """Layout: a case-management CSV (Windows-1252, ';'): line 1 "Deltagarlista Projekt X", line 2
    "Uttag 2024-05-02", line 3 the header, data, then "Summa: 2 deltagare"."""
    d = project(tmp_path, "files:\n  participants: {path: d.csv, header_row: 3}\n")
    lines = [
        "Deltagarlista Projekt X",
        "Uttag 2024-05-02",
        "Personnummer;Startdatum;Slutdatum",
        f"{PNR[0]};2022-02-01;2022-08-31",
        f"{PNR[1]};2022-03-01;pågår",
        "Summa: 2 deltagare",
    ]
    (d / "d.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    r = clean_project(load_project(d), env={})
    f = r.files[0]
    assert (f.rows_read, f.rows_kept, f.header_row, f.header_detected, f.footer_rows) == (2, 2, 3, False, 1)
    assert r.problems.empty


def test_header_found_without_being_told_in_a_csv(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(
        "Rapport, alla deltagare\r\n\r\nPersonnummer;Startdatum\r\n1;2\r\nTotalt antal rader: 1\r\n".encode("cp1252")
    )
    from analysis.clean.headers import recogniser

    df, layout = read_source(
        p, FileSpec(path="d.csv"), recognise=recogniser(FileSpec(path="d.csv"), "participants", [])
    )
    assert layout.header_row == 3 and layout.titles == ["Rapport, alla deltagare"]
    assert layout.footers == [(5, "Totalt antal rader: 1")]
    assert df[ROW].tolist() == [4] and list(df.columns[1:]) == ["Personnummer", "Startdatum"]


def test_several_files_by_pattern(tmp_path):
    d = project(tmp_path, "files:\n  participants: {path: 'deltagare_*.csv'}\n")
    (d / "deltagare_2022.csv").write_text(f"Personnummer;Startdatum\n{PNR[0]};2022-02-01\n", encoding="utf-8")
    (d / "deltagare_2023.csv").write_text(
        f"Personnummer;Startdatum\n{PNR[1]};2023-02-01\n{PNR[0]};2022-02-01\n", encoding="utf-8"
    )
    r = clean_project(load_project(d), env={})
    assert [f.file for f in r.files] == ["deltagare_2022.csv", "deltagare_2023.csv"]
    dup = r.problems.iloc[0]
    assert (dup["file"], dup["row"], dup["rule"]) == ("deltagare_2023.csv", 3, "duplicate_enrolment")
    assert "row 2 of deltagare_2022.csv" in dup["message"]


def wide_income_support(path: Path, ids: list[str]) -> None:
    """Layout: a municipal ekonomiskt bistånd extract, Windows-1252, ';': line 1 a title, line 2 blank,
    line 3 "Personnummer;202301;202302;202303", amounts "12 345" (non-breaking space), "4 560,50", empty
    = no payment, and a last line "Summa;..." (a footer)."""
    lines = ["Utbetalt ekonomiskt bistånd per person och månad (kr)", "", "Personnummer;202301;202302;202303"]
    lines += [f"{ids[0]};12\u00a0345;4\u00a0560,50;", f"{ids[1]};;;8\u00a0000", f"{PNR[9]};1;1;1"]
    lines += ["Summa;12\u00a0346;4\u00a0561,50;8\u00a0001"]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))


def test_wide_kronor_panel_with_a_declared_domain(tmp_path):
    d = project(
        tmp_path,
        """
        files:
          participants: {path: d.csv}
          status_monthly: {path: bistand.csv, domain: income_support}
        """,
    )
    (d / "d.csv").write_text(f"Personnummer;Startdatum\n{PNR[0]};2023-03-01\n{PNR[1]};2023-03-01\n", encoding="utf-8")
    wide_income_support(d / "bistand.csv", PNR[:2])
    r = clean_project(load_project(d), env={})
    panel = r.tables["status_monthly"]
    f = r.files[1]
    assert (f.rows_read, f.rows_kept, f.rows_rejected, f.month_columns, f.footer_rows) == (3, 2, 1, 3, 1)
    assert panel["amount"].tolist() == [12345.0, 4560.5, 0.0, 0.0, 0.0, 8000.0] or panel["amount"].fillna(
        0
    ).tolist() == [
        12345.0,
        4560.5,
        0.0,
        0.0,
        0.0,
        8000.0,
    ]
    assert panel["status"].astype(str).tolist()[:3] == ["income_support", "income_support", "no_income_support"]
    assert r.project.config.panel_domain == "income_support"
    # months on income support before the start derived from the panel (2 of the 2 months before March)
    assert r.tables["participants"]["support_before_months"].tolist() == [2.0, 0.0]
    out = tmp_path / "processed"
    r.write(out)
    from analysis.clean.store import ProcessedTables

    assert json.loads((out / "manifest.json").read_text())["panel_domain"] == "income_support"
    assert ProcessedTables(out).panel_domain == "income_support"


def test_an_income_support_panel_does_not_count_everyone_as_not_in_work(tmp_path):
    from analysis.tables.targets import evaluate_target

    d = project(
        tmp_path,
        """
        files:
          participants: {path: d.csv}
          status_monthly: {path: bistand.csv, domain: income_support}
        """,
        "targets:\n  - {id: w, metric: share_work_or_study_within_months, months: 1, threshold: 50 %, min_observed: 1}\n",
    )
    (d / "d.csv").write_text(
        f"Personnummer;Startdatum;Slutdatum;Avslutsorsak\n{PNR[0]};2023-01-01;2023-01-20;Arbete\n"
        f"{PNR[1]};2023-01-01;2023-01-20;Arbetssökande\n",
        encoding="utf-8",
    )
    wide_income_support(d / "bistand.csv", PNR[:2])
    r = clean_project(load_project(d), env={})
    cfg = r.project.config
    assert cfg.targets[0].threshold == 0.5
    row = evaluate_target(cfg.targets[0], cfg, r.tables, r.data_end)
    assert (row["successes"], row["n"]) == (1, 2)  # from the exit status, not 0 of 2 from the panel


def test_utf16_tab_text_from_excel_unicode_text(tmp_path):
    """Layout: Excel "Spara som > Unicode-text": UTF-16 LE with a BOM, tab-separated, CRLF."""
    p = tmp_path / "deltagare.txt"
    text = "Personnummer\tKön\tStartdatum\r\n" + f"{PNR[0]}\tKvinna\t2022-02-01\r\n{PNR[1]}\tMan\t2022-03-01\r\n"
    p.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    df, layout = read_source(p, FileSpec(path=p.name))
    assert layout.encoding == "utf-16" and layout.delimiter == "\t"
    assert df["Kön"].tolist() == ["Kvinna", "Man"] and df[ROW].tolist() == [2, 3]


def test_old_xls(tmp_path):
    """Layout: an .xls (BIFF8) as older case systems export: header in row 1, dates as date cells,
    personnummer as numbers. Written here with xlwt (deterministic, no clock in the file)."""
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Deltagare")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for j, h in enumerate(["Personnummer", "Kön", "Startdatum"]):
        ws.write(0, j, h)
    ws.write(1, 0, int(PNR[0].replace("-", "")))
    ws.write(1, 1, "Kvinna")
    ws.write(1, 2, dt.datetime(2022, 2, 1), date_style)
    ws.write(2, 0, int(YOUNG))
    ws.write(2, 1, "Kvinna")
    ws.write(2, 2, dt.datetime(2022, 3, 1), date_style)
    d = project(tmp_path, "files:\n  participants: {path: d.xls}\n")
    wb.save(str(d / "d.xls"))
    r = clean_project(load_project(d), env={})
    assert r.files[0].rows_kept == 2 and r.problems.empty
    assert r.tables["participants"]["start_date"].tolist() == [pd.Timestamp("2022-02-01"), pd.Timestamp("2022-03-01")]


def test_configured_date_formats_and_missing_words(tmp_path):
    d = project(
        tmp_path,
        """
        files:
          participants:
            path: d.csv
            date_formats: ["%d-%m-%y"]
            missing_values: [aktiv]
        """,
    )
    (d / "d.csv").write_text(f"Personnummer;Startdatum;Slutdatum\n{PNR[0]};19-09-22;aktiv\n", encoding="utf-8")
    r = clean_project(load_project(d), env={})
    p = r.tables["participants"]
    assert p["start_date"].iloc[0] == pd.Timestamp("2022-09-19") and pd.isna(p["end_date"].iloc[0])
    assert r.files[0].date_formats["start_date"] == {"%d-%m-%y": 1}


def test_unknown_label_in_a_required_column_still_rejects(tmp_path):
    d = project(
        tmp_path,
        "files:\n  participants: {path: d.csv}\n  status_monthly: {path: s.csv}\n",
    )
    (d / "d.csv").write_text(f"Personnummer;Startdatum;Härkomst\n{PNR[0]};2022-02-01;Asien\n", encoding="utf-8")
    (d / "s.csv").write_text(
        f"person_id;month;status\n{PNR[0]};2022-02;Föräldraledig\n{PNR[0]};2022-03;Arbete\n", encoding="utf-8"
    )
    r = clean_project(load_project(d), env={})
    assert r.tables["participants"]["origin"].tolist() == ["unknown"]
    assert r.problems["rule"].tolist() == ["unknown_label"] and r.problems["file"].tolist() == ["s.csv"]


@pytest.mark.parametrize(
    "files, expect",
    [
        (
            "participants: {path: d.csv, columns: {Utskriven: end_dat}}",
            "files.participants.columns.Utskriven: 'end_dat' is not a column of participants; did you mean 'end_date'?",
        ),
        (
            "participants: {path: d.csv, values: {exit_staus: {Jobb: work}}}",
            "files.participants.values.exit_staus: not a column with labels; did you mean 'exit_status'?",
        ),
        (
            "participants: {path: d.csv, values: {exit_status: {Lönebidrag: subsidized_work}}}",
            "unknown code 'subsidized_work'; did you mean 'subsidised_work'?",
        ),
        ("participants: {path: d.csv, episodes: every}", "files.participants.episodes: should be"),
        (
            "followups: {path: d.csv, anonymous: count}\n  participants: {path: d.csv}",
            "files.followups.anonymous: only the participants file",
        ),
    ],
)
def test_mapping_typos_name_the_field_with_a_suggestion(tmp_path, files, expect):
    d = project(tmp_path, f"files:\n  {files}\n")
    with pytest.raises(ConfigError) as e:
        load_project(d)
    msg = str(e.value)
    assert expect in msg, msg
    assert "pydantic" not in msg and "FileSpec" not in msg and "Value error" not in msg


def test_a_mapped_header_missing_from_the_file_is_an_error_with_the_closest_header(tmp_path):
    d = project(tmp_path, "files:\n  participants: {path: d.csv, columns: {Utskrivn: end_date}}\n")
    (d / "d.csv").write_text(f"Personnummer;Inskriven;Utskriven\n{PNR[0]};2022-02-01;\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="maps 'Utskrivn', but d.csv has no such header; did you mean 'Utskriven'"):
        clean_project(load_project(d), env={})


@pytest.mark.parametrize("text, value", [("'50 %'", 0.5), ("'0,5'", 0.5), ("'50%'", 0.5), ("0.5", 0.5)])
def test_thresholds_as_people_write_them(tmp_path, text, value):
    d = project(
        tmp_path,
        "files:\n  participants: {path: d.csv}\n",
        f"targets:\n  - {{id: w, metric: share_work_or_study_at_exit, threshold: {text}}}\n",
    )
    assert load_project(d).config.targets[0].threshold == value


def test_an_unreadable_threshold_names_the_target_and_the_accepted_forms(tmp_path):
    d = project(
        tmp_path,
        "files:\n  participants: {path: d.csv}\n",
        "targets:\n  - {id: exit_goal, metric: share_work_or_study_at_exit, threshold: hälften}\n",
    )
    with pytest.raises(ConfigError) as e:
        load_project(d)
    msg = str(e.value)
    assert "targets[exit_goal].threshold" in msg and "0.5, 0,5 or 50 %" in msg
    assert "targets.0" not in msg and "input_value" not in msg


def test_check_shows_headers_rules_with_examples_and_date_forms(tmp_path):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    d = project(tmp_path, "files:\n  participants: {path: d.csv}\n")
    rows = [f"{PNR[i]};2022-02-0{1 + i % 8};2021-01-01;x" for i in range(6)]
    (d / "d.csv").write_text(
        "Personnummer;Startdatum;Slutdatum;Favoritfärg\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    res = CliRunner().invoke(app, ["check", "p", "--root", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Favoritfärg" in out and "not a column of participants" in out  # ignored, and why
    assert "Startdatum" in out and "start_date" in out and "YYYY-MM-DD (6)" in out
    assert "end_before_start" in out and "(+3 more)" in out and "2 (2021-01-01)" in out  # three examples, then a count
    capped = CliRunner().invoke(app, ["check", "p", "--root", str(tmp_path)], env={"COLUMNS": "200"})
    assert "6 of 6 problems shown" in capped.output


def test_a_label_mapped_to_several_codes_keeps_the_first_in_domain_order(tmp_path):
    d = project(
        tmp_path,
        """
        files:
          participants:
            path: d.csv
            values: {income_at_start: {"Lön och bidrag": [wage, income_support]}}
        """,
    )
    (d / "d.csv").write_text(
        f"Personnummer;Startdatum;Försörjning vid start\n{PNR[0]};2022-02-01;Lön och bidrag\n", encoding="utf-8"
    )
    r = clean_project(load_project(d), env={})
    assert r.tables["participants"]["income_at_start"].tolist() == ["income_support"]
    assert r.notices["notice"].tolist() == ["combined_label"]


def test_big_files_report_their_progress(tmp_path, monkeypatch):
    from analysis.clean import sources

    monkeypatch.setattr(sources, "PROGRESS_BYTES", 0)
    d = project(tmp_path, "files:\n  participants: {path: d.csv}\n")
    (d / "d.csv").write_text(f"Personnummer;Startdatum\n{PNR[0]};2022-02-01\n", encoding="utf-8")
    said: list[str] = []
    clean_project(load_project(d), env={}, progress=said.append)
    assert said[0].startswith("reading d.csv") and said[1].startswith("read 1 rows of d.csv")
