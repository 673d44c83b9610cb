"""The outcome question (a POST form) and the statistics filters (a GET form)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from marketplace.crises import rules as crisis_rules
from marketplace.forms import county_choices, strip
from marketplace.insights import outcomes, statistics
from marketplace.insights.labels import FORM_LABELS, PERIOD_LABELS
from marketplace.insights.models import Outcome
from marketplace.organisations.models import Organisation

YES, NO = "ja", "nej"


class OutcomeForm(FlaskForm):
    """Did the ad lead to collaboration, with whom, in what form. Rules live in the service."""

    collaborated = RadioField(
        _l("Ledde annonsen till samverkan?"),
        choices=[
            SelectChoice(YES, _l("Ja, vi samverkar eller ska samverka")),
            SelectChoice(NO, _l("Nej, inte den här gången")),
        ],
        validate_choice=False,
    )
    collaboration_form = RadioField(
        _l("I vilken form?"),
        choices=[SelectChoice(form.value, label) for form, label in FORM_LABELS.items()],
        validate_choice=False,
    )
    partner_name = StringField(
        _l("Vem samverkar ni med?"),
        validators=[Optional(), Length(max=outcomes.PARTNER_NAME_MAX_LENGTH)],
        filters=[strip],
    )
    # Filled with the organisations that match partner_name (see offer_partners()).
    partner_organisation = RadioField(
        _l("Organisationer på Samverkanstorget"), validate_choice=False
    )

    def offer_partners(
        self, organisations: list[Organisation], chosen: Organisation | None = None
    ) -> None:
        """Make the found organisations (and the one already chosen) the partner choices."""
        listed = list(organisations)
        if chosen is not None and all(org.id != chosen.id for org in listed):
            listed.insert(0, chosen)
        self.partner_organisation.choices = [
            SelectChoice(str(org.id), org.name) for org in listed
        ] + [SelectChoice("", _l("Ingen av dessa – spara namnet som jag skrev det"))]
        if self.partner_organisation.data is None:
            self.partner_organisation.data = str(chosen.id) if chosen else ""

    @property
    def has_partner_choices(self) -> bool:
        return len(self.partner_organisation.choices or []) > 1

    def answer(self) -> dict:
        """The submitted answer as the service's keyword arguments."""
        collaborated = {YES: True, NO: False}.get(self.collaborated.data or "")
        chosen = (self.partner_organisation.data or "").strip()
        return {
            "collaborated": collaborated,
            "form": self.collaboration_form.data or None,
            "partner_organisation_id": int(chosen) if chosen.isdigit() else None,
            "partner_name": self.partner_name.data or "",
        }

    def fill_from(self, outcome: Outcome) -> None:
        """Show what was reported before (GET of an answered question)."""
        self.collaborated.data = YES if outcome.collaborated else NO
        self.collaboration_form.data = outcome.form.value if outcome.form else None
        self.partner_name.data = outcome.partner_name
        self.partner_organisation.data = (
            str(outcome.partner_organisation_id) if outcome.partner_organisation_id else ""
        )

    def add_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors = [*getattr(self, name).errors, message]


class StatisticsForm(FlaskForm):
    """GET filters for /statistik and /statistik.csv: a county and a period. Unknown values are errors."""

    lan = SelectField(_l("Län"), validators=[Optional()])
    period = SelectField(
        _l("Period"),
        choices=[SelectChoice(str(months), label) for months, label in PERIOD_LABELS.items()],
        default=str(statistics.DEFAULT_PERIOD),
    )
    kris = SelectField(_l("Kris"), validators=[Optional()])

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(**kwargs)
        self.lan.choices = county_choices(_l("Hela Sverige"))
        self.crises = {crisis.slug: crisis for crisis in crisis_rules.all_crises()}
        self.kris.choices = [
            SelectChoice("", _l("Alla annonser")),
            *(SelectChoice(slug, crisis.name) for slug, crisis in self.crises.items()),
        ]
        if not request.args.get("period"):
            self.period.data = str(statistics.DEFAULT_PERIOD)  # an empty or missing period: default

    def filters(self) -> statistics.StatisticsFilter:
        """The validated filters (call after validate())."""
        crisis = self.crises.get(self.kris.data or "")
        return statistics.StatisticsFilter(
            county=self.lan.data or None,
            months=int(self.period.data),
            crisis=crisis.id if crisis else None,
        )
