"""One translation table for every heading, caption and generated sentence.

The table is the union of ``resources/i18n/*.yml`` (one file per part of the
report, so that each module keeps its own texts). Each entry is
``key: {sv: "...", en: "..."}``; a key may appear in only one file and must
have both languages, which the tests check.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

LANGUAGES = ("sv", "en")


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("analysis") / "resources" / "i18n"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yml"):
            continue
        # libyaml's loader when compiled in: 4x faster, the same result (every report process loads the table)
        data = yaml.load(entry.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        for key, texts in data.items():
            if not isinstance(key, str):
                # YAML 1.1 reads bare yes/no/on/off as booleans; such keys must be quoted
                raise ValueError(f"translation key {key!r} in {entry.name} is not a string; quote it")
            if key in merged:
                raise ValueError(f"translation key '{key}' defined twice (second in {entry.name})")
            merged[key] = texts
    return merged


def t(key: str, lang: str = "sv", /, **fields: object) -> str:
    """The text for ``key`` in ``lang``, with ``{fields}`` filled in.

    Raises KeyError for an unknown key so that a missing translation fails the
    tests instead of leaking an English fallback into a Swedish report.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {lang!r}")
    text = table()[key][lang]
    return text.format(**fields) if fields else text
