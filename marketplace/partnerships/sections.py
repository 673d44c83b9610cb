"""The Samverkansöverenskommelse's sections: their fields, length limits and help texts.

One place describes the document; the forms, the rules (services), the page, the print-out
and the PDF all read it. The help texts are short paraphrases of what public IOP guidance
(municipal guides, Coompanion's checklists, SKR and Forum's material) asks parties to agree on.
Every value is stored as plain text in Partnership.content: amounts and hours as digits,
dates as YYYY-MM-DD, the IOP answers as 'yes', 'no' or 'unsure'; '' is "not filled in".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.partnerships import iop

# Field kinds: how a value is typed, checked and shown.
TEXT = "text"  # several lines
LINE = "line"  # one line
ORG_NUMBER = "org_number"  # an organisationsnummer, or empty
KRONOR = "kronor"  # whole kronor per year
HOURS = "hours"  # whole hours per year
DATE = "date"  # YYYY-MM-DD
ANSWER = "answer"  # yes / no / unsure (the IOP check)

AD_SIDE, INTERESTED_SIDE = "a", "b"  # the ad's organisation, the organisation that wrote to it

MAX_DIGITS = {KRONOR: 10, HOURS: 7}


@dataclass(frozen=True)
class Field:
    name: str
    label: object  # a lazy string
    kind: str = TEXT
    max_length: int = 2000  # characters, after cleaning (for KRONOR/HOURS: see MAX_DIGITS)
    hint: object = ""
    side: str = ""  # AD_SIDE or INTERESTED_SIDE for a party's own fields


@dataclass(frozen=True)
class Section:
    key: str  # in URLs (/overenskommelse/<key>) and in the versions
    title: object
    help: object
    fields: tuple[Field, ...]

    @property
    def by_side(self) -> bool:
        """Its fields come in two groups, one per party (parties, contributions)."""
        return any(field.side for field in self.fields)

    def fields_of(self, side: str) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.side == side)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def number(self) -> int:
        """1–8 for the agreement's sections (as printed); 0 for the IOP check after them."""
        numbered = [section.key for section in SECTIONS if section.key != "iop"]
        return numbered.index(self.key) + 1 if self.key in numbered else 0

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else str(self.title)


def _party(side: str) -> tuple[Field, ...]:
    return (
        Field(f"{side}_name", _l("Namn"), LINE, 200, side=side),
        Field(
            f"{side}_org_number",
            _l("Organisationsnummer"),
            ORG_NUMBER,
            11,
            _l("Tio siffror, till exempel 232100-0073. Lämna tomt om det saknas."),
            side=side,
        ),
        Field(
            f"{side}_contact",
            _l("Kontaktperson"),
            LINE,
            200,
            _l("Namn och gärna roll, till exempel ”Anna Lindqvist, samverkanssamordnare”."),
            side=side,
        ),
    )


def _contribution(side: str) -> tuple[Field, ...]:
    return (
        Field(
            f"{side}_money",
            _l("Pengar per år (kronor)"),
            KRONOR,
            hint=_l(
                "Hela kronor, till exempel 250 000. Lämna tomt om parten inte bidrar med pengar."
            ),
            side=side,
        ),
        Field(f"{side}_premises", _l("Lokaler"), TEXT, 1000, side=side),
        Field(
            f"{side}_staff_hours",
            _l("Arbetstid för anställda (timmar per år)"),
            HOURS,
            hint=_l("Ett heltal, till exempel 400."),
            side=side,
        ),
        Field(
            f"{side}_volunteers",
            _l("Ideella insatser"),
            TEXT,
            1000,
            _l("Hur många volontärer, och ungefär hur mycket tid."),
            side=side,
        ),
        Field(
            f"{side}_other",
            _l("Annat"),
            TEXT,
            1000,
            _l("Kunskap, nätverk, material, marknadsföring …"),
            side=side,
        ),
    )


