"""The payback result: net effect per actor, payback time, return per krona, sensitivity; numbers only.

:class:`PaybackResult` holds the month effects and the prices and computes every published number
from them on request (``summary()``, ``sensitivity()``, ``months_table()``, ``plot()``); its published
tables (the page and ``results.json``) are :func:`analysis.payback.publish.published`. Labels are codes
(``kommun``, ``public``, ``cost_3y``); the report section translates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.suppression import ProtectedCounts
from analysis.payback.costs import CostTable
from analysis.payback.estimate import MonthEffects
from analysis.payback.pricing import (
    TOTALS,
    Z975,
    Curves,
    PriceMatrix,
    cost_curve,
    curves,
    months_in_sources,
    payback_month,
    price_matrix,
)

SPREAD_MONTHS = 36  # "cost written off over three years"
# Okabe-Ito colours (distinguishable with colour-vision deficiency); totals in black
ACTOR_COLOURS = {
    "kommun": "#0072B2",
    "region": "#009E73",
    "kommun_region": "#3d8fc4",  # Okabe-Ito hues, darkened where they had less than 3:1 on white
    "staten": "#a86d00",
    "arbetsformedlingen": "#CC79A7",
    "forsakringskassan": "#D55E00",
    "a_kassa": "#8C6D31",
    "individual": "#6A3D9A",
}
SENSITIVITY_RATES = (0.0, 0.035)


@dataclass
class Interval:
    """An estimate with its standard error and 95 % interval."""

    estimate: float
    se: float

    @property
    def lower(self) -> float:
        return self.estimate - Z975 * self.se

    @property
    def upper(self) -> float:
        return self.estimate + Z975 * self.se

    def to_results(self) -> dict[str, float]:
        return {"estimate": self.estimate, "se": self.se, "lower": self.lower, "upper": self.upper}


@dataclass
class PaybackTime:
    """Months until the cumulated net effect covers the cost; None = not within ``horizon`` (censored)."""

    months: int | None
    lower: int | None  # where the upper band first covers the cost
    upper: int | None  # where the lower band first covers the cost
    horizon: int

    def to_results(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "lower": self.lower,
            "upper": self.upper,
            "horizon": self.horizon,
            "censored": self.months is None,
            "upper_censored": self.upper is None,
        }


@dataclass
class PaybackResult:
    """Everything the payback section shows (see :func:`analysis.payback.analysis.payback_analysis`).

    ``available`` is False with a ``reason`` (``not_configured``, ``no_data``, ``no_cost``,
    ``too_few``) when nothing can be priced.
    """

    available: bool
    reason: str | None = None
    design: str | None = None  # comparison, before_after
    basis: str | None = None  # income, status, followups
    min_cell: int = 5
    min_persons: int = 10  # persons per group a month needs to be used
    horizons: list[int] = field(default_factory=lambda: [12, 60])
    discount_rate: float = 0.035
    extrapolate: str = "last_year"
    cost_per_participant: float | None = None
    cost_total: float | None = None
    cost_participants: int | None = None
    cost_example: bool = False
    funders: dict[str, float] = field(default_factory=dict)
    counts: ProtectedCounts | None = None
    weights_method: str | None = None
    table: CostTable | None = None
    prices: PriceMatrix | None = None
    effects: MonthEffects | None = None
    gross: MonthEffects | None = None
    by_sex: dict[str, MonthEffects] = field(default_factory=dict)

    # ------------------------------------------------------------------ curves and numbers
    @property
    def horizon(self) -> int:
        return max(self.horizons)

    def curves(
        self, which: str = "net", rate: float | None = None, extrapolate: str | None = None, group: str | None = None
    ) -> Curves | None:
        """Cumulated net effect per participant after each month (``which``: ``net`` or ``gross``)."""
        me = self.by_sex.get(group) if group else (self.effects if which == "net" else self.gross)
        if me is None or self.prices is None or self.table is None:
            return None
        prices = self.prices
        if me.sources != prices.sources:
            prices = price_matrix(me.sources, prices.entry_of, self.table)
        return curves(
            me,
            prices,
            self.horizon,
            self.discount_rate if rate is None else rate,
            self.extrapolate if extrapolate is None else extrapolate,
        )

    def net(self, column: str, horizon: int, which: str = "net", **kw) -> Interval | None:
        """Cumulated discounted net effect per participant of one actor or total after ``horizon`` months."""
        c = self.curves(which, **kw)
        if c is None or horizon not in c.estimate.index:
            return None
        return Interval(float(c.estimate.loc[horizon, column]), float(c.se.loc[horizon, column]))

    def cost_of(self, column: str) -> float | None:
        """The part of the cost per participant an actor paid (the whole cost for the totals)."""
        if self.cost_per_participant is None:
            return None
        if column in TOTALS:
            return self.cost_per_participant
        share = self.funders.get(column)
        return None if share is None else self.cost_per_participant * share

    def payback(
        self, column: str = "public", spread_months: int = 0, shift: float = 0.0, which: str = "net", **kw
    ) -> PaybackTime | None:
        """Payback time of the cost (``shift``: the curve moved by that many standard errors)."""
        c = self.curves(which, **kw)
        cost = self.cost_of(column)
        if c is None or cost is None or not len(c.months):
            return None
        rate = self.discount_rate if kw.get("rate") is None else kw["rate"]
        cc = cost_curve(cost, c.months, rate, spread_months)
        est = c.estimate[column].to_numpy() + shift * c.se[column].to_numpy()
        se = c.se[column].to_numpy()
        return PaybackTime(
            months=payback_month(est, cc, c.months),
            lower=payback_month(est + Z975 * se, cc, c.months),
            upper=payback_month(est - Z975 * se, cc, c.months),
            horizon=int(c.months.max()),
        )

    def return_per_krona(self, column: str, horizon: int, spread_months: int = 0, **kw) -> Interval | None:
        """Net effect per krona of cost after ``horizon`` months (with the net effect's interval)."""
        n = self.net(column, horizon, **kw)
        cost = self.cost_of(column)
        if n is None or not cost:
            return None
        rate = self.discount_rate if kw.get("rate") is None else kw["rate"]
        pv = float(cost_curve(cost, np.array([max(horizon, SPREAD_MONTHS)]), rate, spread_months)[0])
        return Interval(n.estimate / pv, n.se / pv)

    # ------------------------------------------------------------------ tables
    def columns(self) -> list[str]:
        """Actors with any flow, then the totals."""
        if self.prices is None:
            return []
        P = self.prices.values
        return [a for j, a in enumerate(self.prices.columns) if a in TOTALS or np.any(P[:, j] != 0)]

    def summary(self) -> pd.DataFrame:
        """Per actor and total: net effect per participant over each horizon (estimate, lower, upper),
        the before/after figure and the payback time in months (NaN: not reached or not defined)."""
        rows = []
        for col in self.columns():
            row: dict[str, Any] = {"column": col}
            for h in self.horizons:
                for which in ("net", "gross") if self.design == "comparison" else ("net",):
                    iv = self.net(col, h, which)
                    tag = "" if which == "net" else "gross_"
                    row[f"{tag}{h}"] = np.nan if iv is None else iv.estimate
                    row[f"{tag}{h}_lower"] = np.nan if iv is None else iv.lower
                    row[f"{tag}{h}_upper"] = np.nan if iv is None else iv.upper
            pt = self.payback(col)
            row["payback_months"] = np.nan if pt is None or pt.months is None else pt.months
            rows.append(row)
        return pd.DataFrame(rows).set_index("column")

    def scenarios(self) -> list[tuple[str, dict[str, Any]]]:
        """The sensitivity scenarios: name and the settings that differ from the base."""
        out: list[tuple[str, dict[str, Any]]] = [("base", {})]
        out.append(("cost_3y", {"spread_months": SPREAD_MONTHS}))
        out += [("effect_lower", {"shift": -Z975}), ("effect_upper", {"shift": Z975})]
        out += [(f"rate_{r:g}", {"rate": r}) for r in SENSITIVITY_RATES if abs(r - self.discount_rate) > 1e-12]
        if self.effects is not None and self.extrapolate != "none" and self.effects.n_months < self.horizon:
            out.append(("observed_only", {"extrapolate": "none"}))
        if self.design == "comparison" and self.gross is not None:
            out.append(("before_after", {"which": "gross"}))
        return out

    def sensitivity(self, columns: tuple[str, ...] = TOTALS) -> pd.DataFrame:
        """Net effect over the longest horizon, return per krona and payback time under each scenario."""
        rows = []
        for name, kw in self.scenarios():
            curve_kw = {k: v for k, v in kw.items() if k in ("rate", "extrapolate")}
            which = kw.get("which", "net")
            for col in columns:
                c = self.curves(which, **curve_kw)
                if c is None or not len(c.months):
                    continue
                h = int(c.months.max())
                est = float(c.estimate.loc[h, col] + kw.get("shift", 0.0) * c.se.loc[h, col])
                se = float(c.se.loc[h, col])
                cost = self.cost_of(col)
                rate = kw.get("rate", self.discount_rate)
                pv = (
                    float(cost_curve(cost, np.array([max(h, SPREAD_MONTHS)]), rate, kw.get("spread_months", 0))[0])
                    if cost
                    else np.nan
                )
                pt = self.payback(col, kw.get("spread_months", 0), kw.get("shift", 0.0), which, **curve_kw)
                rows.append(
                    {
                        "scenario": name,
                        "column": col,
                        "horizon": h,
                        "estimate": est,
                        "lower": est - Z975 * se,
                        "upper": est + Z975 * se,
                        "return_per_krona": est / pv if cost else np.nan,
                        "payback_months": np.nan if pt is None or pt.months is None else pt.months,
                    }
                )
        return pd.DataFrame(rows)

    def months_table(self) -> pd.DataFrame:
        """Effect on the number of months with each source over each horizon (undiscounted), with intervals."""
        if self.effects is None or self.prices is None:
            return pd.DataFrame()
        out = pd.DataFrame(index=pd.Index(self.effects.sources, name="source"))
        out["entry"] = [self.prices.entry_of.get(s) for s in out.index]
        out["priced"] = [s not in self.prices.unattributed and s not in self.prices.unpriced for s in out.index]
        for h in self.horizons:
            m = months_in_sources(self.effects, h, self.extrapolate)
            out[f"{h}"] = m["effect"]
            out[f"{h}_lower"] = m["effect"] - Z975 * m["se"]
            out[f"{h}_upper"] = m["effect"] + Z975 * m["se"]
        return out

    def sex_table(self) -> pd.DataFrame:
        """Per sex (groups with enough persons only): totals over each horizon and the payback time."""
        rows = []
        for g in self.by_sex:
            for col in TOTALS:
                c = self.curves(group=g)
                if c is None:
                    continue
                row: dict[str, Any] = {"group": g, "column": col}
                for h in self.horizons:
                    ok = h in c.estimate.index
                    e, s = (float(c.estimate.loc[h, col]), float(c.se.loc[h, col])) if ok else (np.nan, np.nan)
                    row[f"{h}"], row[f"{h}_lower"], row[f"{h}_upper"] = e, e - Z975 * s, e + Z975 * s
                cost = self.cost_of(col)
                pm = None
                if cost is not None and len(c.months):
                    cc = cost_curve(cost, c.months, self.discount_rate)
                    pm = payback_month(c.estimate[col].to_numpy(), cc, c.months)
                row["payback_months"] = np.nan if pm is None else pm
                rows.append(row)
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ figure
    def plot(self, ax=None, labels: dict[str, str] | None = None, column: str = "public", **text):
        """Cumulated net effect per participant by month per actor, the total with its band, the cost line and
        the payback point; the before/after curve dashed in grey. ``text`` may give ``xlabel``, ``ylabel``,
        ``cost_label``, ``gross_label``, ``payback_label``, ``extrapolated_label``."""
        import matplotlib.pyplot as plt

        labels = labels or {}
        c = self.curves()
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4.6))
        if c is None:
            return ax
        x = c.months
        K = c.observed
        for col in [a for a in self.columns() if a not in TOTALS]:
            y = c.estimate[col].to_numpy() / 1000
            self._draw(ax, x, y, K, ACTOR_COLOURS.get(col, "#555555"), labels.get(col, col), 1.3)
        y = c.estimate[column].to_numpy() / 1000
        lo, hi = c.lower()[column].to_numpy() / 1000, c.upper()[column].to_numpy() / 1000
        ax.fill_between(x, lo, hi, color="black", alpha=0.12, lw=0)
        self._draw(ax, x, y, K, "black", labels.get(column, column), 2.4)
        g = self.curves("gross") if self.design == "comparison" else None
        if g is not None:
            ax.plot(
                g.months,
                g.estimate[column].to_numpy() / 1000,
                color="#8c8c8c",
                ls="--",
                lw=1.6,
                label=text.get("gross_label", "before/after"),
            )
        if self.cost_per_participant is not None:
            ax.axhline(
                self.cost_per_participant / 1000, color="#b0413e", lw=1.8, ls=":", label=text.get("cost_label", "cost")
            )
            pt = self.payback(column)
            if pt is not None and pt.months is not None:
                yy = float(c.estimate.loc[pt.months, column]) / 1000
                ax.plot(
                    [pt.months], [yy], "o", color="#b0413e", ms=8, zorder=5, label=text.get("payback_label", "payback")
                )
        if x.max() > K:
            ax.axvspan(
                K + 0.5, x.max() + 0.5, color="#f2f2f2", zorder=0, label=text.get("extrapolated_label", "extrapolated")
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlim(0.5, x.max() + 0.5)
        ax.set_xticks([m for m in range(0, int(x.max()) + 1, 12) if m > 0])
        ax.set_xlabel(text.get("xlabel", "Months since start"))
        ax.set_ylabel(text.get("ylabel", "Thousand kronor per participant"))
        ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)
        return ax

    @staticmethod
    def _draw(ax, x: np.ndarray, y: np.ndarray, K: int, colour: str, label: str, lw: float) -> None:
        seen = x <= K
        ax.plot(x[seen], y[seen], color=colour, lw=lw, label=label)
        if (~seen).any():
            xs = np.concatenate([x[seen][-1:], x[~seen]])
            ys = np.concatenate([y[seen][-1:], y[~seen]])
            ax.plot(xs, ys, color=colour, lw=lw, ls=(0, (4, 2)))
