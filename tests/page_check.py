"""Compare a written report.html with its written results.json, cell by cell, as a reader would.

Every element of the page that carries ``data-results`` (each table and each of its
value cells, each key figure of the summary) names a JSON pointer into
``results.json``. :func:`page_problems` resolves each pointer and checks that the text
on the page is the value in the file: the marker where a value is hidden, "–" where
there is no value, and otherwise the same number, read back from the page's text
(decimal comma and thousands space in Swedish, a real minus) and compared with the
file's value rounded to the decimals the page shows. It does not use the report's
own formatter, so a formatter that prints a wrong number is caught too.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup

from analysis.disclosure.published import is_table_node, resolve

_NUMBER = re.compile(r"[-+]?\d[\d ,.]*")
_SCALE = {"share": 100.0, "pp": 100.0}


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u2212", "-").replace("\u2060", "").strip()


def read_number(text: str, lang: str) -> tuple[float, int]:
    """The number in ``text`` and its decimals ("12 345,6" -> (12345.6, 1) in Swedish)."""
    text = _plain(text)
    m = _NUMBER.search(text)
    if not m:
        raise ValueError(f"no number in {text!r}")
    raw = m.group(0).strip().rstrip(",.")
    if lang == "sv":
        raw = raw.replace(" ", "").replace(",", ".")
    else:
        raw = raw.replace(",", "").replace(" ", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    return float(raw), decimals


def _same(text: str, value: float, kind: str, lang: str, digits: int | None = None) -> bool:
    if kind == "p" and _plain(text).startswith("<"):
        return value < read_number(text, lang)[0]
    shown, decimals = read_number(text, lang)
    # a negative ``digits`` (kronor to the nearest hundred) rounds further than the text's decimals say
    places = digits if digits is not None and digits < 0 else decimals
    expected = round(value * _SCALE.get(kind, 1.0), places)
    return abs(shown - expected) <= 0.5 * 10**-decimals + 1e-9


def _parts(text: str) -> list[str]:
    """The numbers of an interval ("4,1 – 16,3") or an estimate with its interval ("80 (70 – 90)")."""
    text = _plain(text).replace("(", " – ").replace(")", "")
    return [p for p in (x.strip() for x in text.split("–")) if p]


def cell_problem(
    text: str, value: Any, marker: str | None, kind: str, of: str | None, lang: str, digits: int | None = None
) -> str | None:
    """Why the text of one cell is not its ``results.json`` value (None when it is)."""
    text = _plain(text)
    if marker is not None:
        return None if text == marker else f"shows {text!r}, results.json has the marker {marker!r}"
    if value is None:
        return None if text == "–" else f"shows {text!r}, results.json has no value"
    if kind in ("code", "text"):
        if kind == "text" and text != str(value):
            return f"shows {text!r}, results.json has {value!r}"
        return None if text and text != "–" else "a code without a label"
    if kind in ("interval", "estimate"):
        parts = _parts(text)
        if len(parts) != len(value):
            return f"shows {text!r}, results.json has {value}"
        bad = [p for p, v in zip(parts, value) if not _same(p, v, of or "number", lang, digits)]
        return f"shows {text!r}, results.json has {value}" if bad else None
    try:
        ok = _same(text, float(value), kind, lang, digits)
    except ValueError as err:
        return str(err)
    return None if ok else f"shows {text!r}, results.json has {value!r} ({kind})"


def _column(node: dict, pointer: str, table_pointer: str) -> tuple[dict, str | None, str]:
    """The column spec, the row and the key a cell pointer names inside its table node."""
    rest = pointer[len(table_pointer) :].split("/")[1:]  # rows, <row>, [<group>], <key>
    token = [t.replace("~1", "/").replace("~0", "~") for t in rest]
    if token[0] != "rows" or len(token) not in (3, 4):
        raise KeyError(pointer)
    group, key = (token[2], token[3]) if len(token) == 4 else (None, token[2])
    spec = next(c for c in node["columns"] if c["key"] == key and c.get("group") == group)
    return spec, group, key


def page_problems(html: str, results: dict) -> tuple[list[str], int]:
    """(problems, number of cells checked) of one written page against its written results.json."""
    soup = BeautifulSoup(html, "html.parser")
    lang = (soup.html or {}).get("lang", "sv") if soup.html else "sv"
    problems: list[str] = []
    checked = 0
    for table in soup.find_all("table", attrs={"data-results": True}):
        tp = table["data-results"]
        try:
            node = resolve(results, tp)
        except (KeyError, IndexError, ValueError):
            problems.append(f"table {tp}: no such node in results.json")
            continue
        if not is_table_node(node):
            problems.append(f"table {tp}: the node is not a table")
            continue
        cells = table.find_all("td")
        missing = [td for td in cells if not td.get("data-results")]
        if missing:
            problems.append(f"table {tp}: {len(missing)} value cells without a pointer")
        for td in cells:
            p = td.get("data-results")
            if not p:
                continue
            if not p.startswith(tp + "/"):
                problems.append(f"{p}: a cell of table {tp} points elsewhere")
                continue
            try:
                spec, group, key = _column(node, p, tp)
                holder = resolve(results, p.rsplit("/", 1)[0])
                value = holder[key]
            except (KeyError, IndexError, StopIteration, ValueError):
                problems.append(f"{p}: no such cell in results.json")
                continue
            kind = holder.get("kinds", {}).get(key, spec["kind"])
            why = cell_problem(
                td.get_text(" ", strip=True),
                value,
                holder.get("shown", {}).get(key),
                kind,
                spec.get("of"),
                lang,
                spec.get("digits"),
            )
            checked += 1
            if why:
                problems.append(f"{p}: {why}")
    for span in soup.find_all(lambda tag: tag.name != "table" and tag.name != "td" and tag.get("data-results")):
        p = span["data-results"]
        try:
            value = resolve(results, p)
        except (KeyError, IndexError, ValueError):
            problems.append(f"{p}: no such value in results.json")
            continue
        if is_table_node(value):
            continue  # a key figure that points at a whole table (the targets)
        if p.endswith("/count"):
            kind = "count"
        elif "/effects/" in p:
            kind = "pp"
        else:
            kind = "estimate" if isinstance(value, list) and len(value) == 3 else "share"
        text = span.get_text(" ", strip=True)
        why = (
            cell_problem(text, value[0], None, "share", None, lang)
            if kind == "estimate"
            else cell_problem(text, value, None, kind, None, lang)
        )
        checked += 1
        if why:
            problems.append(f"{p}: {why}")
    return problems, checked


# ---------------------------------------------------------------------------------------------------------------
# The reader's acceptance checks (issue 17): what a board member must never see on a written page.
# ---------------------------------------------------------------------------------------------------------------

_REPRS = [
    (re.compile(r"\b(?:Posix|Windows|Pure)?Path\('"), "a Python path object"),
    (re.compile(r"<[\w.]+ object at 0x"), "a Python object repr"),
    (re.compile(r"\bdtype\b"), "a pandas dtype"),
    (re.compile(r"\b(?:nan|NaN|NaT|None|pd\.NA)\b"), "a Python or pandas missing value"),
    (re.compile(r"(?<![\w.<>])/(?:home|work|tmp|usr|root|Users|mnt|var|opt)/[\w.-]"), "an absolute path"),
    (re.compile(r"\b[A-Za-z]:\\[\w.-]"), "an absolute Windows path"),
]
_SNAKE = re.compile(r"(?<![\w.@/-])[a-zåäö][a-zåäö0-9]*(?:_[a-zåäö0-9]+)+(?![\w/.-]*\.\w)")
_NOTHING_TO_SHOW = re.compile(r"Inget att visa|Nothing to show", re.IGNORECASE)
_EMPTY_TEXT = {"", "0", "0,0", "0.0", "0,00", "0.00", "–", "-", "—"}
_INTEGER = re.compile(r"^\d+$")


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _visible(soup: BeautifulSoup, drop_code: bool) -> str:
    """The text a reader sees: no scripts, styles, figures' SVG source, (optionally) no <code> elements."""
    soup = BeautifulSoup(str(soup), "html.parser")  # a copy: decompose() must not change the caller's tree
    for tag in soup(["script", "style", "head", "title", "metadata", "defs"]):
        tag.decompose()  # the SVG's <text> elements stay: axis labels and legends are read too
    if drop_code:
        for tag in soup(["code", "pre"]):
            tag.decompose()
    body = soup.body or soup
    return body.get_text(" ")


