"""Forms for editing a region's agreement; claims and confirmations are POSTs with only a token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired, Optional

from marketplace.agreements import services
from marketplace.forms import single_line, strip


class AgreementForm(FlaskForm):
    name = StringField(
        _l("Överenskommelsens namn"),
        validators=[InputRequired(_l("Skriv överenskommelsens namn."))],
        filters=[single_line],
        render_kw={"maxlength": services.NAME_MAX_LENGTH},
    )
    signed_year = IntegerField(
        _l("Undertecknad år"),
        validators=[InputRequired(_l("Ange året då den undertecknades."))],
        render_kw={"inputmode": "numeric"},
    )
    signed_on = DateField(_l("Undertecknad datum (om det är känt)"), validators=[Optional()])
    partners = StringField(_l("Undertecknad av, för idéburen sektor"), filters=[single_line])
    summary = TextAreaField(
        _l("Kort sammanfattning"), render_kw={"rows": 6, "maxlength": services.SUMMARY_MAX_LENGTH}
    )
    url = URLField(_l("Länk till texten"), filters=[strip])

    def fields(self) -> dict:
        return {
            "name": self.name.data or "",
            "signed_year": self.signed_year.data,
            "signed_on": self.signed_on.data,
            "summary": self.summary.data or "",
            "url": self.url.data or "",
            "partners": self.partners.data or "",
        }


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token: claim, confirm, turn down."""
