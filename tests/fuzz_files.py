"""Whole input files for fuzzing the cleaning step and ``foljeval check`` (used by tests and benchmarks/fuzz).

A case is one project folder: ``project.yml`` plus one fuzzed raw file (participants, or a monthly
panel beside a small fixed participants file), or a fuzzed ``project.yml`` itself. Files are built
from a table of cells the way exports arrive (Swedish headers, personnummer in every form, dates as
text, numbers and Excel serials), then mutated whole: structure (title rows, merged/empty/duplicated
header rows, duplicated columns, ragged rows, footers, huge cells, formulas, mixed types), encoding
(UTF-8, UTF-8 with BOM, Windows-1252, UTF-16, mixed lines) and bytes (truncated, flipped, random).

:func:`run_case` cleans the folder in-process and checks what a user must be able to rely on:

* no exception but :class:`~analysis.project.errors.FoljevalError`, whose (masked, as printed)
  message names the file it is about;
* every raw row kept or quarantined: per source ``rows_read == rows_kept + rows_rejected``, every
  quarantined row is named in rejected.csv, and where the case knows how many data rows it wrote,
  those are all read (or reported as footers);
* no personnummer planted in the input in any output: rejected.csv, the notices, the manifest, the
  processed tables, what ``check`` prints, the error message.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from conftest import bad_check_digit, make_pnr

# Personnummer planted in the inputs (ids, free text, labels, headers, file and sheet names).
PNR = [make_pnr(dt.date(1960 + 3 * i, 1 + i % 12, 1 + 2 * i), 10 + i, i % 2 == 0) for i in range(8)]
SAMORD = make_pnr(dt.date(1985, 5, 5), 7, True, coordination=True, sep="", digits=10)
PLANTED = [*PNR, SAMORD]

YML = """\
name: Fuzz
owner: Fuzzkommunen
period: {{start: 2020-01-01, end: 2021-12-31}}
data_end: 2022-06-30
synthetic: true
files:
  participants: {{path: {participants}{sheet}}}
{more}"""

PARTICIPANT_HEADER = ["Personnummer", "Kön", "Födelseår", "Startdatum", "Slutdatum", "Avslutsorsak", "Kommentar"]


def _forms(pnr: str) -> list[object]:
    digits = pnr.replace("-", "")
    ten = digits[-10:]
    return [pnr, pnr[2:], digits, ten, f"{ten[:6]}-{ten[6:]}", int(digits), float(ten), f" {pnr} ", pnr + "s"]


ids = st.one_of(
    st.sampled_from(PLANTED).flatmap(lambda p: st.sampled_from(_forms(p))),
    st.sampled_from([bad_check_digit(PNR[0]), "", "  ", "okänd", "0", "19000101-0000", "NULL", "=A1", None]),
)
weird = st.sampled_from(
    [
        "",
        "   ",
        "\u00a0",
        "nan",
        "NaT",
        "None",
        "-",
        "pågår",
        "=SUM(A1:A9)",
        '=HYPERLINK("http://x";"y")',
        "=1/0",
        "#REF!",
        "#VALUE!",
        "1e308",
        "-1e308",
        "inf",
        "9" * 40,
        "\x00",
        "\ufeff",
        '"',
        '""x""',
        ";",
        ",",
        "\t",
        "a\nb",
        "a\r\nb",
        "😀",
        "\u202e",
        "x" * 5000,
        f"Soc (handl. för {PNR[1].replace('-', '')})",
        f"ring {PNR[2]}s",
        f"{PNR[3][2:]}",
        True,
        False,
        0,
        -1,
        2**63,
        1e308,
        float("nan"),
        43891,
        43891.5,
        20200301,
        200301,
        dt.datetime(9907, 1, 19),
        dt.datetime(1900, 1, 1),
        dt.date(2020, 2, 1),
        dt.time(12, 30),
    ]
)
dates = st.one_of(
    st.dates(dt.date(2019, 6, 1), dt.date(2022, 6, 1)).flatmap(
        lambda d: st.sampled_from(
            [
                d.isoformat(),
                d.strftime("%Y%m%d"),
                d.strftime("%y%m%d"),
                d.strftime("%d.%m.%Y"),
                d.isoformat() + " 00:00",
                str((d - dt.date(1899, 12, 30)).days),
                (d - dt.date(1899, 12, 30)).days,
                dt.datetime(d.year, d.month, d.day),
            ]
        )
    ),
    st.sampled_from(
        ["9907-01-19", "99070119", "0000-00-00", "2020-02-30", "1907-03-01", "2262-04-12", "1677-09-21", "2099-12-31"]
    ),
    weird,
)
labels = st.one_of(st.sampled_from(["Kvinna", "Man", "K", "M", "Okänt", "Arbete", "Studier", "Lön", 1.0, 2]), weird)
years = st.one_of(st.sampled_from(["1980", "19x8", "1 980", "-5", "99999999999999999999", 1980, 1980.5, "1,5"]), weird)
comments = st.one_of(st.sampled_from(["", "ok", f"tel {PNR[4]}", f"{PNR[5]}: flyttat"]), weird)

STRUCTURE = (
    "title_rows",
    "group_header",
    "empty_row_above",
    "blank_header",
    "drop_header",
    "dup_column",
    "dup_header_name",
    "ragged",
    "footer",
    "blank_lines",
    "pnr_header",
    "huge_cell",
    "many_columns",
    "shuffle_columns",
    "only_header",
)
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1", "mixed")
BYTES = ("none", "none", "none", "truncate", "flip", "nul", "random", "empty", "bom_only")


@dataclass
class Case:
    """One generated input: what kind, how it is written and mutated (shown when a case fails)."""

    kind: str  # participants | panel_long | panel_wide | yml
    fmt: str  # csv | xlsx
    rows: list[list[object]]
    header: list[object]
    structure: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ";"
    damage: str = "none"
    seed: int = 0
    file_name: str = "d.csv"
    sheet: str | None = None

    @property
    def rows_known(self) -> bool:
        """Whether every written data row must be read (no mutation that moves, merges or hides rows)."""
        moving = {"drop_header", "blank_header", "ragged", "group_header", "only_header", "dup_header_name"}
        return self.damage == "none" and not moving & set(self.structure) and self.encoding != "mixed"


@st.composite
def cases(draw) -> Case:
    """A whole input file (or project.yml) as a :class:`Case`."""
    kind = draw(st.sampled_from(["participants"] * 5 + ["panel_long", "panel_wide"] * 2 + ["yml"]))
    fmt = draw(st.sampled_from(["csv", "csv", "xlsx"])) if kind != "yml" else "csv"
    n = draw(st.integers(0, 8))
    if kind in ("participants", "yml"):
        header: list[object] = list(PARTICIPANT_HEADER)
        rows = [
            [draw(ids), draw(labels), draw(years), draw(dates), draw(dates), draw(labels), draw(comments)]
            for _ in range(n)
        ]
    elif kind == "panel_long":
        header = ["Personnummer", "Månad", "Sysselsättning"]
        months = st.one_of(st.sampled_from(["2020-01", "202002", 202003, "mars 2020", "2020-13", "9907-01"]), dates)
        rows = [[draw(ids), draw(months), draw(labels)] for _ in range(n)]
    else:
        width = draw(st.integers(1, 6))
        header = ["Personnummer", *[f"2020{m:02d}" for m in range(1, width + 1)]]
        amount = st.one_of(st.sampled_from(["1200", "0", "12 345", "1.234,50", "500 kr", "", 850, 0]), weird)
        rows = [[draw(ids), *[draw(amount) for _ in range(width)]] for _ in range(n)]
    structure = draw(st.lists(st.sampled_from(STRUCTURE), max_size=3, unique=True))
    pnr_name = draw(st.integers(0, 9)) == 0
    stem = f"export_{PNR[6].replace('-', '')}" if pnr_name else "d"
    return Case(
        kind=kind,
        fmt=fmt,
        rows=rows,
        header=header,
        structure=structure,
        encoding=draw(st.sampled_from(ENCODINGS)),
        delimiter=draw(st.sampled_from([";", ";", ",", "\t", "|"])),
        damage=draw(st.sampled_from(BYTES)),
        seed=draw(st.integers(0, 2**31 - 1)),
        file_name=f"{stem}.{fmt if kind != 'yml' else 'csv'}",
        sheet=draw(st.sampled_from([None, None, "Blad1", f"Deltagare {PNR[7]}"])) if fmt == "xlsx" else None,
    )


def _grid(case: Case) -> tuple[list[list[object]], int]:
    """The cells of the file, header first, after the structure mutations; and the data rows written."""
    import random

    rnd = random.Random(case.seed)
    header, rows = list(case.header), [list(r) for r in case.rows]
    for m in case.structure:
        if m == "dup_column" and header:
            j = rnd.randrange(len(header))
            header.append(header[j])
            for r in rows:
                r.append(r[j] if j < len(r) else "")  # a ragged row may be shorter than the header
        elif m == "dup_header_name" and len(header) > 2:
            header[rnd.randrange(1, len(header))] = header[rnd.randrange(len(header))]
        elif m == "pnr_header":
            header.append(PNR[0])
            for r in rows:
                r.append("x")
        elif m == "huge_cell" and rows:
            row = rows[rnd.randrange(len(rows))]
            j = rnd.randrange(len(header)) if header else 0
            row.extend([""] * (j + 1 - len(row)))  # a ragged row may be shorter than the header
            row[j] = "å" * 200_000
        elif m == "many_columns":
            header += [f"Extra {i}" for i in range(300)]
            for r in rows:
                r += [str(i) for i in range(300)]
        elif m == "shuffle_columns":
            order = list(range(len(header)))
            rnd.shuffle(order)
            header = [header[i] for i in order]
            rows = [[r[i] if i < len(r) else "" for i in order] for r in rows]
        elif m == "ragged":
            for r in rows:
                if rnd.random() < 0.25:
                    del r[rnd.randrange(len(r)) :]
                elif rnd.random() < 0.33:
                    r.extend(["x"] * rnd.randint(1, 3))
        elif m == "only_header":
            rows = []
    data = sum(1 for r in rows if any(_text_cell(v, "").strip() for v in r))  # a row of blank cells is no row
    grid = [header, *rows]
    if "blank_lines" in case.structure and rows:
        grid.insert(rnd.randint(1, len(grid)), [])
    if "footer" in case.structure:
        grid.append([f"Totalt antal rader: {len(rows)}"])
    if "blank_header" in case.structure:
        grid[0] = [""] * len(header)
    if "drop_header" in case.structure:
        grid = grid[1:]
    if "group_header" in case.structure:
        grid.insert(0, ["Person", "", "Datum", "", "Utfall"][: len(header)])
    if "empty_row_above" in case.structure:
        grid.insert(0, [])
    if "title_rows" in case.structure:
        grid[:0] = [["Deltagarförteckning"], [f"Utskrivet 2024-05-02 av {PNR[7]}"], []]
    return grid, data


def _text_cell(v: object, delimiter: str) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    s = v.isoformat() if isinstance(v, (dt.date, dt.time)) else str(v)
    if any(ch in s for ch in (delimiter, '"', "\n", "\r")):
        return '"' + s.replace('"', '""') + '"'
    return s


def _encode(text: str, encoding: str, rnd) -> bytes:
    if encoding == "mixed":  # some lines Windows-1252, others UTF-8 (two exports pasted together)
        return b"\n".join(
            line.encode("cp1252" if rnd.random() < 0.5 else "utf-8", errors="replace") for line in text.split("\n")
        )
    return text.encode(encoding, errors="replace")


def _damage(raw: bytes, how: str, rnd) -> bytes:
    if how == "truncate" and raw:
        return raw[: rnd.randrange(len(raw))]
    if how == "flip" and raw:
        b = bytearray(raw)
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)
    if how == "nul" and raw:
        i = rnd.randrange(len(raw))
        return raw[:i] + b"\x00" * rnd.randint(1, 3) + raw[i:]
    if how == "random":
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 600)))
    if how == "empty":
        return b""
    if how == "bom_only":
        return rnd.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\r\n"])
    return raw


def _csv_bytes(grid: list[list[object]], case: Case, rnd) -> bytes:
    eol = rnd.choice(["\n", "\r\n", "\r\n", "\r"])
    text = eol.join(case.delimiter.join(_text_cell(v, case.delimiter) for v in r) for r in grid) + eol
    return _encode(text, case.encoding, rnd)


def _xlsx_cell(v: object) -> object:
    if isinstance(v, (str, int, float, bool, dt.datetime, dt.date, dt.time)) or v is None:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
            return str(v)  # Excel holds doubles: a longer integer is typed as text
        if isinstance(v, str):
            return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", v)[:32767]  # characters Excel refuses, its cell limit
        return v
    return str(v)


def _xlsx_bytes(grid: list[list[object]], case: Case, rnd) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if case.sheet:
        ws.title = case.sheet[:31]
    for r in grid:
        ws.append([_xlsx_cell(v) for v in r] if r else [None])
    if "group_header" in case.structure and ws.max_column >= 2:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)  # a merged header cell
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    if case.damage in ("truncate", "flip", "random", "empty"):
        return _damage(raw, case.damage, rnd)
    if case.damage == "nul":  # a zip whose sheet XML is cut short: calamine must refuse it, not crash
        return _rezip(raw, "xl/worksheets/sheet1.xml", lambda b: b[: len(b) // 2])
    return raw


def _rezip(raw: bytes, member: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == member else data)
    return out.getvalue()


PANEL_PARTICIPANTS = "Personnummer;Startdatum;Slutdatum\n" + "".join(f"{p};2020-02-01;2020-11-30\n" for p in PNR[:4])


def _yml_bytes(case: Case, rnd) -> bytes:
    base = YML.format(participants="d.csv", sheet="", more="").encode("utf-8")
    variants = [
        base,
        base.replace(b"2020-01-01", b"2020-13-01"),
        base.replace(b"synthetic: true", b"synthetic: [true"),
        base.replace(b"files:", b"files: 3\nx:"),
        base + b"min_cell: -1\n",
        base + b"covariates: [" + PNR[0].encode() + b"]\n",
        base.replace(b"period:", b"\tperiod:"),
        b"",
        b"- a\n- b\n",
        b"name: [\n",
        base.replace(b"d.csv", b"../../etc/passwd"),
        base + b"data_end: 9907-01-19\n",
    ]
    return _damage(rnd.choice(variants), case.damage if case.damage != "empty" else "none", rnd)


def write_case(case: Case, folder: Path) -> dict[str, bytes]:
    """Write the case's project into ``folder``; returns the files written (name -> bytes)."""
    import random

    rnd = random.Random(case.seed)
    grid, _ = _grid(case)
    files: dict[str, bytes] = {}
    if case.kind == "yml":
        files["d.csv"] = _csv_bytes(grid, Case(**{**case.__dict__, "encoding": "utf-8", "delimiter": ";"}), rnd)
        files["project.yml"] = _yml_bytes(case, rnd)
    else:
        raw = (
            _xlsx_bytes(grid, case, rnd)
            if case.fmt == "xlsx"
            else _damage(_csv_bytes(grid, case, rnd), case.damage, rnd)
        )
        sheet = f", sheet: '{case.sheet[:31]}'" if case.sheet and case.kind == "participants" else ""
        if case.kind == "participants":
            more, participants = "", case.file_name
        else:
            files["p.csv"] = PANEL_PARTICIPANTS.encode("utf-8")
            participants = "p.csv"
            layout = "long" if case.kind == "panel_long" else "wide, domain: income_support"
            panel_sheet = f", sheet: '{case.sheet[:31]}'" if case.sheet else ""
            more = f"  status_monthly: {{path: {case.file_name}, layout: {layout}{panel_sheet}}}\n"
        files[case.file_name] = raw
        files["project.yml"] = YML.format(participants=participants, sheet=sheet, more=more).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


