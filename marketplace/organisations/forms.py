"""Forms for organisation profiles, invitations and the public directory."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from marketplace import reference
from marketplace.forms import (
    MultiCheckboxField,
    PlaceFields,
    challenge_choices,
    county_choices,
    municipality_choices,
    plain_text,
    single_line,
)
from marketplace.organisations import orgnr
from marketplace.organisations.labels import LEGAL_FORM_LABELS, SECTOR_LABELS
from marketplace.organisations.models import LegalForm, Organisation, Sector
from marketplace.organisations.services import (
    DirectoryFilters,
    OrganisationDetails,
    duplicate_message,
    find_by_org_number,
    is_domain,
    is_free_mail,
)

MAX_DOMAINS = 5


def split_domains(value: str | None) -> list[str]:
    """'regionkalmar.se, www.regionkalmar.se' -> ['regionkalmar.se']: lower-case, no www., no
    scheme or path, no repeats."""
    found: list[str] = []
    for part in re.split(r"[\s,;]+", (value or "").strip().lower()):
        part = part.removeprefix("https://").removeprefix("http://").split("/")[0]
        part = part.split("@")[-1].removeprefix("www.").rstrip(".")
        if part and part not in found:
            found.append(part)
    return found


SECTOR_VALUES = [sector.value for sector in Sector]
LEGAL_FORM_VALUES = [form.value for form in LegalForm]
CHOOSE_ONE = _l("Välj ett av alternativen.")
PRESELECTED = _l("Förvalt utifrån organisationsnumret – kontrollera valet och spara igen.")


def _website(value):
    """'www.example.se' -> 'https://www.example.se': people rarely type the scheme."""
    value = single_line(value)
    if value and "://" not in value and not value.lower().startswith(("mailto:", "javascript:")):
        return f"https://{value}"
    return value


def _http_url(form, field) -> None:
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        parts, host = None, ""
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or "." not in host
        or " " in field.data
    ):
        raise ValidationError(
            _l(
                "Ange en webbadress som börjar med http:// eller https://, till exempel https://example.se."
            )
        )


class OrganisationForm(PlaceFields, FlaskForm):
    """Create or edit an organisation's profile."""

    name = StringField(
        _l("Organisationens namn"),
        validators=[DataRequired(_l("Skriv organisationens namn.")), Length(max=200)],
        filters=[single_line],
    )
    org_number = StringField(
        _l("Organisationsnummer"),
        validators=[Optional()],
        filters=[single_line],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    sector = RadioField(
        _l("Sektor"),
        validators=[InputRequired(_l("Välj sektor.")), AnyOf(SECTOR_VALUES, CHOOSE_ONE)],
        validate_choice=False,
    )
    legal_form = SelectField(
        _l("Organisationsform"),
        validators=[
            InputRequired(_l("Välj organisationsform.")),
            AnyOf(LEGAL_FORM_VALUES, CHOOSE_ONE),
        ],
        validate_choice=False,
    )
    county = SelectField(
        _l("Län"), validators=[InputRequired(_l("Välj län."))], validate_choice=False
    )
    municipality = SelectField(_l("Kommun"), validators=[Optional()], validate_choice=False)
    website = URLField(
        _l("Webbplats"),
        validators=[Optional(), Length(max=300), _http_url],
        filters=[_website],
        render_kw={"autocomplete": "url"},
    )
    email = EmailField(
        _l("E-post för kontakt"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Ange en giltig e-postadress, till exempel info@example.se.")),
        ],
        filters=[single_line],
    )
    description = TextAreaField(
        _l("Beskrivning"),
        validators=[
            Optional(),
            Length(max=5000, message=_l("Beskrivningen får vara högst 5 000 tecken.")),
        ],
        filters=[plain_text],
        render_kw={"rows": 8, "maxlength": 5000},
    )
    challenges = MultiCheckboxField(
        _l("Samhällsutmaningar ni arbetar med"),
        invalid_choice_message=_l("Välj bland de samhällsutmaningar som finns i listan."),
    )
    domains = StringField(
        _l("Organisationens domäner (webb och e-post)"),
        validators=[Optional(), Length(max=600)],
        filters=[single_line],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    auto_approve_joins = BooleanField(
        _l("Godkänn förfrågningar om att gå med automatiskt från adresser på vår verifierade domän")
    )

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.sector.choices = [SelectChoice(s.value, SECTOR_LABELS[s]) for s in Sector]
        self.legal_form.choices = [SelectChoice("", _l("Välj organisationsform"))] + [
            SelectChoice(f.value, LEGAL_FORM_LABELS[f]) for f in LegalForm
        ]
        self.offer_places(_l("Välj län"))
        self.challenges.choices = challenge_choices()
        self.org_number_hint = ""

    @classmethod
    def for_organisation(cls, organisation: Organisation) -> OrganisationForm:
        """The edit form filled in from the saved organisation (for the first GET)."""
        return cls(
            organisation=organisation,
            data={
                "name": organisation.name,
                "org_number": organisation.org_number or "",
                "sector": organisation.sector.value,
                "legal_form": organisation.legal_form.value,
                "county": organisation.county_code,
                "municipality": organisation.municipality_code or "",
                "website": organisation.website,
                "email": organisation.email,
                "description": organisation.description,
                "challenges": organisation.challenge_slugs,
                "domains": " ".join(organisation.domain_list),
                "auto_approve_joins": organisation.auto_approve_joins,
            },
        )

    def validate_domains(self, field) -> None:
        domains = split_domains(field.data)
        if len(domains) > MAX_DOMAINS:
            raise ValidationError(_l("Ange högst fem domäner."))
        for domain in domains:
            if not is_domain(domain):
                raise ValidationError(
                    _l(
                        "%(domain)s är ingen domän. Skriv till exempel regionkalmar.se.",
                        domain=domain,
                    )
                )
            if is_free_mail(domain):
                raise ValidationError(
                    _l(
                        "%(domain)s är en e-posttjänst som vem som helst kan använda och kan "
                        "inte vara organisationens domän.",
                        domain=domain,
                    )
                )

    def validate_county(self, field) -> None:
        if field.data not in reference.counties():
            raise ValidationError(_l("Välj län."))

    def validate_municipality(self, field) -> None:
        municipality = reference.municipalities().get(field.data)
        if municipality is None:
            raise ValidationError(_l("Välj en kommun i listan."))
        if self.county.data and municipality.county_code != self.county.data:
            raise ValidationError(
                _l(
                    "%(municipality)s ligger inte i %(county)s. Välj en kommun i det valda "
                    "länet, eller byt län.",
                    municipality=municipality.name,
                    county=reference.county_name(self.county.data),
                )
            )

    def validate_org_number(self, field) -> None:
        try:
            number = orgnr.normalise(field.data)
        except orgnr.InvalidOrgNumber as error:
            raise ValidationError(error.message) from error
        exclude = self.organisation.id if self.organisation else None
        if find_by_org_number(number, exclude_id=exclude) is not None:
            raise ValidationError(duplicate_message())
        field.data = number

    def validate_challenges(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Välj minst en samhällsutmaning."))

    def suggest_from_org_number(self) -> None:
        """Show what the number's first digit usually means and pre-select still-empty choices.

        Runs after validation. A pre-selected field that was left empty keeps an error telling
        the user to check the choice, so nothing is saved on a guess.
        """
        if not self.org_number.data or self.org_number.errors:
            return
        suggestion = orgnr.suggest(orgnr.normalise(self.org_number.data))
        if suggestion is None:
            return
        self.org_number_hint = suggestion.hint
        guesses = [(self.sector, suggestion.sector), (self.legal_form, suggestion.legal_form)]
        for field, guess in guesses:
            if guess is not None and not field.data:
                field.data = guess.value
                if field.errors:
                    field.errors = [PRESELECTED]

    def keep_errors_of_filled_fields(self) -> None:
        """For inline checks while typing: no "required" errors on fields not reached yet."""
        for field in self:
            if not any(str(value).strip() for value in (field.raw_data or [])):
                field.errors = []

    def details(self) -> OrganisationDetails:
        """The validated input, typed for the services."""
        return OrganisationDetails(
            name=self.name.data,
            sector=Sector(self.sector.data),
            legal_form=LegalForm(self.legal_form.data),
            county_code=self.county.data,
            municipality_code=self.municipality.data or None,
            org_number=self.org_number.data or None,
            website=self.website.data or "",
            email=self.email.data or "",
            description=self.description.data or "",
            challenges=list(self.challenges.data or []),
            domains=split_domains(self.domains.data),
            auto_approve_joins=bool(self.auto_approve_joins.data),
        )


class InviteForm(FlaskForm):
    """An administrator invites someone by e-mail address."""

    email = EmailField(
        _l("E-postadress"),
        validators=[
            InputRequired(_l("Skriv e-postadressen till den du vill bjuda in.")),
            Length(max=254),
            Email(_l("Ange en giltig e-postadress, till exempel namn@example.se.")),
        ],
        filters=[single_line],
    )


class DirectoryForm(FlaskForm):
    """GET filters for the public directory: read from the query string, no CSRF, shareable URLs."""

    q = StringField(_l("Sök"), validators=[Optional()])  # query_terms() caps the length
    sector = SelectField(_l("Sektor"), validators=[Optional()])
    county = SelectField(_l("Län"), validators=[Optional()])
    municipality = SelectField(_l("Kommun"), validators=[Optional()])
    challenge = SelectField(_l("Samhällsutmaning"), validators=[Optional()])
    undertecknare = BooleanField(_l("Bara undertecknare av Överenskommelsen"))

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(**kwargs)
        self.sector.choices = [SelectChoice("", _l("Alla sektorer"))] + [
            SelectChoice(s.value, SECTOR_LABELS[s]) for s in Sector
        ]
        self.county.choices = county_choices(_l("Hela Sverige"))
        self.municipality.choices = municipality_choices(_l("Alla kommuner"))
        self.challenge.choices = [
            SelectChoice("", _l("Alla samhällsutmaningar")),
            *challenge_choices(),
        ]

    def filters(self) -> DirectoryFilters:
        """The valid filters; an unknown value in a hand-edited URL is ignored, not an error page."""
        self.validate()

        def valid(field) -> str | None:
            return None if field.errors else (field.data or None)

        sector = valid(self.sector)
        return DirectoryFilters(
            q=valid(self.q) or "",
            sector=Sector(sector) if sector else None,
            county=valid(self.county),
            municipality=valid(self.municipality),
            challenge=valid(self.challenge),
            signatories=bool(self.undertecknare.data),
        )


class ApplicationForm(FlaskForm):
    """'Ansök om verifiering': what a reviewer needs to check the organisation."""

    org_number = StringField(
        _l("Organisationsnummer"),
        validators=[InputRequired(_l("Skriv organisationsnumret."))],
        filters=[single_line],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    legal_form = SelectField(
        _l("Organisationsform"),
        validators=[
            InputRequired(_l("Välj organisationsform.")),
            AnyOf(LEGAL_FORM_VALUES, CHOOSE_ONE),
        ],
        validate_choice=False,
    )
    document_url = URLField(
        _l("Länk till stadgar eller registreringsbevis"),
        validators=[
            InputRequired(_l("Länka till stadgarna eller registreringsbeviset.")),
            Length(max=500),
            _http_url,
        ],
        filters=[_website],
    )
    contact_name = StringField(
        _l("Kontaktperson"),
        validators=[InputRequired(_l("Skriv kontaktpersonens namn.")), Length(max=120)],
        filters=[single_line],
        render_kw={"autocomplete": "name"},
    )
    contact_email = EmailField(
        _l("Kontaktpersonens e-post"),
        validators=[
            InputRequired(_l("Skriv kontaktpersonens e-postadress.")),
            Length(max=254),
            Email(_l("Ange en giltig e-postadress, till exempel namn@example.se.")),
        ],
        filters=[single_line],
        render_kw={"autocomplete": "email"},
    )
    contact_phone = StringField(
        _l("Kontaktpersonens telefon"),
        validators=[Optional(), Length(max=40)],
        filters=[single_line],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    message = TextAreaField(
        _l("Något mer granskaren behöver veta"),
        validators=[Optional(), Length(max=2000)],
        filters=[plain_text],
        render_kw={"rows": 4},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.legal_form.choices = [SelectChoice("", _l("Välj organisationsform"))] + [
            SelectChoice(f.value, LEGAL_FORM_LABELS[f]) for f in LegalForm
        ]

    @staticmethod
    def defaults(organisation: Organisation, user) -> dict:
        """What the organisation's profile and the person already tell."""
        return {
            "org_number": organisation.org_number or "",
            "legal_form": organisation.legal_form.value,
            "contact_name": getattr(user, "name", ""),
            "contact_email": getattr(user, "email", ""),
        }

    def validate_org_number(self, field) -> None:
        try:
            field.data = orgnr.normalise(field.data)
        except orgnr.InvalidOrgNumber as error:
            raise ValidationError(error.message) from error

    def details(self):
        from marketplace.organisations.trust import ApplicationDetails

        return ApplicationDetails(
            org_number=self.org_number.data,
            legal_form=LegalForm(self.legal_form.data),
            document_url=self.document_url.data,
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data or "",
            message=self.message.data or "",
        )


class AppealForm(FlaskForm):
    """'Begär omprövning' of a rejected application."""

    text = TextAreaField(
        _l("Varför bör beslutet ändras?"),
        validators=[
            InputRequired(_l("Skriv varför beslutet bör ändras.")),
            Length(min=10, max=2000),
        ],
        filters=[plain_text],
        render_kw={"rows": 4},
    )


class DecisionForm(FlaskForm):
    """A reviewer's decision on an application, with the reason the organisation is sent."""

    decision = RadioField(
        _l("Beslut"),
        choices=[SelectChoice("approve", _l("Godkänn")), SelectChoice("reject", _l("Avslå"))],
        validators=[InputRequired(_l("Välj godkänn eller avslå."))],
    )
    reason = TextAreaField(
        _l("Motivering (skickas till organisationen)"),
        validators=[InputRequired(_l("Skriv en motivering.")), Length(max=2000)],
        filters=[plain_text],
        render_kw={"rows": 3},
    )


class RevokeForm(FlaskForm):
    """A site administrator takes a verification away."""

    reason = TextAreaField(
        _l("Motivering (skickas till organisationens administratörer)"),
        validators=[InputRequired(_l("Skriv en motivering.")), Length(max=2000)],
        filters=[plain_text],
        render_kw={"rows": 3},
    )


class JoinForm(FlaskForm):
    """'Begär att gå med', with a short message to the administrators."""

    message = TextAreaField(
        _l("Meddelande till administratörerna"),
        validators=[Optional(), Length(max=1000, message=_l("Högst 1 000 tecken."))],
        filters=[plain_text],
        render_kw={"rows": 3, "maxlength": 1000},
    )


class OfficialDomainForm(FlaskForm):
    """A site administrator adds an official e-mail domain to a region, municipality or board."""

    body = SelectField(
        _l("Offentlig organisation"), validators=[InputRequired(_l("Välj organisation."))]
    )
    domain = StringField(
        _l("E-postdomän"),
        validators=[InputRequired(_l("Skriv domänen, till exempel kalmar.se.")), Length(max=253)],
        filters=[single_line],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def __init__(self, *args, **kwargs) -> None:
        from marketplace.organisations.names import public_bodies

        super().__init__(*args, **kwargs)
        bodies = sorted(
            public_bodies().values(), key=lambda body: reference.swedish_sort_key(body.name)
        )
        self.body.choices = [SelectChoice("", _l("Välj organisation"))] + [
            SelectChoice(body.code, body.name) for body in bodies
        ]
