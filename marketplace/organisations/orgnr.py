"""Swedish organisationsnummer: normalise what people type, check it, and guess the legal form.

Rules (see /work/shared/data/orgnr.md): ten digits NNNNNN-NNNN, the third digit is at least 2
for legal persons (0 or 1 means a personnummer), the last digit is a Luhn check digit. The
12-digit form "16" + ten digits is accepted and shortened. Sole traders (enskild firma) use the
owner's personnummer and are therefore rejected here: the field is optional, so they leave it empty.

The first digit only *hints* at the legal form (Bolagsverket: it cannot be decided from the
number), so `suggest()` is used to pre-select choices in a form, never as proof.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.organisations.models import LegalForm, Sector

# Hyphen-like characters people paste from word processors count as the hyphen.
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_SHAPE = re.compile(r"(?:16)?(\d{6})-?(\d{4})")
_PERSONAL_CENTURY = re.compile(r"(?:18|19|20)\d{6}-?\d{4}")

FORMAT_MESSAGE = _l(
    "Ange organisationsnumret med tio siffror, till exempel 802002-8711 eller 8020028711."
)
PERSONAL_NUMBER_MESSAGE = _l(
    "Det här ser ut som ett personnummer, inte ett organisationsnummer: den tredje siffran "
    "är 0 eller 1. En enskild firma har inget eget organisationsnummer – lämna då fältet tomt."
)
CHECK_DIGIT_MESSAGE = _l(
    "Organisationsnumret stämmer inte: den sista siffran (kontrollsiffran) passar inte ihop "
    "med de övriga. Kontrollera att du har skrivit av numret rätt."
)


class InvalidOrgNumber(ValueError):
    """The input is not a valid organisationsnummer.

    `message` (one of the *_MESSAGE constants) tells the user why; `reason` names the broken rule
    for code: "format", "personal_number" or "check_digit".
    """

    def __init__(self, message, reason: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Suggestion:
    """What the first digit usually means: a sector, perhaps a legal form, and a hint to show."""

    sector: Sector
    legal_form: LegalForm | None
    hint: str


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) over all digits, weights 2,1,2,1,… from the left."""
    total = 0
    for position, char in enumerate(digits):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise(raw: str | None) -> str:
    """'802002 8711', '8020028711' or '16802002-8711' -> '802002-8711'.

    :raise InvalidOrgNumber: with a message for the first rule the input breaks.
    """
    text = "".join((raw or "").translate(_DASHES).split())
    match = _SHAPE.fullmatch(text)
    if match is None:
        if _PERSONAL_CENTURY.fullmatch(text):  # 12-digit personnummer such as 19550101-1234
            raise InvalidOrgNumber(PERSONAL_NUMBER_MESSAGE, "personal_number")
        raise InvalidOrgNumber(FORMAT_MESSAGE, "format")
    digits = match.group(1) + match.group(2)
    if int(digits[2]) < 2:
        raise InvalidOrgNumber(PERSONAL_NUMBER_MESSAGE, "personal_number")
    if not luhn_valid(digits):
        raise InvalidOrgNumber(CHECK_DIGIT_MESSAGE, "check_digit")
    return f"{digits[:6]}-{digits[6:]}"


def is_valid(raw: str | None) -> bool:
    try:
        normalise(raw)
    except InvalidOrgNumber:
        return False
    return True


def suggest(number: str) -> Suggestion | None:
    """The usual sector and legal form for a (normalised, valid) number's first digit, or None."""
    first = number[:1]
    if first == "2":
        # Municipalities, regions, state agencies and parishes share the 2: only the sector is a guess.
        return Suggestion(
            Sector.PUBLIC,
            None,
            _(
                "Numret börjar med 2 – ofta en kommun, region, statlig myndighet "
                "eller ett trossamfund"
            ),
        )
    if first == "5":
        return Suggestion(
            Sector.BUSINESS,
            LegalForm.LIMITED_COMPANY,
            _("Numret börjar med 5 – ofta ett aktiebolag"),
        )
    if first == "7":
        return Suggestion(
            Sector.CIVIL,
            LegalForm.COOPERATIVE,
            _("Numret börjar med 7 – ofta en ekonomisk förening eller ett kooperativ"),
        )
    if first == "8":
        # Ideell förening is far more common than stiftelse, so it is the pre-selected guess.
        return Suggestion(
            Sector.CIVIL,
            LegalForm.NONPROFIT_ASSOCIATION,
            _("Numret börjar med 8 – ofta en ideell förening eller stiftelse"),
        )
    if first == "9":
        return Suggestion(
            Sector.BUSINESS,
            LegalForm.OTHER,
            _("Numret börjar med 9 – ofta ett handelsbolag eller kommanditbolag"),
        )
    return None
