"""The rules of the agreement's fields: what is stored for what was typed, or why it is refused.

Plain text is cleaned as everywhere on the site (Unix newlines, no control characters); amounts
and hours are stored as digits, dates as YYYY-MM-DD, organisation numbers normalised. Messages
name the limit and what was typed, so the person can fix it; nothing is cut short.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _

from marketplace.organisations import orgnr
from marketplace.partnerships import iop, sections
from marketplace.partnerships.sections import Field, Section
from marketplace.text import clean_text


class InvalidSection(ValueError):
    """Input that breaks a field's rule; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def _too_long(length: int, limit: int) -> str:
    return _(
        "Högst %(max)s tecken – nu är det %(length)s. Korta texten; inget av det du skrev har "
        "sparats ännu.",
        max=format_decimal(limit),
        length=format_decimal(length),
    )


def clean_value(spec: Field, raw: str | None) -> str:
    """The value as stored.

    :raise ValueError: with a message for the user when the value breaks the field's rule.
    """
    text = clean_text(raw)
    if spec.kind in (sections.LINE, sections.ORG_NUMBER):
        text = " ".join(text.split())
    if spec.kind == sections.ANSWER:
        if text and iop.parse_answer(text) is None:
            raise ValueError(_("Välj ja, nej eller osäker."))
        return text
    if spec.kind in (sections.KRONOR, sections.HOURS):
        return _clean_number(spec, text)
    if spec.kind == sections.DATE:
        return _clean_date(text)
    if spec.kind == sections.ORG_NUMBER and text:
        try:
            return orgnr.normalise(text)
        except orgnr.InvalidOrgNumber as error:
            raise ValueError(str(error.message)) from error
    if len(text) > spec.max_length:
        raise ValueError(_too_long(len(text), spec.max_length))
    return text


def _clean_number(spec: Field, text: str) -> str:
    digits = "".join(text.split()).replace(".", "").replace(",", "")
    if spec.kind == sections.KRONOR:
        digits = digits.removesuffix("kr").removesuffix("kronor")
    else:
        digits = digits.removesuffix("h").removesuffix("timmar")
    if not digits:
        return ""
    if not digits.isascii() or not digits.isdigit():
        if spec.kind == sections.KRONOR:
            raise ValueError(_("Skriv ett belopp i hela kronor med siffror, till exempel 250 000."))
        raise ValueError(_("Skriv antalet timmar som ett heltal, till exempel 400."))
    digits = digits.lstrip("0") or "0"
    if len(digits) > sections.MAX_DIGITS[spec.kind]:
        largest = int("9" * sections.MAX_DIGITS[spec.kind])
        raise ValueError(_("Högst %(max)s – kontrollera siffrorna.", max=format_decimal(largest)))
    return digits


def _clean_date(text: str) -> str:
    if not text:
        return ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-01-12.")) from None
    if not 2000 <= day.year <= 2100:
        raise ValueError(_("Välj ett datum mellan år 2000 och 2100."))
    return day.isoformat()


def clean_section(section: Section, raw: Mapping[str, str | None]) -> dict[str, str]:
    """Every field of the section as stored.

    :raise InvalidSection: one message per field that breaks its rule.
    """
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in section.fields:
        try:
            cleaned[spec.name] = clean_value(spec, raw.get(spec.name))
        except ValueError as error:
            errors[spec.name] = str(error)
    starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
    if starts and ends and ends < starts:
        errors["ends_on"] = _("Slutdatumet kan inte vara före startdatumet.")
    if errors:
        raise InvalidSection(errors)
    return cleaned