def repr_problems(html: str) -> list[str]:
    """Python reprs, missing-value spellings and absolute paths in the visible text (code elements included)."""
    text = _visible(_soup(html), drop_code=False)
    out = []
    for pattern, what in _REPRS:
        for m in pattern.finditer(text):
            out.append(f"{what}: ...{text[max(0, m.start() - 40) : m.end() + 40]!r}...")
    return out


def snake_case_problems(html: str) -> list[str]:
    """snake_case identifiers in the visible text of a Swedish page, outside <code> elements."""
    soup = _soup(html)
    lang = soup.html.get("lang", "sv") if soup.html else "sv"
    if lang != "sv":
        return []
    text = _visible(soup, drop_code=True)
    return sorted({f"snake_case in the text: {m.group(0)!r}" for m in _SNAKE.finditer(text)})


def _count_cells(table, results: dict) -> list[tuple[str, str]]:
    """(pointer, text) of the cells of ``table`` whose column is a count (read from results.json)."""
    tp = table.get("data-results")
    if not tp:
        return []
    try:
        node = resolve(results, tp)
    except (KeyError, IndexError, ValueError):
        return []
    if not is_table_node(node):
        return []
    out = []
    for td in table.find_all("td"):
        p = td.get("data-results")
        if not p or not p.startswith(tp + "/"):
            continue
        try:
            spec, _, key = _column(node, p, tp)
            holder = resolve(results, p.rsplit("/", 1)[0])
        except (KeyError, IndexError, StopIteration, ValueError):
            continue
        if holder.get("kinds", {}).get(key, spec["kind"]) == "count":
            out.append((p, _plain(td.get_text(" ", strip=True))))
    return out


