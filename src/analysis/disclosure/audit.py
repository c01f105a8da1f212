"""The report-wide recoverability audit: can a reader work out a hidden count from everything published?

Each protected table is safe on its own (its secondary suppression is chosen so that no hidden
cell follows from its own margins), but a report publishes the same margins many times: the
number of women among the participants is a row of one table and the margin of three others,
the persons an estimator used plus those it left out are the participants of an outcome, a
survival table's persons are at most the participants. A reader who combines the tables can
pin a cell that each table alone protects. This module writes what a reader knows from a whole
``results.json`` as **one** linear programme and asks, for every hidden count, the smallest and
largest value it can take:

* every shown count is known; ``<5`` (a primary cell) means 1 to ``min_cell - 1``; ``..``
  (a complementary cell) means at least ``min_cell``; a null without a marker does not exist;
* a cell's **identity** is what it counts, not where it stands: (population, the values of the
  table's row and column variables), so ``participants/tables/gender_by_track`` row *female*,
  column *total* and ``participants/tables/gender`` row *female* are the same unknown. Tables
  without a declared population are their own namespace;
* the published relations: each column of a distribution adds up to its total, each row across
  groups to its total column, self-supporting to its income sources, the participant flow
  (referred = enrolled + not enrolled, enrolled = active + exited), work or study at exit by a
  variable (persons with a known status = exited minus unknown and missing; in work or study = the
  sum of the work-or-study statuses; the same for ESF's indicators and for SUS's income support
  and self-support by sex, whose income sources by sex are unknowns the report never shows), each
  effect estimator's persons used + left out = the outcome's participants (and the weighting's outside-support count), the payback persons, and, as
  inequalities, every subgroup, survival or target count at most the persons it is drawn from.

``scipy.optimize.linprog`` (HiGHS) solves it with the integrality of counts relaxed, which can
only widen a range: a cell found undetermined could in rare cases still be pinned by integer
reasoning, never the other way round. A cell is **recovered** when its range has no width.
The same identity shown with two different numbers is reported too: it means the audit's
reading of a table is wrong, and the audit would otherwise prove nothing.

Example
-------
The number of women is hidden in one table; another shows the men among the same persons:

>>> def table(rows, groups_are=None):
...     cols = [{"key": "count", "kind": "count", **({"group": g} if groups_are else {})}
...             for g in (list(next(iter(rows.values()))) if groups_are else [None])]
...     return {"population": "enrolled", "rows_are": "gender", "groups_are": groups_are,
...             "columns": cols, "order": list(rows), "rows": rows}
>>> gender = table({"female": {"count": None, "shown": {"count": "<5"}},
...                 "male": {"count": None, "shown": {"count": ".."}}, "total": {"count": 33}})
>>> by_track = table({"male": {"total": {"count": 30}}, "total": {"total": {"count": 33}}}, "track")
>>> audit_report({"participants": {"tables": {"gender": gender}}}, min_cell=5).ok
True
>>> for f in audit_report({"participants": {"tables": {"gender": gender, "by": by_track}}}, 5).findings:
...     print(f.text)
participants/tables/gender: male (total) is hidden but participants/tables/by: male (total) shows it (30)
participants/tables/gender: female (total) is pinned to 3
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog

Key = tuple[Any, ...]
TOTAL = "total"
# The flow rows that are the whole population of a table with that ``population``.
FLOW_POPULATIONS = {"enrolled": ("enrolled", ()), "exited": ("exited", ())}


@dataclass(frozen=True)
class Finding:
    """One problem: a hidden count a reader can work out, or one identity shown twice differently."""

    kind: str  # "recovered" or "inconsistent"
    text: str
    cell: str = ""  # where, without the value (for messages that must not repeat it)


@dataclass
class AuditResult:
    """What the audit found over one report."""

    n_hidden: int
    n_relations: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def recovered(self) -> list[Finding]:
        """The hidden counts a reader can work out exactly."""
        return [f for f in self.findings if f.kind == "recovered"]

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        """One line per finding, or that nothing was found."""
        head = f"{self.n_hidden} hidden counts, {self.n_relations} published relations"
        if self.ok:
            return f"{head}: no hidden count can be worked out."
        return head + ":\n" + "\n".join(f"- {f.text}" for f in self.findings)


class _Programme:
    """The unknowns (hidden counts, by identity) and the reader's linear relations."""

    def __init__(self, min_cell: int):
        self.min_cell = min_cell
        self.known: dict[Key, float] = {}
        self.where: dict[Key, str] = {}
        self.bounds: dict[Key, tuple[float, float | None]] = {}
        self.equal: list[tuple[list[Key], Key]] = []
        self.at_most: list[tuple[list[Key], Key]] = []
        self.findings: list[Finding] = []
        self.hidden_at: dict[Key, str] = {}
        self.shown_at: dict[Key, str] = {}
        self.free: set[Key] = set()  # counts never published: unknowns of the relations, not findings

    def unpublished(self, key: Key, label: str) -> Key:
        """A count the report never shows but relations need (e.g. the women with no income source at exit)."""
        if key not in self.where:
            self.where[key] = label
            self.bounds[key] = (0.0, None)
            self.free.add(key)
        return key

    def count(self, key: Key, holder: dict, name: str, label: str) -> Key:
        """Record a published count cell under its identity ``key``; returns the key."""
        value = holder.get(name)
        shown = str((holder.get("shown") or {}).get(name) or "").strip()
        self.where.setdefault(key, label)
        if value is not None:
            self._know(key, float(value), label)
        elif shown.isdigit():
            self._know(key, float(shown), label)
        elif shown:
            self.hidden_at.setdefault(key, label)
            self._bound(key, shown)
        # a null without a marker is a number that does not exist (not computed): no unknown, and the
        # relations it would enter say nothing
        return key

    def _know(self, key: Key, value: float, label: str) -> None:
        if key in self.known and abs(self.known[key] - value) > 1e-9:
            self.findings.append(
                Finding(
                    "inconsistent",
                    f"{label} shows {value:g} but {self.shown_at[key]} shows {self.known[key]:g} for the same persons",
                )
            )
        self.known.setdefault(key, value)
        self.shown_at.setdefault(key, label)

    def _bound(self, key: Key, shown: str) -> None:
        if shown.startswith("<") and shown[1:].isdigit():
            new: tuple[float, float | None] = (1.0, float(int(shown[1:]) - 1))
        elif shown == "..":
            new = (float(self.min_cell), None)
        else:
            new = (0.0, None)
        lo, hi = self.bounds.get(key, (0.0, None))
        top = new[1] if hi is None else (hi if new[1] is None else min(hi, new[1]))
        self.bounds[key] = (max(lo, new[0]), top)

    def solve(self) -> AuditResult:
        """Smallest and largest value of every hidden count under all relations at once."""
        hidden = [k for k in self.bounds if k not in self.known]
        index = {k: i for i, k in enumerate(hidden)}
        a_eq, b_eq = self._rows(self.equal, index)
        a_ub, b_ub = self._rows(self.at_most, index)
        result = AuditResult(len(hidden), len(a_eq) + len(a_ub), list(self.findings))
        for key, label in self.hidden_at.items():
            if key in self.known:
                result.findings.append(
                    Finding(
                        "recovered", f"{label} is hidden but {self.shown_at[key]} shows it ({self.known[key]:g})", label
                    )
                )
        if not hidden:
            return result
        bounds = [self.bounds[k] for k in hidden]
        args = {
            "A_eq": np.array(a_eq) if a_eq else None,
            "b_eq": np.array(b_eq) if b_eq else None,
            "A_ub": np.array(a_ub) if a_ub else None,
            "b_ub": np.array(b_ub) if b_ub else None,
            "bounds": bounds,
            "method": "highs",
        }
        for k in hidden:
            if k in self.free:
                continue
            c = np.zeros(len(hidden))
            c[index[k]] = 1.0
            lo, hi = linprog(c, **args), linprog(-c, **args)
            if lo.status != 0:
                result.findings.append(
                    Finding("inconsistent", f"the published relations around {self.where[k]} do not hold")
                )
                continue
            top = np.inf if hi.status == 3 else -hi.fun
            if top - lo.fun < 1e-6:
                result.findings.append(
                    Finding("recovered", f"{self.where[k]} is pinned to {round(lo.fun):d}", self.where[k])
                )
        return result

    def _rows(self, relations: list[tuple[list[Key], Key]], index: dict[Key, int]) -> tuple[list, list]:
        """Relations as rows of sum(parts) - total (= or <=) 0, the known values moved to the right."""
        rows, rhs = [], []
        for parts, total in relations:
            coef = np.zeros(len(index))
            b = 0.0
            for key, sign in [(p, 1.0) for p in parts] + [(total, -1.0)]:
                if key in self.known:
                    b -= sign * self.known[key]
                elif key in index:
                    coef[index[key]] += sign
                else:  # a count never published: a free unknown would make the relation say nothing
                    break
            else:
                if coef.any():
                    rows.append(coef)
                    rhs.append(b)
        return rows, rhs


