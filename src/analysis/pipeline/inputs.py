"""Fingerprints of a step's inputs (see :mod:`analysis.pipeline.steps` for what they are).

Every input becomes one SHA-256 hex string under a name that says what it is
(``raw:deltagare.csv``, ``config:survey.items.*.text_sv``, ``upstream:clean``, ...), so that
a rerun can say *which* input changed. Nothing here imports pandas or the notebooks'
libraries: deciding that a project is up to date costs a few file hashes.

The code version of a step is the set of ``analysis`` source files it can run: the modules
its notebook imports and, transitively, everything they import (from the syntax tree,
imports inside functions included), their parent packages, and the resource files those
modules name in a string literal (``"i18n"`` claims ``resources/i18n/*.yml``). The
installed distributions (name and version of every ``*.dist-info``) and the Python
version are one more input of every step.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from analysis.clean.identity import mask_personnummer

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/analysis
PACKAGE = PACKAGE_DIR.name
# The module that executes and scrubs every notebook: its source (not what it imports) is an
# input of every step.
RUNNER_MODULES = ("analysis.pipeline.kernel",)
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+(analysis[\w.]*)\s+import\s+([\w, ()]+)|import\s+(analysis[\w.]*))", re.M)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(value: Any) -> str:
    """The hash of a JSON-able value, independent of key order."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def files_digest(folder: Path, prefix: str = "") -> dict[str, str]:
    """``{prefix + relative path: sha256}`` of every file under ``folder`` (empty when missing)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {prefix + p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- project.yml by key
def select(data: Any, path: str) -> Any:
    """The part of ``data`` (project.yml as JSON) at a dotted ``path``; ``*`` maps over a list or mapping.

    Example
    -------
    >>> select({"survey": {"items": [{"id": "q1", "text_sv": "A"}]}}, "survey.items.*.id")
    ['q1']
    """
    head, _, rest = path.partition(".")
    if head == "*":
        if isinstance(data, list):
            return [select(x, rest) if rest else x for x in data]
        if isinstance(data, dict):
            return {k: select(v, rest) if rest else v for k, v in data.items()}
        return None
    if not isinstance(data, dict) or head not in data:
        return None
    return select(data[head], rest) if rest else data[head]


def config_inputs(config_json: Mapping[str, Any], keys: Iterable[str]) -> dict[str, str]:
    """``{"config:<key>": hash}`` for the fields a step reads (validated values, defaults filled in)."""
    return {f"config:{k}": sha256_json(select(config_json, k)) for k in keys}


# --------------------------------------------------------------------------- raw files and the key
def raw_inputs(raw_dir: Path, files: Mapping[str, Any]) -> dict[str, str]:
    """``{"raw:<file>": sha256}`` of the raw files named in project.yml's ``files:`` (``missing`` if absent)."""
    out: dict[str, str] = {}
    for spec in files.values():
        path = Path(raw_dir) / spec["path"]
        # steps.json is published beside the report: a file name may carry a personnummer
        name = f"raw:{mask_personnummer(str(spec['path']))}"
        while name in out:  # two names masked alike stay two inputs
            name += "+"
        out[name] = sha256_file(path) if path.is_file() else "missing"
    return out


def text_inputs(raw_dir: Path, file_of: Callable[[str], str]) -> dict[str, str]:
    """``{"text:<file>": sha256}`` of the evaluator's text files (``missing`` if absent), one per point."""
    from analysis.project.config import TEXT_FILES, TEXT_FOLDER

    out: dict[str, str] = {}
    for point in TEXT_FILES:
        # the original and its translations (text/<lang>/<file>, for the report in the other language)
        for sub in ("", "sv/", "en/"):
            path = Path(raw_dir) / TEXT_FOLDER / f"{sub}{file_of(point)}"
            if sub and not path.is_file():
                continue  # an absent translation is not an input: the key set stays as it was without one
            out[f"text:{sub}{mask_personnummer(path.name)}"] = sha256_file(path) if path.is_file() else "missing"
    return out


def key_fingerprint(synthetic: bool, env: Mapping[str, str], root: Path) -> str:
    """A keyed fingerprint of the pseudonymisation key and where it came from (never the key itself).

    A key that cannot be found gives a fingerprint of the reason, so the cleaning step runs and
    reports it.
    """
    from analysis.clean.identity import key_fingerprint as public_fingerprint
    from analysis.clean.identity import resolve_key
    from analysis.project.errors import FoljevalError

    try:
        key, source = resolve_key(synthetic, env, root)
    except FoljevalError as e:
        return sha256_bytes(f"no key: {e}".encode())
    # the key's one public fingerprint (as recorded per delivery) and where it came from
    return sha256_bytes(f"{public_fingerprint(key)}|{source}".encode())


# --------------------------------------------------------------------------- notebooks
def notebook_digest(path: Path) -> str:
    """The hash of what papermill executes and copies: cells (source, type, metadata, attachments) and
    the notebook's metadata, not the outputs or execution counts a hand run may have saved."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [{k: v for k, v in c.items() if k not in ("outputs", "execution_count")} for c in nb.get("cells", [])]
    return sha256_json({"metadata": nb.get("metadata", {}), "nbformat": nb.get("nbformat"), "cells": cells})


def notebook_imports(path: Path) -> set[str]:
    """The ``analysis`` modules a notebook's code cells import."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        try:
            found |= _imports_in(ast.parse(source), [])
        except SyntaxError:  # IPython magics: fall back to the import lines
            for m in _IMPORT_LINE.finditer(source):
                if m.group(3):
                    found.add(m.group(3))
                else:
                    names = [n.strip(" ()") for n in m.group(2).split(",")]
                    found |= {_module_or_attr(m.group(1), n) for n in names if n}
    return found


