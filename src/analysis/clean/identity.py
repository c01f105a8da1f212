"""Personnummer: validation, derived facts, keyed pseudonyms, the key, and masking in text.

A personnummer (or samordningsnummer, day + 60) is validated on its date and Luhn
check digit, then replaced by HMAC-SHA-256(key, 12-digit number) cut to 20 hex
characters. The key never lives in the repository: it comes from ``FOLJEVAL_KEY``,
from the file named by ``FOLJEVAL_KEY_FILE`` (outside the repository) or from
``~/.config/foljeval/key``. Only projects marked ``synthetic: true`` may fall back to
the public demo key, so a real project can never be pseudonymised with a key that
anyone can read. ``foljeval key init`` creates the key file (:func:`create_key_file`).

Text is masked by one function, :func:`mask_personnummer`, which every text leaving
the cleaning step passes (rejected.csv, the manifest, ``foljeval check``, the runner's
messages and error pages) and whose finder the publication scan uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.project.errors import FoljevalError, KeyMissingError

# "no value" for np.where: an object-dtype None, as a bare None gives (and typed for numpy's stubs)
NO_TEXT = np.array(None, dtype=object)

PSEUDONYM_LENGTH = 20
DEMO_KEY = b"foljeval public demo key - synthetic example projects only"
DEFAULT_KEY_FILE = Path("~/.config/foljeval/key")
MIN_KEY_LENGTH = 32

_SHAPE = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
# In free text: 6 or 8 digits, optional -/+, 4 digits, not inside a longer word or number.
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

    Example
    -------
    >>> import datetime as dt
    >>> ids = pd.Series(["12345", "okänd", None])  # no real number in a docstring: the refusals
    >>> parse_personnummer(ids, today=dt.date(2026, 12, 1))[["valid", "reason"]]
       valid                                      reason
    0  False  wrong length (5 digits; expected 10 or 12)
    1  False                            contains letters
    2  False                                       empty
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
    compact = _compact_ids(text)
    parts = pc.extract_regex(compact, _SHAPE_NAMED)
    shaped = parts.is_valid().to_numpy(zero_copy_only=False)
    out = pd.DataFrame(
        {
            "valid": np.zeros(n, bool),
            "reason": _shape_reasons(compact, shaped),
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
    year, month, real_day, coordination = _birth_year_month_day(p, ten, today)
    birth, valid, why = _check_birth(ten, year, month, real_day, today)
    out.loc[idx, "reason"] = why
    out.loc[idx, "valid"] = valid
    twelve = np.column_stack([year // 1000 % 10, year // 100 % 10, ten]).astype(np.uint8) + 48
    normalized = np.ascontiguousarray(twelve).view("S12").ravel().astype("U12").astype(object)
    out.loc[idx, "normalized"] = np.where(valid, normalized, NO_TEXT)
    out.loc[idx, "birth_date"] = pd.DatetimeIndex(np.where(valid, birth, np.datetime64("NaT")).astype("datetime64[ns]"))
    # Object scalars, so that a million rows share two strings (a text array would become a million of them).
    gender = np.where(ten[:, 8] % 2 == 0, np.array("female", dtype=object), np.array("male", dtype=object))
    out.loc[idx, "gender"] = np.where(valid, gender, NO_TEXT)
    out.loc[idx, "coordination"] = valid & coordination
    return out


def _compact_ids(text: pd.Series):
    """The ids as a pyarrow string array without surrounding or inner spaces and without a float's ``.0``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    compact = pc.replace_substring(pc.utf8_trim_whitespace(arr), " ", "")
    # SPSS and Excel deliver numbers as floats: "199001011234.0"
    return pc.if_else(pc.match_substring_regex(compact, r"^\d+\.0$"), pc.utf8_slice_codeunits(compact, 0, -2), compact)


