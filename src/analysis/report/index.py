"""``reports/index.html``: the portfolio page over all projects.

One row per project under ``data/raw/``: participants, targets met, the headline
effect with its interval, survival in work or study at 12 months, and the status
of the last run (from ``reports/<project>/run.json``, written by the runner), with
a link to each report. A failed project gets a red row with the message that
names the cause and a link to its ``error.html``; its name still links to the last
good report when there is one. The page uses the reports' CSS and holds no run timestamps, so
it is byte-identical across reruns on unchanged input.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from analysis.clean.identity import mask_personnummer
from analysis.project.workspace import atomic_write_text
from analysis.report.export import simple_page
from analysis.report.headlines import headlines
from analysis.report.i18n import t

RUN_FILE = "run.json"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _project_meta(root: Path, name: str) -> dict:
    """Name, owner and period from project.yml (without failing on an invalid one)."""
    from analysis.project.config import load_project
    from analysis.project.errors import FoljevalError

    try:
        c = load_project(root / "data" / "raw" / name).config
        return {
            "name": c.name,
            "owner": c.owner,
            "period": f"{c.period.start.isoformat()} – {c.period.end.isoformat()}",
        }
    except FoljevalError:
        return {"name": name, "owner": "–", "period": "–"}


def _report_line(root: Path, name: str, lang: str) -> str:
    """Which report and its date (``report:`` in project.yml), e.g. "Slutrapport, 2016-03-01"; '' when not given."""
    from analysis.project.config import load_project
    from analysis.project.errors import FoljevalError
    from analysis.report.tables import unbreakable
    from analysis.report.text import report_label

    try:
        meta = load_project(root / "data" / "raw" / name).config.report
    except FoljevalError:
        return ""
    parts = [report_label(meta, lang), meta.date.isoformat() if meta.date else None]
    return unbreakable(", ".join(p for p in parts if p))


def index_rows(root: Path, projects: list[str], lang: str) -> list[dict]:
    rows = []
    for name in projects:
        rep = root / "reports" / name
        run = _read_json(rep / RUN_FILE)
        results = _read_json(rep / "results.json") or {}
        meta = results.get("project") or _project_meta(root, name)
        h = headlines(results)
        status = "not_run" if run is None else ("ok" if run.get("ok") else "failed")
        rows.append(
            {
                "id": name,
                "name": meta.get("name", name),
                "owner": meta.get("owner", "–"),
                "period": meta.get("period")
                if isinstance(meta.get("period"), str)
                else (
                    f"{meta['period']['start']} – {meta['period']['end']}"
                    if isinstance(meta.get("period"), dict)
                    else "–"
                ),
                "report": _report_line(root, name, lang),
                "status": status,
                "message": (run or {}).get("message") or "",
                "link": f"{name}/report.html" if (rep / "report.html").is_file() else None,
                "other": _other_reports(rep, name),
                "error_link": f"{name}/error.html" if status == "failed" and (rep / "error.html").is_file() else None,
                "participants": h.fmt_count(h.enrolled, lang) if status == "ok" else "–",
                "targets": h.fmt_targets(lang) if status == "ok" else "–",
                "effect": h.fmt_effect(lang) if status == "ok" else "–",
                "survival": h.fmt_survival(lang) if status == "ok" else "–",
                "median": h.fmt_median(lang) if status == "ok" else "–",
            }
        )
    return rows


def _other_reports(rep: Path, name: str) -> list[tuple[str, str]]:
    """(language, link) of the report in the other language and of the PDFs beside the report."""
    found = [(p.name.split(".")[1], f"{name}/{p.name}") for p in sorted(rep.glob("report.*.html"))]
    return [(lang, link) for lang, link in found if lang in ("sv", "en")]


def _links(r: dict) -> str:
    """The report's other language (with hreflang) and its PDFs, under the project's name."""
    parts = []
    for lang, link in r.get("other") or []:
        text = t("rep_other_language", "sv" if lang == "en" else "en")
        parts.append(f'<a href="{html.escape(link)}" hreflang="{lang}" lang="{lang}">{html.escape(text)}</a>')
    return f'<br><span class="fe-note">{" · ".join(parts)}</span>' if parts else ""


def _with_interval(text: str) -> str:
    """The value over its detail in small type; the detail may wrap, an interval inside it never does."""
    main, sep, rest = text.partition(" (")
    if not sep:
        return html.escape(main)
    detail = html.escape(rest)
    if "\u2013" in rest:  # "95 % KI 57,6 – 68,0 %)": the label may wrap, the two numbers stay together
        start = rest[: rest.index("\u2013")].rstrip("\u00a0 ").rfind(" ")
        detail = f'{html.escape(rest[:start])} <span class="fe-nowrap">{html.escape(rest[start + 1 :])}</span>'
    return html.escape(main) + f'<br><span class="fe-note">({detail}</span>'


def index_html(rows: list[dict], lang: str) -> str:
    cols = [
        t("rep_index_project", lang),
        t("rep_index_owner", lang),
        t("rep_index_period", lang),
        t("rep_kf_enrolled", lang),
        t("rep_kf_targets", lang),
        t("rep_kf_effect", lang),
        t("rep_kf_survival12", lang),
        t("rep_index_median", lang),
        t("rep_index_status", lang),
    ]
    text_cols = {0, 1, 2, len(cols) - 1}
    text_cls = ' class="fe-text"'
    head = "".join(
        f'<th scope="col"{text_cls if i in text_cols else ""}>{html.escape(c)}</th>' for i, c in enumerate(cols)
    )
    body = []
    for r in rows:
        name = html.escape(r["name"])
        cell = f'<a href="{html.escape(r["link"])}">{name}</a>' if r["link"] else name
        status_text = t(f"rep_index_{r['status']}", lang)
        status = f'<span class="fe-{"ok" if r["status"] == "ok" else "failed"}">{html.escape(status_text)}</span>'
        if r["message"]:
            status += f'<br><span class="fe-note">{html.escape(mask_personnummer(r["message"]))}</span>'
        if r.get("error_link"):
            kept = f"; {html.escape(t('rep_index_last_good', lang))}" if r["link"] else ""
            status += (
                f'<br><a href="{html.escape(r["error_link"])}">{html.escape(t("rep_index_error_link", lang))}</a>{kept}'
            )
        cls = ' class="fe-row-failed"' if r["status"] == "failed" else ""
        period = "<br>".join(html.escape(x) for x in r["period"].split(" – "))
        report = f'<br><span class="fe-note">{html.escape(r["report"])}</span>' if r.get("report") else ""
        cells = [
            (cell + f'<br><span class="fe-note">{html.escape(r["id"])}</span>{report}' + _links(r), "fe-text"),
            (html.escape(r["owner"]), "fe-text"),
            (period, "fe-text fe-nowrap"),
            (r["participants"], ""),
            (_with_interval(r["targets"]), ""),  # "0 av 2" over its "(1 inom felmarginalen, …)"
            (_with_interval(r["effect"]), ""),
            (_with_interval(r["survival"]), ""),
            (r["median"], ""),
            (status, "fe-text"),
        ]
        body.append(
            f'<tr{cls} data-project="{html.escape(r["id"])}">'
            + "".join(
                f'<td data-label="{html.escape(col)}"' + (f' class="{k}">' if k else ">") + f"{c}</td>"
                for (c, k), col in zip(cells, cols)
            )
            + "</tr>"
        )
    return (
        f"<h1>{html.escape(t('rep_index_title', lang))}</h1><p>{html.escape(t('rep_index_intro', lang))}</p>"
        f'<figure class="fe-table-figure fe-scroll" tabindex="0"><table class="fe-table fe-index-table"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></figure><p class="fe-note">{html.escape(t("rep_index_note", lang))}</p>'
    )


def build_index(root: Path, projects: list[str] | None = None, lang: str = "sv") -> Path:
    """Write ``reports/index.html`` over ``projects`` (default: every project under data/raw/)."""
    root = Path(root)
    if projects is None:
        raw = root / "data" / "raw"
        projects = sorted(p.name for p in raw.iterdir() if (p / "project.yml").is_file()) if raw.is_dir() else []
    from analysis.report.trend import trends_html

    rows = index_rows(root, projects, lang)
    body = index_html(rows, lang) + trends_html(root, rows, lang)  # the trend across deliveries, where there are two
    page = simple_page(body, lang=lang, title=t("rep_index_title", lang))
    # written whole (a temporary file renamed in place): runs of other projects may build it at the same time
    return atomic_write_text(root / "reports" / "index.html", page)
