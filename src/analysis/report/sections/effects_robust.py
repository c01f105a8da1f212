"""The effects section's staggered-start DiD, subgroup effects and sensitivity table, from the published tree.

Kept apart from :mod:`analysis.report.sections.effects` (one job each): every number shown here is a
cell of ``effects.did``, ``effects.subgroups`` or ``effects.sensitivity``, and the event-study figure
is drawn from the published event table (a hidden share is not drawn).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.disclosure.published import Cell, Column, PublishedTable
from analysis.report.display import show_figure, show_text
from analysis.report.format import formatter
from analysis.report.i18n import t, table
from analysis.report.labels import Labels
from analysis.report.section import show_no_data
from analysis.report.tables import cell_text, show_published

BLUE, RED = "#1f5f8b", "#c8553d"


def _values(pt: PublishedTable, key: str, rows: list[str], part: int | None = None) -> np.ndarray:
    out = []
    for r in rows:
        v = pt.cell(r, key).value
        if part is not None:
            v = None if v is None else v[part]
        out.append(np.nan if v is None else float(v))
    return np.array(out)


def did_figure(pt: PublishedTable, lang: str) -> Any:
    """Top: participants' share and the weighted comparison share; bottom: the effect, its interval and band."""
    import matplotlib.pyplot as plt

    fmt = formatter(lang)
    rows = list(pt.rows)
    ks = np.array([int(r) for r in rows])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.6), sharex=True, height_ratios=(1, 1.2))
    top.plot(ks, _values(pt, "share_treated", rows), color=BLUE, lw=1.8, label=t("eff_participants", lang))
    top.plot(
        ks, _values(pt, "share_comparison_weighted", rows), color=RED, lw=1.8, label=t("eff_did_comparison_w", lang)
    )
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(fmt.tick("percent"))
    top.set_ylabel(t("eff_share", lang))
    top.legend(frameon=False, fontsize=9)
    est = 100 * _values(pt, "estimate", rows, 0)
    est[ks == -1] = 0.0  # the month before start: the reference, 0 by construction
    bottom.fill_between(ks, 100 * _values(pt, "band", rows, 0), 100 * _values(pt, "band", rows, 1), color=BLUE,
                        alpha=0.12, lw=0, label=t("eff_did_band", lang))  # fmt: skip
    bottom.fill_between(ks, 100 * _values(pt, "estimate", rows, 1), 100 * _values(pt, "estimate", rows, 2), color=BLUE,
                        alpha=0.28, lw=0, label=t("eff_did_pointwise", lang))  # fmt: skip
    bottom.plot(ks, est, "o-", color=BLUE, ms=3, lw=1.2, label=t("eff_did_effect", lang))
    bottom.axhline(0, color="black", lw=0.8)
    bottom.set_ylabel(t("eff_es_y", lang))
    bottom.set_xlabel(t("eff_months_from_start", lang))
    bottom.legend(frameon=False, fontsize=9, loc="upper left")
    for ax in (top, bottom):
        ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    return fig


SHORT_DID_MONTHS = 6
"""Below this many months after start with an estimate, the DiD's average is said to cover only those."""


