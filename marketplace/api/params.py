"""Query-string parsing for the JSON API: every bad value becomes a 400 that names its parameter."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from marketplace import reference
from marketplace.search import services as search

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = search.MAX_PER_PAGE
MAX_PAGE = search.MAX_PAGE  # the search clamps deeper pages; here they are an error instead
MAX_QUERY_LENGTH = 200

T = TypeVar("T")


class BadParameter(Exception):
    """A query parameter the API cannot use; answered with 400 and the parameter's name."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int


def _number(args: MultiDict, name: str, default: int, highest: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    # ASCII digits only: int() would also take "٣" or "1_000".
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= highest:
        raise BadParameter(
            name,
            _(
                "%(name)s måste vara ett heltal från 1 till %(highest)s.",
                name=name,
                highest=highest,
            ),
        )
    return int(raw)


def number(args: MultiDict, name: str, default: int, highest: int) -> int:
    """A whole number from 1 to `highest` (`default` when absent)."""
    return _number(args, name, default, highest)


def page(args: MultiDict) -> Page:
    """page (1…) and per_page (1–100, default 20)."""
    return Page(
        page=_number(args, "page", 1, MAX_PAGE),
        per_page=_number(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    )


def text(args: MultiDict, name: str = "q") -> str:
    value = args.get(name, "").strip()
    if len(value) > MAX_QUERY_LENGTH:
        raise BadParameter(
            name, _("Söktexten får vara högst %(max)s tecken.", max=MAX_QUERY_LENGTH)
        )
    return value


def _values(args: MultiDict, name: str) -> list[str]:
    """A repeatable parameter: ?kind=need&kind=offer or ?kind=need,offer; blanks are ignored."""
    values: list[str] = []
    for raw in args.getlist(name):
        for value in raw.split(","):
            value = value.strip()
            if value and value not in values:
                values.append(value)
    return values


def choices(
    args: MultiDict, name: str, allowed: Iterable[str], convert: Callable[[str], T] = str
) -> list[T]:
    """Every value of a repeatable parameter, each one of `allowed`."""
    options = list(allowed)
    values = _values(args, name)
    for value in values:
        if value not in options:
            raise BadParameter(
                name,
                _(
                    "Okänt värde %(value)s för %(name)s. Tillåtna värden: %(options)s.",
                    value=repr(value),
                    name=name,
                    options=", ".join(options),
                ),
            )
    return [convert(value) for value in values]


def area(args: MultiDict) -> tuple[str | None, str | None]:
    """county (two-digit SCB code) and municipality (four digits, inside the county if both)."""
    county = args.get("county", "").strip() or None
    if county is not None and county not in reference.counties():
        raise BadParameter(
            "county", _("Okänd länskod %(code)s (två siffror, till exempel 08).", code=repr(county))
        )
    municipality = args.get("municipality", "").strip() or None
    if municipality is not None:
        found = reference.municipalities().get(municipality)
        if found is None:
            raise BadParameter(
                "municipality",
                _(
                    "Okänd kommunkod %(code)s (fyra siffror, till exempel 0880).",
                    code=repr(municipality),
                ),
            )
        if county is not None and found.county_code != county:
            raise BadParameter(
                "municipality",
                _(
                    "Kommunen %(code)s ligger inte i län %(county)s.",
                    code=municipality,
                    county=county,
                ),
            )
    return county, municipality
