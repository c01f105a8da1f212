"""Personnummer validation, derived facts, keyed pseudonyms, key resolution and leak scanning."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.clean import identity
from analysis.project.errors import KeyMissingError
from conftest import bad_check_digit, make_pnr

TODAY = dt.date(2026, 11, 24)


def parse(values):
    return identity.parse_personnummer(pd.Series(values, dtype=object), today=TODAY)


def test_forms_of_the_same_number_normalise_alike():
    twelve = make_pnr(dt.date(1990, 3, 15), 23, True)
    ten = make_pnr(dt.date(1990, 3, 15), 23, True, digits=10)
    p = parse([twelve, twelve.replace("-", ""), ten, ten.replace("-", ""), f" {ten} "])
    assert p["valid"].all()
    assert p["normalized"].nunique() == 1 and p["normalized"].iloc[0].startswith("19900315")
    assert (p["gender"] == "female").all()
    assert (p["birth_date"] == pd.Timestamp("1990-03-15")).all()


def test_known_valid_number_from_skatteverket_examples():
    # 811218-9876 is the check-digit example used in Skatteverket's description of the Luhn rule.
    p = parse(["811218-9876", "19811218-9876"])
    assert p["valid"].all() and (p["normalized"] == "198112189876").all() and (p["gender"] == "male").all()


def test_samordningsnummer_day_plus_60():
    s = make_pnr(dt.date(1985, 5, 5), 7, True, coordination=True)
    p = parse([s])
    assert p["valid"].iloc[0] and p["coordination"].iloc[0]
    assert p["birth_date"].iloc[0] == pd.Timestamp("1985-05-05")


def test_plus_sign_means_a_hundred_years_or_more():
    ten = make_pnr(dt.date(1920, 6, 1), 11, False, digits=10)  # "200601-xxxx"
    minus, plus = parse([ten, ten.replace("-", "+")])["birth_date"]
    assert minus == pd.Timestamp("2020-06-01")
    assert plus == pd.Timestamp("1920-06-01")


def test_ten_digit_century_is_the_latest_not_in_the_future():
    ten = make_pnr(dt.date(1930, 12, 31), 3, True, digits=10)  # 301231: 2030 would be in the future
    assert parse([ten])["birth_date"].iloc[0] == pd.Timestamp("1930-12-31")


@pytest.mark.parametrize(
    "value, reason",
    [
        ("19900230-1234", "not a valid date"),
        ("900101-123", "wrong length"),
        ("1990010112345", "wrong length"),
        ("abcdef-1234", "contains letters"),
        ("", "wrong length"),
    ],
)
def test_invalid_numbers_have_a_reason(value, reason):
    p = parse([value])
    assert not p["valid"].iloc[0]
    assert reason in p["reason"].iloc[0]


def test_wrong_check_digit_is_invalid():
    good = make_pnr(dt.date(1970, 1, 1), 45, False)
    p = parse([good, bad_check_digit(good)])
    assert p["valid"].tolist() == [True, False]
    assert "check digit" in p["reason"].iloc[1]


def test_missing_values_are_invalid_not_errors():
    p = parse([None, float("nan")])
    assert not p["valid"].any()


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 99), st.booleans(), st.booleans())
def test_every_generated_number_validates_and_roundtrips(birth, serial, female, coordination):
    p = parse([make_pnr(birth, serial, female, coordination=coordination)])
    assert p["valid"].iloc[0]
    assert p["birth_date"].iloc[0] == pd.Timestamp(birth)
    assert p["gender"].iloc[0] == ("female" if female else "male")
    assert p["coordination"].iloc[0] == coordination


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 99), st.booleans())
def test_any_single_digit_change_is_detected(birth, serial, female):
    good = make_pnr(birth, serial, female).replace("-", "")
    last = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not parse([last])["valid"].iloc[0]


def test_pseudonyms_are_keyed_stable_and_short():
    nums = pd.Series(["199003152346", "199003152346", "198112189876"])
    a = identity.pseudonymise(nums, b"k" * 32)
    b = identity.pseudonymise(nums, b"j" * 32)
    assert a.iloc[0] == a.iloc[1] != a.iloc[2]
    assert a.str.fullmatch(r"[0-9a-f]{20}").all()
    assert set(a).isdisjoint(set(b))
    # HMAC-SHA-256, not a bare hash: the documented construction
    import hashlib
    import hmac

    assert a.iloc[2] == hmac.new(b"k" * 32, b"198112189876", hashlib.sha256).hexdigest()[:20]


def test_external_ids_refuse_personnummer():
    ids = pd.Series(["AB12", "811218-9876", "x y", "198112189876", "id.7:3"])
    out = identity.pseudonymise_external_id(ids)
    assert out.tolist()[0] == "xAB12" and out.tolist()[4] == "xid.7:3"
    assert out.iloc[1:4].isna().all()


# The masking function on the hard cases: (input, what it must become); {P} stands for the mask.
# 197406256474 / 740625-6474 are valid (date and Luhn), 740685-6471 is a samordningsnummer (day 25 + 60).
PNR_HEX = "3f7406256474c0ffee12"  # a 20-hex pseudonym holding a valid 10-digit number
SHA = "ab" + "197406256474" + "cd" * 25  # 64 hex characters: a SHA-256 value holding a valid 12-digit number
COMMIT = "e" + "7406256474" + "f00d" * 7 + "a"  # a 40-hex git commit id
MASKED = [
    ("19740625-6474", "{P}"),
    ("197406256474", "{P}"),
    ("740625-6474", "{P}"),
    ("7406256474", "{P}"),
    ("740625+6474", "{P}"),  # '+': a hundred years or older
    ("740685-6471", "{P}"),  # samordningsnummer
    ("811218-9876", "{P}"),  # Skatteverket's example
    ("19740625-6474s", "{P}s"),  # a letter glued after
    ("s19740625-6474", "s{P}"),  # ... and before
    ("unknown label 'Soc (handl. för 197406256474)'", "unknown label 'Soc (handl. för {P})'"),
    ("handl.för197406256474", "handl.för{P}"),
    ("Dec197406256474", "Dec{P}"),  # hex letters, but a short word: not a digest
    ("abc197406256474abc", "abc{P}abc"),  # 18 hex characters: shorter than any digest (20)
    ("ä197406256474abcdef0123", "ä{P}abcdef0123"),  # a word with a non-hex letter is not a hex token
    ("AbCdEf7406256474AbCdEf", "AbCdEf{P}AbCdEf"),  # mixed case is not a digest
    ("id_197406256474;", "id_{P};"),
    ("197406256474.0", "{P}.0"),  # Excel/SPSS number as a float
    ("a\t740625-6474\nb", "a\t{P}\nb"),
    ("19740625-6474 och 740685-6471", "{P} och {P}"),
    ("99740625-6474", "{P}"),  # mistyped century: the last 10 digits are a personnummer
    ("0701234569", "{P}"),  # shaped like a phone number but a valid number born 2007-01-23: cannot be told apart
]
NOT_MASKED = [
    PNR_HEX,  # pseudonym
    PNR_HEX.upper(),
    f"sha256: {SHA}",
    f"commit {COMMIT}",
    "19740625-6474-4a1b-9c2d-0123456789ab",  # a UUID
    "070-123 45 67",
    "+46 70 123 45 67",
    "+46701234567",
    "0701234567",  # phone number, check digit does not match
    "2024-06-25",
    "20240625",
    "2024-06-25 12:34:56",
    "1 234 567 890 kr",
    "1234567890",  # amount: check digit does not match
    "12 345,50",
    "1974062564.74",
    "19740625-6475",  # wrong check digit
    "740625-6475",
    "19741332-1234",  # no 32nd of the 13th month
    "1974062564741",  # 13 digits
    "01974062564740",  # 14 digits
    "556036-0793",  # organisationsnummer (month 60 is no month)
    "21000101-1230",  # 12 digits: born in the future, and its last 10 digits are no valid number either
]


@pytest.mark.parametrize("text, expected", MASKED)
def test_mask_hides_every_form_of_personnummer(text, expected):
    assert identity.mask_personnummer(text, today=TODAY) == expected.format(P=identity.MASK)


@pytest.mark.parametrize("text", NOT_MASKED)
def test_mask_leaves_hex_tokens_phone_numbers_dates_amounts_and_bad_check_digits(text):
    assert identity.mask_personnummer(text, today=TODAY) == text
    assert identity.find_personnummer_in_text(text, today=TODAY) == []


def test_mask_and_finder_agree_and_finder_returns_the_numbers_as_written():
    text = "a 811218-9876 b 811218-9875 c 19811218-9876 d 0123456789abcdef0123 e 1234567890123 f 811218-9876x"
    assert identity.find_personnummer_in_text(text, today=TODAY) == ["811218-9876", "19811218-9876", "811218-9876"]
    assert identity.mask_personnummer(text, today=TODAY).count(identity.MASK) == 3


def test_mask_series_masks_per_distinct_value():
    s = pd.Series(["Soc 197406256474", None, "ok", "Soc 197406256474", PNR_HEX])
    out = identity.mask_personnummer_series(s)
    assert out.tolist() == [f"Soc {identity.MASK}", "", "ok", f"Soc {identity.MASK}", PNR_HEX]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)),
    st.integers(0, 99),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["-", "+", ""]),
    st.sampled_from([10, 12]),
    st.text(alphabet="abcxyzåäöABC _.:;()/'\"", max_size=3),
    st.text(alphabet="abcxyzåäöABC _.:;()/'\"", max_size=3),
)
def test_every_valid_number_is_masked_whatever_stands_beside_it(birth, serial, female, coord, sep, digits, pre, post):
    if sep == "+" and birth.year >= 1926 and digits == 10:
        sep = "-"  # '+' in a 10-digit number means 100 years or older
    p = make_pnr(birth, serial, female, coordination=coord, sep=sep, digits=digits)
    text = f"{pre}{p}{post}"
    masked = identity.mask_personnummer(text, today=TODAY)
    assert masked == f"{pre}{identity.MASK}{post}", (text, masked)


def test_looks_like_personnummer_is_wide_but_skips_hex_tokens():
    s = pd.Series(["811218-9875", "x811218-9875y", PNR_HEX, "12345", f"sha {SHA}"])
    assert identity.looks_like_personnummer(s).tolist() == [True, True, False, False, False]


def test_key_resolution_order(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    assert identity.resolve_key(False, {"FOLJEVAL_KEY": "s" * 40}, repo) == (b"s" * 40, "FOLJEVAL_KEY")
    keyfile = tmp_path / "key"
    keyfile.write_text("f" * 40 + "\n")
    keyfile.chmod(0o600)
    assert identity.resolve_key(False, {"FOLJEVAL_KEY_FILE": str(keyfile)}, repo)[0] == b"f" * 40
    assert identity.resolve_key(True, {}, repo) == (identity.DEMO_KEY, "public demo key (synthetic project)")
    with pytest.raises(KeyMissingError, match="FOLJEVAL_KEY"):
        identity.resolve_key(False, {}, repo)
    with pytest.raises(KeyMissingError, match="too short"):
        identity.resolve_key(False, {"FOLJEVAL_KEY": "short"}, repo)
    inside = repo / "key"
    inside.write_text("i" * 40)
    with pytest.raises(KeyMissingError, match="inside the repository"):
        identity.resolve_key(False, {"FOLJEVAL_KEY_FILE": str(inside)}, repo)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])-[0-9]{4}\Z"))
def test_agrees_with_python_stdnum_on_personnummer(value):
    """An independent implementation (python-stdnum) agrees on validity (stdnum has no samordningsnummer and accepts
    dates of birth in the future, which we refuse)."""
    from stdnum.se import personnummer as reference

    assert parse([value])["valid"].iloc[0] == reference.is_valid(value)


@pytest.mark.parametrize("key", [b"k" * 32, b"a much longer key " * 8, bytes(range(64))])
def test_fast_hmac_equals_the_standard_library(key):
    import hashlib
    import hmac

    from analysis.clean.identity import PSEUDONYM_LENGTH, _hmac_sha256

    mac = _hmac_sha256(key)
    for message in (b"199001011234", b"", b"x" * 200):
        assert mac(message) == hmac.new(key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]
