"""Headline numbers of one project, read from its ``results.json``.

The report's summary (notebook 00) and the portfolio index use the same
:func:`headlines`, so the two can never disagree. Every number here was
already suppression-safe when its section was saved; a suppressed or missing
value stays ``None`` and is shown as "–".

Sections written by other parts of the report are read defensively: the
``effects`` section contributes its ``headline`` entry (``estimate``, ``lower``,
``upper``, optional ``outcome``, ``method``, ``scale``) when it has one, and the
``survival`` section its overall Kaplan–Meier curve (``kaplan_meier.all``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analysis.disclosure.proportions import fmt_ci, fmt_pct
from analysis.project.i18n import t


@dataclass
class Headlines:
    """The handful of numbers a reader looks for first."""

    enrolled: int | None = None
    referred: int | None = None
    exited: int | None = None
    planned: int | None = None
    targets: list[dict] = field(default_factory=list)
    work_or_study_exit: dict | None = None  # share dict of the outcomes section
    effect: dict | None = None
    survival_12: dict | None = None  # {"survival", "lower", "upper"}
    survival_median: float | None = None
    sections: tuple[str, ...] = ()

    @property
    def targets_met(self) -> int:
        return sum(1 for x in self.targets if x.get("status") == "met")

    @property
    def targets_not_met(self) -> int:
        return sum(1 for x in self.targets if x.get("status") == "not_met")

    @property
    def targets_not_measurable(self) -> int:
        return len(self.targets) - self.targets_met - self.targets_not_met

    # -- formatted for the summary and the index -------------------------------------------
    def fmt_count(self, value: int | None) -> str:
        return "–" if value is None else f"{value:,}".replace(",", "\u00a0")

    def fmt_targets(self, lang: str) -> str:
        if not self.targets:
            return "–"
        measurable = len(self.targets) - self.targets_not_measurable
        text = t("rep_targets_met_of", lang, met=self.targets_met, n=measurable)
        if self.targets_not_measurable:  # "0 av 2 (1 ej mätbart än)": not yet measurable is not failure
            text += " " + t("rep_targets_not_yet", lang, k=self.targets_not_measurable)
        return text

    def fmt_effect(self, lang: str) -> str:
        e = self.effect
        if not e or not _finite(e.get("estimate")):
            return "–"
        if e.get("scale", "share") in ("share", "risk_difference", "percentage_points"):
            est = 100 * e["estimate"]
            val = f"{est:+.1f}".replace(".", "," if lang == "sv" else ".")
            unit = t("rep_pp", lang)
            ci = ""
            if _finite(e.get("lower")) and _finite(e.get("upper")):
                lo, hi = (f"{100 * e[k]:.1f}" for k in ("lower", "upper"))
                if lang == "sv":
                    lo, hi = lo.replace(".", ","), hi.replace(".", ",")
                ci = f" ({t('ci95', lang)} {lo} – {hi})"
            return f"{val} {unit}{ci}"
        val = f"{e['estimate']:+.3g}"
        ci = (
            f" ({t('ci95', lang)} {e['lower']:.3g} – {e['upper']:.3g})"
            if _finite(e.get("lower")) and _finite(e.get("upper"))
            else ""
        )
        return val + ci

    def fmt_survival(self, lang: str) -> str:
        s = self.survival_12
        if not s or not _finite(s.get("survival")):
            return "–"
        out = f"{fmt_pct(s['survival'], lang)} %"
        if _finite(s.get("lower")) and _finite(s.get("upper")):
            out += f" ({t('ci95', lang)} {fmt_ci(s['lower'], s['upper'], lang)} %)"
        return out

    def fmt_work_or_study(self, lang: str) -> str:
        s = self.work_or_study_exit
        if not s or s.get("suppressed") or not _finite(s.get("share")):
            return "–"
        return f"{fmt_pct(s['share'], lang)} % ({t('ci95', lang)} {fmt_ci(s.get('lower'), s.get('upper'), lang)} %)"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _dig(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def headlines(results: dict) -> Headlines:
    """Pick the headline numbers out of a merged ``results.json``."""
    h = Headlines(sections=tuple(sorted(k for k in results if k not in ("project", "run"))))
    flow = _dig(results, "participants", "flow") or {}
    h.enrolled, h.referred, h.exited = flow.get("enrolled"), flow.get("referred"), flow.get("exited")
    h.planned = flow.get("planned") or _dig(results, "project", "planned_participants")
    h.targets = list(_dig(results, "targets", "targets") or [])
    for row in _dig(results, "outcomes", "work_or_study", "rows") or []:
        if row.get("timepoint") == "exit":
            h.work_or_study_exit = row.get("among_all")
    eff = _dig(results, "effects", "headline")
    if isinstance(eff, dict):
        h.effect = eff
    km_all = _dig(results, "survival", "kaplan_meier", "all")
    if isinstance(km_all, dict) and km_all:
        curve = km_all[sorted(km_all)[0]]
        for point in curve.get("survival", []):
            if point.get("months") == 12:
                h.survival_12 = point
        med = curve.get("median_months")
        h.survival_median = med if _finite(med) else None
    return h
