"""The Examples in the docstrings run: every module of the package is doctested (an Example that
needs a built project is marked ``+SKIP``), so a documented call cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import analysis

PACKAGE = Path(analysis.__file__).parent
# every module file (the stage folders are namespace packages, which pkgutil does not walk)
MODULES = sorted(
    ".".join(("analysis", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run: python -m doctest -v)"


def test_the_public_entry_points_have_a_running_example():
    finder = doctest.DocTestFinder()
    entry_points = {
        "analysis.clean.identity": "parse_personnummer",
        "analysis.survival.km": "kaplan_meier",
        "analysis.survival.cox": "cox_ph",
        "analysis.effects.estimators": "ipw_att",
        "analysis.disclosure.intervals": "wilson_interval",
    }
    for module_name, func in entry_points.items():
        obj = getattr(importlib.import_module(module_name), func)
        tests = finder.find(obj, func)
        runnable = [e for t in tests for e in t.examples if not e.options.get(doctest.SKIP)]
        assert runnable, f"{module_name}.{func} has no running Example"
