"""Raw headers -> canonical column names: the project.yml mapping first, then the contract's dictionary.

Every header of a source is either recognised (and how: project.yml, the
dictionary, a covariate/outcome name, a month of a wide file) or ignored (and
why), so that ``check`` can show exactly what was understood.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pandas as pd

from analysis.clean import labels
from analysis.clean.readers import ROW
from analysis.project.config import FileSpec
from analysis.project.contract import IGNORE, header_aliases
from analysis.project.dates import parse_month
from analysis.project.errors import ConfigError


@dataclass
class HeaderMap:
    """How one source's headers were understood."""

    recognised: dict[str, str] = field(default_factory=dict)  # raw header -> canonical column
    how: dict[str, str] = field(default_factory=dict)  # raw header -> "project.yml" | "dictionary" | ...
    ignored: dict[str, str] = field(default_factory=dict)  # raw header -> why
    months: dict[str, pd.Timestamp] = field(default_factory=dict)  # wide file: raw header -> month


def month_header(header: str) -> pd.Timestamp | None:
    """The month a wide file's column stands for (``202201``, ``2022-01``, ``jan 2022``), else None."""
    text = str(header).strip()
    if not any(ch.isdigit() for ch in text) or len(text) > 20:
        return None
    parsed, bad = parse_month(pd.Series([text], dtype=object))
    return None if bad.iloc[0] or pd.isna(parsed.iloc[0]) else parsed.iloc[0]


def recogniser(spec: FileSpec, kind: str, extra: list[str]):
    """``recognise(header) -> bool`` for header detection: a header this kind's mapping would take."""
    mapped = {labels.normalise(k) for k in spec.columns}
    extra_norm = {labels.normalise(e) for e in extra}
    wide = kind == "status_monthly" and spec.layout != "long"

    def recognise(header: str) -> bool:
        n = labels.normalise(header)
        return (
            n in mapped
            or labels.canonical_header(header, kind) is not None
            or n in extra_norm
            or (wide and month_header(header) is not None)
        )

    return recognise


def map_headers(
    df: pd.DataFrame, spec: FileSpec, kind: str, extra: list[str], label: str
) -> tuple[pd.DataFrame, HeaderMap]:
    """Rename raw headers to canonical names: project.yml mapping first, then the dictionary.

    Raises
    ------
    ConfigError
        When project.yml maps a header the file does not have (with the closest header), or two
        headers map to one column.
    """
    hm = HeaderMap()
    extra_norm = {labels.normalise(e): e for e in extra}
    by_norm = {labels.normalise(k): v for k, v in spec.columns.items()}
    for col in list(df.columns[1:]):
        target, how = spec.columns.get(col) or by_norm.get(labels.normalise(col)), "project.yml"
        if target == IGNORE:
            hm.ignored[col] = "ignored in project.yml"
            continue
        if target is None:
            target, how = labels.canonical_header(col, kind), "dictionary"
        if target is None and labels.normalise(col) in extra_norm:
            target, how = extra_norm[labels.normalise(col)], "covariate/outcome"
        wide_ok = kind == "status_monthly" and spec.layout != "long"
        if target is None and wide_ok and (m := month_header(col)) is not None:
            hm.months[col] = m
            continue
        if target is None:
            hm.ignored[col] = f"not a column of {kind} in the data contract (map it under files.{kind}.columns)"
            continue
        if target in hm.recognised.values():
            first = next(k for k, v in hm.recognised.items() if v == target)
            raise ConfigError(
                f"{label}: both '{first}' and '{col}' map to '{target}'; "
                f"map one of them to another column or to '{IGNORE}' under files.{kind}.columns in project.yml"
            )
        hm.recognised[col] = target
        hm.how[col] = how
    out = df[[ROW, *hm.recognised]].rename(columns=hm.recognised)
    return out, hm


def check_mapped_headers(spec: FileSpec, kind: str, headers: list[str], label: str) -> None:
    """Every raw header mapped under ``files.<kind>.columns`` is in one of the kind's sources.

    Raises
    ------
    ConfigError
        Naming the mapping and the closest header of the file (a typo in project.yml).
    """
    have = {labels.normalise(h) for h in headers}
    for raw in spec.columns:
        if labels.normalise(raw) in have:
            continue
        close = difflib.get_close_matches(raw, headers, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (its headers: {', '.join(headers[:12])})"
        raise ConfigError(f"files.{kind}.columns in project.yml maps '{raw}', but {label} has no such header{hint}")


def misspelt(missing: list[str], ignored: list[str], kind: str) -> str:
    """``"; 'Startdatm' looks like 'Startdatum' (start_date)"`` for an unrecognised header close to a missing
    column's accepted names, so a typo in an export is named instead of only listed (empty when none is)."""
    aliases = header_aliases(kind)
    hints = []
    for column in missing:
        names = {a.casefold(): a for a in aliases.get(column, [])}
        for header in ignored:
            close = difflib.get_close_matches(str(header).casefold(), list(names), n=1, cutoff=0.8)
            if close:
                hints.append(f"'{header}' looks like '{names[close[0]]}' ({column})")
                break
    return "; " + "; ".join(hints) if hints else ""
