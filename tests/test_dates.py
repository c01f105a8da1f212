"""Dates and months in the formats Swedish exports use."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.project.dates import months_between, parse_dates, parse_month


@pytest.mark.parametrize(
    "raw",
    [
        "2016-03-01",
        "20160301",
        "160301",
        "2016-03-01 00:00",
        "2016-03-01T00:00:00",
        "2016/03/01",
        "1.3.2016",
        "01.03.2016",
        "42430",
        42430,
        42430.0,
        20160301,
        dt.date(2016, 3, 1),
        pd.Timestamp("2016-03-01 13:45"),
    ],
)
def test_every_format_gives_the_same_day(raw):
    values, bad = parse_dates(pd.Series([raw], dtype=object))
    assert not bad.iloc[0]
    assert values.iloc[0] == pd.Timestamp("2016-03-01")


@pytest.mark.parametrize("raw", ["2016-02-30", "2016-13-01", "x", "1/2", "99999999", "12345678901", True])
def test_impossible_dates_are_bad_not_guessed(raw):
    values, bad = parse_dates(pd.Series([raw], dtype=object))
    assert bad.iloc[0] and pd.isna(values.iloc[0])


def test_blanks_are_missing_not_bad():
    values, bad = parse_dates(pd.Series(["", "  ", None, np.nan], dtype=object))
    assert values.isna().all() and not bad.any()


def test_six_digit_century_pivot():
    values, _ = parse_dates(pd.Series(["690101", "700101"]))
    assert values.tolist() == [pd.Timestamp("2069-01-01"), pd.Timestamp("1970-01-01")]


def test_datetime_columns_pass_through():
    s = pd.Series(pd.to_datetime(["2016-03-01 10:00", None]))
    values, bad = parse_dates(s)
    assert values.iloc[0] == pd.Timestamp("2016-03-01") and pd.isna(values.iloc[1]) and not bad.any()


@pytest.mark.parametrize(
    "raw",
    ["2016-03", "201603", "2016/03", "mars 2016", "Mar 2016", "2016 mars", "2016-03-17", 201603, dt.date(2016, 3, 31)],
)
def test_months(raw):
    values, bad = parse_month(pd.Series([raw], dtype=object))
    assert not bad.iloc[0] and values.iloc[0] == pd.Timestamp("2016-03-01")


@pytest.mark.parametrize("raw", ["2016-13", "201600", "smarch 2016", "x"])
def test_bad_months(raw):
    values, bad = parse_month(pd.Series([raw], dtype=object))
    assert bad.iloc[0]


def test_many_rows_parse_through_unique_values():
    s = pd.Series(["2016-03-01", "20160302"] * 50_000)
    values, bad = parse_dates(s)
    assert not bad.any() and values.nunique() == 2


@pytest.mark.parametrize(
    "a, b, months",
    [
        ("2020-08-31", "2021-02-28", 6.0),
        ("2020-01-15", "2020-07-15", 6.0),
        ("2020-01-31", "2020-03-01", 1.0 + 1 / 30.4375),
        ("2020-03-01", "2020-03-01", 0.0),
        ("2020-01-20", "2020-02-10", 21 / 30.4375),
    ],
)
def test_months_between(a, b, months):
    out = months_between(pd.Series([pd.Timestamp(a)]), pd.Series([pd.Timestamp(b)]))
    assert out.iloc[0] == pytest.approx(months)


def test_month_numbers_day_table_equals_calendar_conversion():
    """Large arrays take a day -> month lookup table; it must give the calendar's months."""
    import numpy as np
    import pandas as pd

    from analysis.project.dates import month_numbers

    rng = np.random.default_rng(3)
    days = rng.integers(-20000, 25000, 150_000)
    ts = pd.Series((np.datetime64("1970-01-01") + days).astype("datetime64[ns]"))
    ts[::1000] = pd.NaT
    fast = month_numbers(ts)
    slow = np.concatenate([month_numbers(ts.iloc[i : i + 50_000]) for i in range(0, len(ts), 50_000)])
    assert len(ts) >= 100_000 and (fast == slow).all()
    assert fast[0] == -1 and month_numbers(pd.Series(pd.to_datetime(["2021-03-31"])))[0] == 2021 * 12 + 2
