"""Shared helpers of the synthetic example generator: identities, dates and writers.

Everything here is deterministic: the random numbers come from the generator a
project module passes in, and the writers pin every byte that would otherwise
depend on the clock (xlsx document properties and zip timestamps, the SPSS
header's creation date).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

FIXED_STAMP = "2024-01-01T00:00:00Z"
EXCEL_ORIGIN = dt.date(1899, 12, 30)


# --- personnummer ---------------------------------------------------------------------------


def luhn_digit(nine: str) -> int:
    """Check digit of the nine digits YYMMDDNNN (weights 2,1,2,...)."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


class People:
    """Makes unique synthetic personnummer (12 digits, no separator) for one project.

    The serial ranges are drawn at random, so the numbers look like real ones but
    are made up; uniqueness is kept per project so that no two persons collide.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, birth: dt.date, female: bool, coordination: bool = False) -> str:
        while True:
            serial = int(self.rng.integers(0, 100))
            third = int(self.rng.integers(0, 5)) * 2 + (0 if female else 1)  # even = female
            day = birth.day + (60 if coordination else 0)
            nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{serial:02d}{third}"
            pnr = f"{birth.year // 100:02d}{nine}{luhn_digit(nine)}"
            if pnr not in self.used:
                self.used.add(pnr)
                return pnr


def fmt_pnr(pnr12: str, style: str) -> str:
    """Write a 12-digit number as an export would: ``12``, ``12-``, ``10`` or ``10-``."""
    ten = pnr12[2:]
    if style == "12":
        return pnr12
    if style == "12-":
        return f"{pnr12[:8]}-{pnr12[8:]}"
    if style == "10":
        return ten
    if style == "10-":
        return f"{ten[:6]}-{ten[6:]}"
    raise ValueError(style)


def bad_check_digit(pnr12: str) -> str:
    """The same number with a wrong check digit (a typing error)."""
    return pnr12[:-1] + str((int(pnr12[-1]) + 3) % 10)


def impossible_date(pnr12: str) -> str:
    """A number whose date cannot exist (30 February) but whose check digit fits."""
    nine = f"{pnr12[2:4]}0230{pnr12[8:11]}"
    return f"{pnr12[:2]}{nine}{luhn_digit(nine)}"


def birth_date(rng: np.random.Generator, ref: dt.date, age: int) -> dt.date:
    """A birth date at which a person is exactly ``age`` whole years old on ``ref``."""
    year = ref.year - int(age) - 1
    anchor = ref.replace(year=year) if not (ref.month == 2 and ref.day == 29) else dt.date(year, 2, 28)
    return anchor + dt.timedelta(days=int(rng.integers(1, 365)))


# --- Swedish labels as exports write them (all in analysis.clean.labels' dictionary) ---------------

GENDER_SV = {"female": "Kvinna", "male": "Man"}
EDUCATION_SV = {
    "compulsory": "Förgymnasial",
    "upper_secondary": "Gymnasial",
    "post_secondary": "Eftergymnasial",
    "unknown": "Uppgift saknas",
}
ORIGIN_SV = {
    "sweden": "Sverige",
    "nordic": "Norden",
    "europe": "Europa",
    "outside_europe": "Utanför Europa",
    "unknown": "Okänd",
}
EXIT_SV = {
    "work": "Arbete",
    "subsidised_work": "Subventionerat arbete",
    "study": "Studier",
    "work_and_study": "Arbete och studier",
    "job_seeking": "Arbetssökande",
    "other_programme": "Annan insats",
    "sick": "Sjukskriven",
    "moved": "Flyttat",
    "dropped_out": "Avbrott",
    "unknown": "Uppgift saknas",
}
INCOME_SV = {
    "income_support": "Försörjningsstöd",
    "activity_support": "Aktivitetsstöd",
    "sickness_benefit": "Sjukpenning",
    "disability_benefit": "Sjukersättning",
    "unemployment_insurance": "A-kassa",
    "wage": "Lön",
    "student_aid": "Studiemedel",
    "none": "Ingen ersättning",
    "other": "Annan",
}
REFERRED_SV = {
    "soc": "Socialtjänsten",
    "af": "Arbetsförmedlingen",
    "fk": "Försäkringskassan",
    "region": "Regionen",
    "other": "Egen anmälan",
}
PANEL_SV = {
    "work": "Arbete",
    "study": "Studier",
    "income_support": "Försörjningsstöd",
    "job_seeking": "Arbetssökande",
    "sick": "Sjukskriven",
    "other": "Övrigt",
    "unknown": "Okänt",
}


def pick(rng: np.random.Generator, probs: dict[str, float]) -> str:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


# --- dates ----------------------------------------------------------------------------------


def month_no(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def month_date(m: int, day: int = 1) -> dt.date:
    return dt.date(m // 12, m % 12 + 1, day)


def month_text(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def add_days(d: dt.date, days: float) -> dt.date:
    return d + dt.timedelta(days=int(days))


def random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def day_in_month(rng: np.random.Generator, m: int) -> dt.date:
    return month_date(m, int(rng.integers(1, 29)))


def excel_serial(d: dt.date) -> int:
    return (d - EXCEL_ORIGIN).days


def iso(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def dec(x: float | None, ndigits: int = 1) -> str:
    """A number with decimal comma, as Swedish Excel writes it ("12,5"; "12" when whole)."""
    if x is None:
        return ""
    x = round(float(x), ndigits)
    if x == int(x):
        return str(int(x))
    return f"{x:.{ndigits}f}".rstrip("0").replace(".", ",")


# --- writers --------------------------------------------------------------------------------


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sep: str = ";",
    encoding: str = "cp1252",
    newline: str = "\r\n",
    bom: bool = False,
) -> None:
    """A CSV as Swedish Excel or a register holder writes it (no quoting unless needed)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "Blad1",
    date_format: str = "yyyy-mm-dd",
) -> None:
    """An .xlsx with byte-identical output on every run.

    Dates given as :class:`datetime.date` become date cells; ints stay numbers (so an
    Excel serial stays a bare serial, as in exports that lost the date format).
    openpyxl stamps the document properties and zip entries with the current time; both
    are replaced by a fixed stamp.
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(header))
    for r in rows:
        ws.append(["" if v is None else v for v in r])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, (dt.date, dt.datetime)):
                cell.number_format = date_format
    fixed = dt.datetime(2024, 1, 1)
    wb.properties.creator = "foljeval synthetic generator"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    _pin_zip(raw.getvalue(), path)


def write_workbook(path: Path, sheets: dict[str, list[Sequence[Any]]], *, date_format: str = "yyyy-mm-dd") -> None:
    """An .xlsx of several sheets, each given as its rows as they appear (title rows, header, data, footer).

    Byte-identical on every run, like :func:`write_xlsx`. Dates become date cells, numbers
    stay numbers, text stays text (so a personnummer can be written either way, as people do).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(["" if v is None else v for v in r])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, (dt.date, dt.datetime)):
                    cell.number_format = date_format
    fixed = dt.datetime(2024, 1, 1)
    wb.properties.creator = "foljeval synthetic generator"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    _pin_zip(raw.getvalue(), path)


