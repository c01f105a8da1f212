"""The package's layout shows the pipeline: imports point one way, from a stage to the stages below it.

Every import of the package's own modules is collected from the syntax tree, including
imports inside functions (a lazy import is still a dependency), and checked against the
stage order. A test of the checker itself plants an upward import and a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"

# Stages from the bottom up. A module may import its own stage and the stages below it.
# Stages on the same level (effects, survival) must not import each other.
STAGES: dict[str, int] = {
    "": 0,  # analysis/__init__.py: the version only
    "project": 1,  # project.yml models, codes, the contract, dates, paths, errors
    "clean": 2,  # raw exports -> processed tables (the only reader of raw data)
    "disclosure": 3,  # small-count protection and the intervals published with it
    "tables": 4,  # participants, outcomes, targets, survey (from processed tables)
    "effects": 5,  # outcome effects against a comparison group
    "survival": 5,  # spells and survival in work or study
    "payback": 6,  # socio-economic payback priced from the effects
    "report": 7,  # everything that renders a page: sections, merge, export, index, scan
    "pipeline": 8,  # the runner, the notebook context and the command line
}


def module_name(path: Path, root: Path = SRC) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, root: Path = SRC) -> list[tuple[str, int]]:
    """Every ``analysis.*`` module imported anywhere in ``path`` (functions included), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == root.name]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != root.name:
                continue
            for a in node.names:  # `from analysis.clean import identity` imports a module
                sub = f"{mod}.{a.name}"
                is_module = (root.parent / Path(*sub.split("."))).with_suffix(".py").is_file() or (
                    root.parent / Path(*sub.split("."))
                ).is_dir()
                found.append((sub if is_module else mod, node.lineno))
    return found


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else ""


def graph(root: Path = SRC) -> dict[str, list[tuple[str, int]]]:
    return {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}


def violations(root: Path = SRC) -> list[str]:
    out = []
    for mod, deps in graph(root).items():
        s = stage_of(mod)
        for dep, line in deps:
            d = stage_of(dep)
            if d == s:
                continue
            if STAGES[d] > STAGES[s] or STAGES[d] == STAGES[s]:
                out.append(f"{mod} (line {line}) imports {dep}: stage '{s or 'analysis'}' may not import '{d}'")
    return out


def cycles(root: Path = SRC) -> list[list[str]]:
    g = {m: sorted({d for d, _ in deps if d != m}) for m, deps in graph(root).items()}
    # a package's __init__ re-exporting its modules is not a cycle with the modules it exports
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in g.get(m, []):
            if m.startswith(d + "."):  # a module importing its own package's __init__
                continue
            if state.get(d) == 1:
                found.append(stack[stack.index(d) :] + [d])
            elif d in g and not state.get(d):
                visit(d)
        stack.pop()
        state[m] = 2

    for m in g:
        if not state.get(m):
            visit(m)
    return found


def test_every_top_level_package_is_a_stage():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages <= set(STAGES), f"packages without a stage: {sorted(packages - set(STAGES))}"
    loose = sorted(p.name for p in SRC.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules outside a stage: {loose}"


def test_imports_point_down_the_stages():
    assert violations() == []


def test_every_imported_module_exists():
    missing = []
    for mod, deps in graph().items():
        for dep, line in deps:
            path = SRC.parent / Path(*dep.split("."))
            if not (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()):
                missing.append(f"{mod} (line {line}) imports {dep}, which does not exist")
    assert missing == []


def test_no_import_cycles():
    assert cycles() == []


def test_examples_are_not_in_the_installed_package():
    assert not (SRC / "synthetic").exists()
    assert (SRC.parents[1] / "examples" / "__main__.py").is_file()


@pytest.fixture
def broken_package(tmp_path: Path) -> Path:
    root = tmp_path / "analysis"
    for sub in ("project", "clean", "report"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "project" / "config.py").write_text("def f():\n    from analysis.report import page  # upward, lazy\n")
    (root / "report" / "page.py").write_text("from analysis.clean import a\n")
    (root / "clean" / "a.py").write_text("from . import b\n")
    (root / "clean" / "b.py").write_text("def g():\n    from analysis.clean import a\n")
    return root


def test_checker_finds_a_lazy_upward_import_and_a_cycle(broken_package: Path):
    v = violations(broken_package)
    assert any("analysis.project.config (line 2) imports analysis.report.page" in x for x in v), v
    assert any({"analysis.clean.a", "analysis.clean.b"} <= set(c) for c in cycles(broken_package))
