"""The first page for a board: each target judged, the project's main outcome, the effect in persons, the cost.

Everything here is read from the merged ``results.json`` (the numbers already
protected when their sections were saved) and from project.yml, and said in
words a board member who knows no statistics can act on:

* each target as *uppnått / inom felmarginalen / inte uppnått / ännu inte mätbart*,
  with value, N and interval, and for a count target still open the pace
  ("153 av 200; med nuvarande takt ca 184 vid projektets slut");
* the project's own main outcome (``main_outcome`` in project.yml);
* the effect against the comparison group after 6, 12 and 24 months, in
  percentage points and in persons, with one sentence on the second method
  (difference-in-differences) and the caveat in plain words;
* the cost per participant and per additional person in work or study, the
  effect's interval carried through; where the payback section exists its cost
  and net are quoted, so the page never shows two different cost figures.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass
from typing import Any

from analysis.disclosure.intervals import wilson_interval
from analysis.report.format import NBSP, formatter
from analysis.report.headlines import _dig, _finite, target_verdict
from analysis.report.i18n import t
from analysis.report.sections.effects_robust import SHORT_DID_MONTHS
from analysis.report.sections.targets import target_label

TARGETS_POINTER = "/targets/table"
VERDICTS = ("met", "within_margin", "not_met", "not_yet")
EFFECT_MONTHS = (6, 12, 24)


@dataclass(frozen=True)
class TargetLine:
    """One target as the board sees it: label, value, N, interval, verdict and (count targets) pace."""

    label: str
    value: str
    n: str
    interval: str
    verdict: str
    pace: str | None = None
    id: str = ""


verdict = target_verdict  # the one rule, shared with the headlines of the summary and the index


def pace(enrolled: int, threshold: float, period: dict, data_end: dt.date, lang: str) -> str | None:
    """ "153 av 200; med nuvarande takt ca 184 vid projektets slut" for a count target still open.

    The pace is the enrolment so far spread evenly over the days of the period
    that have passed, carried to the period's end.

    Example
    -------
    >>> pace(153, 200, {"start": "2020-01-01", "end": "2021-12-31"}, dt.date(2021, 8, 31), "sv")
    '153 av 200; med nuvarande takt ca 184 vid projektets slut'
    """
    start, end = dt.date.fromisoformat(str(period["start"])), dt.date.fromisoformat(str(period["end"]))
    passed, total = (data_end - start).days, (end - start).days
    if passed <= 0 or total <= 0 or data_end >= end:
        return None
    f = formatter(lang)
    projected = round(enrolled * total / passed)
    return t("board_pace", lang, n=f.count(enrolled), target=f.count(threshold), projected=f.count(projected))


def _cell(row: dict, key: str) -> tuple[Any, str | None]:
    return row.get(key), (row.get("shown") or {}).get(key)


def target_lines(results: dict, data_end: dt.date, lang: str) -> list[TargetLine]:
    """The targets of ``results.json`` in the order of its table, judged for the board."""
    table = _dig(results, "targets", "table") or {}
    defs = _dig(results, "targets", "definitions") or {}
    period = _dig(results, "project", "period")
    f = formatter(lang)
    out = []
    for tid in table.get("order", []):
        row = table["rows"][tid]
        is_count = (row.get("kinds") or {}).get("value") == "count"
        value, marker = _cell(row, "value")
        n, n_marker = _cell(row, "n")
        ci, ci_marker = _cell(row, "ci")
        value_text = marker or ("–" if value is None else (f.count(value) if is_count else f.percent(value)))
        ci_text = ci_marker or (f.interval(ci[0], ci[1], "share") + _pct(lang) if ci and not is_count else "–")
        v = verdict(row)
        line_pace = None
        if is_count and v == "not_yet" and isinstance(value, (int, float)) and period and row.get("threshold"):
            line_pace = pace(int(value), float(row["threshold"]), period, data_end, lang)
        label = target_label(defs[tid], lang) if tid in defs else tid
        n_text = n_marker or ("–" if n is None else f.count(n))
        out.append(TargetLine(label, value_text, n_text, ci_text, v, line_pace, tid))
    return out


def _pct(lang: str) -> str:
    return f"{NBSP}%" if lang == "sv" else "%"


def targets_html(lines: list[TargetLine], lang: str) -> str:
    """The targets as a small table: target, value, N, interval, verdict (with the pace under it)."""
    if not lines:
        return f"<p>{html.escape(t('board_no_targets', lang))}</p>"
    head = "".join(
        f'<th scope="col">{html.escape(t(k, lang))}</th>'
        for k in ("tab_col_target", "tab_col_value", "board_col_n", "board_col_ci", "board_col_verdict")
    )
    rows = []
    for x in lines:
        judged = html.escape(t(f"board_verdict_{x.verdict}", lang))
        if x.pace:
            judged += f'<br><span class="fe-detail">{html.escape(x.pace)}</span>'
        # every cell names its value in results.json (data-results), as in every other table of the report
        ptr = f"{TARGETS_POINTER}/rows/{x.id}"
        cells = [(x.value, "tab_col_value", "value"), (x.n, "board_col_n", "n"), (x.interval, "board_col_ci", "ci")]
        tds = "".join(
            f'<td class="fe-num" data-label="{html.escape(t(k, lang))}" data-results="{ptr}/{key}">'
            f"{html.escape(v)}</td>"
            for v, k, key in cells
        )
        verdict_label = html.escape(t("board_col_verdict", lang))
        rows.append(
            f'<tr><th scope="row">{html.escape(x.label)}</th>{tds}<td class="fe-verdict fe-verdict-{x.verdict}" '
            f'data-label="{verdict_label}" data-results="{ptr}/status">{judged}</td></tr>'
        )
    return (
        f'<div class="fe-scroll"><table class="fe-table fe-board-targets" data-results="{TARGETS_POINTER}"><caption>{html.escape(t("board_targets_caption", lang))}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="fe-note">{html.escape(t("board_verdict_note", lang))}</p>'
    )


def _round_persons(x: float) -> int:
    return int(math.floor(x + 0.5))


# -- the project's main outcome --------------------------------------------------------------
MAIN_OUTCOMES = ("work_or_study", "self_supporting", "off_income_support")


def _off_income_support(results: dict, month: int) -> tuple[float, float, float, int] | None:
    """(share off income support, its Wilson 95 % interval, persons) ``month`` months after start.

    The panel publishes the share still on income support and its N; the complement's count
    is that share times N, so nothing is shown that the page does not already give away.
    """
    row = _dig(results, "effects", "panel", "income_support", "estimates", "rows", str(month))
    if not isinstance(row, dict) or not _finite(row.get("share_treated")) or not row.get("n_treated"):
        return None
    share, n = 1 - float(row["share_treated"]), int(row["n_treated"])
    lo, hi = wilson_interval(_round_persons(share * n), n)
    return share, float(lo), float(hi), n


def _share_ci(f, share: float, lo: float, hi: float, lang: str) -> str:
    return f"{f.percent(share)} ({t('ci95', lang)} {f.interval(lo, hi, 'share')}{_pct(lang)})"


def main_outcome_lines(results: dict, main: str, lang: str) -> list[str]:
    """Sentences on the project's declared main outcome, from published numbers only.

    ``off_income_support`` reads the monthly panel (participants on income support
    N months after their start, N = 6, 12, 24); ``work_or_study`` and
    ``self_supporting`` the status and income at exit.
    """
    f, out = formatter(lang), []
    if main == "off_income_support":
        for m in EFFECT_MONTHS:
            got = _off_income_support(results, m)
            if got is not None:
                text = _share_ci(f, *got[:3], lang)
                out.append(t("board_main_off_income_support", lang, months=m, share=text, n=f.count(got[3])))
        return out or [t("board_main_missing", lang, outcome=t("board_main_name_off_income_support", lang))]
    if main == "self_supporting":
        row = _dig(results, "outcomes", "income", "rows", "self_supporting", "exit") or {}
        total = _dig(results, "outcomes", "income", "rows", "total", "exit", "count")
        if _finite(row.get("share")) and total:
            bounds = row.get("ci") or [None, None]
            share = (
                _share_ci(f, row["share"], bounds[0], bounds[1], lang)
                if bounds[0] is not None
                else f.percent(row["share"])
            )
            return [t("board_main_self_supporting", lang, share=share, n=f.count(total))]
        return [t("board_main_missing", lang, outcome=t("board_main_name_self_supporting", lang))]
    return []  # work or study at exit is the first key figure and a sentence of the summary already


# -- the effect in words and persons -----------------------------------------------------------
@dataclass(frozen=True)
class EffectAt:
    """The headline method's effect on work or study ``months`` after start, with persons carried through."""

    months: int
    estimate: float
    lower: float | None
    upper: float | None
    participants: int

    def persons(self) -> tuple[int, int | None, int | None]:
        n = self.participants
        lo = None if self.lower is None else _round_persons(self.lower * n)
        hi = None if self.upper is None else _round_persons(self.upper * n)
        return _round_persons(self.estimate * n), lo, hi


