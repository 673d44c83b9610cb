"""The IOP check: seven questions from public guidance on idéburet offentligt partnerskap, and
what their answers suggest.

The questions follow what municipal IOP guidance and Coompanion's checklists ask before a
partnership is chosen over a grant or a procurement: whose idea it is, whether it serves a
decided goal, whether there is a market the procurement rules protect, whether both parties
contribute, whether it lasts, whether the public side refrains from detailed control, and
whether it is followed up together. The result is a pointer for the conversation, never legal
advice: the public party decides the form under its own rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


class Answer(enum.Enum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


ANSWER_LABELS = {
    Answer.YES: _l("Ja"),
    Answer.NO: _l("Nej"),
    Answer.UNSURE: _l("Osäker"),
}


def answer_label(value: str | None) -> str:
    """'yes' -> 'Ja' (in the reader's language); '' for no answer."""
    answer = parse_answer(value)
    return str(ANSWER_LABELS[answer]) if answer else ""


class Verdict(enum.Enum):
    INCOMPLETE = "incomplete"  # not every question answered yet
    IOP = "iop"  # "Förutsättningar för IOP finns"
    UNCLEAR = "unclear"  # "Oklart — se punkt N och M"
    NOT_IOP = "not_iop"  # "Det här liknar en upphandling eller ett bidrag"


@dataclass(frozen=True)
class Question:
    number: int
    text: object  # a lazy string
    why: object
    # A "no" here means the collaboration is something else than an IOP: a procurement (the
    # public side buys a service it specifies) or a grant (it funds the association one-sidedly).
    no_suggests: str = ""  # "procurement", "grant" or "" (a "no" that can be put right)

    @property
    def name(self) -> str:
        """The field that stores the answer in the document."""
        return f"iop_{self.number}"


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        _l(
            "Har den idéburna parten tagit initiativet till verksamheten, eller utvecklat den själv?"
        ),
        _l(
            "Ett IOP bygger på den idéburna organisationens egen idé och verksamhet. Har den "
            "offentliga parten bestämt vad som ska göras och söker någon som utför det, liknar "
            "det ett köp av en tjänst."
        ),
        "grant",
    ),
    Question(
        2,
        _l(
            "Bidrar samverkan till ett politiskt beslutat mål, eller till regionens Överenskommelse mellan offentlig och idéburen sektor?"
        ),
        _l(
            "Den offentliga parten behöver kunna visa att pengar och arbetstid går till ett "
            "gemensamt, beslutat mål. Överenskommelsen i länet, där en sådan finns, är ofta den "
            "grund som ett IOP hänvisar till."
        ),
    ),
    Question(
        3,
        _l(
            "Saknas en marknad att skydda – det vill säga, skulle andra inte konkurrera om att utföra verksamheten mot betalning?"
        ),
        _l(
            "Om det finns en marknad och den offentliga parten betalar för en tjänst gäller i regel "
            "lagen om offentlig upphandling. Ett IOP passar verksamhet som inte köps och säljs på "
            "en marknad."
        ),
        "procurement",
    ),
    Question(
        4,
        _l(
            "Bidrar båda parter med egna resurser – pengar, lokaler, personal, ideella krafter eller kunskap?"
        ),
        _l(
            "I ett partnerskap bär båda parter verksamheten. Står den offentliga parten för "
            "pengarna och den idéburna bara för arbetet, liknar det ett bidrag eller ett köp."
        ),
        "grant",
    ),
    Question(
        5,
        _l("Är samverkan långsiktig, och inte ett engångsstöd i förklädnad?"),
        _l(
            "IOP är tänkt för samverkan över tid, ofta flera år. Ett engångsbelopp till en "
            "aktivitet är i regel ett bidrag, som har sina egna regler."
        ),
        "grant",
    ),
    Question(
        6,
        _l("Avstår den offentliga parten från att styra verksamheten i detalj?"),
        _l(
            "Parterna kommer överens om mål och uppföljning tillsammans. Detaljerade krav på hur, "
            "när och av vem något ska utföras är kännetecken för en upphandlad tjänst."
        ),
        "procurement",
    ),
    Question(
        7,
        _l("Följer parterna upp verksamheten tillsammans?"),
        _l(
            "Gemensam uppföljning visar att parterna är jämbördiga, och ger underlag för att "
            "utveckla samarbetet eller avsluta det."
        ),
    ),
)

QUESTION_NAMES = tuple(question.name for question in QUESTIONS)


