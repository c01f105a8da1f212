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
    return text.replace("\u00a0", " ").replace("\u2212", "-").strip()


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
