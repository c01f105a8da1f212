"""Measure function and module lengths under src/analysis.

A function's length is counted with the AST as ``end_lineno - lineno + 1`` of its
``def`` node: the docstring is included, decorators are not, and a nested function
counts on its own (and inside its parent). The project rule is at most 60 lines.

Usage::

    python tools/function_lengths.py            # every function, longest first
    python tools/function_lengths.py --max 60   # exit 1 listing functions over 60 lines
    python tools/function_lengths.py --modules  # module line counts, longest first
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "analysis"


class FunctionLength(NamedTuple):
    """One function's place and length."""

    module: str
    function: str
    lines: int


def _module_name(path: Path, root: Path) -> str:
    """The path of a source file relative to the package root, as shown in the tables."""
    return path.relative_to(root).as_posix()


def _functions_in(tree: ast.AST, module: str) -> list[FunctionLength]:
    """Every function and method in one parsed module, named by its dotted place (Class.method, outer.inner)."""
    found: list[FunctionLength] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                end = child.end_lineno if child.end_lineno is not None else child.lineno
                found.append(FunctionLength(module, name, end - child.lineno + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def function_lengths(root: Path = PACKAGE) -> list[FunctionLength]:
    """Every function under ``root``, longest first (ties by module and name)."""
    found: list[FunctionLength] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.extend(_functions_in(tree, _module_name(path, root)))
    return sorted(found, key=lambda f: (-f.lines, f.module, f.function))


def module_lengths(root: Path = PACKAGE) -> list[tuple[str, int]]:
    """Line count of every module under ``root``, longest first."""
    sizes = [
        (_module_name(path, root), len(path.read_text(encoding="utf-8").splitlines()))
        for path in sorted(root.rglob("*.py"))
    ]
    return sorted(sizes, key=lambda item: (-item[1], item[0]))


def too_long(limit: int, root: Path = PACKAGE) -> list[FunctionLength]:
    """The functions under ``root`` longer than ``limit`` lines, longest first."""
    return [f for f in function_lengths(root) if f.lines > limit]


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows as a plain text table, the last column right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths[:-1])]
        cells.append(str(row[-1]).rjust(widths[-1]))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the requested table; with ``--max`` return 1 when a function is longer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=None, help="list only functions longer than this; exit 1 if any")
    parser.add_argument("--modules", action="store_true", help="print module line counts instead")
    parser.add_argument("--root", type=Path, default=PACKAGE, help="package directory to measure")
    args = parser.parse_args(argv)
    if args.modules:
        sizes = module_lengths(args.root)
        print(_table([(m, str(n)) for m, n in sizes], ("module", "lines")))
        return 0
    functions = too_long(args.max, args.root) if args.max is not None else function_lengths(args.root)
    if functions:
        print(_table([(f.module, f.function, str(f.lines)) for f in functions], ("module", "function", "lines")))
    if args.max is not None:
        print(f"{len(functions)} function(s) longer than {args.max} lines", file=sys.stderr)
        return 1 if functions else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
