"""Disclosure control: no small visible count, no recoverable hidden cell (LP audit), hidden shares."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis.disclosure.suppression import (
    SECONDARY_MARKER,
    TOTAL,
    plot_groups,
    protect_counts,
    protect_linked,
    protect_share,
    protect_shares,
    protect_subgroups,
)


def lp_ranges(
    full: np.ndarray, hidden: np.ndarray, lower: np.ndarray | None = None
) -> list[tuple[float, float, float]]:
    """Independent audit: min and max of each hidden cell of an (R+1)x(C+1) table with margins,
    given every published cell, all row/column sums and non-negativity (or ``lower`` bounds)."""
    R, C = full.shape[0] - 1, full.shape[1] - 1
    idx = [tuple(x) for x in np.argwhere(hidden)]
    if not idx:
        return []
    pos = {c: k for k, c in enumerate(idx)}
    a, b = [], []

    def add(cells, total):
        row, rhs = np.zeros(len(idx)), 0.0
        for c, s in [(c, 1.0) for c in cells] + [(total, -1.0)]:
            if c in pos:
                row[pos[c]] += s
            else:
                rhs -= s * full[c]
        a.append(row)
        b.append(rhs)

    for i in range(R + 1):
        add([(i, j) for j in range(C)], (i, C))
    for j in range(C + 1):
        add([(i, j) for i in range(R)], (R, j))
    bounds = [(0 if lower is None else lower[c], None) for c in idx]
    out = []
    for k, c in enumerate(idx):
        obj = np.zeros(len(idx))
        obj[k] = 1
        lo = linprog(obj, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
        assert lo.status == 0
        out.append((full[c], lo.fun, np.inf if hi.status == 3 else -hi.fun))
    return out


tables = st.integers(1, 5).flatmap(
    lambda r: st.integers(1, 5).flatmap(
        lambda c: st.lists(
            st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=c, max_size=c), min_size=r, max_size=r
        )
    )
)


@pytest.mark.slow  # 120 tables, two linear programmes per hidden cell
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables, st.sampled_from([3, 5]))
def test_no_small_visible_cell_and_no_hidden_cell_recoverable(rows, min_cell):
    t = pd.DataFrame(rows)
    p = protect_counts(t, min_cell=min_cell)
    full, hid = p.counts.to_numpy(), p.hidden.to_numpy()
    visible = full[~hid]
    assert not ((visible > 0) & (visible < min_cell)).any()
    assert (p.display.to_numpy()[p.secondary.to_numpy()] == SECONDARY_MARKER).all()
    assert (p.display.to_numpy()[p.primary.to_numpy()] == f"<{min_cell}").all()
    for value, lo, hi in lp_ranges(full.astype(float), hid):
        assert hi - lo >= 1 - 1e-6, (value, lo, hi)
    # also with what the markers reveal ("<5" >= 1, ".." >= min_cell)
    lower = np.where(p.primary.to_numpy(), 1, np.where(p.secondary.to_numpy(), min_cell, 0))
    for value, lo, hi in lp_ranges(full.astype(float), hid, lower):
        assert hi - lo >= 1 - 1e-6, (value, lo, hi)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_one_dimensional(values):
    p = protect_counts(pd.Series(values, index=[f"c{i}" for i in range(len(values))]))
    hid = p.hidden["count"]
    assert hid.sum() != 1 or hid[TOTAL]  # never exactly one hidden among parts and total
    vis = p.counts["count"][~hid]
    assert not ((vis > 0) & (vis < 5)).any()


def test_known_table_and_zero_policy():
    t = pd.DataFrame({"a": [3, 10, 12], "b": [8, 9, 20], "c": [0, 15, 7]}, index=["x", "y", "z"])
    p = protect_counts(t)
    assert p.display.loc["x", "a"] == "<5"
    assert p.display.loc["x", "c"] == "0"  # zeros are published, never used as complements
    assert p.secondary.to_numpy().sum() >= 3
    assert protect_counts(t, protect_zeros=True).display.loc["x", "c"] == "<5"


def test_without_margins_only_primary():
    p = protect_counts(pd.DataFrame({"a": [3, 10]}), margins=False)
    assert p.primary.to_numpy().sum() == 1 and p.secondary.to_numpy().sum() == 0


def test_shares_from_hidden_cells_are_hidden():
    t = pd.DataFrame({"f": [3, 12, 9], "m": [10, 11, 14]}, index=["w", "s", "o"])
    p = protect_counts(t)
    tidy = pd.DataFrame(
        [
            {
                "category": c,
                "group": g,
                "count": t.loc[c, g],
                "n": t[g].sum(),
                "share": t.loc[c, g] / t[g].sum(),
                "lower": 0.0,
                "upper": 1.0,
            }
            for c in t.index
            for g in t.columns
        ]
    )
    out = protect_shares(tidy, p)
    hidden_cells = {(c, g) for c in t.index for g in t.columns if p.hidden.loc[c, g]}
    for r in out.itertuples():
        if (r.category, r.group) in hidden_cells:
            assert np.isnan(r.share) and np.isnan(r.count) and r.suppressed
    one = protect_share(18, 20)  # 2 failures: the share would reveal them
    assert one.hidden and one.to_results()["share"] is None and one.to_results()["n"] == 20
    assert not protect_share(10, 20).hidden
    assert protect_share(0, 0).hidden


def test_linked_flow():
    pc = protect_linked(
        {"referred": 174, "not_enrolled": 21, "enrolled": 153, "active": 3, "exited": 150},
        [(["active", "exited"], "enrolled"), (["enrolled", "not_enrolled"], "referred")],
    )
    assert pc.display()["active"] == "<5"
    assert pc.hidden["exited"] or pc.hidden["enrolled"]
    with pytest.raises(ValueError):
        protect_linked({"a": 1, "b": 2, "t": 4}, [(["a", "b"], "t")])


def test_plot_groups():
    pg = plot_groups(pd.Series({"a": 10, "b": 3, "c": 0, "d": 2}), 5)
    assert pg.keep == ["a"] and pg.dropped == ["b", "d"]
    pg = plot_groups(pd.Series({"a": 10, "b": 3, "d": 2}), 5, merge_label="Övriga")
    assert pg.merged == ["b", "d"] and pg.merged_label == "Övriga"
    pg = plot_groups(pd.Series({"a": 10}), 5)
    assert pg.dropped == [] and pg.merged == []


def test_linked_counts_prefer_and_force():
    """``prefer`` picks the complement; ``force`` hides a count hidden in another table."""
    values = {"kept": 3000, "rejected": 4, "read": 3004}
    rel = [(["kept", "rejected"], "read")]
    assert protect_linked(values, rel, 5).display() == {"kept": "..", "rejected": "<5", "read": "3004"}
    assert protect_linked(values, rel, 5, prefer=["read"]).display() == {"kept": "3000", "rejected": "<5", "read": ".."}
    sizes = {"a": 40, "b": 30, "c": 20}
    pc = protect_subgroups(sizes, 90, 5, force=["c"])  # c is hidden elsewhere: here too, with a complement
    assert pc.hidden["c"] and sum(pc.hidden[k] for k in sizes) >= 2
    pc = protect_subgroups({"2019": 150, "2020": 147, "2021": 3}, 300, 5)
    assert pc.display()["2021"] == "<5" and pc.hidden["2020"] and not pc.hidden["total"]
