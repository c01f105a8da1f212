"""Readers for the raw exports: CSV (any delimiter, UTF-8 or Windows-1252), XLSX and SAV.

Every reader returns the file's cells untouched as an object-dtype DataFrame
(strings for CSV; Excel and SPSS keep their numbers and dates) plus a ``_row``
column with the row number as the evaluator sees it in the file (CSV: line
number, Excel: sheet row, SPSS: case number), so that every message can name
the row. Nothing here interprets values; that is the cleaning step's job.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.project.config import FileSpec
from analysis.project.errors import BadFileError

ROW = "_row"
_DELIMITERS = (";", ",", "\t", "|")


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode bytes as the given encoding, else UTF-8 (with or without BOM), else Windows-1252."""
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    last: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as err:
            last = err
        except LookupError:
            raise BadFileError(path.name, f"unknown encoding '{enc}' in project.yml") from None
    assert last is not None
    line = raw[: last.start].count(b"\n") + 1
    tried = " or ".join(candidates)
    raise BadFileError(
        path.name,
        f"cannot be read as {tried} text (byte 0x{raw[last.start]:02x} at line {line}); "
        "save it as UTF-8 or Windows-1252 CSV, or set files.<kind>.encoding in project.yml",
        row=line,
    )


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields (outside quotes)."""
    counts = {}
    for d in _DELIMITERS:
        try:
            counts[d] = len(next(csv.reader([header_line], delimiter=d)))
        except (csv.Error, StopIteration):
            counts[d] = 0
    best = max(counts, key=lambda d: (counts[d], -_DELIMITERS.index(d)))
    return best if counts[best] > 1 else ";"


# Above this size a CSV is read with pyarrow into dictionary-encoded (categorical)
# columns: a register panel repeats a few thousand distinct values millions of times.
LARGE_CSV_BYTES = 16 * 1024 * 1024


def _read_csv_arrow(path: Path, spec: FileSpec) -> pd.DataFrame | None:
    """Fast path for large CSV files; None when the file needs the exact (pandas) path.

    Every column is read straight into dictionary-encoded strings (no inference, so
    a 12-digit id is never turned into an integer and back). Row numbers must be
    the file's line numbers, so anything that could break that sends the file to
    the exact path: an empty line (``ignore_empty_lines=False`` makes it a parse
    error), a row with a different number of fields, or a quote character in any
    value (quoted fields may hold the delimiter or a line break).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head[:4096]:
        return None
    encodings = [spec.encoding] if spec.encoding else ["utf-8", "cp1252"]
    for enc in encodings:
        try:
            text_head = head.decode(
                enc if enc != "utf-8" else "utf-8-sig", errors="strict" if len(head) < (1 << 16) else "ignore"
            )
        except UnicodeDecodeError:
            continue
        lines = text_head.splitlines()
        if not lines:
            return None
        delimiter = spec.delimiter or sniff_delimiter(lines[0])
        names = lines[0].split(delimiter)
        if len(set(names)) != len(names) or any('"' in n for n in names):
            return None
        as_dictionary = pa.dictionary(pa.int32(), pa.string())
        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(
                    encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
                    block_size=1 << 26,
                    column_names=names,
                    skip_rows=1,
                ),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    column_types=dict.fromkeys(names, as_dictionary),
                    include_missing_columns=False,
                    check_utf8=True,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            continue
        table = table.unify_dictionaries()
        columns = {}
        all_empty: np.ndarray | bool = True  # rows where every field is empty: a blank line
        for name, col in zip(table.column_names, table.columns):
            col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
            if pc.any(pc.match_substring(col.dictionary, '"')).as_py():
                return None
            codes, categories = _dictionary(col)
            empty_at = categories.get_indexer([""])[0]
            all_empty = all_empty & (codes == empty_at) if empty_at >= 0 else False
            columns[name] = pd.Categorical.from_codes(codes, categories)
        if np.any(all_empty):
            return None  # the exact path skips blank lines and keeps the file's line numbers
        df = pd.DataFrame(columns)
        df.insert(0, ROW, np.arange(2, len(df) + 2))
        return df
    return None


