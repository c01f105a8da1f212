"""Every cleaning rule, keyed by its code: the column it is reported in, its message and its report label.

A quarantined row in ``rejected.csv`` names the rule's code and its English message
(filled in from the template); reports show the rule's label from the label
dictionary (``rule_<code>`` in ``resources/i18n/clean.yml``, Swedish and English).
Cleaning code refers to rules only through :data:`RULES`, so a rule is added here
once and the tests list the rules from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.project.contract import ORDER


@dataclass(frozen=True)
class Rule:
    """One cleaning rule.

    Attributes
    ----------
    code : str
        Stable identifier (in rejected.csv, results and tests).
    column : str or None
        The column the rule is reported in; ``None``: the column being checked.
    message : str
        English message template for rejected.csv (``str.format`` fields).
    kinds : tuple of str
        File kinds the rule is applied to.
    """

    code: str
    column: str | None
    message: str
    kinds: tuple[str, ...]

    def text(self, **fields: object) -> str:
        """The message with its fields filled in."""
        return self.message.format(**fields)

    @property
    def label_key(self) -> str:
        """The label dictionary key of the rule's name in reports (the report translates it)."""
        return f"rule_{self.code}"


_ALL = ORDER
_PANELS = ("status_monthly", "income_monthly")

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("empty_id", None, "empty id", _ALL),
        Rule("invalid_id", None, "invalid {what}: {why}", _ALL),
        Rule("unreadable_date", None, "unreadable date", ("participants", "comparison", "followups")),
        Rule("unreadable_month", "month", "unreadable month", _PANELS),
        Rule(
            "implausible_date",
            None,
            "date outside the plausible range {window} (1900 to a year after data_end): a year typed wrong? "
            "Correct it in the export; if the data really run that late, set a later data_end in project.yml",
            ("participants", "comparison", "followups", *_PANELS),
        ),
        Rule(
            "date_before_birth",
            None,
            "date before the person was born (birth date from the personnummer or the birth date column)",
            ("participants",),
        ),
        Rule("empty_required", None, "empty required field", ("comparison", *_PANELS, "survey")),
        Rule(
            "unknown_label",
            None,
            "unknown label '{label}' (map it under files.{kind}.values.{column} in project.yml)",
            _ALL,
        ),
        Rule("not_a_number", None, "not a number", ("participants", "comparison", "followups")),
        Rule(
            "no_start_or_referral",
            "start_date",
            "empty required field (no start date and no referral date)",
            ("participants",),
        ),
        Rule("end_before_start", "end_date", "end date before start date", ("participants",)),
        Rule(
            "start_outside_period",
            "start_date",
            "start date outside the project period ({start}..{end})",
            ("participants",),
        ),
        Rule("end_after_period", "end_date", "end date after the project period ends ({end})", ("participants",)),
        Rule("impossible_age", "birth_year", "impossible age at start", ("participants", "comparison")),
        Rule(
            "no_followup_time",
            "followup_date",
            "neither follow-up date nor months after exit",
            ("followups",),
        ),
        Rule("unknown_item", "item", "unknown survey item (items in project.yml: {items})", ("survey",)),
        Rule("response_off_scale", "response", "response not on the item's scale 1..{k}", ("survey",)),
        Rule(
            "unknown_category",
            "response",
            "'{value}' is not a category of scale {scale} ({categories}){hint} Code the answer as one of them "
            "(or its number 1..{k}), or add the category to survey.scales.{scale}.labels_sv in project.yml",
            ("survey",),
        ),
        Rule(
            "duplicate_enrolment",
            "person_id",
            "duplicate enrolment (same person and start date as row {first})",
            ("participants",),
        ),
        Rule(
            "re_enrolment",
            "person_id",
            "re-enrolment of a person already enrolled in row {first}; each person is counted once",
            ("participants",),
        ),
        Rule(
            "comparison_is_participant",
            "person_id",
            "person is also a participant; a comparison person must not take part",
            ("comparison",),
        ),
        Rule("duplicate_comparison", "person_id", "duplicate comparison person", ("comparison",)),
        Rule("unknown_person", None, "person not among the kept {among}", ("followups", *_PANELS, "survey")),
        Rule(
            "duplicate_answer",
            "item",
            "duplicate answer (same respondent, wave and item)",
            ("survey",),
        ),
        Rule("duplicate_month", "month", "duplicate month for the same person", ("status_monthly",)),
        Rule(
            "duplicate_income_source",
            "income_source",
            "the same income source twice in one month for the same person",
            ("income_monthly",),
        ),
        Rule(
            "registration_error",
            "exit_status",
            "registered by mistake (Felregistrering): not a participation; excluded and counted",
            ("participants",),
        ),
    )
}
