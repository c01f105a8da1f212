"""One translation table: every key has Swedish and English, no key is defined twice."""

import re

import pytest

from analysis.report import i18n


def test_every_key_has_both_languages_and_same_fields():
    for key, texts in i18n.table().items():
        assert set(texts) == {"sv", "en"}, key
        assert all(isinstance(v, str) and v.strip() for v in texts.values()), key
        fields = {lang: set(re.findall(r"{(\w+)}", txt)) for lang, txt in texts.items()}
        assert fields["sv"] == fields["en"], (key, fields)


def test_unknown_key_fails_instead_of_falling_back():
    with pytest.raises(KeyError):
        i18n.t("no_such_key", "sv")


def test_fields_are_filled():
    assert "5" in i18n.t("suppressed_note", "en", min_cell=5)