def _dictionary(arr) -> tuple[np.ndarray, pd.Index]:
    codes = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, pd.Index(arr.dictionary.to_pylist(), dtype=object)


def read_csv(path: Path, spec: FileSpec) -> pd.DataFrame:
    if path.stat().st_size > LARGE_CSV_BYTES:
        fast = _read_csv_arrow(path, spec)
        if fast is not None:
            return fast
    raw = path.read_bytes()
    if not raw.strip():
        raise BadFileError(path.name, "the file is empty")
    if b"\x00" in raw[:4096]:
        raise BadFileError(path.name, "looks like a binary file, not CSV text (an Excel file renamed to .csv?)")
    text, _ = _decode(path, raw, spec.encoding)
    if not text.lstrip("\ufeff").strip():
        raise BadFileError(path.name, "the file is empty")
    lines = text.splitlines()
    first_line = lines[0] if lines else ""
    delimiter = spec.delimiter or sniff_delimiter(first_line)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise BadFileError(path.name, "the file has no header line") from None
    except pd.errors.ParserError as err:
        # pandas says e.g. "Error tokenizing data. C error: Expected 5 fields in line 12, saw 6"
        msg = str(err).split("C error: ")[-1].strip()
        line = None
        if " line " in msg:
            try:
                line = int(msg.split(" line ")[1].split(",")[0])
            except ValueError:
                line = None
        raise BadFileError(path.name, f"malformed CSV ({msg}); check quotes and delimiters", row=line) from None
    # Line numbers: header is line 1. Blank lines are skipped by pandas, so count them back in.
    if "\n\n" in text.replace("\r", "") or '"' in text:
        # Blank lines (skipped by pandas) or quoted fields that may span lines: count exactly.
        lines = text.splitlines()
        data_lines = [i + 1 for i, line in enumerate(lines) if line.strip()][1:]
        rows = data_lines[: len(df)] if len(data_lines) >= len(df) else range(2, len(df) + 2)
    else:
        rows = range(2, len(df) + 2)
    df.insert(0, ROW, rows)
    return df


def read_xlsx(path: Path, spec: FileSpec) -> pd.DataFrame:
    sheet = spec.sheet if spec.sheet is not None else 0
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl", keep_default_na=False)
    except ValueError as err:
        raise BadFileError(path.name, f"sheet {sheet!r} not found ({err})") from None
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a corrupt zip
        raise BadFileError(path.name, f"not a readable Excel .xlsx file ({type(err).__name__}: {err})") from None
    df.columns = [str(c) for c in df.columns]
    df = df.loc[~df.apply(lambda r: all(str(v).strip() == "" for v in r), axis=1)] if len(df) else df
    df.insert(0, ROW, df.index.to_numpy() + 2)  # sheet row: header is row 1
    return df.reset_index(drop=True)


def read_sav(path: Path, spec: FileSpec) -> pd.DataFrame:
    import pyreadstat

    try:
        df, _meta = pyreadstat.read_sav(str(path), apply_value_formats=True, formats_as_category=False)
    except Exception as err:  # noqa: BLE001 - pyreadstat.ReadstatError and friends
        raise BadFileError(path.name, f"not a readable SPSS .sav file ({err})") from None
    df = df.astype(object)
    df.insert(0, ROW, range(1, len(df) + 1))  # SPSS case number
    return df


READERS = {".csv": read_csv, ".txt": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx, ".sav": read_sav}


def read_raw(path: Path, spec: FileSpec) -> pd.DataFrame:
    """Read one raw export as it is, with a ``_row`` column of file row numbers.

    Raises
    ------
    BadFileError
        The file is missing, of an unknown type, unreadable or wrongly encoded.
    """
    if not path.is_file():
        raise BadFileError(path.name, f"file not found in {path.parent} (named in project.yml)")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise BadFileError(path.name, f"unknown file type '{path.suffix}'; use .csv, .xlsx or .sav")
    df = reader(path, spec)
    df.columns = [ROW] + [str(c).strip() for c in df.columns[1:]]
    return df
