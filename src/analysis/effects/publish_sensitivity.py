"""The published tables of the subgroup effects and of the sensitivity to hidden bias (codes and numbers).

Subgroups (``effects.subgroups``): one row per level of each dimension (``gender:female``,
``age_band:25-29``, ``track:study``) and the whole group (``total``): persons, the effect with its
95 % interval, the raw and the Holm-adjusted p-value, and why a level was not estimated. The
participants of the levels of every dimension are protected together with their total (one
:func:`~analysis.disclosure.suppression.protect_linked` for all dimensions, so the total is hidden
everywhere or nowhere), and so are the comparison persons (rows of a panel-built comparison): a
partition of them for sex and age band, and for a track its comparison group with those it did not
use. A total that the effects design hides is hidden here too.

Sensitivity (``effects.sensitivity``): the E-values of the doubly robust estimate, the Rosenbaum
Gamma at which the matched estimate stops being significant, the robustness values of the
regression estimate and the placebo estimates in the months before start. Gamma and the robustness
values are published to 3 decimals: with their full precision, the robustness values (functions of
the regression's t statistic and its degrees of freedom) would give the sample size away.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.published import Cell, Column, PublishedTable, linked_cell, value_cell
from analysis.disclosure.suppression import ProtectedCounts, protect_linked
from analysis.effects.hidden_bias import SensitivityResult
from analysis.effects.subgroups import SubgroupResult

REST = "rest"
SENSITIVITY_DIGITS = 3  # Gamma, robustness values: see the module docstring


def subgroup_counts(sg: SubgroupResult, force: tuple[str, ...] = ()) -> ProtectedCounts:
    """Participants and comparison persons of every level, protected with their totals (see the module docstring)."""
    t = sg.table
    values: dict[str, int] = {"treated": int(sg.overall["n_treated"]), "control": int(sg.overall["n_control"])}
    relations: list[tuple[list[str], str]] = []
    n0_total = values["control"]
    for dim, c in sg.counts.items():
        levels = [lv for lv in c["values"] if lv != "total"]
        parts = [f"{dim}:{lv}:treated" for lv in levels]
        values.update({p: int(c["values"][lv]) for p, lv in zip(parts, levels)})
        rest = values["treated"] - sum(values[p] for p in parts)
        values[f"{dim}:{REST}:treated"] = rest
        relations.append(([*parts, f"{dim}:{REST}:treated"], "treated"))
        rows = t[t["dimension"] == dim].set_index("level")["n_control"].astype(int)
        if dim == "track":  # every track against the whole comparison group
            for lv, n in rows.items():
                values[f"{dim}:{lv}:control"], values[f"{dim}:{lv}:unused"] = int(n), n0_total - int(n)
                relations.append(([f"{dim}:{lv}:control", f"{dim}:{lv}:unused"], "control"))
            continue
        for lv, n in rows.items():
            values[f"{dim}:{lv}:control"] = int(n)
        values[f"{dim}:{REST}:control"] = n0_total - int(rows.sum())
        relations.append(([*(f"{dim}:{lv}:control" for lv in rows.index), f"{dim}:{REST}:control"], "control"))
    bad = [(p, tot) for p, tot in relations if any(values[x] < 0 for x in p)]
    relations = [r for r in relations if r not in bad]  # not a partition (should not happen): protected alone
    return protect_linked(values, relations, sg.min_cell, force=[f for f in force if f in values])


def subgroups_table(sg: SubgroupResult, pc: ProtectedCounts, kind: str) -> PublishedTable:
    """Subgroup effects with their persons, raw and Holm-adjusted p-values (rows ``dimension:level``, ``total``)."""
    effect, digits = ("pp", 1) if kind == "binary" else ("number", 0)
    table = PublishedTable(
        "subgroups",
        [
            Column("n_treated", "count"),
            Column("n_control", "count", shown=False),  # 3 000 for every track: in results.json only
            Column("estimate", "estimate", digits=digits, of=effect),
            Column("se", effect, digits=digits + 2, shown=False),
            Column("p", "p"),
            Column("p_holm", "p"),
            Column("status", "code", of="subgroup_status", shown=False),  # the page says "–" and why in a note
        ],
        rows_are="subgroup",
        min_cell=sg.min_cell,
    )
    for _, r in sg.table.iterrows():
        key = f"{r['dimension']}:{r['level']}"
        estimated = r["skipped"] is None or (isinstance(r["skipped"], float) and np.isnan(r["skipped"]))
        cells: dict[str, Any] = {
            "n_treated": linked_cell(pc, f"{key}:treated"),
            "n_control": linked_cell(pc, f"{key}:control") if f"{key}:control" in pc.values else Cell(),
            "status": "estimated" if estimated else str(r["skipped"]),
        }
        if estimated:
            cells.update(estimate=[r["estimate"], r["lower"], r["upper"]], se=r["se"], p=r["p"], p_holm=r["p_holm"])
        table.add_row(key, cells)
    ov = sg.overall
    table.add_row(
        "total",
        {
            "n_treated": linked_cell(pc, "treated"),
            "n_control": linked_cell(pc, "control"),
            "estimate": [ov.get("estimate"), ov.get("lower"), ov.get("upper")],
            "se": ov.get("se"),
            "status": "estimated",
        },
    )
    table.withheld = pc.exposed
    table.meta.update(outcome=sg.outcome, estimator=sg.estimator)
    return table


def heterogeneity_table(sg: SubgroupResult) -> PublishedTable:
    """Per dimension: the Wald test that the effect is equal in every estimated level, raw and Holm-adjusted p."""
    table = PublishedTable(
        "heterogeneity",
        [
            Column("statistic", "number", digits=2),
            Column("df", "number", digits=0),
            Column("p", "p"),
            Column("p_holm", "p"),
        ],
        rows_are="subgroup_dimension",
        min_cell=sg.min_cell,
    )
    for _, r in sg.tests.iterrows():
        table.add_row(
            str(r["dimension"]), {"statistic": r["statistic"], "df": int(r["df"]), "p": r["p"], "p_holm": r["p_holm"]}
        )
    return table


def subgroups_published(sg: SubgroupResult, kind: str, design: str, force: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``effects.subgroups`` node."""
    pc = subgroup_counts(sg, force)
    return {
        "outcome": sg.outcome,
        "estimator": sg.estimator,
        "design": design,
        "dimensions": list(sg.counts),
        "estimates": subgroups_table(sg, pc, kind),
        "heterogeneity": heterogeneity_table(sg),
    }


