"""The analysis sample: participants (treated) and comparison persons, outcomes and covariates.

Time zero is the start date for a participant and ``reference_date`` for a
comparison person. Outcomes
---------------------------
``wos_<m>m``
    In work or study (``panel_work_or_study`` in project.yml) in the calendar
    month ``m`` months after time zero, from ``status_monthly``. Missing when
    that month is after ``data_end`` or the person has no panel row for it.
``exit_wos``
    Exit status counts as work or study (``work_or_study``); only when both
    groups have exit statuses.
register outcomes
    Every numeric column listed under ``outcomes`` in project.yml.

Covariates are the ``covariates`` of project.yml (``age`` is accepted for
``age_at_start``); when none are listed, the standard background variables that
both groups have are used. Categorical covariates become indicators with the
largest category as reference; a missing category is its own level. Persons
with a missing numeric covariate are left out (complete cases), and counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from analysis.effects.panel_source import PanelSource
from analysis.project.config import DEFAULT_EFFECT_MONTHS_AFTER_START
from analysis.project.contract import PERSON_KEY, panel_measures
from analysis.project.dates import month_number, month_numbers

CATEGORICAL = ("gender", "education", "origin", "referred_by", "income_at_start", "track")
DEFAULT_COVARIATES = ("age_at_start", "gender", "education", "origin", "support_before_months")
ALIASES = {"age": "age_at_start"}
MISSING_LEVEL = "missing"


@dataclass
class OutcomeSpec:
    """One outcome: its column, kind (``binary``/``continuous``) and months after time zero (panel outcomes)."""

    name: str
    kind: str
    months: int | None = None
    source: str = "panel"  # panel, exit, register


@dataclass
class Sample:
    """Arrays ready for an estimator: outcome ``y``, treatment ``d`` (1 = participant) and covariates ``X``.

    ``X`` holds no intercept; estimators add one. ``keys`` are the person keys in row order.
    """

    y: np.ndarray
    d: np.ndarray
    X: pd.DataFrame
    outcome: str = "y"
    kind: str = "continuous"
    keys: np.ndarray | None = None
    n_missing_covariates: int = 0
    n_missing_outcome: int = 0
    cluster: np.ndarray | None = None  # person of each row when a person has several rows (panel design)
    cells: np.ndarray | None = None  # exact-match cell of each row (panel design: start month x duration band)

    @property
    def n_treated(self) -> int:
        return int(self.d.sum())

    @property
    def n_control(self) -> int:
        return int(len(self.d) - self.d.sum())


def persons(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Participants with a start date (treated) stacked on the comparison group (controls).

    Columns: ``person_key``, ``treated`` (0/1), ``t0`` (time zero) and every other person-level column.
    """
    part = tables.get("participants")
    comp = tables.get("comparison")
    frames = []
    if part is not None and len(part):
        p = part[part["start_date"].notna()].copy()
        p["treated"] = 1
        p["t0"] = p["start_date"]
        frames.append(p)
    if comp is not None and len(comp):
        c = comp.copy()
        c["treated"] = 0
        c["t0"] = c["reference_date"]
        frames.append(c)
    if not frames:
        return pd.DataFrame(columns=[PERSON_KEY, "treated", "t0"])
    out = pd.concat(frames, ignore_index=True, sort=False)
    out["treated"] = out["treated"].astype("int8")
    return out


def resolve_covariates(config, frame: pd.DataFrame) -> list[str]:
    """The covariate columns to adjust for (project.yml ``covariates`` or the standard ones present)."""
    listed = [ALIASES.get(c, c) for c in (getattr(config, "covariates", None) or [])]
    if listed:
        return list(dict.fromkeys(listed))
    out = []
    for c in DEFAULT_COVARIATES:
        if c in frame and frame[c].notna().any():
            # only when both groups have it (a comparison file may lack a column)
            if all(frame.loc[frame["treated"] == g, c].notna().any() for g in (0, 1)):
                out.append(c)
    return out