class Crash(AssertionError):
    """A case broke a promise (an exception other than FoljevalError, or an assertion below)."""


def _planted_in(text: str) -> list[str]:
    """Planted personnummer found in ``text`` as a number of their own (10 digits, or 12 with the century),
    separators between digits ignored. A run of 11 or 13+ digits is no personnummer (the mask's definition):
    a flipped byte that turns "19600101-1003" into "9600101-1003" leaves a number, not an identity."""
    joined = re.sub(r"(?<=\d)[-+ \u00a0](?=\d)", "", text)
    return [p for p in PLANTED if re.search(rf"(?<!\d)(?:\d\d)?{p.replace('-', '')[-10:]}(?!\d)", joined)]


def _check_output(result, preflight: bool = True) -> str:
    """What ``foljeval check`` prints for a cleaned result: the tables and (optionally) the project.yml checks."""
    from rich.console import Console

    from analysis.pipeline.check_view import show
    from analysis.pipeline.preflight import check_report_inputs

    buf = io.StringIO()
    show(result, Console(file=buf, width=160, color_system=None), limit=40)
    if preflight:
        for p in check_report_inputs(result.project, result.tables, result.data_end):
            buf.write(f"{p.severity}: {p}\n")
    return buf.getvalue()


def run_case(case: Case, folder: Path, render_check: bool = True) -> str:
    """Write one case into ``folder`` and check it (see :func:`check_folder`)."""
    files = write_case(case, folder)
    return check_folder(folder, list(files), case, render_check)


