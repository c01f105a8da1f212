"""The register path of the cleaning step (a panel cleaned out of core) keeps and refuses what the in-memory path does.

The register path is taken for a panel file of at least FOLJEVAL_REGISTER_PANEL_BYTES; these
tests set it to 0 so that small files take it, and compare every output with the in-memory
path on the same raw files: the quarantine row by row with its messages, the reconciliation,
the person tables, the kept panel rows, the date of data and what ProcessedTables reads back.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import clean_project, identity
from analysis.clean.register import THRESHOLD_ENV, register_panel_file, register_threshold
from analysis.clean.store import ProcessedTables
from analysis.project.config import load_project
from analysis.project.errors import BadFileError
from conftest import bad_check_digit, make_pnr

REGISTER = {**os.environ, THRESHOLD_ENV: "0"}


def both_paths(folder: Path):
    project = load_project(folder)
    memory = clean_project(project, env={**os.environ, THRESHOLD_ENV: str(10**15)})
    register = clean_project(project, env=REGISTER)
    assert memory.register is None and register.register is not None
    return memory, register


def assert_same(memory, register, tmp_path: Path) -> pd.DataFrame:
    """Every output of the two paths is equal; returns the panel read back from the register path's folder."""
    pd.testing.assert_frame_equal(register.problems, memory.problems)
    pd.testing.assert_frame_equal(register.notices, memory.notices)
    pd.testing.assert_frame_equal(register.reconciliation, memory.reconciliation)
    assert [f.to_dict() for f in register.files] == [f.to_dict() for f in memory.files]
    assert set(register.tables) == set(memory.tables) - {"status_monthly"}
    for name, table in register.tables.items():
        pd.testing.assert_frame_equal(table, memory.tables[name])
    assert register.data_end == memory.data_end
    assert register.counts == memory.counts
    a, b = memory.manifest(), register.manifest()
    assert {k for k in a if a[k] != b[k]} == {"panel_storage"}
    register.write(tmp_path / "register")
    memory.write(tmp_path / "memory")
    got = ProcessedTables(tmp_path / "register")
    assert got.panel_dataset == tmp_path / "register" / "status_monthly"
    assert ProcessedTables(tmp_path / "memory").panel_dataset is None
    panel = got["status_monthly"]
    expected = memory.tables["status_monthly"]
    expected = expected.assign(person_key=expected["person_key"].astype(str), status=expected["status"].astype(str))
    expected = expected.sort_values(["person_key", "month"], ignore_index=True)
    seen = panel.assign(person_key=panel["person_key"].astype(str), status=panel["status"].astype(str))
    pd.testing.assert_frame_equal(seen[list(expected.columns)], expected)
    return panel


def test_the_mini_projects_messy_panel(mini_project, tmp_path):
    folder, expected = mini_project
    memory, register = both_paths(folder)
    panel = assert_same(memory, register, tmp_path)
    assert len(panel) == expected["status_monthly"]["kept"]


YML = """\
    name: Registerprojekt
    owner: Samordningsförbundet
    period: {start: 2021-01-01, end: 2023-12-31}
    synthetic: true
    files:
      participants: {path: deltagare.csv}
      comparison: {path: jamforelse.csv}
      status_monthly:
        path: sysselsattning.txt
        missing_values: [saknas]
        values:
          status: {Föräldraledig: other}
"""


