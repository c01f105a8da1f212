"""Readers: CSV (delimiters, encodings), XLSX and SAV, with file row numbers; bad files get one clear message."""

import datetime as dt

import pandas as pd
import pytest

from analysis.clean.readers import ROW, read_raw, sniff_delimiter
from analysis.project.config import FileSpec
from analysis.project.errors import BadFileError


def spec(path, **kw):
    return FileSpec(path=path.name, **kw)


def test_semicolon_cp1252_with_decimal_comma(tmp_path):
    p = tmp_path / "deltagare.csv"
    p.write_bytes("Personnummer;Kön;Månader med försörjning\r\n1;Kvinna;14,5\r\n2;Man;3\r\n".encode("cp1252"))
    df = read_raw(p, spec(p))
    assert list(df.columns) == [ROW, "Personnummer", "Kön", "Månader med försörjning"]
    assert df["Kön"].tolist() == ["Kvinna", "Man"]
    assert df["Månader med försörjning"].tolist() == ["14,5", "3"]  # left as text; cleaning parses it
    assert df[ROW].tolist() == [2, 3]


def test_utf8_bom_comma(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("\ufeffperson_id,gender\nx1,Kvinna\n".encode("utf-8"))
    df = read_raw(p, spec(p))
    assert list(df.columns) == [ROW, "person_id", "gender"]


def test_blank_lines_keep_true_line_numbers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id;x\n1;a\n\n2;b\n", encoding="utf-8")
    assert read_raw(p, spec(p))[ROW].tolist() == [2, 4]


def test_quoted_delimiter_does_not_fool_the_sniffer():
    assert sniff_delimiter('"Efternamn, förnamn";Kön;Start') == ";"
    assert sniff_delimiter("a,b,c") == ","
    assert sniff_delimiter("a\tb") == "\t"


def test_wrong_encoding_names_file_and_line(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"id;kon\n1;Kvinna\n2;M\x81n\n")  # 0x81 is undefined in both UTF-8 and Windows-1252
    with pytest.raises(BadFileError, match=r"a\.csv, row 3: cannot be read as utf-8-sig or cp1252"):
        read_raw(p, spec(p))


def test_declared_encoding_is_used(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("id;kön\n1;Kvinna\n".encode("cp1252"))
    with pytest.raises(BadFileError, match=r"row 1: cannot be read as utf-8 text"):
        read_raw(p, spec(p, encoding="utf-8"))
    assert list(read_raw(p, spec(p, encoding="cp1252")).columns)[1:] == ["id", "kön"]


def test_ragged_row_names_line(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id;x\n1;a\n2;b;c;d\n", encoding="utf-8")
    with pytest.raises(BadFileError, match=r"a\.csv, row 3: malformed CSV"):
        read_raw(p, spec(p))


@pytest.mark.parametrize("content,match", [(b"", "empty"), (b"PK\x03\x04\x00\x00binary", "binary")])
def test_empty_or_binary_csv(tmp_path, content, match):
    p = tmp_path / "a.csv"
    p.write_bytes(content)
    with pytest.raises(BadFileError, match=match):
        read_raw(p, spec(p))


def test_missing_and_unknown_type(tmp_path):
    with pytest.raises(BadFileError, match="file not found"):
        read_raw(tmp_path / "nope.csv", FileSpec(path="nope.csv"))
    p = tmp_path / "a.json"
    p.write_text("{}")
    with pytest.raises(BadFileError, match="unknown file type"):
        read_raw(p, spec(p))


def test_xlsx_keeps_serial_numbers_and_rows(tmp_path):
    p = tmp_path / "d.xlsx"
    pd.DataFrame(
        {"Personnummer": ["a", "b"], "Startdatum": [42430, 42431], "Slutdatum": [dt.datetime(2016, 5, 1), None]}
    ).to_excel(p, index=False)
    df = read_raw(p, spec(p))
    assert df[ROW].tolist() == [2, 3]
    assert df["Startdatum"].tolist() == [42430, 42431]


def test_corrupt_xlsx(tmp_path):
    p = tmp_path / "d.xlsx"
    p.write_bytes(b"not a zip")
    with pytest.raises(BadFileError, match="not a readable Excel"):
        read_raw(p, spec(p))


def test_sav_with_value_labels(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    p = tmp_path / "s.sav"
    df = pd.DataFrame({"kon": [1.0, 2.0, 1.0], "svar": [4.0, 5.0, 1.0]})
    pyreadstat.write_sav(
        df, str(p), column_labels=["Kön", "Svar"], variable_value_labels={"kon": {1.0: "Kvinna", 2.0: "Man"}}
    )
    out = read_raw(p, spec(p))
    assert out["kon"].tolist() == ["Kvinna", "Man", "Kvinna"]
    assert out[ROW].tolist() == [1, 2, 3]


def test_corrupt_sav(tmp_path):
    p = tmp_path / "s.sav"
    p.write_bytes(b"$FL2 garbage")
    with pytest.raises(BadFileError, match="not a readable SPSS"):
        read_raw(p, spec(p))


@pytest.mark.parametrize(
    "body, fast",
    [
        ("id;month;status\r\n199001011234;2021-01;Arbete\r\n199001011234;2021-02;Studier\r\n", True),
        ("id;month;status\n1;2021-01;Arbete\n\n2;2021-02;Studier\n", False),  # blank line: rows would shift
        ('id;month;status\n1;2021-01;"Arbete; heltid"\n2;2021-02;Studier\n', False),  # quoted delimiter
        ("id;month;status\n1;2021-01;Arbete;x\n2;2021-02;Studier\n", False),  # ragged row
    ],
)
def test_large_csv_fast_path_agrees_with_exact_path_or_steps_aside(tmp_path, monkeypatch, body, fast):
    """Big files are read with pyarrow into categoricals; when row numbers could differ it returns None."""
    from analysis.clean import readers

    p = tmp_path / "status.csv"
    p.write_bytes(body.encode("cp1252"))
    got = readers._read_csv_arrow(p, spec(p))
    assert (got is not None) == fast
    if fast:
        exact = read_raw(p, spec(p))
        assert got[ROW].tolist() == exact[ROW].tolist()
        for c in exact.columns[1:]:
            assert got[c].astype(object).tolist() == exact[c].tolist()
        assert got["id"].astype(str).iloc[0] == "199001011234"  # never parsed as a number
    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0)
    if fast:
        assert isinstance(read_raw(p, spec(p))["status"].dtype, pd.CategoricalDtype)
