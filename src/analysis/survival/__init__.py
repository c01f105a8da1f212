"""Survival analysis: Kaplan–Meier, log-rank, Cox (Efron) and Aalen–Johansen, vectorised numpy.

Each estimator returns a result object with the numbers, ``summary()`` and ``plot()``;
all agree with lifelines to floating-point precision (see tests/test_survival_*.py).
"""

from analysis.survival.cif import CumulativeIncidenceResult, aalen_johansen, aalen_johansen_by
from analysis.survival.cox import ConvergenceError, CoxPHResult, cox_ph, cox_ph_frame
from analysis.survival.km import KaplanMeierGroups, KaplanMeierResult, kaplan_meier, kaplan_meier_by
from analysis.survival.logrank import LogRankResult, logrank_test

__all__ = [
    "CumulativeIncidenceResult",
    "aalen_johansen",
    "aalen_johansen_by",
    "ConvergenceError",
    "CoxPHResult",
    "cox_ph",
    "cox_ph_frame",
    "KaplanMeierGroups",
    "KaplanMeierResult",
    "kaplan_meier",
    "kaplan_meier_by",
    "LogRankResult",
    "logrank_test",
]
