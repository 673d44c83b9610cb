"""GDPR self-service and retention: export everything about a person, delete an account, and the
daily clean-up of unconfirmed accounts and old mail log rows.

Deleting an account (by its holder, or by retention for unconfirmed ones):
* organisations where the person is the only member are deleted, with their ads (and, through
  the database's cascades, their conversations);
* if they are the only administrator of an organisation that has other members, nothing
  happens until they hand the role over (MustHandOver);
* their other memberships end; ads and messages they wrote stay with the organisation, with no
  author ("Tidigare medlem"); their saved searches go; reports they made stay for the
  moderators, without the reporter; the outbox rows sent to their address are deleted; the
  moderation log keeps what happened, with their name replaced;
* a final confirmation e-mail is queued (after the outbox clean-up, so that one row remains
  until it is delivered and then follows the ordinary 12-month retention).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace.accounts import passwords
from marketplace.accounts.models import User
from marketplace.accounts.services import WrongPassword
from marketplace.ads.models import Ad
from marketplace.alerts.models import SavedSearch
from marketplace.clock import utcnow
from marketplace.contact.models import Conversation, ConversationRead, Message
from marketplace.extensions import db
from marketplace.insights.models import Outcome
from marketplace.moderation.models import CountyModerator, ModerationAction, Report
from marketplace.notifications import services as notifications
from marketplace.notifications.models import OutboxEmail
from marketplace.organisations.models import Invitation, Membership, Organisation, Role
from marketplace.urls import ad_url

UNCONFIRMED_DAYS = 7
MAIL_LOG_MONTHS = 12
FORMER_ACCOUNT = "Borttaget konto"  # stays in the log in the site's language


class MustHandOver(Exception):
    """The person is the only administrator of organisations that have other members."""

    def __init__(self, organisations: list[Organisation]) -> None:
        super().__init__(
            _(
                "Du är ensam administratör för en organisation som har andra medlemmar. "
                "Lämna över administratörsrollen först."
            )
        )
        self.organisations = organisations


@dataclass
class DeletionPlan:
    """What deleting the account would do to the person's organisations."""

    blocking: list[Organisation] = field(default_factory=list)  # hand over first
    deleted: list[Organisation] = field(default_factory=list)  # the only member: goes too
    left: list[Organisation] = field(default_factory=list)  # the membership ends
    deleted_ads: int = 0  # ads of the organisations that go

    @property
    def allowed(self) -> bool:
        return not self.blocking


def deletion_plan(user: User) -> DeletionPlan:
    """Sort the person's organisations into blocking, deleted with the account, and left."""
    plan = DeletionPlan()
    memberships = db.session.scalars(
        sa.select(Membership)
        .where(Membership.user_id == user.id)
        .options(so.joinedload(Membership.organisation))
    ).all()
    for membership in sorted(memberships, key=lambda m: m.organisation.name.lower()):
        organisation = membership.organisation
        counts = db.session.execute(
            sa.select(
                sa.func.count(Membership.id),
                sa.func.coalesce(
                    sa.func.sum(sa.case((Membership.role == Role.ADMIN, 1), else_=0)), 0
                ),
            ).where(Membership.organisation_id == organisation.id)
        ).one()
        members, admins = int(counts[0]), int(counts[1])
        if members == 1:
            plan.deleted.append(organisation)
        elif membership.is_admin and admins == 1:
            plan.blocking.append(organisation)
        else:
            plan.left.append(organisation)
    if plan.deleted:
        plan.deleted_ads = (
            db.session.scalar(
                sa.select(sa.func.count(Ad.id)).where(
                    Ad.organisation_id.in_([o.id for o in plan.deleted])
                )
            )
            or 0
        )
    return plan


def delete_account(user: User, password: str) -> None:
    """The person deletes their own account (see the module docstring for what goes and stays).

    :raise WrongPassword: the password is not the account's.
    :raise MustHandOver: they are the only administrator of an organisation with other members.
    """
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword
    plan = deletion_plan(user)
    if not plan.allowed:
        raise MustHandOver(plan.blocking)
    name, email, locale, user_id = user.name, user.email, user.locale, user.id
    _erase(user, plan)
    notifications.queue_email(
        key=f"account-deleted:{user_id}:{utcnow().isoformat()}",
        to=email,
        template="account_deleted",
        locale=locale,
        name=name,
    )
    db.session.commit()
    notifications.dispatch()


