"""Deliveries over time: raw files per delivery folder, reports kept per delivery, the key's
fingerprint, the change section and the index's trend.

The fast tests work on copies of c2-lycksele's two delivery folders in ``tmp_path``; the slow
ones build c2-lycksele's two deliveries once (one language, no PDF) in a temporary repository.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.clean.identity import DEMO_KEY, KEY_FINGERPRINT_LABEL, key_fingerprint
from analysis.pipeline.cli import app
from analysis.project.config import load_project
from analysis.project.errors import ConfigError
from analysis.report.change import change_html, comparison_rows
from analysis.report.delivery_record import headline_numbers
from conftest import ROOT

PROJECT = "c2-lycksele"
EARLY, LATE = "2008-12-31", "2009-06-30"
OTHER_KEY = "another secret key for these tests, long enough"


def _repo(tmp_path: Path) -> Path:
    """A repository with c2-lycksele (both deliveries) and the real notebooks."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "data" / "raw" / PROJECT, root / "data" / "raw" / PROJECT)
    (root / "notebooks").symlink_to(ROOT / "notebooks")
    (root / "pyproject.toml").write_text("")
    return root


def _cli(root: Path, *args: str):
    return CliRunner().invoke(app, [*args, "--root", str(root)])


def _one_message(result) -> str:
    """The command's output as one line; it must be a message, not a traceback."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return " ".join(result.output.split())


# --- delivery folders -------------------------------------------------------------------------
def test_the_delivery_folders_are_found_and_the_newest_is_chosen(tmp_path):
    root = _repo(tmp_path)
    raw = root / "data" / "raw" / PROJECT
    (raw / "gamla exporter").mkdir()  # a folder starting with a letter is not a delivery: left alone
    newest = load_project(raw)
    assert newest.deliveries == (dt.date(2008, 12, 31), dt.date(2009, 6, 30))
    assert newest.delivery_name == LATE and newest.data_dir == raw / LATE and newest.newest
    assert newest.config.data_end == dt.date(2009, 6, 30) and newest.previous_delivery == dt.date(2008, 12, 31)
    early = load_project(raw, EARLY)
    assert early.data_dir == raw / EARLY and early.config.data_end == dt.date(2008, 12, 31)
    assert early.previous_delivery is None and not early.newest
    assert early.text_path("background") == raw / "text" / "bakgrund.md"  # texts stay at the project folder


def test_an_earlier_delivery_is_its_own_report_and_a_wrong_date_there_is_an_error(tmp_path):
    raw = ROOT / "data" / "raw" / PROJECT
    final, interim = load_project(raw).config.report, load_project(raw, EARLY).config.report
    assert (final.type, final.number, final.date) == ("slutrapport", None, dt.date(2010, 3, 15))
    assert (interim.type, interim.number, interim.date) == ("delrapport", 1, dt.date(2009, 2, 16))
    assert interim.authors == final.authors and interim.version == final.version  # the rest is the project's
    root = _repo(tmp_path)
    yml = root / "data" / "raw" / PROJECT / "project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("    2008-12-31:\n", "    2008-12-30:\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match="report.deliveries names 2008-12-30, which is no delivery folder"):
        load_project(yml.parent)


def test_a_project_without_delivery_folders_is_read_as_before():
    flat = load_project(ROOT / "data" / "raw" / "barnfamiljer-goteborg")
    assert flat.delivery is None and flat.deliveries == () and flat.data_dir == flat.raw_dir and flat.newest
    with pytest.raises(ConfigError, match="has no delivery folders"):
        load_project(ROOT / "data" / "raw" / "barnfamiljer-goteborg", "2019-06-30")


def test_the_earlier_delivery_is_a_genuine_earlier_extract():
    from analysis.clean.run import clean_project

    raw = ROOT / "data" / "raw" / PROJECT
    early, late = (clean_project(load_project(raw, d), env={}) for d in (EARLY, LATE))
    assert early.data_end == dt.date(2008, 12, 31) and late.data_end == dt.date(2009, 6, 30)
    ep, lp = early.tables["participants"], late.tables["participants"]
    assert len(ep) < len(lp)  # fewer persons known
    assert set(ep["person_key"]) <= set(lp["person_key"])  # the same key: the same pseudonyms
    still_in = set(ep.loc[ep["end_date"].isna() & ep["start_date"].notna(), "person_key"])
    left_later = set(lp.loc[lp["end_date"].notna(), "person_key"])
    assert still_in & left_later  # enrolled in December 2008, exited by June 2009
    assert len(early.tables["followups"]) < len(late.tables["followups"])
    assert len(early.tables["survey"]) < len(late.tables["survey"])
    assert (ep["start_date"].dropna() <= "2008-12-31").all()


def test_project_yml_data_end_that_contradicts_the_folders_is_one_message(tmp_path):
    root = _repo(tmp_path)
    yml = root / "data" / "raw" / PROJECT / "project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("data_end: 2009-06-30", "data_end: 2009-03-31"))
    with pytest.raises(ConfigError, match="data_end 2009-03-31 contradicts the delivery folders"):
        load_project(yml.parent)
    result = _cli(root, "report", PROJECT, "--no-pdf", "--one-language")
    text = _one_message(result)
    assert result.exit_code == 1 and "contradicts the delivery folders (2008-12-31, 2009-06-30)" in text
    assert "Remove data_end from project.yml" in text
    assert not (root / "reports" / PROJECT / EARLY).exists()  # nothing built


@pytest.mark.parametrize("name", ["2019-6-30", "2009-06-30 kopia", "20090630", "2009-02-30", "2009-06-30 (2)"])
def test_a_delivery_folder_named_the_way_people_do_is_one_clear_message(tmp_path, name):
    root = _repo(tmp_path)
    raw = root / "data" / "raw" / PROJECT
    shutil.copytree(raw / LATE, raw / name)  # e.g. Explorer's copy of a folder, or a date typed without zeros
    with pytest.raises(ConfigError, match=re.escape(f"folder '{name}' is not a delivery folder name")):
        load_project(raw)
    result = _cli(root, "check", PROJECT)
    text = _one_message(result)
    assert result.exit_code == 1 and f"'{name}' is not a delivery folder name" in text and "YYYY-MM-DD" in text


def test_an_unknown_or_malformed_delivery_is_refused(tmp_path):
    root = _repo(tmp_path)
    result = _cli(root, "report", PROJECT, "--delivery", "2007-01-01", "--no-pdf")
    assert result.exit_code == 1
    assert "no such delivery folder" in _one_message(result) and "the deliveries are 2008-12-31, 2009-06-30" in (
        _one_message(result)
    )
    result = _cli(root, "report", PROJECT, "--delivery", "30/6 2009", "--no-pdf")
    assert result.exit_code == 1 and "give the delivery's data_end as YYYY-MM-DD" in _one_message(result)


# --- the key's fingerprint --------------------------------------------------------------------
def test_the_fingerprint_is_a_keyed_hash_of_a_label_not_the_key():
    key = OTHER_KEY.encode()
    fp = key_fingerprint(key)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert fp == hmac.new(key, KEY_FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]
    assert fp != key_fingerprint(DEMO_KEY) and fp == key_fingerprint(key)
    assert fp not in key.hex() and fp not in hashlib.sha256(key).hexdigest() and OTHER_KEY not in fp


def _write_record(root: Path, entries: list[dict]) -> Path:
    path = root / "reports" / PROJECT / "deliveries.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"project": PROJECT, "deliveries": entries}), encoding="utf-8")
    return path


def test_a_delivery_with_another_key_than_the_earlier_ones_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.setenv("FOLJEVAL_KEY", "")
    _write_record(root, [{"data_end": EARLY, "key_fingerprint": key_fingerprint(OTHER_KEY.encode())}])
    result = _cli(root, "report", PROJECT, "--no-pdf", "--one-language")
    text = _one_message(result)
    assert result.exit_code == 1 and text.startswith(f"REFUSED {PROJECT} (delivery {LATE}):")
    assert f"another key than delivery {EARLY}" in text and "could not be linked" in text
    assert "FOLJEVAL_KEY or FOLJEVAL_KEY_FILE" in text and f"foljeval report {PROJECT} --new-key" in text
    assert key_fingerprint(DEMO_KEY) in text and DEMO_KEY.decode() not in text
    assert sorted(p.name for p in (root / "reports" / PROJECT).iterdir()) == ["deliveries.json"]
    assert not (root / "data" / "processed" / PROJECT).exists()


# --- the change section (no build) ------------------------------------------------------------
def _results(enrolled, exited, share, shown=None) -> dict:
    row = {"share": share, "ci": [0.4, 0.6]} | ({"shown": shown} if shown else {})
    return {
        "participants": {"flow": {"rows": {"enrolled": {"count": enrolled}, "exited": {"count": exited}}}},
        "outcomes": {"work_or_study": {"rows": {"exit": {"among_followed_up": row}}}},
    }


def test_a_change_is_shown_only_between_two_published_values():
    from bs4 import BeautifulSoup

    before = _results(None, 40, 0.5, shown={"share": "<5"})  # enrolled hidden, share hidden
    after = _results(60, 52, 0.55)
    page = change_html(after, before, EARLY, LATE, "sv")
    cells = {
        tr["data-change"]: [c.get_text(strip=True) for c in tr.find_all("td")]
        for tr in BeautifulSoup(page, "html.parser").select("tr[data-change]")
    }
    assert cells["enrolled"] == ["–", "60", "–"]  # never "+60", nor 60 minus anything hidden
    assert cells["work_or_study_exit"] == ["–", "55,0\u00a0%", "–"]
    assert cells["exited"] == ["40", "52", "+12"]
    assert "”–”" in page
    english = change_html(after, before, EARLY, LATE, "en").replace("\u2060", "")  # word joiners: no break in a date
    assert "Change since the previous report" in english and "Data up to 2008-12-31" in english


def test_no_previous_delivery_gives_no_section_at_all(tmp_path):
    from analysis.pipeline.notebook import NotebookContext
    from analysis.report.change import section_html

    root = _repo(tmp_path)
    early = load_project(root / "data" / "raw" / PROJECT, EARLY)
    assert section_html(NotebookContext(project=early, lang="sv", root=root)) is None
    flat = load_project(ROOT / "data" / "raw" / "barnfamiljer-goteborg")
    assert section_html(NotebookContext(project=flat, lang="sv", root=ROOT)) is None


# --- built: c2-lycksele's two deliveries --------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from analysis.pipeline.runner import run_reports

    root = _repo(tmp_path_factory.mktemp("deliveries"))
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    mp.setenv("FOLJEVAL_KEY", "")
    runs = run_reports([PROJECT], root=root, pdf=False, other_language=False)
    assert [r.ok for r in runs] == [True], [r.message for r in runs]
    assert runs[0].delivery == LATE and runs[0].earlier == [f"delivery {EARLY}: 10 steps run"]
    yield root
    mp.undo()


def _tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(skip)
    }


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_each_delivery_has_its_report_and_the_newest_is_also_at_the_usual_place(built):
    base = built / "reports" / PROJECT
    for d in (EARLY, LATE):
        assert (base / d / "report.html").is_file() and (base / d / "results.json").is_file()
        assert (built / "data" / "processed" / PROJECT / d / "manifest.json").is_file()
        assert _json(base / d / "results.json")["participants"]["flow"]["data_end"] == d
    for name in ("report.html", "results.json", "steps.json", "run.json"):
        assert (base / name).read_bytes() == (base / LATE / name).read_bytes(), name
        assert not (base / name).is_symlink()
    # the later delivery's numbers are those of the single delivery before the split (same data)
    early, late = (_json(base / d / "results.json") for d in (EARLY, LATE))
    assert late["participants"]["flow"]["rows"]["enrolled"]["count"] == 154
    assert early["participants"]["flow"]["rows"]["enrolled"]["count"] < 154
    raw = built / "data" / "raw" / PROJECT
    for d in (EARLY, LATE):  # raw is never written
        for f in (raw / d).iterdir():
            assert f.read_bytes() == (ROOT / "data" / "raw" / PROJECT / d / f.name).read_bytes()


@pytest.mark.slow
def test_the_record_holds_the_fingerprint_commit_and_published_numbers_never_the_key(built):
    text = (built / "reports" / PROJECT / "deliveries.json").read_text(encoding="utf-8")
    record = json.loads(text)["deliveries"]
    assert [e["data_end"] for e in record] == [EARLY, LATE]
    assert {e["key_fingerprint"] for e in record} == {key_fingerprint(DEMO_KEY)}
    assert DEMO_KEY.decode() not in text and DEMO_KEY.hex() not in text
    for e in record:
        results = _json(built / "reports" / PROJECT / e["data_end"] / "results.json")
        assert e["published"] == json.loads(json.dumps(headline_numbers(results)))
        assert "built_at_commit" in e


def _change_table(page: str) -> dict[str, list[str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    section = soup.select_one(".fe-change-section")
    assert section is not None, "no change section"
    return {tr["data-change"]: [c.get_text(strip=True) for c in tr.find_all("td")] for tr in section.select("tr")[1:]}


@pytest.mark.slow
def test_the_change_section_shows_the_two_deliveries_results(built):
    from analysis.report.format import formatter
    from analysis.report.i18n import t

    base = built / "reports" / PROJECT
    page = (base / "report.html").read_text(encoding="utf-8")
    assert "Förändring sedan förra rapporten" in page
    table = _change_table(page)
    early, late = (_json(base / d / "results.json") for d in (EARLY, LATE))
    f = formatter("sv")
    flow = [r["participants"]["flow"]["rows"] for r in (early, late)]
    for key in ("enrolled", "exited"):
        a, b = flow[0][key]["count"], flow[1][key]["count"]
        assert table[key] == [f.count(a), f.count(b), f.number(b - a, 0, sign=True)], key
    wos = [r["outcomes"]["work_or_study"]["rows"]["exit"]["among_all"]["share"] for r in (early, late)]
    assert table["work_or_study_exit"][:2] == [f.percent(wos[0]), f.percent(wos[1])]
    assert table["work_or_study_exit"][2] == f"{f.pp(wos[1] - wos[0], sign=True)} {t('rep_pp', 'sv')}"
    rows = [r["targets"]["table"]["rows"]["action_plan"] for r in (early, late)]
    assert table["targets.action_plan"][0].startswith(f.percent(rows[0]["value"]))
    assert table["targets.action_plan"][1].startswith(f.percent(rows[1]["value"]))
    assert "Ändrad metod" not in page  # recomputed = published
    # the earlier delivery has no previous one: no section, not an empty heading
    assert "Förändring sedan förra rapporten" not in (base / EARLY / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_index_shows_the_trend_as_an_accessible_figure_with_its_numbers(built):
    from bs4 import BeautifulSoup

    from analysis.report.format import formatter

    soup = BeautifulSoup((built / "reports" / "index.html").read_text(encoding="utf-8"), "html.parser")
    figure = soup.select_one(f'figure.fe-trend[data-project="{PROJECT}"]')
    svg = figure.find("svg")
    assert svg["role"] == "img" and svg.find("title").get_text() and svg.find("desc").get_text()
    assert set(svg["aria-labelledby"].split()) == {svg.find("title")["id"], svg.find("desc")["id"]}
    f = formatter("sv")
    shares = [
        _json(built / "reports" / PROJECT / d / "results.json")["outcomes"]["work_or_study"]["rows"]["exit"][
            "among_all"
        ]["share"]
        for d in (EARLY, LATE)
    ]
    cells = [
        [c.get_text(strip=True).replace("\u2060", "") for c in tr.find_all(["th", "td"])]
        for tr in figure.select("tbody tr")
    ]
    assert cells == [[EARLY, f.percent(shares[0])], [LATE, f.percent(shares[1])]]
    assert all(f.percent(s) in svg.find("desc").get_text() for s in shares)


@pytest.mark.slow
def test_building_an_older_delivery_leaves_the_newest_at_the_usual_place_alone(built):
    base = built / "reports" / PROJECT
    usual = _tree(base, skip=(f"{EARLY}/",))
    old = _tree(base / EARLY)
    result = _cli(built, "report", PROJECT, "--delivery", EARLY, "--force", "--no-pdf", "--one-language")
    assert result.exit_code == 0, result.output
    assert f"ok {PROJECT} (delivery {EARLY}): 10 of 10 steps run" in " ".join(result.output.split())
    assert _tree(base, skip=(f"{EARLY}/",)) == usual  # not even rewritten
    rebuilt = _tree(base / EARLY)
    assert rebuilt.keys() == old.keys() and rebuilt["report.html"][1] != old["report.html"][1]
    assert {k: v[0] for k, v in rebuilt.items()} == {k: v[0] for k, v in old.items()}  # the same bytes


@pytest.mark.slow
def test_a_different_key_is_refused_with_a_message_and_changes_nothing(built, monkeypatch):
    base = built / "reports" / PROJECT
    before = _tree(base)
    monkeypatch.setenv("FOLJEVAL_KEY", OTHER_KEY)
    result = _cli(built, "report", PROJECT, "--no-pdf", "--one-language")
    text = _one_message(result)
    assert result.exit_code == 1 and "REFUSED" in text and "pseudonym" in text and "--new-key" in text
    assert OTHER_KEY not in text and key_fingerprint(OTHER_KEY.encode()) in text
    assert _tree(base) == before


@pytest.mark.slow
def test_a_published_figure_that_differs_from_the_recomputed_one_is_named_a_change_of_method(built):
    base = built / "reports" / PROJECT
    path = base / "deliveries.json"
    saved = path.read_text(encoding="utf-8")
    data = json.loads(saved)
    early = next(e for e in data["deliveries"] if e["data_end"] == EARLY)
    recomputed = early["published"]["enrolled"]
    early["published"]["enrolled"] = recomputed - 3  # as if the report of December had said 3 fewer
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        result = _cli(built, "report", PROJECT, "--no-pdf", "--one-language")
        assert result.exit_code == 0, result.output
        assert "summary" in result.output and "previous_delivery changed" in result.output
        page = (base / "report.html").read_text(encoding="utf-8")
        assert "Ändrad metod" in page
        assert f"Inskrivna deltagare: publicerat {recomputed - 3}, omräknat {recomputed}" in page
        # the table shows the recomputed number, not the published one
        assert _change_table(page)["enrolled"][0] == str(recomputed)
        # rebuilding the earlier delivery does not overwrite what was published for it
        assert json.loads(path.read_text(encoding="utf-8"))["deliveries"][0]["published"]["enrolled"] == recomputed - 3
    finally:
        path.write_text(saved, encoding="utf-8")


@pytest.mark.slow
def test_new_key_rebuilds_every_delivery_with_the_key_in_use(built, monkeypatch):
    """Last of the built tests: it changes every delivery's pseudonyms."""
    monkeypatch.setenv("FOLJEVAL_KEY", OTHER_KEY)
    result = _cli(built, "report", PROJECT, "--new-key", "--no-pdf", "--one-language")
    assert result.exit_code == 0, result.output
    assert f"delivery {EARLY}: 10 steps run" in result.output
    record = _json(built / "reports" / PROJECT / "deliveries.json")["deliveries"]
    assert {e["key_fingerprint"] for e in record} == {key_fingerprint(OTHER_KEY.encode())}
    # the numbers do not depend on the key; the pseudonyms do
    for d in (EARLY, LATE):
        results = _json(built / "reports" / PROJECT / d / "results.json")
        assert next(e for e in record if e["data_end"] == d)["published"] == json.loads(
            json.dumps(headline_numbers(results))
        )
    again = _cli(built, "report", PROJECT, "--no-pdf", "--one-language")  # the new key is now the project's
    assert again.exit_code == 0 and "up to date" in again.output, again.output


