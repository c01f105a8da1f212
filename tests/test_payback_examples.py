"""The payback section in the built example reports: alv-vast priced from its effect, barnfamiljer-goteborg
as a before/after calculation labelled as such, the others omitted in one sentence; page and results.json agree."""

from __future__ import annotations

import json
import re

import pytest

from example_reports import built_examples

pytestmark = pytest.mark.slow  # builds reports (runs the notebooks); not in `make test-fast`

HEADING = '<h2 id="lonar-sig-projektet-en-samhallsekonomisk-kalkyl"'


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return built_examples(tmp_path_factory)


def _load(root, project):
    rep = root / "reports" / project
    results = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    html = (rep / "report.html").read_text(encoding="utf-8")
    start = html.index(HEADING)
    end = html.index("<h2 id=", start + 1)  # the appendix follows
    return results.get("payback"), html[start:end]


def _kr(value: float) -> str:
    v = int(round(value / 100) * 100)
    return ("\u2212" if v < 0 else "") + f"{abs(v):,}".replace(",", "\u00a0")


def test_alv_vast_prices_its_effect(examples):
    root, status = examples
    assert status["alv-vast"]["ok"], status["alv-vast"]["message"]
    node, section = _load(root, "alv-vast")
    assert node["design"] == "comparison" and node["basis"] == "income" and "no_data" not in node
    assert node["weights"] == "ipw" and node["unattributed"] == ["other"]
    actors = node["actors"]["order"]
    assert {"kommun", "region", "staten", "arbetsformedlingen", "forsakringskassan", "a_kassa", "individual"} <= set(
        actors
    )
    public = node["actors"]["rows"]["public"]
    lower, upper = public["ci_60"]
    assert lower < public["net_60"] < upper
    # the priced effect of the example after 5 years, unchanged by the move to the one publication path
    assert _kr(public["net_60"]) == "\u221257\u00a0200" and public["payback"] == "not_within_horizon"
    # the page shows the same number as results.json (rounded to 100), and says what is an example value
    assert 'data-results="/payback/actors"' in section
    assert _kr(public["net_60"]) in section and "\u2212" in _kr(public["net_60"])
    # the persons behind the numbers are protected like every other count
    persons = node["persons"]["rows"]
    assert all(r["count"] is None or r["count"] == 0 or r["count"] >= node["min_cell"] for r in persons.values())
    assert "EXEMPELVÄRDE" in section and "exempelvärden" in section
    assert "Före/efter-kalkyl" in section  # the gross figure beside the net one, labelled
    assert sorted(node["cost_table"]["example_values"]) == ["regional_share", "student_aid"]
    assert node["cost_table"]["entries"]["rows"]["income_support"]["statistic"]  # where a project takes its own


def test_barnfamiljer_shows_the_before_after_version_labelled(examples):
    root, status = examples
    assert status["barnfamiljer-goteborg"]["ok"]
    node, section = _load(root, "barnfamiljer-goteborg")
    assert node["design"] == "before_after" and node["weights"] is None
    public = node["actors"]["rows"]["public"]
    # what a before/after calculation claims for the example: 774 100 kr after 5 years, paid back after 12 months
    assert _kr(public["net_60"]) == "774\u00a0100" and public["payback"] == 12
    assert "774\u00a0100" in section
    assert "ingen jämförelsegrupp" in section and "inte en skattad effekt" in section
    captions = re.findall(r'<figcaption class="fe-caption fe-caption-table">(.*?)</figcaption>', section)
    assert captions and captions[0].split("</span> ", 1)[-1].startswith("Före/efter-kalkyl")
    assert "Kostnaden är ett <strong>exempelvärde</strong>" in section
    assert node["unpriced"] == ["study"]


@pytest.mark.parametrize("project", ["c2-lycksele", "etableringsresurs-vasteras", "framtidsjobb-avesta"])
def test_without_a_payback_part_the_section_is_one_sentence(examples, project):
    root, status = examples
    assert status[project]["ok"]
    node, section = _load(root, project)
    assert node == {"min_cell": 5, "no_data": {"payback": "not_configured"}}
    assert "ingen samhällsekonomisk kalkyl" in section and "<table" not in section and "<svg" not in section
