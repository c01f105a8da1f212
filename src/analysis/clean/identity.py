"""Personnummer: validation, derived facts, keyed pseudonyms and leak scanning.

A personnummer (or samordningsnummer, day + 60) is validated on its date and Luhn
check digit, then replaced by HMAC-SHA-256(key, 12-digit number) cut to 20 hex
characters. The key never lives in the repository: it comes from ``FOLJEVAL_KEY``,
from the file named by ``FOLJEVAL_KEY_FILE`` (outside the repository) or from
``~/.config/foljeval/key``. Only projects marked ``synthetic: true`` may fall back to
the public demo key, so a real project can never be pseudonymised with a key that
anyone can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.project.errors import KeyMissingError

PSEUDONYM_LENGTH = 20
DEMO_KEY = b"foljeval public demo key - synthetic example projects only"
DEFAULT_KEY_FILE = Path("~/.config/foljeval/key")
MIN_KEY_LENGTH = 32

_SHAPE = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
# In free text: 6 or 8 digits, optional -/+, 4 digits, not inside a longer word or number.
_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{2})?\d{6}[-+]?\d{4}(?![0-9A-Za-z])")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def luhn_ok(ten_digits: np.ndarray) -> np.ndarray:
    """Luhn check over rows of a (n, 10) digit array."""
    weights = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2, 1])
    prod = ten_digits * weights
    prod = np.where(prod > 9, prod - 9, prod)
    return prod.sum(axis=1) % 10 == 0


def parse_personnummer(ids: pd.Series, today: dt.date | None = None) -> pd.DataFrame:
    """Validate personnummer and samordningsnummer.

    Vectorised over the distinct values (a register file repeats each person's
    number once per month), so a million distinct numbers take about a second.

    Parameters
    ----------
    ids : pandas.Series
        Raw ids: 10 or 12 digits, with or without ``-`` or ``+``. Missing values are invalid.
    today : datetime.date, optional
        Reference date for the century of 10-digit numbers (default: today).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``ids`` with ``valid`` (bool), ``reason`` (why not valid),
        ``normalized`` (12 digits), ``birth_date``, ``gender`` (``female``/``male``)
        and ``coordination`` (samordningsnummer).
    """
    today = today or dt.date.today()
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    table = _parse_unique(pd.Series(uniques, dtype=object).astype(str), today)
    empty = pd.DataFrame(
        {
            "valid": [False],
            "reason": ["empty"],
            "normalized": [None],
            "birth_date": [pd.NaT],
            "gender": [None],
            "coordination": [False],
        }
    )
    table = pd.concat([table, empty], ignore_index=True)  # position -1 -> the empty row
    take = np.where(codes < 0, len(table) - 1, codes)
    out = table.iloc[take].set_axis(ids.index)
    out["valid"] = out["valid"].astype(bool)
    out["coordination"] = out["coordination"].astype(bool)
    out["birth_date"] = pd.to_datetime(out["birth_date"])
    return out


_SHAPE_NAMED = r"^(?P<century>\d{2})?(?P<date6>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$"


def _fixed_width_digits(arr, width: int) -> np.ndarray:
    """(n, width) digit matrix of a pyarrow string array whose values are all ``width`` ASCII digits."""
    import pyarrow as pa

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if len(arr) else np.zeros(0, np.uint8)
    return data[offsets[0] : offsets[-1]].reshape(-1, width).astype(np.int64) - 48


def _parse_unique(text: pd.Series, today: dt.date) -> pd.DataFrame:
    """Parse distinct raw ids (vectorised with pyarrow string kernels and numpy digit arithmetic)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(text)
    arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    compact = pc.replace_substring(pc.utf8_trim_whitespace(arr), " ", "")
    # SPSS and Excel deliver numbers as floats: "199001011234.0"
    compact = pc.if_else(
        pc.match_substring_regex(compact, r"^\d+\.0$"), pc.utf8_slice_codeunits(compact, 0, -2), compact
    )
    parts = pc.extract_regex(compact, _SHAPE_NAMED)
    shaped = parts.is_valid().to_numpy(zero_copy_only=False)
    reason = np.full(n, None, dtype=object)
    if (~shaped).any():
        letters = pc.match_substring_regex(compact, "[A-Za-z]").to_numpy(zero_copy_only=False)
        n_digits = pc.count_substring_regex(compact, r"\d").to_numpy(zero_copy_only=False)
        reason[~shaped] = [f"wrong length ({d} digits; expected 10 or 12)" for d in n_digits[~shaped]]
        reason[~shaped & letters] = "contains letters"
    out = pd.DataFrame(
        {
            "valid": np.zeros(n, bool),
            "reason": reason,
            "normalized": None,
            "birth_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
            "gender": None,
            "coordination": np.zeros(n, bool),
        }
    )
    idx = np.flatnonzero(shaped)
    if idx.size == 0:
        return out
    p = parts.filter(pa.array(shaped))
    ten = _fixed_width_digits(
        pc.binary_join_element_wise(pc.struct_field(p, "date6"), pc.struct_field(p, "tail"), ""), 10
    )
    century = pc.struct_field(p, "century")
    has_head = pc.not_equal(century, "").to_numpy(zero_copy_only=False)
    head = pc.cast(pc.if_else(pa.array(has_head), century, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    plus = pc.equal(pc.struct_field(p, "sep"), "+").to_numpy(zero_copy_only=False)
    yy = ten[:, 0] * 10 + ten[:, 1]
    month = ten[:, 2] * 10 + ten[:, 3]
    day = ten[:, 4] * 10 + ten[:, 5]
    coordination = day > 60
    real_day = np.where(coordination, day - 60, day)
    # 10 digits: the latest year ending in yy whose birthday is not after today; '+' = 100 years more.
    ty = today.year
    guess = ty - (ty - yy) % 100
    after_today = (guess > ty) | (
        (guess == ty) & ((month > today.month) | ((month == today.month) & (real_day > today.day)))
    )
    guess = np.where(after_today, guess - 100, guess)
    guess = np.where(plus, guess - 100, guess)
    year = np.where(has_head, head * 100 + yy, guess)
    # a calendar date: month 1..12 and day 1..days in that month (leap years included)
    ok_month = (month >= 1) & (month <= 12)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    days_in_month = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok_date = ok_month & (real_day >= 1) & (real_day <= days_in_month) & (year >= 1678)
    birth = np.where(ok_date, first.astype("datetime64[D]") + np.maximum(real_day - 1, 0), np.datetime64("NaT"))
    future = ok_date & (birth > np.datetime64(today))
    ok_luhn = luhn_ok(ten)
    valid = ok_date & ~future & ok_luhn
    why = np.where(
        ~ok_date,
        "not a valid date of birth",
        np.where(future, "date of birth in the future", np.where(~ok_luhn, "check digit does not match", None)),
    )
    out.loc[idx, "reason"] = why
    out.loc[idx, "valid"] = valid
    twelve = np.column_stack([year // 1000 % 10, year // 100 % 10, ten]).astype(np.uint8) + 48
    normalized = np.ascontiguousarray(twelve).view("S12").ravel().astype("U12").astype(object)
    out.loc[idx, "normalized"] = np.where(valid, normalized, None)
    out.loc[idx, "birth_date"] = pd.DatetimeIndex(np.where(valid, birth, np.datetime64("NaT")).astype("datetime64[ns]"))
    out.loc[idx, "gender"] = np.where(valid, np.where(ten[:, 8] % 2 == 0, "female", "male"), None)
    out.loc[idx, "coordination"] = valid & coordination
    return out


def pseudonymise(normalized: pd.Series, key: bytes) -> pd.Series:
    """Keyed pseudonyms: the first 20 hex characters of HMAC-SHA-256(key, number).

    The same person gets the same pseudonym in every file and project that shares a key,
    so participants can be linked to follow-ups and register data; without the key the
    pseudonym cannot be reversed by trying all ~10^7 possible numbers per birth date.
    """
    if not key:
        raise KeyMissingError("no pseudonymisation key")
    codes, uniq = pd.factorize(normalized.astype(str))
    mac = _hmac_sha256(key)
    keys = np.array([mac(u.encode("ascii")) for u in uniq], dtype=object)
    return pd.Series(keys[codes] if len(codes) else np.array([], dtype=object), index=normalized.index, dtype=object)


def _hmac_sha256(key: bytes):
    """HMAC-SHA-256 (RFC 2104) as a function of the message, cut to the pseudonym length.

    The same numbers as :func:`hmac.new`, about twice as fast on a million ids: the
    padded-key states are hashed once and copied for every message.
    """
    block = 64
    k = hashlib.sha256(key).digest() if len(key) > block else key
    k = k.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def mac(message: bytes) -> str:
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()[:PSEUDONYM_LENGTH]

    return mac


def pseudonymise_external_id(ids: pd.Series) -> pd.Series:
    """Ids that a register holder already pseudonymised: kept, prefixed with ``x``.

    Ids with other characters than letters, digits and ``_.:-``, or that look like a
    personnummer, are refused (NA) so a mislabelled file cannot leak one.
    """
    text = ids.astype(object).map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    )
    text = text.map(lambda v: v[:-2] if isinstance(v, str) and re.fullmatch(r"\d+\.0", v) else v)
    ok = text.map(lambda v: isinstance(v, str) and bool(_EXTERNAL_ID.match(v)))
    ok &= ~looks_like_personnummer(text.fillna(""))
    return ("x" + text.where(ok, "")).where(ok, pd.NA).astype(object)


def looks_like_personnummer(text: pd.Series) -> pd.Series:
    """True where a value contains something shaped like a personnummer (10/12 digits).

    Deliberately wide (no check-digit test): a mistyped personnummer is still personal data.
    """
    return text.astype(str).str.contains(_IN_TEXT, regex=True)


def find_personnummer_in_text(text: str, today: dt.date | None = None) -> list[str]:
    """Every valid personnummer or samordningsnummer in a text (date and check digit)."""
    hits = _IN_TEXT.findall(text)
    if not hits:
        return []
    parsed = parse_personnummer(pd.Series(hits), today=today)
    return [h for h, ok in zip(hits, parsed["valid"]) if ok]


def find_personnummer_shapes(text: str) -> list[str]:
    """Everything in a text shaped like a personnummer, valid or not (for report scans)."""
    return _IN_TEXT.findall(text)


def resolve_key(synthetic: bool, env: Mapping[str, str], repo_root: Path) -> tuple[bytes, str]:
    """Find the pseudonymisation key.

    Order: ``FOLJEVAL_KEY`` (at least 32 characters), the file in ``FOLJEVAL_KEY_FILE``,
    ``~/.config/foljeval/key``, and for synthetic projects only, the public demo key.

    Returns
    -------
    (bytes, str)
        The key and a description of where it came from (for the cleaning manifest).

    Raises
    ------
    KeyMissingError
        With the commands that set a key.
    """
    value = env.get("FOLJEVAL_KEY", "").strip()
    if value:
        if len(value) < MIN_KEY_LENGTH:
            raise KeyMissingError(
                f"FOLJEVAL_KEY is too short ({len(value)} characters; use at least {MIN_KEY_LENGTH}, "
                'e.g. python -c "import secrets; print(secrets.token_hex(32))")'
            )
        return value.encode("utf-8"), "FOLJEVAL_KEY"
    file_value = env.get("FOLJEVAL_KEY_FILE", "").strip()
    candidates = [(Path(file_value).expanduser(), "FOLJEVAL_KEY_FILE")] if file_value else []
    home = env.get("HOME")
    if home:
        candidates.append((Path(home) / ".config" / "foljeval" / "key", "~/.config/foljeval/key"))
    for path, label in candidates:
        if not path.is_file():
            if label == "FOLJEVAL_KEY_FILE":
                raise KeyMissingError(f"FOLJEVAL_KEY_FILE points to {path}, which is not a file")
            continue
        resolved = path.resolve()
        if resolved.is_relative_to(Path(repo_root).resolve()):
            raise KeyMissingError(
                f"the key file {path} is inside the repository; move it outside so it is never committed"
            )
        key = resolved.read_text(encoding="utf-8").strip()
        if len(key) < MIN_KEY_LENGTH:
            raise KeyMissingError(f"the key in {path} is too short (use at least {MIN_KEY_LENGTH} characters)")
        return key.encode("utf-8"), label
    if synthetic:
        return DEMO_KEY, "public demo key (synthetic project)"
    raise KeyMissingError(
        "no pseudonymisation key: this project has real personnummer (synthetic: false), so it needs a secret key. "
        'Set one with\n  export FOLJEVAL_KEY=$(python -c "import secrets; print(secrets.token_hex(32))")\n'
        "or put it in a file outside the repository and set FOLJEVAL_KEY_FILE to its path "
        "(or use ~/.config/foljeval/key). Keep the key: the same key gives the same pseudonyms next time."
    )


def restore_excel_zero(ids: pd.Series, today: dt.date | None = None) -> tuple[pd.Series, pd.Series]:
    """Put back the leading zero Excel drops when a personnummer is stored as a number.

    A person born 2000-2009 has a 10-digit number starting with 0 (``0103091234``);
    as an Excel number it becomes 9 digits (103091234), and a 12-digit number that
    Excel shortened the same way has 11. Only a *numeric* cell (int or float, as
    Excel and SPSS deliver them) with 9 or 11 digits is padded, and only when the
    padded number passes the date and check-digit tests; a text cell missing its
    zero is a typing error and stays invalid.

    Returns
    -------
    (pandas.Series, pandas.Series)
        The ids with the restored ones as text, and the mask of restored cells.
    """
    restored = pd.Series(False, index=ids.index)
    if ids.dtype != object or isinstance(ids.dtype, pd.CategoricalDtype):
        return ids, restored  # text files deliver text: nothing to restore
    kinds = ids.map(type)  # one C-level pass; the check below runs once per distinct type
    numeric_types = {
        t for t in pd.unique(kinds) if issubclass(t, (int, float, np.integer, np.floating)) and t is not bool
    }
    numeric = kinds.isin(numeric_types)
    if not numeric.any():
        return ids, restored
    cand = ids[numeric].map(lambda v: f"{int(v)}" if float(v).is_integer() and v >= 0 else "")
    cand = cand[cand.str.len().isin([9, 11])]
    if cand.empty:
        return ids, restored
    padded = "0" + cand
    ok = parse_personnummer(padded, today=today)["valid"].to_numpy(bool)
    out = ids.astype(object).copy()
    out.loc[padded.index[ok]] = padded[ok].to_numpy()
    restored.loc[padded.index[ok]] = True
    return out, restored
