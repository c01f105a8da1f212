"""Show the payback section in a notebook: the board's figure, a short text and the tables, in the report language."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.payback.costs import CostTable
from analysis.payback.pricing import TOTALS, PriceMatrix
from analysis.payback.result import PaybackResult
from analysis.report.display import show_figure, show_table, show_text
from analysis.report.i18n import t, table

MINUS = "\u2212"
NBSP = "\u00a0"


def _kr(x: float | None, lang: str, step: int = 100) -> str:
    """Kronor rounded to ``step``, thousands separated, with a real minus sign."""
    if x is None or not np.isfinite(x):
        return "–"
    v = int(round(x / step) * step)
    s = f"{abs(v):,}".replace(",", NBSP if lang == "sv" else ",")
    return f"{MINUS}{s}" if v < 0 else s


def _dec(x: float | None, lang: str, digits: int = 1) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    s = f"{abs(x):.{digits}f}"
    s = s.replace(".", ",") if lang == "sv" else s
    return f"{MINUS}{s}" if round(x, digits) < 0 else s


def _pct(x: float, lang: str) -> str:
    """A share as a percentage with up to two decimals (32,37 %, 3,5 %, 35 %)."""
    v = round(100 * x, 2)
    digits = 0 if v == int(v) else 1 if round(v, 1) == v else 2
    return f"{_dec(v, lang, digits)}{NBSP}%"


def _ci(lo: float, hi: float, lang: str, fmt=_kr) -> str:
    return f"{fmt(lo, lang)} – {fmt(hi, lang)}"


def _table(res: PaybackResult) -> CostTable:
    assert res.table is not None, "an available payback result has its cost table"
    return res.table


def _prices(res: PaybackResult) -> PriceMatrix:
    assert res.prices is not None, "an available payback result has its prices"
    return res.prices


def _after(h: int, lang: str) -> str:
    """'efter 1 år' / 'efter 18 mån' (a horizon in words)."""
    return t("pb_after_years", lang, n=h // 12) if h % 12 == 0 else t("pb_after_months", lang, n=h)


def actor_label(code: str, lang: str) -> str:
    return t(f"pb_actor_{code}", lang)


def source_label(code: str, basis: str | None, lang: str) -> str:
    """A status or income code in words (``none`` in an income register: no recorded payment)."""
    if code == "none" and basis == "income":
        return t("pb_source_none", lang)
    key = f"tab_status_{code}" if basis == "status" else f"tab_income_{code}"
    return t(key, lang) if key in table() else code


def _n(res: PaybackResult, key: str, lang: str) -> str:
    """A published count, or the words for it when it is protected."""
    if res.counts is None:
        return "–"
    if res.counts.hidden[key]:
        return t("pb_n_all_but", lang, min_cell=res.min_cell) if key == "analysed" else res.counts.display()[key]
    return str(res.counts.values[key])


def _payback_sentence(res: PaybackResult, lang: str, which: str = "net") -> str:
    pt = res.payback("public", which=which)
    if pt is None:
        return ""
    h = pt.horizon
    if pt.months is None:
        return t("pb_payback_not_maybe", lang, h=h, lo=pt.lower) if pt.lower else t("pb_payback_not", lang, h=h)
    if pt.upper is None:
        rng = t("pb_payback_range_open", lang, lo=pt.lower, h=h)
    else:
        rng = t("pb_payback_range", lang, lo=pt.lower, hi=pt.upper)
    return t("pb_payback_reached", lang, months=pt.months, lo=rng)


def _show_text(res: PaybackResult, lang: str) -> None:
    net = res.design == "comparison"
    basis = t(f"pb_basis_{res.basis}", lang)
    if net:
        method = t(f"pb_method_{res.weights_method}" if res.weights_method == "ipw" else "pb_method_given", lang)
        n_comp = _kr(res.effects.n_persons_control, lang, 1) if res.effects else "–"
        show_text(t("pb_intro_net", lang, method=method, n=_n(res, "analysed", lang), n_comp=n_comp, basis=basis))
    else:
        show_text(t("pb_intro_gross", lang, n=_n(res, "analysed", lang), basis=basis))
    total = ""
    if res.cost_total is not None:
        total = t("pb_cost_total", lang, total=_kr(res.cost_total, lang, 1), n=res.cost_participants)
    cost = t("pb_cost", lang, cost=_kr(res.cost_per_participant, lang), total=total)
    show_text(cost + (t("pb_cost_example", lang) if res.cost_example else ""))
    h = res.horizon
    pub, soc = res.net("public", h), res.net("society", h)
    if pub is not None and soc is not None:
        years = _dec(h / 12, lang, 0 if h % 12 == 0 else 1)
        key = "pb_headline_net" if net else "pb_headline_gross"
        show_text(
            t(
                key,
                lang,
                years=years,
                value=_kr(pub.estimate, lang),
                lo=_kr(pub.lower, lang),
                hi=_kr(pub.upper, lang),
                payback=_payback_sentence(res, lang),
                society=_kr(soc.estimate, lang),
                slo=_kr(soc.lower, lang),
                shi=_kr(soc.upper, lang),
            )
        )
        rp, rs = res.return_per_krona("public", h), res.return_per_krona("society", h)
        if rp is not None and rs is not None:
            show_text(
                t(
                    "pb_return",
                    lang,
                    years=years,
                    ret=_dec(rp.estimate, lang, 2),
                    lo=_dec(rp.lower, lang, 2),
                    hi=_dec(rp.upper, lang, 2),
                    sret=_dec(rs.estimate, lang, 2),
                )
            )
        gross = res.net("public", h, "gross") if net else None
        if gross is not None:
            gp = res.payback("public", which="gross")
            gpay = t("pb_gross_pay", lang, months=gp.months) if gp is not None and gp.months is not None else ""
            show_text(t("pb_gross_beside", lang, gross=_kr(gross.estimate, lang), years=years, gpay=gpay))
    _show_caveats(res, lang)


def _show_caveats(res: PaybackResult, lang: str) -> None:
    examples = _table(res).example_values()
    if examples:
        names = [_item_label(n, lang) for n in examples]
        show_text(t("pb_examples_used", lang, items=", ".join(names)))
    missing = [(s, "pb_why_unattributed") for s in _prices(res).unattributed] + [
        (s, "pb_why_unpriced") for s in _prices(res).unpriced
    ]
    if missing:
        items = "; ".join(f"{source_label(s, res.basis, lang)} ({t(why, lang)})" for s, why in missing)
        show_text(t("pb_not_priced", lang, items=items))
    if res.effects is not None and res.effects.n_months < res.horizon and res.extrapolate != "none":
        show_text(t("pb_extrapolated", lang, observed=res.effects.n_months))


def _item_label(name: str, lang: str) -> str:
    for key in (f"pb_entry_{name}", f"pb_rate_{name}"):
        if key in table():
            return t(key, lang)
    return name


def _figure(res: PaybackResult, lang: str) -> None:
    labels = {c: actor_label(c, lang) for c in res.columns()}
    ax = res.plot(
        labels=labels,
        xlabel=t("pb_x", lang),
        ylabel=t("pb_y", lang),
        cost_label=t("pb_cost_line", lang),
        payback_label=t("pb_payback_point", lang),
        gross_label=t("pb_gross_line", lang),
        extrapolated_label=t("pb_extrapolated_area", lang),
    )
    if lang == "sv":
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}".replace(",", NBSP).replace("-", MINUS))
    ax.figure.set_size_inches(10, 5.2)
    caption = t("pb_figure_caption" if res.design == "comparison" else "pb_figure_caption_gross", lang)
    note = t("pb_figure_note", lang, rate=_pct(res.discount_rate, lang), total=actor_label("public", lang).lower())
    show_figure(ax.figure, caption, note=note)


def _payback_cell(res: PaybackResult, col: str, lang: str, which: str = "net") -> str:
    if res.cost_of(col) is None:
        return "–"
    pt = res.payback(col, which=which)
    if pt is None:
        return "–"
    return t("pb_payback_cell", lang, m=pt.months) if pt.months else t("pb_payback_cell_not", lang, h=pt.horizon)


def actor_display(res: PaybackResult, lang: str) -> pd.DataFrame:
    """The published actor table: net per participant after each horizon with its interval, payback."""
    rows = []
    net = res.design == "comparison"
    for col in res.columns():
        row = {t("pb_col_actor", lang): actor_label(col, lang)}
        for h in res.horizons:
            iv = res.net(col, h)
            row[t("pb_col_net", lang, h=_after(h, lang))] = _kr(iv.estimate if iv else None, lang)
            row[t("pb_col_ci", lang, h=_after(h, lang))] = _ci(iv.lower, iv.upper, lang) if iv else "–"
        if net:
            g = res.net(col, res.horizon, "gross")
            row[t("pb_col_gross", lang, h=_after(res.horizon, lang))] = _kr(g.estimate if g else None, lang)
        row[t("pb_col_payback", lang)] = _payback_cell(res, col, lang)
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("pb_col_actor", lang))


def months_display(res: PaybackResult, lang: str) -> pd.DataFrame:
    """Effect on the months with each source, and what one month is priced at."""
    m = res.months_table()
    rows = []
    for s, r in m.iterrows():
        entry = _table(res).entries.get(r["entry"]) if r["entry"] else None
        if s in _prices(res).unattributed:
            price = t("pb_unattributed_cell", lang)
        elif entry is None or entry.monthly is None:
            price = t("pb_unpriced_cell", lang)
        else:
            price = _kr(entry.monthly, lang, 1)
        row = {t("pb_col_source", lang): source_label(str(s), res.basis, lang), t("pb_col_priced_as", lang): price}
        for h in res.horizons:
            row[t("pb_col_months", lang, h=_after(h, lang))] = (
                f"{_dec(r[str(h)], lang)} ({_ci(r[f'{h}_lower'], r[f'{h}_upper'], lang, _dec)})"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("pb_col_source", lang))


def _cell_payback(months: float, horizon: int, lang: str) -> str:
    if np.isfinite(months):
        return t("pb_payback_cell", lang, m=int(months))
    return t("pb_payback_cell_not", lang, h=int(horizon))


def sensitivity_display(res: PaybackResult, lang: str) -> pd.DataFrame:
    """One row per scenario: the totals' net at the end of the calculation (with interval), payback, return."""
    sens = res.sensitivity()
    rows = []
    for name in dict.fromkeys(sens["scenario"]):
        part = sens[sens["scenario"] == name].set_index("column")
        row = {t("pb_col_scenario", lang): t(f"pb_sc_{name}", lang)}
        row[t("pb_col_months_h", lang)] = str(int(part["horizon"].iloc[0]))
        for col in TOTALS:
            if col not in part.index:
                continue
            r = part.loc[col]
            who = actor_label(col, lang)
            row[t("pb_col_sens_net", lang, who=who)] = (
                f"{_kr(r['estimate'], lang)} ({_ci(r['lower'], r['upper'], lang)})"
            )
            row[t("pb_col_sens_payback", lang, who=who)] = _cell_payback(r["payback_months"], r["horizon"], lang)
        pub = part.loc["public"] if "public" in part.index else None
        row[t("pb_col_return_public", lang)] = _dec(pub["return_per_krona"], lang, 2) if pub is not None else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("pb_col_scenario", lang))


