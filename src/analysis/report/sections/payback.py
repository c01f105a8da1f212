"""The payback section: the board's figure, a short text and the published tables, in the report language.

Every number on the page comes from the section's tree of published tables
(:mod:`analysis.payback.publish`), the same that is written to ``results.json``
(node ``payback``); the text reads its numbers from those tables, so a sentence
and a table never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analysis.disclosure.published import Cell, Column, PublishedTable
from analysis.payback.analysis import payback_analysis
from analysis.payback.publish import NOT_REACHED, published
from analysis.payback.result import PaybackResult
from analysis.report.display import show_figure, show_text
from analysis.report.format import NO_VALUE, Formatter, formatter
from analysis.report.i18n import t, table
from analysis.report.labels import Labels
from analysis.report.section import SectionResult, show_no_data
from analysis.report.tables import show_published


def payback_section(tables: Mapping[str, Any], config, data_end: dt.date) -> PaybackSection:
    """Price the project's effect per actor and publish it (or say in one sentence why there is no calculation).

    Example
    -------
    >>> section = payback_section(ctx.tables, ctx.config, ctx.data_end.date())  # doctest: +SKIP
    >>> section.to_results()["actors"]["rows"]["public"]["net_60"]  # doctest: +SKIP
    """
    return from_analysis(payback_analysis(tables, config, data_end))


def from_analysis(res: PaybackResult) -> PaybackSection:
    return PaybackSection("payback", published(res), {"analysis": res})


def actor_label(code: str, lang: str) -> str:
    return t(f"pb_actor_{code}", lang)


def source_label(code: str, basis: str | None, lang: str) -> str:
    """A status or income code in words (``none`` in an income register: no recorded payment)."""
    if code == "none" and basis == "income":
        return t("pb_source_none", lang)
    key = f"tab_status_{code}" if basis == "status" else f"tab_income_{code}"
    return t(key, lang) if key in table() else code


def item_label(name: str, lang: str) -> str:
    """A cost-table entry or rate in words."""
    for key in (f"pb_entry_{name}", f"pb_rate_{name}"):
        if key in table():
            return t(key, lang)
    return name


def after(h: int, lang: str) -> str:
    """'efter 1 år' / 'efter 18 mån' (a horizon in words)."""
    return t("pb_after_years", lang, n=h // 12) if h % 12 == 0 else t("pb_after_months", lang, n=h)


def sex_total_label(code: str, lang: str) -> str:
    """``female_public`` -> "Kvinnor, offentlig sektor"."""
    sex, _, total = code.partition("_")
    return f"{t(f'pb_sex_{sex}', lang)}, {t(f'pb_total_{total}', lang).lower()}"


def labels(lang: str, basis: str | None) -> Labels:
    """The words for the codes of the payback tables."""
    return Labels(
        lang,
        {
            "payback_actor": lambda c: actor_label(c, lang),
            "payback_scenario": lambda c: t(f"pb_sc_{c}", lang),
            "payback_total": lambda c: t(f"pb_total_{c}", lang),
            "payback_sex_total": lambda c: sex_total_label(c, lang),
            "payback_entry": lambda c: item_label(c, lang),
            "payback_rate": lambda c: item_label(c, lang),
            "payback_source": lambda c: source_label(c, basis, lang),
            "payback_status": lambda c: t(f"pb_status_{c}", lang),
            "payback_payer": lambda c: t("pb_wage_paid", lang) if c == "wage" else actor_label(c, lang),
        },
    )


class PaybackSection(SectionResult):
    @property
    def analysis(self) -> PaybackResult:
        return self.context["analysis"]

    def show(self, lang: str) -> None:
        """Heading, text, the board's figure and the tables (one sentence when there is no calculation)."""
        show_text(f"# {t('pb_heading', lang)}")
        if "payback" in self.no_data:
            show_no_data("payback", self.no_data["payback"], lang, m=self.analysis.min_persons)
            return
        _show_text(self.tree, lang)
        _figure(self.analysis, lang)
        _show_tables(self.tree, self.analysis, lang)


# ---------------------------------------------------------------------------- the text


def _persons(tree: dict, key: str, lang: str) -> str:
    """A published count in a sentence, or the words for it when it is protected."""
    pt: PublishedTable = tree["persons"]
    if key not in pt.rows or pt.withheld:
        return NO_VALUE
    cell = pt.cell(key, "count")
    if cell.marker is not None:
        return t("pb_n_all_but", lang, min_cell=pt.min_cell) if key == "analysed" else cell.marker
    return formatter(lang).count(cell.value)


