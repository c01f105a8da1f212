"""Export the merged notebook to one self-contained, offline ``report.html``.

The template (``templates/foljeval``) extends nbconvert's lab template but drops
everything it would fetch from a CDN (require.js, MathJax, mermaid, widgets) and
JupyterLab's CSS, which a report with hidden code does not need, in favour of a
small theme (``foljeval.css``, also used by the index page). nbconvert has no
table of contents and does not de-duplicate heading ids, so after the export the
headings get unique ids (``1-deltagare``, ...) and a numbered table of contents is
written into the page. Images are SVG inline or PNG as data URIs.

For assistive technology (WCAG 2.1 AA) the page has one ``h1``, the report's title: every
other heading of the notebooks moves one level down (a section is an ``h2``), so headings
never skip a level; and every figure's SVG is an image with a name (``role="img"``,
``aria-labelledby`` its ``<title>``, the figure's caption, and its ``<desc>``, the note
under it), its matplotlib ids prefixed per figure so that no id occurs twice in the page.
The numbers of every figure are in a table of the same section.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from importlib import resources
from pathlib import Path

from analysis.report.i18n import t

TEMPLATE_DIR = Path(__file__).with_name("templates")
TOC_PLACEHOLDER = "<!--FE-TOC-->"
TOC_HERE = '<div class="fe-toc-here"></div>'
"""Where the summary ends: on a phone and in print the table of contents comes here, after the first page."""
_HEADING = re.compile(r"<h([1-4])(\s[^>]*)?>(.*?)</h\1>", re.DOTALL)
_ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_FIGURE = re.compile(r'<figure class="fe-figure">(.*?)</figure>', re.DOTALL)
_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?|<metadata>.*?</metadata>\s*", re.DOTALL)
_ID_REFS = re.compile(r'(\sid="|url\(#|href="#)([^")]+)')
_ANY_HEADING = re.compile(r"<(/?)h([1-6])\b")


def css() -> str:
    """The report theme (shared by the reports and the index page)."""
    return (resources.files("analysis") / "report" / "templates" / "foljeval" / "foljeval.css").read_text(
        encoding="utf-8"
    )


def slug(text: str) -> str:
    """An ASCII id from a heading text ("Mål och utfall" -> "mal-och-utfall")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def one_h1(page: str) -> str:
    """Keep the first ``h1`` of the page's ``<main>`` and move every later heading one level down."""
    start = page.find("<main")
    first = page.find("</h1>", start)
    if start < 0 or first < 0:
        return page
    cut = first + len("</h1>")

    def down(m: re.Match) -> str:
        return f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}"

    return page[:cut] + _ANY_HEADING.sub(down, page[cut:])


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", fragment)).split())


def label_figures(page: str) -> str:
    """Every figure's SVG as a named image (caption as title, note as description) with ids unique in the page."""
    count = 0

    def repl(m: re.Match) -> str:
        nonlocal count
        inner = m.group(1)
        start = inner.find("<svg")
        if start < 0:
            return m.group(0)
        count += 1
        prefix = f"fe-fig{count}-"
        inner = _SVG_PROLOGUE.sub("", inner[:start]) + _SVG_PROLOGUE.sub("", inner[start:])
        inner = _ID_REFS.sub(lambda r: r.group(1) + prefix + r.group(2), inner)
        caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", inner, re.DOTALL)
        note = re.search(r'<p class="fe-note">(.*?)</p>', inner, re.DOTALL)
        title = _text(caption.group(1)) if caption else ""
        parts = [f'<title id="{prefix}title">{html_lib.escape(title)}</title>']
        if note:
            parts.append(f'<desc id="{prefix}desc">{html_lib.escape(_text(note.group(1)))}</desc>')
        names = " ".join(f"{prefix}{k}" for k in ("title", "desc")[: len(parts)])
        head_end = inner.index(">", inner.index("<svg")) + 1
        opening = inner[: head_end - 1] + f' role="img" aria-labelledby="{names}">'
        return f'<figure class="fe-figure">{opening}{"".join(parts)}{inner[head_end:]}</figure>'

    return _FIGURE.sub(repl, page)


