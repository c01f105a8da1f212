"""The data contract is declared once; everything that mirrors it is derived from it and checked here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline.contract_doc import render_markdown
from analysis.project import contract
from analysis.project.codes import DOMAINS
from analysis.project.metrics import SPECS
from analysis.project.schemas import SCHEMAS, processed_columns
from analysis.report.schema_enums import drift, write_enums

ROOT = Path(__file__).resolve().parents[1]


def test_docs_are_generated_from_the_contract():
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), "run `.venv/bin/python tools/generate_contract.py`"


def test_the_doc_names_every_column_code_and_alias():
    doc = render_markdown()
    for c in contract.COLUMNS:
        assert f"`{c.name}`" in doc
        for a in c.aliases:
            assert f"`{a}`" in doc, a
    for d in DOMAINS.values():
        for code in d.codes:
            assert f"| `{code}` |" in doc, code
        for label in d.labels:
            assert f"`{label}`" in doc, label
    for name in SPECS:
        assert f"`{name}`" in doc


def test_schema_enums_follow_their_sources():
    assert drift() == []


def test_schema_drift_is_found_and_repaired(tmp_path):
    from analysis.report.schema_enums import schema_folder

    for f in schema_folder().glob("*.json"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    text = (tmp_path / "tables.schema.json").read_text(encoding="utf-8")
    (tmp_path / "tables.schema.json").write_text(
        text.replace('"share_work_or_study_at_exit"', '"share_work_or_study_at_the_exit"'), encoding="utf-8"
    )
    assert any("metric" in d for d in drift(tmp_path))
    assert write_enums(tmp_path) == ["tables.schema.json"]
    assert drift(tmp_path) == []


def test_cli_prints_the_contract():
    out = subprocess.run(
        [sys.executable, "-m", "analysis.pipeline.cli", "contract"], capture_output=True, text=True, check=True
    ).stdout
    assert out == render_markdown()


def test_each_column_is_declared_once_per_kind():
    seen = set()
    for c in contract.COLUMNS:
        for kind in c.kinds:
            assert (kind, c.name) not in seen, (kind, c.name)
            seen.add((kind, c.name))
            assert kind in contract.KINDS
        assert set(c.required_in) <= set(c.kinds), c.name
        if c.parser == "category":
            assert c.domain in DOMAINS, c.name


def test_processed_schemas_come_from_the_contract():
    for kind in contract.ORDER:
        schema = SCHEMAS[kind]
        assert list(schema.columns) == processed_columns(kind)
    # participants and comparison share their declarations: same dtype and checks for shared columns
    shared = set(SCHEMAS["participants"].columns) & set(SCHEMAS["comparison"].columns)
    assert {"gender", "education", "birth_year", "income_at_start"} <= shared
    for name in shared - {contract.PERSON_KEY}:
        a, b = SCHEMAS["participants"].columns[name], SCHEMAS["comparison"].columns[name]
        assert str(a.dtype) == str(b.dtype), name
        assert [c.name for c in a.checks] == [c.name for c in b.checks], name


def test_schema_rejects_a_code_outside_its_domain():
    import pandera.errors as pe

    df = pd.DataFrame({contract.PERSON_KEY: ["0" * 20], "reference_date": [pd.Timestamp("2020-01-01")]})
    df["gender"] = ["woman"]
    with pytest.raises(pe.SchemaError, match="gender"):
        SCHEMAS["comparison"].validate(df)


def test_views_used_by_the_cleaning():
    v = contract.FILE_COLUMNS["participants"]
    assert v["id"] == "person_id" and v["key"] == contract.PERSON_KEY
    assert v["required"] == ["person_id", "start_date"]
    assert v["categories"]["income_at_exit"] == "income"
    assert "age_at_start" in v["numbers"]  # SUS "Ålder"; derived from the personnummer when it can be
    assert "episodes" not in v["numbers"]  # derived only
    assert contract.FILE_COLUMNS["status_monthly"]["categories"] == {"status": "panel_status"}
    assert contract.KEY_OF["survey"] == contract.RESPONDENT_KEY


def test_config_file_kinds_are_the_contract_kinds(tmp_path):
    from analysis.project.config import FILE_KINDS

    assert tuple(FILE_KINDS) == contract.ORDER