def _tables(node: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every published table (``columns``/``order``/``rows``) in a results tree, with its path."""
    if isinstance(node, dict):
        if {"columns", "order", "rows"} <= set(node):
            yield path, node
            return
        for k, v in node.items():
            yield from _tables(v, f"{path}/{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _tables(v, f"{path}[{i}]")


def _identity(path: str, table: dict, row: str, group: str | None, key: str = "count") -> Key:
    """What a count cell counts: (population, ((variable, value), ...)), or its place for tables without one."""
    population = table.get("population")
    if population is None or key != "count":
        return (path, row, group, key)
    dims = {}
    if row != TOTAL:
        dims[table.get("rows_are")] = row
    if group is not None and group != TOTAL:
        dims[table.get("groups_are")] = group
    return (population, tuple(sorted(dims.items())))


def _distribution(p: _Programme, path: str, table: dict) -> None:
    """A count table with a total row: columns add up to their total, groups to the total column."""
    count_cols = [c for c in table["columns"] if c.get("kind") == "count" and c["key"] == "count"]
    groups = [c.get("group") for c in count_cols]
    rows = [r for r in table["order"] if r not in (TOTAL, "self_supporting")]
    cell: dict[tuple[str | None, str], Key] = {}
    for g in groups:
        for r in table["order"]:
            holder = table["rows"][r] if g is None else table["rows"][r].get(g, {})
            label = f"{path}: {r}" + (f" ({g})" if g else " (total)" if table.get("population") else "")
            cell[(g, r)] = p.count(_identity(path, table, r, g), holder, "count", label)
        p.equal.append(([cell[(g, r)] for r in rows], cell[(g, TOTAL)]))
        if "self_supporting" in table["order"]:
            codes = [c for c in table.get("self_supporting_codes", []) if (g, c) in cell]
            p.equal.append(([cell[(g, c)] for c in codes], cell[(g, "self_supporting")]))
    if TOTAL in groups:
        for r in table["order"]:
            p.equal.append(([cell[(g, r)] for g in groups if g != TOTAL], cell[(TOTAL, r)]))


def _cross(p: _Programme, path: str, table: dict) -> None:
    """A cross table (``keys_are``): its cells add up along rows and columns to the ``total`` margins."""
    keys = [c["key"] for c in table["columns"] if c.get("kind") == "count"]
    cells = {
        (r, k): p.count((path, r, k), table["rows"][r], k, f"{path}: {r}/{k}") for r in table["order"] for k in keys
    }
    rows = [r for r in table["order"] if r != TOTAL]
    for r in table["order"]:
        p.equal.append(([cells[(r, k)] for k in keys if k != TOTAL], cells[(r, TOTAL)]))
    for k in keys:
        p.equal.append(([cells[(r, k)] for r in rows], cells[(TOTAL, k)]))


def _flow(p: _Programme, flow: dict) -> None:
    """The participant flow; the tables' populations are at most its counts (the flow also counts
    participants registered without a personnummer, who are in no person-level table)."""
    rows = flow["rows"]
    key = {r: ("flow", r) for r in rows}
    for r in rows:
        p.count(key[r], rows[r], "count", f"participants/flow: {r}")
    if {"referred", "enrolled", "not_enrolled"} <= set(rows):
        p.equal.append(([key["enrolled"], key["not_enrolled"]], key["referred"]))
    if {"enrolled", "active", "exited"} <= set(rows):
        p.equal.append(([key["active"], key["exited"]], key["enrolled"]))
    for r, population in FLOW_POPULATIONS.items():
        if r in rows:
            p.at_most.append(([population], key[r]))


def _at_exit_by(p: _Programme, results: dict) -> None:
    """Work or study at exit by a variable: known status = exited - unknown; successes = the codes' sum."""
    outcomes = results.get("outcomes") or {}
    codes = (outcomes.get("work_or_study") or {}).get("codes") or []
    for by, table in (outcomes.get("work_or_study_at_exit_by") or {}).items():
        if not isinstance(table, dict) or "order" not in table:  # "no_data": tables not published
            continue
        path = f"outcomes/work_or_study_at_exit_by/{by}"
        _binary_by(p, path, {r: table["rows"][r] for r in table["order"]}, by, "exited", codes, sums=True)


