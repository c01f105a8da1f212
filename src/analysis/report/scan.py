"""The publication scan: run on everything under ``reports/<project>/`` after a build.

A report must not contain a personnummer, a disclosed count below ``min_cell`` or
anything that makes the browser fetch from the network. The scan is mechanical:

* personnummer / samordningsnummer: in any published text file (HTML, JSON, .ipynb,
  CSV), found by the same finder that masks every text leaving the cleaning step
  (:func:`analysis.clean.identity.personnummer_spans`: 10/12 digits with or without a
  separator, letters next to it or not, date and check digit valid, hexadecimal tokens
  such as pseudonyms and SHA-256 values left out);
* small cells: every count of persons in ``results.json`` with ``0 < value < min_cell``:
  every cell of kind ``count`` of a published table, and outside tables the keys in
  :data:`PERSON_COUNT_KEYS` (``n``, ``n_treated``/``n_control``, ``n_outside_support``,
  ...). The ``cleaning`` section counts file rows and is not checked (its person
  files are protected when the section is made); neither is ``n_imbalanced`` (it
  counts covariates). Every number of an HTML table is also in ``results.json``
  (the table's ``data-results`` pointer), so checking ``results.json`` checks them;
* network: a ``<script>``, ``<link>``, ``<img>``, ``<iframe>`` or CSS ``url()`` that
  points at ``http(s)://`` or ``//`` in an HTML file, or the address of a known CDN.

Findings never repeat a personnummer: they show where it is (line and a few
characters around it, masked), so that the error message itself can be printed and stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.clean.identity import mask_personnummer, personnummer_spans
from analysis.disclosure.published import is_table_node, table_cells

SCANNED_SUFFIXES = (".html", ".json", ".ipynb", ".csv", ".txt", ".md")
PERSON_COUNT_KEYS = frozenset(
    {
        "n",
        "count",
        "successes",
        "events",
        "at_risk",
        "n_at_risk",
        "n_events",
        "n_treated",
        "n_control",
        "n_first_spells",
        "n_persons",
        "n_participants",
        "n_comparison",
        "n_respondents",
        "respondents",
        "referred",
        "enrolled",
        "not_enrolled",
        "active",
        "exited",
        "eligible",
        "followed_up",
        "n_unmatched",
        "n_trimmed",
        "n_outside_support",
    }
)
NOT_PERSON_COUNTS = {"cleaning", "project", "run"}
_FETCHING_TAG = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
_CDN_HOSTS = re.compile(
    r"(?:cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|unpkg\.com|ajax\.googleapis\.com|fonts\.googleapis\.com|"
    r"code\.jquery\.com|cdn\.plot\.ly|mathjax\.org|cdn\.bokeh\.org)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One problem found in a published file."""

    file: str
    kind: str  # "personnummer", "small_cell", "recoverable", "inconsistent" or "network"
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


def _where(text: str, start: int, end: int) -> str:
    """Line number and the masked text around one finding, e.g. ``line 12: <td>[personnummer]</td>``.

    The window is masked as a whole, and digits cut off at its edges are dropped, so that
    not even part of a neighbouring number is repeated.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    a, b = max(line_start, start - 24), min(line_end, end + 24)
    shown = mask_personnummer(text[a:b])
    if a > line_start:
        shown = re.sub(r"^[0-9+-]+", "…", shown)
    if b < line_end:
        shown = re.sub(r"[0-9+-]+$", "…", shown)
    return f"line {text.count(chr(10), 0, start) + 1}: {shown.strip()}"


def scan_text(text: str, name: str, html: bool | None = None) -> list[Finding]:
    """Personnummer and (for HTML) network references in one text."""
    spans = personnummer_spans(text)
    found = []
    if spans:  # one finding per file: how many, and where the first one is
        many = f"{len(spans)} found, the first at " if len(spans) > 1 else ""
        found.append(Finding(name, "personnummer", many + _where(text, *spans[0])))
    if html is None:
        html = name.endswith(".html")
    if html:
        for rx in (_FETCHING_TAG, _CSS_URL):
            for m in rx.finditer(text):
                found.append(Finding(name, "network", m.group(0)[:120]))
    for m in sorted(set(_CDN_HOSTS.findall(text))):
        found.append(Finding(name, "network", f"CDN address {m}"))
    return found


def _counts(node: Any, path: str) -> Iterator[tuple[str, int]]:
    if is_table_node(node):  # a published table: every cell of kind "count" is a count of persons
        for row, col, value, _marker, kind in table_cells(node):
            if kind == "count" and isinstance(value, int) and not isinstance(value, bool):
                group = f"/{col['group']}" if col.get("group") else ""
                yield f"{path}/rows/{row}{group}/{col['key']}", value
        return
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            if k in PERSON_COUNT_KEYS and isinstance(v, int) and not isinstance(v, bool):
                yield p, v
            else:
                yield from _counts(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _counts(v, f"{path}[{i}]")


def small_cells(results: dict, min_cell: int) -> list[tuple[str, int]]:
    """Counts in results.json with ``0 < value < min_cell`` (JSON path, value)."""
    out: list[Any] = []
    for section, body in results.items():
        if section in NOT_PERSON_COUNTS:
            continue
        out.extend((p, v) for p, v in _counts(body, section) if 0 < v < min_cell)
    return out


def scan_report(report_dir: Path, min_cell: int, label: str | None = None) -> list[Finding]:
    """Scan every published file of one project's report folder.

    ``label`` names the folder in the findings (default its name; the runner scans a
    temporary folder and names it after the project).
    """
    report_dir = Path(report_dir)
    label = label or report_dir.name
    findings: list[Finding] = []
    for path in sorted(p for p in report_dir.rglob("*") if p.is_file() and p.suffix in SCANNED_SUFFIXES):
        name = f"{label}/{path.relative_to(report_dir).as_posix()}"
        text = path.read_text(encoding="utf-8", errors="replace")
        # .ipynb files are the executed notebooks: their HTML outputs are not opened by a browser.
        findings.extend(scan_text(text, name, html=path.suffix == ".html"))
    results = report_dir / "results.json"
    if results.is_file():
        data = json.loads(results.read_text(encoding="utf-8"))
        findings.extend(
            Finding(
                f"{label}/results.json",
                "small_cell",
                f"{p} = {v} (below min_cell {min_cell})",
            )
            for p, v in small_cells(data, min_cell)
        )
        findings.extend(_recoverable(data, min_cell, f"{label}/results.json"))
    return findings


def _recoverable(data: dict, min_cell: int, name: str) -> list[Finding]:
    """Hidden counts a reader can work out by combining the report's tables (the value is not repeated)."""
    from analysis.disclosure.audit import audit_report

    out = []
    for f in audit_report(data, min_cell).findings:
        if f.kind == "recovered":
            out.append(Finding(name, "recoverable", f"{f.cell} can be worked out from the other published tables"))
        else:
            out.append(Finding(name, "inconsistent", f.text))
    return out


def scan_file(path: Path) -> list[Finding]:
    """Scan one published file (e.g. ``reports/index.html``)."""
    path = Path(path)
    return scan_text(path.read_text(encoding="utf-8", errors="replace"), path.name)
