"""Outcome effects of taking part: participants against a comparison group.

Modules
-------
design       the analysis sample: who is treated, outcomes at fixed months, covariates
propensity   the propensity score (logit) and common support
estimators   unadjusted, regression adjustment, matching, weighting, doubly robust (all ATT)
balance      standardised mean differences and variance ratios, love plot, overlap plot
panel        before/after and difference-in-differences (event study) on the monthly panel
sensitivity  E-values
result       EffectResult / EffectTable: numbers, summary() and plot()
analysis     the whole section for one project (what the notebook calls)
publish      the published tables of the section (numbers and codes; the report adds the words)
"""

from analysis.effects.balance import BalanceResult, balance_table
from analysis.effects.design import Sample, build_design, covariate_matrix, outcome_frame
from analysis.effects.estimators import aipw_att, ipw_att, match_att, regression_adjustment, unadjusted
from analysis.effects.propensity import PropensityResult, fit_propensity
from analysis.effects.result import EffectResult, EffectTable
from analysis.effects.sensitivity import evalue_rd, evalue_rr, evalue_smd

__all__ = [
    "BalanceResult",
    "EffectResult",
    "EffectTable",
    "PropensityResult",
    "Sample",
    "aipw_att",
    "balance_table",
    "build_design",
    "covariate_matrix",
    "evalue_rd",
    "evalue_rr",
    "evalue_smd",
    "fit_propensity",
    "ipw_att",
    "match_att",
    "outcome_frame",
    "regression_adjustment",
    "unadjusted",
]
