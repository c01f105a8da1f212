"""WCAG 2.1 AA checks of every example report and the index in Chromium, in one browser session.

axe-core itself runs in tests/test_axe.py; the rules of tests/access_check.py are kept beside it
(they were written before axe was installed and check the figures' names as well): language, title, duplicate ids,
ARIA references, one h1, heading order, table headers, named SVG images, image and link
names, one main landmark, text contrast. The first test shows that each rule fires on a page
that breaks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from access_check import PAGE_CHECK_JS
from conftest import CHROMIUM
from example_reports import EXAMPLES, built_examples

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).is_file():
    pytest.skip("browser test skipped: Debian's chromium is not installed", allow_module_level=True)

BROKEN = """<!DOCTYPE html><html><head><title> </title></head><body>
<h1>A</h1><h3>skipped a level</h3><h1>second h1</h1>
<p style="color:#999">pale text</p><p id="x">one</p><p id="x">two</p>
<table><tr><td>1</td></tr></table>
<figure><svg width="10" height="10"><rect width="5" height="5"/></svg></figure>
<figure><svg role="img" aria-labelledby="nowhere"><rect width="5" height="5"/></svg></figure>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><a href="#x"></a></body></html>"""


def problems(browser, path: Path) -> list[str]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        return page.evaluate(PAGE_CHECK_JS)
    finally:
        page.close()


def test_every_rule_fires_on_a_broken_page(browser, tmp_path):
    (tmp_path / "broken.html").write_text(BROKEN, encoding="utf-8")
    found = {p.split(":")[0] for p in problems(browser, tmp_path / "broken.html")}
    assert found == {
        "html-has-lang",
        "document-title",
        "duplicate-id",
        "aria-ref",
        "page-has-one-h1",
        "heading-order",
        "table-header",
        "svg-img-alt",
        "image-alt",
        "link-name",
        "landmark-main",
        "color-contrast",
    }


def test_every_example_report_and_the_index_pass(browser, tmp_path_factory):
    root, status = built_examples(tmp_path_factory)
    pages = [root / "reports" / p / "report.html" for p in EXAMPLES if status[p]["ok"]]
    assert len(pages) == len(EXAMPLES), status
    found = {p.relative_to(root).as_posix(): problems(browser, p) for p in [*pages, root / "reports" / "index.html"]}
    assert {k: v for k, v in found.items() if v} == {}


NARROW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const cells = [...document.querySelectorAll('.fe-index-table td')];
  const outside = cells.filter(td => { const r = td.getBoundingClientRect(); return r.left < 0 || r.right > width + 0.5; });
  return {scroll: document.scrollingElement.scrollWidth, width, cells: cells.length,
          outside: outside.map(td => td.getAttribute('data-label') + ': ' + td.textContent.trim().slice(0, 30))};
}
"""


def test_the_index_is_readable_on_a_phone(browser, tmp_path_factory):
    from conftest import ROOT

    root, _ = built_examples(tmp_path_factory)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((root / "reports" / "index.html").as_uri(), wait_until="load")
    shots = ROOT / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "example-index-390.png"), full_page=True)
    found = page.evaluate(NARROW_JS)
    page.close()
    assert found["cells"] >= 9 * len(EXAMPLES)
    assert found["scroll"] <= found["width"] and found["outside"] == [], found


def test_the_phone_check_finds_a_wide_index(browser, tmp_path):
    wide = '<table class="fe-index-table" style="display:table"><tr>' + "<td>123456789</td>" * 12 + "</tr></table>"
    (tmp_path / "wide.html").write_text(f"<html><body>{wide}</body></html>", encoding="utf-8")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((tmp_path / "wide.html").as_uri())
    found = page.evaluate(NARROW_JS)
    page.close()
    assert found["scroll"] > found["width"] and found["outside"]