def effects_over_time(results: dict) -> list[EffectAt]:
    """The headline method's estimate for work or study after 6, 12 and 24 months, where published."""
    eff = _dig(results, "effects") or {}
    head = eff.get("headline") or {}
    method, n = head.get("method"), eff.get("n_participants")
    if not method or not n:
        return []
    out = []
    for m in EFFECT_MONTHS:
        node = _dig(eff, "outcomes", f"wos_{m}m") or {}
        row = _dig(node, "estimates", "rows", method) or {}
        if node.get("status") != "ok" or not _finite(row.get("estimate")):
            continue
        ci = row.get("ci") or [None, None]
        out.append(EffectAt(m, float(row["estimate"]), ci[0], ci[1], int(n)))
    return out


def effect_sentence(e: EffectAt, lang: str) -> str:
    """ "Efter 12 månader: +10,6 procentenheter (95 % KI 5,1–16,0), ungefär 40 fler personer (20–61) …"."""
    f = formatter(lang)
    persons, lo, hi = e.persons()
    key = "board_effect_more" if persons >= 0 else "board_effect_fewer"
    ci = f" ({t('ci95', lang)} {f.interval(e.lower, e.upper, 'pp')})" if e.lower is not None else ""
    uncertain = e.lower is None or e.upper is None or e.lower <= 0 <= e.upper
    if persons < 0 and lo is not None and hi is not None:
        lo, hi = -hi, -lo  # "fewer": the span of the number of persons fewer
    span = "" if uncertain or lo is None or hi is None else f" ({f.count(lo)}–{f.count(hi)})"
    text = t(
        key,
        lang,
        months=e.months,
        pp=f"{f.pp(e.estimate, sign=True)} {t('rep_pp', lang)}{ci}",
        persons=f.count(abs(persons)) + span,
        n=f.count(e.participants),
    )
    return text + (" " + t("board_effect_may_be_zero", lang) if uncertain else "")


