"""pandera schemas of the processed tables in ``data/processed/<project>/``, derived from the contract.

These are the only tables the analysis notebooks read. Validation is lazy so one
run reports every failure case. Extra columns (covariates and register outcomes
named in project.yml) are allowed beside the canonical ones, except in the
monthly panel.

Every column's type and checks come from its declaration in
:mod:`analysis.project.contract`: a ``code`` column is checked against its
domain's codes, a ``key`` against the pseudonym pattern (an isin or regex check
only a string can pass, so no per-value type check is needed on a register-sized
comparison group). A dictionary-encoded kind (the monthly panel: tens of millions
of rows, few distinct keys and labels) keeps its text columns categorical and
checks them once per category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from analysis.project.codes import DOMAINS
from analysis.project.contract import KINDS, ORDER, PERSON_KEY, Column, FileKind, columns_of

# A pseudonym: 20 lower-case hex characters (truncated HMAC-SHA-256) or, for projects
# that deliver already pseudonymised ids, "x" followed by the project's own id.
PSEUDONYM_REGEX = r"^([0-9a-f]{20}|x[A-Za-z0-9_.:-]{1,64})$"


def _per_category(s: pd.Series, ok_categories) -> pd.Series:
    """Row-wise result of a check computed once per category (a missing value fails)."""
    ok = np.append(np.asarray(ok_categories, dtype=bool), False)
    return pd.Series(ok[s.cat.codes.to_numpy()], index=s.index)


def _category_check(name: str, ok) -> pa.Check:
    return pa.Check(lambda s: _per_category(s, ok(s.cat.categories)), name=name)


def _bounds(c: Column) -> list[pa.Check]:
    out = []
    if c.ge is not None:
        out.append(pa.Check.ge(c.ge))
    if c.le is not None:
        out.append(pa.Check.le(c.le))
    return out


def _column(c: Column, kind: FileKind) -> pa.Column:
    col = _typed_column(c, kind)
    col.required = not c.optional
    return col


def _typed_column(c: Column, kind: FileKind) -> pa.Column:
    codes = DOMAINS[c.domain].codes if c.domain else ()
    if kind.dictionary_encoded and c.dtype == "code":
        check = _category_check(f"known_{c.domain}", lambda cats, codes=codes: cats.isin(codes))
        return pa.Column(pd.CategoricalDtype, checks=[check], nullable=c.nullable)
    if c.dtype == "code":
        return pa.Column(object, checks=[pa.Check.isin(codes)], nullable=c.nullable)
    if c.dtype in ("date", "month"):
        return pa.Column("datetime64[ns]", nullable=c.nullable)
    if c.dtype == "int":
        return pa.Column(pd.Int64Dtype(), checks=_bounds(c), nullable=c.nullable)
    if c.dtype == "float":
        return pa.Column(float, checks=_bounds(c), nullable=c.nullable)
    return pa.Column(str, nullable=c.nullable)


def _key_column(kind: FileKind) -> pa.Column:
    if kind.dictionary_encoded:
        check = _category_check("pseudonym_format", lambda cats: cats.astype(str).str.fullmatch(PSEUDONYM_REGEX))
        return pa.Column(pd.CategoricalDtype, checks=[check])
    return pa.Column(object, checks=[pa.Check.str_matches(PSEUDONYM_REGEX)], unique=kind.unique_key)


def _end_not_before_start(df: pd.DataFrame) -> pd.Series:
    return ~(df["end_date"] < df["start_date"])


def _one_row_per(columns: tuple[str, ...]):
    """A check that a dictionary-encoded panel has one row per person and ``columns`` (month, code)."""

    def check(df: pd.DataFrame) -> pd.Series:
        pair = df[PERSON_KEY].cat.codes.to_numpy().astype(np.int64)
        for c in columns:
            if c == "month":
                v = df[c].to_numpy().astype("datetime64[M]").astype(np.int64)
                v = v - (v.min() if len(v) else 0)
            else:
                v = df[c].cat.codes.to_numpy().astype(np.int64) + 1
            pair = pair * (int(v.max()) + 1 if len(v) else 1) + v
        if len(pair) < 2 or (np.diff(pair) > 0).all():  # sorted by person and month: unique without hashing
            return pd.Series(True, index=df.index)
        return ~pd.Series(pair, index=df.index).duplicated(keep=False)

    return check


def _unique_check(kind: FileKind) -> pa.Check:
    return pa.Check(_one_row_per(kind.unique_on), name="one_row_per_person_and_" + "_and_".join(kind.unique_on))


# Rules across columns of one table (the column rules come from the contract).
TABLE_CHECKS: dict[str, list[pa.Check]] = {
    "participants": [pa.Check(_end_not_before_start, name="end_not_before_start")],
    **{name: [_unique_check(k)] for name, k in KINDS.items() if k.unique_on},
}


def processed_columns(kind: str) -> list[str]:
    """The canonical columns of a kind's processed table, in order (the key first)."""
    return [KINDS[kind].key] + [c.name for c in columns_of(kind) if c.processed]


def build_schema(kind: str) -> pa.DataFrameSchema:
    """The pandera schema of one processed table, from the contract."""
    k = KINDS[kind]
    cols = {k.key: _key_column(k)}
    cols.update({c.name: _column(c, k) for c in columns_of(kind) if c.processed})
    return pa.DataFrameSchema(
        cols, checks=TABLE_CHECKS.get(kind, []), strict=k.strict, coerce=False, name=kind.capitalize()
    )


def _derived_schema(name: str, columns: list[str], key: bool) -> pa.DataFrameSchema:
    """A table derived from the participants file, with the participants' declarations of its columns."""
    k = KINDS["participants"]
    declared = {c.name: c for c in columns_of("participants")}
    cols = {k.key: pa.Column(object, checks=[pa.Check.str_matches(PSEUDONYM_REGEX)])} if key else {}
    for c in columns:
        cols[c] = _column(declared[c], k) if c in declared else pa.Column(int, checks=[pa.Check.ge(1)])
    return pa.DataFrameSchema(cols, strict=True, coerce=False, name=name)


DERIVED_TABLES: dict[str, tuple[list[str], bool]] = {
    # participants without an id (files.participants.anonymous: count): counted in the flow, never linked
    "anonymous": (["referral_date", "start_date", "end_date", "gender", "age_at_start", "exit_status"], False),
    # every kept enrolment of a person (files.participants.episodes: first, last or all)
    "episodes": (["episode", "start_date", "end_date", "exit_status"], True),
}
"""Processed tables that are not a file kind: name -> (columns, has the person key)."""

SCHEMAS: dict[str, pa.DataFrameSchema] = {kind: build_schema(kind) for kind in ORDER}
SCHEMAS.update({name: _derived_schema(name, cols, key) for name, (cols, key) in DERIVED_TABLES.items()})
