"""The ad search form: a GET form over the query string, lenient with values it does not know."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectChoice, SelectField

from marketplace import reference
from marketplace.ads.forms import kind_choices, sector_choices
from marketplace.ads.models import AdKind
from marketplace.forms import (
    LanguageFixedOptionsSelect,
    MultiCheckboxField,
    challenge_choices,
    county_choices,
    municipality_choices,
)
from marketplace.organisations.models import Sector
from marketplace.search.services import AdQuery

# URL values (Swedish, shareable) -> the contract's sort names.
SORT_VALUES = {"relevans": "relevance", "nyast": "newest", "snart-utgaende": "expiring"}
SORT_LABELS = {
    "relevans": _l("Mest relevanta"),
    "nyast": _l("Nyast först"),
    "snart-utgaende": _l("Snart utgående först"),
}
MAX_QUERY_LENGTH = 1000


def _known_values(field) -> set[str]:
    values: set[str] = set()
    for choice in field.choices or []:
        values.add(str(choice.value if isinstance(choice, SelectChoice) else choice[0]))
    return values


class LenientMultiCheckboxField(MultiCheckboxField):
    """Unknown values in a shared or hand-edited URL are dropped, never an error."""

    def process_formdata(self, valuelist):
        known = _known_values(self)
        self.data = list(dict.fromkeys(value for value in valuelist if value in known))

    def pre_validate(self, form) -> None:
        pass


class LenientSelectField(SelectField):
    """An unknown value reads as 'no choice' (the field's empty option)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[-1] if valuelist[-1] in _known_values(self) else ""

    def pre_validate(self, form) -> None:
        pass


class AdSearchForm(FlaskForm):
    """Reads request.args with CSRF off, so every search has a shareable URL."""

    q = SearchField(_l("Sökord"), render_kw={"autocomplete": "off", "maxlength": MAX_QUERY_LENGTH})
    kind = LenientMultiCheckboxField(_l("Typ av annons"), choices=kind_choices)
    challenge = LenientMultiCheckboxField(_l("Samhällsutmaning"), choices=challenge_choices)
    county = LenientSelectField(
        _l("Län"),
        choices=lambda: county_choices(_l("Alla län")),
        widget=LanguageFixedOptionsSelect(),
    )
    municipality = LenientSelectField(
        _l("Kommun"),
        choices=lambda: municipality_choices(_l("Alla kommuner")),
        widget=LanguageFixedOptionsSelect(),
    )
    seeking = LenientMultiCheckboxField(_l("Söker samverkan med"), choices=sector_choices)
    sector = LenientMultiCheckboxField(_l("Annonsörens sektor"), choices=sector_choices)
    undertecknare = BooleanField(_l("Bara undertecknare av Överenskommelsen"))
    kris = HiddenField()  # a crisis's slug (from its page): only the ads tagged to it
    sort = LenientSelectField(
        _l("Sortering"),
        choices=lambda: [SelectChoice(value, label) for value, label in SORT_LABELS.items()],
        default="relevans",
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(**kwargs)

    def to_query(self) -> AdQuery:
        """The search as the service's AdQuery; a municipality outside the county is dropped."""
        county = self.county.data or None
        municipality = reference.municipalities().get(self.municipality.data or "")
        if municipality and county and municipality.county_code != county:
            municipality = None
        return AdQuery(
            text=(self.q.data or "")[:MAX_QUERY_LENGTH],
            kinds=[AdKind(value) for value in self.kind.data or []],
            challenges=list(self.challenge.data or []),
            county=county or (municipality.county_code if municipality else None),
            municipality=municipality.code if municipality else None,
            seeking=[Sector(value) for value in self.seeking.data or []],
            sectors=[Sector(value) for value in self.sector.data or []],
            sort=SORT_VALUES.get(self.sort.data or "", "relevance"),
            crisis=(self.kris.data or "").strip()[:80] or None,
            signatories=bool(self.undertecknare.data),
        )

    @staticmethod
    def page_number() -> int:
        """?page=N for N >= 1; anything else (abc, -1, 0, huge) reads as the nearest sane page."""
        raw = request.args.get("page", "1")
        try:
            page = int(raw)
        except ValueError:
            return 1
        return max(1, min(page, 10_000))