def did_sentence(results: dict, lang: str) -> str | None:
    """One sentence reconciling the second method (difference-in-differences) with the first."""
    did = _dig(results, "effects", "did") or {}
    rows = _dig(did, "overall", "rows", "work_or_study") or {}
    control = _dig(did, "main", "control") or next(iter(rows), None)
    got = rows.get(control) if control else None
    if not isinstance(got, dict) or not isinstance(got.get("estimate"), list) or not _finite(got["estimate"][0]):
        return None
    event = _dig(did, "event", "rows") or {}
    post = [int(k) for k, v in event.items() if int(k) >= 0 and isinstance(v, dict) and v.get("estimate")]
    if not post or max(post) < SHORT_DID_MONTHS:  # an average of the first months says nothing a board can use
        return None
    est, lo, hi = got["estimate"]
    f = formatter(lang)
    value = f"{f.pp(est, sign=True)} {t('rep_pp', lang)} ({t('ci95', lang)} {f.interval(lo, hi, 'pp')})"
    pre = got.get("pretrend_p")
    if isinstance(pre, (int, float)) and math.isfinite(pre) and pre < 0.05:
        return t("board_did_pretrend", lang, value=value)
    head = _dig(results, "effects", "headline") or {}
    same = _finite(head.get("lower")) and (head["lower"] > 0) == (lo > 0) and (head["upper"] < 0) == (hi < 0)
    return t("board_did_agrees" if same else "board_did_differs", lang, value=value)


# -- the cost ----------------------------------------------------------------------------------
def cost_per_participant(results: dict, enrolled: int | None) -> tuple[float, bool] | None:
    """(kronor per participant, example value) — the payback section's when it has one, else budget / enrolled."""
    cost = _dig(results, "payback", "cost") or {}
    if _finite(cost.get("per_participant_sek")):
        return float(cost["per_participant_sek"]), bool(cost.get("example"))
    budget = _dig(results, "project", "budget_sek")
    if _finite(budget) and enrolled:
        return float(budget) / enrolled, False
    return None


def _thousands(x: float) -> float:
    return round(x / 1000) * 1000


def cost_lines(results: dict, enrolled: int | None, lang: str) -> list[str]:
    """Cost per participant, per additional person in work or study, and the payback section's net."""
    got = cost_per_participant(results, enrolled)
    if got is None:
        return []
    cost, example = got
    f = formatter(lang)
    out = [
        t("board_cost_participant", lang, cost=f.sek(_thousands(cost)))
        + (" " + t("board_cost_example", lang) if example else "")
    ]
    extra = _additional_cost(results, cost, lang)
    if extra:
        out.append(extra)
    out.extend(_payback_net(results, lang))
    return out


