"""The publication scan: personnummer, small cells, network references."""

from __future__ import annotations

import datetime as dt
import json

from analysis.report.scan import scan_report, scan_text, small_cells


def test_valid_personnummer_is_found_and_masked(pnr):
    p = pnr(dt.date(1985, 3, 14), 12, False)
    found = scan_text(f"<p>a</p>\n<td>{p}</td>", "x.html")
    assert [(f.kind, f.detail) for f in found] == [("personnummer", "line 2: <td>[personnummer]</td>")]
    assert p not in str(found[0])


def test_findings_never_repeat_part_of_a_neighbouring_number(pnr):
    """The context shown around a finding is masked whole; digits cut at its edges are dropped."""
    a, b = pnr(dt.date(1985, 3, 14), 12, False), pnr(dt.date(1990, 1, 1), 3, True)
    text = f"x {a} {'y' * 20}{b} z"
    found = scan_text(text, "x.json")
    assert len(found) == 1 and found[0].detail.startswith("2 found, the first at line 1: x [personnummer] yyy")
    assert found[0].detail.endswith("y…")  # the window ended inside b: its digits are dropped
    assert not any(part in found[0].detail for part in (a[:4], a[-4:], b[:4], b[-4:])), found[0].detail


def test_samordningsnummer_and_ten_digits_are_found(pnr):
    s = pnr(dt.date(1985, 5, 5), 7, True, coordination=True, sep="", digits=10)
    assert [f.kind for f in scan_text(f"id {s}.", "x.json")] == ["personnummer"]


def test_wrong_check_digit_and_numbers_are_not_findings(pnr):
    from conftest import bad_check_digit

    p = bad_check_digit(pnr(dt.date(1985, 3, 14), 12, False))
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><path d="M 12.5 1234567.89"/></svg>'
    assert scan_text(f"{p} {svg} <a href='https://www.esf.se'>ESF</a> 22454885", "r.html") == []


def test_network_references_are_found():
    page = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/a.css"><img src="http://x.org/a.png">'
        '<style>body{background:url("https://x.org/b.png")}</style>'
    )
    kinds = [f.kind for f in scan_text(page, "r.html")]
    assert kinds.count("network") == 5  # script, link, img, css url() and the CDN host


def test_small_cells_in_results_skip_cleaning_covariate_counts_and_suppressed_flags():
    results = {
        "cleaning": {"files": [{"rows_read": 3, "n": 2}]},  # file rows, not persons
        "participants": {
            "flow": {"enrolled": 40, "n": 3, "n_suppressed": True},
            "tables": [{"count": 0}, {"count": 4}, {"count": None}, {"count": 5}],
        },
        "survival": {"kaplan_meier": {"all": {"all": {"n": 30, "events": 2}}}},
        "effects": {"n_treated": 120, "n_control": 1, "n_unmatched": 2, "n_imbalanced": 1},
    }
    assert small_cells(results, 5) == [
        ("participants.flow.n", 3),
        ("participants.tables[1].count", 4),
        ("survival.kaplan_meier.all.all.events", 2),
        ("effects.n_control", 1),
        ("effects.n_unmatched", 2),
    ]  # persons left out are persons too
    assert small_cells(results, 2) == [("effects.n_control", 1)]


def test_scan_report_covers_every_published_file(tmp_path, pnr):
    rep = tmp_path / "reports" / "p"
    (rep / "notebooks").mkdir(parents=True)
    p = pnr(dt.date(1990, 1, 1), 3, True)
    (rep / "report.html").write_text("<p>ok</p>", encoding="utf-8")
    (rep / "notebooks" / "01.ipynb").write_text(json.dumps({"x": f"row {p}"}), encoding="utf-8")
    (rep / "results.json").write_text(json.dumps({"participants": {"n": 2}}), encoding="utf-8")
    found = {(f.file, f.kind) for f in scan_report(rep, 5)}
    assert found == {("p/notebooks/01.ipynb", "personnummer"), ("p/results.json", "small_cell")}


def test_small_cells_in_published_tables_are_read_by_column_kind():
    """In a table node every cell of kind "count" is a count of persons, whatever its key; shares are not."""
    table = {
        "rows_are": "gender",
        "groups_are": "track",
        "keys_are": None,
        "min_cell": 5,
        "columns": [
            {"key": "count", "kind": "count", "group": "study"},
            {"key": "share", "kind": "share", "group": "study"},
            {"key": "value", "kind": "share"},
        ],
        "order": ["female", "male"],
        "rows": {
            "female": {"study": {"count": 3, "share": 0.03}, "value": 2, "kinds": {"value": "count"}},
            "male": {"study": {"count": None, "share": None, "shown": {"count": "<5"}}, "value": 0.5},
        },
    }
    assert small_cells({"participants": {"tables": {"t": table}}}, 5) == [
        ("participants.tables.t/rows/female/study/count", 3),
        ("participants.tables.t/rows/female/value", 2),  # a count in a column of shares (a target in persons)
    ]
