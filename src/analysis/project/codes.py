"""Canonical codes of the raw-data contract. The Swedish labels that map onto them live in
``analysis.clean.labels``."""

from __future__ import annotations

REFERRED_BY = ("soc", "af", "fk", "region", "other")
GENDER = ("female", "male")
ORIGIN = ("sweden", "nordic", "europe", "outside_europe", "unknown")
EDUCATION = ("compulsory", "upper_secondary", "post_secondary", "unknown")
INCOME = (
    "income_support",
    "activity_support",
    "sickness_benefit",
    "disability_benefit",
    "unemployment_insurance",
    "wage",
    "student_aid",
    "none",
    "other",
)
EXIT_STATUS = (
    "work",
    "subsidised_work",
    "study",
    "work_and_study",
    "job_seeking",
    "other_programme",
    "sick",
    "moved",
    "dropped_out",
    "unknown",
)
PANEL_STATUS = ("work", "study", "income_support", "job_seeking", "sick", "other", "unknown")
SURVEY_WAVES = ("exit", "followup")
FILE_KINDS = ("participants", "comparison", "followups", "status_monthly", "income_monthly", "survey")
