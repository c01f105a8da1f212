"""The written report.html and the written results.json of every example show the same numbers.

Each example is built once per test run (tests/example_reports.py); the check reads
the files as written, not the objects that made them (see tests/page_check.py). It
is shown to fail on a page whose number was changed and on a pointer that leads
nowhere.
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from example_reports import EXAMPLES, built_examples
from page_check import cell_problem, page_problems, read_number

PAGE = """<html lang="sv"><body>
<table class="fe-table" data-results="/s/t"><tbody>
<tr><th>a</th><td data-results="/s/t/rows/a/count">3\u00a0000</td><td data-results="/s/t/rows/a/share">45,7</td>
<td data-results="/s/t/rows/a/ci">40,1\u00a0–\u00a051,2</td></tr>
<tr><th>b</th><td data-results="/s/t/rows/b/count">&lt;5</td><td data-results="/s/t/rows/b/share">..</td>
<td data-results="/s/t/rows/b/ci">..</td></tr>
</tbody></table>
<span class="fe-value" data-results="/s/x">−0,6</span>
</body></html>"""


def _results():
    cols = [
        {"key": "count", "kind": "count"},
        {"key": "share", "kind": "share", "digits": 1},
        {"key": "ci", "kind": "interval", "of": "share", "digits": 1},
    ]
    rows = {
        "a": {"count": 3000, "share": 0.4567, "ci": [0.401, 0.512]},
        "b": {"count": None, "share": None, "ci": None, "shown": {"count": "<5", "share": "..", "ci": ".."}},
    }
    table = {"rows_are": None, "groups_are": None, "keys_are": None, "min_cell": 5, "columns": cols}
    return {"s": {"t": {**table, "order": ["a", "b"], "rows": rows}, "x": -0.0061}}


def test_the_check_passes_a_page_that_agrees():
    problems, checked = page_problems(PAGE, _results())
    assert problems == [] and checked == 7


@pytest.mark.parametrize(
    "broken",
    [
        PAGE.replace("45,7", "45,8"),  # a number that differs
        PAGE.replace("3\u00a0000", "3\u00a0001"),
        PAGE.replace(">&lt;5<", ">3<"),  # a hidden count shown
        PAGE.replace("/s/t/rows/a/share", "/s/t/rows/a/nothing"),  # a pointer that leads nowhere
        PAGE.replace("−0,6", "0,6"),  # the sign lost
        PAGE.replace('data-results="/s/t/rows/b/ci"', ""),  # a value cell without a pointer
    ],
)
def test_the_check_fails_on_a_broken_page(broken):
    problems, _ = page_problems(broken, _results())
    assert problems


def test_reading_numbers_as_written():
    assert read_number("12\u00a0345,6", "sv") == (12345.6, 1)
    assert read_number("12,345.6", "en") == (12345.6, 1)
    assert read_number("\u22120,6", "sv") == (-0.6, 1)
    assert cell_problem("< 0,001", 0.0002, None, "p", None, "sv") is None
    assert cell_problem("0,023", 0.0231, None, "p", None, "sv") is None
    assert cell_problem("80 (70\u00a0–\u00a090)", [0.8, 0.7, 0.9], None, "estimate", "share", "sv") is None
    assert cell_problem("80 (70\u00a0–\u00a091)", [0.8, 0.7, 0.9], None, "estimate", "share", "sv")


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return built_examples(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("project", EXAMPLES)
def test_every_published_cell_is_the_same_on_the_page_and_in_results_json(examples, project):
    root, status = examples
    assert status[project]["ok"], status[project]["message"]
    folder = root / "reports" / project
    html = (folder / "report.html").read_text(encoding="utf-8")
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    problems, checked = page_problems(html, results)
    assert problems == []
    assert checked > 200, "too few cells carry a pointer: the check is not looking at the tables"
    # the tables without a pointer hold no result: the title page's facts, the run parameters, the software
    # (and the evaluator's own tables in the text sections, which are not computed)
    soup = BeautifulSoup(html, "html.parser")
    # (the change since the previous delivery quotes two results.json files, each checked in its own delivery)
    skip = {"fe-text-table", "fe-change-table"}
    tables = [t for t in soup.find_all("table") if not skip & set(t.get("class") or [])]
    assert len([t for t in tables if not t.get("data-results")]) <= 3
