"""Shared fixtures: synthetic personnummer and a small messy project written to tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Debian's Chromium for the browser tests (each browser test module skips itself without it)
CHROMIUM = os.environ.get("FOLJEVAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the tests of a module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def make_pnr(
    birth: dt.date, serial: int, female: bool, *, coordination: bool = False, sep: str = "-", digits: int = 12
) -> str:
    """A synthetic, check-digit-valid personnummer (or samordningsnummer) for tests."""
    serial = serial % 100
    third = (serial % 5) * 2 + (0 if female else 1)  # even = female
    day = birth.day + (60 if coordination else 0)
    body = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{serial:02d}{third}"
    ten = body + str(luhn_digit(body))
    head = f"{birth.year // 100:02d}" if digits == 12 else ""
    return f"{head}{ten[:6]}{sep}{ten[6:]}"


def bad_check_digit(pnr: str) -> str:
    return pnr[:-1] + str((int(pnr[-1]) + 1) % 10)


@pytest.fixture
def pnr():
    return make_pnr


MINI_YML = """
name: Miniprojektet
owner: Testkommunen
period: {start: 2020-01-01, end: 2021-12-31}
data_end: 2022-06-30
synthetic: true
language: sv
tracks: [study, work]
covariates: [earnings_before]
outcomes: [earnings_after]
files:
  participants:
    path: deltagare.csv
    values:
      track: {Studiespåret: study, Arbetsspåret: work}
  followups: {path: uppfoljning.csv}
  status_monthly: {path: status.csv}
"""


@pytest.fixture
def mini_project(tmp_path):
    """A small project whose raw files carry one example of each kind of mess.

    Returns (project folder, dict of expected outcomes)."""
    d = tmp_path / "data" / "raw" / "mini"
    d.mkdir(parents=True)
    (d / "project.yml").write_text(textwrap.dedent(MINI_YML), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("")
    ok = [make_pnr(dt.date(1990, 1, i + 1), i, i % 2 == 0) for i in range(8)]
    samord = make_pnr(dt.date(1985, 5, 5), 7, True, coordination=True, sep="", digits=10)
    header = "Personnummer;Kön;Födelseår;Startdatum;Slutdatum;Avslutsorsak;Spår;Månader med försörjning;earnings_before;earnings_after"
    rows = [
        f"{ok[0]};Kvinna;1990;2020-02-01;2020-08-31;Arbete;Studiespåret;12,5;100 000;150000",  # kept
        f"{ok[1]};;;20200301;;;Arbetsspåret;3;0;0",  # kept, gender/birth year derived, still enrolled
        f"{samord};Kvinna;;43891;2020-12-31;Studier;Studiespåret;;1;2",  # kept samordningsnummer, Excel serial date
        f"{bad_check_digit(ok[2])};Man;1990;2020-02-01;;;Studiespåret;1;1;1",  # invalid check digit
        f"{ok[3]};Man;1990;2020-05-01;2020-04-01;Arbete;Studiespåret;1;1;1",  # end before start
        f"{ok[4]};Kvinna;1990;2019-05-01;2020-04-01;Arbete;Studiespåret;1;1;1",  # start outside period
        f"{ok[0]};Kvinna;1990;2020-02-01;2020-08-31;Arbete;Studiespåret;12,5;1;1",  # duplicate enrolment
        f"{ok[5]};Okänt kön;1990;2020-02-01;;;Studiespåret;1;1;1",  # unknown label: kept, gender from the pnr
        ";Kvinna;1990;2020-02-01;;;Studiespåret;1;1;1",  # empty id
        f"{ok[6]};Kvinna;1990;;;;Studiespåret;1;1;1",  # no start and no referral date
        f"{ok[7]};Man;1990;2020-06-01;;;Cykelspåret;1;1;1",  # unknown track: kept, track empty, listed
        f"{ok[6][2:]};Man;1990;2020-07-01;;;Arbetsspåret;x;1;1",  # 10-digit form of ok[6]: not a number in support
    ]
    (d / "deltagare.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    fu = [
        "Personnummer;Uppföljningsdatum;Status;Försörjning",
        f"{ok[0]};2021-02-28;Arbete;Lön",  # kept, 6 months after exit
        f"{ok[4]};2021-02-28;Arbete;Lön",  # person was rejected -> unknown person
        f"{ok[1]};;Arbete;Lön",
    ]  # neither date nor months
    (d / "uppfoljning.csv").write_text("\n".join(fu) + "\n", encoding="utf-8")
    st = [
        "person_id,month,status",
        f"{ok[0]},2020-01,Försörjningsstöd",
        f"{ok[0]},2020-02,arbete",
        f"{ok[0]},2020-02,arbete",
        f"{ok[1]},202003,study",
        f"{ok[1]},2020-13,study",
    ]
    (d / "status.csv").write_text("\n".join(st) + "\n", encoding="utf-8")
    expected = {
        "participants": {
            "read": 12,
            "kept": 5,
            "rules": {
                "invalid_id",
                "end_before_start",
                "start_outside_period",
                "duplicate_enrolment",
                "empty_id",
                "no_start_or_referral",
                "not_a_number",
            },
            "notices": {("gender", "unknown_label", "Okänt kön"), ("track", "unknown_label", "Cykelspåret")},
        },
        "followups": {"read": 3, "kept": 1},
        "status_monthly": {"read": 5, "kept": 3},
        "ids": ok + [samord],
    }
    return d, expected


@pytest.fixture
def page(monkeypatch):
    """What the report's display functions show, as a list of HTML / Markdown texts (instead of a notebook)."""
    import analysis.report.display as display_module
    import analysis.report.tables as tables_module

    shown: list[str] = []

    def grab(obj, *args, **kwargs):
        shown.append(getattr(obj, "data", str(obj)))

    monkeypatch.setattr(display_module, "display", grab)
    monkeypatch.setattr(tables_module, "display", grab)
    return shown
