"""The payback result as published tables: what the page shows and ``results.json`` holds, cell by cell.

:func:`published` turns a :class:`~analysis.payback.result.PaybackResult` into the section's tree
(see :mod:`analysis.disclosure.published`): codes and numbers only, no language. Amounts are
``sek`` cells shown rounded to the nearest hundred kronor (``digits=-2``; the node keeps the value),
the persons behind the numbers are protected together (``min_cell``), and a payback time that is
not reached within the horizon is the code ``not_within_horizon`` in the column of months.
"""

from __future__ import annotations

from typing import Any

from analysis.disclosure.published import (
    NO_CELL,
    Cell,
    Column,
    PublishedTable,
    linked_cell,
    small_count_cell,
    value_cell,
)
from analysis.payback.pricing import TOTALS
from analysis.payback.result import Interval, PaybackResult, PaybackTime

KRONOR = -2  # kronor on the page: to the nearest hundred
NOT_REACHED = "not_within_horizon"
PERSONS = ("started", "analysed", "left_out", "female", "male", "gender_unknown")
HORIZON_YEARS = (12, 36, 60)  # the horizon sensitivity: after 1, 3 and 5 years


def published(res: PaybackResult) -> dict[str, Any]:
    """The section's tree; "no data" (nothing priced) is ``{"min_cell", "no_data": {"payback": reason}}``.

    Example
    -------
    >>> from analysis.disclosure.published import place
    >>> node = place(published(res), "/payback")  # doctest: +SKIP
    >>> node["actors"]["rows"]["public"]["net_60"]  # doctest: +SKIP
    """
    if not res.available:
        return {"min_cell": res.min_cell, "no_data": {"payback": res.reason or "no_data"}}
    tree: dict[str, Any] = {
        "min_cell": res.min_cell,
        "design": res.design,
        "basis": res.basis,
        "weights": res.weights_method,
        "discount_rate": res.discount_rate,
        "horizons_months": list(res.horizons),
        "extrapolate": res.extrapolate,
        "months_observed": None if res.effects is None else res.effects.n_months,
        "min_persons": res.min_persons,
        "cost": {
            "per_participant_sek": res.cost_per_participant,
            "total_sek": res.cost_total,
            "participants": res.cost_participants,
            "example": res.cost_example,
            "funders": dict(res.funders),
        },
        "persons": persons_table(res),
        "actors": actor_table(res),
        "months": months_table(res),
        "sensitivity": sensitivity_table(res),
    }
    if res.horizon >= HORIZON_YEARS[0]:  # a calculation shorter than a year has no "after 1, 3 and 5 years"
        tree["horizons"] = horizon_table(res)
    sex = sex_table(res)
    if sex is not None:
        tree["by_sex"] = sex
    else:  # no sex has enough participants (or the sex is not recorded): one sentence says so
        tree["no_data"] = {"by_sex": "too_few"}
    tree["cost_table"] = cost_table_tree(res)
    tree["unattributed"] = list(res.prices.unattributed) if res.prices else []
    tree["unpriced"] = list(res.prices.unpriced) if res.prices else []
    return tree


def persons_table(res: PaybackResult) -> PublishedTable:
    """The persons behind the numbers, protected together (analysed + left out = started, the sexes = analysed)."""
    pt = PublishedTable("persons", [Column("count", "count")], rows_are="payback_persons", min_cell=res.min_cell)
    if res.counts is not None:
        pt.withheld = res.counts.exposed
        for key in PERSONS:
            if key in res.counts.values:
                pt.add_row(key, {"count": linked_cell(res.counts, key)})
    if res.design == "comparison" and res.effects is not None:
        pt.add_row("comparison", {"count": small_count_cell(res.effects.n_persons_control, res.min_cell)})
    return pt


def _kronor(iv: Interval | None) -> tuple[Cell, Cell, Cell]:
    """(estimate, [lower, upper], standard error) of an amount."""
    if iv is None:
        return NO_CELL, NO_CELL, NO_CELL
    return value_cell(iv.estimate), value_cell([iv.lower, iv.upper]), value_cell(iv.se)


def _estimate(iv: Interval | None) -> Cell:
    return NO_CELL if iv is None else value_cell([iv.estimate, iv.lower, iv.upper])


def payback_cell(pt: PaybackTime | None) -> Cell:
    """Months until paid back, or the code ``not_within_horizon`` (censored), or no value (no cost share)."""
    if pt is None:
        return NO_CELL
    return value_cell(pt.months) if pt.months is not None else Cell(NOT_REACHED, kind="code")