SECTIONS: tuple[Section, ...] = (
    Section(
        "parter",
        _l("Parter"),
        _l(
            "Vilka ingår överenskommelsen? Namn och organisationsnummer är hämtade från "
            "organisationernas uppgifter på Samverkanstorget – kontrollera dem. Ange en "
            "kontaktperson för varje part."
        ),
        _party(AD_SIDE) + _party(INTERESTED_SIDE),
    ),
    Section(
        "syfte",
        _l("Syfte och samhällsutmaning"),
        _l(
            "Vilket samhällsproblem vill ni möta, och vad ska samverkan leda till? I ett IOP utgår "
            "syftet från ett gemensamt mål och den idéburna partens egen verksamhet, inte från en "
            "tjänst som den offentliga parten köper."
        ),
        (
            Field("purpose", _l("Syfte"), TEXT, 3000),
            Field(
                "challenges",
                _l("Samhällsutmaningar"),
                TEXT,
                500,
                _l("Ifyllt från annonsen; ändra fritt."),
            ),
        ),
    ),
    Section(
        "verksamhet",
        _l("Målgrupp och verksamhet"),
        _l(
            "Vem är verksamheten till för, och vad ska göras? Beskriv det så att båda parter "
            "känner igen sig. Detaljerade krav på hur något ska utföras hör hemma i en "
            "upphandling, inte i ett partnerskap."
        ),
        (
            Field("target_group", _l("Målgrupp"), TEXT, 2000),
            Field("activities", _l("Verksamhet och aktiviteter"), TEXT, 5000),
        ),
    ),
    Section(
        "insatser",
        _l("Parternas insatser"),
        _l(
            "Vad bidrar var och en med? I ett partnerskap bidrar båda, och den idéburna parten med "
            "något eget: ideella krafter, egna medel, kunskap eller nätverk. Pengar från den "
            "offentliga parten ska täcka verksamhetens kostnader, inte ge vinst."
        ),
        _contribution(AD_SIDE) + _contribution(INTERESTED_SIDE),
    ),
    Section(
        "period",
        _l("Period och uppsägning"),
        _l(
            "Hur länge gäller överenskommelsen, och hur kan den sägas upp eller omförhandlas? Ett "
            "IOP löper ofta i flera år. Skriv uppsägningstiden och vad som händer om "
            "förutsättningarna ändras, till exempel om pengarna inte beviljas nästa år."
        ),
        (
            Field("starts_on", _l("Gäller från"), DATE, 10, _l("ÅÅÅÅ-MM-DD")),
            Field(
                "ends_on",
                _l("Gäller till och med"),
                DATE,
                10,
                _l("ÅÅÅÅ-MM-DD. Lämna tomt om den gäller tills vidare."),
            ),
            Field("termination", _l("Uppsägning och omförhandling"), TEXT, 2000),
        ),
    ),
    Section(
        "uppfoljning",
        _l("Uppföljning"),
        _l(
            "Hur och när följer ni upp vad verksamheten ger? Bestäm vad som ska mätas eller "
            "beskrivas, vem som sammanställer det och när ni ses, till exempel två gånger om året."
        ),
        (Field("follow_up", _l("Uppföljning"), TEXT, 3000),),
    ),
    Section(
        "personuppgifter",
        _l("Personuppgifter och sekretess"),
        _l(
            "Vem är personuppgiftsansvarig för uppgifterna om deltagarna? Behandlar en part "
            "uppgifter för den andras räkning är den personuppgiftsbiträde, och då behövs ett "
            "biträdesavtal (dataskyddsförordningen, GDPR). Skriv också vad som ska hållas "
            "konfidentiellt; hos den offentliga parten gäller offentlighets- och sekretesslagen."
        ),
        (
            Field("data_controller", _l("Personuppgiftsansvarig"), LINE, 300),
            Field(
                "data_processor",
                _l("Personuppgiftsbiträde"),
                LINE,
                300,
                _l("Lämna tomt om ingen part behandlar uppgifter åt den andra."),
            ),
            Field("confidentiality", _l("Sekretess och tystnadsplikt"), TEXT, 2000),
        ),
    ),
    Section(
        "tvister",
        _l("Tvister"),
        _l(
            "Hur löser ni det om ni blir oense? Vanligt är att parterna först försöker lösa det "
            "i samråd, till exempel i en styrgrupp, innan någon säger upp överenskommelsen."
        ),
        (Field("disputes", _l("Tvister"), TEXT, 2000),),
    ),
    Section(
        "iop",
        _l("Kan samverkan bli ett IOP?"),
        _l(
            "Sju frågor som hjälper er att se om samverkan kan bli ett idéburet offentligt "
            "partnerskap (IOP), eller om den snarare är ett bidrag eller en upphandling. Svara "
            "tillsammans. Det här är ett stöd för samtalet, inte juridisk rådgivning: den "
            "offentliga parten avgör formen enligt sina egna regler."
        ),
        tuple(
            Field(question.name, question.text, ANSWER, 10, question.why)
            for question in iop.QUESTIONS
        ),
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
FIELDS = {field.name: field for section in SECTIONS for field in section.fields}
IOP_SECTION = SECTIONS_BY_KEY["iop"]
# The agreement proper (numbered 1–8 in the print-out); the IOP check follows it.
AGREEMENT_SECTIONS = tuple(section for section in SECTIONS if section.key != "iop")


def stored_date(text: str | None) -> date | None:
    """A stored YYYY-MM-DD value as a date (None when empty or unreadable)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def section_of(name: str) -> Section:
    for section in SECTIONS:
        if name in section.names:
            return section
    raise KeyError(name)
