"""The evaluator's own text (text/*.md): rendering, placement, references to results.json, metadata.

What is checked: a text's headings join the table of contents at the report's section level,
footnotes are numbered in order of use, pipe tables render, raw HTML is shown as text and never
run, guidance comments disappear; references are formatted in the report's language (sv and en)
and by the kind of the value; a missing key, a suppressed value, a path that vanished after a
data change, a null value and an unknown filter are each an error naming the file, the line and
the reference; the points land at their declared places; the report metadata is validated and
shown on the title page and the index; ``foljeval new`` writes the text files; ``foljeval check``
checks the references against the last results.json.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import nbformat
import pytest

from analysis.project.config import TEXT_FILES, ReportMeta, load_project, parse_config
from analysis.project.errors import ConfigError
from analysis.report.evaluator_text import POINTS, TextError, render_point, rendered_points, text_cells
from analysis.report.export import add_toc
from analysis.report.merge import merge_notebooks
from analysis.report.references import resolve

NBSP = "\u00a0"
RESULTS = {
    "project": {"name": "Demo", "budget_sek": 1234567.0, "esf_grant_sek": None},
    "participants": {
        "flow": {
            "columns": [{"key": "count", "kind": "count"}],
            "order": ["enrolled", "exited"],
            "rows": {"enrolled": {"count": 1234}, "exited": {"count": None, "shown": {"count": "<5"}}},
        }
    },
    "targets": {
        "table": {
            "columns": [
                {"key": "n", "kind": "count"},
                {"key": "value", "kind": "share", "digits": 1},
                {"key": "ci", "kind": "interval", "of": "share", "digits": 1},
                {"key": "threshold", "kind": "share", "digits": 1},
            ],
            "order": ["wos_12m", "reached"],
            "rows": {
                "wos_12m": {"n": 96, "value": 0.46875, "ci": [0.37, 0.57], "threshold": 0.5},
                "reached": {
                    "n": 154,
                    "value": 154,
                    "threshold": 200.0,
                    "kinds": {"value": "count", "threshold": "count"},
                },
            },
        }
    },
    "outcomes": {
        "work_or_study": {
            "columns": [{"key": "share", "kind": "share", "digits": 1, "group": "among_all"}],
            "order": ["exit", "12"],
            "rows": {
                "exit": {"among_all": {"share": 0.58}, "among_followed_up": {"share": None, "shown": {"share": ".."}}},
                "12": {"among_all": {"share": 0.6}},
            },
        }
    },
    "effects": {
        "headline": {
            "estimate": -0.1034,
            "lower": -0.2,
            "upper": 0.01,
            "outcome": "work_or_study",
            "scale": "risk_difference",
        }
    },
}


def _render(text: str, results: dict | None = None, lang: str = "sv", point: str = "background") -> str:
    return render_point(
        text,
        point=point,
        where="demo/text/bakgrund.md",
        results=RESULTS if results is None else results,
        lang=lang,
        heading="Bakgrund",
    )


# ------------------------------------------------------------------------------------------- rendering
def test_headings_footnotes_tables_escaped_html_and_stripped_comments():
    text = (
        "<!-- Vägledning: vad styrelsen behöver.\nTvå rader. -->\n"
        "# Projektets logik\n\n"
        "Insatsen[^1] bygger på <script>alert('x')</script> och <b>fet</b> text.[^kalla]\n\n"
        "## Förändringsteori\n\n"
        "| Steg | Andel |\n|---|--:|\n| Tolv månader | {{ targets.wos_12m.value }} |\n\n"
        "Igen[^1].\n\n"
        "[^kalla]: Projektplanen 2015.\n"
        "[^1]: Intervjuer med tolv\n    handläggare.\n"
    )
    html = _render(text)
    assert "Vägledning" not in html and "<!--" not in html
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html.replace("'", "&#x27;")
    assert "<b>" not in html and "&lt;b&gt;fet&lt;/b&gt;" in html
    assert "<h1>Projektets logik</h1>" in html and html.count("<h1>") == 1  # its own heading, no default one
    assert '<table class="fe-text-table">' in html and f'<td style="text-align:right">46,9{NBSP}%</td>' in html
    # footnotes numbered in order of first use; the definitions listed in that order, continuation joined
    assert html.count('href="#fn-background-1"') == 2 and html.count('href="#fn-background-2"') == 1
    notes = html[html.index('<ol class="fe-footnotes">') :]
    assert notes.index("Intervjuer med tolv handläggare.") < notes.index("Projektplanen 2015.")
    page, headings = add_toc(f"<nav><!--FE-TOC--></nav><main><h1>Sammanfattning</h1>{html}</main>", "Innehåll")
    assert [(level, text) for level, _, text in headings] == [
        (1, "Sammanfattning"),
        (1, "Projektets logik"),
        (2, "Förändringsteori"),
    ]
    assert '<a href="#projektets-logik">Projektets logik</a>' in page and '<a href="#forandringsteori">' in page


def test_a_text_without_its_own_heading_gets_the_points_heading_and_a_comment_only_file_gives_nothing():
    assert _render("Bara text.").startswith(
        '<section class="fe-evaluator-text" data-point="background">\n<h1>Bakgrund</h1>'
    )
    assert _render("<!-- bara vägledning -->\n\n") == ""


def test_a_reference_in_code_is_shown_as_written():
    html = _render("Skriv `{{ targets.nope.value }}` så här:\n\n```\n{{ x.y }}\n```\n")
    assert "<code>{{ targets.nope.value }}</code>" in html and "{{ x.y }}" in html


def test_footnote_errors_name_the_file_and_line():
    with pytest.raises(TextError, match=r"demo/text/bakgrund.md, line 2: footnote \[\^9\] has no text"):
        _render("Första.\nAndra[^9].\n")
    with pytest.raises(TextError, match=r"line 3: footnote \[\^x\] is never referred to"):
        _render("Text.\n\n[^x]: Oanvänd.\n")


# ------------------------------------------------------------------------------------------ references
@pytest.mark.parametrize(
    ("reference", "sv", "en"),
    [
        ("targets.wos_12m.value", f"46,9{NBSP}%", "46.9%"),
        ("targets.wos_12m.value | pct:0", f"47{NBSP}%", "47%"),
        ("targets.wos_12m.ci", f"37,0{NBSP}–{NBSP}57,0{NBSP}%", f"37.0{NBSP}–{NBSP}57.0%"),
        ("targets.wos_12m.n", "96", "96"),
        ("targets.reached.value", "154", "154"),  # the row's own kind: a count, not a share
        ("participants.flow.enrolled.count", f"1{NBSP}234", "1,234"),
        ("outcomes.work_or_study.12.among_all.share", f"60,0{NBSP}%", "60.0%"),
        ("outcomes.work_or_study.rows.12.among_all.share", f"60,0{NBSP}%", "60.0%"),
        ("effects.main.estimate", f"\u221210,3{NBSP}procentenheter", f"\u221210.3{NBSP}percentage points"),
        ("effects.headline.upper | pp", f"1,0{NBSP}procentenheter", f"1.0{NBSP}percentage points"),
        ("project.budget_sek", f"1{NBSP}234{NBSP}567{NBSP}kr", f"SEK{NBSP}1,234,567"),
        ("project.budget_sek | kr", f"1{NBSP}234{NBSP}567{NBSP}kr", f"SEK{NBSP}1,234,567"),
        ("targets.wos_12m.value | number:3", "0,469", "0.469"),
        ("project.name", "Demo", "Demo"),
    ],
)
def test_references_are_formatted_in_the_reports_language(reference, sv, en):
    assert resolve(reference, RESULTS, "sv") == sv
    assert resolve(reference, RESULTS, "en") == en


def test_a_reference_in_the_text_is_replaced_by_its_formatted_value():
    html = _render("Målet: {{ targets.wos_12m.threshold | pct:0 }}, nått: {{targets.wos_12m.value}}.", lang="en")
    assert "<p>Målet: 50%, nått: 46.9%.</p>" in html


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "{{ targets.wos_12n.value }}",
            "results.json has no 'wos_12n' under 'targets.table.rows' (there: wos_12m, reached)",
        ),
        ("{{ participants.flow.exited.count }}", "the value is suppressed (the report shows '<5')"),
        (
            "{{ outcomes.work_or_study.exit.among_followed_up.share }}",
            "the value is suppressed (the report shows '..')",
        ),
        ("{{ project.esf_grant_sek }}", "the value does not exist (null"),
        ("{{ targets.wos_12m }}", "this is a group of values, not one value (there: n, value, ci, threshold)"),
        ("{{ targets.wos_12m.value | procent }}", "unknown filter 'procent'"),
    ],
)
def test_a_reference_that_cannot_be_resolved_names_file_line_and_reference(line, problem):
    with pytest.raises(TextError) as err:
        _render(f"# Rubrik\n\nFörsta stycket.\n\nText {line} här.\n")
    message = str(err.value)
    assert message.startswith(f"demo/text/bakgrund.md, line 5: {line}: ")
    assert problem in message
    assert "; " in message.split(problem, 1)[1]  # followed by what to do


def test_a_path_that_vanished_after_a_data_change_is_an_error_not_a_blank():
    text = "Inom 12 månader: {{ outcomes.work_or_study.12.among_all.share }}.\n"
    assert f"60,0{NBSP}%" in _render(text)
    changed = copy.deepcopy(RESULTS)
    del changed["outcomes"]["work_or_study"]["rows"]["12"]  # fewer months of data: no 12-month row any more
    changed["outcomes"]["work_or_study"]["order"] = []
    with pytest.raises(TextError, match=r"line 1: .*results.json has no '12' under 'outcomes.work_or_study'"):
        _render(text, results=changed)
    with pytest.raises(TextError, match=r"results.json, which does not exist yet"):
        render_point(text, point="analysis", where="t.md", results=None, lang="sv")


# ---------------------------------------------------------------------------------- placement and merge
def _project(tmp_path: Path, files: dict[str, str], report: str = "") -> object:
    folder = tmp_path / "demo"
    (folder / "text").mkdir(parents=True)
    (folder / "project.yml").write_text(
        "name: Demo\nowner: Ägaren\nperiod: {start: 2024-01-01, end: 2024-12-31}\n"
        "files: {participants: {path: deltagare.csv}}\n" + report,
        encoding="utf-8",
    )
    for name, text in files.items():
        (folder / "text" / name).write_text(text, encoding="utf-8")
    return load_project(folder)


def test_points_go_to_their_declared_places_and_a_missing_file_leaves_its_point_out(tmp_path):
    proj = _project(
        tmp_path,
        {"slutsatser.md": "Slutsats.", "bakgrund.md": "Bakgrund.", "egen_metod.md": "Metod."},
        "report: {text: {method: egen_metod.md}}\n",
    )
    assert set(rendered_points(proj, RESULTS, "sv")) == {"background", "method", "conclusions"}
    cells = text_cells(proj, RESULTS, "sv")
    assert [c.id for c in cells[("after", "summary")]] == ["text-background", "text-method"]
    assert [c.id for c in cells[("before", "appendix")]] == ["text-conclusions"]
    notebooks = []
    for stem in ("00_summary", "01_clean", "02_participants", "99_appendix"):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<h1>{stem}</h1>"})]
        nb.cells = [cell]
        nbformat.write(nb, tmp_path / f"{stem}.ipynb")
        notebooks.append(tmp_path / f"{stem}.ipynb")
    inserts = {(w, {"summary": "00_summary", "appendix": "99_appendix"}[s]): c for (w, s), c in cells.items()}
    merged = merge_notebooks(notebooks, "sv", "Demo", inserts)
    shown = ["".join(c.outputs[0]["data"]["text/html"]).split("</h1>")[0].split(">")[-1] for c in merged.cells]
    assert shown == [
        "00_summary",
        "Bakgrund",
        "Metod och material",
        "01_clean",
        "02_participants",
        "Slutsatser",
        "99_appendix",
    ]


def test_the_placement_table_names_every_point_once_at_a_step_of_the_report():
    from analysis.pipeline.steps import STEPS

    assert [p.name for p in POINTS] == list(TEXT_FILES)
    report_steps = {s.name for s in STEPS.report_order}
    assert all(p.step in report_steps and p.where in ("before", "after") for p in POINTS)


# ------------------------------------------------------------------------------------------- metadata
def test_report_metadata_is_validated_with_a_clear_message():
    assert ReportMeta.model_validate({"type": "delrapport", "number": 2, "version": 1.0}).version == "1.0"
    base = {
        "name": "D",
        "owner": "O",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "files": {"participants": {"path": "a.csv"}},
    }
    for report, message in [
        ({"type": "slutrapprt"}, "unknown report type 'slutrapprt'; did you mean 'slutrapport'?"),
        ({"type": "delrapport"}, "type: delrapport needs its number"),
        ({"type": "slutrapport", "number": 3}, "number is the number of a delrapport"),
        ({"text": {"bakgrund": "b.md"}}, "unknown point 'bakgrund'"),
        ({"text": {"background": "../b.md"}}, "must be the name of a .md file in the text/ folder"),
        ({"authour": ["A"]}, "authour"),
    ]:
        with pytest.raises(ConfigError) as err:
            parse_config({**base, "report": report}, Path("project.yml"))
        assert message in str(err.value) and "report" in str(err.value)


def test_the_title_page_and_the_index_show_the_report_metadata(tmp_path):
    from analysis.report.index import index_html, index_rows
    from analysis.report.summary import title_page_html

    report = (
        "report:\n  authors: [Anna A, Bo B]\n  organisation: Utvärdering AB\n  type: delrapport\n  number: 2\n"
        "  date: 2025-05-31\n  version: '1.1'\n"
    )
    proj = _project(tmp_path, {}, report)
    sv = title_page_html(proj.config, dt.date(2024, 12, 31), "sv")
    for text in (
        "Rapport",
        "Delrapport 2",
        "Datum",
        "2025\u201405\u201431",
        "Version",
        "1.1",
        "Författare",
        "Anna A och Bo B",
        "Utvärderare",
        "Utvärdering AB",
    ):
        assert text.replace("\u2014", "-") in sv.replace("\u2060", ""), text
    en = title_page_html(proj.config, dt.date(2024, 12, 31), "en").replace("\u2060", "")
    assert "Interim report 2" in en and "Anna A and Bo B" in en and "Authors" in en
    root = tmp_path / "root"
    (root / "data" / "raw").mkdir(parents=True)
    proj.raw_dir.rename(root / "data" / "raw" / "demo")
    page = index_html(index_rows(root, ["demo"], "sv"), "sv")
    assert "Delrapport 2, 2025-05-31" in page.replace("\u2060", "")


# ------------------------------------------------------------------------------------ new and check
def test_foljeval_new_writes_the_text_files_with_guidance_that_renders_to_nothing(tmp_path):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    result = CliRunner().invoke(app, ["new", "demo-x", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "data" / "raw" / "demo-x"
    assert sorted(p.name for p in (folder / "text").iterdir()) == sorted(TEXT_FILES.values())
    for name in TEXT_FILES.values():
        text = (folder / "text" / name).read_text(encoding="utf-8")
        assert text.startswith("<!--") and "(sv)" in text and "(en)" in text
    proj = load_project(folder)
    assert proj.config.report == ReportMeta()
    assert rendered_points(proj, None, "sv") == {}  # guidance only: no section yet


def test_foljeval_check_checks_the_references_against_the_last_results(mini_project, monkeypatch):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    folder, _ = mini_project
    root = folder.parents[2]
    (folder / "text").mkdir()
    (folder / "text" / "analys.md").write_text("Rad ett.\nDeltagare: {{ participants.flow.enroled.count }}\n", "utf-8")
    monkeypatch.setenv("FOLJEVAL_KEY", "a" * 64)
    runner = CliRunner()
    first = runner.invoke(app, ["check", folder.name, "--root", str(root)])
    assert "references {{ ... }} in text/ are checked once a report has been built" in first.output
    reports = root / "reports" / folder.name
    reports.mkdir(parents=True)
    (reports / "results.json").write_text(json.dumps(RESULTS), encoding="utf-8")
    second = runner.invoke(app, ["check", folder.name, "--root", str(root)])
    assert second.exit_code == 1
    out = " ".join(second.output.split())
    assert f"{folder.name}/text/analys.md, line 2: {{{{ participants.flow.enroled.count }}}}" in out
    assert "has no 'enroled'" in out and "Traceback" not in out


def test_the_other_languages_report_uses_a_translation_or_marks_the_original_with_its_language(tmp_path):
    proj = _project(tmp_path, {"bakgrund.md": "# Bakgrund\n\nProjektet startade.", "slutsatser.md": "Det gick bra."})
    (proj.raw_dir / "text" / "en").mkdir()
    (proj.raw_dir / "text" / "en" / "bakgrund.md").write_text("# Background\n\nThe project began.", encoding="utf-8")
    en = rendered_points(proj, RESULTS, "en")
    assert "The project began." in en["background"] and 'lang="sv"' not in en["background"]
    # no translation of the conclusions: the Swedish text, its language on the element, a note in English
    c = en["conclusions"]
    assert c.startswith('<div lang="sv">') and "Det gick bra." in c
    assert 'lang="en">The evaluator wrote this section in Swedish' in c
    assert c.index("</h1>") < c.index("The evaluator wrote")  # the note under the heading
    sv = rendered_points(proj, RESULTS, "sv")  # the report in the texts' own language is unchanged
    assert "Projektet startade." in sv["background"] and "lang=" not in sv["conclusions"]
