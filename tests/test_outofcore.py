"""Out-of-core panel steps (DuckDB over partitioned parquet) give exactly the in-memory results."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.clean import identity
from analysis.clean.outofcore import first_spells_out_of_core, panel_to_parquet, time_to_first_out_of_core
from analysis.survival.spells import build_spells, first_spell_after, time_to_first
from conftest import bad_check_digit, make_pnr

KEY = b"k" * 32
STATUSES = ["work", "study", "income_support", "job_seeking", "sick", "other"]


def messy_panel(n_persons=300, seed=7):
    """Persons with gaps of 1 and 2 months, spells under way in the first month or running to the end,
    late entry and early exit from the panel; plus bad rows of every kind."""
    rng = np.random.default_rng(seed)
    ids, rows = [], []
    for i in range(n_persons):
        pnr = make_pnr(
            dt.date(1960, 1, 1) + dt.timedelta(days=int(rng.integers(0, 15000))), i + 1, bool(i % 2), sep="", digits=12
        )
        ids.append(pnr)
        first, last = int(rng.integers(0, 6)), int(rng.integers(20, 30))
        state = rng.uniform() < 0.3
        for m in range(first, last + 1):
            if rng.uniform() < 0.03:
                continue  # a missing month inside the window
            state = (rng.uniform() < 0.85) if state else (rng.uniform() < 0.15)
            status = rng.choice(["work", "study"]) if state else rng.choice(STATUSES[2:])
            rows.append((pnr, f"{2021 + m // 12}-{m % 12 + 1:02d}", str(status)))
    df = pd.DataFrame(rows, columns=["person_id", "month", "status"])
    bad = pd.DataFrame(
        [
            ("", "2021-03", "work"),  # empty id
            (bad_check_digit(ids[0]), "2021-03", "work"),  # invalid id
            (make_pnr(dt.date(1980, 5, 5), 999, True, sep="", digits=12), "2021-03", "work"),  # valid, nobody kept
            (ids[1], "2021-13", "work"),  # unreadable month
            (ids[2], "2021-04", "föräldraledig"),  # unknown label
            (ids[3], "2021-05", ""),  # empty status
        ],
        columns=df.columns,
    )
    dup = df.iloc[[10, 50]]  # second row for the same person and month
    df = pd.concat([df.iloc[:100], bad, df.iloc[100:], dup], ignore_index=True)
    return df, ids


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ooc")
    df, ids = messy_panel()
    csv = folder / "status_monthly.csv"
    df.to_csv(csv, sep=";", index=False)
    known = dict(zip(ids, identity.pseudonymise(pd.Series(ids), KEY)))
    conv = panel_to_parquet(csv, folder / "panel", known, key=KEY, buckets=4, memory_limit="500MB", threads=2)
    rng = np.random.default_rng(1)
    persons = pd.DataFrame(
        {
            "person_key": list(known.values()),
            "start_date": pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 600, len(ids)), "D"),
            "group": rng.integers(0, 2, len(ids)),
        }
    )
    return conv, df, known, persons


def in_memory_panel(df: pd.DataFrame, known: dict) -> pd.DataFrame:
    """The panel as the cleaning step keeps it (first row per person and month, known persons, valid rows)."""
    ok = (
        df["person_id"].isin(known) & df["month"].str.fullmatch(r"2\d{3}-(0[1-9]|1[0-2])") & df["status"].isin(STATUSES)
    )
    kept = df[ok].drop_duplicates(["person_id", "month"])
    return pd.DataFrame(
        {
            "person_key": kept["person_id"].map(known).astype("category"),
            "month": pd.to_datetime(kept["month"] + "-01"),
            "status": kept["status"],
        }
    )


def test_conversion_reconciles_and_quarantines_every_kind(converted):
    conv, df, known, _ = converted
    assert conv.rows_read == len(df)
    assert conv.balanced
    assert conv.quarantined == {
        "empty_id": 1,
        "invalid_id": 1,
        "unknown_person": 1,
        "unreadable_month": 1,
        "unknown_label": 1,
        "empty_required": 1,
        "duplicate_month": 2,
    }
    q = pd.read_parquet(conv.dataset.parent / "quarantine.parquet")
    # row numbers are file line numbers (header = line 1): the bad rows were inserted after 100 data rows
    assert sorted(q.loc[q["reason"] != "duplicate_month", "row"]) == list(range(102, 108))
    assert sorted(q.loc[q["reason"] == "duplicate_month", "row"]) == [len(df), len(df) + 1]
    panel = pd.read_parquet(conv.dataset)
    assert len(panel) == conv.rows_kept == len(in_memory_panel(df, known))


def test_no_personnummer_in_the_parquet_files(converted):
    conv, df, _, _ = converted
    for path in conv.dataset.parent.rglob("*.parquet"):
        table = pd.read_parquet(path)
        for col in table.columns:
            text = table[col].astype(str)
            assert not identity.looks_like_personnummer(text).any(), (path, col)
            assert not text.isin(df["person_id"]).any()


@pytest.mark.parametrize("gap", [1, 2])
def test_first_spells_equal_the_in_memory_spells(converted, gap):
    conv, df, known, persons = converted
    data_end = pd.Timestamp("2022-12-31")
    panel = in_memory_panel(df, known)
    expected = first_spell_after(build_spells(panel, ("work", "study"), gap, data_end), persons)
    got = first_spells_out_of_core(conv.dataset, persons, ("work", "study"), gap, data_end, memory_limit="500MB")
    cols = ["person_key", "spell_no", "start", "end", "months", "duration", "event", "left_censored", "group"]
    exp = expected[cols].sort_values("person_key").reset_index(drop=True)
    got = got[cols].sort_values("person_key").reset_index(drop=True)
    assert len(exp) > 100 and exp["event"].between(0, 1).all() and 0 < exp["event"].mean() < 1
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)


def test_time_to_first_equals_the_in_memory_result(converted):
    conv, df, known, persons = converted
    data_end = pd.Timestamp("2022-10-31")
    panel = in_memory_panel(df, known)
    expected = time_to_first(panel, persons, ("work", "study"), (), data_end)
    got = time_to_first_out_of_core(conv.dataset, persons, ("work", "study"), data_end)
    cols = ["person_key", "time", "event", "entry"]
    exp = expected[cols].sort_values("person_key").reset_index(drop=True)
    got = got[cols].sort_values("person_key").reset_index(drop=True)
    assert (exp["entry"] > 0).any() and (exp["event"] == 0).any() and (exp["event"] == 1).any()
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)
