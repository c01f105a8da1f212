"""The user documentation of the data contract, generated from its one declaration.

``foljeval contract`` prints it; ``docs/data-contract.md`` is the same text, kept
up to date by ``python tools/generate_contract.py`` (a test fails when it drifts).

Example
-------
>>> from analysis.pipeline.contract_doc import render_markdown
>>> render_markdown().splitlines()[0]
'# The data contract'
"""

from __future__ import annotations

from analysis.clean.rulebook import RULES
from analysis.project.codes import DOMAINS
from analysis.project.contract import KINDS, ORDER, Column, columns_of
from analysis.project.metrics import SPECS
from analysis.report.i18n import t

_PARSERS = {
    "id": "personnummer / id",
    "date": "date",
    "month": "month",
    "category": "label -> code",
    "number": "number",
    "amount": "kronor",
    "text": "text",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _headers(c: Column) -> str:
    names = list(dict.fromkeys([c.name, *c.aliases]))
    return ", ".join(f"`{_cell(n)}`" for n in names) if c.read else "(derived)"


def _kind_table() -> list[str]:
    out = [
        "| kind | Swedish | one row per | pseudonym column | required columns |",
        "|---|---|---|---|---|",
    ]
    for kind in ORDER:
        k = KINDS[kind]
        req = ", ".join(f"`{c.name}`" for c in columns_of(kind) if kind in c.required_in)
        out.append(f"| `{kind}` | {k.name_sv} | {_cell(k.description)} | `{k.key}` | {req} |")
    return out


def _columns_table(kind: str) -> list[str]:
    out = [
        "| column | read as | required | headers understood | codes | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for c in columns_of(kind):
        codes = f"[{c.domain}](#domain-{c.domain.replace('_', '-')})" if c.domain else ""
        meaning = c.description + (f" (when absent: {c.derived})" if c.derived else "")
        if not c.processed:
            meaning += "; not kept in the processed table"
        out.append(
            f"| `{c.name}` | {_PARSERS[c.parser]} | {'yes' if kind in c.required_in else ''} "
            f"| {_headers(c)} | {codes} | {_cell(meaning)} |"
        )
    return out


def _domain_section(name: str) -> list[str]:
    d = DOMAINS[name]
    out = [f'<a id="domain-{name.replace("_", "-")}"></a>', f"### {name}", "", _cell(d.description) + "."]
    notes = []
    if d.multi:
        notes.append(
            "A label may combine several labels with `+`, `och`, `&` or `/`; the first code in this order is kept."
        )
    if d.unknown:
        notes.append(f"An unknown label becomes `{d.unknown}` where the column does not decide inclusion.")
    out += ["", *notes] if notes else []
    out += ["", "| code | labels understood |", "|---|---|"]
    for code in d.codes:
        labels = ", ".join(f"`{_cell(x)}`" for x in d.labels_of(code))
        out.append(f"| `{code}` | {labels} |")
    return out


def render_markdown() -> str:
    """The whole data contract as Markdown: file kinds, columns, codes with their labels, metrics and rules."""
    lines = [
        "# The data contract",
        "",
        "<!-- Generated from src/analysis/project/contract.py, codes.py and metrics.py and the cleaning rules by",
        "     `python tools/generate_contract.py` (also printed by `foljeval contract`). Do not edit by hand. -->",
        "",
        "Each raw export of a project is one of the file kinds below (`files.<kind>` in project.yml). A raw",
        "header is recognised when it is the canonical name or one of the headers listed (case, spaces,",
        "underscores and surrounding punctuation are ignored); map any other header under",
        "`files.<kind>.columns` and any other label under `files.<kind>.values.<column>` in project.yml.",
        "",
        "## File kinds",
        "",
        *_kind_table(),
    ]
    for kind in ORDER:
        lines += ["", f"## `{kind}`: {KINDS[kind].name_sv}", "", _cell(KINDS[kind].description) + ".", ""]
        lines += _columns_table(kind)
    lines += [
        "",
        "## Codes",
        "",
        "Labels are matched after case and spacing are folded; every code is also accepted as is.",
    ]
    for name in DOMAINS:
        lines += ["", *_domain_section(name)]
    lines += [
        "",
        "## Target metrics",
        "",
        "| metric | needs | threshold | measures |",
        "|---|---|---|---|",
    ]
    for m in SPECS.values():
        needs = ", ".join(f"`{n}`" for n in m.needs)
        threshold = "a share (0..1)" if m.threshold == "share" else "a count"
        lines.append(f"| `{m.name}` | {needs} | {threshold} | {_cell(m.description)} |")
    lines += [
        "",
        "## Cleaning rules",
        "",
        "A row that breaks a rule is quarantined in `rejected.csv` with the rule's code and message.",
        "",
        "| rule | applies to | message in rejected.csv | shown in reports (sv) |",
        "|---|---|---|---|",
    ]
    for r in RULES.values():
        kinds = ", ".join(r.kinds)
        lines.append(f"| `{r.code}` | {kinds} | {_cell(r.message)} | {_cell(t(r.label_key, 'sv'))} |")
    return "\n".join(lines) + "\n"
