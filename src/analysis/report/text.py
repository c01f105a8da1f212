"""Small pieces of report prose: lists of words and plural agreement, in the report language.

Example
-------
>>> join_words(["6", "12", "24"], "sv"), plural(1, "month", "sv"), plural(3, "month", "sv")
('6, 12 och 24', 'månad', 'månader')
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.report.i18n import t


def join_words(words: Sequence[str], lang: str, last: str | None = None) -> str:
    """ "a, b och c" / "a, b and c" (``last``: another word before the last one, e.g. "eller")."""
    items = [str(w) for w in words]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last or t('word_and', lang)} {items[-1]}"


def plural(n: int | float, noun: str, lang: str) -> str:
    """The form of ``noun`` (a key ``noun_<noun>_one`` / ``noun_<noun>_many``) that agrees with ``n``."""
    return t(f"noun_{noun}_{'one' if n == 1 else 'many'}", lang)
