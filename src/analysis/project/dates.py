"""Dates and months in the formats Swedish exports use.

Each parser works on the unique values of a column and maps back, so a register file
with millions of rows but a few thousand distinct dates parses in milliseconds.
A parser returns ``(values, bad)``: parsed timestamps (NaT for blanks and bad values)
and a mask of the non-blank values it could not read. Nothing is guessed silently:
a value that fits no format is *bad*, never set to a default.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
# Excel serials for 1950-01-01 .. 2099-12-31; other numbers are not taken as dates.
EXCEL_MIN, EXCEL_MAX = 18264, 73415
# Six-digit years (YYMMDD): 00-69 -> 2000s, 70-99 -> 1900s (the POSIX pivot).
CENTURY_PIVOT = 69
# The dates datetime64[ns] can hold; a parsed date outside them (9907-01-19, a year typo) is never cast.
_REPRESENTABLE = (pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31"))
# No date in an evaluation is earlier: a birth before 1900 makes a person over 120 at any start since 2020.
PLAUSIBLE_FROM = dt.date(1900, 1, 1)
# Dates up to a year after data_end are kept (an export made after data_end); later ones are typos (2099 for 2019).
PLAUSIBLE_YEARS_AFTER_DATA_END = 1
# The mean length of a calendar month in days (365.25 / 12): converts day counts to months.
DAYS_PER_MONTH = 30.4375

MONTHS_SV = {
    "jan": 1,
    "januari": 1,
    "feb": 2,
    "februari": 2,
    "mar": 3,
    "mars": 3,
    "apr": 4,
    "april": 4,
    "maj": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "aug": 8,
    "augusti": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oktober": 10,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
    "january": 1,
    "february": 2,
    "march": 3,
}

_YY_MM_DD = re.compile(r"^(\d{2})-(\d{2})-(\d{2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?::e|:a)?\.?\s+([a-zåäö]+)\.?\s+(\d{4})$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_COMPACT8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COMPACT6 = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]0+)?$")
_YM = re.compile(r"^(\d{4})[-/.]?(\d{2})$")
_YM_NAME = re.compile(r"^([a-zåäö]+)\.?[ -]?(\d{4})$|^(\d{4})[ -]?([a-zåäö]+)\.?$")


def _blank(values: pd.Series, missing: frozenset[str] = frozenset()) -> pd.Series:
    text = values.astype(str).str.strip()
    out = values.isna() | text.isin(["", "nan", "NaN", "None", "NaT"])
    if missing:
        out |= text.str.lower().isin({m.lower() for m in missing})
    return out


def _date(y: int, m: int, d: int) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(dt.date(y, m, d))
    except ValueError:
        return None


def _one_date(value: object, formats: tuple[str, ...] = ()) -> pd.Timestamp | None:
    return _date_and_format(value, formats)[0]


def _number_date(v: float) -> tuple[pd.Timestamp | None, str]:
    if v.is_integer() and 19000101 <= v <= 21001231:  # 20160301 read as a number
        return _date_and_format(str(int(v)))[0], "YYYYMMDD (number)"
    if v.is_integer() and EXCEL_MIN <= v <= EXCEL_MAX:
        return EXCEL_ORIGIN + pd.Timedelta(days=int(v)), "Excel serial number"
    if v.is_integer() and 0 <= v <= 991231:  # 160301 read as a number lost its leading zero
        return _date_and_format(f"{int(v):06d}")[0], "YYMMDD (number)"
    return None, ""


def _text_date(text: str) -> tuple[pd.Timestamp | None, str]:
    if m := _ISO.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3])), "YYYY-MM-DD"
    if m := _COMPACT8.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3])), "YYYYMMDD"
    if m := _COMPACT6.match(text):
        yy = int(m[1])
        return _date((2000 if yy <= CENTURY_PIVOT else 1900) + yy, int(m[2]), int(m[3])), "YYMMDD"
    if m := _YY_MM_DD.match(text):  # 22-09-19: Swedish systems write YY-MM-DD (set date_formats for DD-MM-YY)
        yy = int(m[1])
        return _date((2000 if yy <= CENTURY_PIVOT else 1900) + yy, int(m[2]), int(m[3])), "YY-MM-DD"
    if m := _DMY.match(text):
        return _date(int(m[3]), int(m[2]), int(m[1])), "DD.MM.YYYY"
    if m := _DAY_MONTH_YEAR.match(text.lower()):
        month = MONTHS_SV.get(m[2])
        return (_date(int(m[3]), month, int(m[1])) if month else None), "D month YYYY"
    if _SERIAL.match(text):
        return _number_date(float(text.replace(",", ".")))[0], "Excel serial number"
    return None, ""


def _date_and_format(value: object, formats: tuple[str, ...] = ()) -> tuple[pd.Timestamp | None, str]:
    """The date a cell holds and the name of the form it was written in ("" when unreadable)."""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return (pd.Timestamp(value).normalize(), "date cell") if not pd.isna(value) else (None, "")
    if isinstance(value, dt.date):
        return pd.Timestamp(value), "date cell"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return _number_date(float(value))
    text = str(value).strip()
    for fmt in formats:  # project.yml's date_formats come first
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt)).normalize(), fmt
        except ValueError:
            continue
    return _text_date(text)


def _one_month(value: object) -> pd.Timestamp | None:
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        ts = pd.Timestamp(value)
        return _date(ts.year, ts.month, 1) if not pd.isna(ts) else None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if v.is_integer() and 190001 <= v <= 210012:
            return _one_month(str(int(v)))
        day = _one_date(value)
        return _date(day.year, day.month, 1) if day is not None else None
    text = str(value).strip().lower()
    if m := _YM.match(text):
        month = int(m[2])
        return _date(int(m[1]), month, 1) if 1 <= month <= 12 else None
    if m := _YM_NAME.match(text):
        name, year = (m[1], m[2]) if m[1] else (m[4], m[3])
        month_of = MONTHS_SV.get(name)
        return _date(int(year), month_of, 1) if month_of else None
    day = _one_date(text)
    return _date(day.year, day.month, 1) if day is not None else None


def _representable(ts: pd.Timestamp | None) -> pd.Timestamp | None | bool:
    """The date, or False for a real calendar date datetime64[ns] cannot hold (a year such as 9907)."""
    if ts is None or _REPRESENTABLE[0] <= ts <= _REPRESENTABLE[1]:
        return ts
    return False


def _parse(values: pd.Series, one, blank: pd.Series | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``(dates, unreadable, far)``: far marks dates read but outside what datetime64[ns] holds (left NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values).dt.tz_localize(None) if getattr(values.dt, "tz", None) else pd.to_datetime(values)
        if one is _one_month:
            out = out.dt.to_period("M").dt.to_timestamp()
        else:
            out = out.dt.normalize()
        no = pd.Series(False, index=values.index)
        return out.astype("datetime64[ns]"), no, no.copy()
    blank = _blank(values) if blank is None else blank
    present = values[~blank]
    uniq = pd.unique(present.astype(object))
    lookup = {u: _representable(one(u)) for u in uniq}
    parsed = present.astype(object).map(lambda v: lookup[v])
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    far_at = parsed.map(lambda v: v is False).astype(bool)
    good = parsed.notna() & ~far_at
    if good.any():
        out.loc[parsed.index[good]] = pd.to_datetime(parsed[good].tolist()).astype("datetime64[ns]")
    bad = pd.Series(False, index=values.index)
    bad.loc[parsed.index[~good & ~far_at]] = True
    far = pd.Series(False, index=values.index)
    far.loc[parsed.index[far_at]] = True
    return out, bad, far


@dataclass(frozen=True)
class DateWindow:
    """The dates a project's data can plausibly hold: ``lo`` .. ``hi`` inclusive.

    ``lo`` is :data:`PLAUSIBLE_FROM`; ``hi`` is data_end plus :data:`PLAUSIBLE_YEARS_AFTER_DATA_END`
    years (see :func:`plausible_window`). A date outside is a typo (9907 or 1007 for 2007), not a fact.
    """

    lo: pd.Timestamp
    hi: pd.Timestamp

    def __str__(self) -> str:
        return f"{self.lo.date()}..{self.hi.date()}"

    def outside(self, dates: pd.Series) -> pd.Series:
        """Mask of the dates before ``lo`` or after ``hi`` (NaT is not outside)."""
        return (dates < self.lo) | (dates > self.hi)


def plausible_window(data_end: dt.date | None, today: dt.date | None = None) -> DateWindow:
    """The plausible dates of a project: from 1900-01-01 to a year after data_end.

    Without a data_end in project.yml the day of the run stands in for it: no date in an export
    can have been observed after the day it is read.

    Example
    -------
    >>> str(plausible_window(dt.date(2021, 3, 31)))
    '1900-01-01..2022-03-31'
    """
    end = pd.Timestamp(data_end or today or dt.date.today())
    return DateWindow(pd.Timestamp(PLAUSIBLE_FROM), end + pd.DateOffset(years=PLAUSIBLE_YEARS_AFTER_DATA_END))


def parse_dates(
    values: pd.Series, formats: tuple[str, ...] = (), missing: frozenset[str] = frozenset()
) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates.

    Accepts ``2016-03-01``, ``2016-03-01 00:00``, ``2016/03/01``, ``20160301``,
    ``160301`` and ``16-03-01`` (pivot: 00-69 are 2000s), ``01.03.2016``,
    ``15 november 2022``, ``15 nov. 2022``, Excel serial numbers (as numbers or
    text) and date objects from Excel or SPSS readers.

    Parameters
    ----------
    values : pandas.Series
        The raw column.
    formats : tuple of str
        ``strptime`` formats tried first (project.yml ``date_formats``).
    missing : frozenset of str
        Words that mean "no date" besides empty text, e.g. "pågår" in an end date.

    Returns
    -------
    (pandas.Series, pandas.Series)
        ``datetime64[ns]`` dates (NaT for blank or unreadable) and a boolean mask of
        the non-blank values that could not be read.
    """
    out, bad, far = parse_dates_far(values, formats, missing)
    return out, bad | far


