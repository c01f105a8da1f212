"""The raw-data contract, declared once: every file kind and every canonical column.

Everything else is derived from the two tables below: the cleaning step's per-kind
column views (:data:`FILE_COLUMNS`), the header dictionary
(:func:`header_index`), the pandera schemas of the processed tables
(:mod:`analysis.project.schemas`), the enums of the results JSON schema and the user
documentation ``docs/data-contract.md`` (``foljeval contract``).

A column is declared once per meaning: ``status`` of a follow-up (an exit status) and
``status`` of a monthly panel (a panel status) are two entries with disjoint kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from analysis.project.codes import DOMAINS

Parser = Literal["id", "date", "month", "category", "number", "amount", "text"]
Dtype = Literal["key", "date", "month", "code", "int", "float", "text"]

PERSON_KEY = "person_key"
"""The pseudonymous person key of every person-level processed table (and the monthly panel)."""
RESPONDENT_KEY = "respondent_key"
"""The pseudonymous key of a survey respondent (the same pseudonym as the person's ``person_key``)."""
IGNORE = "ignore"
"""A ``files.<kind>.columns`` target that drops a raw column on purpose (e.g. names)."""
EXCLUDED = "excluded"
"""A ``values.exit_status`` code for registrations that are not participations ("Felregistrering")."""


@dataclass(frozen=True)
class FileKind:
    """One kind of raw export and the processed table made from it."""

    name: str
    description: str
    name_sv: str
    id_column: str  # the raw id column (a personnummer or an external pseudonym)
    key: str  # the processed table's pseudonym column
    unique_key: bool  # one row per person
    dictionary_encoded: bool = False  # register-sized: text columns stored as categoricals
    strict: bool = False  # no columns beyond the contract's (covariates/outcomes are allowed otherwise)
    unique_on: tuple[str, ...] = ()  # a panel: the columns that with the key identify one row


@dataclass(frozen=True)
class Column:
    """One canonical column of the contract.

    Attributes
    ----------
    name : str
        Canonical name (the raw header that is always accepted, also with spaces for ``_``).
    kinds : tuple of str
        The file kinds that hold it.
    parser : str
        How raw cells are read: ``id`` (personnummer or pseudonym), ``date``, ``month``,
        ``category`` (labels -> codes of ``domain``), ``number`` (decimal comma, spaces as
        thousands separators), ``amount`` (kronor: also ``12 345 kr``, ``1 234,50``, ``500:-``) or ``text``.
    dtype : str
        Processed type: ``key`` (pseudonym), ``date``, ``month`` (first day), ``code``
        (one of the domain's codes), ``int``, ``float`` or ``text``.
    description : str
        What it means, in one sentence (shown in docs/data-contract.md).
    aliases : tuple of str
        Swedish and English headers that mean this column.
    domain : str, optional
        Value domain of a category (:data:`analysis.project.codes.DOMAINS`).
    required_in : tuple of str
        Kinds in which the column must be present (its cells may still be empty where a rule allows).
    processed : bool
        Whether the column is kept in the processed table (ids become keys; free text is dropped).
    read : bool
        Whether the column is read from raw files (False: only derived by the cleaning).
    derived : str
        How the cleaning fills it when the export has no such column (empty: it stays missing).
    ge, le : float, optional
        Bounds of a number in the processed table.
    nullable : bool
        Whether the processed column may hold missing values.
    optional : bool
        Whether the processed table may leave the column out (only a source that has it fills it).
    """

    name: str
    kinds: tuple[str, ...]
    parser: Parser
    dtype: Dtype
    description: str
    aliases: tuple[str, ...] = ()
    domain: str | None = None
    required_in: tuple[str, ...] = ()
    processed: bool = True
    read: bool = True
    derived: str = ""
    ge: float | None = None
    le: float | None = None
    nullable: bool = True
    optional: bool = False


PANEL_DOMAINS: dict[str, dict[str, Any]] = {
    "activity": {
        "description": "what the person did each month: work, study, income support, job seeking, sickness, ...",
        "statuses": ("work", "study", "income_support", "job_seeking", "sick", "other", "unknown"),
        "measures": ("work_or_study", "income_support"),
    },
    "income_support": {
        "description": "only whether ekonomiskt bistånd was paid that month (a municipal extract); "
        "work and study cannot be told from it",
        "statuses": ("income_support", "no_income_support"),
        "measures": ("income_support",),
    },
}
"""What a monthly panel can record (``files.status_monthly.domain``) and which outcomes it can measure."""
DEFAULT_PANEL_DOMAIN = "activity"


def panel_measures(domain: str | None, outcome: str) -> bool:
    """Whether a panel of ``domain`` can measure ``outcome`` (``work_or_study`` or ``income_support``).

    Example
    -------
    >>> panel_measures("income_support", "work_or_study")
    False
    """
    return domain is not None and outcome in PANEL_DOMAINS[domain]["measures"]


KINDS: dict[str, FileKind] = {
    k.name: k
    for k in (
        FileKind(
            "participants",
            "One row per enrolment (or referral) of a participant",
            "Deltagare",
            "person_id",
            PERSON_KEY,
            unique_key=True,
        ),
        FileKind(
            "comparison",
            "One row per person of a register comparison group",
            "Jämförelsegrupp",
            "person_id",
            PERSON_KEY,
            unique_key=True,
        ),
        FileKind(
            "followups",
            "One row per follow-up contact with a former participant",
            "Uppföljningar",
            "person_id",
            PERSON_KEY,
            unique_key=False,
        ),
        FileKind(
            "status_monthly",
            "One row per person and calendar month (a register panel)",
            "Månadsstatus",
            "person_id",
            PERSON_KEY,
            unique_key=False,
            dictionary_encoded=True,
            strict=True,
            unique_on=("month",),
        ),
        FileKind(
            "income_monthly",
            "One row per person, calendar month and income source paid that month (a register of payments: "
            "several sources in one month are several rows; a month without a row had no recorded payment)",
            "Försörjning per månad",
            "person_id",
            PERSON_KEY,
            unique_key=False,
            dictionary_encoded=True,
            strict=True,
            unique_on=("month", "income_source"),
        ),
        FileKind(
            "survey",
            "One row per respondent, survey wave and item",
            "Enkät",
            "respondent_id",
            RESPONDENT_KEY,
            unique_key=False,
        ),
    )
}

ORDER: tuple[str, ...] = tuple(KINDS)
"""The order in which kinds are cleaned: later kinds are checked against the persons kept from earlier ones."""

_PERSONS = ("participants", "comparison")
_PANELS = ("status_monthly", "income_monthly")

COLUMNS: tuple[Column, ...] = (
    Column(
        "person_id",
        ("participants", "comparison", "followups", "status_monthly", "income_monthly"),
        "id",
        "key",
        "Personnummer or samordningsnummer (10 or 12 digits, with or without - or +), or an "
        "already pseudonymised id (id_type: pseudonym); replaced by the keyed pseudonym person_key",
        ("personnummer", "personnr", "pnr", "person nr", "id", "samordningsnummer", "personid")
        + ("deltagar id", "deltagarid"),
        required_in=("participants", "comparison", "followups", "status_monthly", "income_monthly"),
        processed=False,
    ),
    Column(
        "referral_date",
        ("participants",),
        "date",
        "date",
        "Date the person was referred (anvisad, remitterad) to the project",
        ("remissdatum", "datum remiss", "anvisningsdatum", "aktualiseringsdatum", "remitterad"),
    ),
    Column(
        "start_date",
        ("participants",),
        "date",
        "date",
        "Date the person was enrolled (inskriven); empty: referred but never enrolled",
        ("startdatum", "inskrivningsdatum", "inskriven", "datum start", "startdatum i projekt", "start"),
        required_in=("participants",),
    ),
    Column(
        "end_date",
        ("participants",),
        "date",
        "date",
        "Date the person left the project (utskriven); empty: still enrolled",
        ("slutdatum", "avslutsdatum", "utskrivningsdatum", "utskriven", "avslutad", "datum avslut", "slut"),
    ),
    Column(
        "reference_date",
        ("comparison",),
        "date",
        "date",
        "The comparison person's time zero (the date that plays the part of a start date)",
        ("referensdatum", "jämförelsedatum", "startdatum jämförelse"),
        required_in=("comparison",),
        nullable=False,
    ),
    Column(
        "referred_by",
        _PERSONS,
        "category",
        "code",
        "Who referred the person",
        ("remitterande myndighet", "remitterad av", "remittent", "anvisad av", "aktör", "remitterande aktör"),
        domain="referred_by",
    ),
    Column(
        "gender",
        _PERSONS,
        "category",
        "code",
        "Gender",
        ("kön", "kon", "kön kvinna man"),
        domain="gender",
        derived="from the personnummer (second last digit)",
    ),
    Column(
        "birth_date",
        _PERSONS,
        "date",
        "date",
        "Date of birth (födelsedatum), when the export has it beside or instead of the personnummer; "
        "gives birth_year and age_at_start",
        ("födelsedatum", "fodelsedatum", "född", "födelsedag"),
        processed=False,
    ),
    Column(
        "birth_year",
        _PERSONS,
        "number",
        "int",
        "Year of birth",
        ("födelseår", "fodelsear", "född år", "födelse år"),
        derived="from the personnummer",
        ge=1900,
        le=2030,
    ),
    Column(
        "age_at_start",
        _PERSONS,
        "number",
        "int",
        "Age in whole years at start_date (comparison: at reference_date)",
        ("ålder", "alder", "ålder vid inskrivning", "ålder vid start", "ålder vid inskrivningstillfället"),
        derived="from the personnummer's birth date, else start year minus birth_year",
        ge=0,
        le=120,
    ),
    Column(
        "origin",
        _PERSONS,
        "category",
        "code",
        "Region of birth",
        ("härkomst", "ursprung", "födelseregion", "bakgrund", "födelseland region"),
        domain="origin",
    ),
    Column(
        "education",
        _PERSONS,
        "category",
        "code",
        "Highest completed education",
        ("utbildning", "utbildningsnivå", "högsta utbildning", "utbildningsniva"),
        domain="education",
    ),
    Column(
        "support_before_months",
        _PERSONS,
        "number",
        "float",
        "Months on public support (offentlig försörjning) before the start",
        ("månader med försörjning", "tid i offentlig försörjning", "månader med ersättning före start")
        + ("månader i försörjningsstöd", "tid med ersättning (mån)", "försörjning före start mån"),
        ge=0,
    ),
    Column(
        "income_at_start",
        _PERSONS,
        "category",
        "code",
        "Main source of income at the start",
        ("försörjning vid start", "försörjning vid inskrivning", "inkomstkälla vid start", "försörjning före"),
        domain="income",
    ),
    Column(
        "income_at_exit",
        ("participants",),
        "category",
        "code",
        "Main source of income at exit",
        ("försörjning vid avslut", "försörjning vid utskrivning", "inkomstkälla vid avslut"),
        domain="income",
    ),
    Column(
        "track",
        ("participants",),
        "text",
        "text",
        "The project's track or strand (spår); the allowed values are project.yml's tracks",
        ("spår", "inriktning", "yrkesspår", "delprojekt"),
    ),
    Column(
        "action_plan_date",
        ("participants",),
        "date",
        "date",
        "Date the person's action plan (handlingsplan) was drawn up",
        ("handlingsplan", "datum handlingsplan", "handlingsplan upprättad", "handlingsplan datum"),
    ),
    Column(
        "exit_status",
        _PERSONS,
        "category",
        "code",
        "What the person went on to at exit (comparison: the register's status at the outcome time)",
        ("avslutsorsak", "avslutsanledning", "status vid avslut", "orsak till avslut", "sysselsättning vid avslut"),
        domain="exit_status",
    ),
    Column(
        "episodes",
        ("participants",),
        "number",
        "int",
        "Number of enrolment episodes of the person kept (files.participants.episodes: first, last or all)",
        read=False,
        derived="1 for everyone unless episodes are kept",
        ge=1,
    ),
    Column(
        "followup_date",
        ("followups",),
        "date",
        "date",
        "Date of the follow-up contact",
        ("uppföljningsdatum", "datum uppföljning"),
    ),
    Column(
        "months_after_exit",
        ("followups",),
        "number",
        "float",
        "Months from exit to the follow-up",
        ("månader efter avslut", "mån efter avslut"),
        derived="from followup_date and the participant's end_date",
        ge=0,
    ),
    Column(
        "status",
        ("followups",),
        "category",
        "code",
        "The former participant's status at the follow-up",
        ("status", "sysselsättning", "situation"),
        domain="exit_status",
    ),
    Column(
        "income_source",
        ("followups",),
        "category",
        "code",
        "Main source of income at the follow-up",
        ("försörjning", "inkomstkälla", "försörjningskälla"),
        domain="income",
    ),
    Column(
        "month",
        _PANELS,
        "month",
        "month",
        "Calendar month (stored as its first day)",
        ("månad", "period", "år-månad", "år månad"),
        required_in=_PANELS,
        nullable=False,
    ),
    Column(
        "status",
        ("status_monthly",),
        "category",
        "code",
        "The person's status in that month",
        ("status", "sysselsättning", "situation"),
        domain="panel_status",
        required_in=("status_monthly",),
        nullable=False,
    ),
    Column(
        "amount",
        ("status_monthly",),
        "amount",
        "float",
        "Amount paid that month in kronor (an income-support panel); a month with an amount above 0 is a "
        "month on income support",
        ("belopp", "utbetalt", "utbetalt belopp", "kronor", "kr", "bistånd kr"),
        optional=True,
    ),
    Column(
        "income_source",
        ("income_monthly",),
        "category",
        "code",
        "An income source paid to the person that month (one row per source); a combined label "
        '("Lön + ekonomiskt bistånd") becomes one row per source',
        ("försörjning", "inkomstkälla", "försörjningskälla", "ersättningsslag", "ersättningstyp", "inkomstslag"),
        domain="income",
        required_in=("income_monthly",),
        nullable=False,
    ),
    Column(
        "respondent_id",
        ("survey",),
        "id",
        "key",
        "The respondent's id (as person_id); replaced by the pseudonym respondent_key",
        ("respondent", "respondent id", "svarande"),
        required_in=("survey",),
        processed=False,
    ),
    Column(
        "wave",
        ("survey",),
        "category",
        "code",
        "Survey wave",
        ("omgång", "enkätomgång", "tillfälle"),
        domain="wave",
        required_in=("survey",),
        nullable=False,
    ),
    Column(
        "item",
        ("survey",),
        "text",
        "text",
        "Survey item id (one of project.yml's survey items)",
        ("fråga", "påstående", "frågenummer"),
        required_in=("survey",),
        nullable=False,
    ),
    Column(
        "response",
        ("survey",),
        "text",
        "float",
        "The answer: a scale value 1..k or one of the scale's labels",
        ("svar", "värde"),
        required_in=("survey",),
        ge=1,
    ),
    Column(
        "free_text",
        ("survey",),
        "text",
        "text",
        "Free-text comment; read but never kept (it may identify people)",
        ("fritext", "kommentar", "övriga synpunkter"),
        processed=False,
    ),
)


def columns_of(kind: str) -> list[Column]:
    """The contract's columns of one file kind, in declaration order."""
    return [c for c in COLUMNS if kind in c.kinds]


def column(kind: str, name: str) -> Column:
    """One column of a kind; KeyError when the kind has no such column."""
    for c in COLUMNS:
        if kind in c.kinds and c.name == name:
            return c
    raise KeyError(f"{kind}.{name}")


def _view(kind: str) -> dict[str, Any]:
    cols = [c for c in columns_of(kind) if c.read]
    k = KINDS[kind]
    return {
        "id": k.id_column,
        "key": k.key,
        "required": [c.name for c in cols if kind in c.required_in],
        "dates": [c.name for c in cols if c.parser == "date"],
        "months": [c.name for c in cols if c.parser == "month"],
        "categories": {c.name: c.domain for c in cols if c.parser == "category"},
        "numbers": [c.name for c in cols if c.parser == "number"],
        "amounts": [c.name for c in cols if c.parser == "amount"],
        "text": [c.name for c in cols if c.parser == "text"],
    }


FILE_COLUMNS: dict[str, dict[str, Any]] = {kind: _view(kind) for kind in ORDER}
"""Per kind: the raw id column, the pseudonym column, required columns, and the columns by parser."""

KEY_OF: dict[str, str] = {kind: k.key for kind, k in KINDS.items()}
"""The pseudonym column of each kind's processed table."""


def header_aliases(kind: str) -> dict[str, list[str]]:
    """Canonical column -> accepted headers of one kind (the canonical name first, also with spaces)."""
    out: dict[str, list[str]] = {}
    for c in columns_of(kind):
        if not c.read:
            continue
        out[c.name] = list(dict.fromkeys([c.name, c.name.replace("_", " "), *c.aliases]))
    return out


def domain_codes(name: str) -> tuple[str, ...]:
    """The codes of a value domain."""
    return DOMAINS[name].codes
