"""Form pieces every domain's forms share: input filters, checkbox lists, place and challenge choices.

The county and municipality selects work the same on every form that has them (ads,
organisations, search, alerts, statistics, moderation): the counties and municipalities of
marketplace.reference, and one endpoint, GET /kommuner (pages.municipalities), that gives the
municipality field of the county just chosen for htmx to swap in (`PlaceFields` and
`MunicipalityForm` below; the markup is `municipality_field` in templates/_macros/forms.html).
"""

from __future__ import annotations

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectChoice, SelectField, SelectMultipleField, widgets

from marketplace import reference
from marketplace.text import clean_text, one_line

ANY_MUNICIPALITY = _l("Hela länet / ingen särskild kommun")


# Filters (WTForms `filters=[...]`): what typed text becomes before validation.


def strip(value):
    """No surrounding blank space."""
    return value.strip() if isinstance(value, str) else value


def plain_text(value):
    """Plain text as the site stores it: no control characters, no surrounding blank space."""
    return clean_text(value) if isinstance(value, str) else value


def single_line(value):
    """Cleaned text on one line (names, titles)."""
    return one_line(value) if isinstance(value, str) else value


# Fields and widgets


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (rendered by the choices() macro)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LanguageFixedOptionsSelect(widgets.Select):
    """A select whose options' HTML is built once per language and then only marked selected.

    For fields whose choices depend on nothing but the language (the search form's county and
    municipality): WTForms' html_params and escaping for 290 municipalities cost ~40 ms of every
    search page (make bench). One instance per field definition, so one list of choices.
    """

    def __init__(self) -> None:
        super().__init__()
        self._options: dict[str, list[tuple[str | None, str, str]]] = {}

    def _built(self, field) -> list[tuple[str | None, str, str]]:
        """(value or None for optgroup tags, HTML unselected, HTML selected) per line."""
        lines: list[tuple[str | None, str, str]] = []
        # As widgets.Select walks them (wtforms' own normalising, Choice named tuples).
        if field.has_groups():
            groups = field._iter_groups_normalized()
        else:
            groups = [(None, field._iter_choices_normalized())]
        for group, choices in groups:
            if group is not None:
                tag = f"<optgroup {widgets.html_params(label=group)}>"
                lines.append((None, tag, tag))
            for choice in choices:
                plain = self.render_option(choice._replace(selected=False))
                chosen = self.render_option(choice._replace(selected=True))
                lines.append((str(choice.value), plain, chosen))
            if group is not None:
                lines.append((None, "</optgroup>", "</optgroup>"))
        return lines

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        language = str(get_locale())
        lines = self._options.get(language)
        if lines is None:
            lines = self._options[language] = self._built(field)
        selected = None if field.data is None else str(field.data)
        html = [f"<select {widgets.html_params(name=field.name, **kwargs)}>"]
        html += [chosen if value == selected else plain for value, plain, chosen in lines]
        html.append("</select>")
        # Built from escaped parts only (html_params, render_option).
        return Markup("".join(html))  # noqa: S704  # nosec B704


# Choices from the reference data


def challenge_choices() -> list[SelectChoice]:
    return [SelectChoice(slug, item.name) for slug, item in reference.challenges().items()]


def county_choices(placeholder) -> list[SelectChoice]:
    """Every county after an empty choice that says what no county means on this form."""
    return [SelectChoice("", placeholder)] + [
        SelectChoice(code, county.name) for code, county in reference.counties().items()
    ]


def municipality_choices(placeholder, county: str | None = None) -> list[SelectChoice]:
    """All municipalities grouped by county, or only one county's (for the htmx-updated select)."""
    choices = [SelectChoice("", placeholder)]
    counties = reference.counties()
    for code, municipalities in reference.municipalities_by_county().items():
        if county and code != county:
            continue
        group = None if county else counties[code].name
        choices += [SelectChoice(m.code, m.name, optgroup=group) for m in municipalities]
    return choices


class PlaceFields:
    """For forms with a `county` and a `municipality` select kept in step by GET /kommuner."""

    county: SelectField
    municipality: SelectField

    def offer_places(self, no_county) -> None:
        """Every county and municipality; `no_county` says what the empty county choice means."""
        self.county.choices = county_choices(no_county)
        self.municipality.choices = municipality_choices(ANY_MUNICIPALITY)

    def limit_municipalities(self) -> None:
        """Only the chosen county's municipalities (when htmx keeps the list in step with it)."""
        if self.county.data in reference.counties():
            self.municipality.choices = municipality_choices(ANY_MUNICIPALITY, self.county.data)


class MunicipalityForm(PlaceFields, FlaskForm):
    """GET /kommuner?county=08&municipality=0880: the municipality field for the chosen county."""

    county = SelectField(_l("Län"), validate_choice=False)
    municipality = SelectField(_l("Kommun"), validate_choice=False)

    def __init__(self) -> None:
        super().__init__(formdata=request.args, meta={"csrf": False})
        self.offer_places(_l("Hela Sverige"))
        self.limit_municipalities()


def add_service_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """A service's rule errors (field name -> message) beside their fields; others ("" or an
    unknown name) in the list above the form."""
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]