def parse_dates_far(
    values: pd.Series, formats: tuple[str, ...] = (), missing: frozenset[str] = frozenset()
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_dates` with a third mask apart: the calendar dates too far out to hold (9907-01-19).

    Those are NaT in the dates and not in the unreadable mask; the cleaning step quarantines them
    as implausible dates (a year typo) rather than as unreadable.
    """
    return _parse(values, lambda v: _one_date(v, tuple(formats)), _blank(values, missing) if missing else None)


def date_formats(
    values: pd.Series, formats: tuple[str, ...] = (), missing: frozenset[str] = frozenset()
) -> dict[str, int]:
    """How many values of a date column were written in each form (``{"YYYY-MM-DD": 120, ...}``).

    Unreadable values count under ``"unreadable"``; empty values are left out.
    """
    present = values[~_blank(values, missing)].astype(object)
    if present.empty:
        return {}
    counts = present.value_counts(dropna=False)
    out: dict[str, int] = {}
    for value, n in counts.items():
        name = _date_and_format(value, tuple(formats))[1] or "unreadable"
        out[name] = out.get(name, 0) + int(n)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def parse_month(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of calendar months to the first day of the month.

    Accepts ``2016-03``, ``201603``, ``2016/03``, ``mars 2016``, ``2016 mar``, a full
    date (any :func:`parse_dates` format) and date objects.

    Returns
    -------
    (pandas.Series, pandas.Series)
        Month starts as ``datetime64[ns]`` and the mask of unreadable non-blank values
        (a month too far out to hold, such as 9907-01, counts as unreadable here; see
        :func:`parse_month_far`).
    """
    out, bad, far = _parse(values, _one_month)
    return out, bad | far


def parse_month_far(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_month` with the months too far out to hold as a third mask (see :func:`parse_dates_far`)."""
    return _parse(values, _one_month)


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Calendar months from ``start`` to ``end`` (31 Aug -> 28 Feb is 6.0), with day fractions.

    Whole months count as on a calendar (the day of month is clamped to the month's
    length); the days left over are divided by the mean month length, :data:`DAYS_PER_MONTH`.
    """
    s = pd.to_datetime(start)
    e = pd.to_datetime(end)
    whole = (e.dt.year - s.dt.year) * 12 + (e.dt.month - s.dt.month)
    anchor = _add_months(s, whole)
    over = anchor > e
    whole = whole.where(~over, whole - 1)
    anchor = _add_months(s, whole)
    return whole + (e - anchor).dt.days / DAYS_PER_MONTH


def _add_months(s: pd.Series, months: pd.Series) -> pd.Series:
    total = s.dt.year * 12 + (s.dt.month - 1) + months
    year, month0 = total // 12, total % 12
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month0 + 1, "day": 1}), errors="coerce")
    last_day = first.dt.days_in_month
    day = pd.concat([s.dt.day, last_day], axis=1).min(axis=1)
    return first + pd.to_timedelta(day - 1, unit="D")


