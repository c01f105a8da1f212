"""The board's first page: targets judged in four words, the pace, the effect in persons, the cost, the appendix."""

from __future__ import annotations

import datetime as dt

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.disclosure.intervals import wilson_interval
from analysis.report import board
from analysis.report.merge import merge_notebooks
from analysis.report.summary import summary_html

NB = "\u00a0"


def _targets(rows: dict, defs: dict) -> dict:
    return {
        "table": {"order": list(rows), "rows": rows, "columns": [], "min_cell": 5},
        "definitions": defs,
    }


def _defs(**labels) -> dict:
    return {
        k: {"metric": "share_work_or_study_at_exit", "months": None, "days": None, "label_sv": v}
        for k, v in labels.items()
    }


def test_four_verdicts_from_status_and_interval():
    share = {"kinds": {}}
    assert board.verdict({**share, "status": "met", "ci_verdict": "clearly_met"}) == "met"
    assert board.verdict({**share, "status": "met", "ci_verdict": "uncertain"}) == "within_margin"
    assert board.verdict({**share, "status": "not_met", "ci_verdict": "uncertain"}) == "within_margin"
    assert board.verdict({**share, "status": "not_met", "ci_verdict": "clearly_not_met"}) == "not_met"
    assert board.verdict({**share, "status": "not_measurable"}) == "not_yet"
    count = {"kinds": {"value": "count", "threshold": "count"}}
    assert board.verdict({**count, "status": "met"}) == "met"  # a count has no margin of error
    assert board.verdict({**count, "status": "not_met"}) == "not_met"


def test_target_lines_show_value_n_interval_marker_and_pace():
    rows = {
        "wos": {"status": "met", "ci_verdict": "uncertain", "value": 0.52, "n": 96, "ci": [0.42, 0.62], "kinds": {}},
        "plan": {
            "status": "not_met",
            "ci_verdict": "clearly_not_met",
            "value": None,
            "n": 12,
            "ci": None,
            "kinds": {},
            "shown": {"value": "..", "ci": ".."},
        },
        "reached": {
            "status": "not_measurable",
            "value": 153,
            "n": 153,
            "threshold": 200.0,
            "note": "recruitment_open",
            "kinds": {"value": "count", "threshold": "count"},
        },
    }
    results = {
        "project": {"period": {"start": "2020-01-01", "end": "2021-12-31"}},
        "targets": _targets(rows, _defs(wos="Hälften i arbete", plan="Handlingsplan", reached="200 deltagare")),
    }
    lines = board.target_lines(results, dt.date(2021, 8, 31), "sv")
    assert [x.verdict for x in lines] == ["within_margin", "not_met", "not_yet"]
    assert lines[0].value == f"52,0{NB}%" and lines[0].n == "96" and lines[0].interval == f"42,0{NB}–{NB}62,0{NB}%"
    assert lines[1].value == ".." and lines[1].interval == ".."  # a hidden value keeps its marker
    # 153 enrolled in 608 of the period's 730 days: 153 * 730 / 608 = 183.7 -> 184
    assert lines[2].pace == "153 av 200; med nuvarande takt ca 184 vid projektets slut"
    page = board.targets_html(lines, "sv")
    assert "Inom felmarginalen" in page and "Inte uppnått" in page and "Ännu inte mätbart" in page


def test_no_pace_once_the_period_is_over():
    assert board.pace(150, 200, {"start": "2020-01-01", "end": "2021-12-31"}, dt.date(2022, 3, 31), "sv") is None


def _effects(est12=0.10572, lo12=0.051083, hi12=0.160357, est6=0.006, lo6=-0.044, hi6=0.057) -> dict:
    def node(months, est, lo, hi):
        return {"status": "ok", "months": months, "estimates": {"rows": {"aipw": {"estimate": est, "ci": [lo, hi]}}}}

    return {
        "headline": {"estimate": est12, "lower": lo12, "upper": hi12, "method": "aipw", "outcome": "wos_12m"},
        "n_participants": 382,
        "outcomes": {"wos_6m": node(6, est6, lo6, hi6), "wos_12m": node(12, est12, lo12, hi12)},
    }


