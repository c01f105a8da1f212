"""Socio-economic payback: the project's cost against the priced effect, per actor, with its uncertainty.

Modules
-------
inputs     person-months by status or income source after each person's time zero
weights    comparison weights from the effects machinery (inverse-probability weighting)
estimate   effects on the months in each status or income source, by month after start (the interface)
costs      the versioned cost table and the project's overrides; flows per actor
pricing    kronor per actor, discounting, extrapolation, payback time
result     PaybackResult: summary(), sensitivity(), months_table(), plot()
publish    the result as published tables (what the page shows and results.json holds)
analysis   the whole section for one project (what the notebook calls)
"""

from analysis.payback.analysis import payback_analysis, payback_from_effects
from analysis.payback.costs import CostTable, cost_table
from analysis.payback.estimate import ComparisonWeights, MonthEffects, before_after_effects, month_effects
from analysis.payback.publish import published
from analysis.payback.result import PaybackResult

__all__ = [
    "ComparisonWeights",
    "CostTable",
    "MonthEffects",
    "PaybackResult",
    "before_after_effects",
    "cost_table",
    "month_effects",
    "payback_analysis",
    "payback_from_effects",
    "published",
]