def _is_categorical(frame: pd.DataFrame, col: str) -> bool:
    s = frame[col]
    return col in CATEGORICAL or not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def covariate_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], formula: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The design matrix (no intercept) and the mask of rows with complete covariates.

    Parameters
    ----------
    frame
        One row per person.
    covariates
        Column names; categorical ones are expanded to indicators (largest level as reference).
    formula
        Optional patsy right-hand side (e.g. ``"age_at_start + I(age_at_start**2) + C(gender)"``)
        used instead of the additive default; its intercept is dropped.

    Returns
    -------
    X : DataFrame
        Float columns for the complete rows only, constant columns removed.
    complete : ndarray of bool
        Which rows of ``frame`` are in ``X``.
    """
    missing = [c for c in covariates if c not in frame]
    if missing:
        raise KeyError(f"covariates not in the data: {', '.join(missing)}")
    work = pd.DataFrame(index=frame.index)
    complete = np.ones(len(frame), dtype=bool)
    for c in covariates:
        if _is_categorical(frame, c):
            work[c] = frame[c].astype(object).where(frame[c].notna(), MISSING_LEVEL).astype(str)
        else:
            v = pd.to_numeric(frame[c], errors="coerce").astype(float)
            complete &= v.notna().to_numpy()
            work[c] = v
    work = work[complete]
    if formula:
        import patsy

        mat = patsy.dmatrix(formula, work, return_type="dataframe", NA_action="raise")
        X = mat.drop(columns=[c for c in mat.columns if c == "Intercept"])
    else:
        parts = []
        for c in covariates:
            if _is_categorical(frame, c):
                counts = work[c].value_counts()
                ref = sorted(counts.index[counts == counts.max()])[0]
                levels = sorted(x for x in counts.index if x != ref)
                cat = pd.Categorical(work[c], categories=[ref, *levels])
                dummies = pd.get_dummies(cat, prefix=c, prefix_sep="=", dtype=float).iloc[:, 1:]
                dummies.index = work.index
                parts.append(dummies)
            else:
                parts.append(work[[c]])
        X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=work.index)
    X = X.astype(float)
    sd = X.std(axis=0, ddof=0)
    X = X.loc[:, sd > 0]
    return X, complete


def _codes_of(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), computed once per distinct value.

    The panel has tens of millions of rows but few distinct keys and statuses: a
    categorical column is looked up by its categories and expanded by its codes,
    never turned into millions of Python strings.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    lookup = index.get_indexer(values.cat.categories.astype(str))
    codes = values.cat.codes.to_numpy()
    return np.where(codes >= 0, np.append(lookup, -1)[codes], -1)


_PANEL_CACHE: list = []  # one entry (frame, panel, codes); effects_analysis clears it when done


def _panel_integers(frame: pd.DataFrame, panel: pd.DataFrame):
    """Person codes, month numbers and status codes of the panel rows of ``frame``'s persons (cached)."""
    if _PANEL_CACHE and _PANEL_CACHE[0][0] is frame and _PANEL_CACHE[0][1] is panel:
        return _PANEL_CACHE[0][2]
    keys = pd.Index(pd.unique(frame[PERSON_KEY].astype(str)))
    pk = _codes_of(panel[PERSON_KEY], keys)
    ok = pk >= 0
    status = (
        panel["status"]
        if isinstance(panel["status"].dtype, pd.CategoricalDtype)
        else panel["status"].astype("category")
    )
    person = keys.get_indexer(frame[PERSON_KEY].astype(str)).astype(np.int64)
    codes = (
        keys,
        person,
        pk[ok].astype(np.int64),
        month_numbers(panel["month"])[ok],
        status.cat.codes.to_numpy()[ok],
        status.cat.categories.astype(str),
    )
    _PANEL_CACHE[:] = [(frame, panel, codes)]
    return codes


def clear_panel_cache() -> None:
    """Drop the cached integer view of the panel (it holds a few arrays of the panel's length)."""
    _PANEL_CACHE.clear()


def panel_codes(frame: pd.DataFrame, panel: pd.DataFrame, statuses: Sequence[str]):
    """Integer view of the panel for the persons in ``frame``.

    Returns ``keys`` (distinct person keys of ``frame``), the person code of each
    frame row, and for the panel rows that belong to those persons: person code,
    month number and whether the status is in ``statuses``. The integer view is
    computed once per (frame, panel) and reused for every outcome and status set.
    """
    keys, person, pk, pmonth, status_codes, categories = _panel_integers(frame, panel)
    wanted = np.append(categories.isin(list(statuses)), False)
    hit = wanted[status_codes]
    return keys, person, pk, pmonth, hit


