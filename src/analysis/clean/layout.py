"""Where the data are in an export: the header row below title rows, and footers below the data.

Exports from case-management systems and registers put a title and info rows above
the header ("Deltagarförteckning", "Utskrivet 2024-05-02") and a footer below the
data ("Totalt antal rader: 178"). The header is found without being told: it is the
first row with at least two cells the project understands (a canonical header or
Swedish alias of the file kind, a header mapped in project.yml, a covariate, or a
month in a wide monthly file). Footers are the trailing rows whose first cell starts
with a summary word or that hold a single text cell; they are reported, never read
as persons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

Recognise = Callable[[str], bool]

HEADER_SCAN_ROWS = 60
MIN_RECOGNISED = 2
# A footer starts with a summary or provenance word (case ignored).
FOOTER_START = re.compile(
    r"^\s*(totalt|total|summa|sum|antal|källa|kalla|utskriv|uttag|skapad|rapporten|export|\*)", re.IGNORECASE
)


@dataclass
class Layout:
    """What the reader understood about one source's layout.

    Attributes
    ----------
    header_row : int
        The file row (1-based; 0 for SPSS, whose variable names are the header).
    detected : bool
        Found by looking (``False``: ``header_row`` from project.yml, or SPSS).
    titles : list of str
        The non-blank rows above the header (shown by ``check``, never written).
    footers : list of (int, str)
        File row and text of each footer row (not data; shown by ``check``).
    """

    header_row: int
    detected: bool
    titles: list[str] = field(default_factory=list)
    footers: list[tuple[int, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def _text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "isoformat") and not isinstance(cell, str):
        return cell.isoformat()[:10]
    return "" if cell is None else str(cell).strip()


def find_header(rows: list[list[object]], recognise: Recognise) -> int | None:
    """0-based index of the first row (of the first 60) with at least two recognised cells, else None."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [_text(c) for c in row]
        if sum(1 for c in cells if c and recognise(c)) >= MIN_RECOGNISED:
            return i
    return None


def body_rows(grid: list[list[object]], header: int, width: int) -> tuple[list[list[object]], list[int]]:
    """The rows below the header (blank rows skipped), cut or padded to ``width``, with their sheet row numbers."""
    rows, numbers = [], []
    for i in range(header + 1, len(grid)):
        row = list(grid[i][:width]) + [""] * (width - len(grid[i]))
        if all(_text(c) == "" for c in row):
            continue
        rows.append(row)
        numbers.append(i + 1)
    return rows, numbers


def _is_footer(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    if not filled:
        return False
    if FOOTER_START.match(filled[0]):
        return True
    # a lone text cell below the data ("Utdrag ur verksamhetssystemet, maj 2024"); a lone id or number is data
    return len(filled) == 1 and bool(re.search(r"[A-Za-zÅÄÖåäö]{3,}", filled[0])) and " " in filled[0]


def split_footers(df: pd.DataFrame, row_col: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Split the trailing footer rows off a sheet: ``(data rows, [(file row, text), ...])``."""
    cut = len(df)
    values = df.iloc[-200:].drop(columns=row_col)  # footers are a few rows; never copy a register
    offset = len(df) - len(values)
    while cut > offset:
        cells = [_text(c) for c in values.iloc[cut - 1 - offset].tolist()]
        if not _is_footer(cells):
            break
        cut -= 1
    if cut == len(df):
        return df, []
    tail = df.iloc[cut:]
    footers = [
        (int(r), " ".join(c for c in (_text(x) for x in vals) if c))
        for r, vals in zip(tail[row_col], values.iloc[cut - offset :].itertuples(index=False))
    ]
    return df.iloc[:cut], footers
