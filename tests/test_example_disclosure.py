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
   agreeing, the persons each effect estimator used plus those it left out equal the
   participants of the outcome, and those outside the common support plus the persons
   the weighting used equal them too, a person file's rows read equal kept plus
   rejected). ``scipy.optimize.linprog`` then gives the smallest and largest value
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


def _cell(r: Reader, name: str, holder: dict, key: str):
    return r.cell(name, holder.get(key), (holder.get("shown") or {}).get(key))


def distribution_reader(table: dict, min_cell: int) -> Reader:
    """A published count table with a ``total`` row (and a ``total`` column group, or ``total`` key, when split)."""
    r = Reader(min_cell)
    rows = [x for x in table["order"] if x not in ("total", "self_supporting")]
    count_cols = [c for c in table["columns"] if c["kind"] == "count"]
    groups = [c.get("group") for c in count_cols if c["key"] == "count"]
    if table.get("keys_are") is not None:  # a cross table: the column keys are categories, "total" their margin
        keys = [c["key"] for c in count_cols]
        cells = {(row, k): _cell(r, f"{row}/{k}", table["rows"][row], k) for row in table["order"] for k in keys}
        parts = [k for k in keys if k != "total"]
        for row in table["order"]:
            r.relation([cells[(row, k)] for k in parts], cells[(row, "total")])
        for k in keys:
            r.relation([cells[(row, k)] for row in rows], cells[("total", k)])
        return r
    cells = {}
    for g in groups:
        for row in table["order"]:
            holder = table["rows"][row] if g is None else table["rows"][row][g]
            cells[(g, row)] = _cell(r, f"{g or 'all'}: {row}", holder, "count")
        r.relation([cells[(g, row)] for row in rows], cells[(g, "total")])
        if "self_supporting" in table["order"]:  # the income table: self-supporting = its income sources
            codes = table.get("self_supporting_codes", [])
            r.relation([cells[(g, c)] for c in codes if (g, c) in cells], cells[(g, "self_supporting")])
    if "total" in groups:
        parts = [g for g in groups if g != "total"]
        for row in table["order"]:
            r.relation([cells[(g, row)] for g in parts], cells[("total", row)])
    return r