def _pin_zip(data: bytes, path: Path) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + FIXED_STAMP.encode() + rb"\g<3>",
                    body,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    path.write_bytes(out.getvalue())


# SPSS .sav header: "$FL2" + product name (60) + 5 int32 + bias (8) = 92 bytes, then
# the creation date (9, "dd mmm yy") and time (8, "hh:mm:ss") that readstat takes from the clock.
_SAV_STAMP_AT = 92
_SAV_STAMP = b"01 Jan 2400:00:00"


def write_sav(
    path: Path,
    df,
    *,
    value_labels: dict[str, dict] | None = None,
    column_labels: dict[str, str] | None = None,
    file_label: str = "",
) -> None:
    """An SPSS .sav with value labels, with the header's creation stamp pinned."""
    import pyreadstat

    labels = [(column_labels or {}).get(c, c) for c in df.columns]
    pyreadstat.write_sav(
        df, str(path), column_labels=labels, variable_value_labels=value_labels or {}, file_label=file_label
    )
    data = bytearray(path.read_bytes())
    assert data[:4] == b"$FL2", "unexpected SPSS header"
    data[_SAV_STAMP_AT : _SAV_STAMP_AT + len(_SAV_STAMP)] = _SAV_STAMP
    path.write_bytes(bytes(data))


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_presenter)


def write_yml(path: Path, header: str, sections: Sequence[tuple[str, dict]]) -> None:
    """project.yml as commented sections (``# comment`` then the keys it explains)."""
    parts = [header.rstrip() + "\n"] + [yml_section(comment, data) for comment, data in sections]
    path.write_text("".join(parts), encoding="utf-8")


def yml_section(comment: str, data: dict) -> str:
    """One commented section of project.yml: a blank line, ``# comment`` lines, then the keys."""
    head = "\n" + "\n".join(f"# {line}" if line else "#" for line in comment.splitlines()) + "\n"
    return head + yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False
    )


def rounded(x: float, nd: int = 4) -> float:
    return float(round(float(x), nd))
