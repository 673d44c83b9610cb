"""Moderation use cases: report content, the queue, hide/restore/dismiss, suspend, moderators, the log.

Who may do what:
* Anyone logged in may report an ad, an organisation or a message they can see.
* Site administrators (User.is_site_admin) moderate everything.
* County moderators (CountyModerator rows, assigned by site administrators) moderate reports
  about content in their counties: an ad whose own county or whose organisation's county is
  theirs; an organisation based in one of their counties; a message through its conversation's
  ad (that ad's county, or the county of the ad's organisation). Reports whose content has been
  deleted are left to site administrators.
* Suspending and reinstating accounts is for site administrators only: an account is not tied
  to a county, and shutting someone out of the whole site is too wide for a county's moderator.
  County moderators hide the content; site administrators decide about the person.

A decision is about the *content*: hiding it resolves every open report about it, dismissing
resolves them all as unfounded. Each decision needs a reason; it goes into the log and, when
content is hidden, to the people behind it. Reporters hear the outcome (hidden or dismissed);
the organisation's members (or a message's writer) hear when their content is hidden or
restored; an account holder hears when their account is suspended or reinstated. E-mails are
queued before the commit, in each recipient's language, and dispatched after it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace import reference
from marketplace.accounts.models import User, new_session_token
from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from marketplace.moderation.models import (
    ActionKind,
    ContentKind,
    CountyModerator,
    ModerationAction,
    Report,
    ReportReason,
    ReportStatus,
)
from marketplace.notifications import services as notifications
from marketplace.organisations.models import Membership, Organisation
from marketplace.organisations.services import external_url

REPORT_TEXT_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 2000
LABEL_MAX_LENGTH = 300

Content = Ad | Organisation | Message


class ModerationError(Exception):
    """A moderation rule said no; `message` is for the user, in their language."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAllowed(ModerationError):
    """The actor may not moderate this (views answer 403)."""


class NoSuchAccount(ModerationError):
    """No account has the given e-mail address."""


# --- Who moderates what ---------------------------------------------------------------------


def moderated_counties(user: User | None) -> set[str]:
    """The counties the user moderates as a county moderator (site administrators: see is_moderator)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            sa.select(CountyModerator.county_code).where(CountyModerator.user_id == user.id)
        )
    )


def is_moderator(user: User | None) -> bool:
    """A site administrator, or a county moderator of at least one county."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_site_admin or moderated_counties(user))


def content_counties(kind: ContentKind, content: Content | None) -> set[str]:
    """The counties whose moderators look after this content (see the module docstring)."""
    if content is None:
        return set()
    if kind is ContentKind.AD:
        return {code for code in (content.county_code, content.organisation.county_code) if code}
    if kind is ContentKind.ORGANISATION:
        return {content.county_code}
    conversation = content.conversation
    codes = {conversation.ad_organisation.county_code}
    if conversation.ad is not None and conversation.ad.county_code:
        codes.add(conversation.ad.county_code)
    return codes


def can_moderate_content(user: User | None, kind: ContentKind, content: Content | None) -> bool:
    """May the user see this content while it is hidden, and decide about reports on it?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_site_admin:
        return True
    return bool(content_counties(kind, content) & moderated_counties(user))


def can_moderate(user: User | None, report: Report) -> bool:
    return can_moderate_content(user, report.kind, report.content)


def _is_member(user: User, organisation_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user.id, Membership.organisation_id == organisation_id
            )
        )
        is not None
    )


def can_see_hidden(user: User | None, kind: ContentKind, content: Content) -> bool:
    """May the user still see this content while a moderator has it hidden?

    The people behind it (the organisation's members; a message's two parties see its place in
    the conversation anyway) and its moderators do, with a notice; for everyone else hidden
    content does not exist (pages and the API answer 404, as for an id that never existed).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if kind is ContentKind.MESSAGE:
        return content.author_id == user.id or can_moderate_content(user, kind, content)
    organisation_id = content.organisation_id if kind is ContentKind.AD else content.id
    return _is_member(user, organisation_id) or can_moderate_content(user, kind, content)