def horizon_display(res: PaybackResult, lang: str) -> pd.DataFrame:
    """Net for the totals after 1, 3 and 5 years (the horizon sensitivity)."""
    rows = []
    for col in TOTALS:
        row = {t("pb_col_total", lang): actor_label(col, lang)}
        for h in (12, 36, 60):
            iv = res.net(col, h) if h <= res.horizon else None
            row[t("pb_col_net", lang, h=_after(h, lang))] = (
                f"{_kr(iv.estimate, lang)} ({_ci(iv.lower, iv.upper, lang)})" if iv else "–"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("pb_col_total", lang))


def sex_display(res: PaybackResult, lang: str) -> pd.DataFrame | None:
    tab = res.sex_table()
    if not len(tab):
        return None
    rows = []
    for r in tab.to_dict("records"):
        row = {
            t("pb_col_group", lang): t(f"pb_sex_{r['group']}", lang),
            t("pb_col_total", lang): actor_label(r["column"], lang),
            t("pb_col_n", lang): _n(res, r["group"], lang),
        }
        for h in res.horizons:
            row[t("pb_col_net", lang, h=_after(h, lang))] = (
                f"{_kr(r[str(h)], lang)} ({_ci(r[f'{h}_lower'], r[f'{h}_upper'], lang)})"
            )
        pm = r["payback_months"]
        row[t("pb_col_payback", lang)] = (
            t("pb_payback_cell", lang, m=int(pm)) if np.isfinite(pm) else t("pb_payback_cell_not", lang, h=res.horizon)
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index([t("pb_col_group", lang), t("pb_col_total", lang)])


def cost_table_display(res: PaybackResult, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The entries used (amount, who pays, year, kind of figure, source, the statistic to take) and the rates."""
    used = {e for e in _prices(res).entry_of.values() if e is not None}
    rows = []
    for e in _table(res).entries.values():
        if e.name not in used:
            continue
        if e.amount is None:
            amount = "–"
        elif e.per == "day":
            amount = t("pb_per_day", lang, amount=_kr(e.amount, lang, 1), days=_dec(e.days_per_month, lang, 2))
        else:
            amount = t("pb_per_month", lang, amount=_kr(e.amount, lang, 1))
        payer = t("pb_wage_paid", lang) if e.kind == "wage" else actor_label(e.actor, lang) if e.actor else "–"
        rows.append(
            {
                t("pb_col_entry", lang): _item_label(e.name, lang),
                t("pb_col_amount", lang): amount,
                t("pb_col_per_month", lang): _kr(e.monthly, lang, 1),
                t("pb_col_paid_by", lang): payer,
                t("pb_col_year", lang): e.year or "–",
                t("pb_col_status", lang): t(f"pb_status_{e.status}", lang),
            }
        )
    rates = []
    for r in _table(res).rates.values():
        rates.append(
            {
                t("pb_col_rate", lang): _item_label(r.name, lang),
                t("pb_col_value_rate", lang): "–" if r.value is None else _pct(r.value, lang),
                t("pb_col_year", lang): r.year or "–",
                t("pb_col_status", lang): t(f"pb_status_{r.status}", lang),
            }
        )
    return pd.DataFrame(rows).set_index(t("pb_col_entry", lang)), pd.DataFrame(rates).set_index(t("pb_col_rate", lang))


def sources_text(res: PaybackResult, lang: str) -> str:
    """Markdown list: for every figure used, how it was derived, its sources with the quoted sentence, a note,
    and the statistic a project should take its own value from."""
    used = {e for e in _prices(res).entry_of.values() if e is not None}
    items = [e for e in _table(res).entries.values() if e.name in used] + list(_table(res).rates.values())
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
        lines.append(f"- **{_item_label(e.name, lang)}:** " + " ".join(p for p in parts if p))
    return "\n".join(lines)


def _show_tables(res: PaybackResult, lang: str) -> None:
    net = res.design == "comparison"
    funders = "" if res.funders else t("pb_no_funders", lang)
    show_table(
        actor_display(res, lang),
        t("pb_table_caption" if net else "pb_table_caption_gross", lang),
        note=t("pb_table_note", lang, funders=funders),
    )
    show_table(months_display(res, lang), t("pb_months_caption" if net else "pb_months_caption_gross", lang))
    show_text(f"## {t('pb_sens_heading', lang)}")
    show_table(
        sensitivity_display(res, lang),
        t("pb_sens_caption", lang),
        note=t("pb_sens_note", lang, rate=_pct(res.discount_rate, lang)),
    )
    show_table(horizon_display(res, lang), t("pb_horizon_heading", lang))
    sex = sex_display(res, lang)
    if sex is not None:
        show_table(
            sex,
            t("pb_sex_caption", lang),
            note=t("pb_sex_note", lang, min_cell=res.min_cell, marker="..", small=f"<{res.min_cell}"),
        )
    show_text(f"## {t('pb_costs_heading', lang)}")
    rates = _table(res).rates
    show_text(
        t(
            "pb_costs_intro",
            lang,
            tax=_pct(rates["municipal_tax"].value or 0, lang),
            fees=_pct(rates["employer_contributions"].value or 0, lang),
            version=_table(res).version,
        )
    )
    entries, rate_tab = cost_table_display(res, lang)
    show_table(entries, t("pb_costs_caption", lang), note=t("pb_defaults_note", lang))
    show_table(rate_tab, t("pb_rates_caption", lang))
    show_text(f"### {t('pb_sources_heading', lang)}")
    show_text(sources_text(res, lang))
    show_text(f"## {t('pb_method_heading', lang)}")
    show_text(
        t("pb_method_net" if net else "pb_method_gross", lang, m=res.min_persons, rate=_pct(res.discount_rate, lang))
    )


def show_payback(res: PaybackResult, lang: str) -> None:
    """Heading, text, the board's figure and the tables of the payback section (one sentence when omitted)."""
    show_text(f"# {t('pb_heading', lang)}")
    if not res.available:
        show_text(t(f"pb_none_{res.reason}", lang, m=res.min_persons))
        return
    _show_text(res, lang)
    _figure(res, lang)
    _show_tables(res, lang)