def add_toc(page: str, label: str, top: int = 1) -> tuple[str, list[tuple[int, str, str]]]:
    """Give headings unique ids and fill the table of contents (levels ``top`` and ``top + 1``) in ``page``.

    Returns the new page and the headings as (level, id, text).
    """
    headings: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}

    def repl(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        inner = _ANCHOR.sub("", inner)
        text = html_lib.unescape(_TAG.sub("", inner)).strip()
        base = slug(text)
        seen[base] = seen.get(base, 0) + 1
        hid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        attrs = re.sub(r'\sid="[^"]*"', "", attrs)
        headings.append((level, hid, text))
        return f'<h{level} id="{hid}"{attrs}>{inner}</h{level}>'

    body_start = page.find("<main")
    head, body = page[:body_start], page[body_start:]
    body = _HEADING.sub(repl, body)
    items, open_sub = [], False
    for level, hid, text in headings:
        if level > top + 1 or level < top:
            continue
        link = f'<a href="#{hid}">{html_lib.escape(text)}</a>'
        if level == top:
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f"<li>{link}")
        else:
            if not open_sub:
                items.append("<ol>")
                open_sub = True
            items.append(f"<li>{link}</li>")
    if items:
        items.append("</ol></li>" if open_sub else "</li>")
    toc = f'<p class="fe-toc-title">{html_lib.escape(label)}</p>\n<ol>{"".join(items)}</ol>'
    if TOC_HERE in body:  # the same list after the summary (shown instead of the side bar on phones and paper)
        inline = f'<nav class="fe-toc-inline" aria-label="{html_lib.escape(label)}">{toc}</nav>'
        body = body.replace(TOC_HERE, inline, 1)
    return head.replace(TOC_PLACEHOLDER, toc, 1) + body, headings


def export_html(nb, out_path: Path, *, lang: str, title: str, other: tuple[str, str] | None = None) -> Path:
    """Write ``nb`` (a merged, executed notebook) as a self-contained report page.

    ``other`` is (language, file name) of the same report in the other language, linked at the top.
    """
    from nbconvert import HTMLExporter  # imported here: the index and error pages do not need it
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = ("notebook-only",)
    c.TagRemovePreprocessor.remove_input_tags = ("parameters", "injected-parameters")
    exporter = HTMLExporter(config=c, template_name="foljeval", extra_template_basedirs=[str(TEMPLATE_DIR)])
    res = {
        "foljeval": {
            "lang": lang,
            "title": title,
            "css": css(),
            "brand": "foljeval",
            "toc_label": t("rep_toc", lang),
            "footer": t("rep_footer", lang),
            "other_lang": other[0] if other else "",
            "other_href": other[1] if other else "",
            "other_label": t("rep_other_language", lang) if other else "",
        },
        "metadata": {"name": title},
    }
    page, _ = exporter.from_notebook_node(nb, resources=res)
    page, _ = add_toc(label_figures(one_h1(page)), t("rep_toc", lang), top=2)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path


def simple_page(body_html: str, *, lang: str, title: str) -> str:
    """A page in the report's look without a notebook (index, error reports)."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8" />\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f'<meta name="generator" content="foljeval">\n<title>{html_lib.escape(title)}</title>\n'
        f'<style type="text/css">\n{css()}\n</style>\n</head>\n<body class="fe-report">\n'
        f'<header class="fe-topbar"><span class="fe-brand">foljeval</span> '
        f'<span class="fe-topbar-title">{html_lib.escape(title)}</span></header>\n'
        f'<main class="fe-index">\n{body_html}\n</main>\n'
        f'<footer class="fe-footer">{html_lib.escape(t("rep_footer", lang))}</footer>\n</body>\n</html>\n'
    )