def actor_table(res: PaybackResult) -> PublishedTable:
    """Per actor and total: net per participant after each horizon with its interval, the before/after
    figure beside it (comparison design), payback time and, for the totals, kronor back per krona."""
    net = res.design == "comparison"
    cols: list[Column] = []
    for h in res.horizons:
        cols += [Column(f"net_{h}", "sek", digits=KRONOR), Column(f"ci_{h}", "interval", digits=KRONOR, of="sek")]
        cols.append(Column(f"se_{h}", "sek", digits=0, shown=False))
    if net:
        cols += [Column(f"gross_{h}", "estimate", digits=KRONOR, of="sek", shown=False) for h in res.horizons]
        cols += [Column("gross", "sek", digits=KRONOR), Column("gross_payback", "general", shown=False)]
    cols += [Column("payback", "general"), Column("payback_lower", "general", shown=False)]
    cols += [Column("payback_upper", "general", shown=False)]
    cols.append(Column("return_per_krona", "estimate", digits=2, of="number", shown=False))
    pt = PublishedTable("actors", cols, rows_are="payback_actor", min_cell=res.min_cell)
    pt.meta = {"horizon": res.horizon}
    for col in res.columns():
        cells: dict[str, Cell] = {}
        for h in res.horizons:
            cells[f"net_{h}"], cells[f"ci_{h}"], cells[f"se_{h}"] = _kronor(res.net(col, h))
            if net:
                cells[f"gross_{h}"] = _estimate(res.net(col, h, "gross"))
        if net:
            gross = res.net(col, res.horizon, "gross")
            cells["gross"] = NO_CELL if gross is None else value_cell(gross.estimate)
            cells["gross_payback"] = payback_cell(
                res.payback(col, which="gross") if res.cost_of(col) is not None else None
            )
        pay = res.payback(col) if res.cost_of(col) is not None else None
        cells["payback"] = payback_cell(pay)
        cells["payback_lower"] = NO_CELL if pay is None else value_cell(pay.lower)
        cells["payback_upper"] = NO_CELL if pay is None else value_cell(pay.upper)
        if col in TOTALS:
            cells["return_per_krona"] = _estimate(res.return_per_krona(col, res.horizon))
        pt.add_row(col, cells)
    return pt


def months_table(res: PaybackResult) -> PublishedTable:
    """Effect on the months with each source per participant over each horizon, and what a month is priced at."""
    cols = [Column("entry", "code", of="payback_entry", shown=False), Column("priced_as", "sek", digits=0)]
    cols += [Column(f"months_{h}", "estimate", digits=1, of="number") for h in res.horizons]
    pt = PublishedTable("months", cols, rows_are="payback_source", min_cell=res.min_cell)
    pt.meta = {"basis": res.basis}
    m = res.months_table()
    if res.table is None or res.prices is None:
        return pt
    for s, r in m.iterrows():
        entry = res.table.entries.get(r["entry"]) if r["entry"] else None
        if s in res.prices.unattributed:
            price = Cell("unattributed", kind="code")
        elif entry is None or entry.monthly is None:
            price = Cell("unpriced", kind="code")
        else:
            price = value_cell(entry.monthly)
        cells = {"entry": value_cell(r["entry"] or None), "priced_as": price}
        for h in res.horizons:
            cells[f"months_{h}"] = value_cell([r[str(h)], r[f"{h}_lower"], r[f"{h}_upper"]])
        pt.add_row(str(s), cells)
    return pt


def _months_cell(months: float) -> Cell:
    return value_cell(int(months)) if months == months else Cell(NOT_REACHED, kind="code")


def sensitivity_table(res: PaybackResult) -> PublishedTable:
    """One row per scenario: for the totals the net at the end of the calculation, payback, return per krona."""
    cols = [Column("horizon", "general", shown=False)]
    for g in TOTALS:
        cols += [Column("net", "estimate", group=g, digits=KRONOR, of="sek"), Column("payback", "general", group=g)]
        cols.append(Column("return_per_krona", "number", group=g, digits=2, shown=g == "public"))
    pt = PublishedTable("sensitivity", cols, rows_are="payback_scenario", groups_are="payback_total")
    pt.min_cell = res.min_cell
    sens = res.sensitivity()
    for name in dict.fromkeys(sens["scenario"]):
        part = sens[sens["scenario"] == name].set_index("column")
        cells: dict[str, Cell] = {"horizon": value_cell(int(part["horizon"].iloc[0]))}
        for g in TOTALS:
            if g not in part.index:
                continue
            r = part.loc[g]
            cells[f"{g}/net"] = value_cell([r["estimate"], r["lower"], r["upper"]])
            cells[f"{g}/payback"] = _months_cell(r["payback_months"])
            cells[f"{g}/return_per_krona"] = value_cell(r["return_per_krona"])
        pt.add_row(str(name), cells)
    return pt