# --------------------------------------------------------------------------- the package's source
def module_file(module: str) -> Path | None:
    """The source file of an ``analysis`` module (``__init__.py`` for a package), None if there is none."""
    base = PACKAGE_DIR.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_or_attr(module: str, name: str) -> str:
    sub = f"{module}.{name}"
    return sub if module_file(sub) is not None else module


def _imports_in(tree: ast.AST, package: list[str]) -> set[str]:
    """The ``analysis`` modules imported anywhere in a syntax tree (used for notebook cells)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            mod = _absolute(node.module or "", node.level, package)
            if mod.split(".")[0] == PACKAGE:
                found |= {_module_or_attr(mod, a.name) for a in node.names}
    return found


def _absolute(module: str, level: int, package: list[str]) -> str:
    if not level:
        return module
    base = package[: len(package) - level + 1]
    return ".".join(base + ([module] if module else []))


# Import statements and quoted names, found in the source text: a regular expression is ten
# times faster than a syntax tree here, and may only find too much (an import quoted in a
# docstring), never too little (tests/test_steps.py compares it with the syntax tree).
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.M)
_IMPORT = re.compile(
    r"^[ \t]*import[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*)", re.M
)
_QUOTED = re.compile(r"[\"']([\w.\-]+)[\"']")


def source_imports(text: str, package: list[str]) -> set[str]:
    """The ``analysis`` modules a module's source imports (functions included), found by pattern."""
    found: set[str] = set()
    for m in _FROM.finditer(text):
        mod = _absolute(m.group(2), len(m.group(1)), package)
        if mod.split(".")[0] != PACKAGE:
            continue
        names = [n.split()[0] for n in m.group(3).strip("()").replace("\n", ",").split(",") if n.strip()]
        found |= {_module_or_attr(mod, n) for n in names if n.isidentifier()}
    for m in _IMPORT.finditer(text):
        found |= {n.split()[0] for n in m.group(1).split(",") if n.split()[0].split(".")[0] == PACKAGE}
    return found


@cache
def _parsed(path: Path, mtime_ns: int, size: int) -> tuple[frozenset[str], frozenset[str], str]:
    """(imported modules, quoted names, sha256) of one source file; cached per file version."""
    data = path.read_bytes()
    text = data.decode("utf-8")
    package = list(path.relative_to(PACKAGE_DIR.parent).parts[:-1])  # a module's package, or the package itself
    return frozenset(source_imports(text, package)), frozenset(_QUOTED.findall(text)), sha256_bytes(data)


def _source(path: Path) -> tuple[frozenset[str], frozenset[str], str]:
    st = path.stat()
    return _parsed(path, st.st_mtime_ns, st.st_size)


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def module_closure(modules: Iterable[str]) -> set[str]:
    """Every ``analysis`` module that importing ``modules`` can run (imports followed transitively)."""
    todo, seen = list(modules), set()
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        path = module_file(mod)
        if path is None:
            continue
        seen.add(mod)
        imports, _, _ = _source(path)
        todo.extend(imports)
        todo.extend(_parents(mod))
    return seen


def data_files() -> list[Path]:
    """The package's resource files (everything under src/analysis that is not Python)."""
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )


def _folders(path: Path) -> set[str]:
    """The folders between a resource file and the nearest package (``resources/i18n/common.yml``:
    ``resources`` and ``i18n``)."""
    names, folder = set(), path.parent
    while folder != PACKAGE_DIR and not (folder / "__init__.py").is_file():
        names.add(folder.name)
        folder = folder.parent
    return names


def claimed_data_files(modules: Iterable[str]) -> set[Path]:
    """The resource files that ``modules`` refer to: a string literal names the file, or string literals
    name every folder on its way (``"resources" / "i18n"`` claims ``resources/i18n/*.yml``)."""
    literals: set[str] = set()
    for mod in modules:
        path = module_file(mod)
        if path is not None:
            literals |= _source(path)[1]
    return {p for p in data_files() if p.name in literals or _folders(p) <= literals}


def code_files(modules: Iterable[str], single: Iterable[str] = RUNNER_MODULES) -> dict[str, str]:
    """``{path relative to src/: sha256}`` of the source and resource files of ``modules``' closure,
    and of the ``single`` modules themselves (without what they import)."""
    closure = module_closure(modules)
    files = {module_file(m) for m in (*closure, *single)} | claimed_data_files(closure)
    out = {}
    for p in sorted(f for f in files if f is not None):
        rel = p.relative_to(PACKAGE_DIR.parent).as_posix()
        out[rel] = _source(p)[2] if p.suffix == ".py" else sha256_file(p)
    return out


def environment_digest() -> str:
    """Python's version and the name and version of every installed distribution."""
    names: set[str] = set()
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names |= {e.name for e in it if e.name.endswith((".dist-info", ".egg-info"))}
        except OSError:
            continue
    return sha256_json({"python": sys.version, "distributions": sorted(names)})
