"""The Swedish label dictionary maps common export headers and labels to canonical codes."""

import pytest

from analysis.clean import labels
from analysis.project import contract
from analysis.project.codes import DOMAINS


@pytest.mark.parametrize(
    "header,canonical",
    [
        ("Personnummer", "person_id"),
        ("  KÖN ", "gender"),
        ("Startdatum", "start_date"),
        ("Avslutsorsak", "exit_status"),
        ("Remitterande myndighet", "referred_by"),
        ("Födelseår", "birth_year"),
        ("Utbildningsnivå", "education"),
        ("Försörjning vid start", "income_at_start"),
        ("start_date", "start_date"),
        ("start date", "start_date"),
        ("Månad", "month"),
        ("Spår", "track"),
        ("Handlingsplan upprättad", "action_plan_date"),
    ],
)
def test_headers(header, canonical):
    assert labels.canonical_header(header) == canonical


def test_unknown_header_is_none():
    assert labels.canonical_header("Favoritfärg") is None


@pytest.mark.parametrize(
    "domain,label,code",
    [
        ("gender", "Kvinna", "female"),
        ("gender", "MAN", "male"),
        ("exit_status", "Arbete", "work"),
        ("exit_status", "Subventionerat arbete", "subsidised_work"),
        ("exit_status", "Studier", "study"),
        ("referred_by", "Arbetsförmedlingen", "af"),
        ("referred_by", "Socialtjänsten", "soc"),
        ("income", "Försörjningsstöd", "income_support"),
        ("income", "Lön", "wage"),
        ("origin", "Utanför Europa", "outside_europe"),
        ("education", "Gymnasial", "upper_secondary"),
        ("panel_status", "Arbete", "work"),
        ("wave", "Uppföljning", "followup"),
        ("exit_status", "work", "work"),
    ],
)
def test_values(domain, label, code):
    assert labels.value_map(domain)[labels.normalise(label)] == code


def test_every_alias_maps_to_a_valid_code():
    for name, domain in DOMAINS.items():
        assert set(domain.labels.values()) <= set(domain.codes), name


def test_no_header_alias_is_claimed_twice_within_a_kind():
    for kind in contract.ORDER:
        seen = {}
        for canon, aliases in contract.header_aliases(kind).items():
            for a in aliases:
                n = labels.normalise(a)
                assert seen.get(n, canon) == canon, (kind, a, seen.get(n), canon)
                seen[n] = canon


def test_a_header_means_one_column_across_kinds():
    """The same header may appear in several kinds only for columns of the same name."""
    seen = {}
    for kind in contract.ORDER:
        for canon, aliases in contract.header_aliases(kind).items():
            for a in aliases:
                n = labels.normalise(a)
                assert seen.setdefault(n, canon) == canon, (kind, a, seen[n], canon)


def test_headers_are_per_kind():
    assert labels.canonical_header("Månad", "status_monthly") == "month"
    assert labels.canonical_header("Månad", "participants") is None
    assert labels.canonical_header("Status", "followups") == "status"
