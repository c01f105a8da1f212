"""Every bundled example report is disclosure-safe.

1. No visible count of persons below ``min_cell``: the publication scan over
   everything under ``reports/<project>/`` (personnummer, small counts in
   ``results.json``) finds nothing, and every count column of every HTML table
   (headed "Antal"/"N" or "<group>: Antal") shows 0, a number >= min_cell, a marker
   (``<5``, ``..``) or nothing.
2. No suppressed cell can be recovered from what is published. For every published
   table with hidden cells, the reader's knowledge is written as a linear programme:
   every shown count is fixed; ``<5`` means 1..4, ``..`` (a complementary cell) means
   at least 5; every published additive relation holds (each column sums to its N,
   each category sums across groups to its total, the participant flow's
   referred = enrolled + not enrolled = active + exited + not enrolled, a survey
   item's answers sum to N and its agreeing answers to the published number
   agreeing). ``scipy.optimize.linprog`` then gives the smallest and largest value
   each hidden cell can take. A cell is *recovered* when the two are equal (the
   integrality of counts is relaxed, which can only widen the range, so a cell
   found to be undetermined here could in rare cases still be pinned by integer
   reasoning; none of the checked tables has a range narrower than 2).
   The check itself is tested on a table where a single hidden cell is pinned by
   its row total.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.optimize import linprog

from example_reports import EXAMPLES, built_examples

pytestmark = pytest.mark.slow  # builds reports (runs the notebooks); not in `make test-fast`


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    root, status = built_examples(tmp_path_factory)
    return root, status


# --------------------------------------------------------------------------- the reader's linear programme
class Reader:
    """Unknown cells, what their markers say, and the additive relations a reader can use."""

    def __init__(self, min_cell: int):
        self.min_cell = min_cell
        self.bounds: list[tuple[float, float | None]] = []
        self.names: list[str] = []
        self.lines: list[tuple[dict[int, float], float]] = []  # ({var: coef}, rhs)

    def cell(self, name: str, value, shown: str | None):
        """A published cell: a number (known) or a hidden one (a variable); returns ('k', v) or ('v', index)."""
        if value is not None:
            return ("k", float(value))
        text = (shown or "").strip()
        if re.fullmatch(r"\d+", text):
            return ("k", float(text))
        if text.startswith("<"):
            bound = (1.0, float(int(text[1:]) - 1))
        elif text == "..":
            bound = (float(self.min_cell), None)
        else:
            bound = (0.0, None)
        self.bounds.append(bound)
        self.names.append(name)
        return ("v", len(self.bounds) - 1)

    def relation(self, parts: list, total) -> None:
        """sum(parts) == total, each a cell from :meth:`cell`."""
        coefs: dict[int, float] = {}
        rhs = 0.0
        for kind, x in parts:
            if kind == "k":
                rhs -= x
            else:
                coefs[x] = coefs.get(x, 0.0) + 1.0
        kind, x = total
        if kind == "k":
            rhs += x
        else:
            coefs[x] = coefs.get(x, 0.0) - 1.0
        if coefs:
            self.lines.append((coefs, rhs))
        else:
            assert abs(rhs) < 1e-9, (
                "a fully published relation does not add up: the table is not what the check assumes"
            )

    def ranges(self) -> list[tuple[str, float, float]]:
        n = len(self.bounds)
        if n == 0:
            return []
        A = np.zeros((len(self.lines), n))
        b = np.zeros(len(self.lines))
        for i, (coefs, rhs) in enumerate(self.lines):
            for j, c in coefs.items():
                A[i, j] = c
            b[i] = rhs
        out = []
        for j in range(n):
            c = np.zeros(n)
            c[j] = 1.0
            lo = linprog(c, A_eq=A if len(b) else None, b_eq=b if len(b) else None, bounds=self.bounds, method="highs")
            hi = linprog(-c, A_eq=A if len(b) else None, b_eq=b if len(b) else None, bounds=self.bounds, method="highs")
            assert lo.status == 0, f"the published values of {self.names[j]} are inconsistent: {lo.message}"
            top = np.inf if hi.status == 3 else -hi.fun
            out.append((self.names[j], lo.fun, top))
        return out


def distribution_reader(table: dict, min_cell: int) -> Reader:
    """A distribution (``groups`` x ``categories``, with N per group and a ``total`` group when split by)."""
    r = Reader(min_cell)
    cells: dict[tuple[str, str], tuple] = {}
    ns: dict[str, tuple] = {}
    for g in table["groups"]:
        name = g["group"]
        ns[name] = r.cell(f"{name}: N", g["n"], g.get("n_shown"))
        for c in g["categories"]:
            cells[(name, c["category"])] = r.cell(f"{name}: {c['category']}", c["count"], c.get("shown"))
        r.relation([cells[(name, c["category"])] for c in g["categories"]], ns[name])
    groups = [g["group"] for g in table["groups"]]
    if table.get("by") and "total" in groups:
        parts = [g for g in groups if g != "total"]
        categories = [c["category"] for c in table["groups"][0]["categories"]]
        for cat in categories:
            r.relation([cells[(g, cat)] for g in parts], cells[("total", cat)])
        r.relation([ns[g] for g in parts], ns["total"])
    return r


def distributions(node, path=""):
    """Every distribution table in a results.json tree, with its path."""
    if isinstance(node, dict):
        if isinstance(node.get("groups"), list) and node["groups"] and "categories" in node["groups"][0]:
            yield path, node
        for k, v in node.items():
            yield from distributions(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from distributions(v, f"{path}[{i}]")


def recovered(reader: Reader) -> list[str]:
    return [f"{name} is pinned to {lo:g}" for name, lo, hi in reader.ranges() if hi - lo < 1e-6]


# --------------------------------------------------------------------------- the check can fail
def test_the_check_finds_a_cell_pinned_by_its_total():
    table = {
        "by": None,
        "groups": [
            {
                "group": "all",
                "n": 40,
                "n_suppressed": False,
                "categories": [
                    {"category": "a", "count": 30, "suppressed": False},
                    {"category": "b", "count": None, "suppressed": True, "shown": "<5"},
                    {"category": "c", "count": 7, "suppressed": False},
                ],
            }
        ],
    }
    assert recovered(distribution_reader(table, 5)) == ["all: b is pinned to 3"]
    # with a complementary cell the same table is safe
    table["groups"][0]["categories"][2].update(count=None, suppressed=True, shown="..")
    assert recovered(distribution_reader(table, 5)) == []


def test_the_check_uses_cross_group_totals():
    """Hidden in one group, but the category's total and the other group are shown: pinned."""
    table = {
        "by": "gender",
        "groups": [
            {
                "group": "f",
                "n": 20,
                "categories": [
                    {"category": "a", "count": None, "shown": "<5"},
                    {"category": "b", "count": None, "shown": ".."},
                ],
            },
            {
                "group": "m",
                "n": 20,
                "categories": [
                    {"category": "a", "count": 10, "shown": None},
                    {"category": "b", "count": 10, "shown": None},
                ],
            },
            {
                "group": "total",
                "n": 40,
                "categories": [
                    {"category": "a", "count": 12, "shown": None},
                    {"category": "b", "count": 28, "shown": None},
                ],
            },
        ],
    }
    assert sorted(recovered(distribution_reader(table, 5))) == ["f: a is pinned to 2", "f: b is pinned to 18"]