def register_export(folder: Path) -> list[str]:
    """A register extract as an authority sends it: Windows-1252, a title line, Swedish headers in another order,
    CRLF, quoted cells, spaces, Swedish labels, and rows that break every panel rule."""
    ids = [
        make_pnr(dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 27), i + 1, i % 2 == 0, sep="", digits=12)
        for i in range(40)
    ]
    part = ["Personnummer;Kön;Startdatum"] + [
        f"{p};{'Man' if i % 2 == 0 else 'Kvinna'};2022-0{1 + i % 9}-01" for i, p in enumerate(ids[:10])
    ]
    comp = ["Personnummer;Kön;Referensdatum"] + [
        f"{p};{'Man' if i % 2 == 0 else 'Kvinna'};2022-03-01" for i, p in enumerate(ids[10:], 10)
    ]
    (folder / "deltagare.csv").write_text("\n".join(part) + "\n", encoding="utf-8")
    (folder / "jamforelse.csv").write_text("\n".join(comp) + "\n", encoding="utf-8")
    labels = ["Arbete", "Studier", "Öppet arbetslös", "Sjukskriven", "Försörjningsstöd", "Föräldraledig"]
    rows = []
    for i, p in enumerate(ids):
        shown = p if i % 5 else f"{p[:8]}-{p[8:]}"  # some ids with the hyphen, as people write them
        for m in range(24):
            rows.append(f'{2021 + m // 12}{m % 12 + 1:02d};"{shown}";{labels[(i + m) % len(labels)]}')
    bad = [
        '202103;"";Arbete',  # empty id
        f"202103;{bad_check_digit(ids[3])};Arbete",  # invalid check digit
        f"202103;{make_pnr(dt.date(1981, 4, 4), 77, True, sep='', digits=12)};Arbete",  # nobody kept
        f"202113;{ids[4]};Arbete",  # unreadable month
        f"189901;{ids[5]};Arbete",  # implausible month
        f";{ids[6]};Arbete",  # empty month
        f"202104;{ids[7]};Tjänstledig",  # unknown label
        f"202105;{ids[8]};saknas",  # a missing word in a required column
        f"202101;{ids[9]};Studier",  # a second row for the same person and month
        f"202102;{bad_check_digit(ids[3])};Rymdresa",  # two rules on one row
    ]
    body = rows[:100] + bad + rows[100:]
    text = (
        "Sysselsättning per månad, utdrag 2024-01-15\r\nMånad;Personnummer;Sysselsättning\r\n"
        + "\r\n".join(body)
        + "\r\n"
    )
    (folder / "sysselsattning.txt").write_bytes(text.encode("cp1252"))
    (folder / "project.yml").write_text(textwrap.dedent(YML), encoding="utf-8")
    return ids


