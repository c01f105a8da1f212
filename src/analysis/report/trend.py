"""The portfolio index's trend figures: a project's headline across its deliveries.

For every project with at least two deliveries built (``reports/<project>/<YYYY-MM-DD>/results.json``,
see :mod:`analysis.pipeline.deliveries`), a small SVG line chart of the share in work or study at
exit (or, when a delivery does not publish that share, the number enrolled), each delivery's
values as recomputed with the current code. The figure is an ``<svg role="img">`` with a title
and a description naming every value, and the same numbers follow in a table (WCAG 2.1 AA:
the figure's content is available as text). Only published values are used.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from analysis.project.deliveries import delivery_date
from analysis.report.delivery_record import headline_numbers
from analysis.report.format import formatter
from analysis.report.i18n import t
from analysis.report.tables import unbreakable

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 320, 150, 34, 24, 30
INK, ACCENT, LINE = "#1d2a33", "#1f5f8b", "#5b6770"  # contrast >= 4.5:1 on white (text) and >= 3:1 (graphics)


def delivery_series(project_reports: Path) -> list[tuple[str, dict]]:
    """(data_end, headline numbers) of each delivery built, oldest first."""
    out = []
    base = Path(project_reports)
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if not folder.is_dir() or delivery_date(folder.name) is None:
            continue
        try:
            results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append((folder.name, headline_numbers(results)))
    return out


def trend_measure(series: list[tuple[str, dict]]) -> tuple[str, str, list[float]] | None:
    """(key, kind, values) of the measure shown: the work-or-study share when every delivery has it, else enrolled."""
    for key, kind in (("work_or_study_exit", "share"), ("enrolled", "count")):
        values = [v for _, numbers in series if isinstance(v := numbers.get(key), (int, float))]
        if series and len(values) == len(series):
            return key, kind, [float(v) for v in values]
    return None


def _label(key: str, lang: str) -> str:
    return t("rep_kf_work_or_study" if key == "work_or_study_exit" else "rep_kf_enrolled", lang)


def _fmt(value: float, kind: str, lang: str) -> str:
    f = formatter(lang)
    return f.percent(value) if kind == "share" else f.count(value)


def trend_svg(project: str, name: str, dates: list[str], values: list[float], key: str, kind: str, lang: str) -> str:
    """The line chart (the scale of a share runs 0-100 %, of a count from 0, so a change is not magnified)."""
    top = 1.0 if kind == "share" else max(values) * 1.15 or 1.0
    n = len(values)
    step = (WIDTH - 2 * PAD_X) / (n - 1)
    xs = [PAD_X + i * step for i in range(n)]
    ys = [PAD_TOP + (1 - v / top) * (HEIGHT - PAD_TOP - PAD_BOTTOM) for v in values]
    texts = [_fmt(v, kind, lang) for v in values]
    ident = f"trend-{project}"
    title = t("rep_index_trend_title", lang, project=name, measure=_label(key, lang))
    described = "; ".join(f"{d}: {v}" for d, v in zip(dates, texts))
    desc = t("rep_index_trend_desc", lang, n=n, values=described)
    base_y = HEIGHT - PAD_BOTTOM
    parts = [
        f'<line x1="{PAD_X - 10}" y1="{base_y:.1f}" x2="{WIDTH - PAD_X + 10}" y2="{base_y:.1f}" stroke="{LINE}" />',
        f'<polyline fill="none" stroke="{ACCENT}" stroke-width="2.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        + '" />',
    ]
    for x, y, text, d in zip(xs, ys, texts, dates):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{ACCENT}" />')
        parts.append(
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="12" fill="{INK}">{html.escape(text)}</text>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" fill="{INK}">{html.escape(d)}</text>'
        )
    return (
        f'<svg role="img" aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" class="fe-trend-svg" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{html.escape(title)}</title><desc id="{ident}-desc">{html.escape(desc)}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def _delivery_link(project_reports: Path, project: str, date: str) -> str:
    """The delivery's date, linked to its report when there is one (relative to reports/index.html)."""
    text = html.escape(unbreakable(date))
    if not (Path(project_reports) / date / "report.html").is_file():
        return text
    return f'<a href="{html.escape(f"{project}/{date}/report.html")}">{text}</a>'


def trend_figure(project: str, name: str, project_reports: Path, lang: str) -> str:
    """The figure and its table for one project; '' when fewer than two deliveries are built."""
    series = delivery_series(project_reports)
    measure = trend_measure(series) if len(series) >= 2 else None
    if measure is None:
        return ""
    key, kind, values = measure
    dates = [d for d, _ in series]
    label = _label(key, lang)
    rows = "".join(
        f'<tr><th scope="row">{_delivery_link(project_reports, project, d)}</th>'
        f"<td>{html.escape(_fmt(v, kind, lang))}</td></tr>"
        for d, v in zip(dates, values)
    )
    caption = html.escape(f"{name}: {t('rep_index_trend_caption', lang, measure=label)}")
    table = (
        f'<table class="fe-table fe-trend-table"><caption>{caption}</caption><thead><tr>'
        f'<th scope="col">{html.escape(t("rep_index_trend_col_delivery", lang))}</th>'
        f'<th scope="col">{html.escape(label)}</th></tr></thead><tbody>{rows}</tbody></table>'
    )
    return (
        f'<figure class="fe-trend" data-project="{html.escape(project)}">'
        f"{trend_svg(project, name, dates, values, key, kind, lang)}{table}</figure>"
    )


def trends_html(root: Path, rows: list[dict], lang: str) -> str:
    """The index's trend section over ``rows`` (the index rows: id and name); '' when no project has two deliveries."""
    figures = [trend_figure(r["id"], r["name"], Path(root) / "reports" / r["id"], lang) for r in rows]
    figures = [f for f in figures if f]
    if not figures:
        return ""
    heading = html.escape(t("rep_index_trend_heading", lang))
    return f'<section class="fe-trends"><h2>{heading}</h2>{"".join(figures)}</section>'
