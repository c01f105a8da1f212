"""Raw headers and value labels -> canonical column names and codes.

The headers come from the contract's column declarations
(:mod:`analysis.project.contract`), the value labels from its domains
(:mod:`analysis.project.codes`); both are matched after :func:`normalise` (case,
spacing and punctuation ignored). A project's own ``files.<kind>.columns`` /
``values`` in project.yml take precedence over this dictionary.
"""

from __future__ import annotations

from functools import cache

from analysis.project.codes import DOMAINS, normalise
from analysis.project.contract import ORDER, header_aliases

__all__ = ["canonical_header", "header_index", "normalise", "value_map"]


@cache
def header_index(kind: str | None = None) -> dict[str, str]:
    """Normalised header -> canonical column of one kind (``None``: of every kind)."""
    out: dict[str, str] = {}
    for k in ORDER if kind is None else (kind,):
        for canon, aliases in header_aliases(k).items():
            for a in aliases:
                out.setdefault(normalise(a), canon)
    return out


def canonical_header(header: str, kind: str | None = None) -> str | None:
    """Canonical column name of a raw header, or None when the dictionary does not know it."""
    return header_index(kind).get(normalise(header))


def value_map(domain: str) -> dict[str, str]:
    """Normalised label -> canonical code for one value domain (codes map to themselves)."""
    return DOMAINS[domain].value_map()
