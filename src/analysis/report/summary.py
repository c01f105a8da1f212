"""The title page and the summary of findings at the top of every report (notebook 00).

Why notebook 00 runs last: its summary is generated from ``results.json``, which
only exists once the analysis notebooks have saved their sections. The runner
therefore executes ``00_summary`` after every other notebook and after merging
the sections into ``results.json``, and places it first when it merges the
executed notebooks into the report. The notebook stays an ordinary notebook: run
by hand after the others it shows the same page.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from IPython.display import HTML, display

from analysis.report.board import board_html, main_key_figure
from analysis.report.export import TOC_HERE
from analysis.report.format import formatter
from analysis.report.headlines import Headlines, headlines, target_verdict
from analysis.report.i18n import t
from analysis.report.tables import unbreakable
from analysis.report.text import report_facts


def fmt_sek(value: float | None, lang: str) -> str:
    return formatter(lang).sek(value)


def fmt_date(d, lang: str) -> str:
    return d.isoformat() if hasattr(d, "isoformat") else str(d)


def load_results(report_dir: Path) -> dict:
    path = Path(report_dir) / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def facts(config, data_end, lang: str) -> list[tuple[str, str]]:
    """The project facts of the title page, from project.yml and the cleaning manifest."""
    rows = report_facts(config.report, lang) + [
        (t("rep_fact_owner", lang), config.owner),
        (t("rep_fact_region", lang), config.region or "–"),
        (t("rep_fact_project_number", lang), config.project_number or "–"),
        (t("rep_fact_period", lang), f"{config.period.start.isoformat()} – {config.period.end.isoformat()}"),
        (t("rep_fact_budget", lang), fmt_sek(config.budget_sek, lang)),
        (t("rep_fact_esf", lang), fmt_sek(config.esf_grant_sek, lang)),
        (t("rep_fact_planned", lang), formatter(lang).count(config.planned_participants)),
        (t("rep_fact_target_group", lang), config.target_group or "–"),
        (t("rep_fact_data_end", lang), fmt_date(data_end, lang)),
    ]
    if config.synthetic:
        rows.append((t("rep_fact_data", lang), t("rep_synthetic", lang)))
    return rows


def _facts_table(rows: list[tuple[str, str]]) -> str:
    # unbreakable: a date or a place name with hyphens is not split over two lines ("2019-03-31")
    body = "".join(
        f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(unbreakable(v))}</td></tr>' for k, v in rows
    )
    return f'<table class="fe-facts">{body}</table>'


def title_page_html(config, data_end, lang: str) -> str:
    return (
        f'<section class="fe-title-page"><p class="fe-kicker">{html.escape(t("rep_kicker", lang))}</p>'
        f"<h1>{html.escape(config.name)}</h1>{_facts_table(facts(config, data_end, lang))}</section>"
    )


def key_figures(h: Headlines, lang: str) -> list[tuple[str, str, str | None]]:
    """(label, value, JSON pointer of the value) of each key figure."""
    enrolled = h.fmt_count(h.enrolled, lang)
    if h.planned:
        enrolled = t("rep_of_planned", lang, n=enrolled, planned=h.fmt_count(h.planned, lang))
    p = h.pointers
    return [
        (t("rep_kf_enrolled", lang), enrolled, p.get("enrolled")),
        (t("rep_kf_targets", lang), h.fmt_targets(lang), "/targets/table" if h.targets else None),
        (t("rep_kf_work_or_study", lang), h.fmt_work_or_study(lang), p.get("work_or_study")),
        (t("rep_kf_effect_on", lang, outcome=h.effect_outcome(lang)), h.fmt_effect(lang), p.get("effect")),
        (t("rep_kf_survival12", lang), h.fmt_survival(lang), p.get("survival")),
    ]


def board_key_figures(results: dict, figures: list, main_outcome: str, lang: str) -> list:
    """The key figures of the first page: the project's main outcome first, no box that shows only "–"
    (no effect without a comparison group, no survival without a monthly panel: the sections say why)."""
    main = main_key_figure(results, main_outcome, lang)
    return [x for x in ([main] if main else []) + list(figures) if x[1] != "–"]


def findings_sentences(h: Headlines, lang: str, *, board: bool = False) -> list[str]:
    """Generated sentences for the summary, each from the translation table.

    With ``board`` the targets and the effect are left out: the board's part of the
    page (:mod:`analysis.report.board`) shows them in full.
    """
    out = []
    if h.enrolled is not None:
        out.append(t("rep_sum_enrolled", lang, n=h.fmt_count(h.enrolled, lang)))
    for target in [] if board else h.targets:
        label = target.get(f"label_{lang}") or target.get("label_sv") or target.get("id")
        status = {"not_yet": "not_measurable"}.get(v := target_verdict(target), v)
        out.append(t(f"rep_sum_target_{status}", lang, label=label))
    s = h.work_or_study_exit
    if s and not s.get("suppressed") and s.get("share") is not None:
        key = "rep_sum_work_or_study" if s.get("among") != "among_all" else "rep_sum_work_or_study_all"
        out.append(t(key, lang, value=h.fmt_work_or_study(lang)))
    if s and (s.get("unknown") or s.get("unknown_shown")):
        n = s.get("unknown_shown") or h.fmt_count(s["unknown"], lang)
        key = "rep_sum_unknown_exit" if s.get("among") != "among_all" else "rep_sum_unknown_exit_all"
        out.append(t(key, lang, n=n))
    if board:
        pass
    elif h.effect:
        out.append(t("rep_sum_effect_on", lang, outcome=h.effect_outcome(lang), value=h.fmt_effect(lang)))
    elif "effects" in h.sections:
        out.append(t("rep_sum_no_effect", lang))
    if h.survival_12:
        out.append(t("rep_sum_survival", lang, value=h.fmt_survival(lang)))
    return out


def split_value(text: str, pointer: str | None = None) -> str:
    """A formatted value as a big number with its interval (the part in brackets) in small type under it."""
    main, sep, rest = text.partition(" (")
    detail = f'<span class="fe-detail">({html.escape(rest)}</span>' if sep else ""
    ref = f' data-results="{html.escape(pointer)}"' if pointer and main != "–" else ""
    return f'<span class="fe-value"{ref}>{html.escape(main)}</span>{detail}'


def summary_html(results: dict, lang: str, *, data_end=None, main_outcome: str = "work_or_study") -> str:
    """The summary: key figures, then (given ``data_end``) the board's page, then the findings in sentences."""
    h = headlines(results)
    board = data_end is not None
    figures = key_figures(h, lang)
    if board:
        figures = board_key_figures(results, figures, main_outcome, lang)
    boxes = "".join(
        f'<div class="fe-keyfigure">{split_value(v, ptr)}<span class="fe-label">{html.escape(k)}</span></div>'
        for k, v, ptr in figures
    )
    sentences = findings_sentences(h, lang, board=board)
    items = (
        "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        or f"<li>{html.escape(t('rep_sum_nothing', lang))}</li>"
    )
    page = board_html(results, data_end, main_outcome, h.enrolled, lang) if board else ""
    return (
        f'<h1>{html.escape(t("rep_summary_heading", lang))}</h1><div class="fe-keyfigures">{boxes}</div>'
        f'<ul class="fe-findings">{items}</ul>{page}<p class="fe-note">{html.escape(t("rep_summary_note", lang))}</p>'
        + (TOC_HERE if board else "")
    )


def show_summary(ctx) -> None:
    """Show the title page and the summary for a :class:`analysis.pipeline.notebook.NotebookContext`."""
    display(HTML(title_page_html(ctx.config, ctx.data_end.date(), ctx.lang)))
    results = load_results(ctx.results_dir)
    page = summary_html(results, ctx.lang, data_end=ctx.data_end.date(), main_outcome=ctx.config.main_outcome)
    display(HTML(page))
