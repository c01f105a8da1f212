"""No personnummer leaves the cleaning step: planted in every free-text place, found nowhere after.

Personnummer (valid date and check digit, in several written forms, with letters glued
on) are planted in every free-text place of every raw file kind: category labels, free
text and comment columns, unknown columns and their headers, a header row that is data,
file names, an Excel sheet name, SPSS value labels and variable names, survey items and
the track. Then ``foljeval check``, ``clean`` and ``report`` run (the repository's
notebooks) on a project that can be cleaned and on one whose file cannot be read, and
nothing they print and nothing under ``data/processed/`` or ``reports/`` holds any of the
planted numbers. The search is independent of the masking function: it looks for each
planted number's digits in every text with separators removed.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ROOT, make_pnr

pytestmark = pytest.mark.slow  # builds two reports with the repository's notebooks

PLANTED = [
    make_pnr(dt.date(1974, 6, 25), 64, True, sep="-"),  # 19740625-xxxx
    make_pnr(dt.date(1981, 12, 18), 98, False, sep="", digits=10),
    make_pnr(dt.date(1990, 3, 15), 23, True, coordination=True, sep=""),  # samordningsnummer
    make_pnr(dt.date(1966, 2, 1), 17, False, sep="+", digits=10),
    make_pnr(dt.date(2001, 11, 30), 5, True, sep="-", digits=10),
    make_pnr(dt.date(1958, 8, 8), 41, False, sep=""),
]
A, B, C, D, E, F = PLANTED

YML = """
name: Läckageprovet
owner: Testkommunen
period: {start: 2020-01-01, end: 2021-12-31}
data_end: 2022-06-30
synthetic: true
files:
  participants: {path: "deltagare_%s.csv"}
  comparison: {path: jamforelse.sav}
  followups: {path: uppfoljning.xlsx, sheet: "Uppföljning %s"}
  status_monthly: {path: status.csv}
  survey: {path: enkat.csv}
survey:
  items: [{id: q1, text_sv: "Jag fick stöd", scale: likert}]
  scales: {likert: {labels_sv: [nej, kanske, ja], agree_from: 3}}