# --------------------------------------------------------------------------- the example reports
def test_every_example_report_built(examples):
    _, status = examples
    assert set(status) == set(EXAMPLES)
    failed = {p: s["message"] for p, s in status.items() if not s["ok"]}
    assert not failed


@pytest.mark.parametrize("project", EXAMPLES)
def test_publication_scan_finds_nothing(examples, project):
    from analysis.project.config import load_project
    from analysis.report.scan import scan_report

    root, _ = examples
    min_cell = load_project(root / "data" / "raw" / project).config.min_cell
    assert scan_report(root / "reports" / project, min_cell) == []


@pytest.mark.parametrize("project", EXAMPLES)
def test_no_small_count_in_any_html_table(examples, project):
    from bs4 import BeautifulSoup

    from analysis.project.config import load_project
    from analysis.report.i18n import t

    root, _ = examples
    config = load_project(root / "data" / "raw" / project).config
    count_headers = {t("n", "sv"), t("n", "en")}
    soup = BeautifulSoup((root / "reports" / project / "report.html").read_text(encoding="utf-8"), "html.parser")
    checked, bad = 0, []
    for i, table in enumerate(soup.find_all("table")):
        rows = [[c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        if not rows:
            continue
        header = rows[0]
        count_cols = [j for j, h in enumerate(header) if h in count_headers or h.split(": ")[-1] in count_headers]
        for row in rows[1:]:
            for j in count_cols:
                if j >= len(row):
                    continue
                text = row[j].replace("\u00a0", "").replace(" ", "")
                checked += 1
                if re.fullmatch(r"\d+", text) and 0 < int(text) < config.min_cell:
                    bad.append(f"table {i + 1}, row '{row[0]}', column '{header[j]}': {text}")
    assert checked > 20, "no count columns found: the check is not looking at the tables"
    assert bad == []


@pytest.mark.parametrize("project", EXAMPLES)
def test_no_suppressed_cell_can_be_recovered(examples, project):
    from analysis.project.config import load_project

    root, _ = examples
    config = load_project(root / "data" / "raw" / project).config
    results = json.loads((root / "reports" / project / "results.json").read_text(encoding="utf-8"))
    problems = []
    for path, table in distributions(results):
        reader = distribution_reader(table, config.min_cell)
        problems += [f"{path}: {p}" for p in recovered(reader)]
    # the participant flow: referred = enrolled + not enrolled; enrolled = active + exited
    flow = results["participants"]["flow"]
    r = Reader(config.min_cell)
    cell = {
        k: r.cell(k, flow[k], flow.get("shown", {}).get(k))
        for k in ("referred", "enrolled", "not_enrolled", "active", "exited")
    }
    r.relation([cell["enrolled"], cell["not_enrolled"]], cell["referred"])
    r.relation([cell["active"], cell["exited"]], cell["enrolled"])
    problems += [f"participants/flow: {p}" for p in recovered(r)]
    # survey items: answers sum to N, agreeing answers to the published number agreeing
    scales = {i.id: config.survey.scales[i.scale] for i in config.survey.items} if config.survey else {}
    for item in (results.get("survey") or {}).get("items", []):
        r = Reader(config.min_cell)
        answers = {
            a["value"]: r.cell(f"{item['item']}/{item['wave']}: {a['value']}", a["count"], a.get("shown"))
            for a in item["distribution"]
        }
        if item["n"] is not None:
            r.relation(list(answers.values()), ("k", item["n"]))
        agree = item.get("agree") or {}
        if agree.get("successes") is not None and item["item"] in scales:
            r.relation(
                [c for v, c in answers.items() if v >= scales[item["item"]].agree_from], ("k", agree["successes"])
            )
        problems += [f"survey: {p}" for p in recovered(r)]
    assert problems == []


def test_the_examples_do_have_suppressed_cells(examples):
    """Otherwise the recovery test above would pass without testing anything."""
    root, _ = examples
    total = 0
    for project in EXAMPLES:
        results = json.loads((root / "reports" / project / "results.json").read_text(encoding="utf-8"))
        total += sum(
            sum(c["count"] is None for g in t["groups"] for c in g["categories"]) for _, t in distributions(results)
        )
    assert total > 50
