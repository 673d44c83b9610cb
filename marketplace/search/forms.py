"""The ad search form: a GET form over the query string, lenient with values it does not know."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, SearchField, SelectChoice, SelectField
from wtforms.fields import Label

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


# A checkbox's <input> as WTForms draws it, per (field, position, value, ticked): the same HTML
# whatever the language, so drawn once per process.
_CHECKBOXES: dict[tuple, Markup] = {}


@dataclass(frozen=True)
class CheckboxOption:
    """One box of a checkbox group, as the templates use WTForms' option fields (id, data,
    label, checked, called for its <input>), without building a WTForms field for it."""

    id: str
    data: str
    label: Label
    checked: bool
    html: Markup

    def __call__(self) -> Markup:
        return self.html


class LenientMultiCheckboxField(MultiCheckboxField):
    """Unknown values in a shared or hand-edited URL are dropped, never an error.

    Its boxes are light options (CheckboxOption): WTForms builds a field per box and runs
    html_params for each, about 30 boxes on every search page (a fifth of its CPU in
    make bench's profile)."""

    def __iter__(self):
        if self.render_kw:  # the <input> would carry them: draw it the WTForms way
            yield from super().__iter__()
            return
        choices = list(self._iter_choices_normalized())
        keys = [
            (self.name, self.id, index, choice.value, bool(choice.selected))
            for index, choice in enumerate(choices)
        ]
        if any(key not in _CHECKBOXES for key in keys):
            for key, option in zip(keys, super().__iter__(), strict=True):
                _CHECKBOXES[key] = option()
        for index, (choice, key) in enumerate(zip(choices, keys, strict=True)):
            option_id = f"{self.id}-{index}"
            yield CheckboxOption(
                id=option_id,
                data=choice.value,
                label=Label(option_id, choice.label or choice.value),
                checked=bool(choice.selected),
                html=_CHECKBOXES[key],
            )

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