def _binary_by(
    p: _Programme,
    path: str,
    rows: dict[str, dict],
    by: str,
    population: str,
    codes: list,
    sums: bool,
    variable: str = "status",
    unpublished: bool = False,
) -> dict[tuple[str, str], Key]:
    """A yes/no count by ``by`` drawn from a table of ``variable`` among ``population``: n = persons - unknown
    - missing, successes = the sum of the values ``codes``; with ``sums`` the values add up to the total row.
    With ``unpublished`` the missing count is an unknown where no table shows it (else only the unknown and
    missing counts published enter). Returns the cells' keys by (row, ``n``/``successes``)."""
    values = [r for r in rows if r != TOTAL]
    cells = {}
    for r, holder in rows.items():
        for k in ("n", "successes"):
            cells[(r, k)] = p.count((path, r, k), holder, k, f"{path}: {r} ({k})")
        dims = () if r == TOTAL else ((by, r),)
        persons = (population, dims)
        # an unknown or missing value is outside the known-value denominator
        unknown = [(population, tuple(sorted(dims + ((variable, u),)))) for u in ("unknown", "missing")]
        if unpublished:
            unknown = [p.unpublished(unknown[1], f"{path}: {r} (no {variable})")]
        p.equal.append(([cells[(r, "n")], *[u for u in unknown if u in p.where]], persons))
        statuses = [(population, tuple(sorted(dims + ((variable, c),)))) for c in codes]
        if codes:
            p.equal.append((statuses, cells[(r, "successes")]))
        p.at_most.append(([cells[(r, "successes")]], cells[(r, "n")]))
    if sums:
        for k in ("n", "successes"):
            p.equal.append(([cells[(r, k)] for r in values], cells[(TOTAL, k)]))
    return cells