def _reports_in_counties(codes: set[str]) -> sa.ColumnElement[bool]:
    """SQL twin of content_counties(): reports about content in any of these counties."""
    codes_list = sorted(codes)
    ad_ids = (
        sa.select(Ad.id)
        .join(Organisation, Organisation.id == Ad.organisation_id)
        .where(sa.or_(Ad.county_code.in_(codes_list), Organisation.county_code.in_(codes_list)))
    )
    organisation_ids = sa.select(Organisation.id).where(Organisation.county_code.in_(codes_list))
    ad_of_conversation = so.aliased(Ad)
    party = so.aliased(Organisation)
    message_ids = (
        sa.select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(ad_of_conversation, ad_of_conversation.id == Conversation.ad_id)
        .join(party, party.id == Conversation.ad_organisation_id)
        .where(
            sa.or_(
                ad_of_conversation.county_code.in_(codes_list),
                party.county_code.in_(codes_list),
            )
        )
    )
    return sa.or_(
        Report.ad_id.in_(ad_ids),
        Report.organisation_id.in_(organisation_ids),
        Report.message_id.in_(message_ids),
    )


# --- Reporting ------------------------------------------------------------------------------


def reportable(viewer: User, kind: ContentKind, target_id: int) -> Content | None:
    """The content, when it exists, is not hidden and the viewer can see it; else None.

    A message can be seen (and reported) only by members of the two organisations in its
    conversation.
    """
    if kind is ContentKind.AD:
        ad = db.session.get(Ad, target_id)
        return ad if ad is not None and not ad.is_hidden else None
    if kind is ContentKind.ORGANISATION:
        organisation = db.session.get(Organisation, target_id)
        return organisation if organisation is not None and not organisation.is_hidden else None
    message = db.session.get(Message, target_id)
    if message is None or message.is_hidden:
        return None
    if contact_services.conversation_for(viewer, message.conversation_id) is None:
        return None
    return message


def content_label(kind: ContentKind, content: Content) -> str:
    """A short description of the content for the queue, the log and e-mails."""
    if kind is ContentKind.AD:
        label = content.title
    elif kind is ContentKind.ORGANISATION:
        label = content.name
    else:
        body = " ".join(content.body.split())
        excerpt = body if len(body) <= 80 else body[:79] + "…"
        label = f"{content.organisation.name}: ”{excerpt}”"
    return label[:LABEL_MAX_LENGTH]


def _content_column(kind: ContentKind) -> sa.orm.InstrumentedAttribute:
    return {
        ContentKind.AD: Report.ad_id,
        ContentKind.ORGANISATION: Report.organisation_id,
        ContentKind.MESSAGE: Report.message_id,
    }[kind]


def report_content(
    reporter: User, kind: ContentKind, content: Content, reason: ReportReason, text: str
) -> Report:
    """Record a report for the moderators; a second report by the same person while the first is
    still open returns the first one (with nothing added)."""
    column = _content_column(kind)
    existing = db.session.scalar(
        sa.select(Report).where(
            Report.kind == kind,
            column == content.id,
            Report.reporter_id == reporter.id,
            Report.status == ReportStatus.OPEN,
        )
    )
    if existing is not None:
        return existing
    report = Report(
        kind=kind,
        content_label=content_label(kind, content),
        reporter_id=reporter.id,
        reason=reason,
        text=text.strip()[:REPORT_TEXT_MAX_LENGTH],
    )
    setattr(report, column.key, content.id)
    db.session.add(report)
    db.session.commit()
    return report


# --- The queue ------------------------------------------------------------------------------


def queue(actor: User, *, handled: bool = False) -> sa.Select:
    """Reports the actor moderates: open ones oldest first, or handled ones newest first.

    :raise NotAllowed: the actor moderates nothing.
    """
    query = sa.select(Report).options(
        so.selectinload(Report.ad).selectinload(Ad.organisation),
        so.selectinload(Report.organisation),
        so.selectinload(Report.message),
    )
    if not actor.is_site_admin:
        counties = moderated_counties(actor)
        if not counties:
            raise NotAllowed(_("Du är inte moderator."))
        query = query.where(_reports_in_counties(counties))
    if handled:
        return query.where(Report.status != ReportStatus.OPEN).order_by(
            Report.resolved_at.desc(), Report.id.desc()
        )
    return query.where(Report.status == ReportStatus.OPEN).order_by(Report.created_at, Report.id)


