"""axe-core (bundled by ``axe-playwright-python``) on a report page: every WCAG 2.x A/AA rule, nothing excluded.

Used by tests/test_axe.py and runnable by hand on a built ``reports/`` folder::

    PYTHONPATH=src python tests/axe_run.py reports

prints the violations per page and impact (serious and critical are what the test refuses).
"""

from __future__ import annotations

import sys
from pathlib import Path

# The WCAG 2.0 and 2.1 levels A and AA; best-practice rules are not WCAG and stay off.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
REFUSED = ("serious", "critical")


def violations(browser, path: Path, width: int = 1280) -> list[dict]:
    """axe's violations on the page at ``path``: one dict per rule (id, impact, nodes with their targets)."""
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        result = Axe().run(page, context=None, options=OPTIONS)  # no context: the whole document, nothing excluded
        return list(result.response["violations"])
    finally:
        page.close()


def refused(found: list[dict], page: str) -> list[str]:
    """One line per element that breaks a serious or critical rule: page, rule id, impact and target."""
    return [
        f"{page}: {v['id']} ({v['impact']}) at {' '.join(map(str, node['target']))}"
        for v in found
        if v["impact"] in REFUSED
        for node in v["nodes"]
    ]


def pages_of(reports: Path) -> list[Path]:
    """Every report page under a built ``reports/`` folder (both languages) and its index."""
    return [*sorted(reports.glob("*/report*.html")), reports / "index.html"]


def _main(reports: Path) -> int:
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM

    total = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for path in pages_of(reports):
            found = violations(browser, path)
            counts: dict[str, int] = {}
            for v in found:
                counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
            print(path.relative_to(reports).as_posix(), counts or "0")
            for line in refused(found, path.relative_to(reports).as_posix()):
                print("   ", line)
            total += sum(n for k, n in counts.items() if k in REFUSED)
        browser.close()
    return 1 if total else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(_main(Path(sys.argv[1] if len(sys.argv) > 1 else "reports")))