def month_number(date: dt.date | pd.Timestamp) -> int:
    """The calendar month number ``year * 12 + month - 1`` of one date (consecutive months differ by 1)."""
    ts = pd.Timestamp(date)
    return int(ts.year * 12 + ts.month - 1)


def month_numbers(values, missing: int = -1) -> np.ndarray:
    """Calendar month numbers ``year * 12 + month - 1`` of dates; ``missing`` where NaT.

    A calendar conversion per element costs ~0.1 s per million values; a monthly
    panel's dates span a few thousand days at most, so large arrays are mapped
    through a day -> month table instead.
    """
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        arr = np.asarray(values).astype("datetime64[ns]", copy=False)
    else:
        arr = np.asarray(pd.to_datetime(values), dtype="datetime64[ns]")
    nat = np.isnat(arr)
    if len(arr) >= 100_000 and not nat.all():
        days = np.where(nat, 0, arr.view(np.int64) // 86_400_000_000_000)
        lo, hi = int(days[~nat].min()), int(days[~nat].max())
        if hi - lo < 200_000:
            table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
            return np.where(nat, missing, table[np.clip(days - lo, 0, hi - lo)])
    out = arr.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return np.where(nat, missing, out)


def month_starts(numbers) -> pd.DatetimeIndex:
    """Inverse of :func:`month_numbers`: the first day of each month number."""
    n = np.asarray(numbers, dtype=np.int64) - 1970 * 12
    return pd.DatetimeIndex(n.astype("datetime64[M]").astype("datetime64[ns]"))