def open_report_count(actor: User) -> int:
    """How many open reports wait for this moderator (0 for everyone else)."""
    if not is_moderator(actor):
        return 0
    counted = queue(actor).with_only_columns(sa.func.count(Report.id)).order_by(None)
    return db.session.scalar(counted) or 0


def get_report(report_id: int) -> Report | None:
    """The report, or None when there is none. Check can_moderate() before showing it."""
    return db.session.get(Report, report_id)


def _same_content(report: Report) -> sa.ColumnElement[bool]:
    content = report.content
    if content is None:
        return Report.id == report.id
    return sa.and_(Report.kind == report.kind, _content_column(report.kind) == content.id)


def reports_about(report: Report) -> list[Report]:
    """Every report about the same content (this one included), newest first."""
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(_same_content(report))
            .options(so.selectinload(Report.reporter))
            .order_by(Report.created_at.desc(), Report.id.desc())
        )
    )


def _members(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.id)
        )
    )


def people_behind(report: Report) -> list[User]:
    """Who is answerable for the content: an ad's writer and organisation members, an
    organisation's members, a message's writer (the candidates for a suspension)."""
    content = report.content
    if content is None:
        return []
    if report.kind is ContentKind.MESSAGE:
        return [content.author] if content.author is not None else []
    organisation_id = content.organisation_id if report.kind is ContentKind.AD else content.id
    people = _members(organisation_id)
    author = content.author if report.kind is ContentKind.AD else None
    if author is not None and author not in people:
        people.insert(0, author)  # a former member who wrote the ad
    return people


def _posters(report: Report) -> list[User]:
    """Who is told when their content is hidden or restored: confirmed addresses only."""
    content = report.content
    if content is None:
        return []
    if report.kind is ContentKind.MESSAGE:
        people = [content.author] if content.author is not None else []
    else:
        organisation_id = content.organisation_id if report.kind is ContentKind.AD else content.id
        people = _members(organisation_id)
    return [person for person in people if person.is_confirmed and not person.is_suspended]


# --- Decisions ------------------------------------------------------------------------------


class Decision:
    """What a moderator decides about reported content (the decision form's values)."""

    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"


def decisions_for(report: Report) -> list[str]:
    """The decisions that make sense now: hide or restore the content, dismiss open reports."""
    content = report.content
    choices = []
    if content is not None:
        choices.append(Decision.RESTORE if content.hidden_at is not None else Decision.HIDE)
    if _has_open_reports(report):
        choices.append(Decision.DISMISS)
    return choices


def _has_open_reports(report: Report) -> bool:
    return (
        db.session.scalar(
            sa.select(Report.id).where(_same_content(report), Report.status == ReportStatus.OPEN)
        )
        is not None
    )


def _log(
    actor: User,
    action: ActionKind,
    *,
    target_kind: str,
    target_id: int | None,
    target_label: str,
    reason: str,
    report: Report | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        target_label=target_label[:LABEL_MAX_LENGTH],
        report_id=report.id if report is not None else None,
        reason=reason,
    )
    db.session.add(entry)
    db.session.flush()  # the id goes into the e-mails' keys
    return entry


def _clean_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ModerationError(_("Skriv en motivering."))
    return cleaned[:REASON_MAX_LENGTH]


def _resolve_open(report: Report, actor: User, status: ReportStatus) -> list[Report]:
    now = utcnow()
    resolved = list(
        db.session.scalars(
            sa.select(Report)
            .where(_same_content(report), Report.status == ReportStatus.OPEN)
            .options(so.selectinload(Report.reporter))
        )
    )
    for item in resolved:
        item.status = status
        item.resolved_at = now
        item.resolved_by_id = actor.id
    return resolved


def decide(actor: User, report: Report, decision: str, reason: str) -> ModerationAction:
    """Hide or restore the reported content, or dismiss the open reports about it.

    :raise NotAllowed: the actor does not moderate this content.
    :raise ModerationError: no reason, or the decision does not fit the content's state.
    """
    if not can_moderate(actor, report):
        raise NotAllowed(_("Du modererar inte det här innehållet."))
    reason = _clean_reason(reason)
    if decision not in decisions_for(report):
        raise ModerationError(_("Det beslutet går inte att fatta nu. Ladda om sidan."))
    if decision == Decision.HIDE:
        entry = _hide(actor, report, reason)
    elif decision == Decision.RESTORE:
        entry = _restore(actor, report, reason)
    else:
        entry = _dismiss(actor, report, reason)
    db.session.commit()
    notifications.dispatch()  # after the commit: a rolled-back decision mails no one
    return entry