def figure_problems(html: str, results: dict, min_cell: int) -> list[str]:
    """A figure (or its note) saying there is nothing to show while the table before it counts >= min_cell persons."""
    soup = _soup(html)
    out = []
    for el in soup.find_all(["figure", "p", "div"]):
        own = " ".join(s for s in el.find_all(string=True, recursive=False))
        if el.name != "figure" and not _NOTHING_TO_SHOW.search(own):
            continue
        if el.name == "figure":
            if "fe-table-figure" in (el.get("class") or []):
                continue
            if not _NOTHING_TO_SHOW.search(el.get_text(" ")) and (el.find("svg") or el.find("img")):
                continue
        table = el.find_previous("table", attrs={"data-results": True})
        if table is None:
            continue
        big = [
            t
            for _, t in _count_cells(table, results)
            if _INTEGER.match(t.replace(" ", "")) and int(t.replace(" ", "")) >= min_cell
        ]
        if big:
            out.append(
                f"a figure with nothing to show after table {table['data-results']} that counts {big[0]} persons"
            )
    return out


def empty_table_problems(html: str) -> list[str]:
    """Tables whose every value cell is 0, "–" or empty."""
    out = []
    for table in _soup(html).find_all("table", attrs={"data-results": True}):
        cells = [_plain(td.get_text(" ", strip=True)) for td in table.find_all("td")]
        if cells and all(c in _EMPTY_TEXT for c in cells):
            out.append(f"table {table['data-results']}: every value is 0, '–' or empty")
    return out


_PERSON_HEADERS = re.compile(
    r"^(Deltagare|Jämförelsepersoner|Jämförelsegrupp|Lämnat|Antal i risk|Antal|Underlag|Personer|Svarande|"
    r"Participants|Comparison|Left|At risk|N|Base|Persons|Respondents)\b",
    re.IGNORECASE,
)


def small_count_problems(html: str, results: dict, min_cell: int) -> list[str]:
    """A count of persons 1..min_cell-1 on the page: in a count column (results.json says so) or under a person header.

    The data-quality tables (``/cleaning/``) count rows of files, not persons, and are left out.
    """
    soup = _soup(html)
    out = []
    small = {str(k) for k in range(1, min_cell)}
    for table in soup.find_all("table"):
        tp = table.get("data-results") or ""
        if tp.startswith("/cleaning/"):
            continue
        for p, text in _count_cells(table, results):
            if text in small:
                out.append(f"{p}: a count of {text} persons")
        heads = [th.get_text(" ", strip=True) for th in table.select("thead th")]
        for tr in table.select("tbody tr"):
            for head, cell in zip(heads, tr.find_all(["th", "td"])):
                last = head.rsplit(":", 1)[-1].strip()
                if cell.name == "td" and not cell.get("data-results") and _PERSON_HEADERS.match(last):
                    if _plain(cell.get_text(" ", strip=True)) in small:
                        out.append(f"table {tp or '(no pointer)'}: {cell.get_text(strip=True)} under '{head}'")
    return out


def reader_problems(html: str, results: dict) -> list[str]:
    """Every check of the reader's acceptance test on one written page (the cell-by-cell check included)."""
    min_cell = int((results.get("project") or {}).get("min_cell", 5))
    problems = page_problems(html, results)[0]
    problems += repr_problems(html)
    problems += snake_case_problems(html)
    problems += figure_problems(html, results, min_cell)
    problems += empty_table_problems(html)
    problems += small_count_problems(html, results, min_cell)
    return problems
