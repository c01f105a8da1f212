"""Headline numbers of one project, read from its ``results.json``.

The report's summary (notebook 00) and the portfolio index use the same
:func:`headlines`, so the two can never disagree. Every number here was
already suppression-safe when its section was saved; a suppressed or missing
value stays ``None`` and is shown as "–".

Sections written by other parts of the report are read defensively: the
``effects`` section contributes its ``headline`` entry (``estimate``, ``lower``,
``upper``, optional ``outcome``, ``method``, ``scale``) when it has one, and the
``survival`` section its overall Kaplan–Meier curve (``kaplan_meier.total``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analysis.report.format import NBSP, formatter
from analysis.report.i18n import t
from analysis.report.labels import in_sentence, variable_label


@dataclass
class Headlines:
    """The handful of numbers a reader looks for first, with the JSON pointer each was read from."""

    enrolled: int | None = None
    referred: int | None = None
    exited: int | None = None
    planned: int | None = None
    targets: list[dict] = field(default_factory=list)
    work_or_study_exit: dict | None = None  # {"share", "lower", "upper", "suppressed"}
    effect: dict | None = None
    survival_12: dict | None = None  # {"survival", "lower", "upper"}
    survival_median: float | None = None
    sections: tuple[str, ...] = ()
    pointers: dict[str, str] = field(default_factory=dict)

    def _verdicts(self) -> list[str]:
        return [target_verdict(x) for x in self.targets]

    @property
    def targets_met(self) -> int:
        """Targets met: the whole margin of error at or above the threshold (a count: reached)."""
        return self._verdicts().count("met")

    @property
    def targets_not_met(self) -> int:
        return self._verdicts().count("not_met")

    @property
    def targets_within_margin(self) -> int:
        """Share targets whose margin of error covers the threshold: neither met nor missed yet."""
        return self._verdicts().count("within_margin")

    @property
    def targets_not_measurable(self) -> int:
        return self._verdicts().count("not_yet")

    # -- formatted for the summary and the index -------------------------------------------
    def fmt_count(self, value: int | None, lang: str = "sv") -> str:
        return "–" if value is None else formatter(lang).count(value)

    def fmt_targets(self, lang: str) -> str:
        if not self.targets:
            return "–"
        measurable = len(self.targets) - self.targets_not_measurable
        text = t("rep_targets_met_of", lang, met=self.targets_met, n=measurable)
        parts = []  # "0 av 2 (1 inom felmarginalen, 1 ej mätbart än)": neither is failure
        if self.targets_within_margin:
            parts.append(t("board_kf_within_margin", lang, k=self.targets_within_margin))
        if self.targets_not_measurable:
            parts.append(t("board_kf_not_yet", lang, k=self.targets_not_measurable))
        return text + (f" ({', '.join(parts)})" if parts else "")

    def fmt_effect(self, lang: str) -> str:
        e, f = self.effect, formatter(lang)
        if not e or not _finite(e.get("estimate")):
            return "–"
        ci_ok = _finite(e.get("lower")) and _finite(e.get("upper"))
        if e.get("scale", "share") in SHARE_SCALES:
            text = f"{f.pp(e['estimate'], sign=True)} {t('rep_pp', lang)}"
            return text + (f" ({t('ci95', lang)} {f.interval(e['lower'], e['upper'], 'pp')})" if ci_ok else "")
        unit = outcome_unit(e.get("outcome"), lang)
        text = f.number(e["estimate"], 0, sign=True) + (f"{NBSP}{unit}" if unit else "")
        return text + (f" ({t('ci95', lang)} {f.interval(e['lower'], e['upper'], 'number', 0)})" if ci_ok else "")

    def effect_is_share(self) -> bool:
        return self.effect is not None and self.effect.get("scale", "share") in SHARE_SCALES

    def effect_outcome(self, lang: str) -> str:
        """The outcome of the headline effect in words (a share outcome: "arbete eller studier")."""
        if not self.effect or self.effect_is_share():
            return t("rep_outcome_wos", lang)
        return in_sentence(variable_label(str(self.effect.get("outcome")), lang))

    def fmt_survival(self, lang: str) -> str:
        s, f = self.survival_12, formatter(lang)
        if not s or not _finite(s.get("survival")):
            return "–"
        out = f.percent(s["survival"])
        if _finite(s.get("lower")) and _finite(s.get("upper")):
            out += f" ({t('ci95', lang)} {f.interval(s['lower'], s['upper'], 'share')}{_pct_sign(lang)})"
        return out

    def fmt_work_or_study(self, lang: str) -> str:
        s, f = self.work_or_study_exit, formatter(lang)
        if not s or s.get("suppressed") or not _finite(s.get("share")):
            return "–"
        out = f.percent(s["share"])
        if _finite(s.get("lower")) and _finite(s.get("upper")):
            out += f" ({t('ci95', lang)} {f.interval(s['lower'], s['upper'], 'share')}{_pct_sign(lang)})"
        return out

    def fmt_median(self, lang: str) -> str:
        return "–" if self.survival_median is None else formatter(lang).general(self.survival_median)


SHARE_SCALES = ("share", "risk_difference", "percentage_points")


def outcome_unit(name: object, lang: str) -> str | None:
    """The unit of a measured outcome ("kr"), from the project's labels or the canonical names."""
    text = variable_label(str(name), lang, unit=True)
    plain = variable_label(str(name), lang)
    return text[len(plain) + 2 : -1] if text != plain else None