def _content_url(kind: ContentKind, content: Content) -> str:
    if kind is ContentKind.AD:
        return external_url("ads.detail", ad_id=content.id, slug=content.slug)
    if kind is ContentKind.ORGANISATION:
        return external_url("organisations.detail", organisation_id=content.id, slug=content.slug)
    return external_url("contact.detail", conversation_id=content.conversation_id)


def _hide(actor: User, report: Report, reason: str) -> ModerationAction:
    content = report.content
    content.hidden_at = utcnow()
    content.hidden_reason = reason
    label = content_label(report.kind, content)
    entry = _log(
        actor,
        ActionKind.HIDE,
        target_kind=report.kind.value,
        target_id=content.id,
        target_label=label,
        reason=reason,
        report=report,
    )
    resolved = _resolve_open(report, actor, ReportStatus.ACTIONED)
    _tell_reporters(entry, resolved, report.kind, label, hidden=True)
    for person in _posters(report):
        notifications.queue_email(
            key=f"moderation:{entry.id}:hidden:{person.id}",
            to=person.email,
            template="moderation_content_hidden",
            locale=person.locale,
            name=person.name,
            kind=report.kind.value,
            label=label,
            reason=reason,
            url=_content_url(report.kind, content),
        )
    return entry


def _restore(actor: User, report: Report, reason: str) -> ModerationAction:
    content = report.content
    content.hidden_at = None
    content.hidden_reason = ""
    label = content_label(report.kind, content)
    entry = _log(
        actor,
        ActionKind.RESTORE,
        target_kind=report.kind.value,
        target_id=content.id,
        target_label=label,
        reason=reason,
        report=report,
    )
    for person in _posters(report):
        notifications.queue_email(
            key=f"moderation:{entry.id}:restored:{person.id}",
            to=person.email,
            template="moderation_content_restored",
            locale=person.locale,
            name=person.name,
            kind=report.kind.value,
            label=label,
            url=_content_url(report.kind, content),
        )
    return entry


def _dismiss(actor: User, report: Report, reason: str) -> ModerationAction:
    content = report.content
    label = content_label(report.kind, content) if content is not None else report.content_label
    entry = _log(
        actor,
        ActionKind.DISMISS,
        target_kind=report.kind.value,
        target_id=content.id if content is not None else None,
        target_label=label,
        reason=reason,
        report=report,
    )
    resolved = _resolve_open(report, actor, ReportStatus.DISMISSED)
    _tell_reporters(entry, resolved, report.kind, label, hidden=False)
    return entry


def _tell_reporters(
    entry: ModerationAction, reports: list[Report], kind: ContentKind, label: str, *, hidden: bool
) -> None:
    told: set[int] = set()
    for item in reports:
        person = item.reporter
        if person is None or person.id in told or not person.is_confirmed:
            continue
        told.add(person.id)
        notifications.queue_email(
            key=f"moderation:{entry.id}:reporter:{person.id}",
            to=person.email,
            template="moderation_report_outcome",
            locale=person.locale,
            name=person.name,
            kind=kind.value,
            label=label,
            hidden=hidden,
        )


# --- Accounts -------------------------------------------------------------------------------


def _require_site_admin(actor: User) -> None:
    if not actor.is_site_admin:
        raise NotAllowed(_("Bara Samverkanstorgets administratörer kan göra det här."))


def _user_label(user: User) -> str:
    return f"{user.name} <{user.email}>"


def find_account(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == (email or "").strip().lower())
    )