def horizon_table(res: PaybackResult) -> PublishedTable:
    """Net for the totals after 1, 3 and 5 years (those within the calculation's horizon)."""
    hs = [h for h in HORIZON_YEARS if h <= res.horizon]
    cols = [Column(f"net_{h}", "estimate", digits=KRONOR, of="sek") for h in hs]
    pt = PublishedTable("horizons", cols, rows_are="payback_actor", min_cell=res.min_cell)
    for col in TOTALS:
        pt.add_row(col, {f"net_{h}": _estimate(res.net(col, h)) for h in hs})
    return pt


def sex_table(res: PaybackResult) -> PublishedTable | None:
    """Per sex with enough participants and per total (rows ``female_public``, ...): the number of participants,
    the net over each horizon and the payback time."""
    tab = res.sex_table()
    if not len(tab) or res.counts is None:
        return None
    cols = [Column("n", "count")] + [Column(f"net_{h}", "estimate", digits=KRONOR, of="sek") for h in res.horizons]
    cols.append(Column("payback", "general"))
    pt = PublishedTable("by_sex", cols, rows_are="payback_sex_total", min_cell=res.min_cell)
    pt.meta = {"sexes": list(dict.fromkeys(str(g) for g in tab["group"]))}
    for r in tab.to_dict("records"):
        cells: dict[str, Cell] = {"n": linked_cell(res.counts, str(r["group"]))}
        for h in res.horizons:
            cells[f"net_{h}"] = value_cell([r[str(h)], r[f"{h}_lower"], r[f"{h}_upper"]])
        cells["payback"] = _months_cell(r["payback_months"])
        pt.add_row(f"{r['group']}_{r['column']}", cells)
    return pt


def cost_table_tree(res: PaybackResult) -> dict[str, Any]:
    """The cost table the calculation used: its version, the entries and rates (with the statistic to take
    a project's own value from) and which of them are made-up example values."""
    table, prices = res.table, res.prices
    if table is None or prices is None:
        return {}
    used = {e for e in prices.entry_of.values() if e is not None}
    entries = PublishedTable(
        "cost_entries",
        [
            Column("amount", "sek", digits=0),
            Column("per", "code", of="payback_per", shown=False),
            Column("days_per_month", "number", digits=2, shown=False),
            Column("monthly", "sek", digits=0),
            Column("paid_by", "code", of="payback_payer"),
            Column("year", "text"),
            Column("status", "code", of="payback_status"),
            Column("statistic", "text", shown=False),
        ],
        rows_are="payback_entry",
        min_cell=res.min_cell,
    )
    for e in table.entries.values():
        if e.name not in used:
            continue
        payer = "wage" if e.kind == "wage" else e.actor
        entries.add_row(
            e.name,
            {
                "amount": value_cell(e.amount),
                "per": value_cell(e.per),
                "days_per_month": value_cell(e.days_per_month if e.per == "day" else None),
                "monthly": value_cell(e.monthly),
                "paid_by": value_cell(payer),
                "year": value_cell(e.year),
                "status": value_cell(e.status),
                "statistic": value_cell(e.statistic),
            },
        )
    return {
        "version": table.version,
        "entries": entries,
        "rates": _rates_table(res),
        "sources": {
            **{e.name: _sources(e.sources) for e in table.entries.values() if e.name in used},
            **{r.name: _sources(r.sources) for r in table.rates.values()},
        },
        "example_values": table.example_values(),
    }


def _sources(sources: list[dict[str, str]]) -> list[str]:
    return [str(s["source"]) for s in sources if s.get("source")]


def _rates_table(res: PaybackResult) -> PublishedTable:
    cols = [Column("value", "share", digits=2), Column("year", "text"), Column("status", "code", of="payback_status")]
    cols.append(Column("statistic", "text", shown=False))
    pt = PublishedTable("cost_rates", cols, rows_are="payback_rate", min_cell=res.min_cell)
    assert res.table is not None
    for r in res.table.rates.values():
        pt.add_row(
            r.name,
            {
                "value": value_cell(r.value),
                "year": value_cell(r.year),
                "status": value_cell(r.status),
                "statistic": value_cell(r.statistic),
            },
        )
    return pt
