"""The evaluator's own text: background, questions, method, findings, analysis, conclusions, recommendations.

The evaluator writes one Markdown file per point of the report in ``data/raw/<project>/text/``
(``bakgrund.md``, ``fragor.md``, ...; :data:`analysis.project.config.TEXT_FILES`, other names
under ``report.text`` in project.yml). Each point has a fixed place in the merged report,
declared in :data:`POINTS` as (point, where, notebook step): the background, the questions and
the method right after the summary, the qualitative findings after the number sections, the
analysis, conclusions and recommendations last before the appendix. A missing file leaves its
point out.

The Markdown (CommonMark with pipe tables and footnotes ``[^1]``) is rendered by markdown-it-py
with raw HTML turned off: HTML in the text is shown as text, never run. HTML comments
``<!-- ... -->`` are the template's guidance and are removed. A ``#`` heading is a section of
the report (h1, like every other section) and joins the table of contents; a text that does
not start with one gets the point's own heading ("Bakgrund"). ``{{ ... }}`` references quote
the report's numbers from ``results.json`` (:mod:`analysis.report.references`); a reference
that cannot be resolved stops the build with the file, the line and what to do.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from analysis.project.errors import FoljevalError
from analysis.report.i18n import t
from analysis.report.references import REFERENCE, ReferenceProblem, resolve


@dataclass(frozen=True)
class Point:
    """One point of the report the evaluator writes, and where it goes (before or after a notebook step)."""

    name: str
    where: str  # "after" or "before"
    step: str


# The place of each point in the merged report; points at the same place keep this order.
POINTS: tuple[Point, ...] = (
    Point("background", "after", "summary"),
    Point("questions", "after", "summary"),
    Point("method", "after", "summary"),
    Point("qualitative_findings", "before", "appendix"),
    Point("analysis", "before", "appendix"),
    Point("conclusions", "before", "appendix"),
    Point("recommendations", "before", "appendix"),
)

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]*(.*)$")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+[^`]*?`+)")
_PLACEHOLDER = "FEPLACEHOLDER{}X"
_PLACEHOLDER_RE = re.compile(r"FEPLACEHOLDER(\d+)X")


class TextError(FoljevalError):
    """A problem in an evaluator's text file, naming the file and the line."""


def markdown() -> MarkdownIt:
    """CommonMark with pipe tables, raw HTML off (shown as text), links checked by markdown-it."""
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def strip_comments(text: str) -> str:
    """``text`` without HTML comments; each comment leaves its line breaks, so line numbers stay right."""
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _split_footnotes(lines: list[str], where: str) -> tuple[list[str], dict[str, tuple[int, str]]]:
    """The lines without footnote definitions (blank in their place) and the definitions (label -> line, text).

    A definition is ``[^label]: text`` at the start of a line; indented lines after it continue it.
    """
    out, defs, current = [], {}, None
    for i, line in enumerate(lines, 1):
        m = _FOOTNOTE_DEF.match(line)
        if m:
            if m.group(1) in defs:
                raise TextError(f"{where}, line {i}: footnote [^{m.group(1)}] is defined twice; give it another label")
            current = m.group(1)
            defs[current] = (i, m.group(2).strip())
            out.append("")
        elif current is not None and line.startswith(("    ", "\t")) and line.strip():
            n, body = defs[current]
            defs[current] = (n, f"{body} {line.strip()}")
            out.append("")
        else:
            current = None
            out.append(line)
    return out, defs


def _placeholders(lines: list[str], where: str, results: dict | None, lang: str, values: list[str]) -> list[str]:
    """Replace every ``{{ reference }}`` by a placeholder (its formatted value appended to ``values``)."""
    out, fenced = [], False
    for i, line in enumerate(lines, 1):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or _FENCE.match(line):  # code is shown as written
            out.append(line)
            continue

        def repl(m: re.Match, line_no: int = i) -> str:
            values.append(html.escape(_resolve(m.group(1), results, lang, where, line_no)))
            return _PLACEHOLDER.format(len(values) - 1)

        parts = _CODE_SPAN.split(line)  # odd parts are `code` spans, shown as written
        out.append("".join(p if k % 2 else REFERENCE.sub(repl, p) for k, p in enumerate(parts)))
    return out


