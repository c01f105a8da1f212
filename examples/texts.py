"""The evaluator's own text of each example project: ``report:`` in project.yml and ``text/*.md``.

Made-up text, marked as example text at the top of every file, that shows what an evaluator
writes beside the numbers: background, questions, method, conclusions and recommendations
(``barnfamiljer-goteborg`` also qualitative findings and an analysis, with a footnote and a
table). Every text quotes the report's own numbers with ``{{ ... }}`` references (see
``analysis.report.references``), so it stays right when the data change, and a reference
that no longer resolves stops the build instead of printing a stale number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from examples import _common as c

NOTE = (
    "> **Exempeltext:** påhittad text som visar var utvärderarens egna avsnitt hamnar i rapporten. "
    "Siffrorna i texten hämtas ur rapportens results.json med referenser som "
    "`{{ targets.<id>.value }}`."
)


def _text(heading: str, *paragraphs: str) -> str:
    return "\n\n".join((f"# {heading}", NOTE, *paragraphs)) + "\n"


def _meta(kind: str, date: dt.date, number: int | None = None) -> dict:
    meta: dict = {
        "authors": ["Anna Exempelsson", "Bo Påhittad"],
        "organisation": "Exempelutvärdering AB (påhittad)",
        "type": kind,
    }
    if number is not None:
        meta["number"] = number
    meta.update({"date": date, "version": "1.0"})
    return meta


QUESTIONS = _text(
    "Utvärderingsfrågor",
    "1. Nådde projektet sin målgrupp och sina egna mål?\n"
    "2. Hur gick det för deltagarna efter projektet?\n"
    "3. Vad i arbetssättet bör leva vidare efter projekttiden?",
)


def _c2() -> tuple[dict, dict[str, str]]:
    meta = _meta("slutrapport", dt.date(2010, 3, 15))
    # the earlier delivery's report was the interim report (delrapport 1) of February 2009
    meta["deliveries"] = {dt.date(2008, 12, 31): {"type": "delrapport", "number": 1, "date": dt.date(2009, 2, 16)}}
    return meta, {
        "bakgrund.md": _text(
            "Bakgrund",
            "C2 samlade kommunens arbetsmarknadsenhet, Arbetsförmedlingen och Försäkringskassan kring personer "
            "långt från arbetsmarknaden. Logiken var att en gemensam handlingsplan tidigt i insatsen skulle korta "
            "vägen till egen försörjning.",
            "Projektet skrev in {{ targets.reached.value }} deltagare mot målet {{ targets.reached.threshold }}.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Utöver registret över deltagarna bygger utvärderingen på tolv intervjuer med handläggare och "
            "deltagare, en enkät till deltagarna och projektets egna lägesrapporter.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Handlingsplanen kom tidigt för de flesta men inte för alla: {{ targets.action_plan.value }} hade en "
            "plan inom 14 dagar, mot målet {{ targets.action_plan.threshold | pct:0 }}.",
            "Inom 12 månader var {{ targets.self_supporting_12m.value }} av de {{ targets.self_supporting_12m.n }} "
            "som kunde följas så länge självförsörjande, strax under målet.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "1. Behåll den gemensamma handlingsplanen och följ upp den inom 14 dagar.\n"
            "2. Ge deltagarna stöd även efter avslut, då de flesta ännu inte är självförsörjande.",
        ),
    }


def _barnfamiljer() -> tuple[dict, dict[str, str]]:
    return _meta("slutrapport", dt.date(2017, 2, 1)), {
        "bakgrund.md": _text(
            "Bakgrund",
            "Stadsdelen ville bryta långvarigt försörjningsstöd i barnfamiljer genom ett nära, samlat stöd till "
            "båda föräldrarna. Projektet nådde {{ targets.reached.value }} familjer, målet var "
            "{{ targets.reached.threshold }}.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Materialet är försörjningsstödsregistret månad för månad, intervjuer med åtta föräldrar och fyra "
            "handläggare[^intervjuer] samt projektets dokumentation.",
            "[^intervjuer]: Intervjuerna gjordes hösten 2015; ingen intervjuperson kan identifieras i texten.",
        ),
        "kvalitativa_resultat.md": _text(
            "Kvalitativa resultat",
            "Föräldrarna beskriver att en fast kontaktperson och hjälp med barnomsorg var det som gjorde att de "
            "kunde ta ett arbete eller börja studera.",
        ),
        "analys.md": _text(
            "Analys",
            "Andelen i arbete eller studier ett år efter avslut stämmer med vad intervjuerna beskriver:",
            "| Tidpunkt | I arbete eller studier | 95 % konfidensintervall |\n"
            "|---|--:|--:|\n"
            "| Vid avslut | {{ outcomes.work_or_study.exit.among_all.share }} "
            "| {{ outcomes.work_or_study.exit.among_all.ci }} |\n"
            "| 12 månader efter | {{ outcomes.work_or_study.12.among_all.share }} "
            "| {{ outcomes.work_or_study.12.among_all.ci }} |",
            "Utan jämförelsegrupp kan skillnaden inte tillskrivas projektet.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Projektet nådde sin målgrupp. Efter tolv månader var {{ outcomes.work_or_study.12.among_all.share }} "
            "av föräldrarna i arbete eller studier, och av dem som fick arbete hade "
            "{{ survival.kaplan_meier.total.total.s12.0 }} kvar det efter ett år.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "1. Låt den fasta kontaktpersonen vara kvar som arbetssätt i stadsdelen.\n"
            "2. Ordna en jämförelsegrupp i nästa projekt, så att effekten kan skattas.",
        ),
    }


def _framtidsjobb() -> tuple[dict, dict[str, str]]:
    return _meta("delrapport", dt.date(2019, 6, 30), number=2), {
        "bakgrund.md": _text(
            "Bakgrund",
            "Framtidsjobb erbjöd kommunala visstidsanställningar som steg mot ett arbete på den öppna "
            "arbetsmarknaden. Projektet har hittills skrivit in {{ participants.flow.enrolled.count }} deltagare.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Delrapporten bygger på deltagarregistret och månadsstatus från Arbetsförmedlingen. Intervjuerna "
            "redovisas i slutrapporten.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Vid avslut var {{ outcomes.work_or_study.exit.among_all.share }} i arbete eller studier. Av dem som "
            "fick arbete var {{ survival.kaplan_meier.total.total.s12.0 }} kvar i arbete eller studier efter "
            "tolv månader; hälften hade lämnat efter {{ survival.kaplan_meier.total.total.median.0 }} månader.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "Stödet under de första månaderna i ett nytt arbete bör förstärkas, eftersom många lämnar det tidigt.",
        ),
    }


def _alv() -> tuple[dict, dict[str, str]]:
    return _meta("slutrapport", dt.date(2018, 12, 14)), {
        "bakgrund.md": _text(
            "Bakgrund",
            "ALV gav unga och vuxna i Västsverige vägledning och studiestöd. Projektet nådde "
            "{{ targets.reached.value }} deltagare, målet var {{ targets.reached.threshold }}.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Deltagarna jämförs med en jämförelsegrupp ur registret (matchning på tilldelningssannolikhet). "
            "Intervjuer med tio deltagare kompletterar registeruppgifterna.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Deltagarna var oftare i arbete eller studier än jämförbara personer: skillnaden är "
            "{{ effects.main.estimate | pp }}. Även konfidensintervallets nedre gräns, "
            "{{ effects.main.lower | pp }}, visar en skillnad till deltagarnas fördel.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "Vägledningen bör erbjudas fler; effekten är tydlig nog att bygga vidare på.",
        ),
    }


def _etableringsresurs() -> tuple[dict, dict[str, str]]:
    return _meta("delrapport", dt.date(2020, 9, 1), number=1), {
        "bakgrund.md": _text(
            "Bakgrund",
            "Etableringsresursen stödde nyanlända i etableringsuppdraget med språk och praktik samtidigt.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Delrapporten bygger på deltagarregistret och två gruppintervjuer med handledare.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Av de {{ targets.work_or_study_at_exit.n }} som avslutats gick {{ targets.work_or_study_at_exit.value }} "
            "till arbete eller studier. Målet var {{ targets.work_or_study_at_exit.threshold | pct:0 }}.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "Se över målet eller insatsen: målet nås inte med nuvarande arbetssätt.",
        ),
    }


def _vagen_vidare() -> tuple[dict, dict[str, str]]:
    return _meta("slutrapport", dt.date(2024, 11, 29)), {
        "bakgrund.md": _text(
            "Bakgrund",
            "Vägen vidare är samordningsförbundets insats för personer med försörjningsstöd och ohälsa. "
            "Projektet skrev in {{ targets.reached.value }} deltagare mot målet {{ targets.reached.threshold }}.",
        ),
        "fragor.md": QUESTIONS,
        "metod.md": _text(
            "Metod och material",
            "Materialet är SUS-exporten, försörjningsstöd per månad och intervjuer med parterna i förbundet.",
        ),
        "slutsatser.md": _text(
            "Slutsatser",
            "Inom tolv månader var {{ targets.work_or_study_12m.value }} i arbete eller studier, mot målet "
            "{{ targets.work_or_study_12m.threshold | pct:0 }}; av de avslutade gick "
            "{{ targets.work_or_study_at_exit.value }} till arbete eller studier.",
        ),
        "rekommendationer.md": _text(
            "Rekommendationer",
            "Förbundet bör göra insatsen permanent och mäta försörjningen även efter avslut.",
        ),
    }


TEXTS = {
    "c2-lycksele": _c2,
    "barnfamiljer-goteborg": _barnfamiljer,
    "framtidsjobb-avesta": _framtidsjobb,
    "alv-vast": _alv,
    "etableringsresurs-vasteras": _etableringsresurs,
    "vagen-vidare-sjobygden": _vagen_vidare,
}


NOTE_EN = (
    "> **Example text:** made-up text that shows where the evaluator's own sections go in the report. "
    "The numbers in the text come from the report's results.json through references such as "
    "`{{ targets.<id>.value }}`."
)

# Translations for the report in the other language (text/en/): barnfamiljer-goteborg has two, to show
# both a translated section and an untranslated one (shown in Swedish, marked as such)
TRANSLATIONS: dict[str, dict[str, str]] = {
    "barnfamiljer-goteborg": {
        "bakgrund.md": "\n\n".join(
            (
                "# Background",
                NOTE_EN,
                "The district wanted to break long-term income support in families with children through close, "
                "joined-up support to both parents. The project reached {{ targets.reached.value }} families; the "
                "target was {{ targets.reached.threshold }}.",
            )
        )
        + "\n",
        "slutsatser.md": "\n\n".join(
            (
                "# Conclusions",
                NOTE_EN,
                "The project reached its target group. Twelve months after exit "
                "{{ outcomes.work_or_study.12.among_all.share }} of the parents were in work or study, and of those "
                "who found work {{ survival.kaplan_meier.total.total.s12.0 }} still had it a year later.",
            )
        )
        + "\n",
    }
}


def write(folder: Path, project: str) -> None:
    """Append ``report:`` to ``folder/project.yml`` and write ``folder/text/*.md`` for ``project``."""
    meta, files = TEXTS[project]()
    comment = (
        "The report: made-up authors (example text). The evaluator's own sections are in text/*.md,\n"
        "written by examples/texts.py"
    )
    with open(folder / "project.yml", "a", encoding="utf-8") as fh:
        fh.write(c.yml_section(comment, {"report": meta}))
    (folder / "text").mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / "text" / name).write_text(text, encoding="utf-8")
    for name, text in TRANSLATIONS.get(project, {}).items():
        (folder / "text" / "en").mkdir(exist_ok=True)
        (folder / "text" / "en" / name).write_text(text, encoding="utf-8")
