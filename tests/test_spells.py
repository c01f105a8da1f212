"""Spells and time to first work or study: vectorised code vs a brute-force loop, and planted hazards recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.project.dates import month_numbers
from analysis.survival.spells import build_spells, time_to_first

BASE = pd.Timestamp("2020-01-01")
STATUSES = ["work", "study", "job_seeking", "sick", "income_support"]
WS = ("work", "study")


def key(i: int) -> str:
    return f"{i:020x}"


def month(k: int) -> pd.Timestamp:
    return BASE + pd.DateOffset(months=int(k))


def brute_spells(panel: pd.DataFrame, gap: int) -> pd.DataFrame:
    """The rules of analysis.survival.spells written as a plain loop over persons and months."""
    rows = []
    for pk, d in panel.groupby("person_key", sort=True):
        m = dict(zip(month_numbers(d["month"]), d["status"]))
        lo, hi = min(m), max(m)
        ws_months = [k for k in range(lo, hi + 1) if m.get(k) in WS]
        spells, cur = [], None
        for k in ws_months:
            if cur is not None and k - cur[1] - 1 <= gap:
                cur[1] = k
            else:
                if cur:
                    spells.append(cur)
                cur = [k, k]
        if cur:
            spells.append(cur)
        for i, (s, e) in enumerate(spells):
            later = i + 1 < len(spells)
            event = later or (hi - e > gap)
            months = e - s + 1
            rows.append(
                {
                    "person_key": pk,
                    "spell_no": i + 1,
                    "months": months,
                    "event": int(event),
                    "duration": months if event else max(hi - gap - s, 0),
                    "left_censored": s == lo,
                    "start": s,
                    "end": e,
                }
            )
    return pd.DataFrame(rows)


panels = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 14), st.sampled_from(STATUSES)), min_size=1, max_size=80)


@settings(max_examples=150, deadline=None)
@given(panels, st.integers(0, 2))
def test_spells_equal_brute_force(rows, gap):
    df = pd.DataFrame(rows, columns=["p", "m", "status"]).drop_duplicates(["p", "m"])
    df = df.sample(frac=1, random_state=0)  # unsorted input
    panel = pd.DataFrame({"person_key": df["p"].map(key), "month": df["m"].map(month), "status": df["status"]})
    ours = build_spells(panel, WS, gap).sort_values(["person_key", "spell_no"]).reset_index(drop=True)
    ref = brute_spells(panel, gap)
    if ref.empty:
        assert ours.empty
        return
    ours = ours.assign(start=month_numbers(ours["start"]), end=month_numbers(ours["end"]))
    cols = ["person_key", "spell_no", "start", "end", "months", "duration", "event", "left_censored"]
    pd.testing.assert_frame_equal(ours[cols], ref[cols], check_dtype=False)


def brute_first(panel, persons, competing, data_end):
    out = []
    end_m = month_numbers([data_end])[0]
    for _, p in persons.iterrows():
        d = panel[panel["person_key"] == p["person_key"]]
        d = d[month_numbers(d["month"]) <= end_m]
        if d.empty:
            continue
        mm = dict(zip(month_numbers(d["month"]), d["status"]))
        a = month_numbers([p["start_date"]])[0]
        hi = max(mm)
        if hi < a:
            continue
        x = None
        if p["exit_status"] in competing and pd.notna(p["end_date"]):
            x = max(month_numbers([p["end_date"]])[0], a)
        res = None
        for k in range(a, hi + 1):
            if mm.get(k) in WS:
                res = (k - a, 1)
                break
            if x is not None and k == x:
                res = (k - a, 2)
                break
        if res is None:
            res = (x - a, 2) if x is not None and x <= hi else (hi - a, 0)
        out.append({"person_key": p["person_key"], "time": res[0], "event": res[1]})
    return pd.DataFrame(out)


@settings(max_examples=120, deadline=None)
@given(
    panels,
    st.lists(
        st.tuples(st.integers(0, 12), st.sampled_from(["moved", "work", "sick", None]), st.integers(0, 8)),
        min_size=6,
        max_size=6,
    ),
)
def test_time_to_first_equals_brute_force(rows, starts):
    df = pd.DataFrame(rows, columns=["p", "m", "status"]).drop_duplicates(["p", "m"])
    panel = pd.DataFrame({"person_key": df["p"].map(key), "month": df["m"].map(month), "status": df["status"]})
    persons = pd.DataFrame(
        {
            "person_key": [key(i) for i in range(6)],
            "start_date": [month(s) + pd.Timedelta(days=9) for s, _, _ in starts],
            "exit_status": [x for _, x, _ in starts],
            "end_date": [month(s + d) + pd.Timedelta(days=3) for s, _, d in starts],
        }
    )
    data_end = month(12) + pd.Timedelta(days=20)
    ours = time_to_first(panel, persons, WS, ("moved", "sick"), data_end)
    ref = brute_first(panel, persons, ("moved", "sick"), data_end)
    if ref.empty:
        assert ours.empty
        return
    pd.testing.assert_frame_equal(ours[["person_key", "time", "event"]].reset_index(drop=True), ref, check_dtype=False)


def test_bridged_gap_and_censoring_example():
    # W W J W W J J J  (gap 1 bridged; leaves after month 4 for good)
    # W W W            (censored at the end of the panel)
    seq = {key(0): "WWJWWJJJ", key(1): "JJJJJWWW"}
    rows = [(p, month(i), "work" if c == "W" else "job_seeking") for p, s in seq.items() for i, c in enumerate(s)]
    panel = pd.DataFrame(rows, columns=["person_key", "month", "status"])
    sp = build_spells(panel, WS, bridge_gap_months=1).set_index("person_key")
    assert sp.loc[key(0), ["months", "duration", "event"]].tolist() == [5, 5, 1]
    assert sp.loc[key(1), ["months", "duration", "event"]].tolist() == [3, 1, 0]  # observed to month 7, gap 1: 7-1-5
    sp0 = build_spells(panel, WS, bridge_gap_months=0)
    assert (sp0["person_key"] == key(0)).sum() == 2


def test_categorical_input_and_data_end():
    panel = pd.DataFrame(
        {
            "person_key": pd.Categorical([key(0)] * 4),
            "month": [month(i) for i in range(4)],
            "status": pd.Categorical(["job_seeking", "work", "work", "job_seeking"]),
        }
    )
    sp = build_spells(panel, WS, 0)
    assert sp[["months", "event"]].iloc[0].tolist() == [2, 1]
    cut = build_spells(panel, WS, 0, data_end=month(2))
    assert cut[["months", "duration", "event"]].iloc[0].tolist() == [2, 1, 0]


def simulate_panel(n=2000, seed=0, h_leave=(0.08, 0.06, 0.04), h_enter=0.05, months=48):
    """Monthly Markov panel (vectorised over persons): cohort c leaves work with hazard h_leave[c]."""
    rng = np.random.default_rng(seed)
    cohort = rng.integers(0, 3, n)
    start = cohort * 12 + rng.integers(0, 12, n)
    ws = np.zeros(n, bool)
    status = np.empty((n, months), dtype=object)
    hl = np.asarray(h_leave)[cohort]
    for m in range(months):  # loop over months, vectorised over persons
        u = rng.random(n)
        active = m >= start
        ws = np.where(active & ~ws, u < h_enter, np.where(active & ws, u >= hl, ws))
        status[:, m] = np.where(ws, "work", np.where(active, "job_seeking", "income_support"))
    keys = np.array([key(i) for i in range(n)])
    panel = pd.DataFrame(
        {
            "person_key": np.repeat(keys, months),
            "month": np.tile([month(m) for m in range(months)], n),
            "status": status.ravel(),
        }
    )
    persons = pd.DataFrame(
        {
            "person_key": keys,
            "start_date": [month(s) for s in start],
            "cohort": cohort,
            "end_date": pd.NaT,
            "exit_status": None,
        }
    )
    return panel, persons


def test_planted_hazards_recovered():
    from analysis.survival import aalen_johansen
    from analysis.survival.analysis import monthly_hazard
    from analysis.survival.spells import first_spell_after

    panel, persons = simulate_panel()
    spells = first_spell_after(build_spells(panel, WS, 0), persons)
    for c, h in enumerate((0.08, 0.06, 0.04)):
        d = spells[spells["cohort"] == c]
        est = monthly_hazard(d["duration"], d["event"])
        assert abs(est["hazard"] - h) < 3 * est["se"], (c, est)
    first = time_to_first(panel, persons, WS)
    cif = aalen_johansen(first["time"], first["event"], 1).incidence_at([0, 6, 12])
    truth = 1 - 0.95 ** (cif["time"] + 1)  # the hazard applies from the start month (time 0)
    se = (cif["upper"] - cif["lower"]) / (2 * 1.96)
    assert (np.abs(cif["incidence"] - truth) < 3.5 * se).all()


@pytest.mark.parametrize("gap", [0, 1])
def test_first_spell_ignores_left_censored_and_earlier_spells(gap):
    from analysis.survival.spells import first_spell_after

    seq = "WWJJJWWWJJJJ"
    panel = pd.DataFrame(
        [(key(0), month(i), "work" if c == "W" else "sick") for i, c in enumerate(seq)],
        columns=["person_key", "month", "status"],
    )
    persons = pd.DataFrame({"person_key": [key(0)], "start_date": [month(1)]})
    f = first_spell_after(build_spells(panel, WS, gap), persons)
    assert month_numbers(f["start"]).tolist() == month_numbers([month(5)]).tolist()
