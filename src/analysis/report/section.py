"""What every section of the report is: numbers placed once, shown in a language, saved to results.json.

A section is made by ``<name>_section(tables, config, data_end)`` and gives a
:class:`SectionResult` with two outputs from one tree of published tables:

* :meth:`SectionResult.to_results` -- the section's ``results.json`` node;
* :meth:`SectionResult.show` -- the headings, prose, tables and figures in the
  report language, each table carrying the JSON pointer of its node.

"No data" has one shape: the node is left out, its key is listed under
``no_data`` with a reason code, and the page says in one sentence which data
would fill it (:func:`no_data_sentence`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.disclosure.published import place
from analysis.report.display import show_text
from analysis.report.i18n import t, table


@dataclass
class SectionResult:
    """One section: ``name`` (its key in results.json) and ``tree`` (published tables, cells and plain values)."""

    name: str
    tree: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict, repr=False)
    _results: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # placing the tree sets every table's JSON pointer before anything is shown
        self._results = place(self.tree, f"/{self.name}")

    def to_results(self) -> dict[str, Any]:
        """The section's node of results.json."""
        assert self._results is not None
        return self._results

    @property
    def no_data(self) -> dict[str, str]:
        return dict(self.tree.get("no_data") or {})

    def show(self, lang: str) -> None:  # pragma: no cover - every section overrides it
        raise NotImplementedError


def no_data_sentence(what: str, reason: str, lang: str, **fields: object) -> str:
    """The one sentence that replaces an omitted table or section: which data would fill it."""
    key = f"nodata_{what}_{reason}"
    if key not in table():
        key = f"nodata_{reason}"
    return t(key, lang, **fields)


def show_no_data(what: str, reason: str, lang: str, **fields: object) -> None:
    show_text(no_data_sentence(what, reason, lang, **fields))