def _shape_reasons(compact, shaped: np.ndarray) -> np.ndarray:
    """Why each id not shaped like a personnummer is refused (letters, or the number of digits); else None."""
    import pyarrow.compute as pc

    reason = np.full(len(shaped), None, dtype=object)
    if (~shaped).any():
        letters = pc.match_substring_regex(compact, "[A-Za-z]").to_numpy(zero_copy_only=False)
        n_digits = pc.count_substring_regex(compact, r"\d").to_numpy(zero_copy_only=False)
        reason[~shaped] = [f"wrong length ({d} digits; expected 10 or 12)" for d in n_digits[~shaped]]
        reason[~shaped & letters] = "contains letters"
    return reason


def _birth_year_month_day(p, ten: np.ndarray, today: dt.date) -> tuple[np.ndarray, ...]:
    """Birth year (century from the 12-digit form, else guessed), month, day and the coordination-number flag."""
    import pyarrow as pa
    import pyarrow.compute as pc

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
    return year, month, real_day, coordination


def _check_birth(
    ten: np.ndarray, year: np.ndarray, month: np.ndarray, real_day: np.ndarray, today: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The birth date, whether the id is valid (a past calendar date and the check digit) and why not."""
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
        np.where(future, "date of birth in the future", np.where(~ok_luhn, "check digit does not match", NO_TEXT)),
    )
    return birth, valid, why


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
    """True where a value holds something shaped like a personnummer (10/12 digits), valid or not.

    Deliberately wide (no date or check-digit test): used to refuse ids, where a mistyped
    personnummer is still personal data. Neighbouring letters do not hide a number; hexadecimal
    tokens (pseudonyms, SHA-256 values, commit ids) are not numbers. Masking text uses the
    confirmed finder, :func:`mask_personnummer`.
    """
    distinct = pd.Series(pd.unique(text.astype(str)), dtype=object)
    shaped = {v: bool(_candidates(v)) for v in distinct}
    return text.astype(str).map(shaped).astype(bool)


def find_personnummer_in_text(text: str, today: dt.date | None = None) -> list[str]:
    """Every personnummer or samordningsnummer in a text, as written there (see :func:`personnummer_spans`).

    Example
    -------
    A made-up number, put together here so that no personnummer stands in the source:

    >>> pnr = "19740625" + "6474"
    >>> found = find_personnummer_in_text(f"Soc (handl. för {pnr}) and {pnr[:8]}-{pnr[8:]}s")
    >>> found == [pnr, f"{pnr[:8]}-{pnr[8:]}"]
    True
    """
    return [text[a:b] for a, b in personnummer_spans(text, today)]


MASK = "[personnummer]"

# 6 or 8 digits, optional - or +, 4 digits; not part of a longer run of digits. Letters may touch it.
_CANDIDATE = re.compile(r"(?<!\d)(?:\d{8}|\d{6})[-+]?\d{4}(?!\d)")
_HEX_WORD_MIN = 20  # the shortest digest: pseudonyms have 20 hex characters, git commits 40, SHA-256 64
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _word_around(text: str, start: int, end: int) -> str:
    """The run of letters and digits (any script) that contains ``text[start:end]``."""
    a, b = start, end
    while a > 0 and text[a - 1].isalnum():
        a -= 1
    while b < len(text) and text[b].isalnum():
        b += 1
    return text[a:b]


def _in_hex_token(text: str, start: int, end: int) -> bool:
    """Whether a digit run is part of a hexadecimal token rather than a number of its own.

    A hexadecimal token is a whole word of one-case hex digits, at least 20 long, with a
    letter (a pseudonym, a SHA-256 value, a commit id), or a UUID. A personnummer glued to
    ordinary letters (``19740625-6474s``, ``för197406256474``) is not one.
    """
    word = _word_around(text, start, end)
    if word != text[start:end] and len(word) >= _HEX_WORD_MIN:
        if re.fullmatch(r"[0-9a-f]+", word) or re.fullmatch(r"[0-9A-F]+", word):
            return True
    # a UUID (8-4-4-4-12 hex digits) may hold "12345678-1234" between its dashes
    return any(m.start() <= start and end <= m.end() for m in _UUID.finditer(text, max(0, start - 36), end + 36))


def _candidates(text: str) -> list[tuple[int, int]]:
    """Spans shaped like a personnummer (10/12 digits, optional separator), hex tokens left out."""
    if not isinstance(text, str) or len(text) < 10:
        return []
    return [m.span() for m in _CANDIDATE.finditer(text) if not _in_hex_token(text, *m.span())]


def personnummer_spans(text: str, today: dt.date | None = None) -> list[tuple[int, int]]:
    """Where a text holds a personnummer or samordningsnummer: (start, end) of each.

    A candidate is 10 or 12 digits with or without ``-``/``+`` before the last four, not part
    of a longer number, whatever letters stand next to it, and not inside a hexadecimal token.
    It counts when its date (day + 60 for a samordningsnummer) and Luhn check digit are
    valid; a 12-digit candidate also counts when its last 10 digits do (a mistyped century).
    Phone numbers, amounts, dates and numbers with a wrong check digit are left alone.
    """
    return _confirmed([text], today)[0]


def _confirmed(texts: list[str], today: dt.date | None = None) -> list[list[tuple[int, int]]]:
    """The spans of :func:`personnummer_spans` for many texts, with one vectorised validation."""
    spans = [_candidates(t) for t in texts]
    forms: list[str] = []
    for text, found in zip(texts, spans):
        for a, b in found:
            raw = text[a:b]
            forms.append(raw)
            forms.append(raw[2:] if len(raw.replace("-", "").replace("+", "")) == 12 else raw)
    if not forms:
        return spans
    valid = iter(parse_personnummer(pd.Series(forms, dtype=object), today=today)["valid"].to_numpy(bool))
    return [[span for span in found if next(valid) | next(valid)] for found in spans]


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for a, b in reversed(spans):
        text = text[:a] + MASK + text[b:]
    return text


def mask_personnummer(text: object, today: dt.date | None = None) -> str:
    """The text with every personnummer and samordningsnummer replaced by ``[personnummer]``.

    The one masking function: every text that leaves the cleaning step (rejected.csv,
    the manifest, ``foljeval check``, reports, error pages, the runner's messages) passes
    it. Finding rules: :func:`personnummer_spans`.

    Parameters
    ----------
    text : str
        Any text (other objects are turned into text first; None gives "").
    today : datetime.date, optional
        Reference date for the century of 10-digit numbers (default: today).

    Example
    -------
    >>> pnr = "19740625" + "6474"  # made up, put together so that no personnummer stands in the source
    >>> mask_personnummer(f"unknown label 'Soc (handl. för {pnr})'")
    "unknown label 'Soc (handl. för [personnummer])'"
    >>> mask_personnummer("pseudonym 3f1974062564741c0a2b, phone 0701234567")
    'pseudonym 3f1974062564741c0a2b, phone 0701234567'
    """
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    return _replace_spans(text, personnummer_spans(text, today))


def mask_personnummer_series(values: pd.Series) -> pd.Series:
    """:func:`mask_personnummer` over a column, computed once per distinct value."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    distinct = [v for v in pd.unique(text) if _candidates(v)]
    masked = {v: _replace_spans(v, spans) for v, spans in zip(distinct, _confirmed(distinct)) if spans}
    return text.map(lambda v: masked.get(v, v)) if masked else text


def default_key_file(env: Mapping[str, str]) -> Path | None:
    """``~/.config/foljeval/key`` (``HOME``, or ``USERPROFILE`` on Windows); None without either."""
    home = env.get("HOME") or env.get("USERPROFILE")
    return Path(home) / ".config" / "foljeval" / "key" if home else None


def key_file_problem(path: Path) -> str | None:
    """Why a key file may not be used (readable by other users on POSIX), or None.

    Windows keeps a user's files private by their ACLs; mode bits say nothing there.
    """
    if os.name != "posix":
        return None
    mode = path.stat().st_mode
    if mode & 0o077:
        return (
            f"the key file {path} can be read by other users (mode {stat.filemode(mode)}); "
            f"make it private with\n  chmod 600 {path}"
        )
    return None


def create_key_file(path: Path, repo_root: Path) -> Path:
    """Write a new random key (64 hex characters) to ``path``, readable by its owner only.

    The folder is created (mode 700 on POSIX) and an existing file is never replaced:
    a new key would give every person new pseudonyms.

    Raises
    ------
    FoljevalError
        The file exists already, or it would be inside the repository.

    Example
    -------
    >>> create_key_file(Path("~/.config/foljeval/key").expanduser(), repo_root)  # doctest: +SKIP
    """
    import secrets

    path = Path(path).expanduser()
    if path.resolve().is_relative_to(Path(repo_root).resolve()):
        raise FoljevalError(
            f"{path} is inside the repository; a key file must live outside it so it is never committed"
        )
    if path.exists():
        raise FoljevalError(
            f"{path} exists already; it is kept (a new key would give every person new pseudonyms). "
            "Delete it yourself only if you are sure no delivery was pseudonymised with it."
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    if os.name == "posix":
        os.chmod(path, 0o600)  # whatever the umask said
    return path


KEY_FINGERPRINT_LABEL = b"foljeval key fingerprint v1"


def key_fingerprint(key: bytes) -> str:
    """A short public fingerprint of the key: HMAC-SHA-256 of a fixed label under it, first 16 hex digits.

    Recorded per delivery (``reports/<project>/deliveries.json``) so that a delivery cleaned with
    another key is noticed; the key cannot be recovered from it.

    >>> key_fingerprint(DEMO_KEY) == key_fingerprint(DEMO_KEY) != key_fingerprint(b"another key " * 3)
    True
    >>> len(key_fingerprint(DEMO_KEY))
    16
    """
    import hmac

    return hmac.new(key, KEY_FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def resolve_key(synthetic: bool, env: Mapping[str, str], repo_root: Path) -> tuple[bytes, str]:
    """Find the pseudonymisation key.

    Order: ``FOLJEVAL_KEY`` (at least 32 characters), the file in ``FOLJEVAL_KEY_FILE``,
    ``~/.config/foljeval/key``, and for synthetic projects only, the public demo key.
    A key file inside the repository, or readable by other users (POSIX), is refused.

    Returns
    -------
    (bytes, str)
        The key and a description of where it came from (for the cleaning manifest).

    Raises
    ------
    KeyMissingError
        With the command that creates a key (``foljeval key init``).
    """
    value = env.get("FOLJEVAL_KEY", "").strip()
    if value:
        if len(value) < MIN_KEY_LENGTH:
            raise KeyMissingError(
                f"FOLJEVAL_KEY is too short ({len(value)} characters; use at least {MIN_KEY_LENGTH}); "
                "`foljeval key init` writes a long random key to a file instead"
            )
        return value.encode("utf-8"), "FOLJEVAL_KEY"
    file_value = env.get("FOLJEVAL_KEY_FILE", "").strip()
    candidates = [(Path(file_value).expanduser(), "FOLJEVAL_KEY_FILE")] if file_value else []
    default = default_key_file(env)
    if default is not None:
        candidates.append((default, "~/.config/foljeval/key"))
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
        problem = key_file_problem(resolved)
        if problem:
            raise KeyMissingError(problem)
        key = resolved.read_text(encoding="utf-8").strip()
        if len(key) < MIN_KEY_LENGTH:
            raise KeyMissingError(f"the key in {path} is too short (use at least {MIN_KEY_LENGTH} characters)")
        return key.encode("utf-8"), label
    if synthetic:
        return DEMO_KEY, "public demo key (synthetic project)"
    raise KeyMissingError(
        "no pseudonymisation key: this project has real personnummer (synthetic: false), so it needs a secret key. "
        "Create one once with\n  foljeval key init\n"
        "(it writes ~/.config/foljeval/key, readable by you only) and back that file up: every delivery of the "
        "project must be cleaned with the same key, or the same person gets a different pseudonym. "
        "A key kept elsewhere: set FOLJEVAL_KEY_FILE to its path."
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
