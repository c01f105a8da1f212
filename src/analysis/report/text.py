"""Small pieces of report prose: lists of words, plural agreement and the report's own facts, in the report language.

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


def report_label(meta, lang: str) -> str | None:
    """ "Delrapport 2" / "Slutrapport" (``report.type`` of project.yml), None when not given."""
    if meta.type is None:
        return None
    return t(f"rep_report_{meta.type}", lang, n=meta.number) if meta.number else t(f"rep_report_{meta.type}", lang)


def report_facts(meta, lang: str) -> list[tuple[str, str]]:
    """The report's own facts (``report:`` in project.yml): which report, date, version, authors, organisation."""
    rows = [
        (t("rep_fact_report", lang), report_label(meta, lang)),
        (t("rep_fact_report_date", lang), meta.date.isoformat() if meta.date else None),
        (t("rep_fact_version", lang), meta.version),
        (t("rep_fact_authors", lang), join_words(meta.authors, lang) if meta.authors else None),
        (t("rep_fact_organisation", lang), meta.organisation),
    ]
    return [(k, v) for k, v in rows if v]