def show_did(tree: dict[str, Any], no_data: dict[str, str], names: dict[str, str], lang: str) -> None:
    """The heading, the plain-words reading, the event-study figure and the two tables of the DiD."""
    show_text(f"## {t('eff_did_heading', lang)}")
    if "did" not in tree:
        show_no_data("did", no_data.get("did", "no_panel"), lang)
        return
    node, fmt = tree["did"], formatter(lang)
    ev: PublishedTable = node["event"]
    main, what = node["main"], t(f"eff_panel_{node['main']['outcome']}", lang)
    control = t(f"eff_did_control_{main['control']}", lang)
    show_text(t("eff_did_intro", lang, what=what, control=control))
    ov: PublishedTable = node["overall"]
    cell = ov.cell(main["outcome"], "estimate", main["control"])
    if cell.value is not None:
        e, lo, hi = cell.value
        direction = t("eff_did_higher" if e >= 0 else "eff_did_lower", lang)
        show_text(
            t(
                "eff_did_reading",
                lang,
                what=what,
                effect=fmt.pp(abs(e)),
                direction=direction,
                lo=fmt.pp(lo),
                hi=fmt.pp(hi),
            )
        )
    post = [int(r) for r in ev.rows if int(r) >= 0 and ev.cell(r, "estimate").value is not None]
    if post and max(post) < SHORT_DID_MONTHS:  # an average of the first months only must say so
        show_text(t("eff_did_short_window", lang, control=control, last=max(post)))
    pre = node.get("pretrend")
    if pre and pre.get("p") is not None:
        key = "eff_did_pretrend_ok" if pre["p"] >= 0.05 else "eff_did_pretrend_bad"
        show_text(t(key, lang, p=fmt.p_text(pre["p"])))
    cap = t("eff_did_figure_caption", lang, what=what, control=control)
    show_figure(did_figure(ev, lang), cap, note=t("eff_did_figure_note", lang, min_cell=ev.min_cell), lang=lang)
    labels = Labels(
        lang,
        {
            "panel_outcome": names,
            "did_control": lambda c: t(f"eff_did_group_{c}", lang),
            "event_month": lambda c: fmt.number(int(c), 0),
        },
    )
    show_published(
        ov, t("eff_did_overall_caption", lang), lang, labels=labels, row_header=t("eff_col_outcome", lang),
        headers={"estimate": t("eff_did_col_overall", lang), "pretrend_p": t("eff_did_col_pretrend_short", lang)},
        note=t("eff_did_overall_note", lang),
    )  # fmt: skip
    show_published(
        ev, t("eff_did_table_caption2", lang, what=what), lang, rows=[str(k) for k in ev.meta["shown_months"]],
        row_header=t("eff_col_month", lang), labels=labels,
        headers={
            "share_treated": t("eff_col_share_treated", lang), "share_comparison_weighted": t("eff_did_col_cw", lang),
            "estimate": t("eff_did_col_estimate", lang), "band": t("eff_did_col_band", lang),
        },
        note=t("eff_did_table_note", lang),
    )  # fmt: skip


def subgroup_label(code: str, lang: str, tracks: dict[str, str]) -> str:
    """``gender:female`` -> "Kön: kvinna"; ``age_band:25-29`` -> "Ålder: 25–29 år"; ``total`` -> "Alla"."""
    dim, _, level = code.partition(":")
    if not level:
        return t("eff_sub_total", lang)
    keys = table()
    if level == "missing":
        name = t("missing", lang)
    elif dim == "gender" and f"tab_gender_{level}" in keys:
        name = t(f"tab_gender_{level}", lang)
    elif dim == "age_band" and level.endswith("+"):
        name = t("eff_sub_age_open", lang, from_=level[:-1])
    elif dim == "age_band":
        name = t("eff_sub_age", lang, band=level.replace("-", "\u2013"))
    else:
        name = tracks.get(level) or (t(f"eff_sub_track_{level}", lang) if f"eff_sub_track_{level}" in keys else level)
    return f"{t(f'eff_sub_dim_{dim}', lang)}: {name}"


def show_subgroups(tree: dict[str, Any], no_data: dict[str, str], tracks: dict[str, str], lang: str) -> None:
    """The subgroup effects table, the heterogeneity tests and one sentence on reading them."""
    show_text(f"## {t('eff_sub_heading', lang)}")
    if "subgroups" not in tree:
        show_no_data("subgroups", no_data.get("subgroups", "too_few"), lang)
        return
    node = tree["subgroups"]
    pt: PublishedTable = node["estimates"]
    show_text(t("eff_sub_intro", lang, min_cell=pt.min_cell))
    labels = Labels(
        lang,
        {
            "subgroup": lambda c: subgroup_label(c, lang, tracks),
            "subgroup_status": lambda c: t(f"eff_sub_status_{c}", lang),
            "subgroup_dimension": lambda c: t(f"eff_sub_dim_{c}", lang),
        },
    )
    headers = {k: t(f"eff_sub_col_{k}", lang) for k in ("estimate", "p", "p_holm", "status")}
    headers.update(n_treated=t("eff_col_n_treated", lang), n_control=t("eff_col_n_control", lang))
    show_published(
        pt, t("eff_sub_caption", lang), lang, labels=labels, row_header=t("eff_sub_col_group", lang),
        headers=headers, note=_sub_note(pt, node["design"], lang),
    )  # fmt: skip
    het: PublishedTable = node["heterogeneity"]
    if len(het):
        show_published(
            het, t("eff_sub_het_caption", lang), lang, labels=labels, row_header=t("eff_sub_col_dimension", lang),
            headers={"statistic": t("eff_sub_col_chi2", lang), "df": t("eff_sub_col_df", lang),
                     "p": t("eff_sub_col_p", lang), "p_holm": t("eff_sub_col_p_holm", lang)},
        )  # fmt: skip
    show_text(t("eff_sub_reading", lang))


