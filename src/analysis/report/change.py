"""The section "Förändring sedan förra rapporten": this delivery's headline numbers beside the previous one's.

Only for a project with delivery folders (:mod:`analysis.project.deliveries`) and a previous
delivery; without one the section is absent, not an empty heading. The runner builds the
previous delivery first with the current code (:mod:`analysis.pipeline.deliveries`), so both
columns come from the same method and a change shown is a change in the project. Where the
number recorded as published for the previous delivery (``deliveries.json``,
:mod:`analysis.report.delivery_record`) differs from the recomputed one, a note under the
table names it a change of method.

Disclosure: every number shown is a published value of one of the two ``results.json``
(read by :func:`analysis.report.delivery_record.headline_numbers`); a change is shown only
between two shown values, so a hidden count can never be recovered from it ("–" otherwise).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.disclosure.suppression import primary_marker
from analysis.report.delivery_record import entry, headline_numbers, read_record
from analysis.report.format import NO_VALUE, formatter
from analysis.report.i18n import t
from analysis.report.tables import unbreakable

SHARE = "share"
COUNT = "count"
TOLERANCE = 1e-9  # two published numbers closer than this are the same number


@dataclass(frozen=True)
class Row:
    """One line of the table: what it is, its kind (``count`` or ``share``), the two values, the statuses."""

    key: str
    label: str
    kind: str
    previous: float | None
    current: float | None
    previous_status: str | None = None
    current_status: str | None = None


def _number(x: Any) -> float | None:
    ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
    return x if ok else None


def _target_label(tid: str, results: dict, lang: str) -> str:
    defs = ((results.get("targets") or {}).get("definitions") or {}).get(tid) or {}
    return str(defs.get(f"label_{lang}") or defs.get("label_sv") or tid)


def _target_rows(prev: dict, cur: dict, results: dict, lang: str) -> list[Row]:
    rows = []
    for tid, now in cur["targets"].items():
        before = prev["targets"].get(tid) or {}
        kind = COUNT if now.get("kind") == COUNT else SHARE
        if before and before.get("kind", SHARE) != now.get("kind", SHARE):
            before = {}  # the target is measured another way now: nothing to compare with
        rows.append(
            Row(
                f"targets.{tid}",
                t("rep_change_target", lang, label=_target_label(tid, results, lang)),
                kind,
                _number(before.get("value")),
                _number(now.get("value")),
                before.get("verdict") or _as_verdict(before.get("status")),
                now.get("verdict") or _as_verdict(now.get("status")),
            )
        )
    return rows


def comparison_rows(prev: dict, cur: dict, results: dict, lang: str) -> list[Row]:
    """The rows of the table from two :func:`headline_numbers` (``results``: this delivery's, for labels)."""
    same_base = prev.get("work_or_study_among") == cur.get("work_or_study_among")
    same_effect = (prev.get("effect_scale"), prev.get("effect_outcome")) == (
        cur.get("effect_scale"),
        cur.get("effect_outcome"),
    )
    rows = [
        Row("enrolled", t("rep_kf_enrolled", lang), COUNT, prev.get("enrolled"), cur.get("enrolled")),
        Row("exited", t("rep_change_exited", lang), COUNT, prev.get("exited"), cur.get("exited")),
        Row(
            "work_or_study_exit",
            t("rep_kf_work_or_study", lang),
            SHARE,
            prev.get("work_or_study_exit") if same_base else None,
            cur.get("work_or_study_exit"),
        ),
        *_target_rows(prev, cur, results, lang),
    ]
    if cur.get("effect") is not None or (prev.get("effect") is not None and same_effect):
        share = (cur.get("effect_scale") or "share") in ("share", "risk_difference", "percentage_points")
        rows.append(
            Row(
                "effect",
                t("rep_change_effect", lang),
                SHARE if share else "number",
                prev.get("effect") if same_effect else None,
                cur.get("effect"),
            )
        )
    rows.append(
        Row("survival_12", t("rep_kf_survival12", lang), SHARE, prev.get("survival_12"), cur.get("survival_12"))
    )
    return [r for r in rows if r.previous is not None or r.current is not None]


def _value(x: float | None, kind: str, lang: str) -> str:
    f = formatter(lang)
    if x is None:
        return NO_VALUE
    if kind == COUNT:
        return f.count(x)
    if kind == SHARE:
        return f.percent(x)
    return f.number(x, 0)


def _cell(x: float | None, kind: str, lang: str, status: str | None, label: str) -> str:
    """A value cell; a target's status under its value; ``data-label`` names the column on a phone."""
    text = html.escape(_value(x, kind, lang))
    if status:
        text += f'<br><span class="fe-note">{html.escape(_status(status, lang))}</span>'
    return f'<td data-label="{html.escape(label)}">{text}</td>'


def _as_verdict(status: str | None) -> str | None:
    """A target's status as the first page's verdict, for a record written before verdicts were kept."""
    return {"not_measurable": "not_yet"}.get(status or "", status)


def _status(verdict: str, lang: str) -> str:
    """The verdict in the first page's words (uppnått / inom felmarginalen / inte uppnått / ännu inte mätbart)."""
    try:
        return t(f"board_verdict_{verdict}", lang)
    except KeyError:
        return verdict


def change_text(row: Row, lang: str, min_cell: int | None = None) -> str:
    """The change from the previous delivery: a count's difference, a share's in percentage points; "–"
    unless both values are published. A count that changed by fewer than ``min_cell`` persons shows the
    small-count marker: no cell of the page shows a count below the limit (the persons enrolled since the
    last report are a group of persons like any other)."""
    if row.previous is None or row.current is None:
        return NO_VALUE
    f = formatter(lang)
    diff = row.current - row.previous
    if row.kind == COUNT:
        if min_cell is not None and 0 < abs(diff) < min_cell:
            return primary_marker(min_cell)
        return f.number(diff, 0, sign=True)
    if row.kind == SHARE:
        return f"{f.pp(diff, sign=True)} {t('rep_pp', lang)}"
    return f.number(diff, 0, sign=True)


def method_changes(published: dict | None, recomputed: dict, results: dict, lang: str) -> list[str]:
    """One sentence per number whose recorded published value differs from the recomputed one."""
    if not isinstance(published, dict):
        return []
    out = []
    then = {r.key: r for r in comparison_rows(published, published, results, lang)}
    for row in comparison_rows(recomputed, recomputed, results, lang):
        old = then.get(row.key)
        was = old.current if old is not None else None
        if was is None and row.current is None:
            continue
        if was is not None and row.current is not None and abs(was - row.current) <= TOLERANCE:
            continue
        out.append(
            t(
                "rep_change_method_row",
                lang,
                label=row.label,
                published=_value(was, row.kind, lang),
                recomputed=_value(row.current, row.kind, lang),
            )
        )
    return out


def _table(rows: list[Row], previous: str, current: str, lang: str, min_cell: int | None = None) -> str:
    cols = [
        t("rep_change_col_measure", lang),
        t("rep_change_col_delivery", lang, date=previous),
        t("rep_change_col_delivery", lang, date=current),
        t("rep_change_col_change", lang),
    ]
    head = "".join(f'<th scope="col">{html.escape(unbreakable(h))}</th>' for h in cols)
    body = "".join(
        f'<tr data-change="{html.escape(r.key)}"><th scope="row" class="fe-text">{html.escape(unbreakable(r.label))}</th>'
        + _cell(r.previous, r.kind, lang, r.previous_status, cols[1])
        + _cell(r.current, r.kind, lang, r.current_status, cols[2])
        + f'<td data-label="{html.escape(cols[3])}">{html.escape(change_text(r, lang, min_cell))}</td></tr>'
        for r in rows
    )
    caption = html.escape(unbreakable(t("rep_change_caption", lang, previous=previous, current=current)))
    return (
        f'<figure class="fe-table-figure fe-change"><figcaption class="fe-caption">{caption}</figcaption>'
        f'<table class="fe-table fe-change-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></figure>'
    )


def change_html(
    results: dict, previous_results: dict, previous: str, current: str, lang: str, published: dict | None = None
) -> str:
    """The whole section: heading, what is compared, the table and the notes (method changes included)."""
    prev, cur = headline_numbers(previous_results), headline_numbers(results)
    rows = comparison_rows(prev, cur, results, lang)
    notes = method_changes(published, prev, results, lang)
    min_cell = (results.get("project") or {}).get("min_cell")
    parts = [
        f"<h1>{html.escape(t('rep_change_heading', lang))}</h1>",
        f"<p>{html.escape(t('rep_change_intro', lang, previous=previous, current=current))}</p>",
        _table(rows, previous, current, lang, min_cell),
    ]
    if any(change_text(r, lang) == NO_VALUE for r in rows):
        parts.append(f'<p class="fe-note">{html.escape(t("rep_change_dash", lang))}</p>')
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        intro = html.escape(t("rep_change_method_intro", lang, previous=previous))
        parts.append(f'<div class="fe-note fe-method-change"><p>{intro}</p><ul>{items}</ul></div>')
    return f'<section class="fe-change-section">{"".join(parts)}</section>'


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def section_html(ctx) -> str | None:
    """The section for a :class:`analysis.pipeline.notebook.NotebookContext`; None when there is no previous delivery."""
    from analysis.project import paths

    project = ctx.project
    previous = project.previous_delivery
    if previous is None:
        return None
    prev_name = previous.isoformat()
    base = paths.reports_dir(project.id, ctx.root)
    previous_results = _read(base / prev_name / "results.json")
    results = _read(Path(ctx.results_dir) / "results.json")
    if previous_results is None or results is None:
        return None
    record = entry(read_record(base), prev_name) or {}
    return change_html(
        results, previous_results, prev_name, str(project.delivery_name), ctx.lang, record.get("published")
    )


def show_change(ctx) -> None:
    """Show the section in the notebook (nothing at all without a previous delivery)."""
    from IPython.display import HTML, display

    page = section_html(ctx)
    if page is not None:
        display(HTML(page))
