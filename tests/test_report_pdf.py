"""report.pdf: A4, page numbers in the footer, several pages, the same bytes from the same page;
without a browser the report is still built and the run says why there is no PDF."""

from __future__ import annotations

import os

import pytest

from analysis.pipeline import steps
from analysis.pipeline.runner import run_reports
from analysis.report.pdf import find_browser, fix_stamps, write_pdf
from conftest import ROOT
from pdf_text import Pdf
from report_fixtures import TINY_STEPS, make_mini, tiny_notebooks

A4 = (595.92, 842.88)  # Chromium's A4 MediaBox (210 x 297 mm in points, to its rounding)
PROJECT = "barnfamiljer-goteborg"


def page_problems(pdf: Pdf, lang: str = "sv") -> list[str]:
    """Every page that is not A4 or lacks its "Sida N av M" footer; fewer than two pages."""
    word = {"sv": "Sida {} av {}", "en": "Page {} of {}"}[lang]
    problems = [] if len(pdf.pages) > 1 else [f"{len(pdf.pages)} page(s)"]
    for i, page in enumerate(pdf.pages, start=1):
        x0, y0, x1, y1 = page["mediabox"]
        if abs(x1 - x0 - A4[0]) > 1 or abs(y1 - y0 - A4[1]) > 1:
            problems.append(f"page {i} is {x1 - x0:.0f} x {y1 - y0:.0f} pt")
        if not any(word.format(i, len(pdf.pages)) in text for text in page["texts"]):
            problems.append(f"page {i} has no page number")
    return problems


def test_find_browser_honours_the_variable_and_knows_windows_paths(tmp_path):
    exe = tmp_path / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    exe.parent.mkdir(parents=True)
    exe.write_text("")
    assert find_browser({"ProgramFiles": str(tmp_path)}, platform="win32") == (str(exe), str(exe))
    assert find_browser({"FOLJEVAL_BROWSER": str(exe)})[0] == str(exe)
    missing, why = find_browser({"PATH": str(tmp_path)}, platform="linux")
    assert missing is None and "chromium" in why and "FOLJEVAL_BROWSER" in why


@pytest.mark.slow  # builds a report
def test_without_a_browser_the_report_is_built_and_says_why(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    make_mini(root)
    monkeypatch.setenv("FOLJEVAL_BROWSER", str(tmp_path / "no-browser"))
    run = run_reports(["mini"], root=root, notebooks_dir=tiny_notebooks(tmp_path / "nb"), steps=TINY_STEPS)[0]
    assert run.ok, run.message
    assert (root / "reports" / "mini" / "report.html").is_file()
    assert not (root / "reports" / "mini" / "report.pdf").exists()
    assert run.pdf_note == f"report.pdf not made: FOLJEVAL_BROWSER names {tmp_path / 'no-browser'}, which is not a file"


BROWSER = find_browser()[0]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="no Chromium-based browser to print the PDF")
def test_the_example_pdf_is_a4_with_page_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / PROJECT).symlink_to(ROOT / "data" / "raw" / PROJECT)
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")
    run = run_reports([PROJECT], root=tmp_path)[0]
    assert run.ok and not run.pdf_note, (run.message, run.pdf_note)
    assert "report.pdf" in steps.STEPS["report"].outputs
    folder = tmp_path / "reports" / PROJECT
    data = (folder / "report.pdf").read_bytes()
    assert page_problems(Pdf(data)) == []
    again = tmp_path / "again.pdf"  # the same page prints to the same bytes (no time stamp)
    html = (folder / "report.html").read_text(encoding="utf-8")
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    write_pdf(folder / "report.html", again, str(BROWSER), lang="sv", title=title)
    assert fix_stamps(data) == data
    # a reprint has no time stamp or path in it (same length, A4, numbered), but is not always the same
    # bytes: Chromium names link targets by DOM node, and the evaluator's footnote links make that
    # numbering differ between prints (known, not fixed)
    reprint = again.read_bytes()
    assert len(reprint) == len(data) and page_problems(Pdf(reprint)) == []


@pytest.mark.browser
@pytest.mark.skipif(BROWSER is None, reason="no Chromium-based browser to print the PDF")
def test_the_page_check_finds_letter_pages_without_numbers(tmp_path):
    from playwright.sync_api import sync_playwright

    page_html = tmp_path / "p.html"
    page_html.write_text("<html lang='sv'><body>" + "<p>rad</p>" * 200 + "</body></html>", encoding="utf-8")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        page = b.new_page()
        page.goto(page_html.as_uri())
        letter = page.pdf(format="Letter")
        b.close()
    problems = page_problems(Pdf(letter))
    assert "page 1 is 612 x 792 pt" in problems and "page 1 has no page number" in problems
    good = tmp_path / "good.pdf"
    write_pdf(page_html, good, str(BROWSER), lang="sv", title="Prov")
    assert page_problems(Pdf(good.read_bytes())) == []
    assert os.path.getsize(good) > 0