def test_effect_in_persons_with_the_interval_carried_through():
    over = board.effects_over_time({"effects": _effects()})
    assert [e.months for e in over] == [6, 12]
    # 0.10572 * 382 = 40.4 -> 40; 0.051083 * 382 = 19.5 -> 20; 0.160357 * 382 = 61.3 -> 61
    assert over[1].persons() == (40, 20, 61)
    text = board.effect_sentence(over[1], "sv")
    assert "ungefär 40 (20–61) fler av de 382 deltagarna" in text and "noll" not in text
    six = board.effect_sentence(over[0], "sv")  # the interval covers zero: no span of persons, and it says so
    assert "ungefär 2 fler" in six and "(" in six and "omfattar noll" in six and "–19" not in six


def test_a_negative_effect_counts_persons_fewer():
    e = board.EffectAt(12, -0.10, -0.15, -0.05, 200)
    assert e.persons() == (-20, -30, -10)
    assert "ungefär 20 (10–30) färre" in board.effect_sentence(e, "sv")


def test_cost_quotes_payback_and_carries_the_effect_interval():
    results = {
        "project": {"budget_sek": 22_454_885.0},
        "payback": {"cost": {"per_participant_sek": 58_782.42, "example": False}},
        "effects": _effects(),
    }
    lines = board.cost_lines(results, 400, "sv")  # with payback, budget / enrolled (56 137) is not used
    assert lines[0] == f"Projektet kostade ungefär 59{NB}000{NB}kr per deltagare."
    # 58 782 / 0.10572 = 556 000; / 0.160357 = 367 000; / 0.051083 = 1 151 000 (to the thousand)
    assert "ungefär 556" in lines[1] and "mellan 367" in lines[1] and "1" + NB + "151" + NB + "000" in lines[1]
    assert "efter 12 månader" in lines[1]


def test_cost_without_payback_is_budget_per_participant_and_open_when_the_effect_may_be_zero():
    results = {"project": {"budget_sek": 1_000_000.0}, "effects": _effects(0.05, -0.01, 0.11)}
    lines = board.cost_lines(results, 50, "sv")
    assert lines[0].startswith(f"Projektet kostade ungefär 20{NB}000")
    assert "minst" in lines[1] and "övre gräns går inte" in lines[1]  # 20 000 / 0.11 = 182 000 at least
    assert f"182{NB}000" in lines[1]


def test_main_outcome_off_income_support_from_the_panel():
    results = {
        "effects": {
            "panel": {
                "income_support": {
                    "estimates": {
                        "rows": {
                            "12": {"share_treated": 0.4, "n_treated": 30},
                            "6": {"share_treated": 0.5, "n_treated": 30},
                        }
                    }
                }
            }
        }
    }
    lines = board.main_outcome_lines(results, "off_income_support", "sv")
    lo, hi = wilson_interval(18, 30)
    assert lines[1].startswith(f"12 månader efter start hade 60,0{NB}%") and "av de 30 deltagare" in lines[1]
    assert f"{lo * 100:.1f}".replace(".", ",") in lines[1] and f"{hi * 100:.1f}".replace(".", ",") in lines[1]
    label, value, pointer = board.main_key_figure(results, "off_income_support", "sv")
    assert value.startswith(f"60,0{NB}%") and pointer is None  # no pointer: the file holds the complement
    missing = board.main_outcome_lines({}, "off_income_support", "en")
    assert missing and "not yet in the data" in missing[0]


def test_summary_without_comparison_has_no_empty_effect_box_and_no_repeated_targets():
    rows = {"reached": {"status": "met", "value": 30, "n": 30, "kinds": {"value": "count"}}}
    results = {
        "project": {"period": {"start": "2015-01-01", "end": "2015-12-31"}},
        "participants": {"flow": {"rows": {"enrolled": {"count": 30}}}},
        "targets": _targets(rows, _defs(reached="30 barnfamiljer")),
        "effects": {"no_data": {"effects": "no_comparison"}},
    }
    page = summary_html(results, "sv", data_end=dt.date(2016, 12, 31))
    assert "Skattad effekt" not in page and "ingen jämförelsegrupp" in page
    assert "är uppnått" not in page and "Uppnått" in page  # the targets once, in the board's table
    assert "KI betyder 95" in page


