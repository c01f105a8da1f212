"""axe-core in Chromium on every example report, in Swedish and in English, and on the index.

Every WCAG 2.0/2.1 A and AA rule is on (best practice off) and no element is excluded; a
violation of impact serious or critical fails with its rule, target and page. The Swedish
pages come from the suite's example build (each project's language, Swedish for all six),
the English ones from its English build (tests/example_reports.py), which makes the same
pages as ``report.en.html``. What axe cannot judge (the text alternatives of the figures,
the contrast of SVG graphics) is checked by tests/access_check.py and test_figure_access.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from axe_run import refused, violations
from conftest import CHROMIUM
from example_reports import EXAMPLES, built_examples, example_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).is_file():
    pytest.skip("browser test skipped: Debian's chromium is not installed", allow_module_level=True)

BROKEN = """<!DOCTYPE html><html lang="sv"><head><title>Trasig</title></head><body><main>
<h1>Rubrik</h1><p style="color:#bbb;background:#fff">blek text</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><a href="#x"></a>
<svg role="img" width="10" height="10"><rect width="5" height="5"/></svg></main></body></html>"""


def test_axe_finds_serious_violations_on_a_broken_page(browser, tmp_path):
    (tmp_path / "broken.html").write_text(BROKEN, encoding="utf-8")
    lines = refused(violations(browser, tmp_path / "broken.html"), "broken.html")
    assert {line.split(": ", 1)[1].split(" ")[0] for line in lines} >= {
        "color-contrast",
        "image-alt",
        "link-name",
        "svg-img-alt",
    }, lines


def _pages(tmp_path_factory, lang: str | None) -> list[tuple[str, Path]]:
    root, status = built_examples(tmp_path_factory)
    assert all(status[p]["ok"] for p in EXAMPLES), status
    pages = [(f"{p}/{example_page(root, p, lang).name}", example_page(root, p, lang)) for p in EXAMPLES]
    return pages if lang else [*pages, ("index.html", root / "reports" / "index.html")]


@pytest.mark.parametrize("lang", [None, "en"])
@pytest.mark.parametrize("width", [1280, 390])  # a desktop and a phone: what scrolls differs
def test_no_serious_or_critical_violation_on_any_example_page(browser, tmp_path_factory, lang, width):
    pages = _pages(tmp_path_factory, lang)
    assert len(pages) == len(EXAMPLES) + (0 if lang else 1) and len({path for _, path in pages}) == len(pages)
    found = [line for name, path in pages for line in refused(violations(browser, path, width), f"{name} {width}px")]
    assert found == [], "\n".join(found)