def distributions(node, path=""):
    """Every count table with a total row in a results.json tree (distributions, transitions), with its path."""
    if isinstance(node, dict):
        if {"columns", "order", "rows"} <= set(node) and "total" in node["order"]:
            keys = {c["key"] for c in node["columns"]}
            if "count" in keys or node.get("keys_are") is not None:
                yield path, node
                return
        for k, v in node.items():
            yield from distributions(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from distributions(v, f"{path}[{i}]")


def effects_reader(outcome: dict, min_cell: int) -> Reader:
    """Participants of one outcome = those each estimator used + those it left out; the same with the support."""
    r = Reader(min_cell)
    n1 = _cell(r, "participants", outcome, "n_treated")
    rows = outcome["estimates"]["rows"]
    for e, row in rows.items():
        used, left = _cell(r, f"{e}: used", row, "n_treated"), _cell(r, f"{e}: left out", row, "n_left_out")
        r.relation([used, left], n1)
        if e in ("ipw", "aipw") and "overlap" in outcome:  # those outside the support are what the weighting leaves out
            r.relation([used, _cell(r, f"{e}: outside support", outcome["overlap"], "n_outside_support")], n1)
    return r


def recovered(reader: Reader) -> list[str]:
    return [f"{name} is pinned to {lo:g}" for name, lo, hi in reader.ranges() if hi - lo < 1e-6]


# --------------------------------------------------------------------------- the check can fail
def _node(rows: dict, groups: list | None = None) -> dict:
    cols = (
        [{"key": "count", "kind": "count"}]
        if groups is None
        else [{"key": "count", "kind": "count", "group": g} for g in groups]
    )
    return {"keys_are": None, "columns": cols, "order": list(rows), "rows": rows}


def test_the_check_finds_a_cell_pinned_by_its_total():
    table = _node(
        {
            "a": {"count": 30},
            "b": {"count": None, "shown": {"count": "<5"}},
            "c": {"count": 7},
            "total": {"count": 40},
        }
    )
    assert recovered(distribution_reader(table, 5)) == ["all: b is pinned to 3"]
    # with a complementary cell the same table is safe
    table["rows"]["c"] = {"count": None, "shown": {"count": ".."}}
    assert recovered(distribution_reader(table, 5)) == []


def test_the_check_uses_cross_group_totals():
    """Hidden in one group, but the category's total and the other group are shown: pinned."""
    table = _node(
        {
            "a": {"f": {"count": None, "shown": {"count": "<5"}}, "m": {"count": 10}, "total": {"count": 12}},
            "b": {"f": {"count": None, "shown": {"count": ".."}}, "m": {"count": 10}, "total": {"count": 28}},
            "total": {"f": {"count": 20}, "m": {"count": 20}, "total": {"count": 40}},
        },
        ["f", "m", "total"],
    )
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
    flow = results["participants"]["flow"]["rows"]
    r = Reader(config.min_cell)
    cell = {k: _cell(r, k, flow[k], "count") for k in ("referred", "enrolled", "not_enrolled", "active", "exited")}
    r.relation([cell["enrolled"], cell["not_enrolled"]], cell["referred"])
    r.relation([cell["active"], cell["exited"]], cell["enrolled"])
    problems += [f"participants/flow: {p}" for p in recovered(r)]
    # survey items: answers sum to N, agreeing answers to the published number agreeing
    survey = results.get("survey") or {}
    scales = {i.id: config.survey.scales[i.scale] for i in config.survey.items} if config.survey else {}
    items = (survey.get("items") or {}).get("rows", {})
    for table in (survey.get("distributions") or {}).values():
        for row, answers_node in table["rows"].items():
            r = Reader(config.min_cell)
            keys = [c["key"] for c in table["columns"] if c["key"] != "n"]
            answers = {int(k): _cell(r, f"{row}: {k}", answers_node, k) for k in keys}
            r.relation(list(answers.values()), _cell(r, f"{row}: N", answers_node, "n"))
            item = row.split(":")[0]
            if item in scales and row in items:
                agree = [c for v, c in answers.items() if v >= scales[item].agree_from]
                r.relation(agree, _cell(r, f"{row}: agreeing", items[row], "agree"))
            problems += [f"survey: {p}" for p in recovered(r)]
    # effects: the persons each estimator used and left out, with the participants of the outcome
    for name, outcome in (results.get("effects") or {}).get("outcomes", {}).items():
        if outcome.get("status") == "ok":
            problems += [f"effects/{name}: {p}" for p in recovered(effects_reader(outcome, config.min_cell))]
    # person files of the cleaning section: rows read = kept + rejected
    files = results["cleaning"]["files"]
    for f in files.get("persons", []):
        r = Reader(config.min_cell)
        row = files["rows"][f]
        kept, rejected = _cell(r, "kept", row, "rows_kept"), _cell(r, "rejected", row, "rows_rejected")
        r.relation([kept, rejected], _cell(r, "read", row, "rows_read"))
        problems += [f"cleaning/{f}: {p}" for p in recovered(r)]
    assert problems == []


@pytest.mark.parametrize("project", EXAMPLES)
def test_no_hidden_count_follows_from_the_whole_report(examples, project):
    """All published relations of a report at once (see :mod:`analysis.disclosure.audit`)."""
    from analysis.disclosure.audit import audit_report
    from analysis.project.config import load_project

    root, _ = examples
    config = load_project(root / "data" / "raw" / project).config
    results = json.loads((root / "reports" / project / "results.json").read_text(encoding="utf-8"))
    audit = audit_report(results, config.min_cell)
    assert audit.n_relations > 10, "the audit found no relations: it is not reading the tables"
    assert audit.findings == [], audit.summary()


def test_the_effects_check_finds_a_left_out_count_given_away_by_subtraction():
    """The alv-vast numbers before the fix: 380 participants, 377 matched, "<5" unmatched -> 3."""
    outcome = {
        "n_treated": 380,
        "estimates": {"rows": {"matching": {"n_treated": 377, "n_left_out": None, "shown": {"n_left_out": "<5"}}}},
    }
    assert recovered(effects_reader(outcome, 5)) == ["matching: left out is pinned to 3"]
    outcome["estimates"]["rows"]["matching"].update(n_treated=None, shown={"n_left_out": "<5", "n_treated": ".."})
    assert recovered(effects_reader(outcome, 5)) == []


def test_the_alv_vast_left_out_counts_are_hidden(examples):
    root, _ = examples
    results = json.loads((root / "reports" / "alv-vast" / "results.json").read_text(encoding="utf-8"))
    rows = results["effects"]["outcomes"]["wos_12m"]["estimates"]["rows"]
    # 380 of the 382 participants in the flow have the register outcome: 380 would give the "<5" without it away
    assert rows["unadjusted"]["n_treated"] is None and rows["unadjusted"]["shown"]["n_treated"] == ".."
    for e in ("matching", "ipw", "aipw"):  # 377 and 376 would give the "<5" left out away
        assert rows[e]["n_treated"] is None and rows[e]["shown"]["n_left_out"] == "<5"


def test_the_examples_do_have_suppressed_cells(examples):
    """Otherwise the recovery test above would pass without testing anything."""
    root, _ = examples
    total = 0
    for project in EXAMPLES:
        results = json.loads((root / "reports" / project / "results.json").read_text(encoding="utf-8"))
        for _, t in distributions(results):
            for row in t["rows"].values():
                holders = [row] + [v for k, v in row.items() if isinstance(v, dict) and k != "shown"]
                total += sum(len(h.get("shown", {})) for h in holders)
    assert total > 50


def test_no_personnummer_or_name_of_the_sus_export_under_processed_or_reports(examples):
    """The sixth example's SUS export carries names and personnummer (some as Excel numbers): none may leave."""
    from python_calamine import CalamineWorkbook

    from analysis.clean.identity import find_personnummer_in_text

    root, _ = examples
    pid = "vagen-vidare-sjobygden"
    wb = CalamineWorkbook.from_path(str(root / "data" / "raw" / pid / "deltagare_sus.xlsx"))
    grid = [row for s in wb.sheet_names for row in wb.get_sheet_by_name(s).to_python()[7:]]
    names = {r[1] for r in grid if len(r) > 1 and isinstance(r[1], str) and " " in r[1]}
    numbers = {str(int(r[0])) for r in grid if r and isinstance(r[0], float)}  # 9- and 12-digit Excel numbers
    assert len(names) > 20 and len(numbers) > 20
    for folder in (root / "data" / "processed" / pid, root / "reports" / pid):
        for f in folder.rglob("*"):
            if not f.is_file():
                continue
            if f.suffix == ".parquet":
                import pandas as pd

                text = pd.read_parquet(f).astype(str).to_csv()
            else:
                text = f.read_text(encoding="utf-8", errors="ignore")
            assert find_personnummer_in_text(text) == [], f
            assert not [n for n in names if n in text], f
            assert not [n for n in numbers if n in text], f