def _payback_sentence(actors: PublishedTable, lang: str) -> str:
    """When the public sector's cost is paid back, with the uncertainty of that month."""
    h = actors.meta["horizon"]
    months, lo, hi = (actors.cell("public", k).value for k in ("payback", "payback_lower", "payback_upper"))
    if months is None:
        return ""
    if months == NOT_REACHED:
        return t("pb_payback_not_maybe", lang, h=h, lo=lo) if lo else t("pb_payback_not", lang, h=h)
    rng = t("pb_payback_range_open", lang, lo=lo, h=h) if hi is None else t("pb_payback_range", lang, lo=lo, hi=hi)
    return t("pb_payback_reached", lang, months=months, lo=rng)


def _show_intro(tree: dict, lang: str, fmt: Formatter) -> None:
    basis = t(f"pb_basis_{tree['basis']}", lang)
    n = _persons(tree, "analysed", lang)
    if tree["design"] == "comparison":
        method = t("pb_method_ipw" if tree["weights"] == "ipw" else "pb_method_given", lang)
        n_comp = _persons(tree, "comparison", lang)
        show_text(t("pb_intro_net", lang, method=method, n=n, n_comp=n_comp, basis=basis))
    else:
        show_text(t("pb_intro_gross", lang, n=n, basis=basis))
    cost = tree["cost"]
    total = ""
    if cost["total_sek"] is not None:
        total = t("pb_cost_total", lang, total=fmt.kronor(cost["total_sek"], 0), n=fmt.count(cost["participants"]))
    text = t("pb_cost", lang, cost=fmt.kronor(cost["per_participant_sek"]), total=total)
    show_text(text + (t("pb_cost_example", lang) if cost["example"] else ""))


def _show_text(tree: dict, lang: str) -> None:
    fmt = formatter(lang)
    _show_intro(tree, lang, fmt)
    actors: PublishedTable = tree["actors"]
    h = actors.meta["horizon"]
    pub, soc = (actors.cell(c, f"net_{h}").value for c in ("public", "society"))
    if pub is None or soc is None:
        _show_caveats(tree, lang)
        return
    (lo, hi), (slo, shi) = (actors.cell(c, f"ci_{h}").value for c in ("public", "society"))
    years = fmt.number(h / 12, 0 if h % 12 == 0 else 1)
    key = "pb_headline_net" if tree["design"] == "comparison" else "pb_headline_gross"
    kr = fmt.kronor
    payback = _payback_sentence(actors, lang)
    fields = {"value": kr(pub), "lo": kr(lo), "hi": kr(hi), "society": kr(soc), "slo": kr(slo), "shi": kr(shi)}
    show_text(t(key, lang, years=years, payback=payback, **fields))
    rp, rs = (actors.cell(c, "return_per_krona").value for c in ("public", "society"))
    if rp is not None and rs is not None:
        show_text(
            t(
                "pb_return",
                lang,
                years=years,
                ret=fmt.number(rp[0], 2),
                lo=fmt.number(rp[1], 2),
                hi=fmt.number(rp[2], 2),
                sret=fmt.number(rs[0], 2),
            )
        )
    gross = actors.cell("public", "gross").value if tree["design"] == "comparison" else None
    if gross is not None:
        gp = actors.cell("public", "gross_payback").value
        gpay = t("pb_gross_pay", lang, months=gp) if isinstance(gp, int) else ""
        show_text(t("pb_gross_beside", lang, gross=kr(gross), years=years, gpay=gpay))
    _show_caveats(tree, lang)


def _show_caveats(tree: dict, lang: str) -> None:
    examples = tree["cost_table"]["example_values"]
    if examples:
        show_text(t("pb_examples_used", lang, items=", ".join(item_label(n, lang) for n in examples)))
    missing = [(s, "pb_why_unattributed") for s in tree["unattributed"]]
    missing += [(s, "pb_why_unpriced") for s in tree["unpriced"]]
    if missing:
        items = "; ".join(f"{source_label(s, tree['basis'], lang)} ({t(why, lang)})" for s, why in missing)
        show_text(t("pb_not_priced", lang, items=items))
    observed = tree["months_observed"]
    if observed is not None and observed < max(tree["horizons_months"]) and tree["extrapolate"] != "none":
        show_text(t("pb_extrapolated", lang, observed=observed))


