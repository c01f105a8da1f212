"""Per-value parsing of raw columns: blanks, category labels and numbers, computed once per distinct value."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.clean import labels
from analysis.project.codes import DOMAINS


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


EMPTY_TEXT = frozenset({"", "nan", "NaN", "None", "NaT"})
# Words exports write for "no value" (an end date "pågår": still enrolled); project.yml may add more.
MISSING_WORDS = frozenset({"-", "–", "—", "pågår", "pågående", "ej avslutad", "ej avslutat"})


@_per_value
def _blank(values: pd.Series, missing: frozenset[str] = frozenset()) -> pd.Series:
    """Empty cells, and cells holding one of the ``missing`` words (case ignored)."""
    text = values.astype(str).str.strip()
    out = values.isna() | text.isin(EMPTY_TEXT)
    if missing:
        out |= text.str.lower().isin({m.lower() for m in missing})
    return out


_COMBINED = re.compile(r"\s*(?:\+|&|/|,|\boch\b)\s*", re.IGNORECASE)


def _code_of(label: str, mapping: dict[str, str], domain: str) -> tuple[str | None, bool]:
    """(code, combined) of one label; a combined label of a multi domain takes its first code in domain order."""
    n = labels.normalise(label)
    if n in mapping:
        return mapping[n], False
    dom = DOMAINS[domain]
    if not dom.multi:
        return None, False
    parts = [p for p in _COMBINED.split(n) if p]
    codes = [mapping.get(labels.normalise(p)) for p in parts]
    if len(parts) < 2 or any(c is None for c in codes):
        return None, False
    return min(codes, key=lambda c: dom.codes.index(c) if c in dom.codes else len(dom.codes)), True


def _project_map(domain: str, project_map: dict[str, str | list[str]]) -> dict[str, str]:
    dom = DOMAINS[domain]
    out = {}
    for k, v in project_map.items():
        codes = v if isinstance(v, list) else [v]
        out[labels.normalise(k)] = min(codes, key=lambda c: dom.codes.index(c) if c in dom.codes else len(dom.codes))
    return out


@_per_value
def _categories(
    values: pd.Series,
    domain: str,
    project_map: dict[str, str | list[str]],
    missing: frozenset[str] = frozenset(),
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Map labels to canonical codes.

    Returns (codes with NA for blanks, unknown mask, combined mask). A label mapped to several
    codes ("Lön + ekonomiskt bistånd": the parts of a multi domain, or a list in project.yml)
    takes the first of them in the domain's order (public support before wage).
    """
    mapping = labels.value_map(domain)
    mapping.update(_project_map(domain, project_map))
    text = values.astype(object).where(~_blank(values, missing), None)
    # Numeric codes from SPSS without labels arrive as 1.0; show them as "1".
    text = text.map(
        lambda v: (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) if v is not None else None
    )
    uniq = pd.unique(text.dropna())
    listed = {labels.normalise(k) for k, v in project_map.items() if isinstance(v, list) and len(v) > 1}
    lookup = {u: _code_of(u, mapping, domain) for u in uniq}
    codes = text.map({u: c for u, (c, _) in lookup.items()})
    flag = {u: bool(comb or labels.normalise(u) in listed) for u, (_, comb) in lookup.items()}
    combined = text.map(flag).eq(True)
    unknown = text.notna() & codes.isna()
    return codes.astype(object), unknown, combined


def _code_lists(labels_: list[str], domain: str, project_map: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """Every code each label names, in the domain's order (labels that name none are left out).

    :func:`_categories` keeps the first code of a combined label ("Lön + ekonomiskt bistånd", or a
    list in project.yml); a register of payments needs all of them, one row each.
    """
    dom = DOMAINS[domain]

    def order(c: str) -> int:
        return dom.codes.index(c) if c in dom.codes else len(dom.codes)

    mapping = {k: [v] for k, v in labels.value_map(domain).items()}
    for k, v in project_map.items():
        mapping[labels.normalise(k)] = sorted(set(v if isinstance(v, list) else [v]), key=order)
    out: dict[str, list[str]] = {}
    for u in labels_:
        n = labels.normalise(u)
        if n in mapping:
            out[u] = mapping[n]
            continue
        parts = [mapping.get(labels.normalise(p)) for p in _COMBINED.split(n) if p] if dom.multi else []
        if len(parts) >= 2 and all(parts):
            out[u] = sorted({c for codes in parts if codes for c in codes}, key=order)
    return out


_KRONOR = re.compile(r"(?i)(sek|kr\.?|kronor|:-)\s*$")


@_per_value
def _amounts(values: pd.Series, missing: frozenset[str] = frozenset()) -> tuple[pd.Series, pd.Series]:
    """Kronor as Swedish exports write them: ``12 345``, ``12\u00a0345,50``, ``1.234,50``, ``500 kr``, ``500:-``.

    Returns (float amounts, bad mask); an empty cell is a missing amount, not 0.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    blank = _blank(values, missing)

    def one(v: object) -> float | None:
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return float(v)
        t = _KRONOR.sub("", str(v).strip())
        t = t.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("\u2212", "-")
        if "," in t and "." in t:
            t = t.replace(".", "")  # 1.234,50: dots group thousands
        t = t.replace(",", ".")
        try:
            return float(t)
        except ValueError:
            return None

    uniq = pd.unique(values[~blank].astype(object))
    lookup = {u: one(u) for u in uniq}
    num = values.astype(object).map(lambda v: lookup.get(v)).where(~blank, None)
    out = pd.to_numeric(num, errors="coerce").astype(float)
    return out, ~blank & out.isna()


@_per_value
def _numbers(values: pd.Series, missing: frozenset[str] = frozenset()) -> tuple[pd.Series, pd.Series]:
    """Numbers with decimal comma and spaces as thousands separators. Returns (float, bad mask)."""
    if pd.api.types.is_numeric_dtype(values):
        num = values.astype(float)
        return num, pd.Series(False, index=values.index)
    text = values.astype(object).where(~_blank(values, missing), None)
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