def _by_sex(results: dict, name: str) -> Iterator[tuple[str, Any, dict, list]]:
    """(indicator, population, {sex: row}, codes) of a table by sex under ``outcomes/<name>``."""
    table = (results.get("outcomes") or {}).get(name)
    if not isinstance(table, dict) or "order" not in table:
        return
    populations, codes = table.get("populations") or {}, table.get("codes") or {}
    for indicator, population in populations.items():
        node = table["rows"].get(indicator)
        if isinstance(node, dict):
            rows = {sex: node[sex] for sex in ("female", "male", "total") if isinstance(node.get(sex), dict)}
            yield indicator, population, rows, codes.get(indicator, [])


def _esf(p: _Programme, results: dict) -> None:
    """ESF's indicators by sex (``outcomes/esf``): per indicator the same relations as work or study at exit."""
    for indicator, population, rows, codes in _by_sex(results, "esf"):
        # only women and men are rows: persons of unknown sex are in the total, so no sum over the rows
        _binary_by(p, f"outcomes/esf/{indicator}", rows, "gender", population, codes, sums=False)


def _income_by_sex(p: _Programme, results: dict) -> None:
    """SUS's income before and after by sex (``outcomes/income_by_sex``): per row the relations of a yes/no
    count drawn from the income sources (n = persons - missing, the count = its sources' sum); the totals
    are also the income table's (``outcomes/income``, per time point); women and men add up to the total
    where no one's sex is unknown (no ``missing`` gender among those persons in the report)."""
    outcomes = results.get("outcomes") or {}
    income = outcomes.get("income") if isinstance(outcomes.get("income"), dict) else None
    for indicator, population, rows, sources in _by_sex(results, "income_by_sex"):
        complete = (population, (("gender", "missing"),)) not in p.where and {"female", "male", TOTAL} <= set(rows)
        path = f"outcomes/income_by_sex/{indicator}"
        cells = _binary_by(
            p, path, rows, "gender", population, sources, sums=complete, variable="income", unpublished=True
        )
        timepoint = indicator.rsplit("_", 1)[1]
        if income is None or TOTAL not in rows:
            continue
        key = {r: ("outcomes/income", r, timepoint, "count") for r in (*sources, "missing", TOTAL)}
        if all(k in p.where for k in key.values()):
            p.equal.append(([key[c] for c in sources], cells[(TOTAL, "successes")]))
            p.equal.append(([cells[(TOTAL, "n")], key["missing"]], key[TOTAL]))