def _figure(res: PaybackResult, lang: str) -> None:
    fmt = formatter(lang)
    ax = res.plot(
        labels={c: actor_label(c, lang) for c in res.columns()},
        xlabel=t("pb_x", lang),
        ylabel=t("pb_y", lang),
        cost_label=t("pb_cost_line", lang),
        payback_label=t("pb_payback_point", lang),
        gross_label=t("pb_gross_line", lang),
        extrapolated_label=t("pb_extrapolated_area", lang),
    )
    ax.yaxis.set_major_formatter(fmt.tick("number"))
    ax.figure.set_size_inches(10, 5.2)
    caption = t("pb_figure_caption" if res.design == "comparison" else "pb_figure_caption_gross", lang)
    note = t("pb_figure_note", lang, rate=fmt.rate(res.discount_rate), total=actor_label("public", lang).lower())
    show_figure(ax.figure, caption, note=note, lang=lang)


# ---------------------------------------------------------------------------- the tables


def _months_text(lang: str, horizon: int):
    """Cell text of a payback time: "12 mån", or "inte inom 60 mån" when not reached (censored)."""

    def text(row: str, col: Column, cell: Cell) -> str:
        if cell.marker is not None:
            return cell.marker
        if cell.value is None:
            return NO_VALUE
        if cell.value == NOT_REACHED:
            return t("pb_payback_cell_not", lang, h=horizon)
        return t("pb_payback_cell", lang, m=cell.value)

    return text


def _show_actor_tables(tree: dict, lang: str, lab: Labels) -> None:
    net = tree["design"] == "comparison"
    actors: PublishedTable = tree["actors"]
    h = actors.meta["horizon"]
    heads = {"gross": t("pb_col_gross", lang, h=after(h, lang)), "payback": t("pb_col_payback", lang)}
    for hh in tree["horizons_months"]:
        heads[f"net_{hh}"] = t("pb_col_net", lang, h=after(hh, lang))
        heads[f"ci_{hh}"] = t("pb_col_ci", lang, h=after(hh, lang))
    funders = "" if tree["cost"]["funders"] else t("pb_no_funders", lang)
    show_published(
        actors,
        t("pb_table_caption" if net else "pb_table_caption_gross", lang),
        lang,
        labels=lab,
        headers=heads,
        row_header=t("pb_col_actor", lang),
        formats={"payback": _months_text(lang, h)},
        note=t("pb_table_note", lang, funders=funders),
    )

    def priced(row: str, col: Column, cell: Cell) -> str:
        if cell.value == "unattributed":
            return t("pb_unattributed_cell", lang)
        if cell.value == "unpriced":
            return t("pb_unpriced_cell", lang)
        return formatter(lang).kronor(cell.value, 0)

    heads = {"priced_as": t("pb_col_priced_as", lang)}
    heads.update({f"months_{hh}": t("pb_col_months", lang, h=after(hh, lang)) for hh in tree["horizons_months"]})
    show_published(
        tree["months"],
        t("pb_months_caption" if net else "pb_months_caption_gross", lang),
        lang,
        labels=lab,
        headers=heads,
        row_header=t("pb_col_source", lang),
        formats={"priced_as": priced},
    )


def _show_sensitivity(tree: dict, lang: str, lab: Labels) -> None:
    show_text(f"## {t('pb_sens_heading', lang)}")
    sens: PublishedTable = tree["sensitivity"]
    h = tree["actors"].meta["horizon"]
    show_published(
        sens,
        t("pb_sens_caption", lang, h=h),
        lang,
        labels=lab,
        row_header=t("pb_col_scenario", lang),
        headers={
            "net": t("pb_col_sens_net", lang),
            "payback": t("pb_col_payback_short", lang),
            "return_per_krona": t("pb_col_return", lang),
        },
        formats={f"{g}/payback": _months_text(lang, h) for g in sens.groups},
        note=t("pb_sens_note", lang, rate=formatter(lang).rate(tree["discount_rate"])),
    )
    hs: PublishedTable | None = tree.get("horizons")
    if hs is not None:
        show_published(
            hs,
            t("pb_horizon_heading", lang),
            lang,
            labels=lab,
            row_header=t("pb_col_total", lang),
            headers={c.key: t("pb_col_net", lang, h=after(int(c.key.split("_")[1]), lang)) for c in hs.columns},
        )
    sex: PublishedTable | None = tree.get("by_sex")
    if sex is None:
        show_no_data("by_sex", "too_few", lang, min_cell=tree["min_cell"])
    else:
        heads = {"n": t("pb_col_n", lang), "payback": t("pb_col_payback", lang)}
        heads.update({f"net_{hh}": t("pb_col_net", lang, h=after(hh, lang)) for hh in tree["horizons_months"]})
        show_published(
            sex,
            t("pb_sex_caption", lang),
            lang,
            labels=lab,
            row_header=t("pb_col_group", lang),
            headers=heads,
            formats={"payback": _months_text(lang, h)},
            note=t("pb_sex_note", lang, min_cell=sex.min_cell, marker="..", small=f"<{sex.min_cell}"),
        )


