"""Participant surveys: Likert items and coded categorical items at exit and at follow-up.

Only the scale responses of items listed in ``project.yml: survey.items`` are
read (columns ``respondent_key, wave, item, response``); free-text answers and
any other column are never read, so they can never be printed.

Per item and wave: N (non-empty responses on the scale), the distribution,
the share agreeing (``response >= scale.agree_from``) with a Wilson interval,
and the median. An item on a ``categorical`` scale (open answers the evaluator coded into
unordered categories) has no share agreeing and no median: per wave, the number and share of
answers in each category. Response rates: distinct respondents per wave over the
eligible persons -- exited persons for the exit wave, and exited persons with
``end_date + followup_after_months <= data_end`` for the follow-up wave.

Disclosure: each item x wave distribution passes :func:`protect_counts`; the
share agreeing passes :func:`protect_share`; the median is shown only when N is
at least ``min_cell``; a category's share is shown only when its count and N are; item x wave bars with N below ``min_cell`` are not drawn
(with a note).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.disclosure.published import (
    Cell,
    Column,
    PublishedTable,
    code,
    count_cell,
    linked_cell,
    place,
    small_count_cell,
    unless,
    value_cell,
)
from analysis.disclosure.suppression import (
    DEFAULT_MIN_CELL,
    TOTAL,
    ProtectedCounts,
    ProtectedShare,
    ProtectedTable,
    protect_counts,
    protect_linked,
    protect_share,
    share_from_linked,
)
from analysis.project.codes import SURVEY_WAVES
from analysis.tables.participants import populations


@dataclass
class ItemWave:
    item: str
    wave: str
    scale: str
    counts: ProtectedTable  # response value 1..k (+ total)
    agree: ProtectedShare | None  # None on a categorical scale
    median: float | None

    @property
    def categorical(self) -> bool:
        return self.agree is None

    @property
    def n(self) -> int:
        return int(self.counts.counts.loc[TOTAL, "count"])

    @property
    def n_hidden(self) -> bool:
        return bool(self.counts.hidden.loc[TOTAL, "count"])


@dataclass
class SurveyResult:
    """Likert summaries per item and wave, and response rates."""

    items: list[ItemWave]  # ordinal and categorical
    response_rates: dict[str, ProtectedCounts | None]
    respondents: dict[str, int]
    spec: Any
    min_cell: int
    notes: list[dict] = field(default_factory=list)

    @property
    def ordinal(self) -> list[ItemWave]:
        return [iw for iw in self.items if not iw.categorical]

    @property
    def categorical(self) -> list[ItemWave]:
        return [iw for iw in self.items if iw.categorical]

    @property
    def table(self) -> pd.DataFrame:
        """Tidy true values of the ordinal items (not for publishing): item, wave, n, agree, share, lower, upper, median."""
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
                for iw in self.ordinal
                if iw.agree is not None
            ]
        )

    def rate(self, wave: str) -> ProtectedShare | None:
        pc = self.response_rates.get(wave)
        return None if pc is None else share_from_linked(pc, "respondents", "non_respondents", "eligible")

    def items_table(self) -> PublishedTable:
        """Per item and wave (row ``item:wave``): N, share agreeing with its interval, median."""
        table = PublishedTable(
            "items",
            [
                Column("wave", "code", of="survey_wave"),
                Column("n", "count"),
                Column("agree", "count", shown=False),
                Column("share", "share", digits=1),
                Column("ci", "interval", digits=1, of="share"),
                Column("median", "general"),
            ],
            rows_are="survey_item",
            min_cell=self.min_cell,
        )
        for iw in self.ordinal:
            assert iw.agree is not None
            hidden = iw.agree.hidden
            small = iw.median is None or iw.n < self.min_cell or iw.n_hidden
            table.add_row(
                f"{iw.item}:{iw.wave}",
                {
                    "wave": iw.wave,
                    "n": count_cell(iw.counts, TOTAL, "count"),
                    "agree": unless(hidden, iw.agree.successes),
                    "share": unless(hidden, iw.agree.share),
                    "ci": unless(hidden, [iw.agree.lower, iw.agree.upper]),
                    "median": Cell(None, "..") if small and iw.n > 0 else value_cell(iw.median),
                },
            )
        table.meta["scales"] = {iw.item: iw.scale for iw in self.ordinal}
        table.withheld = any(iw.counts.exposed for iw in self.ordinal)
        return table

    def distribution_tables(self) -> dict[str, PublishedTable]:
        """Per scale: the number of answers per response value (columns ``1`` .. ``k``) and N, per item and wave."""
        out: dict[str, PublishedTable] = {}
        for iw in self.ordinal:
            k = len(self.spec.scales[iw.scale].labels_sv)
            if iw.scale not in out:
                cols = [Column(str(v), "count") for v in range(1, k + 1)] + [Column("n", "count")]
                out[iw.scale] = PublishedTable(
                    f"distribution_{iw.scale}", cols, rows_are="survey_item", keys_are=f"scale:{iw.scale}"
                )
                out[iw.scale].min_cell = self.min_cell
            cells = {str(v): count_cell(iw.counts, v, "count") for v in range(1, k + 1)}
            cells["n"] = count_cell(iw.counts, TOTAL, "count")
            out[iw.scale].add_row(f"{iw.item}:{iw.wave}", cells)
            out[iw.scale].withheld |= iw.counts.exposed
        return out

    def category_tables(self) -> dict[str, PublishedTable]:
        """Per categorical item: rows the categories ``1`` .. ``k`` and the total, per wave the count and share.

        Each wave's column is one distribution protected with its total (:func:`protect_counts`); a
        share is hidden with its count, and all of them when N is hidden.
        """
        out: dict[str, PublishedTable] = {}
        for item in dict.fromkeys(iw.item for iw in self.categorical):
            waves = [iw for iw in self.categorical if iw.item == item]
            k = len(self.spec.scales[waves[0].scale].labels_sv)
            cols = [
                Column(key, kind, group=iw.wave, digits=1 if kind == "share" else None)
                for iw in waves
                for key, kind in (("count", "count"), ("share", "share"))
            ]
            table = PublishedTable(
                f"categories_{item}",
                cols,
                rows_are=f"scale:{waves[0].scale}",
                groups_are="survey_wave",
                min_cell=self.min_cell,
            )
            for row in [*range(1, k + 1), TOTAL]:
                cells: dict[str, Cell] = {}
                for iw in waves:
                    count = count_cell(iw.counts, row, "count")
                    hidden = count.suppressed or iw.n_hidden
                    cells[f"{iw.wave}/count"] = count
                    cells[f"{iw.wave}/share"] = unless(
                        hidden, iw.counts.counts.loc[row, "count"] / iw.n if iw.n else None
                    )
                table.add_row(code(row), cells)
            table.meta["item"], table.meta["scale"] = item, waves[0].scale
            table.withheld = any(iw.counts.exposed for iw in waves)
            out[item] = table
        return out

    def rates_table(self) -> PublishedTable:
        """Per wave: respondents, eligible persons and the response rate, protected together."""
        table = PublishedTable(
            "response_rates",
            [Column("respondents", "count"), Column("eligible", "count"), Column("rate", "share", digits=1)],
            rows_are="survey_wave",
            min_cell=self.min_cell,
        )
        for w, resp in self.respondents.items():
            pc = self.response_rates.get(w)
            if pc is None:
                table.add_row(w, {"respondents": small_count_cell(resp, self.min_cell)})
                continue
            share = self.rate(w)
            assert share is not None
            table.add_row(
                w,
                {
                    "respondents": linked_cell(pc, "respondents"),
                    "eligible": linked_cell(pc, "eligible"),
                    "rate": Cell() if share.n == 0 else unless(share.hidden, share.share),
                },
            )
            table.withheld |= pc.exposed
        return table

    def published(self) -> dict:
        out: dict[str, Any] = {"min_cell": self.min_cell}
        if self.ordinal:
            out |= {"items": self.items_table(), "distributions": self.distribution_tables()}
        if self.categorical:
            out["categories"] = self.category_tables()
        return out | {"response_rates": self.rates_table(), "notes": [self._note(n) for n in self.notes]}

    def _note(self, note: dict) -> dict:
        """A note with its counts of persons protected on their own (below ``min_cell`` -> ``"<5"``)."""
        return {
            k: (small_count_cell(v, self.min_cell) if k in ("count", "respondents", "eligible") else v)
            for k, v in note.items()
        }

    def to_results(self) -> dict:
        return place(self.published(), "/survey")


def summarise_survey(
    survey: pd.DataFrame | None,
    spec,
    participants: pd.DataFrame | None = None,
    data_end: dt.date | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    followup_after_months: int = 6,
) -> SurveyResult | None:
    """Summarise every item in ``spec`` (a ``SurveySpec``) per wave: Likert items and categorical ones.

    Returns None when there is no survey or no spec. Responses outside
    ``1..len(scale)`` are ignored (counted in ``notes``).
    """
    if survey is None or spec is None or survey.empty:
        return None
    s = survey[["respondent_key", "wave", "item", "response"]]  # free text never selected
    notes: list[dict] = []
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
                notes.append(
                    {"note": "responses_outside_scale", "item": it.id, "wave": w, "count": len(r) - len(valid), "k": k}
                )
            counts = valid.value_counts().reindex(range(1, k + 1), fill_value=0)
            prot = protect_counts(counts, min_cell)
            if sc.categorical:  # unordered: no share agreeing, no median
                items.append(ItemWave(it.id, w, it.scale, prot, None, None))
                continue
            agree = protect_share(int((valid >= sc.agree_from).sum()), int(valid.size), min_cell)
            items.append(ItemWave(it.id, w, it.scale, prot, agree, float(valid.median()) if valid.size else None))
    respondents = {
        w: int(s.loc[(s["wave"] == w) & s["response"].notna(), "respondent_key"].nunique())
        for w in SURVEY_WAVES
        if (s["wave"] == w).any()
    }
    rates = _response_rates(respondents, participants, data_end, followup_after_months, min_cell, notes)
    return SurveyResult(items, rates, respondents, spec, min_cell, notes)


def _response_rates(
    respondents: dict[str, int],
    participants: pd.DataFrame | None,
    data_end: dt.date | None,
    followup_after_months: int,
    min_cell: int,
    notes: list[dict],
) -> dict[str, ProtectedCounts | None]:
    """Per wave: respondents, non-respondents and eligible persons protected together (None without a base)."""
    rates: dict[str, ProtectedCounts | None] = {}
    for w, resp in respondents.items():
        if participants is None or data_end is None:
            rates[w] = None
            continue
        ex = participants[populations(participants, data_end)["exited"]]
        if w == "followup":
            ex = ex[ex["end_date"] + pd.DateOffset(months=followup_after_months) <= pd.Timestamp(data_end)]
        if resp > len(ex):
            notes.append(
                {"note": "more_respondents_than_eligible", "wave": w, "respondents": resp, "eligible": len(ex)}
            )
            rates[w] = None
            continue
        values = {"respondents": resp, "non_respondents": len(ex) - resp, "eligible": len(ex)}
        rates[w] = protect_linked(values, [(["respondents", "non_respondents"], "eligible")], min_cell)
    return rates