def check_folder(folder: Path, names: list[str], case: Case | None = None, render_check: bool = True) -> str:
    """Clean (and show as ``check`` does) one project folder; raise :class:`Crash` on a broken promise.

    ``names`` are the files the folder holds (a refusal must name one of them). Returns ``"cleaned"``
    or ``"refused"`` (a FoljevalError with a clear message).
    """
    from analysis.clean.identity import mask_personnummer
    from analysis.clean.run import clean_project
    from analysis.project.config import load_project
    from analysis.project.errors import FoljevalError

    try:
        result = clean_project(load_project(folder), env={})
    except FoljevalError as err:
        shown = mask_personnummer(str(err))  # as `check` prints it
        if not any(mask_personnummer(n) in shown for n in names):
            raise Crash(f"the message names no file: {shown!r}") from None
        if "Traceback" in shown or _planted_in(shown):
            raise Crash(f"traceback or personnummer in the message: {shown!r}") from None
        return "refused"
    except Exception as err:  # any other exception is what the fuzzer looks for
        raise Crash(f"{type(err).__name__}: {err}") from err
    _check_counts(case, result)
    texts = [
        result.problems.to_csv(index=False),
        result.notices.to_csv(index=False),
        json.dumps(result.manifest(), ensure_ascii=False, default=str),
        *(df.astype(str).to_csv(index=False) for df in result.tables.values()),
    ]
    if render_check:
        try:
            # the project.yml checks are the same for most cases and cost a quarter of a case: one case in four
            texts.append(_check_output(result, preflight=case is None or case.seed % 4 == 0))
        except Exception as err:  # `check` must show every cleaned result
            raise Crash(f"check view: {type(err).__name__}: {err}") from err
    for text in texts:
        if found := _planted_in(text):
            raise Crash(f"personnummer in the output: {found[0][:4]}...: {text[:300]!r}")
    return "cleaned"


