"""Per-value parsing of raw columns: blanks, category labels and numbers, computed once per distinct value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import labels


def _per_value(fn):
    """Compute ``fn`` once per distinct value of a categorical column and expand by its codes.

    Large CSV files arrive dictionary-encoded (see readers.LARGE_CSV_BYTES): a 36-million-row
    panel has a few hundred thousand ids, 36 months and 7 labels, so every rule runs on the
    distinct values and string results stay categorical instead of becoming millions of objects.
    """

    def wrapper(values: pd.Series, *args, **kwargs):
        if not isinstance(values.dtype, pd.CategoricalDtype):
            return fn(values, *args, **kwargs)
        distinct = pd.Series(list(values.cat.categories) + [None], dtype=object)
        codes = values.cat.codes.to_numpy()
        take = np.where(codes < 0, len(distinct) - 1, codes)
        return _expand(fn(distinct, *args, **kwargs), take, values.index)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _expand(result, take: np.ndarray, index: pd.Index):
    if isinstance(result, tuple):
        return tuple(_expand(r, take, index) for r in result)
    if isinstance(result, pd.DataFrame):
        return pd.DataFrame({c: _expand(result[c], take, index) for c in result.columns}, index=index)
    if result.dtype == object:
        codes, uniques = pd.factorize(result, use_na_sentinel=True)
        return pd.Series(pd.Categorical.from_codes(codes[take], categories=uniques), index=index)
    return pd.Series(result.array.take(take), index=index)


@_per_value
def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().isin(["", "nan", "NaN", "None", "NaT"])


@_per_value
def _categories(values: pd.Series, domain: str, project_map: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map labels to canonical codes. Returns (codes with NA for blanks, unknown mask)."""
    mapping = labels.value_map(domain)
    mapping.update({labels.normalise(k): v for k, v in project_map.items()})
    text = values.astype(object).where(~_blank(values), None)
    # Numeric codes from SPSS without labels arrive as 1.0; show them as "1".
    text = text.map(
        lambda v: (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) if v is not None else None
    )
    uniq = pd.unique(text.dropna())
    lookup = {u: mapping.get(labels.normalise(u)) for u in uniq}
    codes = text.map(lambda v: lookup.get(v) if v is not None else None)
    unknown = text.notna() & codes.isna()
    return codes.astype(object), unknown


@_per_value
def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers with decimal comma and spaces as thousands separators. Returns (float, bad mask)."""
    if pd.api.types.is_numeric_dtype(values):
        num = values.astype(float)
        return num, pd.Series(False, index=values.index)
    text = values.astype(object).where(~_blank(values), None)
    cleaned = (
        text.astype(str)
        .str.replace("\u00a0", "", regex=False)
        .str.replace(" ", "", regex=False)
        .str.replace(",", ".", regex=False)
        .str.replace("\u2212", "-", regex=False)
    )
    num = pd.to_numeric(cleaned.where(text.notna(), None), errors="coerce")
    bad = text.notna() & num.isna()
    return num.astype(float), bad


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``(codes, distinct values)`` with ``values == distinct[codes]``; a missing value is the last entry (None)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(list(uniques) + [None], dtype=object)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64), distinct
