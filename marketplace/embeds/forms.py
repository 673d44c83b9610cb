"""The embed's options (county, challenge, theme) as a strict GET form: unknown values are errors."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional

from marketplace.forms import challenge_choices, county_choices

THEMES = {"": _l("Ljust"), "mork": _l("Mörkt")}


class EmbedForm(FlaskForm):
    """?lan=08&utmaning=mental-health&tema=mork, all optional."""

    lan = SelectField(_l("Län"), validators=[Optional()])
    utmaning = SelectField(_l("Samhällsutmaning"), validators=[Optional()])
    tema = SelectField(
        _l("Färgtema"),
        choices=[SelectChoice(value, label) for value, label in THEMES.items()],
        validators=[Optional()],
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(**kwargs)
        self.lan.choices = county_choices(_l("Alla län"))
        self.utmaning.choices = [
            SelectChoice("", _l("Alla samhällsutmaningar")),
            *challenge_choices(),
        ]

    def options(self) -> dict[str, str]:
        """The chosen, valid options for URLs (empty ones left out)."""
        values = {"lan": self.lan.data, "utmaning": self.utmaning.data, "tema": self.tema.data}
        return {name: value for name, value in values.items() if value}