@pytest.mark.slow
def test_a_failed_earlier_delivery_stops_the_build_and_the_index_shows_it(tmp_path, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.setenv("FOLJEVAL_KEY", "")
    (root / "data" / "raw" / PROJECT / EARLY / "deltagare.csv").write_bytes(b"Personnummer;Startdatum\n")  # no rows
    result = _cli(root, "report", PROJECT, "--no-pdf", "--one-language")
    text = _one_message(result)
    assert result.exit_code == 1 and f"FAILED {PROJECT} (delivery {LATE}): the earlier delivery {EARLY} failed" in text
    base = root / "reports" / PROJECT
    assert (base / EARLY / "error.html").is_file() and (base / "error.html").is_file()
    assert not (base / LATE).exists() and not (base / "report.html").exists()
    assert _json(base / "run.json")["ok"] is False


def test_comparison_rows_leave_out_what_neither_delivery_has():
    rows = comparison_rows(headline_numbers(_results(50, 40, 0.5)), headline_numbers(_results(60, 52, 0.55)), {}, "en")
    assert [r.key for r in rows] == ["enrolled", "exited", "work_or_study_exit"]


def test_a_count_that_changed_by_fewer_than_min_cell_persons_shows_the_marker():
    from bs4 import BeautifulSoup

    before, after = _results(57, 40, 0.5), _results(60, 52, 0.55)
    after["project"] = {"min_cell": 5}
    page = change_html(after, before, EARLY, LATE, "sv")
    cells = {
        tr["data-change"]: [c.get_text(strip=True) for c in tr.find_all("td")]
        for tr in BeautifulSoup(page, "html.parser").select("tr[data-change]")
    }
    assert cells["enrolled"] == ["57", "60", "<5"]  # three persons enrolled since: a small group, not "+3"
    assert cells["exited"] == ["40", "52", "+12"]
