"""pandera schemas of the processed tables in ``data/processed/<project>/``.

These are the only tables the analysis notebooks read. Validation is lazy so one
run reports every failure case. Extra columns (covariates and register outcomes
named in project.yml) are allowed and must be numeric.

Processed tables
----------------
participants.parquet   one row per kept enrolment (``person_key`` unique)
comparison.parquet     one row per comparison person
followups.parquet      one row per follow-up contact
status_monthly.parquet one row per person and month
income_monthly.parquet one row per person, month and income source
survey.parquet         one row per respondent, wave and item
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from analysis.project.codes import (
    EDUCATION,
    EXIT_STATUS,
    GENDER,
    INCOME,
    ORIGIN,
    PANEL_STATUS,
    REFERRED_BY,
    SURVEY_WAVES,
)

# A pseudonym: 20 lower-case hex characters (truncated HMAC-SHA-256) or, for projects
# that deliver already pseudonymised ids, "x" followed by the project's own id.
PSEUDONYM_REGEX = r"^([0-9a-f]{20}|x[A-Za-z0-9_.:-]{1,64})$"


class _Base(pa.DataFrameModel):
    class Config:
        strict = False  # covariate/outcome columns are allowed beside the canonical ones
        coerce = False


class Participants(_Base):
    person_key: Series[str] = pa.Field(str_matches=PSEUDONYM_REGEX, unique=True)
    referral_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    start_date: Series[pd.Timestamp] = pa.Field(nullable=True)  # empty: referred, never enrolled
    end_date: Series[pd.Timestamp] = pa.Field(nullable=True)  # empty: still enrolled
    referred_by: Series[str] = pa.Field(isin=REFERRED_BY, nullable=True)
    gender: Series[str] = pa.Field(isin=GENDER, nullable=True)
    birth_year: Series[pd.Int64Dtype] = pa.Field(ge=1900, le=2030, nullable=True)
    age_at_start: Series[pd.Int64Dtype] = pa.Field(ge=0, le=120, nullable=True)
    origin: Series[str] = pa.Field(isin=ORIGIN, nullable=True)
    education: Series[str] = pa.Field(isin=EDUCATION, nullable=True)
    support_before_months: Series[float] = pa.Field(ge=0, nullable=True)
    income_at_start: Series[str] = pa.Field(isin=INCOME, nullable=True)
    income_at_exit: Series[str] = pa.Field(isin=INCOME, nullable=True)
    track: Series[str] = pa.Field(nullable=True)
    action_plan_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    exit_status: Series[str] = pa.Field(isin=EXIT_STATUS, nullable=True)

    @pa.dataframe_check
    def end_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["end_date"] < df["start_date"])


class Comparison(_Base):
    # A register comparison group has a million rows: each text column is checked by its isin or
    # regex check (which only a string can pass) instead of a per-value type check as well.
    person_key: Series[object] = pa.Field(str_matches=PSEUDONYM_REGEX, unique=True)
    reference_date: Series[pd.Timestamp]
    referred_by: Series[object] = pa.Field(isin=REFERRED_BY, nullable=True)
    gender: Series[object] = pa.Field(isin=GENDER, nullable=True)
    birth_year: Series[pd.Int64Dtype] = pa.Field(ge=1900, le=2030, nullable=True)
    age_at_start: Series[pd.Int64Dtype] = pa.Field(ge=0, le=120, nullable=True)  # age at reference_date
    origin: Series[object] = pa.Field(isin=ORIGIN, nullable=True)
    education: Series[object] = pa.Field(isin=EDUCATION, nullable=True)
    support_before_months: Series[float] = pa.Field(ge=0, nullable=True)
    income_at_start: Series[object] = pa.Field(isin=INCOME, nullable=True)
    exit_status: Series[object] = pa.Field(isin=EXIT_STATUS, nullable=True)


class Followups(_Base):
    person_key: Series[str] = pa.Field(str_matches=PSEUDONYM_REGEX)
    followup_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    months_after_exit: Series[float] = pa.Field(ge=0, nullable=True)
    status: Series[str] = pa.Field(isin=EXIT_STATUS, nullable=True)
    income_source: Series[str] = pa.Field(isin=INCOME, nullable=True)


def _per_category(s: pd.Series, ok_categories) -> pd.Series:
    """Row-wise result of a check computed once per category (a missing value fails)."""
    ok = np.append(np.asarray(ok_categories, dtype=bool), False)
    return pd.Series(ok[s.cat.codes.to_numpy()], index=s.index)


class StatusMonthly(_Base):
    # Categorical (dictionary-encoded in parquet): a register panel has tens of millions of
    # rows but few distinct keys and labels, so the checks run on the categories and are
    # expanded by the codes (a failing row is still reported as a row).
    person_key: Series[pd.CategoricalDtype]
    month: Series[pd.Timestamp]  # first day of the month
    status: Series[pd.CategoricalDtype]

    class Config:
        strict = True

    @pa.check("person_key", name="pseudonym_format")
    def _pseudonym_format(cls, s: pd.Series) -> pd.Series:
        return _per_category(s, s.cat.categories.astype(str).str.fullmatch(PSEUDONYM_REGEX))

    @pa.check("status", name="known_panel_status")
    def _known_status(cls, s: pd.Series) -> pd.Series:
        return _per_category(s, s.cat.categories.isin(PANEL_STATUS))

    @pa.dataframe_check(name="one_row_per_person_and_month")
    def _unique_person_month(cls, df: pd.DataFrame) -> pd.Series:
        month = df["month"].to_numpy().astype("datetime64[M]").astype(np.int64)
        span = int(month.max() - month.min() + 1) if len(month) else 1
        pair = df["person_key"].cat.codes.to_numpy().astype(np.int64) * span + (
            month - (month.min() if len(month) else 0)
        )
        if len(pair) < 2 or (np.diff(pair) > 0).all():  # sorted by person and month: unique without hashing
            return pd.Series(True, index=df.index)
        return ~pd.Series(pair, index=df.index).duplicated(keep=False)


class IncomeMonthly(_Base):
    """Monthly income sources from registers (e.g. ekonomiskt bistånd, Försäkringskassan's payments):
    a person may have several sources in one month, one row each."""

    person_key: Series[pd.CategoricalDtype]
    month: Series[pd.Timestamp]
    income_source: Series[pd.CategoricalDtype]

    class Config:
        strict = True

    @pa.check("person_key", name="pseudonym_format")
    def _pseudonym_format(cls, s: pd.Series) -> pd.Series:
        return _per_category(s, s.cat.categories.astype(str).str.fullmatch(PSEUDONYM_REGEX))

    @pa.check("income_source", name="known_income_source")
    def _known_source(cls, s: pd.Series) -> pd.Series:
        return _per_category(s, s.cat.categories.isin(INCOME))

    @pa.dataframe_check(name="one_row_per_person_month_and_source")
    def _unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["person_key", "month", "income_source"], keep=False)


class Survey(_Base):
    respondent_key: Series[str] = pa.Field(str_matches=PSEUDONYM_REGEX)
    wave: Series[str] = pa.Field(isin=SURVEY_WAVES)
    item: Series[str]
    response: Series[float] = pa.Field(ge=1, nullable=True)  # 1..len(scale); free text never here


SCHEMAS: dict[str, type[_Base]] = {
    "participants": Participants,
    "comparison": Comparison,
    "followups": Followups,
    "status_monthly": StatusMonthly,
    "income_monthly": IncomeMonthly,
    "survey": Survey,
}