"""


def _persons(n: int) -> list[str]:
    return [make_pnr(dt.date(1985, 1, 1) + dt.timedelta(days=40 * i), i, i % 2 == 0) for i in range(n)]


def _clean_project(raw: Path) -> None:
    """A project that cleans, with personnummer in every free-text place."""
    import pyreadstat

    raw.mkdir(parents=True)
    (raw / "project.yml").write_text(textwrap.dedent(YML % (A.replace("-", ""), C)), encoding="utf-8")
    ids = _persons(14)
    head = f"Personnummer;Kön;Startdatum;Slutdatum;Avslutsorsak;Spår;Kommentar;Anteckning {A}"
    rows = [
        f"{p};{'Kvinna' if i % 2 else 'Man'};2020-0{1 + i % 9}-01;;;Studiespåret {B}x;ok;-" for i, p in enumerate(ids)
    ]
    rows += [
        f"{ids[0][:-1]}9;Man;2020-02-01;;Soc (handl. för {A});Spår;ringde {C} om {D};{E}",  # unknown label
        f"{B}s;Kvinna{C};2020-02-01;;;Spår;;",  # id with a letter glued on, label with a number glued on
        f"{ids[1]};Kvinna;2020-02-01;2020-01-01;Arbete;Spår {D};{F} och {E}s;x",  # end before start
    ]
    (raw / f"deltagare_{A.replace('-', '')}.csv").write_bytes(("\r\n".join([head, *rows]) + "\r\n").encode("cp1252"))
    comp = pd.DataFrame(
        {
            "person_id": [*_persons(20)[14:], F],
            "reference_date": ["2020-03-01"] * 7,
            "gender": [1.0, 2.0, 1.0, 2.0, 3.0, 1.0, 2.0],
            f"anm_{F}": [f"samtal {E}"] * 7,  # an unknown variable whose name holds a number
        }
    )
    pyreadstat.write_sav(
        comp,
        str(raw / "jamforelse.sav"),
        variable_value_labels={"gender": {1.0: "Man", 2.0: "Kvinna", 3.0: f"Okänd {D}"}},
    )
    fu = pd.DataFrame(
        {
            "Personnummer": ids[:4],
            "Uppföljningsdatum": ["2021-06-30"] * 4,
            "Status": ["Arbete", f"Soc {A}", "Studier", f"{B}"],
            f"Notering {C}": [f"{E}"] * 4,
        }
    )
    with pd.ExcelWriter(raw / "uppfoljning.xlsx") as xl:
        fu.to_excel(xl, sheet_name=f"Uppföljning {C}", index=False)
    st = ["person_id,month,status"] + [f"{p},2020-0{m},arbete" for p in ids[:6] for m in (3, 4)]
    st += [f"{ids[0]},2020-05,arbete {D}", f"{ids[1]},2020-05,{E}"]
    (raw / "status.csv").write_text("\n".join(st) + "\n", encoding="utf-8")
    sv = ["respondent_id;wave;item;response;free_text"]
    sv += [f"{p};exit;q1;ja;tack {A}" for p in ids[:6]] + [f"{ids[0]};exit;q_{B};ja;", f"{ids[1]};exit;q1;{C};"]
    (raw / "enkat.csv").write_text("\n".join(sv) + "\n", encoding="utf-8")


def _broken_project(raw: Path) -> None:
    """A project whose participants file has no header row: its first person becomes the header."""
    raw.mkdir(parents=True)
    (raw / "project.yml").write_text(
        "name: Trasig\nowner: Testkommunen\nperiod: {start: 2020-01-01, end: 2021-12-31}\nsynthetic: true\n"
        "files:\n  participants: {path: deltagare.csv}\n",
        encoding="utf-8",
    )
    (raw / "deltagare.csv").write_text(f"{A};Kvinna;2020-01-01\n{B};Man;2020-02-01\n", encoding="utf-8")


def _digits(text: str) -> str:
    return text.replace("-", "").replace("+", "")


def _leaks(name: str, text: str) -> list[str]:
    flat = _digits(text)
    return [f"{name}: {p[:4]}…" for p in PLANTED if _digits(p)[-10:] in flat]


def _texts_under(folder: Path):
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        yield path.as_posix(), path.name  # file and folder names are published too
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            yield path.as_posix(), " ".join(map(str, df.columns)) + df.astype(str).to_csv(index=False)
        else:
            yield path.as_posix(), path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from analysis.pipeline.cli import app

    root = tmp_path_factory.mktemp("planted") / "repo"
    _clean_project(root / "data" / "raw" / "lack")
    _broken_project(root / "data" / "raw" / "trasig")
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    env = {"SOURCE_DATE_EPOCH": "1700000000", "FOLJEVAL_KEY": "", "COLUMNS": "200"}
    outputs = {}
    for args in (
        ["check", "lack"],
        ["check", "trasig"],
        ["clean", "lack"],
        ["clean", "trasig"],
        ["report", "--all", "--no-pdf", "--one-language"],
    ):
        result = CliRunner().invoke(app, [*args, "--root", str(root)], env=env)
        outputs[" ".join(args)] = (result.exit_code, result.output, result.exception)
    return root, outputs


def test_the_planted_numbers_are_valid_and_really_in_the_raw_files(planted):
    """Without this the test below could pass on numbers the cleaning step never saw."""
    from analysis.clean.identity import parse_personnummer

    root, _ = planted
    assert parse_personnummer(pd.Series(PLANTED), today=dt.date(2026, 1, 1))["valid"].all()
    raw = root / "data" / "raw"
    blob = " ".join(p.name for p in raw.rglob("*"))
    for path in raw.rglob("*"):
        if path.suffix in (".csv", ".yml"):
            blob += path.read_text(encoding="cp1252" if path.name.startswith("deltagare_") else "utf-8")
    blob += pd.read_excel(raw / "lack" / "uppfoljning.xlsx", sheet_name=None).__repr__()
    assert all(_digits(p)[-10:] in _digits(blob) for p in PLANTED)


def test_check_clean_and_report_ran_without_tracebacks(planted):
    _, outputs = planted
    for command, (_code, text, exc) in outputs.items():
        assert exc is None or isinstance(exc, SystemExit), (command, repr(exc))
        assert "Traceback" not in text, command
    assert outputs["check lack"][0] == 0 and outputs["clean lack"][0] == 0
    assert outputs["check trasig"][0] == 1 and "required column missing" in outputs["check trasig"][1]
    report = outputs["report --all --no-pdf --one-language"][1]
    assert "ok      lack" in report and "FAILED  trasig" in report


def test_no_planted_number_in_any_output_processed_file_or_report(planted):
    root, outputs = planted
    leaks = []
    for command, (_, text, _) in outputs.items():
        leaks += _leaks(f"output of foljeval {command}", text)
    for folder in (root / "data" / "processed", root / "reports"):
        for name, text in _texts_under(folder):
            leaks += _leaks(name, text)
    assert leaks == []


def test_the_masked_places_still_say_what_was_wrong(planted):
    """Masking keeps the rest of the message: the evaluator can still find and fix the row."""
    root, outputs = planted
    rejected = pd.read_csv(root / "data" / "processed" / "lack" / "rejected.csv", dtype=str).fillna("")
    notices = pd.read_csv(root / "data" / "processed" / "lack" / "notices.csv", dtype=str).fillna("")
    # an unknown label keeps the row (listed in notices.csv); in a required column it rejects the row
    kept_label = notices[notices["notice"] == "unknown_label"]
    assert "Soc (handl. för [personnummer])" in set(kept_label["value"])
    assert "unknown label 'arbete [personnummer]'" in " ".join(rejected["message"])
    assert set(rejected["file"]) >= {"deltagare_[personnummer].csv", "status.csv"}
    manifest = json.loads((root / "data" / "processed" / "lack" / "manifest.json").read_text(encoding="utf-8"))
    ignored = {c for f in manifest["files"] for c in f["ignored_columns"]}
    assert "Anteckning [personnummer]" in ignored and "anm_[personnummer]" in ignored
    tracks = pd.read_parquet(root / "data" / "processed" / "lack" / "participants.parquet")["track"]
    assert "Studiespåret [personnummer]x" in set(tracks)
    error = (root / "reports" / "trasig" / "error.html").read_text(encoding="utf-8")
    assert "required column missing" in error and "[personnummer]" in error
    assert "[personnummer]" in outputs["check trasig"][1]
