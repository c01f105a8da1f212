"""The second half of the 1000-input whole-file fuzz run (see test_fuzz_files.py; a file of its own so that
pytest-xdist, distributing by file, runs both halves at once)."""

from __future__ import annotations

import pytest

from test_fuzz_files import FULL, fuzz


@pytest.mark.fuzz
@pytest.mark.fuzz_long
def test_whole_files_second_half_of_the_thousand(tmp_path):
    fuzz(tmp_path, FULL - FULL // 2, stream=1402)
