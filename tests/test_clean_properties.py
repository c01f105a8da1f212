"""Property-based: malformed files and rows give a clear error or a quarantined row, never a crash."""

from __future__ import annotations

import datetime as dt
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.clean.run import clean_project
from analysis.project.config import load_project
from analysis.project.errors import FoljevalError
from conftest import make_pnr

YML = """
name: P
owner: O
period: {start: 2020-01-01, end: 2021-12-31}
synthetic: true
files:
  participants: {path: d.csv}
  status_monthly: {path: s.csv}
"""

valid_ids = st.builds(
    lambda d, s, f, sep, n: make_pnr(d, s, f, sep=sep, digits=n),
    st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31)),
    st.integers(0, 99),
    st.booleans(),
    st.sampled_from(["-", ""]),
    st.sampled_from([10, 12]),
)
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=';\r\n"\x00'), max_size=12)
dates = st.one_of(
    st.dates(dt.date(2019, 1, 1), dt.date(2022, 12, 31)).map(str),
    st.sampled_from(["20200301", "200301", "43891", "2020-02-30", "", "  ", "1.3.2020", "2020-03-01 00:00"]),
    junk,
)
labels = st.one_of(st.sampled_from(["Kvinna", "Man", "kvinna", "", "K", "Okänt", "Arbete", "Studier", "x"]), junk)
numbers = st.one_of(st.sampled_from(["12", "12,5", "1 200", "", "-1", "1e3", "abc"]), junk)


@st.composite
def participant_rows(draw):
    return ";".join(
        [draw(st.one_of(valid_ids, junk)), draw(labels), draw(dates), draw(dates), draw(labels), draw(numbers)]
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(participant_rows(), min_size=0, max_size=15),
    panel=st.lists(
        st.tuples(
            st.one_of(valid_ids, junk),
            st.sampled_from(["2020-01", "202002", "2020-13", "", "x"]),
            st.sampled_from(["arbete", "study", "", "???"]),
        ),
        max_size=10,
    ),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_never_an_uncaught_exception(tmp_path_factory, rows, panel, encoding):
    d = tmp_path_factory.mktemp("p")
    (d / "project.yml").write_text(textwrap.dedent(YML), encoding="utf-8")
    header = "Personnummer;Kön;Startdatum;Slutdatum;Avslutsorsak;Månader med försörjning"
    (d / "d.csv").write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding, errors="replace"))
    (d / "s.csv").write_text(
        "\n".join(["person_id;month;status", *[";".join(r) for r in panel]]) + "\n", encoding="utf-8"
    )
    try:
        result = clean_project(load_project(d))
    except FoljevalError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    assert result.balanced
    for f in result.files:
        assert f.rows_kept + f.rows_rejected == f.rows_read


@settings(max_examples=25, deadline=None)
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_give_a_clear_error_or_a_result(tmp_path_factory, content):
    d = tmp_path_factory.mktemp("b")
    (d / "project.yml").write_text(
        textwrap.dedent(YML).replace("  status_monthly: {path: s.csv}\n", ""), encoding="utf-8"
    )
    (d / "d.csv").write_bytes(content)
    try:
        result = clean_project(load_project(d))
    except FoljevalError as e:
        assert "d.csv" in str(e)
        return
    assert result.balanced