def _pct_sign(lang: str) -> str:
    return f"{NBSP}%" if lang == "sv" else "%"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _dig(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def target_verdict(row: dict) -> str:
    """uppnått / inom felmarginalen / inte uppnått / ännu inte mätbart, from a target's status and interval.

    A share target is *met* only when its whole 95 % interval lies at or above the
    threshold, *not met* only when it lies below; an interval that covers the
    threshold is *within the margin of error* whichever side the point falls on.
    A count target (participants reached) has no margin of error.

    Example
    -------
    >>> target_verdict({"status": "met", "ci_verdict": "uncertain", "kinds": {}})
    'within_margin'
    >>> target_verdict({"status": "met", "kinds": {"value": "count"}})
    'met'
    """
    status = row.get("status", "not_measurable")
    if status == "not_measurable":
        return "not_yet"
    if (row.get("kinds") or {}).get("value") == "count":
        return status
    return {"clearly_met": "met", "clearly_not_met": "not_met", "uncertain": "within_margin"}.get(
        row.get("ci_verdict") or "", status
    )


def _targets(results: dict) -> list[dict]:
    """id, status and labels of each target, in the order of the targets table."""
    node = _dig(results, "targets", "table") or {}
    defs = _dig(results, "targets", "definitions") or {}
    out = []
    for tid in node.get("order", []):
        row = node["rows"][tid]
        judged = {"status": row.get("status", "not_measurable"), "ci_verdict": row.get("ci_verdict")}
        out.append({"id": tid, **judged, "kinds": row.get("kinds") or {}, **defs.get(tid, {})})
    return out


def headlines(results: dict) -> Headlines:
    """Pick the headline numbers out of a merged ``results.json``."""
    h = Headlines(sections=tuple(sorted(k for k in results if k not in ("project", "run", "schema_version"))))
    flow = _dig(results, "participants", "flow", "rows") or {}
    for key in ("enrolled", "referred", "exited"):
        setattr(h, key, _dig(flow, key, "count"))
    h.pointers["enrolled"] = "/participants/flow/rows/enrolled/count"
    h.planned = _dig(flow, "planned", "count") or _dig(results, "project", "planned_participants")
    h.targets = _targets(results)
    # among those with a known exit status: an unknown status is no evidence of "not in work or study";
    # where that share must be hidden (1-4 unknown pin its base), the share among all exited (a lower bound)
    exit_node = _dig(results, "outcomes", "work_or_study", "rows", "exit") or {}
    group = "among_followed_up"
    known = exit_node.get(group) if isinstance(exit_node, dict) else None
    if isinstance(known, dict) and "share" in (known.get("shown") or {}):
        group = "among_all"
    exit_row = exit_node.get(group) if isinstance(exit_node, dict) else None
    if isinstance(exit_row, dict):
        ci = exit_row.get("ci") or [None, None]
        h.work_or_study_exit = {
            "share": exit_row.get("share"),
            "lower": ci[0],
            "upper": ci[1],
            "suppressed": "share" in (exit_row.get("shown") or {}),
            "among": group,
            "unknown": _dig(exit_node, "no_status", "count"),
            "unknown_shown": (_dig(exit_node, "no_status", "shown") or {}).get("count"),
        }
        h.pointers["work_or_study"] = f"/outcomes/work_or_study/rows/exit/{group}/share"
    eff = _dig(results, "effects", "headline")
    if isinstance(eff, dict):
        h.effect = eff
        h.pointers["effect"] = "/effects/headline/estimate"
    total = _dig(results, "survival", "kaplan_meier", "total", "rows", "total")
    if isinstance(total, dict):
        s12 = total.get("s12")
        if isinstance(s12, list):
            h.survival_12 = {"survival": s12[0], "lower": s12[1], "upper": s12[2]}
            h.pointers["survival"] = "/survival/kaplan_meier/total/rows/total/s12"
        med = total.get("median")
        h.survival_median = med[0] if isinstance(med, list) and _finite(med[0]) else None
    return h
