"""References from the evaluator's text to the report's numbers: ``{{ targets.reached.value }}``.

A reference is a dotted path into ``results.json`` (the report's own numbers, so the text
can never quote a number the report does not show), optionally followed by a filter:
``{{ effects.main.estimate | pp }}``. The path is read as written, with three shortcuts:

* ``targets.<id>`` is the target's row of the targets table (``targets.table.rows.<id>``):
  ``targets.<id>.value``, ``.n``, ``.threshold``, ``.ci``;
* ``effects.main`` is the headline effect (``effects.headline``): ``.estimate``, ``.lower``, ``.upper``;
* inside a published table ``rows`` may be left out: ``outcomes.work_or_study.12.among_all.share``
  is ``outcomes.work_or_study.rows.12.among_all.share``.

An element of a list is named by its position (``survival.kaplan_meier.total.total.s12.0``).

**Formatting.** Without a filter a value is formatted by its kind, in the report's language
and number format: a share of a published table as a percentage ("45,7 %"), a difference of
shares as percentage points ("10,3 procentenheter"), a count as a whole number with grouped
thousands ("1 234"), kronor with the unit ("12 300 kr"), an interval as two bounds ("42,3 –
75,4 %"). The filters say it explicitly: ``pct`` (a fraction as a percentage), ``pp``
(percentage points), ``kr`` (kronor, rounded to the krona), ``n`` and ``int`` (whole numbers),
``number`` (one decimal), ``text`` (the value as it is). ``pct:0`` or ``number:2`` set the
decimals.

**Errors.** A path that is not in ``results.json`` (a typo, or a value that disappeared when the
data changed), a suppressed value (fewer persons than ``min_cell``: the report shows "<5" or
"..", so the text may not quote it), a value that does not exist (null) and an unknown filter
are each a :class:`~analysis.project.errors.FoljevalError` naming the text file, the line and
the reference, and saying what to do. Never a blank.

Example
-------
>>> results = {"targets": {"table": {"columns": [{"key": "value", "kind": "share", "digits": 1}],
...     "order": ["r"], "rows": {"r": {"value": 0.456}}}}}
>>> resolve("targets.r.value", results, "sv"), resolve("targets.r.value | pct:0", results, "en")
('45,6\\xa0%', '46%')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from analysis.disclosure.published import is_table_node
from analysis.project.errors import FoljevalError
from analysis.report.format import NBSP, formatter
from analysis.report.i18n import t

REFERENCE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
# shortcuts: the first tokens of a path -> the path in results.json
ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("targets",): ("targets", "table", "rows"),
    ("effects", "main"): ("effects", "headline"),
}
FILTERS = ("pct", "pp", "kr", "n", "int", "number", "text")
SHARE_SCALES = ("share", "risk_difference", "percentage_points")
COUNT_KEYS = frozenset({"n", "count", "successes", "enrolled", "exited", "referred", "n_participants", "n_comparison"})
SEK_KEYS = frozenset({"budget_sek", "esf_grant_sek"})


class ReferenceProblem(FoljevalError):
    """A reference the text cannot use; ``hint`` says what to do about it."""

    def __init__(self, problem: str, hint: str):
        self.problem, self.hint = problem, hint
        super().__init__(f"{problem}; {hint}")


FIX_PATH = "correct the path (the keys there are listed) or delete the reference"
FIX_SUPPRESSED = (
    "a suppressed value may not be quoted: write around it (e.g. 'fewer than min_cell persons') or quote a total"
)


@dataclass(frozen=True)
class Found:
    """The value a path points at, its kind and decimals (from its table column), and its JSON pointer."""

    value: Any
    kind: str
    digits: int | None
    pointer: str
    of: str | None = None


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _expand(tokens: list[str]) -> list[str]:
    for head, full in ALIASES.items():
        if tuple(tokens[: len(head)]) == head:
            return [*full, *tokens[len(head) :]]
    return tokens


def _keys(node: Any) -> str:
    if isinstance(node, dict):
        keys = [k for k in node if k not in ("shown", "kinds")]
    elif isinstance(node, list):
        keys = [str(i) for i in range(len(node))]
    else:
        return "nothing: it is a single value"
    return ", ".join(keys[:15]) + (", ..." if len(keys) > 15 else "") if keys else "nothing"


def _walk(tokens: list[str], results: dict) -> tuple[list[Any], list[str]]:
    """The nodes passed and the tokens taken (``rows`` inserted where a table's rows were entered)."""
    node: Any = results
    nodes, done = [], []
    for token in tokens:
        if is_table_node(node) and token not in node and token in node["rows"]:
            nodes.append(node)
            done.append("rows")
            node = node["rows"]
        nodes.append(node)
        if isinstance(node, dict) and token in node and token not in ("shown", "kinds"):
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif node is None:
            raise ReferenceProblem(
                f"'{'.'.join(done)}' is empty in results.json (null: not applicable or nothing measured)",
                "quote another value or write around it",
            )
        else:
            where = "'" + ".".join(done) + "'" if done else "the top of results.json"
            raise ReferenceProblem(f"results.json has no '{token}' under {where} (there: {_keys(node)})", FIX_PATH)
        done.append(token)
    nodes.append(node)
    return nodes, done


def _in_table(nodes: list[Any], done: list[str]) -> tuple[dict, dict, list[str]] | None:
    """(table node, column, tokens after the column key) when the path ends inside a published table's rows."""
    for i in range(len(done) - 1, -1, -1):
        if done[i] == "rows" and is_table_node(nodes[i]):
            table, below = nodes[i], done[i + 1 :]
            if len(below) < 2:
                return None
            row = table["rows"][below[0]]
            group = below[1] if isinstance(row.get(below[1]), dict) and len(below) >= 3 else None
            key = below[2] if group else below[1]
            col: dict = next((c for c in table["columns"] if c.get("key") == key and c.get("group") == group), {})
            holder = row.get(group, {}) if group else row
            kinds = holder.get("kinds") or {}
            return table, {**col, "kind": kinds.get(key, col.get("kind", "number"))}, below[(3 if group else 2) :]
    return None


def _kind_outside_tables(holder: Any, key: str, value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(holder, dict) and key in ("estimate", "lower", "upper") and "scale" in holder:
        return "pp" if holder["scale"] in SHARE_SCALES else "number"
    if key in SEK_KEYS:
        return "sek"
    if key in COUNT_KEYS or (isinstance(value, int) and not isinstance(value, bool)):
        return "count"
    return "number"


def find(path: str, results: dict) -> Found:
    """The value at ``path`` (see the module docstring); raises :class:`ReferenceProblem` when there is none."""
    tokens = _expand([p for p in path.strip().split(".") if p])
    if not tokens:
        raise ReferenceProblem("the reference names no value", "write a path such as targets.<id>.value")
    nodes, done = _walk(tokens, results)
    node, holder, key = nodes[-1], nodes[-2], done[-1]
    pointer = "/" + "/".join(done)
    if isinstance(holder, dict) and key in (holder.get("shown") or {}):
        marker = holder["shown"][key]
        raise ReferenceProblem(f"the value is suppressed (the report shows '{marker}')", FIX_SUPPRESSED)
    if isinstance(node, dict) or (isinstance(node, list) and not all(_finite(x) for x in node)):
        raise ReferenceProblem(f"this is a group of values, not one value (there: {_keys(node)})", FIX_PATH)
    if node is None:
        raise ReferenceProblem(
            "the value does not exist (null in results.json: not applicable or nothing measured)",
            "quote another value or write around it",
        )
    cell = _in_table(nodes, done)
    if cell is not None:
        _table, col, rest = cell
        if isinstance(node, list):
            return Found(node, "interval", col.get("digits"), pointer, col.get("of") or col["kind"])
        composite = col["kind"] in ("estimate", "interval")
        kind = str(col.get("of") if col.get("of") and (rest or composite) else col["kind"])
        return Found(node, kind, col.get("digits"), pointer)
    if isinstance(node, list):
        return Found(node, "interval", None, pointer, _kind_outside_tables(holder, key, 0.5))
    return Found(node, _kind_outside_tables(holder, key, node), None, pointer)


def _parse(reference: str) -> tuple[str, str | None, int | None]:
    path, _, filt = reference.partition("|")
    filt = filt.strip()
    if not filt:
        return path.strip(), None, None
    name, _, digits = filt.partition(":")
    name = name.strip()
    if name not in FILTERS:
        raise ReferenceProblem(f"unknown filter '{name}'", f"the filters are {', '.join(FILTERS)}")
    if digits.strip() and not digits.strip().isdigit():
        raise ReferenceProblem(f"'{digits.strip()}' is not a number of decimals", f"write e.g. {name}:1")
    return path.strip(), name, int(digits) if digits.strip() else None


def _pct_sign(lang: str) -> str:
    return f"{NBSP}%" if lang == "sv" else "%"


def format_found(found: Found, lang: str, filt: str | None = None, digits: int | None = None) -> str:
    """``found`` as the report writes it: by ``filt`` when given, else by its kind."""
    f, v = formatter(lang), found.value
    if filt == "text" or (found.kind in ("text", "code") and filt is None):
        return str(v)
    if isinstance(v, list):
        kind = {"pct": "share", "pp": "pp", "kr": "sek", "n": "count", "int": "count"}.get(filt or "", found.of)
        d = digits if digits is not None else found.digits
        unit = _pct_sign(lang) if kind == "share" else f"{NBSP}{t('rep_pp', lang)}" if kind == "pp" else ""
        text = f.interval(v[-2], v[-1], kind or "number", d) + unit
        if len(v) == 3:  # an estimate with its interval
            text = f"{f.value(v[0], kind or 'number', d)}{unit} ({text})"
        return text
    if not _finite(v):
        raise ReferenceProblem(f"the value '{v}' is not a number", "use the filter text to quote it as it is")
    kind = {"pct": "share", "pp": "pp", "kr": "sek", "n": "count", "int": "count", "number": "number"}.get(
        filt or "", found.kind
    )
    d = digits if digits is not None else found.digits
    if kind == "share":
        return f.percent(v, 1 if d is None else d)
    if kind == "pp":
        return f"{f.pp(v, 1 if d is None else d)}{NBSP}{t('rep_pp', lang)}"
    if kind == "sek":
        return f.sek(v, 0 if d is None else d)
    if kind == "count":
        return f.count(v) if digits is None else f.number(v, digits)  # a column's decimals are not a count's
    if kind == "p":
        return f.p_text(v)
    if kind == "general":
        return f.general(v)
    return f.number(v, 1 if d is None else d)


def resolve(reference: str, results: dict, lang: str) -> str:
    """The text of one reference (what is between ``{{`` and ``}}``), formatted for ``lang``."""
    path, filt, digits = _parse(reference)
    return format_found(find(path, results), lang, filt, digits)