def _additional_cost(results: dict, cost: float, lang: str) -> str | None:
    """Cost per additional person in work or study: cost per participant / effect, the interval carried through."""
    head = _dig(results, "effects", "headline") or {}
    share_scale = head.get("scale", "share") in ("share", "risk_difference", "percentage_points")
    values = [head.get("estimate"), head.get("lower"), head.get("upper")]
    if not (share_scale and all(_finite(v) for v in values)):
        return None
    est, lo, hi = (float(v) for v in values)  # type: ignore[arg-type]
    if est <= 0:
        return None
    months = _dig(results, "effects", "outcomes", str(head.get("outcome")), "months") or 12
    f = formatter(lang)
    if lo > 0:
        each = dict(
            cost=f.sek(_thousands(cost / est)), lo=f.sek(_thousands(cost / hi)), hi=f.sek(_thousands(cost / lo))
        )
        return t("board_cost_additional", lang, months=months, **each)
    each = dict(cost=f.sek(_thousands(cost / est)), lo=f.sek(_thousands(cost / hi)))
    return t("board_cost_additional_open", lang, months=months, **each)


def _payback_net(results: dict, lang: str) -> list[str]:
    pb = _dig(results, "payback") or {}
    months = [m for m in pb.get("horizons_months") or [] if isinstance(m, int)]
    row = _dig(pb, "horizons", "rows", "public") or {}
    if not months or not isinstance(row.get(f"net_{max(months)}"), list):
        return []
    est, lo, hi = row[f"net_{max(months)}"]
    if not (_finite(est) and _finite(lo) and _finite(hi)):
        return []
    f = formatter(lang)
    key = "board_payback_net" if pb.get("design") == "comparison" else "board_payback_net_gross"
    years = max(months) // 12
    text = t(key, lang, years=years, value=f.sek(_thousands(est)), lo=f.sek(_thousands(lo)), hi=f.sek(_thousands(hi)))
    verdict = "paid" if lo > 0 else "not_paid" if hi < 0 else "open"  # the whole interval on one side, or not
    if pb.get("design") != "comparison":  # a before/after calculation cannot tell whether it paid for itself
        return [text]
    return [f"{text} {t(f'board_payback_{verdict}', lang, years=years)}"]


# -- the page ----------------------------------------------------------------------------------
def _block(heading: str, paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f'<section class="fe-board-block"><h2>{html.escape(heading)}</h2>{extra}{body}</section>'


def effect_block(results: dict, lang: str) -> str:
    """The effect after 6, 12 and 24 months in persons, the second method and the caveat; or why there is none."""
    over_time = effects_over_time(results)
    heading = t("board_effect_heading", lang)
    if not over_time:
        reason = (_dig(results, "effects", "no_data") or {}).get("effects")
        key = "board_effect_none_comparison" if reason == "no_comparison" else "board_effect_none"
        return _block(heading, [t(key, lang)])
    items = "".join(f"<li>{html.escape(effect_sentence(e, lang))}</li>" for e in over_time)
    paras = [s for s in [did_sentence(results, lang), t("board_effect_caveat", lang)] if s]
    return _block(heading, paras, extra=f'<ul class="fe-board-effects">{items}</ul>')


def board_html(results: dict, data_end: dt.date, main_outcome: str, enrolled: int | None, lang: str) -> str:
    """The board's part of the first page (under the key figures): targets, main outcome, effect, cost.

    Example
    -------
    >>> page = board_html(results, dt.date(2019, 3, 31), "work_or_study", 382, "sv")  # doctest: +SKIP
    """
    parts = [
        _block(t("board_targets_heading", lang), [], extra=targets_html(target_lines(results, data_end, lang), lang))
    ]
    main = main_outcome_lines(results, main_outcome, lang)
    if main:
        parts.append(_block(t("board_main_heading", lang, outcome=t(f"board_main_name_{main_outcome}", lang)), main))
    if "effects" in results:
        parts.append(effect_block(results, lang))
    cost = cost_lines(results, enrolled, lang)
    if cost:
        parts.append(_block(t("board_cost_heading", lang), cost))
    parts.append(f'<p class="fe-note">{html.escape(t("board_ci_explained", lang))}</p>')
    return "".join(parts)


def main_key_figure(results: dict, main: str, lang: str) -> tuple[str, str, str | None] | None:
    """(label, value, JSON pointer) of the main outcome's key figure, for a main outcome other than work or study."""
    f = formatter(lang)
    if main == "off_income_support":
        for m in (12, 6, 24):
            got = _off_income_support(results, m)
            if got is not None:  # no pointer: results.json holds the share still on income support
                return t("board_kf_off_income_support", lang, months=m), _share_ci(f, *got[:3], lang), None
    if main == "self_supporting":
        row = _dig(results, "outcomes", "income", "rows", "self_supporting", "exit") or {}
        if _finite(row.get("share")):
            return (
                t("board_kf_self_supporting", lang),
                f.percent(row["share"]),
                "/outcomes/income/rows/self_supporting/exit/share",
            )
    return None
