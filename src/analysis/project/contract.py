"""The raw-data contract: which canonical columns each file kind holds, and how they are parsed."""

from __future__ import annotations

from typing import Any

# What each contract file holds: dates, categorical columns (-> label domain), numbers.
FILE_COLUMNS: dict[str, dict[str, Any]] = {
    "participants": {
        "id": "person_id",
        "required": ["person_id", "start_date"],
        "dates": ["referral_date", "start_date", "end_date", "action_plan_date"],
        "categories": {
            "referred_by": "referred_by",
            "gender": "gender",
            "origin": "origin",
            "education": "education",
            "income_at_start": "income",
            "income_at_exit": "income",
            "exit_status": "exit_status",
        },
        "numbers": ["birth_year", "support_before_months"],
        "text": ["track"],
    },
    "comparison": {
        "id": "person_id",
        "required": ["person_id", "reference_date"],
        "dates": ["reference_date"],
        "categories": {
            "referred_by": "referred_by",
            "gender": "gender",
            "origin": "origin",
            "education": "education",
            "income_at_start": "income",
            "exit_status": "exit_status",
        },
        "numbers": ["birth_year", "support_before_months"],
        "text": [],
    },
    "followups": {
        "id": "person_id",
        "required": ["person_id"],
        "dates": ["followup_date"],
        "categories": {"status": "exit_status", "income_source": "income"},
        "numbers": ["months_after_exit"],
        "text": [],
    },
    "status_monthly": {
        "id": "person_id",
        "required": ["person_id", "month", "status"],
        "dates": [],
        "months": ["month"],
        "categories": {"status": "panel_status"},
        "numbers": [],
        "text": [],
    },
    "income_monthly": {
        "id": "person_id",
        "required": ["person_id", "month", "income_source"],
        "dates": [],
        "months": ["month"],
        "categories": {"income_source": "income"},
        "numbers": [],
        "text": [],
    },
    "survey": {
        "id": "respondent_id",
        "required": ["respondent_id", "wave", "item", "response"],
        "dates": [],
        "categories": {"wave": "wave"},
        "numbers": [],
        "text": ["item", "free_text", "response"],
    },
}

ORDER = ("participants", "comparison", "followups", "status_monthly", "income_monthly", "survey")

PERSON_KEY = {
    "participants": "person_key",
    "comparison": "person_key",
    "followups": "person_key",
    "status_monthly": "person_key",
    "income_monthly": "person_key",
    "survey": "respondent_key",
}