def _erase(user: User, plan: DeletionPlan) -> None:
    """Remove the account and what hangs on it, in the caller's transaction."""
    user_id, email = user.id, user.email
    user.memberships.clear()  # delete-orphan: the memberships go at the flush
    db.session.flush()
    for organisation in plan.deleted:
        for ad in db.session.scalars(sa.select(Ad).where(Ad.organisation_id == organisation.id)):
            db.session.delete(ad)
        db.session.flush()
        db.session.delete(organisation)  # its conversations go with it (database cascade)
    db.session.flush()

    def detach(model, column) -> None:
        db.session.execute(
            sa.update(model).where(column == user_id).values({column.key: None}),
            execution_options={"synchronize_session": False},
        )

    detach(Message, Message.author_id)
    detach(Ad, Ad.author_id)
    detach(Conversation, Conversation.started_by_id)
    detach(Report, Report.reporter_id)
    detach(Report, Report.resolved_by_id)
    detach(Invitation, Invitation.invited_by_id)
    detach(Outcome, Outcome.reported_by_id)
    db.session.execute(
        sa.update(ModerationAction)
        .where(ModerationAction.actor_id == user_id)
        .values(actor_id=None, actor_name=FORMER_ACCOUNT),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.update(ModerationAction)
        .where(ModerationAction.target_kind == "user", ModerationAction.target_id == user_id)
        .values(target_label=FORMER_ACCOUNT),
        execution_options={"synchronize_session": False},
    )
    for model, column in (
        (SavedSearch, SavedSearch.user_id),
        (ConversationRead, ConversationRead.user_id),
        (CountyModerator, CountyModerator.user_id),
    ):
        db.session.execute(
            sa.delete(model).where(column == user_id),
            execution_options={"synchronize_session": False},
        )
    db.session.execute(
        sa.delete(OutboxEmail).where(sa.func.lower(OutboxEmail.recipient) == email.lower()),
        execution_options={"synchronize_session": False},
    )
    db.session.delete(user)
    db.session.flush()


# --- Export ---------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict:
    """Everything the site holds about the person, as JSON-ready data.

    Other people's messages are not included (only the person's own, with the ad titles of
    their conversations), nor e-mail sent to other addresses.
    """
    memberships = db.session.scalars(
        sa.select(Membership)
        .where(Membership.user_id == user.id)
        .options(so.joinedload(Membership.organisation))
        .order_by(Membership.created_at, Membership.id)
    ).all()
    ads = db.session.scalars(
        sa.select(Ad)
        .where(Ad.author_id == user.id)
        .options(so.joinedload(Ad.organisation), so.selectinload(Ad.challenge_links))
        .order_by(Ad.created_at, Ad.id)
    ).all()
    messages = db.session.scalars(
        sa.select(Message)
        .where(Message.author_id == user.id)
        .options(so.joinedload(Message.organisation))
        .order_by(Message.created_at, Message.id)
    ).all()
    conversation_ids = {message.conversation_id for message in messages}
    conversations = db.session.scalars(
        sa.select(Conversation)
        .where(sa.or_(Conversation.id.in_(conversation_ids), Conversation.started_by_id == user.id))
        .options(
            so.joinedload(Conversation.ad),
            so.joinedload(Conversation.ad_organisation),
            so.joinedload(Conversation.interested_organisation),
        )
        .order_by(Conversation.created_at, Conversation.id)
    ).all()
    saved_searches = db.session.scalars(
        sa.select(SavedSearch)
        .where(SavedSearch.user_id == user.id)
        .options(so.selectinload(SavedSearch.challenge_links))
        .order_by(SavedSearch.created_at, SavedSearch.id)
    ).all()
    reports = db.session.scalars(
        sa.select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at)
    ).all()
    outcomes = db.session.scalars(
        sa.select(Outcome)
        .where(Outcome.reported_by_id == user.id)
        .options(so.joinedload(Outcome.organisation))
        .order_by(Outcome.reported_at)
    ).all()
    invitations_sent = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.invited_by_id == user.id)
        .options(so.joinedload(Invitation.organisation))
        .order_by(Invitation.created_at)
    ).all()
    invitations_received = db.session.scalars(
        sa.select(Invitation)
        .where(sa.func.lower(Invitation.email) == user.email.lower())
        .options(so.joinedload(Invitation.organisation))
        .order_by(Invitation.created_at)
    ).all()
    counties = db.session.scalars(
        sa.select(CountyModerator.county_code)
        .where(CountyModerator.user_id == user.id)
        .order_by(CountyModerator.county_code)
    ).all()
    mail = db.session.scalars(
        sa.select(OutboxEmail)
        .where(sa.func.lower(OutboxEmail.recipient) == user.email.lower())
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    ).all()
    return {
        "exported_at": _iso(utcnow()),
        "about": "Samverkanstorget: allt vi har sparat om dig (tider i UTC).",
        "profile": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "locale": user.locale,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "is_site_admin": user.is_site_admin,
            "moderator_for_counties": list(counties),
            "acting_organisation_id": user.acting_organisation_id,
            "suspended_at": _iso(user.suspended_at),
        },
        "memberships": [
            {
                "organisation_id": m.organisation_id,
                "organisation": m.organisation.name,
                "role": m.role.value,
                "since": _iso(m.created_at),
            }
            for m in memberships
        ],
        "ads": [
            {
                "id": ad.id,
                "url": ad_url(ad, external=True),
                "organisation": ad.organisation.name,
                "kind": ad.kind.value,
                "title": ad.title,
                "body": ad.body,
                "challenges": ad.challenge_slugs,
                "county_code": ad.county_code,
                "municipality_code": ad.municipality_code,
                "seeking": [sector.value for sector in ad.seeking],
                "status": ad.status.value,
                "published_at": _iso(ad.published_at),
                "expires_on": _iso(ad.expires_on),
                "closed_at": _iso(ad.closed_at),
                "hidden_at": _iso(ad.hidden_at),
            }
            for ad in ads
        ],
        "messages": [
            {
                "id": message.id,
                "conversation_id": message.conversation_id,
                "written_for": message.organisation.name,
                "body": message.body,
                "created_at": _iso(message.created_at),
                "hidden_at": _iso(message.hidden_at),
            }
            for message in messages
        ],
        "conversations": [
            {
                "id": conversation.id,
                "kind": conversation.kind.value,  # "ad", or "direct" (no ad, ad_title null)
                "ad_title": conversation.title,
                "ad_id": conversation.ad_id,
                "organisations": [
                    conversation.ad_organisation.name,
                    conversation.interested_organisation.name,
                ],
                "started_by_you": conversation.started_by_id == user.id,
                "created_at": _iso(conversation.created_at),
            }
            for conversation in conversations
        ],
        "saved_searches": [
            {
                "name": saved.name,
                "text": saved.text,
                "kinds": [kind.value for kind in saved.kinds],
                "challenges": saved.challenges,
                "county_code": saved.county_code,
                "municipality_code": saved.municipality_code,
                "seeking": [sector.value for sector in saved.seeking],
                "sectors": [sector.value for sector in saved.sectors],
                "rhythm": saved.rhythm.value,
                "paused": saved.paused,
                "created_at": _iso(saved.created_at),
                "last_sent_at": _iso(saved.last_sent_at),
            }
            for saved in saved_searches
        ],
        "reports": [
            {
                "about": report.kind.value,
                "content": report.content_label,
                "reason": report.reason.value,
                "text": report.text,
                "status": report.status.value,
                "created_at": _iso(report.created_at),
                "resolved_at": _iso(report.resolved_at),
            }
            for report in reports
        ],
        "outcomes_reported": [
            {
                "ad_id": outcome.ad_id,
                "organisation": outcome.organisation.name,
                "collaborated": outcome.collaborated,
                "partner_name": outcome.partner_name,
                "reported_at": _iso(outcome.reported_at),
            }
            for outcome in outcomes
        ],
        "invitations_sent": [
            {
                "organisation": invitation.organisation.name,
                "email": invitation.email,
                "created_at": _iso(invitation.created_at),
                "accepted_at": _iso(invitation.accepted_at),
            }
            for invitation in invitations_sent
        ],
        "invitations_received": [
            {
                "organisation": invitation.organisation.name,
                "created_at": _iso(invitation.created_at),
                "accepted_at": _iso(invitation.accepted_at),
            }
            for invitation in invitations_received
        ],
        "email_log": [
            {
                "subject": row.subject,
                "created_at": _iso(row.created_at),
                "sent_at": _iso(row.sent_at),
                "status": row.status.value,
            }
            for row in mail
        ],
    }


