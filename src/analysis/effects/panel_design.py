"""A comparison group built from the monthly panel, the way IFAU builds one (dynamic matching).

Estimand: **start now vs not now** (Sianesi 2004). For every calendar month ``t`` in which a
participant starts, the *risk set* is everybody who in the month before, ``t - 1``, is in an
eligible status (``comparison.eligible_statuses``) and has not started before ``t``. Participants
who start in ``t`` are treated; the others in the risk set are comparisons *for that month*, even
if they start later (the effect is that of starting now rather than waiting, and the later
starters' outcomes include their own later programme). A person can therefore be a comparison in
several months, and a later participant a comparison before his start: the sample is one row per
(person, month) and standard errors are clustered by person.

Time zero is ``t`` for both groups. Covariates are measured up to ``t - 1``: the person's
time-invariant background (age at ``t`` from the birth year, gender, education, origin), the
months in an eligible status without a break up to ``t - 1`` (``duration``), and the months in an
eligible status and in work or study in the last ``h`` months (``history_months``), which is what
catches Ashenfelter's dip. Exact matching is on the start month, the band of ``duration``
(``duration_bands``) and the ``exact`` variables. Outcomes are in work or study ``k`` months after
``t`` (``followup_months``).

The person-month sample is built by DuckDB window functions over the panel, one bucket of persons
at a time for a partitioned parquet dataset (:func:`analysis.clean.outofcore.panel_to_parquet`), so
memory is linear in the eligible person-months of start months, never persons x months x candidates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.effects.design import Sample, covariate_matrix
from analysis.project.comparison import ComparisonSpec

PERSON_COLUMNS = ("gender", "education", "origin", "birth_year")


@dataclass
class PanelDesign:
    """The person-month sample of the panel-built comparison and how it was built.

    ``rows`` has one row per (person, start month ``t0``) in the risk set: ``person_key``, ``t0``
    (month number), ``treated``, ``duration``, ``band``, the history columns, ``wos_<k>m`` outcomes
    (NaN when unobserved) and the person covariates. ``counts`` says how many participants were
    eligible, how many not (and why), how many comparison person-months and distinct persons.
    """

    rows: pd.DataFrame
    spec: ComparisonSpec
    followup_months: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    history_columns: list[str] = field(default_factory=list)

    @property
    def start_months(self) -> np.ndarray:
        return np.unique(self.rows.loc[self.rows["treated"] == 1, "t0"].to_numpy())

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame.from_dict(self.counts, orient="index", columns=["n"])


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) or "NULL"


def _query(src: str, spec: ComparisonSpec, wos: Sequence[str], months: Sequence[int], end: int) -> str:
    """The person-month rows of one source of panel rows (a registered table or a parquet glob)."""
    hist, names = [], []
    for h in spec.history_months:
        frame = f"OVER (PARTITION BY person_key ORDER BY m RANGE BETWEEN {h - 1} PRECEDING AND CURRENT ROW)"
        hist += [
            f"sum(CAST(e AS INTEGER)) {frame} AS hist_elig_{h}",
            f"sum(CAST(w AS INTEGER)) {frame} AS hist_wos_{h}",
        ]
        names += [f"b.hist_elig_{h}", f"b.hist_wos_{h}"]
    outcomes = ", ".join(f"CAST(o{k}.w AS DOUBLE) AS wos_{k}m" for k in months)
    joins = "\n".join(f"LEFT JOIN f o{k} ON o{k}.person_key = b.person_key AND o{k}.m = b.t0 + {k}" for k in months)
    return f"""
    WITH p AS (SELECT person_key, year(month) * 12 + month(month) - 1 AS m,
                      status IN ({_sql_list(spec.eligible_statuses)}) AS e, status IN ({_sql_list(wos)}) AS w
               FROM {src} WHERE year(month) * 12 + month(month) - 1 <= {end}),
         r AS (SELECT *, m - row_number() OVER (PARTITION BY person_key, e ORDER BY m) AS run FROM p),
         f AS (SELECT person_key, m, e, w,
                      CASE WHEN e THEN m - min(m) OVER (PARTITION BY person_key, e, run) + 1 ELSE 0 END AS duration,
                      {", ".join(hist)}
               FROM r),
         b AS (SELECT f.*, f.m + 1 AS t0 FROM f JOIN start_months s ON f.m + 1 = s.t0)
    SELECT b.person_key, b.t0, b.e AS eligible, b.duration, {", ".join(names)},
           CAST(coalesce(s.start_m = b.t0, false) AS INTEGER) AS treated, {outcomes}
    FROM b LEFT JOIN starts s ON s.person_key = b.person_key
    {joins}
    WHERE s.start_m IS NULL OR s.start_m >= b.t0
    """


def _run(con, panel: pd.DataFrame | None, dataset: Path | None, query_of) -> pd.DataFrame:
    if dataset is None:
        con.register("panel_rows", panel)
        return con.execute(query_of("panel_rows")).df()
    from analysis.clean.outofcore import _buckets

    parts = [con.execute(query_of(f"read_parquet('{(b / '*.parquet').as_posix()}')")).df() for b in _buckets(dataset)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def build_panel_design(
    persons: pd.DataFrame,
    spec: ComparisonSpec,
    work_or_study: Sequence[str],
    followup_months: Sequence[int],
    data_end: dt.date | pd.Timestamp,
    panel: pd.DataFrame | None = None,
    dataset: Path | None = None,
    memory_limit: str = "3GB",
) -> PanelDesign:
    """The person-month sample of the panel-built comparison (see the module docstring).

    Parameters
    ----------
    persons
        Participants (``treated == 1`` with ``t0`` = start date) and the other persons whose
        background is known (comparison file), one row each, with ``person_key`` and the person columns.
    panel, dataset
        The monthly panel in memory (``person_key, month, status``) or a partitioned parquet dataset.

    Example
    -------
    >>> design = build_panel_design(frame, config.comparison, ["work", "study"], [6, 12], "2021-03-31",
    ...                             panel=tables["status_monthly"])  # doctest: +SKIP
    """
    from analysis.clean.outofcore import connect

    end = pd.Timestamp(data_end)
    end_m = end.year * 12 + end.month - 1
    people = persons.drop_duplicates("person_key")
    starts = _start_months(people)
    con = connect(None, memory_limit, 2, None)
    con.register("starts", starts)
    con.register("start_months", pd.DataFrame({"t0": np.unique(starts["start_m"])}))
    months = list(followup_months)
    rows = _run(con, panel, dataset, lambda src: _query(src, spec, work_or_study, months, end_m))
    con.close()
    rows["person_key"] = rows["person_key"].astype(str)
    treated_any = rows[rows["treated"] == 1]
    eligible = rows["eligible"].astype(bool)
    counts = {
        "participants": int(len(starts)),
        "participants_eligible": int(treated_any["eligible"].astype(bool).sum()),
        "participants_not_eligible": int((~treated_any["eligible"].astype(bool)).sum()),
        "participants_no_panel": int(len(starts) - treated_any["person_key"].nunique()),
    }
    rows = rows[eligible].drop(columns="eligible")
    rows = _with_person_columns(rows, people)
    rows["band"] = np.searchsorted(np.asarray(spec.duration_bands), rows["duration"].to_numpy(), side="right") - 1
    rows = rows.sort_values(["t0", "treated", "person_key"], ascending=[True, False, True], kind="stable")
    rows = rows.reset_index(drop=True)
    counts.update(_comparison_counts(rows, starts))
    hist = [f"hist_{kind}_{h}" for h in spec.history_months for kind in ("elig", "wos")]
    return PanelDesign(rows, spec, months, counts, hist)


def _start_months(people: pd.DataFrame) -> pd.DataFrame:
    """Each participant's key and start month number (``year * 12 + month - 1``)."""
    start = people.loc[people["treated"] == 1, ["person_key", "t0"]].dropna()
    return pd.DataFrame(
        {
            "person_key": start["person_key"].astype(str).to_numpy(),
            "start_m": (start["t0"].dt.year * 12 + start["t0"].dt.month - 1).astype(np.int64).to_numpy(),
        }
    )


