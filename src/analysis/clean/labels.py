"""The shared Swedish label dictionary.

Maps the headers and value labels that Swedish exports use (case, spacing and
punctuation ignored) to the canonical column names and codes of the raw-data
contract. A project's own ``files.<kind>.columns`` / ``values`` in project.yml
take precedence over this dictionary.
"""

from __future__ import annotations

import re
import unicodedata

# Canonical column -> accepted headers (canonical English name always accepted).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": (
        "personnummer",
        "personnr",
        "pnr",
        "person nr",
        "id",
        "samordningsnummer",
        "personid",
        "deltagar id",
        "deltagarid",
    ),
    "referral_date": ("remissdatum", "datum remiss", "anvisningsdatum", "aktualiseringsdatum", "remitterad"),
    "start_date": ("startdatum", "inskrivningsdatum", "inskriven", "datum start", "startdatum i projekt", "start"),
    "end_date": ("slutdatum", "avslutsdatum", "utskrivningsdatum", "avslutad", "datum avslut", "slut"),
    "referred_by": (
        "remitterande myndighet",
        "remitterad av",
        "remittent",
        "anvisad av",
        "aktör",
        "remitterande aktör",
    ),
    "gender": ("kön", "kon", "kön kvinna man"),
    "birth_year": ("födelseår", "fodelsear", "född år", "födelse år"),
    "origin": ("härkomst", "ursprung", "födelseregion", "bakgrund", "födelseland region"),
    "education": ("utbildning", "utbildningsnivå", "högsta utbildning", "utbildningsniva"),
    "support_before_months": (
        "månader med försörjning",
        "tid i offentlig försörjning",
        "månader med ersättning före start",
        "månader i försörjningsstöd",
        "tid med ersättning (mån)",
        "försörjning före start mån",
    ),
    "income_at_start": (
        "försörjning vid start",
        "försörjning vid inskrivning",
        "inkomstkälla vid start",
        "försörjning före",
    ),
    "income_at_exit": ("försörjning vid avslut", "försörjning vid utskrivning", "inkomstkälla vid avslut"),
    "track": ("spår", "inriktning", "yrkesspår", "delprojekt"),
    "action_plan_date": ("handlingsplan", "datum handlingsplan", "handlingsplan upprättad", "handlingsplan datum"),
    "exit_status": (
        "avslutsorsak",
        "avslutsanledning",
        "status vid avslut",
        "orsak till avslut",
        "sysselsättning vid avslut",
    ),
    "reference_date": ("referensdatum", "jämförelsedatum", "startdatum jämförelse"),
    "followup_date": ("uppföljningsdatum", "datum uppföljning"),
    "months_after_exit": ("månader efter avslut", "mån efter avslut"),
    "status": ("status", "sysselsättning", "situation"),
    "income_source": ("försörjning", "inkomstkälla", "försörjningskälla"),
    "month": ("månad", "period", "år-månad", "år månad"),
    "respondent_id": ("respondent", "respondent id", "svarande"),
    "wave": ("omgång", "enkätomgång", "tillfälle"),
    "item": ("fråga", "påstående", "frågenummer"),
    "response": ("svar", "värde"),
    "free_text": ("fritext", "kommentar", "övriga synpunkter"),
}

# Canonical column -> {label: code}. Labels are matched after normalisation.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "gender": {
        "kvinna": "female",
        "k": "female",
        "kv": "female",
        "man": "male",
        "m": "male",
        "female": "female",
        "male": "male",
    },
    "referred_by": {
        "socialtjänsten": "soc",
        "socialtjansten": "soc",
        "soc": "soc",
        "ekonomiskt bistånd": "soc",
        "försörjningsstöd": "soc",
        "kommunen": "soc",
        "arbetsförmedlingen": "af",
        "af": "af",
        "arbetsformedlingen": "af",
        "försäkringskassan": "fk",
        "fk": "fk",
        "forsakringskassan": "fk",
        "regionen": "region",
        "landstinget": "region",
        "region": "region",
        "psykiatrin": "region",
        "vårdcentral": "region",
        "hälso- och sjukvården": "region",
        "annan": "other",
        "övrig": "other",
        "övriga": "other",
        "egen anmälan": "other",
        "other": "other",
    },
    "origin": {
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
    "education": {
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
    "income": {
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
    "exit_status": {
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
    "panel_status": {
        "arbete": "work",
        "studier": "study",
        "försörjningsstöd": "income_support",
        "ekonomiskt bistånd": "income_support",
        "arbetssökande": "job_seeking",
        "sjuk": "sick",
        "sjukskriven": "sick",
        "övrigt": "other",
        "annat": "other",
        "okänd": "unknown",
        "okänt": "unknown",
    },
    "wave": {
        "avslut": "exit",
        "vid avslut": "exit",
        "uppföljning": "followup",
        "efter 6-12 mån": "followup",
        "exit": "exit",
        "followup": "followup",
    },
}

# Which value dictionary serves which canonical column.
VALUE_DOMAIN: dict[str, str] = {
    "gender": "gender",
    "referred_by": "referred_by",
    "origin": "origin",
    "education": "education",
    "income_at_start": "income",
    "income_at_exit": "income",
    "income_source": "income",
    "exit_status": "exit_status",
    "status": "exit_status",  # followups; status_monthly uses "panel_status"
    "wave": "wave",
}


def normalise(label: object) -> str:
    """Fold case, accents of Unicode composition, spaces, and surrounding punctuation."""
    s = unicodedata.normalize("NFC", str(label)).strip().lower()
    s = re.sub(r"[\s_]+", " ", s)
    return s.strip(" .:;")


_HEADER_INDEX: dict[str, str] = {}
for _canon, _aliases in HEADER_ALIASES.items():
    for _a in (_canon, _canon.replace("_", " "), *_aliases):
        _HEADER_INDEX.setdefault(normalise(_a), _canon)


def canonical_header(header: str) -> str | None:
    """Canonical column name of a raw header, or None when the dictionary does not know it."""
    return _HEADER_INDEX.get(normalise(header))


def value_map(domain: str) -> dict[str, str]:
    """Normalised label -> canonical code for one value domain (codes map to themselves)."""
    from analysis.project import codes as c

    codes = {
        "gender": c.GENDER,
        "referred_by": c.REFERRED_BY,
        "origin": c.ORIGIN,
        "education": c.EDUCATION,
        "income": c.INCOME,
        "exit_status": c.EXIT_STATUS,
        "panel_status": c.PANEL_STATUS,
        "wave": c.SURVEY_WAVES,
    }[domain]
    out = {normalise(code): code for code in codes}
    out.update({normalise(k): v for k, v in VALUE_ALIASES.get(domain, {}).items()})
    return out