def _resolve(reference: str, results: dict | None, lang: str, where: str, line: int) -> str:
    shown = "{{ " + reference + " }}"
    if results is None:
        raise TextError(
            f"{where}, line {line}: {shown} refers to results.json, which does not exist yet; "
            "build the report (`foljeval report`) before checking references"
        )
    try:
        return resolve(reference, results, lang)
    except ReferenceProblem as e:
        raise TextError(f"{where}, line {line}: {shown}: {e.problem}; {e.hint}") from None


def _footnote_marks(
    lines: list[str], defs: dict, where: str, point: str, values: list[str]
) -> tuple[list[str], list[str]]:
    """Replace ``[^label]`` by a numbered superscript link (placeholders); the labels in order of use."""
    used: list[str] = []
    out = []
    for i, line in enumerate(lines, 1):

        def repl(m: re.Match, line_no: int = i) -> str:
            label = m.group(1)
            if label not in defs:
                raise TextError(
                    f"{where}, line {line_no}: footnote [^{label}] has no text; add a line '[^{label}]: ...'"
                )
            if label not in used:
                used.append(label)
            n = used.index(label) + 1
            values.append(
                f'<sup class="fe-fnref"><a href="#fn-{point}-{n}" id="fnref-{point}-{n}-{len(values)}">{n}</a></sup>'
            )
            return _PLACEHOLDER.format(len(values) - 1)

        out.append(_FOOTNOTE_REF.sub(repl, line))
    unused = [label for label in defs if label not in used]
    if unused:
        line_no = defs[unused[0]][0]
        raise TextError(
            f"{where}, line {line_no}: footnote [^{unused[0]}] is never referred to; refer to it or delete it"
        )
    return out, used


def render_point(
    text: str, *, point: str, where: str, results: dict | None, lang: str, heading: str | None = None
) -> str:
    """The HTML of one text: comments removed, references resolved, footnotes numbered, raw HTML escaped.

    Parameters
    ----------
    text : str
        The Markdown as the evaluator wrote it.
    point : str
        The point's name (unique ids of footnotes).
    where : str
        How messages name the file (``text/bakgrund.md``).
    results : dict or None
        ``results.json``; None when there is none yet (a reference is then an error).
    lang : {"sv", "en"}
        Language and number format of the report.
    heading : str, optional
        The heading put first when the text does not start with a ``#`` heading.

    Returns
    -------
    str
        A ``<section>`` with the rendered text, or ``""`` when nothing is left after removing comments.
    """
    lines = strip_comments(text.replace("\r\n", "\n")).split("\n")
    lines, defs = _split_footnotes(lines, where)
    values: list[str] = []
    lines = _placeholders(lines, where, results, lang, values)
    for label, (n, body) in list(defs.items()):
        defs[label] = (n, _placeholders([body], f"{where}", results, lang, values)[0])
    lines, used = _footnote_marks(lines, defs, where, point, values)
    defs = ordered_defs(defs, used)
    source = "\n".join(lines)
    if not source.strip():
        return ""
    md = markdown()
    tokens = md.parse(source)
    body = md.renderer.render(tokens, md.options, {})
    if heading and not (tokens and tokens[0].type == "heading_open" and tokens[0].tag == "h1"):
        body = f"<h1>{html.escape(heading)}</h1>\n{body}"
    body = body.replace("<table>", '<div class="fe-text-table-wrap" tabindex="0"><table class="fe-text-table">')
    body = body.replace("</table>", "</table></div>")
    notes = _footnotes_html(defs, md, point)
    out = f'<section class="fe-evaluator-text" data-point="{point}">\n{body}{notes}</section>'
    return _PLACEHOLDER_RE.sub(lambda m: values[int(m.group(1))], out)


