"""The reader's acceptance test (issue 17): every example report, in Swedish and in English, read as a board member.

Each written ``report.html`` is read as text and DOM (tests/page_check.py) and fails on:
a Python repr or path; a snake_case identifier in the visible Swedish text outside
``<code>``; a figure with nothing to show beside a table counting >= min_cell persons;
a table of nothing but zeros, dashes and blanks; a count of 1..min_cell-1 persons in a
count column or under a person header (the data-quality tables count file rows and stay
exact); a number that differs from its ``data-results`` node. Each check is first shown
to fail on a page broken on purpose. The line-break check in Chromium is in
tests/test_report_browser.py.
"""

from __future__ import annotations

import json

import pytest

from example_reports import EXAMPLES, built_examples, example_page
from page_check import (
    empty_table_problems,
    figure_problems,
    reader_problems,
    repr_problems,
    small_count_problems,
    snake_case_problems,
)

RESULTS = {
    "project": {"min_cell": 5},
    "s": {
        "t": {
            "rows_are": None,
            "groups_are": None,
            "keys_are": None,
            "min_cell": 5,
            "columns": [{"key": "count", "kind": "count"}, {"key": "share", "kind": "share", "digits": 1}],
            "order": ["a", "b", "total"],
            "rows": {
                "a": {"count": 78, "share": 0.78},
                "b": {"count": 22, "share": 0.22},
                "total": {"count": 100, "share": 1.0},
            },
        }
    },
}
TABLE = (
    '<table class="fe-table" data-results="/s/t"><thead><tr><th></th><th scope="col">Antal</th>'
    '<th scope="col">%</th></tr></thead><tbody>'
    '<tr><th>a</th><td data-results="/s/t/rows/a/count">78</td><td data-results="/s/t/rows/a/share">78,0</td></tr>'
    '<tr><th>b</th><td data-results="/s/t/rows/b/count">22</td><td data-results="/s/t/rows/b/share">22,0</td></tr>'
    '<tr><th>Totalt</th><td data-results="/s/t/rows/total/count">100</td>'
    '<td data-results="/s/t/rows/total/share">100,0</td></tr></tbody></table>'
)
FIGURE = '<figure class="fe-figure"><svg width="10" height="10"></svg><figcaption>Figur 1.</figcaption></figure>'
GOOD = (
    f'<html lang="sv"><body><main><p>Tabellen visar deltagarna. Filen <code>status_monthly</code> saknas.</p>'
    f"{TABLE}{FIGURE}</main></body></html>"
)


def test_a_good_page_passes_every_check():
    assert reader_problems(GOOD, RESULTS) == []


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (GOOD.replace("saknas.</p>", "saknas. PosixPath('/work/x/sections/a.json')</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. &lt;Figure object at 0x7f00&gt;</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. dtype: int64</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. Värde: nan</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. Värde: None</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. Se /home/anna/projekt/report.html</p>"), repr_problems),
        (GOOD.replace("saknas.</p>", "saknas. Se C:\\Users\\anna\\report.html</p>"), repr_problems),
        (GOOD.replace("Tabellen visar deltagarna.", "Spår: newly_arrived."), snake_case_problems),
        (GOOD.replace("<th>a</th>", "<th>age_at_start</th>"), snake_case_problems),
        (GOOD.replace(FIGURE, '<p class="fe-no-data">Inget att visa: alla grupper har färre än 5 personer</p>'), None),
        (GOOD.replace(FIGURE, '<figure class="fe-figure"><figcaption>Figur 1.</figcaption></figure>'), None),
        (
            GOOD.replace(">78<", ">0<")
            .replace(">22<", ">0<")
            .replace(">100<", ">0<")
            .replace(">78,0<", ">–<")
            .replace(">22,0<", ">–<")
            .replace(">100,0<", ">–<"),
            empty_table_problems,
        ),
        (GOOD.replace('<td data-results="/s/t/rows/b/count">22</td>', "<td>3</td>"), None),
    ],
)
def test_each_check_fails_on_a_page_broken_on_purpose(broken, check):
    if check is repr_problems or check is snake_case_problems or check is empty_table_problems:
        assert check(broken), "the check did not see the defect"
    assert reader_problems(broken, RESULTS), "the reader's test did not see the defect"


def test_the_figure_check_and_the_small_count_check_on_their_own():
    nothing = GOOD.replace(FIGURE, '<p class="fe-note">Nothing to show: every group has fewer than 5 persons</p>')
    assert figure_problems(nothing, RESULTS, 5)
    assert not figure_problems(GOOD, RESULTS, 5)
    small = json.loads(json.dumps(RESULTS))
    small["s"]["t"]["rows"]["b"]["count"] = 3
    assert small_count_problems(GOOD.replace(">22<", ">3<"), small, 5)
    # under a person header without a pointer (a table of the appendix)
    loose = '<html lang="sv"><body><table><thead><tr><th>Grupp</th><th>Deltagare</th></tr></thead>'
    loose += "<tbody><tr><th>x</th><td>2</td></tr></tbody></table></body></html>"
    assert small_count_problems(loose, RESULTS, 5)
    # file rows of the data-quality tables are not persons
    rows = loose.replace("<table>", '<table data-results="/cleaning/files">').replace("Deltagare", "Lästa rader")
    assert not small_count_problems(rows, RESULTS, 5)


def test_code_elements_and_english_pages_may_hold_identifiers():
    assert not snake_case_problems(GOOD)  # status_monthly is inside <code>
    assert not snake_case_problems(GOOD.replace('lang="sv"', 'lang="en"').replace("Tabellen", "age_at_start"))
    assert not snake_case_problems(GOOD.replace("Tabellen visar deltagarna.", "Filen deltagare_2019.csv lästes."))


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return built_examples(tmp_path_factory)


def _problems(root, status, project, lang):
    assert status[project]["ok"], status[project]["message"]
    page = example_page(root, project, lang)
    html = page.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    results = json.loads((page.parent / "results.json").read_text(encoding="utf-8"))
    return reader_problems(html, results)


@pytest.mark.slow
@pytest.mark.parametrize("project", EXAMPLES)
def test_a_reader_finds_nothing_wrong_in_the_swedish_report(examples, project):
    assert _problems(*examples, project, "sv") == []


@pytest.mark.slow
@pytest.mark.parametrize("project", EXAMPLES)
def test_a_reader_finds_nothing_wrong_in_the_english_report(examples, project):
    assert _problems(*examples, project, "en") == []