def test_a_register_export_as_an_authority_sends_it(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    ids = register_export(folder)
    memory, register = both_paths(folder)
    panel = assert_same(memory, register, tmp_path)
    rules = register.problems.loc[register.problems["file"] == "sysselsattning.txt", "rule"]
    assert set(rules) >= {
        "empty_id",
        "invalid_id",
        "unknown_person",
        "unreadable_month",
        "implausible_date",
        "empty_required",
        "unknown_label",
        "duplicate_month",
    }
    report = next(f for f in register.files if f.kind == "status_monthly")
    assert report.rows_read == 40 * 24 + 10 and report.header_row == 2 and report.title_rows == 1
    assert len(panel) == report.rows_kept
    # the hyphenated ids found their persons: every kept person has 24 months
    assert panel.groupby("person_key", observed=True).size().eq(24).all()
    # no personnummer in anything written
    for path in (tmp_path / "register").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(p[-10:].encode() in data for p in ids), path


def test_the_work_folder_stays_with_the_project_and_is_removed(tmp_path, mini_project):
    # DuckDB's spill files hold raw ids: beside the processed data (erase removes it), not in the system's temp
    folder, _ = mini_project
    before = set(Path(tempfile.gettempdir()).glob("foljeval-register-*"))
    result = clean_project(load_project(folder), env=REGISTER)
    work = tmp_path / "data" / "processed" / "mini.work"
    assert result.register is not None and result.register.dataset.is_relative_to(work)
    result.write(tmp_path / "out")
    assert not work.exists()
    assert set(Path(tempfile.gettempdir()).glob("foljeval-register-*")) == before
    del result


def test_the_threshold_chooses_the_path(mini_project):
    folder, _ = mini_project
    project = load_project(folder)
    size = (folder / "status.csv").stat().st_size
    assert register_panel_file(project, {THRESHOLD_ENV: str(size)}) == folder / "status.csv"
    assert register_panel_file(project, {THRESHOLD_ENV: str(size + 1)}) is None
    assert register_threshold({}) == 1_500_000_000
    assert register_threshold({THRESHOLD_ENV: "2e9"}) == 2_000_000_000
    with pytest.raises(BadFileError, match="not a number of bytes"):
        register_threshold({THRESHOLD_ENV: "två gigabyte"})


def test_a_wide_panel_stays_in_memory(tmp_path):
    from test_real_exports import project as real_project
    from test_real_exports import wide_income_support

    yml = "files:\n  participants: {path: d.csv}\n  status_monthly: {path: bistand.csv, domain: income_support}\n"
    folder = real_project(tmp_path, yml)
    wide_income_support(folder / "bistand.csv", [make_pnr(dt.date(1990, 1, 2), 1, True, sep="", digits=12)] * 2)
    assert register_panel_file(load_project(folder), REGISTER) is None


def test_no_personnummer_in_the_messages(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    register_export(folder)
    _, register = both_paths(folder)
    for col in ("message", "value"):
        text = register.problems[col].astype(str)
        assert not identity.looks_like_personnummer(text).any(), col


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated register project (3,000 persons, 10 % participants) cleaned by both paths and written."""
    from test_register_generator import gen

    root = tmp_path_factory.mktemp("generated")
    gen.generate(root / "raw", 3_000, 36, participant_share=0.10)
    memory, register = both_paths(root / "raw")
    memory.write(root / "memory")
    register.write(root / "register")
    return load_project(root / "raw"), ProcessedTables(root / "memory"), ProcessedTables(root / "register")


def test_survival_from_the_buckets_equals_the_whole_panel(generated):
    from analysis.survival.analysis import survival_analysis

    project, memory, register = generated
    end = project.config.data_end
    a = survival_analysis(memory, project.config, end)
    b = survival_analysis(register, project.config, end)
    assert a.available and b.available and a.n_spells_all > 1000
    assert (a.n_spells_all, a.n_left_censored, a.n_reentries) == (b.n_spells_all, b.n_left_censored, b.n_reentries)
    assert "status_monthly" not in register._loaded  # the whole panel was never read
    assert a.to_results() == b.to_results()
    key = ["group", "person_key"]
    pd.testing.assert_frame_equal(
        a.first.sort_values(key, ignore_index=True), b.first.sort_values(key, ignore_index=True), check_dtype=False
    )


def test_effects_from_the_buckets_equal_the_whole_panel(generated):
    from analysis.effects.analysis import effects_analysis

    project, memory, register = generated
    end = project.config.data_end
    a = effects_analysis(memory, project.config, end)
    b = effects_analysis(register, project.config, end)
    assert a.available and a.main_outcome == "wos_12m" and a.panel and a.did is not None and a.did.results
    assert "status_monthly" not in register._loaded  # the whole panel was never read
    # equal but for the order of summation in the event study (persons come bucket by bucket): ~1e-15
    assert_close(a.to_results(), b.to_results(), path="effects")


def assert_close(x, y, path: str, rtol: float = 1e-12) -> None:
    """Equal trees of results; floats equal to ``rtol`` relative (NaN equal to NaN)."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and set(x) == set(y), path
        for k in x:
            assert_close(x[k], y[k], f"{path}/{k}", rtol)
    elif isinstance(x, list | tuple):
        assert isinstance(y, list | tuple) and len(x) == len(y), path
        for i, (u, v) in enumerate(zip(x, y)):
            assert_close(u, v, f"{path}[{i}]", rtol)
    elif isinstance(x, float) and isinstance(y, float):
        assert (x != x and y != y) or x == pytest.approx(y, rel=rtol, abs=1e-15), (path, x, y)
    else:
        assert x == y, (path, x, y)


def test_targets_outcomes_and_payback_from_the_buckets(generated):
    from analysis.payback.inputs import choose_basis, person_months
    from analysis.report.sections.outcomes import outcomes_section
    from analysis.tables.targets import evaluate_targets

    project, memory, register = generated
    cfg, end = project.config, project.config.data_end
    ta, tb = evaluate_targets(cfg, memory, end), evaluate_targets(cfg, register, end)
    assert ta.to_results() == tb.to_results() and len(ta.table) >= 2
    assert outcomes_section(memory, cfg, end).to_results() == outcomes_section(register, cfg, end).to_results()
    assert choose_basis(memory) == choose_basis(register) == "status"
    from analysis.effects.design import persons

    a, b = (
        person_months(persons(memory), memory, "status", 24, end),
        person_months(persons(register), register, "status", 24, end),
    )
    pd.testing.assert_frame_equal(a.participants, b.participants)
    pd.testing.assert_frame_equal(a.comparison, b.comparison)
    assert "status_monthly" not in register._loaded
