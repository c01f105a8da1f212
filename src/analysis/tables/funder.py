"""The ESF result indicators by sex, from the outcome tables already published (never beside them).

ESF's result indicators for participants, per sex (kvinnor, män, totalt):

exit
    in work, studies or job seeking at exit: the exit statuses counted as work or study
    (``work_or_study`` in project.yml) plus ``job_seeking``, among those who exited with a
    known status (an unknown or missing status is left out of the base);
followup_6
    in work or studies six months after exit, among those followed up at six months with a
    known status (only when the project has follow-ups with a six-month wave).

Both are computed with :func:`analysis.disclosure.proportions.binary_from_distribution` from the
exit-status and six-month status tables by sex that the outcomes section publishes: every
count is a sum or difference of their cells and is hidden when it does not follow from them,
so the indicators publish nothing those tables do not (the report-wide audit checks the
relations: ``base = persons - unknown - missing``, ``in the indicator = the sum of its statuses``).

SUS's income before and after by sex (:func:`income_by_sex`): on income support and self-supporting
at start (the enrolled) and at exit (those who exited), among those with a known income source.
No income table by sex is published, so it is protected here as one (grouped sources by sex,
margins hidden where the report hides them) and only what follows from that table is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from analysis.disclosure.proportions import (
    MISSING,
    BinaryShares,
    Distribution,
    binary_from_distribution,
    distribution,
)
from analysis.disclosure.published import Column, PublishedTable
from analysis.disclosure.suppression import TOTAL
from analysis.project.codes import GENDER
from analysis.tables.outcomes import UNKNOWN
from analysis.tables.participants import participant_tables, published_margins
from analysis.tables.participants import populations as participant_populations

JOB_SEEKING = "job_seeking"
ESF_WAVE = 6  # months after exit
GENDERS = ("female", "male", "total")


def esf_indicators(outcomes, work_or_study: Sequence[str]) -> PublishedTable | None:
    """One table: rows the indicators (``exit``, ``followup_6``), per sex (kvinnor, män, totalt) the base, the count
    and the share.

    ``outcomes`` is an :class:`analysis.tables.outcomes.OutcomesResult`; None when it has no
    exit status by sex. The table's ``meta`` names, per indicator, the statuses counted and the
    population (for the audit).
    """
    by_sex = outcomes.exit_status_by.get("gender")
    if by_sex is None:
        return None
    codes = {"exit": [*work_or_study, JOB_SEEKING]}
    shares = {"exit": binary_from_distribution(by_sex, codes["exit"], (UNKNOWN, MISSING), name="esf_exit")}
    populations = {"exit": "exited"}
    wave = next((w for w in outcomes.waves if w.wave == ESF_WAVE and "gender" in w.status_by), None)
    if wave is not None:
        key = f"followup_{ESF_WAVE}"
        codes[key] = list(work_or_study)
        shares[key] = binary_from_distribution(wave.status_by["gender"], codes[key], (UNKNOWN, MISSING), name=key)
        populations[key] = f"followed_up_{ESF_WAVE}"
    return _combined(shares, codes, populations, outcomes.min_cell)


def _combined(
    shares: dict[str, BinaryShares],
    codes: dict[str, list[str]],
    populations: dict[str, str],
    min_cell: int,
    name: str = "esf",
) -> PublishedTable:
    columns = [
        Column(key, kind, group=sex, digits=1 if kind == "share" else None)
        for sex in GENDERS
        for key, kind in (("n", "count"), ("successes", "count"), ("share", "share"))
    ]
    table = PublishedTable(name, columns, rows_are="esf_indicator", groups_are="gender", min_cell=min_cell)
    parts = {indicator: s.published() for indicator, s in shares.items()}
    for indicator, part in parts.items():
        table.add_row(
            indicator, {f"{sex}/{key}": part.cell(sex, key) for sex in GENDERS for key in ("n", "successes", "share")}
        )
    table.withheld = any(p.withheld for p in parts.values())
    table.meta["codes"] = codes
    table.meta["populations"] = populations
    return table


# SUS's "försörjning före och efter" by sex: income support and self-support at start and at exit
INCOME_SUPPORT = "income_support"
SELF_SUPPORTING = "self_supporting"
OTHER_INCOME = "other"
INCOME_TIMEPOINTS = {"start": ("income_at_start", "enrolled"), "exit": ("income_at_exit", "exited")}


def income_by_sex(participants: pd.DataFrame, data_end: dt.date, outcomes, config=None) -> PublishedTable | None:
    """One table: rows income support and self-support at start and at exit, per sex the base, the count and the share.

    Per time point (start: the enrolled, exit: those who exited) the income source is grouped into
    income support, self-supporting (``self_supporting`` in project.yml), other and missing, and the
    groups by sex are protected as one table (:func:`~analysis.disclosure.proportions.distribution`)
    whose margins are hidden exactly where the report publishes them hidden: the sexes as in the
    participants by gender (start) and the exit status by gender (exit), the groups as in the income
    table. That table is not published: the counts shown (base = persons - missing, income support,
    self-supporting) are its cells or sums of them, each hidden unless it follows from it
    (:func:`~analysis.disclosure.proportions.binary_from_distribution`). The base is those with a
    known income source. None when the outcomes have no exit status by sex.
    """
    if outcomes.exit_status_by.get("gender") is None:
        return None
    selfsup = tuple(outcomes.income.self_supporting_codes)
    pop = participant_populations(participants, data_end)
    margins = {
        "start": _enrolled_gender_margin(participants, data_end, config, outcomes.min_cell),
        "exit": outcomes.exit_status_by["gender"].protected.hidden.loc[TOTAL],
    }
    shares: dict[str, BinaryShares] = {}
    for tp, (variable, population) in INCOME_TIMEPOINTS.items():
        df = participants[pop[population]]
        linked = outcomes.income.protected_column(tp).hidden
        dist = _grouped_income(df, (variable, population), selfsup, (linked, margins[tp]), outcomes.min_cell)
        for row in (INCOME_SUPPORT, SELF_SUPPORTING):
            shares[f"{row}_{tp}"] = binary_from_distribution(dist, [row], [MISSING], name=f"{row}_{tp}")
    order = [f"{row}_{tp}" for row in (INCOME_SUPPORT, SELF_SUPPORTING) for tp in INCOME_TIMEPOINTS]
    codes = {k: ([INCOME_SUPPORT] if k.startswith(INCOME_SUPPORT) else list(selfsup)) for k in order}
    pops = {k: INCOME_TIMEPOINTS[k.rsplit("_", 1)[1]][1] for k in order}
    table = _combined({k: shares[k] for k in order}, codes, pops, outcomes.min_cell, name="income_by_sex")
    table.rows_are = "income_indicator"
    return table


def _grouped_income(
    df: pd.DataFrame,
    described: tuple[str, str],
    selfsup: Sequence[str],
    margins: tuple[dict[str, bool], pd.Series],
    min_cell: int,
) -> Distribution:
    """Income support, self-supporting, other and missing by sex, protected with the published margins.

    ``described`` is (income column, population); ``margins`` the income table's hidden mask at the
    time point and that of the persons by sex. When the complementary cells first chosen leave a hidden cell exposed, they are chosen again
    among the income support and self-supporting cells first.
    """
    (variable, population), (linked, by_sex) = described, margins
    grouped = df[variable].map(lambda v: _income_group(v, selfsup))
    frame = pd.DataFrame({"income_group": grouped, "gender": df["gender"]})
    total_column = pd.Series(
        {INCOME_SUPPORT: linked["income_support"], SELF_SUPPORTING: linked["self_supporting"]}
        | {MISSING: linked["missing"], TOTAL: linked["total"]}
    )
    for prefer in (None, [INCOME_SUPPORT, SELF_SUPPORTING]):
        dist = distribution(
            frame,
            "income_group",
            "gender",
            categories=[INCOME_SUPPORT, SELF_SUPPORTING, OTHER_INCOME, MISSING],
            groups=list(GENDER),
            min_cell=min_cell,
            population=population,
            total_column=total_column,
            total_row=by_sex,
            prefer_rows=prefer,
        )
        if not dist.protected.exposed:
            break
    return dist  # exposed: the table is withheld


def _income_group(value: object, selfsup: Sequence[str]) -> object:
    if pd.isna(value):
        return MISSING
    if value == INCOME_SUPPORT:
        return INCOME_SUPPORT
    return SELF_SUPPORTING if value in selfsup else OTHER_INCOME


def _enrolled_gender_margin(participants: pd.DataFrame, data_end: dt.date, config, min_cell: int) -> pd.Series:
    """The hidden mask of the participants by gender, as the participants section publishes it."""
    described = participant_tables(participants, data_end, config, min_cell=min_cell)
    return published_margins(described.tables)["gender"]