@dataclass
class Summary:
    """How much the site holds about the person, for the "Mina uppgifter" page."""

    memberships: int
    ads: int
    messages: int
    saved_searches: int
    reports: int
    emails: int


def summary(user: User) -> Summary:
    def count(model, condition) -> int:
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(model).where(condition)) or 0
        )

    return Summary(
        memberships=count(Membership, Membership.user_id == user.id),
        ads=count(Ad, Ad.author_id == user.id),
        messages=count(Message, Message.author_id == user.id),
        saved_searches=count(SavedSearch, SavedSearch.user_id == user.id),
        reports=count(Report, Report.reporter_id == user.id),
        emails=count(OutboxEmail, sa.func.lower(OutboxEmail.recipient) == user.email.lower()),
    )


# --- Retention (run daily by privacy.tasks) --------------------------------------------------


def remove_unconfirmed_accounts(now: datetime | None = None) -> int:
    """Delete accounts whose address was never confirmed within UNCONFIRMED_DAYS; returns how many.

    An account that would leave an organisation without an administrator is kept (it cannot
    happen through the site: creating an organisation needs a confirmed address).
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
    users = db.session.scalars(
        sa.select(User)
        .where(User.email_confirmed_at.is_(None), User.created_at < cutoff)
        .order_by(User.id)
    ).all()
    removed = 0
    for user in users:
        plan = deletion_plan(user)
        if not plan.allowed:
            continue
        _erase(user, plan)
        removed += 1
    db.session.commit()
    return removed


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (31 March minus one month: 28/29 February)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def remove_old_mail(now: datetime | None = None) -> int:
    """Delete outbox rows (the mail log) older than MAIL_LOG_MONTHS months; returns how many."""
    cutoff = months_before(now or utcnow(), MAIL_LOG_MONTHS)
    result = db.session.execute(
        sa.delete(OutboxEmail).where(OutboxEmail.created_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount or 0
