"""Effects by subgroup (sex, age band, track): estimates, a test of equal effects, Holm-adjusted p-values.

For every level of a subgroup dimension the ATT (``subgroups.estimator``, default AIPW) is estimated on
the persons of that level: participants and comparison persons of that sex or age band, or the
participants of a track against the *whole* comparison group (comparison persons have no track). The
estimates of one dimension share persons in the track case, so their covariance is taken from the
stacked influence functions (each level's influence values over all rows, scaled by ``N / n_level``,
summed within persons in a panel-built sample): ``V = Psi' Psi / N^2``. The heterogeneity test is the
Wald test of equal effects across the levels, ``(C b)' (C V C')^-1 (C b) ~ chi2(S - 1)`` with ``C`` the
successive differences. Multiplicity: Holm's step-down adjustment over every subgroup estimate (and,
separately, over the dimensions' heterogeneity tests), reported beside the raw p-values.

Levels with fewer than ``min_cell`` participants or comparison persons (or, for a 0/1 outcome, a
count of successes or failures below it in either group) are not estimated. The participants' counts
of a dimension are protected together with their total (:func:`protect_linked`), so that a hidden
level cannot be recovered from the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure.suppression import DEFAULT_MIN_CELL, protect_linked, protect_share
from analysis.effects.adjust import _subset
from analysis.effects.design import (
    OutcomeSpec,
    Sample,
    build_design,
    covariate_matrix,
    outcome_frame,
    persons,
    resolve_covariates,
)
from analysis.effects.estimators import aipw_att, ipw_att, regression_adjustment
from analysis.effects.panel_source import PanelSource
from analysis.effects.result import Z975

ESTIMATOR = {"aipw": aipw_att, "ipw": ipw_att, "regression": regression_adjustment}
MISSING = "missing"


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@dataclass
class SubgroupResult:
    """Subgroup estimates (``table``), heterogeneity tests (``tests``) and the protected counts.

    ``table`` columns: ``dimension``, ``level``, ``estimate``, ``se``, ``lower``, ``upper``, ``p``,
    ``p_holm``, ``n_treated``, ``n_control``, ``n_treated_hidden`` (the count is not publishable),
    ``skipped`` (``too_few`` / ``failed`` / None). ``tests``: ``dimension``, ``statistic``, ``df``, ``p``,
    ``p_holm``, ``levels``.
    """

    outcome: str
    estimator: str
    table: pd.DataFrame
    tests: pd.DataFrame
    overall: dict[str, float] = field(default_factory=dict)
    min_cell: int = DEFAULT_MIN_CELL
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return self.table.set_index(["dimension", "level"])

    def plot(self, ax=None, xlabel: str = "Effect (percentage points)", scale: float = 100.0):
        """Forest plot of the estimated subgroups with their 95 % intervals, the overall effect dashed."""
        import matplotlib.pyplot as plt

        t = self.table[self.table["skipped"].isna()]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(t) + 1.2))
        ys = np.arange(len(t))[::-1]
        ax.hlines(ys, scale * t["lower"], scale * t["upper"], color="#1f5f8b", lw=2)
        ax.plot(scale * t["estimate"], ys, "o", color="#1f5f8b")
        if self.overall:
            ax.axvline(scale * self.overall["estimate"], color="#c8553d", ls="--", lw=1)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{d}: {lv}" for d, lv in zip(t["dimension"], t["level"])])
        ax.set_xlabel(xlabel)
        return ax


def _labels(frame: pd.DataFrame, spec, age_column: str) -> dict[str, pd.Series]:
    """Subgroup level of every row for each dimension switched on (None for a comparison person's track)."""
    out: dict[str, pd.Series] = {}
    if spec.gender and "gender" in frame:
        out["gender"] = frame["gender"].astype(object).where(frame["gender"].notna(), MISSING).astype(str)
    if spec.age_bands and age_column in frame:
        age = pd.to_numeric(frame[age_column], errors="coerce")
        edges = list(spec.age_bands)
        names = [f"{a}-{b - 1}" for a, b in zip(edges, edges[1:])] + [f"{edges[-1]}+"]
        band = pd.cut(age, [*edges, np.inf], right=False, labels=names).astype(object)
        out["age_band"] = band.where(band.notna(), MISSING).astype(str)
    if spec.track and "track" in frame and frame.loc[frame["treated"] == 1, "track"].notna().any():
        tr = frame["track"].astype(object).where(frame["track"].notna(), MISSING).astype(str)
        out["track"] = tr.where(frame["treated"] == 1, None)
    return out


def _small(sample: Sample, min_cell: int) -> bool:
    if min(sample.n_treated, sample.n_control) < max(min_cell, 2):
        return True
    if sample.kind != "binary":
        return False
    t = sample.d == 1
    return any(
        protect_share(int(sample.y[g].sum()), int(g.sum()), min_cell).hidden for g in (t, ~t)
    )  # a share that would reveal a small count


def _on_support(sample: Sample, rows: np.ndarray) -> np.ndarray:
    """Leave out comparison rows with an indicator level (e.g. a start month) that no participant of the
    subgroup has: they can never resemble the subgroup and would separate its propensity score."""
    X = sample.X.to_numpy(dtype=float)
    t = rows & (sample.d == 1)
    for j in range(X.shape[1]):
        x = X[:, j]
        if np.isin(x[rows], (0.0, 1.0)).all() and not (x[t] == 1).any():
            rows = rows & (x != 1)
    return rows


def _estimate_level(sample: Sample, rows: np.ndarray, estimator: str, min_cell: int):
    rows = _on_support(sample, rows)
    sub = _subset(sample, rows)
    sub.X = sub.X.loc[:, sub.X.std(axis=0, ddof=0) > 0]
    row: dict[str, Any] = {"n_treated": sub.n_treated, "n_control": sub.n_control, "skipped": None}
    if _small(sub, min_cell):
        return {**row, "skipped": "too_few"}, None
    try:
        r = ESTIMATOR[estimator](sub)
    except (ValueError, np.linalg.LinAlgError):
        return {**row, "skipped": "failed"}, None
    if r.influence is None:
        return {**row, "skipped": "failed"}, None
    psi = np.zeros(len(sample.y))
    psi[rows] = r.influence * len(sample.y) / len(sub.y)
    return {**row, "estimate": r.estimate, "se": r.se}, psi


def _cluster_sums(psi: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    if cluster is None:
        return psi
    g = np.unique(cluster, return_inverse=True)[1]
    return np.column_stack([np.bincount(g, weights=psi[:, j]) for j in range(psi.shape[1])])


def _wald_equal(est: np.ndarray, psi: np.ndarray, n: int) -> dict[str, float]:
    S = len(est)
    C = np.eye(S)[:-1] - np.eye(S)[1:]
    V = psi.T @ psi / n**2
    diff = C @ est
    stat = float(diff @ np.linalg.pinv(C @ V @ C.T) @ diff)
    return {"statistic": stat, "df": S - 1, "p": float(stats.chi2.sf(stat, S - 1))}


def subgroup_estimates(
    sample: Sample, labels: dict[str, pd.Series], estimator: str = "aipw", min_cell: int = DEFAULT_MIN_CELL
) -> SubgroupResult:
    """Subgroup effects of one estimator-ready sample; ``labels`` give each row's level per dimension."""
    rows, tests, counts = [], [], {}
    overall = ESTIMATOR[estimator](sample)
    for dim, lab in labels.items():
        lab = lab.to_numpy()
        levels = sorted({v for v in lab[sample.d == 1] if v is not None})
        psis, ests = [], []
        for level in levels:
            member = lab == level
            use = member | ((sample.d == 0) & pd.isna(lab)) if dim == "track" else member
            row, psi = _estimate_level(sample, use, estimator, min_cell)
            rows.append({"dimension": dim, "level": level, **row})
            if psi is not None and level != MISSING:
                psis.append(psi)
                ests.append(row["estimate"])
        counts[dim] = _protected_counts(lab, sample.d, levels, min_cell)
        if len(ests) >= 2:
            P = _cluster_sums(np.column_stack(psis), sample.cluster)
            tests.append({"dimension": dim, "levels": len(ests), **_wald_equal(np.array(ests), P, len(sample.y))})
    table = pd.DataFrame(rows)
    if len(table):
        for c in ("estimate", "se"):
            table[c] = table.get(c, np.nan)
        table["lower"], table["upper"] = table["estimate"] - Z975 * table["se"], table["estimate"] + Z975 * table["se"]
        table["p"] = 2 * stats.norm.sf(np.abs(table["estimate"] / table["se"]))
        table["p_holm"] = holm(table["p"].to_numpy())
        hidden = [counts[d]["hidden"].get(lv, False) for d, lv in zip(table["dimension"], table["level"])]
        table["n_treated_hidden"] = hidden
    tests_df = pd.DataFrame(tests, columns=["dimension", "levels", "statistic", "df", "p"])
    tests_df["p_holm"] = holm(tests_df["p"].to_numpy()) if len(tests_df) else []
    lo, hi = overall.ci
    ov = {"estimate": overall.estimate, "se": overall.se, "lower": lo, "upper": hi}
    ov.update(n_treated=float(sample.n_treated), n_control=float(sample.n_control))
    return SubgroupResult(sample.outcome, estimator, table, tests_df, ov, min_cell, counts)


def _protected_counts(lab: np.ndarray, d: np.ndarray, levels: list[str], min_cell: int) -> dict[str, Any]:
    """Participants per level protected together with their total (linked counts)."""
    t = d == 1
    values = {lv: int(np.sum(t & (lab == lv))) for lv in levels}
    values["total"] = int(t.sum())
    pc = protect_linked(values, [(levels, "total")], min_cell)
    hidden = {k: bool(pc.primary[k] or pc.secondary[k]) for k in values}
    return {"values": values, "hidden": hidden, "shown": {k: (None if hidden[k] else v) for k, v in values.items()}}


def subgroup_effects(
    tables: dict[str, pd.DataFrame],
    config,
    data_end: dt.date | pd.Timestamp,
    outcome: str | None = None,
    source: str | None = None,
) -> SubgroupResult | None:
    """The subgroup effects of ``subgroups:`` in project.yml on the main outcome (None without a comparison).

    With ``comparison: {from: panel}`` (or ``source="panel"``) the sample is the panel-built one
    (person-month rows, estimates clustered by person, age at the start month); otherwise, or with
    ``source="file"``, participants against the comparison file.

    Example
    -------
    >>> sg = subgroup_effects(ctx.tables, ctx.config, ctx.data_end)  # doctest: +SKIP
    >>> sg.summary()  # doctest: +SKIP
    """
    spec = config.subgroups
    outcome = outcome or spec.outcome or "wos_12m"
    min_cell = int(getattr(config, "min_cell", DEFAULT_MIN_CELL))
    frame = persons(tables)
    source = source or config.comparison.source
    if not len(frame) or not (frame["treated"] == 0).any() and source != "panel":
        return None
    if source == "panel" and PanelSource(tables).available:
        sample, rows = _panel_sample(frame, tables, config, data_end, outcome)
        age = "age"
    else:
        outcomes, _ = outcome_frame(frame, tables, config, data_end)
        if outcome not in outcomes:
            return None
        X, complete = covariate_matrix(frame, resolve_covariates(config, frame), config.propensity_formula)
        obs = outcomes[outcome].dropna()
        kind = "binary" if len(obs) and obs.isin([0.0, 1.0]).all() else "continuous"
        sample = build_design(frame, outcomes, X, complete, OutcomeSpec(outcome, kind))
        rows, age = frame.loc[sample.X.index], "age_at_start"
    if sample.n_treated < min_cell or sample.n_control < min_cell:  # no overall effect to split (e.g. no outcome)
        return None
    labels = _labels(rows.reset_index(drop=True), spec, age)
    return subgroup_estimates(sample, labels, spec.estimator, min_cell)


def _panel_sample(frame, tables, config, data_end, outcome):
    from analysis.effects.panel_design import build_panel_design, panel_sample

    months = sorted({int(outcome.split("_")[1].rstrip("m")), *config.effect_months_after_start})
    src = PanelSource(tables)
    wos = list(config.panel_work_or_study)
    design = build_panel_design(frame, config.comparison, wos, months, data_end, panel=src.whole, dataset=src.dataset)
    sample = panel_sample(design, outcome)
    rows = design.rows.loc[sample.X.index]
    if "track" in frame:
        people = frame.assign(person_key=frame["person_key"].astype(str)).drop_duplicates("person_key")
        rows = rows.assign(track=rows["person_key"].map(people.set_index("person_key")["track"]))
        rows.loc[sample.d == 0, "track"] = None  # a later participant is a comparison here: no track
    return sample, rows.assign(treated=sample.d)
