"""Every function in src/analysis is at most 60 lines (issue 13), measured by tools/function_lengths.py."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60


def _load_tool():
    spec = importlib.util.spec_from_file_location("function_lengths", ROOT / "tools" / "function_lengths.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


function_lengths = _load_tool()


def test_no_function_in_src_analysis_is_over_60_lines():
    offenders = function_lengths.too_long(LIMIT, ROOT / "src" / "analysis")
    listing = "\n".join(f"{f.module}:{f.function} {f.lines}" for f in offenders)
    assert not offenders, f"functions over {LIMIT} lines:\n{listing}"


def test_counter_sees_a_long_nested_function_and_a_method(tmp_path):
    body = "\n".join(f"        x{i} = {i}" for i in range(LIMIT))
    source = textwrap.dedent(
        """\
        def outer():
            '''Docstring counts.'''
            def inner():
        {body}
            return inner


        class Thing:
            @property
            def short(self):
                return 1
        """
    ).format(body=body)
    (tmp_path / "mod.py").write_text(source)
    lengths = {f.function: f.lines for f in function_lengths.function_lengths(tmp_path)}
    assert lengths["outer.inner"] == LIMIT + 1
    assert lengths["outer"] == LIMIT + 4
    assert lengths["Thing.short"] == 2  # the decorator line is not counted
    assert [f.function for f in function_lengths.too_long(LIMIT, tmp_path)] == ["outer", "outer.inner"]
    assert function_lengths.main(["--max", str(LIMIT), "--root", str(tmp_path)]) == 1
    assert function_lengths.main(["--max", str(LIMIT + 4), "--root", str(tmp_path)]) == 0