def _sub_note(pt: PublishedTable, design: str, lang: str) -> str:
    note = t(f"eff_sub_note_{design}", lang)
    if any(pt.cell(r, "status").value not in (None, "estimated") for r in pt.rows):
        note += " " + t("eff_sub_not_estimated", lang)
    return note


def _value_text(fmt: Any, labels: Labels) -> Any:
    def text(row: str, col: Column, cell: Cell) -> str:
        if cell.marker is not None or cell.value is None:
            return cell_text(cell, col, fmt, labels)
        if cell.kind == "share":
            return fmt.percent(cell.value, 1)
        if cell.kind == "estimate":
            v = cell.value
            return fmt.estimate(v[0], v[1], v[2], "pp", 1)
        return fmt.number(cell.value, 2)

    return text


def sensitivity_sentences(pt: PublishedTable, lang: str) -> list[str]:
    """One plain sentence per measure of the sensitivity table, with its number."""
    fmt, out = formatter(lang), []
    for row in pt.rows:
        v = pt.cell(row, "value").value
        if row == "gamma_star":
            out.append(t("eff_sens_say_gamma_none" if v is None or v <= 1.0 else "eff_sens_say_gamma", lang,
                         gamma=fmt.number(v, 2) if v is not None else "–"))  # fmt: skip
        elif row.startswith("placebo_"):
            p = pt.cell(row, "p").value
            key = "eff_sens_say_placebo_ok" if p is not None and p >= 0.05 else "eff_sens_say_placebo_bad"
            out.append(t(key, lang, months=row.split("_")[1], effect=fmt.pp(v[0], 1, sign=True)))
        elif v is not None:
            shown = fmt.percent(v, 1) if row.startswith("rv_") else fmt.number(v, 2)
            out.append(t(f"eff_sens_say_{row}", lang, value=shown))
    return out


def show_sensitivity(tree: dict[str, Any], no_data: dict[str, str], outcome: str, lang: str) -> None:
    """The sensitivity table (E-value, Rosenbaum Gamma, robustness value, placebo), each measure in one sentence."""
    show_text(f"## {t('eff_sens_heading', lang)}")
    if "sensitivity" not in tree or not len(tree["sensitivity"]["table"]):
        show_no_data("sensitivity", no_data.get("sensitivity", "too_few"), lang)
        return
    pt: PublishedTable = tree["sensitivity"]["table"]
    show_text(t("eff_sens_intro", lang))
    fmt = formatter(lang)
    labels = Labels(lang, {"sensitivity_measure": lambda c: _measure_label(c, lang)})
    show_published(
        pt, t("eff_sens_caption", lang, outcome=outcome), lang, labels=labels, row_header=t("eff_sens_col_measure", lang),
        headers={"value": t("eff_sens_col_value", lang), "p": t("eff_sens_col_p", lang)},
        formats={"value": _value_text(fmt, labels)}, note=t("eff_sens_note", lang),
    )  # fmt: skip
    show_text("\n".join(f"- {s}" for s in sensitivity_sentences(pt, lang)))


def _measure_label(code: str, lang: str) -> str:
    if code.startswith("placebo_"):
        return t("eff_sens_m_placebo", lang, months=code.split("_")[1])
    return t(f"eff_sens_m_{code}", lang)