def _check_counts(case: Case | None, result) -> None:
    for f in result.files:
        if f.rows_read != f.rows_kept + f.rows_rejected:
            raise Crash(f"{f.file}: read {f.rows_read} != kept {f.rows_kept} + rejected {f.rows_rejected}")
        named = result.problems.loc[result.problems["file"] == f.file, "row"].nunique()
        if named != f.rows_rejected:
            raise Crash(f"{f.file}: {f.rows_rejected} rows rejected but {named} named in rejected.csv")
    p = result.tables.get("participants")
    part = [f for f in result.files if f.kind == "participants"]
    if p is not None and len(p) != sum(f.rows_kept for f in part):
        raise Crash(f"participants: {len(p)} kept in the table, {sum(f.rows_kept for f in part)} in the reconciliation")
    if case is None:
        return
    fuzzed = [
        f for f in result.files if f.kind == ("participants" if case.kind == "participants" else "status_monthly")
    ]
    if case.rows_known and fuzzed:
        _, data = _grid(case)
        got = sum(f.rows_read + f.footer_rows for f in fuzzed)
        written = data + ("footer" in case.structure)  # the footer row is read as a row or reported as a footer
        if got != written and not _header_moved(fuzzed[0], case):
            raise Crash(f"{written} rows written below the header, {got} read (or footers)")


def _header_moved(report, case: Case) -> bool:
    """Header detection took another row than the one written (a data row that looks like a header)."""
    written = 1 + (3 if "title_rows" in case.structure else 0) + (1 if "empty_row_above" in case.structure else 0)
    return report.header_row != written


def describe(case: Case) -> str:
    """The case in one line, for failure messages and the crash corpus."""
    return textwrap.shorten(
        f"{case.kind}/{case.fmt} rows={len(case.rows)} structure={case.structure} encoding={case.encoding} "
        f"delimiter={case.delimiter!r} damage={case.damage} seed={case.seed} file={case.file_name} sheet={case.sheet}",
        400,
    )
