"""Outcomes: asking what an ad led to ("Ledde annonsen till samverkan?") and recording the answer.

The question goes to the ad's organisation when the ad is closed or expires (the daily task),
once per ad; the answer feeds the statistics (statistics.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.ads.models import Ad, AdStatus
from marketplace.clock import today as swedish_today
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.insights import statistics
from marketplace.insights.models import CollaborationForm, Outcome, OutcomeRequest
from marketplace.notifications import services as notifications
from marketplace.organisations.models import Organisation
from marketplace.organisations.services import DirectoryFilters, directory_query
from marketplace.urls import ad_url, external_url

# The daily job catches up on days it missed, but never asks about long-gone ads (for example
# everything that expired before this feature existed).
EXPIRED_CATCH_UP_DAYS = 7
CLOSED_CATCH_UP_DAYS = 30
PARTNER_NAME_MAX_LENGTH = 200
PARTNER_SUGGESTIONS = 8


class InvalidOutcome(ValueError):
    """The answer breaks a rule; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def get_outcome(ad: Ad) -> Outcome | None:
    """The outcome reported for the ad, with its linked partner, or None."""
    return db.session.scalar(
        sa.select(Outcome)
        .where(Outcome.ad_id == ad.id)
        .options(so.joinedload(Outcome.partner_organisation))
    )


def find_partner_organisations(
    text: str, exclude_id: int | None = None, limit: int = PARTNER_SUGGESTIONS
) -> list[Organisation]:
    """Organisations on the site whose name or description matches what was typed (by name)."""
    if not (text or "").strip():
        return []
    query = directory_query(DirectoryFilters(q=text[:PARTNER_NAME_MAX_LENGTH]))
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    return list(db.session.scalars(query.limit(limit)))


def record_outcome(
    ad: Ad,
    reporter: User | None,
    *,
    collaborated: bool | None,
    form: CollaborationForm | str | None = None,
    partner_organisation_id: int | None = None,
    partner_name: str = "",
) -> Outcome:
    """Save the ad's outcome (one per ad: a second answer replaces the first).

    A partner chosen on the site wins over a typed name, and its name is stored with it.
    :raise InvalidOutcome: a rule is broken; nothing is saved then.
    """
    errors: dict[str, str] = {}
    partner_name = " ".join((partner_name or "").split())
    partner: Organisation | None = None
    chosen_form: CollaborationForm | None = None
    if collaborated is None:
        errors["collaborated"] = _("Svara ja eller nej.")
    elif collaborated:
        try:
            chosen_form = CollaborationForm(
                form.value if isinstance(form, CollaborationForm) else form
            )
        except ValueError:
            errors["collaboration_form"] = _("Välj i vilken form ni samverkar.")
        if partner_organisation_id is not None:
            partner = db.session.get(Organisation, partner_organisation_id)
            if partner is None or partner.id == ad.organisation_id:
                errors["partner_organisation"] = _("Välj en annan organisation i listan.")
        if partner is None and "partner_organisation" not in errors:
            if not partner_name:
                errors["partner_name"] = _("Skriv vem ni samverkar med.")
            elif len(partner_name) > PARTNER_NAME_MAX_LENGTH:
                errors["partner_name"] = _(
                    "Namnet får vara högst %(max)s tecken.", max=PARTNER_NAME_MAX_LENGTH
                )
    if errors:
        raise InvalidOutcome(errors)
    outcome = get_outcome(ad)
    if outcome is None:
        outcome = Outcome(ad_id=ad.id, organisation_id=ad.organisation_id)
        db.session.add(outcome)
    outcome.collaborated = bool(collaborated)
    outcome.form = chosen_form
    outcome.partner_organisation = partner
    outcome.partner_name = partner.name if partner else (partner_name if collaborated else "")
    outcome.county_code = ad.county_code
    outcome.reported_by = reporter
    outcome.reported_at = utcnow()
    db.session.commit()
    statistics.forget()
    return outcome


def ask_for_outcome(ad: Ad, reason: str = "closed") -> int:
    """Queue "Ledde annonsen till samverkan?" to the ad's organisation; returns e-mails queued.

    Once per ad, ever (the OutcomeRequest ledger); not when an outcome is already reported.
    Does NOT commit: call it inside a use case before its commit, then notifications.dispatch().
    """
    if db.session.get(OutcomeRequest, ad.id) is not None:
        return 0
    if db.session.scalar(sa.select(Outcome.id).where(Outcome.ad_id == ad.id)) is not None:
        return 0
    db.session.add(OutcomeRequest(ad_id=ad.id, reason=reason, outcome_requested_at=utcnow()))
    return notifications.email_members(
        ad.organisation_id,
        key=f"outcome:{ad.id}",
        template="outcome_question",
        headers=notifications.AUTOMATIC,
        ad=ad,
        organisation_name=ad.organisation.name,
        reason=reason,
        outcome_url=external_url("insights.outcome", ad_id=ad.id),
        ad_url=ad_url(ad, external=True),
    )


def ask_about_expired_ads(today: date | None = None) -> int:
    """The daily job: ask about ads that expired (yesterday, or in the last few missed days)
    and about recently closed ads not asked yet. Returns the e-mails queued."""
    day = today or swedish_today()
    not_asked = sa.and_(
        ~sa.exists().where(OutcomeRequest.ad_id == Ad.id),
        ~sa.exists().where(Outcome.ad_id == Ad.id),
    )
    closed_since = datetime.combine(day - timedelta(days=CLOSED_CATCH_UP_DAYS), datetime.min.time())
    ads = db.session.execute(
        sa.select(Ad, sa.case((Ad.status == AdStatus.OPEN, "expired"), else_="closed"))
        .where(
            not_asked,
            sa.or_(
                sa.and_(
                    Ad.status == AdStatus.OPEN,
                    Ad.expires_on < day,
                    Ad.expires_on >= day - timedelta(days=EXPIRED_CATCH_UP_DAYS),
                ),
                sa.and_(Ad.status != AdStatus.OPEN, Ad.closed_at >= closed_since),
            ),
        )
        .options(so.joinedload(Ad.organisation))
        .order_by(Ad.id)
    ).all()
    queued = sum(ask_for_outcome(ad, reason) for ad, reason in ads)
    db.session.commit()
    notifications.dispatch()  # after the commit: never mail about a rolled-back question
    return queued