def _footnotes_html(defs: dict[str, tuple[int, str]], md: MarkdownIt, point: str) -> str:
    if not defs:
        return ""
    items = "".join(
        f'<li id="fn-{point}-{i}">{md.renderInline(body)}</li>' for i, (_, body) in enumerate(defs.values(), 1)
    )
    return f'<ol class="fe-footnotes">{items}</ol>\n'


def ordered_defs(defs: dict[str, tuple[int, str]], used: Iterable[str]) -> dict[str, tuple[int, str]]:
    """The definitions in the order their labels are first used."""
    return {label: defs[label] for label in used}


def point_heading(point: str, lang: str) -> str:
    """The heading a text gets when it does not start with its own ``#`` heading."""
    return t(f"text_{point}_heading", lang)


def read_text(path: Path, where: str) -> str:
    """A text file as UTF-8 (a byte-order mark allowed); an error naming the file otherwise."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise TextError(f"{where}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None


def text_source(project, point: str, lang: str) -> tuple[Path, str]:
    """The file of ``point`` for a report in ``lang`` and the language it is written in.

    The texts are written in the project's language; a translation for the report in the
    other language lies in ``text/<lang>/`` under the same name (``text/en/bakgrund.md``).
    Without one the original is used, marked with its language (WCAG 3.1.2, language of parts).
    """
    path = project.text_path(point)
    own = project.config.language
    translated = path.parent / lang / path.name
    if lang != own and translated.is_file():
        return translated, lang
    return path, own


def _mark_language(html_text: str, text_lang: str, lang: str) -> str:
    """A text in another language than the report: its language on the element and a note under its heading."""
    if text_lang == lang:
        return html_text
    note = f'<p class="fe-note" lang="{lang}">{html.escape(t("text_not_translated", lang))}</p>'
    m = re.search(r"</h[1-6]>", html_text)
    cut = m.end() if m else 0
    return f'<div lang="{text_lang}">{html_text[:cut]}{note}{html_text[cut:]}</div>'


def rendered_points(project, results: dict | None, lang: str) -> dict[str, str]:
    """The HTML of every point whose file exists (point -> HTML), in the order of :data:`POINTS`."""
    out = {}
    for p in POINTS:
        path, text_lang = text_source(project, p.name, lang)
        if not path.is_file():
            continue
        where = "/".join(path.relative_to(project.raw_dir).parts)
        html_text = render_point(
            read_text(path, where),
            point=p.name,
            where=f"{project.raw_dir.name}/{where}",
            results=results,
            lang=lang,
            heading=point_heading(p.name, lang),
        )
        if html_text:
            out[p.name] = _mark_language(html_text, text_lang, lang)
    return out


def text_problems(project, results: dict | None, lang: str) -> list[str]:
    """Every problem of the evaluator's texts, one message per file (empty when each renders).

    With ``results`` None (no report built yet) only the Markdown is checked and the references are not.
    """
    problems = []
    for p in POINTS:
        path, _ = text_source(project, p.name, lang)
        if not path.is_file():
            continue
        where = f"{project.raw_dir.name}/" + "/".join(path.relative_to(project.raw_dir).parts)
        try:
            text = read_text(path, where)
            if results is None:
                text = REFERENCE.sub("0", text)
            render_point(text, point=p.name, where=where, results=results or {}, lang=lang)
        except TextError as e:
            problems.append(str(e))
    return problems


def text_cells(project, results: dict | None, lang: str) -> dict[tuple[str, str], list]:
    """The report cells of the evaluator's texts by place: ``(where, step) -> [cell, ...]``."""
    import nbformat

    rendered = rendered_points(project, results, lang)
    cells: dict[tuple[str, str], list] = {}
    for p in POINTS:
        if p.name not in rendered:
            continue
        cell = nbformat.v4.new_code_cell(source="")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": rendered[p.name]})]
        cell.id = f"text-{p.name.replace('_', '-')}"
        cells.setdefault((p.where, p.step), []).append(cell)
    return cells
