"""Comparison weights for the payback calculation from the effects machinery (inverse-probability weighting).

The same covariates and propensity model as the effects section (``covariates`` and
``propensity_formula`` of project.yml): a logit of taking part, participants whose score lies
outside the comparison group's range left out (as :func:`analysis.effects.estimators.ipw_att`
does), comparison persons weighted by the odds ``e/(1-e)``. Any other design (a comparison group
built from the panel, matching weights) plugs in by giving its own
:class:`~analysis.payback.estimate.ComparisonWeights` to :func:`analysis.payback.estimate.month_effects`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.effects.design import covariate_matrix, resolve_covariates
from analysis.effects.propensity import fit_propensity
from analysis.payback.estimate import ComparisonWeights


@dataclass
class WeightedDesign:
    """The comparison weights and who is in the analysis.

    ``treated_keys`` are the participants the effect is estimated for; ``n_missing_covariates`` and
    ``n_outside_support`` count the participants left out (for the linked disclosure of the counts).
    """

    weights: ComparisonWeights
    treated_keys: pd.Index
    covariates: list[str]
    n_missing_covariates: int
    n_outside_support: int
    separated: bool = False


def ipw_design(frame: pd.DataFrame, config) -> WeightedDesign | None:
    """IPW weights for the comparison persons of ``frame`` (``treated`` 1/0); None without covariates.

    Example
    -------
    >>> design = ipw_design(persons(tables), config)  # doctest: +SKIP
    >>> design.weights.weights.head()  # doctest: +SKIP
    """
    covs = resolve_covariates(config, frame)
    if not covs:
        return None
    X, complete = covariate_matrix(frame, covs, getattr(config, "propensity_formula", None))
    d = frame["treated"].to_numpy()[complete].astype(np.int8)
    if d.sum() == 0 or (d == 0).sum() == 0 or X.shape[1] == 0:
        return None
    ps = fit_propensity(X, d)
    keys = frame["person_key"].astype(str).to_numpy()[complete]
    e = np.clip(ps.ps, 1e-12, 1 - 1e-12)
    control = d == 0
    weights = pd.Series(e[control] / (1 - e[control]), index=keys[control])
    kept = (d == 1) & ~ps.outside_support
    treated_all = frame["treated"].to_numpy() == 1
    return WeightedDesign(
        weights=ComparisonWeights(weights, "ipw", design=ps.design, treated=d, ps=ps.ps, keys=keys),
        treated_keys=pd.Index(keys[kept]),
        covariates=covs,
        n_missing_covariates=int((treated_all & ~complete).sum()),
        n_outside_support=int(ps.n_outside_support),
        separated=bool(ps.separated),
    )
