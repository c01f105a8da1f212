"""Persons with a missing covariate: complete cases, the missing-indicator method, or multiple imputation.

``complete``
    Left out (and counted; the count is disclosure-protected where it is published).
``indicator``
    A missing numeric value is set to the mean of the observed ones and an indicator
    ``<column>=missing`` enters the models beside it (categorical covariates already have a
    "missing" level). Unbiased only under strong assumptions; it keeps everybody.
``mice``
    Multiple imputation by chained equations (statsmodels ``MICEData``: predictive mean matching
    from a linear model of each incomplete covariate on all the others, the treatment and the
    outcomes), ``imputations`` completed data sets; every estimator runs on each and the estimates
    are pooled with Rubin's rules (:func:`pool_rubin`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.effects.result import EffectResult

INDICATOR = "{}=missing"


def numeric_missing(frame: pd.DataFrame, covariates: list[str], categorical) -> list[str]:
    """The numeric covariates with at least one missing value."""
    return [
        c for c in covariates if not categorical(frame, c) and pd.to_numeric(frame[c], errors="coerce").isna().any()
    ]


def with_indicators(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Mean-filled copies of ``columns`` and one 0/1 indicator each; returns the frame and the indicator names."""
    out = frame.copy()
    names = []
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce").astype(float)
        name = INDICATOR.format(c)
        out[name] = v.isna().astype(float)
        out[c] = v.fillna(v.mean())
        names.append(name)
    return out, names


def impute(
    frame: pd.DataFrame, columns: list[str], predictors: pd.DataFrame, m: int, seed: int, burn_in: int = 10
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``frame`` with ``columns`` imputed by chained equations (statsmodels MICEData).

    ``predictors`` (same index; numeric, may have gaps) are the other variables of the imputation
    model: the complete covariates as indicators, the treatment and the outcomes. Gaps in them are
    imputed too, but only ``columns`` are taken over into the copies.
    """
    from statsmodels.imputation.mice import MICEData

    data = pd.concat([frame[columns].apply(pd.to_numeric, errors="coerce"), predictors], axis=1).astype(float)
    data = data.loc[:, data.std(ddof=0).fillna(1) > 0]
    safe = {c: f"v{i}" for i, c in enumerate(data.columns)}  # MICEData builds formulas from the names
    data = data.rename(columns=safe)
    state = np.random.get_state()
    np.random.seed(seed)  # MICEData draws from numpy's global generator
    try:
        mice = MICEData(data.reset_index(drop=True), k_pmm=20)
        mice.update_all(burn_in)
        out = []
        for _ in range(m):
            mice.update_all(1)
            done = frame.copy()
            for c in columns:
                done[c] = mice.data[safe[c]].to_numpy()
            out.append(done)
    finally:
        np.random.set_state(state)
    return out


def pool_rubin(per_imputation: list[EffectResult]) -> EffectResult:
    """Rubin's rules: mean estimate, total variance ``U + (1 + 1/m) B``, Barnard–Rubin-free classic df.

    ``details`` gain ``imputations``, ``within_var``, ``between_var``, ``fmi`` (fraction of missing
    information) and ``df``; the interval uses the t distribution with those degrees of freedom.
    """
    m = len(per_imputation)
    q = np.array([r.estimate for r in per_imputation])
    u = np.array([r.se**2 for r in per_imputation])
    qbar, ubar = float(q.mean()), float(u.mean())
    b = float(q.var(ddof=1)) if m > 1 else 0.0
    total = ubar + (1 + 1 / m) * b
    r = (1 + 1 / m) * b / ubar if ubar > 0 else np.inf
    df = (m - 1) * (1 + 1 / r) ** 2 if b > 0 else np.inf
    fmi = (r + 2 / (df + 3)) / (r + 1) if np.isfinite(df) else 0.0
    first = per_imputation[0]
    details = dict(first.details)
    details.update(imputations=m, within_var=ubar, between_var=b, fmi=float(fmi), df=float(df))
    out = EffectResult(
        first.estimator,
        first.outcome,
        qbar,
        float(np.sqrt(total)),
        first.n_treated,
        first.n_control,
        f"{first.se_method}; Rubin's rules over {m} imputations",
        details,
        weights=first.weights,
        df=float(df) if np.isfinite(df) else None,
    )
    return out
