"""Whole-file fuzzing: generated input files through the cleaning step and what `foljeval check` prints.

Each input (``tests/fuzz_files.py``: csv and xlsx exports with broken structure, encodings and
bytes, huge cells, formulas, dates as numbers, mixed types, personnummer planted in ids, labels,
free text, headers, file and sheet names; and fuzzed project.yml files) must be cleaned or
refused with a FoljevalError naming the file; every raw row kept or quarantined; no planted
personnummer in any output. Any other exception fails the test, so a catch-all cannot pass it.

The 1000-input run (two halves, marker ``fuzz_long``) is ``make test-fuzz``, which CI (``.ci/run``) runs
after ``make test``; ``make test`` runs the 60-input slice of another seed (marker ``fuzz``) and keeps
under five minutes; ``make test-fast`` runs no fuzzing. Longer runs are ``benchmarks/fuzz/run.py``. Inputs come from fixed seeds: the same
inputs on every run, so a failure here is reproducible (and goes into the crash corpus with its fix).
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, seed, settings

import fuzz_files as ff

FULL, QUICK = 1000, 60  # the full run is two halves (this file and test_fuzz_files_more.py: xdist runs both at once)


def fuzz(tmp_path, n: int, stream: int) -> None:
    """``n`` generated inputs of the fixed stream ``stream`` (the same inputs on every run)."""
    counter = [0]

    @seed(stream)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=ff.cases())
    def one(case: ff.Case) -> None:
        counter[0] += 1
        folder = tmp_path / f"case{counter[0]}"
        try:
            ff.run_case(case, folder)
        except ff.Crash as crash:
            raise AssertionError(f"{crash}\n  input: {ff.describe(case)}") from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    one()
    assert counter[0] >= n


@pytest.mark.fuzz
@pytest.mark.fuzz_long
def test_whole_files_first_half_of_the_thousand(tmp_path):
    fuzz(tmp_path, FULL // 2, stream=1401)


@pytest.mark.fuzz  # in `make test`; the thousand is `make test-fuzz`; `make test-fast` has no fuzzing
def test_whole_files_quick_slice(tmp_path):
    fuzz(tmp_path, QUICK, stream=1400)