def panel_status_at(
    frame: pd.DataFrame,
    panel: pd.DataFrame,
    months: Sequence[int],
    statuses: Sequence[str],
    data_end: dt.date | pd.Timestamp,
) -> pd.DataFrame:
    """0/1 (NaN when unobserved) per person: status in ``statuses`` ``m`` months after time zero.

    Vectorised: the panel rows are scattered into a person x month grid (int8, -1 =
    not observed) when that grid is small (persons x months of the panel's span;
    1 M persons x 36 months is 36 MB), otherwise joined on sorted integer
    (person, month) codes.
    """
    out = pd.DataFrame(index=frame.index)
    keys, person, pk, pmonth, hit = panel_codes(frame, panel, statuses)
    t0 = month_numbers(frame["t0"])
    end = month_number(data_end)
    if len(pk) == 0:
        for m in months:
            out[f"wos_{m}m"] = np.nan
        return out
    lo, hi = int(pmonth.min()), int(pmonth.max())
    span = hi - lo + 1
    if len(keys) * span <= 400_000_000:
        grid = np.full((len(keys), span), -1, dtype=np.int8)
        grid[pk, pmonth - lo] = hit  # duplicates cannot occur: the cleaning step quarantines them

        def lookup(target):
            return np.where(
                (target >= lo) & (target <= hi) & (person >= 0),
                grid[np.maximum(person, 0), np.clip(target - lo, 0, span - 1)],
                -1,
            )
    else:
        code = pk * (span + 1) + (pmonth - lo)
        order = np.argsort(code, kind="stable")
        code, hit_sorted = code[order], hit[order]

        def lookup(target):
            want = person * (span + 1) + (target - lo)
            pos = np.minimum(np.searchsorted(code, want), len(code) - 1)
            found = (code[pos] == want) & (target >= lo) & (target <= hi) & (person >= 0)
            return np.where(found, hit_sorted[pos].astype(np.int8), -1)

    for m in months:
        target = t0 + m
        val = lookup(target).astype(float)
        val[val < 0] = np.nan
        val[(target > end) | (t0 < 0)] = np.nan
        out[f"wos_{m}m"] = val
    return out


def status_at(
    source: PanelSource,
    frame: pd.DataFrame,
    months: Sequence[int],
    statuses: Sequence[str],
    data_end: dt.date | pd.Timestamp,
) -> pd.DataFrame:
    """:func:`panel_status_at` from the whole panel or a register panel stored by person (bucket by bucket)."""
    return source.per_person(
        frame, partial(panel_status_at, months=list(months), statuses=list(statuses), data_end=data_end)
    )


def outcome_frame(
    frame: pd.DataFrame, tables: dict[str, pd.DataFrame], config, data_end: dt.date | pd.Timestamp
) -> tuple[pd.DataFrame, list[OutcomeSpec]]:
    """Every outcome column for the persons in ``frame`` and their specifications."""
    specs: list[OutcomeSpec] = []
    out = pd.DataFrame(index=frame.index)
    panel = PanelSource(tables)
    months = list(getattr(config, "effect_months_after_start", None) or DEFAULT_EFFECT_MONTHS_AFTER_START)
    if panel.available and panel_measures(getattr(config, "panel_domain", None) or "activity", "work_or_study"):
        wos = status_at(panel, frame, months, config.panel_work_or_study, data_end)
        for m in months:
            out[f"wos_{m}m"] = wos[f"wos_{m}m"]
            specs.append(OutcomeSpec(f"wos_{m}m", "binary", m, "panel"))
    if "exit_status" in frame:
        has = frame["exit_status"].notna()
        if all(has[frame["treated"] == g].any() for g in (0, 1)):
            out["exit_wos"] = np.where(has, frame["exit_status"].isin(config.work_or_study), np.nan).astype(float)
            specs.append(OutcomeSpec("exit_wos", "binary", None, "exit"))
    for c in getattr(config, "outcomes", None) or []:
        if c not in frame:
            continue
        v = pd.to_numeric(frame[c], errors="coerce").astype(float)
        out[c] = v
        obs = v.dropna()
        kind = "binary" if len(obs) and obs.isin([0.0, 1.0]).all() else "continuous"
        specs.append(OutcomeSpec(c, kind, None, "register"))
    return out, specs


def build_design(
    frame: pd.DataFrame, outcomes: pd.DataFrame, X: pd.DataFrame, complete: np.ndarray, spec: OutcomeSpec
) -> Sample:
    """The complete-case :class:`Sample` for one outcome."""
    y_all = outcomes[spec.name].to_numpy(dtype=float)
    rows = complete & ~np.isnan(y_all)
    Xs = X.loc[frame.index[rows]]
    # indicators that are constant within the outcome sample carry no information
    Xs = Xs.loc[:, Xs.std(axis=0, ddof=0) > 0]
    return Sample(
        y=y_all[rows],
        d=frame["treated"].to_numpy()[rows].astype(np.int8),
        X=Xs,
        outcome=spec.name,
        kind=spec.kind,
        keys=frame[PERSON_KEY].astype(str).to_numpy()[rows],
        n_missing_covariates=int((~complete).sum()),
        n_missing_outcome=int((complete & np.isnan(y_all)).sum()),
    )