def _comparison_counts(rows: pd.DataFrame, starts: pd.DataFrame) -> dict[str, int]:
    """Comparison rows and persons (and those who start later), and the start months with participants."""
    c = rows["treated"] == 0
    return dict(
        comparison_rows=int(c.sum()),
        comparison_persons=int(rows.loc[c, "person_key"].nunique()),
        comparison_later_participants=int(rows.loc[c, "person_key"].isin(starts["person_key"]).sum()),
        start_months=int(rows.loc[~c, "t0"].nunique()),
    )


def _with_person_columns(rows: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Time-invariant person columns, and age at time zero from the birth year."""
    cols = [c for c in PERSON_COLUMNS if c in people]
    out = rows.merge(people[["person_key", *cols]].astype({"person_key": str}), on="person_key", how="left")
    if "birth_year" in out:
        out["age"] = (out["t0"] // 12 - pd.to_numeric(out["birth_year"], errors="coerce")).astype(float)
    return out


def design_covariates(design: PanelDesign) -> list[str]:
    """The covariates of the panel design: person background, time in status, history, start month."""
    listed = design.spec.covariates or ["age", "gender", "education", "origin"]
    person = [("age" if c in ("age", "age_at_start", "birth_year") else c) for c in listed]
    person = [c for c in dict.fromkeys(person) if c in design.rows and design.rows[c].notna().any()]
    return [*person, "duration", *design.history_columns]


def panel_sample(design: PanelDesign, outcome: str, missing: str = "complete") -> Sample:
    """The estimator-ready :class:`Sample` of one outcome: covariates, exact cells and person clusters.

    The propensity and outcome models see the covariates plus indicators of the start month and
    of the duration band (so that weighting compares within the cells that matching uses).
    """
    rows = design.rows
    covs = design_covariates(design)
    frame = rows.assign(start_month=rows["t0"].astype(str), duration_band=rows["band"].astype(str))
    X, complete = covariate_matrix(frame, [*covs, "start_month", "duration_band"], None)
    y_all = rows[outcome].to_numpy(dtype=float)
    treated = rows["treated"].to_numpy() == 1
    exact = [c for c in design.spec.exact if c in rows]
    cell_all = rows[["t0", "band", *exact]].astype(str).agg("|".join, axis=1).to_numpy()
    keep = complete & ~np.isnan(y_all)
    # comparison rows in a cell without participants, or with a covariate level no participant has,
    # are outside the support of the ATT: they could never be matched and would separate the logit
    keep &= np.isin(cell_all, cell_all[keep & treated])
    Xa = X.reindex(frame.index).to_numpy(dtype=float)  # NaN rows: incomplete covariates (not kept anyway)
    dummy = np.all((Xa == 0) | (Xa == 1) | np.isnan(Xa), axis=0)
    unseen = dummy & ~(Xa[keep & treated] == 1).any(axis=0)  # levels no participant has
    keep &= ~(Xa[:, unseen] == 1).any(axis=1)
    Xk = X.loc[frame.index[keep]]
    Xs = Xk.loc[:, Xk.std(axis=0, ddof=0) > 0]
    cells = cell_all[keep]
    keys = rows["person_key"].to_numpy()[keep]
    design.counts[f"comparison_rows_off_support_{outcome}"] = int((complete & ~np.isnan(y_all) & ~keep).sum())
    return Sample(
        y=y_all[keep],
        d=rows["treated"].to_numpy()[keep].astype(np.int8),
        X=Xs,
        outcome=outcome,
        kind="binary",
        keys=keys,
        n_missing_covariates=int((~complete).sum()),
        n_missing_outcome=int((complete & np.isnan(y_all)).sum()),
        cluster=np.unique(keys, return_inverse=True)[1],
        cells=np.unique(cells, return_inverse=True)[1],
    )