def suspend_user(
    actor: User, user: User, reason: str, report: Report | None = None
) -> ModerationAction:
    """Shut an account out: it cannot log in, and every session it has ends now.

    :raise NotAllowed: the actor is not a site administrator.
    :raise ModerationError: no reason, the actor's own account, or already suspended.
    """
    _require_site_admin(actor)
    reason = _clean_reason(reason)
    if user.id == actor.id:
        raise ModerationError(_("Du kan inte stänga av ditt eget konto."))
    if user.is_suspended:
        raise ModerationError(_("Kontot är redan avstängt."))
    user.suspended_at = utcnow()
    user.session_token = new_session_token()  # every session and remember-me cookie ends
    entry = _log(
        actor,
        ActionKind.SUSPEND,
        target_kind="user",
        target_id=user.id,
        target_label=_user_label(user),
        reason=reason,
        report=report,
    )
    notifications.queue_email(
        key=f"moderation:{entry.id}:suspended:{user.id}",
        to=user.email,
        template="account_suspended",
        locale=user.locale,
        name=user.name,
        reason=reason,
    )
    db.session.commit()
    notifications.dispatch()
    return entry


def reinstate_user(actor: User, user: User, reason: str) -> ModerationAction:
    """Let a suspended account log in again.

    :raise NotAllowed: the actor is not a site administrator.
    :raise ModerationError: no reason, or the account is not suspended.
    """
    _require_site_admin(actor)
    reason = _clean_reason(reason)
    if not user.is_suspended:
        raise ModerationError(_("Kontot är inte avstängt."))
    user.suspended_at = None
    entry = _log(
        actor,
        ActionKind.REINSTATE,
        target_kind="user",
        target_id=user.id,
        target_label=_user_label(user),
        reason=reason,
    )
    notifications.queue_email(
        key=f"moderation:{entry.id}:reinstated:{user.id}",
        to=user.email,
        template="account_reinstated",
        locale=user.locale,
        name=user.name,
        login_url=external_url("accounts.login"),
    )
    db.session.commit()
    notifications.dispatch()
    return entry


def suspended_accounts() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.suspended_at.is_not(None))
            .order_by(User.suspended_at.desc(), User.id)
        )
    )


# --- County moderators ----------------------------------------------------------------------


def moderator_assignments() -> list[CountyModerator]:
    """Every county moderator assignment, by county and then name."""
    return list(
        db.session.scalars(
            sa.select(CountyModerator)
            .join(CountyModerator.user)
            .options(so.contains_eager(CountyModerator.user))
            .order_by(CountyModerator.county_code, sa.func.lower(User.name), User.id)
        )
    )


def assign_moderator(actor: User, email: str, county_code: str) -> CountyModerator:
    """Make the account with this address a moderator of the county.

    :raise NotAllowed: the actor is not a site administrator.
    :raise NoSuchAccount: no account has the address.
    :raise ModerationError: unknown county, unconfirmed or suspended account, or already assigned.
    """
    _require_site_admin(actor)
    if county_code not in reference.counties():
        raise ModerationError(_("Välj ett län."))
    user = find_account(email)
    if user is None:
        raise NoSuchAccount(_("Det finns inget konto med den e-postadressen."))
    if not user.is_confirmed or user.is_suspended:
        raise ModerationError(_("Kontot måste vara bekräftat och får inte vara avstängt."))
    if db.session.get(CountyModerator, (user.id, county_code)) is not None:
        raise ModerationError(
            _(
                "%(name)s är redan moderator för %(county)s.",
                name=user.name,
                county=reference.county_name(county_code),
            )
        )
    assignment = CountyModerator(user=user, county_code=county_code, assigned_by_id=actor.id)
    db.session.add(assignment)
    _log(
        actor,
        ActionKind.ASSIGN_MODERATOR,
        target_kind="user",
        target_id=user.id,
        target_label=f"{_user_label(user)} · {reference.county_name(county_code)}",
        reason="",
    )
    db.session.commit()
    return assignment


def remove_moderator(actor: User, assignment: CountyModerator) -> None:
    """End one county moderator assignment.

    :raise NotAllowed: the actor is not a site administrator.
    """
    _require_site_admin(actor)
    user = assignment.user
    _log(
        actor,
        ActionKind.REMOVE_MODERATOR,
        target_kind="user",
        target_id=user.id,
        target_label=f"{_user_label(user)} · {reference.county_name(assignment.county_code)}",
        reason="",
    )
    db.session.delete(assignment)
    db.session.commit()


# --- The log --------------------------------------------------------------------------------


def log_query() -> sa.Select:
    """Every moderation action, newest first (site administrators read it)."""
    return sa.select(ModerationAction).order_by(
        ModerationAction.created_at.desc(), ModerationAction.id.desc()
    )