def _effects(p: _Programme, results: dict) -> None:
    """Each estimator's persons used + left out = the outcome's participants, at most the enrolled."""
    effects = results.get("effects") or {}
    designs = [("effects", effects), ("effects/panel_design", effects.get("panel_design") or {})]
    for where, node in designs:
        for name, outcome in (node.get("outcomes") or {}).items():
            if not isinstance(outcome, dict) or outcome.get("status") != "ok":
                continue
            path = f"{where}/outcomes/{name}"
            n1 = p.count((path, "n_treated"), outcome, "n_treated", f"{path}: participants")
            p.at_most.append(([n1], ("enrolled", ())))
            for e, row in (outcome.get("estimates") or {}).get("rows", {}).items():
                used = p.count((path, e, "used"), row, "n_treated", f"{path}: {e} used")
                left = p.count((path, e, "left"), row, "n_left_out", f"{path}: {e} left out")
                p.equal.append(([used, left], n1))
                if e in ("ipw", "aipw") and "overlap" in outcome:
                    out = p.count(
                        (path, "outside"), outcome["overlap"], "n_outside_support", f"{path}: outside support"
                    )
                    p.equal.append(([used, out], n1))
    _subgroups(p, effects.get("subgroups") or {})


def _subgroups(p: _Programme, subgroups: dict) -> None:
    """Subgroup participants: each dimension's groups at most the total, each group at most its enrolled."""
    table = subgroups.get("estimates")
    if not table:
        return
    path = "effects/subgroups"
    rows = table["rows"]
    cells = {r: p.count((path, r), rows[r], "n_treated", f"{path}: {r}") for r in table["order"]}
    by_dim: dict[str, list[Key]] = {}
    for r, key in cells.items():
        if ":" not in r:
            continue
        dim, value = r.split(":", 1)
        by_dim.setdefault(dim, []).append(key)
        if dim in ("gender", "track"):
            p.at_most.append(([key], ("enrolled", ((dim, value),))))
    if TOTAL in cells:
        for keys in by_dim.values():
            p.at_most.append((keys, cells[TOTAL]))
        p.at_most.append(([cells[TOTAL]], ("enrolled", ())))