def _rounded(x: float | None) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), SENSITIVITY_DIGITS)


def sensitivity_table(
    sens: SensitivityResult | None, evalue: dict | None, min_cell: int, estimator: str = "aipw"
) -> PublishedTable:
    """One row per measure: ``evalue``, ``evalue_ci``, ``gamma_star``, ``rv_q``, ``rv_qa``, ``placebo_<m>``.

    ``value`` holds a number (E-values, Gamma), a share (robustness values, as fractions) or, for a
    placebo, the estimate with its interval (a difference of shares); ``p`` the placebo's p-value.
    """
    table = PublishedTable(
        "sensitivity",
        [Column("value", "number", digits=2, of="pp"), Column("p", "p")],
        rows_are="sensitivity_measure",
        min_cell=min_cell,
    )
    ev = evalue or {}
    for key in ("evalue", "evalue_ci"):
        if ev.get(key) is not None:
            table.add_row(key, {"value": ev[key]})
    if sens is not None and sens.rosenbaum is not None:
        g = sens.rosenbaum["gamma_star"]
        table.add_row("gamma_star", {"value": _rounded(g) if np.isfinite(g) else None})
        table.meta["rosenbaum"] = {
            "test": sens.rosenbaum["test"],
            "direction": sens.rosenbaum["direction"],
            "bounds": [{"gamma": b["gamma"], "p_upper": _rounded(b["p_upper"])} for b in sens.rosenbaum["bounds"]],
        }
    if sens is not None and sens.robustness is not None:
        rb = sens.robustness
        for key in ("rv_q", "rv_qa"):
            table.add_row(key, {"value": Cell(_rounded(rb[key]), None, "share")})
        table.meta["robustness"] = {"q": rb["q"], "alpha": rb["alpha"], "partial_r2": _rounded(rb["partial_r2"])}
    if sens is not None and len(sens.placebo):
        main = sens.placebo[sens.placebo["estimator"] == estimator]
        for _, r in main.sort_values("months").iterrows():
            table.add_row(
                f"placebo_{-int(r['months'])}",
                {"value": Cell([r["estimate"], r["lower"], r["upper"]], None, "estimate"), "p": r["p"]},
            )
    table.meta.update(outcome=None if sens is None else sens.outcome, estimator=estimator)
    return table


def placebo_table(sens: SensitivityResult, min_cell: int) -> PublishedTable:
    """Every estimator's placebo estimate by month before start (columns grouped by month)."""
    months = sorted({int(m) for m in sens.placebo["months"]})
    cols = []
    for m in months:
        cols += [
            Column("estimate", "estimate", group=str(-m), digits=1, of="pp"),
            Column("p", "p", group=str(-m), shown=False),
        ]
    table = PublishedTable("placebo", cols, rows_are="estimator", groups_are="months_before_start", min_cell=min_cell)
    frame: pd.DataFrame = sens.placebo
    for est in dict.fromkeys(frame["estimator"]):
        cells: dict[str, Any] = {}
        for _, r in frame[frame["estimator"] == est].iterrows():
            g = str(-int(r["months"]))
            cells[f"{g}/estimate"] = value_cell([r["estimate"], r["lower"], r["upper"]])
            cells[f"{g}/p"] = r["p"]
        table.add_row(str(est), cells)
    return table


def sensitivity_published(sens: SensitivityResult | None, evalue: dict | None, min_cell: int) -> dict[str, Any]:
    """The ``effects.sensitivity`` node (None-free: a measure that could not be computed is left out)."""
    out: dict[str, Any] = {"table": sensitivity_table(sens, evalue, min_cell)}
    if sens is not None:
        out["outcome"] = sens.outcome
        out["design"] = sens.design
        if len(sens.placebo):
            out["placebo"] = placebo_table(sens, min_cell)
    return out
