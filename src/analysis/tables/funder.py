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
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.disclosure.proportions import MISSING, BinaryShares, binary_from_distribution
from analysis.disclosure.published import Column, PublishedTable
from analysis.tables.outcomes import UNKNOWN

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
    shares: dict[str, BinaryShares], codes: dict[str, list[str]], populations: dict[str, str], min_cell: int
) -> PublishedTable:
    columns = [
        Column(key, kind, group=sex, digits=1 if kind == "share" else None)
        for sex in GENDERS
        for key, kind in (("n", "count"), ("successes", "count"), ("share", "share"))
    ]
    table = PublishedTable("esf", columns, rows_are="esf_indicator", groups_are="gender", min_cell=min_cell)
    parts = {indicator: s.published() for indicator, s in shares.items()}
    for indicator, part in parts.items():
        table.add_row(
            indicator, {f"{sex}/{key}": part.cell(sex, key) for sex in GENDERS for key in ("n", "successes", "share")}
        )
    table.withheld = any(p.withheld for p in parts.values())
    table.meta["codes"] = codes
    table.meta["populations"] = populations
    return table