@dataclass
class Result:
    """What the answers suggest. Its words are made when read, in the reader's language (the
    same result is shown on a Swedish page and in an English PDF)."""

    verdict: Verdict
    points: list[int] = field(default_factory=list)  # the questions to look at (UNCLEAR, NOT_IOP)
    unanswered: int = 0
    suggests: frozenset[str] = frozenset()  # NOT_IOP: "procurement" and/or "grant"

    @property
    def heading(self) -> str:
        if self.verdict is Verdict.IOP:
            return _("Förutsättningar för IOP finns")
        if self.verdict is Verdict.UNCLEAR:
            return _("Oklart — se %(points)s", points=points_phrase(self.points))
        if self.verdict is Verdict.NOT_IOP:
            return _("Det här liknar en upphandling eller ett bidrag")
        return _(
            "Inte klart: %(count)s av %(total)s frågor är obesvarade",
            count=self.unanswered,
            total=len(QUESTIONS),
        )

    @property
    def next_steps(self) -> list[str]:
        if self.verdict is Verdict.IOP:
            return _iop_steps()
        if self.verdict is Verdict.UNCLEAR:
            return _unclear_steps(self.points)
        if self.verdict is Verdict.NOT_IOP:
            return _not_iop_steps(self.suggests)
        return [_("Svara på alla frågor tillsammans, så visas vad svaren pekar på.")]


def points_phrase(points: list[int]) -> str:
    """'punkt 3', 'punkt 3 och 5', 'punkt 1, 3 och 5' ('point 3', 'points 3 and 5' in English)."""
    numbers = format_list([str(number) for number in points], locale=str(get_locale() or "sv"))
    return ngettext("punkt %(numbers)s", "punkt %(numbers)s", len(points), numbers=numbers)


def parse_answer(value: str | None) -> Answer | None:
    try:
        return Answer(value) if value else None
    except ValueError:
        return None


def assess(values: dict[str, str]) -> Result:
    """The verdict for the stored answers (`iop_1` … `iop_7`: 'yes', 'no', 'unsure' or '')."""
    answers = {question.number: parse_answer(values.get(question.name)) for question in QUESTIONS}
    unanswered = sum(answer is None for answer in answers.values())
    if unanswered:
        return Result(Verdict.INCOMPLETE, unanswered=unanswered)
    decisive_no = [q for q in QUESTIONS if answers[q.number] is Answer.NO and q.no_suggests]
    if decisive_no:
        return Result(
            Verdict.NOT_IOP,
            points=[question.number for question in decisive_no],
            suggests=frozenset(question.no_suggests for question in decisive_no),
        )
    open_points = [q.number for q in QUESTIONS if answers[q.number] is not Answer.YES]
    if open_points:
        return Result(Verdict.UNCLEAR, points=open_points)
    return Result(Verdict.IOP)


def _contact_step() -> str:
    return _(
        "Prata med kommunens eller regionens IOP-kontakt (ofta på kansliet för "
        "civilsamhällesfrågor eller hos upphandlingsfunktionen) innan ni bestämmer formen."
    )


def _iop_steps() -> list[str]:
    return [
        _contact_step(),
        _(
            "Fyll i alla avsnitt, särskilt insatserna och uppföljningen, och godkänn "
            "överenskommelsen båda två. Den offentliga parten fattar sedan beslut enligt sin "
            "delegationsordning."
        ),
    ]


def _unclear_steps(points: list[int]) -> list[str]:
    steps = [
        _(
            "Gå igenom %(points)s tillsammans med kommunens eller regionens IOP-kontakt.",
            points=points_phrase(points),
        ),
        _("Ändra svaren när ni vet mer; resultatet räknas om varje gång."),
    ]
    if 7 in points:
        steps.append(
            _("Skriv in hur ni följer upp verksamheten tillsammans i avsnittet Uppföljning.")
        )
    return steps


def _not_iop_steps(suggests: frozenset[str]) -> list[str]:
    steps = []
    if "procurement" in suggests:
        steps.append(
            _(
                "Överväg upphandling: köper den offentliga parten en tjänst som den själv "
                "beskriver, på en marknad där andra kan konkurrera, gäller upphandlingsreglerna."
            )
        )
    if "grant" in suggests:
        steps.append(
            _(
                "Överväg ett bidrag: vill den offentliga parten stödja den idéburna partens egen "
                "verksamhet, kortsiktigt eller utan egna insatser, är ett föreningsbidrag ofta "
                "rätt form."
            )
        )
    steps.append(_contact_step())
    return steps