def _show_cost_table(tree: dict, res: PaybackResult, lang: str, lab: Labels) -> None:
    fmt = formatter(lang)
    costs = tree["cost_table"]
    entries: PublishedTable = costs["entries"]
    rates: PublishedTable = costs["rates"]
    show_text(f"## {t('pb_costs_heading', lang)}")
    tax, fees = (rates.cell(r, "value").value for r in ("municipal_tax", "employer_contributions"))
    show_text(t("pb_costs_intro", lang, tax=fmt.rate(tax or 0), fees=fmt.rate(fees or 0), version=costs["version"]))

    def amount(row: str, col: Column, cell: Cell) -> str:
        if cell.value is None:
            return NO_VALUE
        value = fmt.kronor(cell.value, 0)
        if entries.cell(row, "per").value == "day":
            return t("pb_per_day", lang, amount=value, days=fmt.number(entries.cell(row, "days_per_month").value, 2))
        return t("pb_per_month", lang, amount=value)

    show_published(
        entries,
        t("pb_costs_caption", lang),
        lang,
        labels=lab,
        row_header=t("pb_col_entry", lang),
        headers={
            "amount": t("pb_col_amount", lang),
            "monthly": t("pb_col_per_month", lang),
            "paid_by": t("pb_col_paid_by", lang),
            "year": t("pb_col_year", lang),
            "status": t("pb_col_status", lang),
        },
        formats={"amount": amount},
        note=t("pb_defaults_note", lang),
    )
    show_published(
        rates,
        t("pb_rates_caption", lang),
        lang,
        labels=lab,
        row_header=t("pb_col_rate", lang),
        headers={
            "value": t("pb_col_value_rate", lang),
            "year": t("pb_col_year", lang),
            "status": t("pb_col_status", lang),
        },
        formats={"value": lambda row, col, cell: NO_VALUE if cell.value is None else fmt.rate(cell.value)},
    )
    show_text(f"### {t('pb_sources_heading', lang)}")
    show_text(sources_text(res, lang))


def sources_text(res: PaybackResult, lang: str) -> str:
    """Markdown list: for every figure used, how it was derived, its sources with the quoted sentence, a note,
    and the statistic a project should take its own value from."""
    assert res.table is not None and res.prices is not None
    used = {e for e in res.prices.entry_of.values() if e is not None}
    items = [e for e in res.table.entries.values() if e.name in used] + list(res.table.rates.values())
    lines = []
    for e in items:
        parts = []
        derivation = getattr(e, "derivation", None)
        if derivation:
            parts.append(f"{derivation}.")
        parts += [s.get("source", "") + (f': "{s["quote"]}"' if s.get("quote") else "") + "." for s in e.sources]
        if e.note:
            parts.append(e.note)
        if e.statistic:
            parts.append(t("pb_take_from", lang, statistic=e.statistic))
        if e.status == "example":
            parts.insert(0, f"**{t('pb_status_example', lang)}.**")
        lines.append(f"- **{item_label(e.name, lang)}:** " + " ".join(p for p in parts if p))
    return "\n".join(lines)


def _show_tables(tree: dict, res: PaybackResult, lang: str) -> None:
    lab = labels(lang, tree["basis"])
    _show_actor_tables(tree, lang, lab)
    _show_sensitivity(tree, lang, lab)
    _show_cost_table(tree, res, lang, lab)
    show_text(f"## {t('pb_method_heading', lang)}")
    key = "pb_method_net" if tree["design"] == "comparison" else "pb_method_gross"
    show_text(t(key, lang, m=tree["min_persons"], rate=formatter(lang).rate(tree["discount_rate"])))
