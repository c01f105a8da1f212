"""The payback section in the built example reports: alv-vast priced from its effect, barnfamiljer-goteborg
as a before/after calculation labelled as such, the others omitted in one sentence; page and results.json agree."""

from __future__ import annotations

import json
import re

import pytest

from example_reports import built_examples

pytestmark = pytest.mark.slow  # builds reports (runs the notebooks); not in `make test-fast`

HEADING = '<h1 id="lonar-sig-projektet-en-samhallsekonomisk-kalkyl"'


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return built_examples(tmp_path_factory)


def _load(root, project):
    rep = root / "reports" / project
    results = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    html = (rep / "report.html").read_text(encoding="utf-8")
    start = html.index(HEADING)
    end = html.index("<h1 id=", start + 1)  # the appendix follows
    return results.get("payback"), html[start:end]


def _kr(value: float) -> str:
    v = int(round(value / 100) * 100)
    return ("\u2212" if v < 0 else "") + f"{abs(v):,}".replace(",", "\u00a0")


def test_alv_vast_prices_its_effect(examples):
    root, status = examples
    assert status["alv-vast"]["ok"], status["alv-vast"]["message"]
    node, section = _load(root, "alv-vast")
    assert node["available"] and node["design"] == "comparison" and node["basis"] == "income"
    assert node["weights"] == "ipw" and node["unattributed"] == ["other"]
    cols = {c["column"]: c for c in node["columns"]}
    assert {"kommun", "region", "staten", "arbetsformedlingen", "forsakringskassan", "a_kassa", "individual"} <= set(
        cols
    )
    public = cols["public"]["net"]["60"]
    assert public["lower"] < public["estimate"] < public["upper"]
    # the page shows the same number as results.json, and says what is an example value
    assert _kr(public["estimate"]) in section
    assert "EXEMPELVÄRDE" in section and "exempelvärden" in section
    assert "Före/efter-kalkyl" in section  # the gross figure beside the net one, labelled
    assert sorted(node["cost_table"]["example_values"]) == ["regional_share", "student_aid"]


def test_barnfamiljer_shows_the_before_after_version_labelled(examples):
    root, status = examples
    assert status["barnfamiljer-goteborg"]["ok"]
    node, section = _load(root, "barnfamiljer-goteborg")
    assert node["available"] and node["design"] == "before_after" and node["weights"] is None
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
    assert node == {"available": False, "reason": "not_configured"}
    assert "ingen samhällsekonomisk kalkyl" in section and "<table" not in section and "<svg" not in section
