"""Forms for posting, editing and closing ads (their rules live in ads.services.validate_fields)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from marketplace.ads import services
from marketplace.ads.labels import CLOSE_REASON_LABELS, KIND_LABELS, SECTOR_LABELS
from marketplace.ads.models import Ad
from marketplace.forms import (
    MultiCheckboxField,
    PlaceFields,
    challenge_choices,
    strip,
)

# Service error keys -> form field names.
_FIELD_FOR = {"county_code": "county", "municipality_code": "municipality"}


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]


def sector_choices() -> list[SelectChoice]:
    return [SelectChoice(sector.value, label) for sector, label in SECTOR_LABELS.items()]


class AdForm(PlaceFields, FlaskForm):
    """Post or edit an ad. Shape is checked here; the rules come from the service."""

    kind = RadioField(
        _l("Typ av annons"),
        validators=[InputRequired(_l("Välj om annonsen söker, erbjuder eller är en idé."))],
        validate_choice=False,
    )
    title = StringField(
        _l("Rubrik"),
        validators=[
            InputRequired(_l("Skriv en rubrik.")),
            Length(
                max=services.TITLE_MAX_LENGTH,
                message=_l("Rubriken får vara högst %(max)s tecken."),
            ),
        ],
        filters=[strip],
        render_kw={"maxlength": services.TITLE_MAX_LENGTH},
    )
    body = TextAreaField(
        _l("Beskrivning"),
        validators=[
            InputRequired(_l("Beskriv vad ni söker, erbjuder eller vill göra.")),
            Length(
                max=services.BODY_MAX_LENGTH,
                message=_l("Beskrivningen får vara högst %(max)s tecken."),
            ),
        ],
        render_kw={"rows": 10},
    )
    challenges = MultiCheckboxField(_l("Samhällsutmaningar (en till tre)"), validate_choice=False)
    county = SelectField(_l("Län"), validate_choice=False)
    municipality = SelectField(_l("Kommun"), validate_choice=False)
    seeking = MultiCheckboxField(_l("Vi vill samverka med"), validate_choice=False)
    crisis = SelectField(_l("Kris"), validate_choice=False)
    expires_on = DateField(
        _l("Annonsen visas till och med"),
        validators=[InputRequired(_l("Ange ett datum."))],
    )
    # Honeypot for bots (new ads only): hidden from sight and screen readers, skipped by the Tab
    # key. A filled one means a bot; the view answers as if the ad were published.
    website = StringField(
        _l("Lämna det här fältet tomt"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def __init__(self, *args, ad: Ad | None = None, **kwargs) -> None:
        if ad is not None and "obj" not in kwargs and "data" not in kwargs:
            kwargs["data"] = {
                "kind": ad.kind.value,
                "title": ad.title,
                "body": ad.body,
                "challenges": ad.challenge_slugs,
                "county": ad.county_code or "",
                "municipality": ad.municipality_code or "",
                "seeking": [sector.value for sector in ad.seeking],
                "expires_on": ad.expires_on,
                "crisis": ad.crisis.slug if ad.crisis else "",
            }
        super().__init__(*args, **kwargs)
        self.ad = ad
        self.kind.choices = kind_choices()
        self.challenges.choices = challenge_choices()
        self.offer_places(_l("Hela Sverige"))
        self.seeking.choices = sector_choices()
        self.crisis.choices = [SelectChoice("", _l("Ingen kris"))]
        if ad is None and not self.is_submitted():
            self.expires_on.data = self.expires_on.data or services.default_expiry()

    def offer_crises(self, crises) -> None:
        """The active crises an ad may be tagged to (and the ad's own, even if it has ended)."""
        offered = list(crises)
        if self.ad is not None and self.ad.crisis is not None and self.ad.crisis not in offered:
            offered.append(self.ad.crisis)
        self.crisis.choices = [
            SelectChoice("", _l("Ingen kris")),
            *(SelectChoice(crisis.slug, crisis.name) for crisis in offered),
        ]

    def start_from(self, organisation) -> None:
        """A new ad starts where its organisation is (its county and municipality), not in
        "Hela Sverige": most needs and offers are local; the poster can widen it."""
        if self.ad is None and not self.is_submitted():
            self.county.data = organisation.county_code or ""
            self.municipality.data = organisation.municipality_code or ""

    @property
    def is_bot(self) -> bool:
        return bool(self.website.data)

    def ad_fields(self) -> dict:
        """The typed values, as keyword arguments for publish_ad / update_ad."""
        return {
            "kind": self.kind.data or "",
            "title": self.title.data or "",
            "body": self.body.data or "",
            "challenges": list(self.challenges.data or []),
            "county_code": self.county.data or None,
            "municipality_code": self.municipality.data or None,
            "seeking": list(self.seeking.data or []),
            "expires_on": self.expires_on.data if isinstance(self.expires_on.data, date) else None,
            "crisis": self.crisis.data or None,
        }

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show a service's rule errors beside their fields (a field's own errors come first)."""
        for name, message in errors.items():
            field = getattr(self, _FIELD_FOR.get(name, name), None)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:
                field.errors = [*field.errors, message]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        fields = self.ad_fields()
        keep_past = self.ad is not None and fields["expires_on"] == self.ad.expires_on
        try:
            services.validate_fields(
                **fields,
                allow_past_expiry=keep_past,
                kept_crisis_id=self.ad.crisis_id if self.ad is not None else None,
            )
        except services.InvalidAd as error:
            self.add_errors(error.errors)
            return False
        return valid


class CloseForm(FlaskForm):
    """Why the ad is closed: partner found, or no longer current."""

    reason = RadioField(
        _l("Varför stängs annonsen?"),
        choices=[
            SelectChoice(status.value, label) for status, label in CLOSE_REASON_LABELS.items()
        ],
        validators=[InputRequired(_l("Välj varför annonsen stängs."))],
    )


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token: renew and delete."""
