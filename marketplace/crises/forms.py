"""Forms for declaring, extending and ending crises, tagging ads, and the alert setting."""

from __future__ import annotations

from datetime import date, timedelta

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace import reference
from marketplace.clock import today
from marketplace.crises import services
from marketplace.forms import MultiCheckboxField, challenge_choices, single_line, strip


class DeclareForm(FlaskForm):
    name = StringField(
        _l("Krisens namn"),
        validators=[
            InputRequired(_l("Skriv krisens namn.")),
            Length(
                max=services.NAME_MAX_LENGTH, message=_l("Namnet får vara högst %(max)s tecken.")
            ),
        ],
        filters=[single_line],
        render_kw={"maxlength": services.NAME_MAX_LENGTH},
    )
    description = TextAreaField(
        _l("Kort beskrivning"),
        validators=[InputRequired(_l("Beskriv kort vad som har hänt och vad som behövs."))],
        render_kw={"rows": 5, "maxlength": services.DESCRIPTION_MAX_LENGTH},
    )
    lead = StringField(
        _l("Vem leder arbetet"),
        validators=[InputRequired(_l("Skriv vem som leder arbetet."))],
        filters=[single_line],
        render_kw={"maxlength": services.LEAD_MAX_LENGTH},
    )
    nationwide = BooleanField(_l("Hela Sverige"))
    counties = MultiCheckboxField(_l("Län som berörs"), validate_choice=False)
    challenge = SelectField(_l("Samhällsutmaning"), validate_choice=False)
    starts_on = DateField(_l("Börjar"), validators=[InputRequired(_l("Ange ett datum."))])
    ends_on = DateField(
        _l("Slutar (högst 90 dagar efter starten)"),
        validators=[InputRequired(_l("Ange ett datum."))],
    )

    def __init__(self, *args, allowed: set[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = [code for code in reference.counties() if allowed is None or code in allowed]
        self.counties.choices = [SelectChoice(code, reference.county_name(code)) for code in codes]
        self.challenge.choices = [SelectChoice("", _l("Välj…")), *challenge_choices()]
        self.may_declare_nationwide = allowed is None
        if not self.is_submitted():
            self.starts_on.data = self.starts_on.data or today()
            self.ends_on.data = self.ends_on.data or today() + timedelta(days=30)
            if not self.challenge.data:
                self.challenge.data = "crisis-preparedness"

    def fields(self) -> dict:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "lead": self.lead.data or "",
            "county_codes": list(self.counties.data or []),
            "nationwide": bool(self.nationwide.data) and self.may_declare_nationwide,
            "starts_on": self.starts_on.data if isinstance(self.starts_on.data, date) else None,
            "ends_on": self.ends_on.data if isinstance(self.ends_on.data, date) else None,
            "challenge": self.challenge.data or "",
        }


class ExtendForm(FlaskForm):
    ends_on = DateField(_l("Ny slutdag"), validators=[InputRequired(_l("Ange ett datum."))])
    reason = TextAreaField(
        _l("Motivering"),
        validators=[InputRequired(_l("Skriv en motivering."))],
        render_kw={"rows": 3, "maxlength": services.REASON_MAX_LENGTH},
    )


class EndForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivering"),
        validators=[InputRequired(_l("Skriv en motivering."))],
        render_kw={"rows": 3, "maxlength": services.REASON_MAX_LENGTH},
    )


class TagForm(FlaskForm):
    """A moderator's choice: tag the ad to one of the active crises, or remove its tag."""

    crisis = SelectField(_l("Kris"), validate_choice=False, filters=[strip])

    def offer(self, crises) -> None:
        self.crisis.choices = [
            SelectChoice("", _l("Ingen kris")),
            *(SelectChoice(crisis.slug, crisis.name) for crisis in crises),
        ]


class AlertSettingForm(FlaskForm):
    enabled = BooleanField(_l("Skicka krisbevakningar för vårt län"))


class MunicipalityFilterForm(FlaskForm):
    """GET ?kommun= on a crisis page: reads request.args, CSRF off (shareable URLs)."""

    kommun = SelectField(_l("Kommun"), validate_choice=False)

    def __init__(self, municipalities, **kwargs) -> None:
        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(**kwargs)
        self.kommun.choices = [
            SelectChoice("", _l("Alla kommuner")),
            *(SelectChoice(m.code, m.name) for m in municipalities),
        ]
