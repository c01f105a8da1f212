"""project.yml problems in words an evaluator can act on: the field path, what is wrong, what is allowed.

Two kinds of checks: pydantic's (types, unknown fields), whose errors are rewritten
here so that a target is named by its id (``targets[work_12m].threshold``, not
``targets.0.threshold``) and no model class or pydantic wording shows; and the
mapping checks against the data contract (a ``files.<kind>.columns`` target that is
no column, a ``values`` key that is no category, a code outside its domain), each with
a did-you-mean suggestion.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.project.codes import DOMAINS
from analysis.project.contract import EXCLUDED, IGNORE, columns_of

# Type names pydantic puts in the location of a union's branches (path: str | list[str] -> "path.str").
_TYPE_PARTS = re.compile(r"^(str|int|float|bool|none|list(\[.*\])?|dict(\[.*\])?|literal\[.*\]|function-.*)$", re.I)


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic location as a project.yml field path, list entries named by their id where they have one."""
    parts: list[str] = []
    node = data
    for p in loc:
        if isinstance(p, str) and _TYPE_PARTS.match(p):
            continue
        if isinstance(p, int) and isinstance(node, list):
            item = node[p] if p < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            parts[-1] = f"{parts[-1]}[{ident}]" if ident is not None else f"{parts[-1]}[entry {p + 1}]"
            node = item
            continue
        parts.append(str(p))
        node = node.get(p) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _plain(msg: str) -> str:
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = re.sub(r" or instance of \w+", "", msg)
    msg = msg.replace("Input should be", "should be").replace("Field required", "required field missing")
    return msg


def validation_lines(errors: Sequence[Mapping[str, Any]], data: Any) -> list[str]:
    """One line per pydantic error, as ``  - field.path: message`` (duplicates of a union merged)."""
    out: list[str] = []
    for e in errors:
        msg = _plain(e["msg"])
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see `foljeval new` for every field)"
        line = f"  - {_where(tuple(e['loc']), data)}: {msg}"
        if line not in out:
            out.append(line)
    return out


def _columns_problems(kind: str, spec: Any, extra: set[str]) -> list[str]:
    allowed = {c.name for c in columns_of(kind) if c.read} | extra | {IGNORE}
    out = []
    for raw, target in spec.columns.items():
        if target not in allowed:
            out.append(
                f"  - files.{kind}.columns.{raw}: '{target}' is not a column of {kind}{did_you_mean(target, allowed)} "
                f"(`foljeval contract` lists the columns; '{IGNORE}' drops it)"
            )
    return out


def _values_problems(kind: str, spec: Any) -> list[str]:
    cols = {c.name: c for c in columns_of(kind) if c.read}
    mappable = {n: c for n, c in cols.items() if c.parser == "category" or n == "track"}
    out = []
    for col, mapping in spec.values.items():
        if col not in mappable:
            out.append(
                f"  - files.{kind}.values.{col}: not a column with labels{did_you_mean(col, mappable)} "
                f"(columns with labels: {', '.join(mappable)})"
            )
            continue
        c = mappable[col]
        if c.domain is None:
            continue  # tracks are the project's own (checked against tracks:)
        domain = DOMAINS[c.domain]
        allowed = set(domain.codes) | ({EXCLUDED} if c.domain == "exit_status" else set())
        for label, code in mapping.items():
            codes = code if isinstance(code, list) else [code]
            if len(codes) > 1 and not domain.multi:
                out.append(f"  - files.{kind}.values.{col}.{label}: one code only ({col} holds one value)")
            for one in codes:
                if one not in allowed:
                    out.append(
                        f"  - files.{kind}.values.{col}.{label}: unknown code '{one}'{did_you_mean(one, allowed)} "
                        f"(codes of {col}: {', '.join(sorted(allowed))})"
                    )
    return out


def _kind_only(kind: str, spec: Any) -> list[str]:
    out = []
    if kind != "status_monthly" and spec.domain is not None:
        out.append(f"  - files.{kind}.domain: only a status_monthly panel has a domain")
    if kind != "status_monthly" and spec.layout != "auto":
        out.append(f"  - files.{kind}.layout: only a status_monthly panel can be wide")
    if kind != "participants" and spec.anonymous != "reject":
        out.append(f"  - files.{kind}.anonymous: only the participants file may have anonymous rows")
    if kind != "participants" and spec.episodes != "reject":
        out.append(f"  - files.{kind}.episodes: only the participants file has episodes")
    for fmt in spec.date_formats:
        try:
            dt.datetime.strptime(dt.datetime(2022, 9, 19).strftime(fmt), fmt)
        except ValueError:
            out.append(f"  - files.{kind}.date_formats: '{fmt}' is not a date format (e.g. '%d-%m-%y', '%d %B %Y')")
    return out


def mapping_lines(config: Any) -> list[str]:
    """Every mapping in ``files:`` that does not fit the data contract, one line each (empty: all fit)."""
    extra = set(config.covariates) | set(config.outcomes)
    out: list[str] = []
    for kind, spec in config.files.items():
        out += _columns_problems(kind, spec, extra if kind in ("participants", "comparison") else set())
        out += _values_problems(kind, spec)
        out += _kind_only(kind, spec)
    return out