def _survival(p: _Programme, results: dict) -> None:
    """Survival counts: groups at most the total, the total at most the enrolled, events at most persons."""
    survival = results.get("survival") or {}
    for analysis in ("kaplan_meier", "first_work_or_study"):
        node = survival.get(analysis) or {}
        total_table = node.get(TOTAL)
        total = None
        if total_table and TOTAL in total_table["rows"]:
            total = p.count((analysis, TOTAL, "n"), total_table["rows"][TOTAL], "n", f"survival/{analysis}: total")
            p.at_most.append(([total], ("enrolled", ())))
        for by, table in node.items():
            if by in (TOTAL, "group") or not isinstance(table, dict) or "rows" not in table:
                continue
            keys = []
            for r in table["order"]:
                n = p.count((analysis, by, r, "n"), table["rows"][r], "n", f"survival/{analysis}/{by}: {r}")
                keys.append(n)
                if "events" in table["rows"][r] or "events" in ((table["rows"][r].get("shown")) or {}):
                    ev = p.count(
                        (analysis, by, r, "events"), table["rows"][r], "events", f"survival/{analysis}/{by}: {r} events"
                    )
                    p.at_most.append(([ev], n))
                if by in ("gender", "track"):
                    p.at_most.append(([n], ("enrolled", ((by, r),))))
            if total is not None:
                p.at_most.append((keys, total))


def _payback(p: _Programme, results: dict) -> None:
    """The payback persons: analysed + left out = started, the sexes = analysed, started at most the enrolled."""
    table = (results.get("payback") or {}).get("persons")
    if not table:
        return
    rows = table["rows"]
    k = {r: p.count(("payback", r), rows[r], "count", f"payback/persons: {r}") for r in table["order"]}
    if {"analysed", "left_out", "started"} <= set(k):
        p.equal.append(([k["analysed"], k["left_out"]], k["started"]))
        p.at_most.append(([k["started"]], ("enrolled", ())))
    if {"female", "male", "gender_unknown", "analysed"} <= set(k):
        p.equal.append(([k["female"], k["male"], k["gender_unknown"]], k["analysed"]))
        for g in ("female", "male"):
            p.at_most.append(([k[g]], ("enrolled", (("gender", g),))))


def audit_report(results: dict, min_cell: int) -> AuditResult:
    """Audit every published count of one report's ``results.json`` at once.

    Parameters
    ----------
    results : dict
        The parsed ``results.json`` of a report.
    min_cell : int
        The project's minimum count (what ``<5`` and ``..`` mean).

    Returns
    -------
    AuditResult
        The number of hidden counts and relations, and the findings (none when safe).

    Example
    -------
    See the module docstring.
    """
    p = _Programme(min_cell)
    if "flow" in (results.get("participants") or {}):
        _flow(p, results["participants"]["flow"])
    for path, table in _tables(results):
        if path in (
            "participants/flow",
            "effects/subgroups/estimates",
            "payback/persons",
            "outcomes/esf",
            "outcomes/income_by_sex",
        ):
            continue
        if path.startswith(("outcomes/work_or_study_at_exit_by", "survival/", "effects/")):
            continue
        if table.get("keys_are") is not None and TOTAL in table["order"]:
            _cross(p, path, table)
        elif TOTAL in table["order"] and any(c["key"] == "count" for c in table["columns"]):
            _distribution(p, path, table)
    _at_exit_by(p, results)
    _esf(p, results)
    _income_by_sex(p, results)
    _effects(p, results)
    _survival(p, results)
    _payback(p, results)
    _nested_populations(p)
    return p.solve()


# A population inside another: those who exited are among the enrolled, those followed up among the exited.
NESTED = {"exited": "enrolled", "followed_up": "exited"}
TIME_VARYING = {"status", "income"}


def _nested_populations(p: _Programme) -> None:
    """The same persons described by one variable are no more in a sub-population than in the whole."""
    seen = set(p.where)
    for key in list(seen):
        if len(key) != 2 or not isinstance(key[1], tuple):
            continue
        population, dims = key
        if any(var in TIME_VARYING for var, _ in dims):  # the status at exit is not the status six months later
            continue
        # "followed_up_6": those followed up six months after exit
        outer = NESTED.get("followed_up" if str(population).startswith("followed_up_") else population)
        if outer and (outer, dims) in seen:
            p.at_most.append(([key], (outer, dims)))
