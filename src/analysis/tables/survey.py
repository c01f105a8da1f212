"""Participant surveys: Likert items at exit and at follow-up.

Only the scale responses of items listed in ``project.yml: survey.items`` are
read (columns ``respondent_key, wave, item, response``); free-text answers and
any other column are never read, so they can never be printed.

Per item and wave: N (non-empty responses on the scale), the distribution,
the share agreeing (``response >= scale.agree_from``) with a Wilson interval,
and the median. Response rates: distinct respondents per wave over the
eligible persons -- exited persons for the exit wave, and exited persons with
``end_date + followup_after_months <= data_end`` for the follow-up wave.

Disclosure: each item x wave distribution passes :func:`protect_counts`; the
share agreeing passes :func:`protect_share`; the median is shown only when N is
at least ``min_cell``; item x wave bars with N below ``min_cell`` are not drawn
(with a note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from analysis.disclosure.proportions import fmt_ci, fmt_pct
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
    ProtectedShare,
    ProtectedTable,
    plot_groups,
    protect_counts,
    protect_share,
)
from analysis.project.codes import SURVEY_WAVES
from analysis.tables.participants import populations


@dataclass
class ItemWave:
    item: str
    wave: str
    scale: str
    counts: ProtectedTable  # response value 1..k (+ total)
    agree: ProtectedShare
    median: float | None

    @property
    def n(self) -> int:
        return int(self.counts.counts.loc[TOTAL, "count"])

    @property
    def n_hidden(self) -> bool:
        return bool(self.counts.hidden.loc[TOTAL, "count"])


@dataclass
class SurveyResult:
    """Likert summaries per item and wave, and response rates."""

    items: list[ItemWave]
    response_rates: dict[str, ProtectedShare | None]
    respondents: dict[str, int]
    spec: object
    min_cell: int
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """Tidy true values (not for publishing): item, wave, n, agree, share, lower, upper, median."""
        return pd.DataFrame(
            [
                {
                    "item": iw.item,
                    "wave": iw.wave,
                    "n": iw.n,
                    "agree": iw.agree.successes,
                    "share": iw.agree.share,
                    "lower": iw.agree.lower,
                    "upper": iw.agree.upper,
                    "median": iw.median,
                }
                for iw in self.items
            ]
        )

    def _text(self, item_id: str, lang: str) -> str:
        it = next(i for i in self.spec.items if i.id == item_id)
        return (it.text_en or it.text_sv) if lang == "en" else it.text_sv

    def _labels(self, scale: str, lang: str) -> list[str]:
        sc = self.spec.scales[scale]
        return (sc.labels_en or sc.labels_sv) if lang == "en" else sc.labels_sv

    def summary(self, lang: str = "sv") -> pd.DataFrame:
        """Item, wave, N, share agreeing (one decimal) with interval, median."""
        from analysis.project.i18n import t

        rows = []
        for iw in self.items:
            n_txt = iw.counts.display.loc[TOTAL, "count"]
            hidden = iw.agree.hidden
            med = "–" if iw.median is None or iw.n < self.min_cell or iw.n_hidden else _num(iw.median, lang)
            rows.append(
                [
                    self._text(iw.item, lang),
                    t(f"tab_wave_{iw.wave}", lang),
                    n_txt,
                    "–" if hidden else fmt_pct(iw.agree.share, lang),
                    "–" if hidden else fmt_ci(iw.agree.lower, iw.agree.upper, lang),
                    med,
                ]
            )
        cols = [
            t("tab_col_item", lang),
            t("tab_col_wave", lang),
            t("n", lang),
            t("tab_col_agree_pct", lang),
            t("ci95", lang),
            t("tab_col_median", lang),
        ]
        return pd.DataFrame(rows, columns=cols)

    def distribution_summary(self, lang: str = "sv") -> pd.DataFrame:
        """Counts per response category (protected display strings), one row per item x wave."""
        from analysis.project.i18n import t

        rows, index = [], []
        for iw in self.items:
            labels = self._labels(iw.scale, lang)
            disp = iw.counts.display["count"]
            rows.append({**{lab: disp.loc[v] for v, lab in enumerate(labels, start=1)}, t("n", lang): disp.loc[TOTAL]})
            index.append(f"{self._text(iw.item, lang)} – {t(f'tab_wave_{iw.wave}', lang)}")
        return pd.DataFrame(rows, index=index)

    def response_rate_summary(self, lang: str = "sv") -> pd.DataFrame:
        from analysis.project.i18n import t

        rows = []
        for w in self.respondents:
            r = self.response_rates.get(w)
            resp = self.respondents[w]
            resp_txt = f"<{self.min_cell}" if 0 < resp < self.min_cell else str(resp)
            if r is None:
                rows.append([t(f"tab_wave_{w}", lang), resp_txt, "–", "–"])
                continue
            elig = f"<{self.min_cell}" if r.n_hidden else str(r.n)
            if r.hidden:
                resp_txt = resp_txt if 0 < resp < self.min_cell else "–"
            rows.append([t(f"tab_wave_{w}", lang), resp_txt, elig, "–" if r.hidden else fmt_pct(r.share, lang)])
        return pd.DataFrame(
            rows,
            columns=[
                t("tab_col_wave", lang),
                t("tab_col_respondents", lang),
                t("tab_col_eligible", lang),
                t("tab_col_response_rate", lang),
            ],
        )

    def plot(self, lang: str = "sv"):
        """Diverging stacked bars per item, exit and follow-up wave side by side.

        Disagreeing answers go left of zero, agreeing answers right, and the
        middle category of an odd scale (when it is the one just below
        ``agree_from``) is split across zero.
        """
        import matplotlib.pyplot as plt
        import seaborn as sns

        from analysis.project.i18n import t
        from analysis.project.style import set_style

        set_style()
        sizes = pd.Series({(iw.item, iw.wave): iw.n for iw in self.items}, dtype="int64")
        pg = plot_groups(sizes, self.min_cell) if len(sizes) else None
        draw = [iw for iw in self.items if pg is not None and (iw.item, iw.wave) in pg.keep]
        scales = list(dict.fromkeys(iw.scale for iw in draw))
        if not draw:
            fig, ax = plt.subplots(figsize=(7.5, 2))
            ax.text(0.5, 0.5, t("tab_nothing_to_plot", lang, min_cell=self.min_cell), ha="center", va="center")
            ax.set_axis_off()
            return fig
        heights = [sum(1 for iw in draw if iw.scale == s) for s in scales]
        fig, axes = plt.subplots(
            len(scales),
            1,
            figsize=(9, 0.55 * sum(heights) + 1.6 * len(scales)),
            gridspec_kw={"height_ratios": heights},
            squeeze=False,
        )
        for ax, sc_name in zip(axes[:, 0], scales):
            sc = self.spec.scales[sc_name]
            k = len(sc.labels_sv)
            labels = self._labels(sc_name, lang)
            colors = sns.color_palette("RdBu", k)
            mid = (k + 1) // 2 if k % 2 == 1 and (k + 1) // 2 == sc.agree_from - 1 else None
            rows = [iw for iw in draw if iw.scale == sc_name]
            for y, iw in enumerate(rows):
                c = iw.counts.counts["count"]
                pct = {v: 100 * c.loc[v] / iw.n for v in range(1, k + 1)}
                half = pct[mid] / 2 if mid else 0.0
                left = -half
                for v in range(sc.agree_from - 1, 0, -1):  # disagreeing, outward from zero
                    if v == mid:
                        continue
                    ax.barh(y, -pct[v], left=left, color=colors[v - 1], edgecolor="white", height=0.7)
                    left -= pct[v]
                if mid:
                    ax.barh(y, pct[mid], left=-half, color=colors[mid - 1], edgecolor="white", height=0.7)
                right = half
                for v in range(sc.agree_from, k + 1):
                    ax.barh(y, pct[v], left=right, color=colors[v - 1], edgecolor="white", height=0.7)
                    right += pct[v]
            ax.set_yticks(
                range(len(rows)),
                [f"{self._text(iw.item, lang)}\n{t(f'tab_wave_{iw.wave}', lang)} (N={iw.n})" for iw in rows],
                fontsize=8,
            )
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_xlim(-100, 100)
            ax.set_xticks(range(-100, 101, 25), [f"{abs(x)}" for x in range(-100, 101, 25)])
            ax.set_xlabel(t("tab_axis_percent", lang))
            handles = [plt.Rectangle((0, 0), 1, 1, color=colors[v]) for v in range(k)]
            ax.legend(
                handles,
                labels,
                ncol=min(k, 5),
                fontsize=7,
                frameon=False,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.28),
            )
        if pg is not None and pg.dropped:
            fig.text(0.01, 0.0, t("tab_note_items_not_plotted", lang, min_cell=self.min_cell), fontsize=7, va="top")
        fig.tight_layout()
        return fig

    def to_results(self) -> dict:
        items = []
        for iw in self.items:
            safe = iw.counts.safe_counts()["count"]
            shown = iw.counts.display["count"]  # "<5" / ".." where the report hides a count
            items.append(
                {
                    "item": iw.item,
                    "wave": iw.wave,
                    "scale": iw.scale,
                    "n": None if iw.n_hidden else iw.n,
                    "agree": iw.agree.to_results(),
                    "median": None if iw.median is None or iw.n_hidden or iw.n < self.min_cell else float(iw.median),
                    "distribution": [
                        {
                            "value": int(v),
                            "count": None if pd.isna(safe.loc[v]) else int(safe.loc[v]),
                            "suppressed": bool(pd.isna(safe.loc[v])),
                            **({"shown": str(shown.loc[v])} if pd.isna(safe.loc[v]) else {}),
                        }
                        for v in safe.index
                        if v != TOTAL
                    ],
                }
            )
        rates = []
        for w, resp in self.respondents.items():
            r = self.response_rates.get(w)
            rates.append(
                {
                    "wave": w,
                    "respondents": None if (0 < resp < self.min_cell) or (r is not None and r.hidden) else resp,
                    "eligible": None if r is None or r.n_hidden else r.n,
                    "rate": None if r is None or r.hidden else float(r.share),
                    "suppressed": bool(r is None or r.hidden),
                }
            )
        return {"min_cell": self.min_cell, "items": items, "response_rates": rates}


def _num(x: float, lang: str) -> str:
    s = f"{x:.1f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if lang == "sv" else s


def summarise_survey(
    survey: pd.DataFrame | None,
    spec,
    participants: pd.DataFrame | None = None,
    data_end: dt.date | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    followup_after_months: int = 6,
) -> SurveyResult | None:
    """Summarise every Likert item in ``spec`` (a ``SurveySpec``) per wave.

    Returns None when there is no survey or no spec. Responses outside
    ``1..len(scale)`` are ignored (counted in ``notes``).
    """
    if survey is None or spec is None or survey.empty:
        return None
    s = survey[["respondent_key", "wave", "item", "response"]]  # free text never selected
    notes: list[str] = []
    items: list[ItemWave] = []
    for it in spec.items:
        sc = spec.scales[it.scale]
        k = len(sc.labels_sv)
        sub = s[s["item"] == it.id]
        for w in SURVEY_WAVES:
            r = sub.loc[sub["wave"] == w, "response"].dropna()
            if r.empty:
                continue
            valid = r[(r >= 1) & (r <= k) & (r == r.round())].astype(int)
            if len(valid) < len(r):
                notes.append(f"{it.id}/{w}: {len(r) - len(valid)} responses outside 1..{k} ignored")
            counts = valid.value_counts().reindex(range(1, k + 1), fill_value=0)
            prot = protect_counts(counts, min_cell)
            agree = protect_share(int((valid >= sc.agree_from).sum()), int(valid.size), min_cell)
            items.append(ItemWave(it.id, w, it.scale, prot, agree, float(valid.median()) if valid.size else None))
    respondents = {
        w: int(s.loc[(s["wave"] == w) & s["response"].notna(), "respondent_key"].nunique())
        for w in SURVEY_WAVES
        if (s["wave"] == w).any()
    }
    rates: dict[str, ProtectedShare | None] = {}
    for w, resp in respondents.items():
        if participants is None or data_end is None:
            rates[w] = None
            continue
        ex = participants[populations(participants, data_end)["exited"]]
        if w == "followup":
            ex = ex[ex["end_date"] + pd.DateOffset(months=followup_after_months) <= pd.Timestamp(data_end)]
        if resp > len(ex):
            notes.append(f"{w}: more respondents ({resp}) than eligible persons ({len(ex)}); no response rate")
            rates[w] = None
            continue
        rates[w] = protect_share(resp, len(ex), min_cell)
    return SurveyResult(items, rates, respondents, spec, min_cell, notes)
