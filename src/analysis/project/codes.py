"""Canonical codes of the raw-data contract and the Swedish (and English) labels that map onto them.

Each value domain is declared once here: its codes in their canonical order and the
labels exports use for them. Labels are matched after :func:`normalise` (case,
spacing and surrounding punctuation ignored); a code always maps to itself. A
project's own ``files.<kind>.values`` in project.yml take precedence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field


def normalise(label: object) -> str:
    """Fold case, accents of Unicode composition, spaces, and surrounding punctuation."""
    s = unicodedata.normalize("NFC", str(label)).strip().lower()
    s = re.sub(r"[\s_]+", " ", s)
    return s.strip(" .:;")


@dataclass(frozen=True)
class Domain:
    """The codes one categorical column may take, and the labels that mean them.

    Attributes
    ----------
    name, description : str
        The domain's name (referenced by contract columns) and what it classifies.
    codes : tuple of str
        The codes in canonical order. For a ``multi`` domain the order is the
        precedence when a combined label names several codes (the first one wins).
    labels : mapping
        Label as exports write it -> code.
    multi : bool
        A label may combine several labels of the domain ("Lön + ekonomiskt bistånd").
    unknown : str or None
        The code an unknown label becomes when the column does not decide inclusion
        (``None``: the value is left missing).
    exclusions : tuple of str
        Labels that mark a registration as void ("Felregistrering"): the row is excluded with a count.
    """

    name: str
    description: str
    codes: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    multi: bool = False
    unknown: str | None = None
    exclusions: tuple[str, ...] = ()

    def value_map(self) -> dict[str, str]:
        """Normalised label -> code (every code maps to itself; an exclusion label to ``excluded``)."""
        out = {normalise(code): code for code in self.codes}
        out.update({normalise(k): v for k, v in self.labels.items()})
        out.update({normalise(k): "excluded" for k in self.exclusions})
        return out

    def labels_of(self, code: str) -> list[str]:
        """The labels that map to ``code``, in declaration order."""
        return [k for k, v in self.labels.items() if v == code]


DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain(
            "gender",
            "Gender (kön); derived from the personnummer when the export leaves it empty",
            ("female", "male"),
            {"kvinna": "female", "k": "female", "kv": "female", "man": "male", "m": "male"},
        ),
        Domain(
            "referred_by",
            "The authority or actor that referred the person to the project",
            ("soc", "af", "fk", "region", "other"),
            {
                "socialtjänsten": "soc",
                "socialtjansten": "soc",
                "ekonomiskt bistånd": "soc",
                "försörjningsstöd": "soc",
                "kommunen": "soc",
                "arbetsförmedlingen": "af",
                "arbetsformedlingen": "af",
                "försäkringskassan": "fk",
                "forsakringskassan": "fk",
                "regionen": "region",
                "landstinget": "region",
                "psykiatrin": "region",
                "vårdcentral": "region",
                "hälso- och sjukvården": "region",
                "annan": "other",
                "övrig": "other",
                "övriga": "other",
                "egen anmälan": "other",
            },
        ),
        Domain(
            "origin",
            "Region of birth (härkomst)",
            ("sweden", "nordic", "europe", "outside_europe", "unknown"),
            {
                "sverige": "sweden",
                "svensk": "sweden",
                "född i sverige": "sweden",
                "norden": "nordic",
                "nordiska länder": "nordic",
                "övriga norden": "nordic",
                "europa": "europe",
                "övriga europa": "europe",
                "eu": "europe",
                "utanför europa": "outside_europe",
                "utomeuropeisk": "outside_europe",
                "utomnordisk": "outside_europe",
                "övriga världen": "outside_europe",
                "okänd": "unknown",
                "okänt": "unknown",
                "uppgift saknas": "unknown",
            },
            unknown="unknown",
        ),
        Domain(
            "education",
            "Highest completed education",
            ("compulsory", "upper_secondary", "post_secondary", "unknown"),
            {
                "förgymnasial": "compulsory",
                "grundskola": "compulsory",
                "förgymnasial utbildning": "compulsory",
                "grundskola eller motsvarande": "compulsory",
                "gymnasial": "upper_secondary",
                "gymnasium": "upper_secondary",
                "gymnasieskola": "upper_secondary",
                "gymnasial utbildning": "upper_secondary",
                "eftergymnasial": "post_secondary",
                "högskola": "post_secondary",
                "universitet": "post_secondary",
                "eftergymnasial utbildning": "post_secondary",
                "okänd": "unknown",
                "uppgift saknas": "unknown",
            },
            unknown="unknown",
        ),
        Domain(
            "income",
            "Main source of income (försörjning); public support ranks before wage when a label combines several",
            (
                "income_support",
                "activity_support",
                "sickness_benefit",
                "disability_benefit",
                "unemployment_insurance",
                "wage",
                "student_aid",
                "none",
                "other",
            ),
            {
                "försörjningsstöd": "income_support",
                "ekonomiskt bistånd": "income_support",
                "socialbidrag": "income_support",
                "aktivitetsstöd": "activity_support",
                "etableringsersättning": "activity_support",
                "utvecklingsersättning": "activity_support",
                "sjukpenning": "sickness_benefit",
                "sjukersättning": "disability_benefit",
                "aktivitetsersättning": "disability_benefit",
                "a-kassa": "unemployment_insurance",
                "akassa": "unemployment_insurance",
                "arbetslöshetsersättning": "unemployment_insurance",
                "lön": "wage",
                "lon": "wage",
                "anställning": "wage",
                "arbetsinkomst": "wage",
                "studiemedel": "student_aid",
                "csn": "student_aid",
                "ingen": "none",
                "ingen ersättning": "none",
                "egen försörjning": "none",
                "annan": "other",
                "övrigt": "other",
                "annat": "other",
            },
            multi=True,
        ),
        Domain(
            "exit_status",
            "What the person went on to at exit (or at a follow-up)",
            (
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
            ),
            {
                "arbete": "work",
                "osubventionerat arbete": "work",
                "anställning": "work",
                "eget företag": "work",
                "arbete på öppna marknaden": "work",
                "subventionerat arbete": "subsidised_work",
                "anställning med stöd": "subsidised_work",
                "lönebidrag": "subsidised_work",
                "nystartsjobb": "subsidised_work",
                "extratjänst": "subsidised_work",
                "studier": "study",
                "utbildning": "study",
                "reguljära studier": "study",
                "arbete och studier": "work_and_study",
                "arbete + studier": "work_and_study",
                "arbetssökande": "job_seeking",
                "aktivt arbetssökande": "job_seeking",
                "annan insats": "other_programme",
                "annat projekt": "other_programme",
                "åtgärd": "other_programme",
                "sjukskriven": "sick",
                "sjuk": "sick",
                "sjukskrivning": "sick",
                "flyttat": "moved",
                "flytt": "moved",
                "avflyttad": "moved",
                "avbrott": "dropped_out",
                "avbrutit": "dropped_out",
                "hoppat av": "dropped_out",
                "okänd": "unknown",
                "okänt": "unknown",
                "uppgift saknas": "unknown",
            },
            unknown="unknown",
            exclusions=("felregistrering", "felaktig registrering", "registrerad av misstag", "makulerad"),
        ),
        Domain(
            "panel_status",
            "A person's status in one calendar month of a register panel (no_income_support: a month of an "
            "income-support panel without a payment)",
            ("work", "study", "income_support", "job_seeking", "sick", "other", "unknown", "no_income_support"),
            {
                "arbete": "work",
                "studier": "study",
                "försörjningsstöd": "income_support",
                "ekonomiskt bistånd": "income_support",
                "arbetssökande": "job_seeking",
                "öppet arbetslös": "job_seeking",  # Arbetsförmedlingen's category in register extracts
                "arbetslös": "job_seeking",
                "sjuk": "sick",
                "sjukskriven": "sick",
                "övrigt": "other",
                "annat": "other",
                "okänd": "unknown",
                "okänt": "unknown",
                "inget försörjningsstöd": "no_income_support",
                "inget ekonomiskt bistånd": "no_income_support",
                "ej försörjningsstöd": "no_income_support",
            },
        ),
        Domain(
            "wave",
            "Survey wave: at exit or at the follow-up",
            ("exit", "followup"),
            {
                "avslut": "exit",
                "vid avslut": "exit",
                "uppföljning": "followup",
                "efter 6-12 mån": "followup",
            },
        ),
    )
}

REFERRED_BY = DOMAINS["referred_by"].codes
GENDER = DOMAINS["gender"].codes
ORIGIN = DOMAINS["origin"].codes
EDUCATION = DOMAINS["education"].codes
INCOME = DOMAINS["income"].codes
EXIT_STATUS = DOMAINS["exit_status"].codes
PANEL_STATUS = DOMAINS["panel_status"].codes
SURVEY_WAVES = DOMAINS["wave"].codes

# What counts as success unless project.yml says otherwise (one declaration, used by the
# config defaults and by every analysis that can run without a config).
DEFAULT_WORK_OR_STUDY: tuple[str, ...] = ("work", "subsidised_work", "study", "work_and_study")
DEFAULT_PANEL_WORK_OR_STUDY: tuple[str, ...] = ("work", "study")
# Own income from work or study. "none" (no income at all, e.g. supported by a partner) is not counted
# unless a project says so in project.yml: the report names the sources counted either way.
DEFAULT_SELF_SUPPORTING: tuple[str, ...] = ("wage", "student_aid")
DEFAULT_COMPETING_EVENTS: tuple[str, ...] = ("moved", "sick")