def _html(text: str, place: str | None = None):
    meta = {"foljeval": {"place": place}} if place else {}
    return new_output("display_data", data={"text/html": text, "text/plain": "<HTML>"}, metadata=meta)


def _write(path, cells):
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def test_diagnostics_move_to_the_appendix_before_its_own_cells(tmp_path):
    effects = _write(
        tmp_path / "04_effects.ipynb",
        [
            new_code_cell("a()", outputs=[_html("<p>effect</p>"), _html("<p>balance</p>", "appendix")]),
            new_code_cell("b()", outputs=[_html("<p>love plot</p>", "appendix")]),  # left empty: dropped
            new_code_cell("c()", outputs=[_html("<p>did</p>")]),
        ],
    )
    appendix = _write(tmp_path / "99_appendix.ipynb", [new_markdown_cell("# Hur rapporten gjordes")])
    merged = merge_notebooks([effects, appendix], "sv", "T")
    texts = [
        c.source if c.cell_type == "markdown" else "".join(o["data"]["text/html"] for o in c.outputs)
        for c in merged.cells
    ]
    assert texts[:2] == ["<p>effect</p>", "<p>did</p>"]
    assert texts[2].startswith("# Bilaga: diagnostik för jämförelserna")
    assert texts[3] == "<p>balance</p><p>love plot</p>" and texts[4] == "# Hur rapporten gjordes"
    ids = [c.id for c in merged.cells]
    assert len(ids) == len(set(ids))


def _did(last_month: int, pretrend_p: float) -> dict:
    rows = {str(m): {"estimate": [0.1, 0.05, 0.15]} for m in range(-3, last_month + 1)}
    overall = {"work_or_study": {"never": {"estimate": [0.146, 0.105, 0.187], "pretrend_p": pretrend_p}}}
    return {"main": {"control": "never"}, "overall": {"rows": overall}, "event": {"rows": rows}}


def test_the_second_method_is_reconciled_in_one_sentence_or_left_out():
    effects = _effects()
    agree = board.did_sentence({"effects": {**effects, "did": _did(12, 0.4)}}, "sv")
    assert "+14,6 procentenheter" in agree and "samma håll" in agree
    pretrend = board.did_sentence({"effects": {**effects, "did": _did(12, 0.001)}}, "sv")
    assert "redan före start" in pretrend
    # estimated for months 0-1 only (no comparisons later): an average of those says nothing to a board
    assert board.did_sentence({"effects": {**effects, "did": _did(1, 0.4)}}, "sv") is None


def test_the_payback_net_says_whether_the_project_paid_for_itself_only_against_a_comparison():
    horizons = {"rows": {"public": {"net_60": [-57183.6, -108820.9, -5546.2]}}}
    pb = {"cost": {"per_participant_sek": 58782.4}, "horizons_months": [12, 60], "horizons": horizons}
    comparison = board.cost_lines({"payback": {**pb, "design": "comparison"}}, 382, "sv")
    assert (
        f"−57{NB}000" in comparison[-1]
        and "ännu inte hade betalat sig" in comparison[-1]
        and "efter 5 år" in comparison[-1]
    )
    gross = board.cost_lines({"payback": {**pb, "design": "before_after"}}, 382, "sv")
    assert "före/efter-kalkyl" in gross[-1] and "betalat sig" not in gross[-1]


def test_the_targets_box_the_index_and_the_table_judge_alike():
    from analysis.report.headlines import headlines

    rows = {
        "a": {"status": "met", "ci_verdict": "uncertain", "value": 0.40, "n": 92, "ci": [0.31, 0.50], "kinds": {}},
        "b": {"status": "met", "ci_verdict": "clearly_met", "value": 0.9, "n": 50, "ci": [0.8, 0.95], "kinds": {}},
        "c": {"status": "not_measurable", "value": 20, "n": 20, "kinds": {"value": "count"}},
    }
    results = {"targets": _targets(rows, _defs(a="A", b="B", c="C"))}
    h = headlines(results)  # what the summary's box and the portfolio index show
    assert h.fmt_targets("sv") == "1 av 2 (1 inom felmarginalen, 1 ej mätbart än)"
    lines = board.target_lines(results, dt.date(2021, 1, 1), "sv")
    assert [x.verdict for x in lines].count("met") == h.targets_met == 1
