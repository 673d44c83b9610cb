"""Forms of the agreement: one per section (built from partnerships.sections), approve, outcome.

The fields only carry what was typed: the rules (lengths, numbers, dates) live in the service,
whose messages the view puts back on the fields, so the input is never lost or cut short (no
maxlength attributes either: a browser would silently drop the end of a pasted text).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired

from marketplace.partnerships import iop, sections
from marketplace.partnerships.sections import Section


class SectionForm(FlaskForm):
    """The fields of one section and the version the person started from."""

    base_version = HiddenField()
    section: Section  # set on each generated subclass

    def values(self) -> dict[str, str]:
        return {spec.name: self[spec.name].data or "" for spec in self.section.fields}

    @property
    def based_on(self) -> int:
        raw = (self.base_version.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0

    def base_on(self, version: int) -> None:
        """Make the next save start from `version` (after a conflict: a deliberate overwrite)."""
        self.base_version.data = str(version)
        self.base_version.raw_data = [str(version)]

    def add_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self[name].errors = [*self[name].errors, message]


def _field(spec: sections.Field):
    if spec.kind == sections.ANSWER:
        return RadioField(
            spec.label,
            choices=[
                SelectChoice(answer.value, label) for answer, label in iop.ANSWER_LABELS.items()
            ],
            validate_choice=False,
        )
    if spec.kind == sections.TEXT:
        return TextAreaField(spec.label, render_kw={"rows": 5})
    render_kw: dict[str, str] = {"autocomplete": "off"}
    if spec.kind in (sections.KRONOR, sections.HOURS):
        render_kw["inputmode"] = "numeric"
    if spec.kind == sections.DATE:
        render_kw["type"] = "date"
    return StringField(spec.label, render_kw=render_kw)


def _form_class(section: Section) -> type[SectionForm]:
    attributes = {spec.name: _field(spec) for spec in section.fields}
    attributes["section"] = section
    return type(f"{section.key.title()}Form", (SectionForm,), attributes)


_FORMS = {section.key: _form_class(section) for section in sections.SECTIONS}


def section_form(section: Section, **kwargs) -> SectionForm:
    """The section's form: bound to the request on POST, or filled from `data` on GET."""
    return _FORMS[section.key](**kwargs)


class ApproveForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])

    @property
    def approved_version(self) -> int:
        raw = (self.version.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


class OutcomeForm(FlaskForm):
    """One step: the button pressed says how ("iop" or "samverkan", services.OUTCOME_FORMS)."""

    record_as = StringField()
