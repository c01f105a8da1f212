"""The published table: what a reader may see of one table, cell by cell, before any language.

Every table that reaches the report is a :class:`PublishedTable`. It holds, per
cell, the value that may be published, the marker shown instead of a hidden value
(``"<5"``, ``".."``) and so whether the cell is suppressed; rows, column groups and
columns are codes (``"af"``, ``"female"``, ``"count"``), never words. The report
renders it twice from the same object: as an HTML table (``analysis.report.tables``,
which translates the codes and formats the numbers) and as its ``results.json``
node (:meth:`PublishedTable.to_results`, numbers and markers). The HTML table
carries the JSON pointer of its node (``data-results="/outcomes/exit_status"``)
and each value cell the pointer of its value, so any number on the page can be
traced to ``results.json``.

A node looks like::

    {"rows_are": "exit_status", "groups_are": null, "min_cell": 5,
     "columns": [{"key": "count", "kind": "count"}, {"key": "share", "kind": "share", "digits": 1}],
     "order": ["work", "study", "total"],
     "rows": {"work": {"count": 16, "share": 0.4},
              "study": {"count": null, "share": null, "shown": {"count": "<5", "share": ".."}},
              "total": {"count": 40, "share": 1.0}}}

A cell of a column group sits one level deeper (``rows/<row>/<group>/<key>``). A
hidden cell is ``null`` with its marker under ``shown``; a cell without a value (not
applicable, nothing measured) is ``null`` without a marker. The overall group and
the total row are always called ``"total"``.

Example
-------
>>> from analysis.disclosure.suppression import protect_counts
>>> import pandas as pd
>>> pt = protect_counts(pd.Series({"a": 30, "b": 3, "c": 7}))
>>> table = PublishedTable("demo", [Column("count", "count")], rows_are="category")
>>> for row in pt.counts.index:
...     table.add_row(code(row), {"count": count_cell(pt, row, "count")})
>>> table.to_results()["rows"]["b"]
{'count': None, 'shown': {'count': '<5'}}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    SECONDARY_MARKER,
    TOTAL,
    ProtectedCounts,
    ProtectedTable,
    primary_marker,
)

TOTAL_CODE = "total"
MISSING_CODE = "missing"
KINDS = ("count", "share", "pp", "number", "general", "p", "interval", "estimate", "code", "text", "sek")


def code(value: object) -> str:
    """The published code of a row or group label: the margins are ``"total"``, a missing value ``"missing"``."""
    if value == TOTAL:
        return TOTAL_CODE
    if value == "__missing__":
        return MISSING_CODE
    return str(value)


def escape(token: str) -> str:
    """One reference token of a JSON pointer (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Column:
    """One column: its ``key`` (within its ``group``), what its cells hold, and how many decimals they show.

    ``kind`` is one of :data:`KINDS`. ``of`` names, for an ``interval`` (``[lo, hi]``)
    or ``estimate`` (``[estimate, lo, hi]``), the kind of its numbers, and for a ``code``
    column the vocabulary its codes come from. ``sek`` cells are amounts in kronor; a negative
    ``digits`` rounds them on the page (``-2``: to the nearest hundred) while the node keeps the value. ``shown=False`` columns are published
    in ``results.json`` only (e.g. the interval behind a bar of a figure).
    """

    key: str
    kind: str
    group: str | None = None
    digits: int | None = None
    of: str | None = None
    shown: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if self.key == "shown" or self.key == "kinds":
            raise ValueError("'shown' and 'kinds' are reserved keys")

    @property
    def id(self) -> str:
        return self.key if self.group is None else f"{self.group}/{self.key}"

    def to_results(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "kind": self.kind}
        for name in ("group", "digits", "of"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if not self.shown:
            out["shown"] = False
        return out


@dataclass(frozen=True)
class Cell:
    """A published value, or the marker shown where it is hidden (``value`` is then None).

    ``kind`` overrides the column's kind for this one cell (a target counted in persons
    in a column of shares).
    """

    value: Any = None
    marker: str | None = None
    kind: str | None = None

    @property
    def suppressed(self) -> bool:
        return self.marker is not None

    @property
    def empty(self) -> bool:
        return self.value is None and self.marker is None


NO_CELL = Cell()


def value_cell(value: Any, kind: str | None = None) -> Cell:
    """A cell that is published as it is (NaN and None become "no value")."""
    return Cell(_plain(value), None, kind)


def hidden_cell(marker: str = SECONDARY_MARKER, kind: str | None = None) -> Cell:
    return Cell(None, marker, kind)


def count_cell(pt: ProtectedTable, row: object, col: object = "count") -> Cell:
    """The cell ``(row, col)`` of a protected count table."""
    if bool(pt.primary.loc[row, col]):
        return Cell(None, primary_marker(pt.min_cell))
    if bool(pt.secondary.loc[row, col]):
        return Cell(None, SECONDARY_MARKER)
    return Cell(int(pt.counts.loc[row, col]))


def linked_cell(pc: ProtectedCounts, name: str) -> Cell:
    """The cell of one named count protected with :func:`analysis.disclosure.suppression.protect_linked`."""
    if pc.primary[name]:
        return Cell(None, primary_marker(pc.min_cell))
    if pc.secondary[name]:
        return Cell(None, SECONDARY_MARKER)
    return Cell(int(pc.values[name]))


def small_count_cell(n: int | float | None, min_cell: int) -> Cell:
    """A count protected on its own (no relation to any other published count): below ``min_cell`` -> ``"<5"``."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return NO_CELL
    return Cell(None, primary_marker(min_cell)) if 0 < int(n) < min_cell else Cell(int(n))


def unless(hidden: bool, value: Any, kind: str | None = None) -> Cell:
    """``value`` when publishable, else a cell hidden as ``".."`` (it depends on a hidden count)."""
    return hidden_cell(SECONDARY_MARKER, kind) if hidden else value_cell(value, kind)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [_plain(v) for v in value]
        return None if all(v is None for v in items) else items
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


@dataclass
class PublishedTable:
    """One table as it may be published (see the module docstring).

    Attributes
    ----------
    name : str
        A code for the table (``"referred_by"``, ``"estimates"``); the report picks its caption by it.
    columns : list of Column
    rows_are, groups_are, keys_are : str, optional
        The vocabulary of the row codes, of the column-group codes (``"gender"``) and, in a
        cross table, of the column keys (``"status"``).
    min_cell : int
    pointer : str, optional
        The JSON pointer of the table's node in ``results.json``; set by :func:`place`.
    meta : dict
        Extra facts published with the node (e.g. the population counted).
    withheld : bool
        True when disclosure control could not protect the table (zeros around a small
        cell pin it however much is hidden): :func:`place` leaves it out and lists it
        under ``no_data`` as ``"too_few"``, and the report says so in one sentence.
    """

    name: str
    columns: list[Column]
    rows_are: str | None = None
    groups_are: str | None = None
    min_cell: int = DEFAULT_MIN_CELL
    rows: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    pointer: str | None = None
    keys_are: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    withheld: bool = False  # a hidden cell could still be worked out: the table is not published at all

    def __post_init__(self) -> None:
        ids = [c.id for c in self.columns]
        if len(ids) != len(set(ids)):
            raise ValueError(f"table {self.name}: duplicate columns")
        groups = {c.group for c in self.columns if c.group is not None}
        clash = groups & {c.key for c in self.columns if c.group is None}
        if clash:
            raise ValueError(f"table {self.name}: {sorted(clash)} is both a column and a column group")

    # -- building --------------------------------------------------------------------------
    def add_row(self, row: str, cells: Mapping[str, Cell | Any]) -> None:
        """Add one row; ``cells`` maps column ids (``key`` or ``group/key``) to cells or plain values."""
        row = str(row)
        if row in self.rows:
            raise ValueError(f"table {self.name}: row {row!r} twice")
        known = {c.id for c in self.columns}
        unknown = set(cells) - known
        if unknown:
            raise ValueError(f"table {self.name}: unknown columns {sorted(unknown)}")
        self.rows.append(row)
        for cid, cell in cells.items():
            self.cells[(row, cid)] = cell if isinstance(cell, Cell) else value_cell(cell)

    # -- reading ---------------------------------------------------------------------------
    def cell(self, row: str, key: str, group: str | None = None) -> Cell:
        return self.cells.get((str(row), key if group is None else f"{group}/{key}"), NO_CELL)

    def column(self, key: str, group: str | None = None) -> Column:
        cid = key if group is None else f"{group}/{key}"
        return next(c for c in self.columns if c.id == cid)

    @property
    def shown_columns(self) -> list[Column]:
        return [c for c in self.columns if c.shown]

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self.columns if c.group is not None))

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for c in self.cells.values())

    def __len__(self) -> int:
        return len(self.rows)

    def iter_cells(self) -> Iterator[tuple[str, Column, Cell]]:
        for row in self.rows:
            for col in self.columns:
                yield row, col, self.cell(row, col.key, col.group)

    @property
    def has_values(self) -> bool:
        """True when some shown cell holds a value or a marker (a table of nothing is not published)."""
        return any(not cell.empty for _, col, cell in self.iter_cells() if col.shown)

    def cell_pointer(self, row: str, col: Column) -> str:
        """The JSON pointer of one cell (the table must have been placed: ``pointer`` set)."""
        if self.pointer is None:
            raise ValueError(f"table {self.name} has no place in results.json yet")
        parts = [self.pointer, "rows", escape(row)]
        if col.group is not None:
            parts.append(escape(col.group))
        parts.append(escape(col.key))
        return "/".join(parts)

    # -- results.json ----------------------------------------------------------------------
    @classmethod
    def from_results(cls, node: dict, pointer: str, name: str = "") -> PublishedTable:
        """The table back from its ``results.json`` node (e.g. to show it again in the appendix)."""
        columns = [
            Column(c["key"], c["kind"], c.get("group"), c.get("digits"), c.get("of"), c.get("shown", True))
            for c in node["columns"]
        ]
        meta = {k: v for k, v in node.items() if k not in _NODE_KEYS}
        table = cls(name, columns, node.get("rows_are"), node.get("groups_are"), node.get("min_cell", DEFAULT_MIN_CELL))
        table.keys_are, table.meta, table.pointer = node.get("keys_are"), meta, pointer
        for row, spec, value, marker, kind in table_cells(node):
            cid = spec["key"] if spec.get("group") is None else f"{spec['group']}/{spec['key']}"
            table.cells[(row, cid)] = Cell(value, marker, None if kind == spec["kind"] else kind)
        table.rows = list(node["order"])
        return table

    def to_results(self) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for row in self.rows:
            node: dict[str, Any] = {}
            for col in self.columns:
                cell = self.cell(row, col.key, col.group)
                target = node if col.group is None else node.setdefault(col.group, {})
                target[col.key] = cell.value
                if cell.marker is not None:
                    target.setdefault("shown", {})[col.key] = cell.marker
                if cell.kind is not None and cell.kind != col.kind:
                    target.setdefault("kinds", {})[col.key] = cell.kind
            rows[row] = node
        return {
            **{k: _plain(v) for k, v in self.meta.items()},
            "rows_are": self.rows_are,
            "groups_are": self.groups_are,
            "keys_are": self.keys_are,
            "min_cell": self.min_cell,
            "columns": [c.to_results() for c in self.columns],
            "order": list(self.rows),
            "rows": rows,
        }


_NODE_KEYS = {"rows_are", "groups_are", "keys_are", "min_cell", "columns", "order", "rows"}


def is_table_node(node: Any) -> bool:
    """True for a ``results.json`` node written by :meth:`PublishedTable.to_results`."""
    return isinstance(node, dict) and {"columns", "order", "rows"} <= set(node)


def table_cells(node: dict) -> Iterator[tuple[str, dict, Any, str | None, str]]:
    """Every cell of a table node: ``(row, column spec, value, marker, kind)``."""
    for row in node["order"]:
        r = node["rows"][row]
        for col in node["columns"]:
            holder = r if col.get("group") is None else r.get(col["group"], {})
            key = col["key"]
            kind = holder.get("kinds", {}).get(key, col["kind"])
            yield row, col, holder.get(key), holder.get("shown", {}).get(key), kind


def place(tree: Any, pointer: str) -> Any:
    """The ``results.json`` form of a section's tree, placing every table at its JSON pointer.

    ``tree`` holds dicts, lists, plain values, :class:`Cell` and :class:`PublishedTable`.
    Each table gets ``pointer`` set to where its node lands (so the HTML table can
    carry it); a :class:`Cell` becomes its value, and its marker goes under ``shown``
    in the same dict, as in a table row.
    """
    if isinstance(tree, PublishedTable):
        tree.pointer = pointer
        return tree.to_results()
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            key = str(k)
            if isinstance(v, PublishedTable) and v.withheld:
                out.setdefault("no_data", {})[key] = "too_few"
                continue
            if key == "no_data" and isinstance(v, dict):
                out.setdefault("no_data", {}).update(v)
                continue
            if isinstance(v, Cell):
                out[key] = v.value
                if v.marker is not None:
                    out.setdefault("shown", {})[key] = v.marker
            else:
                out[key] = place(v, f"{pointer}/{escape(key)}")
        return out
    if isinstance(tree, (list, tuple)):
        return [place(v, f"{pointer}/{i}") for i, v in enumerate(tree)]
    if isinstance(tree, Cell):
        return tree.value
    return _plain(tree)


def resolve(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (RFC 6901) of a parsed ``results.json``; KeyError when absent."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node
