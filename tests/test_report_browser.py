"""Open built reports in Debian's headless Chromium (Playwright, no browser download).

Checks: no console errors, no request outside file://, every image loads, every
TOC link resolves to a heading, tables and SVG figures render. Screenshots are
saved under test-artifacts/screenshots/. Runs on the mini report built by
report_fixtures and on the five example reports and their index, built once per
test run by tests/example_reports.py (so CI always opens them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CHROMIUM, ROOT
from example_reports import EXAMPLES, built_examples
from report_fixtures import built_twice

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).is_file():
        return (
            "browser test skipped: Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser test skipped: the playwright package is not installed"
    return None


if _skip_reason():
    pytest.skip(_skip_reason(), allow_module_level=True)


@pytest.fixture(scope="module")
def mini_report(tmp_path_factory):
    root, _, runs = built_twice(tmp_path_factory.getbasetemp() / "report-build")
    assert runs[0].ok, runs[0].message
    return root


def open_page(browser, path: Path, shot: str, width: int = 1280):
    """Load ``path`` and return (page, console errors, requests that are not file://)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=False)
    return page, errors, foreign


# Every word and every number of a table cell laid out on one line: a range over each token
# (a run of non-spaces; a number keeps its non-breaking spaces) must have all its boxes on one line.
BROKEN_TOKENS_JS = """
() => {
  const bad = [];
  const cells = document.querySelectorAll('table th, table td');
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /[^ \\t\\n]+/g;
      let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
        if (tops.size > 1) bad.push(m[0]);
      }
    }
    if (bad.length > 20) break;
  }
  const wrapping = [...document.querySelectorAll('table.fe-table td:not(.fe-text)')]
    .filter(td => getComputedStyle(td).whiteSpace !== 'nowrap').length;
  return {bad, wrapping};
}
"""


def broken_tokens(page) -> dict:
    """{"bad": tokens split over lines, "wrapping": number cells whose style lets them wrap}."""
    return page.evaluate(BROKEN_TOKENS_JS)


def test_the_line_break_check_finds_a_shredded_table(browser, tmp_path):
    shredded = tmp_path / "shredded.html"
    shredded.write_text(
        '<html><body style="width:390px"><table class="fe-table" style="width:120px"><tr>'
        '<th style="overflow-wrap:anywhere;width:30px">Kvinna</th>'
        '<td style="overflow-wrap:anywhere;width:20px;white-space:normal">2433\u00a065</td>'
        "<td>85,6</td></tr></table></body></html>",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(shredded.as_uri())
    found = broken_tokens(page)
    page.close()
    assert found["bad"] and found["wrapping"] >= 1


def check_report(browser, path: Path, shot: str, expect_figures: bool = True) -> None:
    page, errors, foreign = open_page(browser, path, shot)
    assert errors == [] and foreign == []
    links = page.eval_on_selector_all("#fe-toc a", "els => els.map(e => e.getAttribute('href'))")
    assert links, "the table of contents is empty"
    for href in links:
        assert href.startswith("#")
        tag = page.eval_on_selector(f"[id='{href[1:]}']", "e => e.tagName")
        assert tag in ("H2", "H3"), href  # the sections and their parts (the one h1 is the title)
    # a TOC click scrolls to the heading
    page.click(f"#fe-toc a[href='{links[-1]}']")
    assert page.evaluate(f"Math.abs(document.getElementById('{links[-1][1:]}').getBoundingClientRect().top) < 50")
    assert page.evaluate("document.querySelectorAll('table').length") > 2
    broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0
    if expect_figures:
        size = page.evaluate(
            "(() => { const s = document.querySelector('figure.fe-figure svg');"
            " const r = s.getBoundingClientRect(); return [r.width, r.height]; })()"
        )
        assert size[0] > 100 and size[1] > 50
    # no code, no prompts, no tracebacks
    text = page.inner_text("main")
    for absent in ("Traceback", "In [", "from analysis", "setup(project"):
        assert absent not in text
    # no number or word of a table is broken over two lines, at 1280 px and on a phone (390 px)
    assert broken_tokens(page) == {"bad": [], "wrapping": 0}
    # tables do not overflow the page on a phone
    page.set_viewport_size({"width": 390, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert broken_tokens(page) == {"bad": [], "wrapping": 0}
    page.screenshot(path=str(ARTIFACTS / f"{shot}-phone.png"))
    page.close()


def test_mini_report_in_chromium(browser, mini_report):
    check_report(browser, mini_report / "reports" / "mini" / "report.html", "mini-report")


def test_mini_index_in_chromium(browser, mini_report):
    page, errors, foreign = open_page(browser, mini_report / "reports" / "index.html", "mini-index")
    assert errors == [] and foreign == []
    href = page.get_attribute("a[href$='report.html']", "href")
    assert href == "mini/report.html"
    page.click("a[href$='report.html']")
    assert page.url.endswith("/reports/mini/report.html")
    page.close()


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    root, status = built_examples(tmp_path_factory)
    return root, status


@pytest.mark.parametrize("project", EXAMPLES)
def test_example_report_in_chromium(browser, examples, project):
    root, status = examples
    assert status[project]["ok"], status[project]["message"]
    check_report(browser, root / "reports" / project / "report.html", f"example-{project}")


def test_example_index_in_chromium(browser, examples):
    root, _ = examples
    index = root / "reports" / "index.html"
    page, errors, foreign = open_page(browser, index, "example-index")
    assert errors == [] and foreign == []
    # one link per project in the portfolio table (the trend section links each delivery's report besides)
    table = "table.fe-index-table a[href$='report.html']"
    hrefs = page.eval_on_selector_all(table, "els => els.map(e => e.getAttribute('href'))")
    assert len(hrefs) == len(EXAMPLES)
    every = page.eval_on_selector_all("a[href$='report.html']", "els => els.map(e => e.getAttribute('href'))")
    for href in every:
        assert (index.parent / href).is_file(), href
    page.close()
