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

New reports reach the moderators by e-mail: the county moderators of the content's counties, or
the site administrators when those counties have none; each of them once per content item while
reports about it are open (the next mail comes with the first report after they are all handled).

The people behind hidden content may ask for a review ("Begär omprövning"): an appeal is a
Report with reason APPEAL, one open at a time per content item, in the same queue. A moderator
restores the content (the appeal is granted) or keeps it hidden (turned down), with a reason the
appellant reads.

A decision is about the *content*: hiding it resolves every open report about it, dismissing
resolves them all as unfounded. Each decision needs a reason; it goes into the log and, when
content is hidden, to the people behind it. Reporters hear the outcome (hidden or dismissed);
the organisation's members (or a message's writer) hear when their content is hidden or
restored; an account holder hears when their account is suspended or reinstated. E-mails are
queued before the commit, in each recipient's language, and dispatched after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace import locking, reference
from marketplace.accounts.models import User, new_session_token
from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.contact import services as contact_services
from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from marketplace.moderation.labels import KIND_SLUGS
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
from marketplace.urls import ad_url, external_url

REPORT_TEXT_MAX_LENGTH = 2000
APPEAL_TEXT_MAX_LENGTH = 2000
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


class AppealPending(ModerationError):
    """An appeal about this content already waits for a moderator."""


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


def moderates_query(user_id: int) -> sa.Exists:
    """Whether the user is a county moderator of any county, as an SQL condition."""
    return sa.exists().where(CountyModerator.user_id == user_id)


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
    still open returns the first one (with nothing added), also when both arrive at once (a
    double click): the reporter's requests are taken one after the other."""
    column = _content_column(kind)
    locking.lock(User, reporter.id)
    existing = db.session.scalar(
        sa.select(Report).where(
            Report.kind == kind,
            column == content.id,
            Report.reporter_id == reporter.id,
            Report.reason != ReportReason.APPEAL,
            Report.status == ReportStatus.OPEN,
        )
    )
    if existing is not None:
        return existing
    report = _new_queue_item(reporter, kind, content, reason, text[:REPORT_TEXT_MAX_LENGTH])
    db.session.commit()
    notifications.dispatch()  # after the commit: the moderators' e-mails
    return report


def _new_queue_item(
    person: User, kind: ContentKind, content: Content, reason: ReportReason, text: str
) -> Report:
    """A report or an appeal in the queue, and its moderators told (the caller commits)."""
    report = Report(
        kind=kind,
        content_label=content_label(kind, content),
        reporter_id=person.id,
        reason=reason,
        text=text.strip(),
    )
    setattr(report, _content_column(kind).key, content.id)
    db.session.add(report)
    db.session.flush()  # its id goes into the e-mails' link and keys
    _tell_moderators(report, content)
    return report


def moderators_to_tell(kind: ContentKind, content: Content) -> list[User]:
    """Who hears about a new report: the county moderators of the content's counties, else the
    site administrators (confirmed, not suspended accounts; nobody is told twice)."""
    usable = sa.and_(User.email_confirmed_at.is_not(None), User.suspended_at.is_(None))
    counties = sorted(content_counties(kind, content))
    county_moderators = list(
        db.session.scalars(
            sa.select(User)
            .where(
                usable,
                User.id.in_(
                    sa.select(CountyModerator.user_id).where(
                        CountyModerator.county_code.in_(counties)
                    )
                ),
            )
            .order_by(User.id)
        )
    )
    if county_moderators:
        return county_moderators
    return list(
        db.session.scalars(
            sa.select(User).where(usable, User.is_site_admin.is_(True)).order_by(User.id)
        )
    )


def _tell_moderators(report: Report, content: Content) -> None:
    """E-mail the content's moderators about a new report or appeal, without flooding them.

    The key names the oldest open item about the content: while any report about it is open, a
    moderator gets one e-mail; once all are handled, the next report starts a new round.
    """
    first_open = db.session.scalar(
        sa.select(sa.func.min(Report.id)).where(
            Report.kind == report.kind,
            _content_column(report.kind) == content.id,
            Report.status == ReportStatus.OPEN,
        )
    )
    url = external_url("moderation.detail", report_id=report.id)
    for person in moderators_to_tell(report.kind, content):
        if person.id == report.reporter_id:
            continue  # a moderator who reports something knows about it
        notifications.queue_email(
            key=f"moderation:queue:{report.kind.value}:{content.id}:{first_open}:{person.id}",
            to=person.email,
            template="moderation_new_report",
            locale=person.locale,
            name=person.name,
            kind=report.kind.value,
            label=report.content_label,
            reason=report.reason,
            appeal=report.is_appeal,
            url=url,
        )


# --- Appeals --------------------------------------------------------------------------------


def _get_content(kind: ContentKind, target_id: int) -> Content | None:
    model = {ContentKind.AD: Ad, ContentKind.ORGANISATION: Organisation}.get(kind, Message)
    return db.session.get(model, target_id)


def may_appeal(user: User | None, kind: ContentKind, content: Content) -> bool:
    """Hidden content may be appealed by the organisation's members, or a message's writer."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if content.hidden_at is None:
        return False
    if kind is ContentKind.MESSAGE:
        return content.author_id == user.id
    organisation_id = content.organisation_id if kind is ContentKind.AD else content.id
    return _is_member(user, organisation_id)


@dataclass(frozen=True)
class AppealOffer:
    """What a hidden item's notice offers its people: the review form (at /omprovning/<kind_slug>/
    <target_id>), or word that their appeal waits for a moderator."""

    kind_slug: str
    target_id: int
    pending: bool


def appeal_offer(
    user: User | None, kind: ContentKind, content: Content | None
) -> AppealOffer | None:
    """For the notice on hidden content: None unless `user` may ask for a review of it."""
    if content is None or not may_appeal(user, kind, content):
        return None
    pending = open_appeal(kind, content) is not None
    return AppealOffer(kind_slug=KIND_SLUGS[kind], target_id=content.id, pending=pending)


def appealable(user: User, kind: ContentKind, target_id: int) -> Content | None:
    """The hidden content, when it exists and the user may ask for its review; else None."""
    content = _get_content(kind, target_id)
    if content is None or not may_appeal(user, kind, content):
        return None
    return content


def open_appeal(kind: ContentKind, content: Content) -> Report | None:
    """The appeal about this content that waits for a moderator, if there is one."""
    return db.session.scalar(
        sa.select(Report).where(
            Report.kind == kind,
            _content_column(kind) == content.id,
            Report.reason == ReportReason.APPEAL,
            Report.status == ReportStatus.OPEN,
        )
    )


def appeal(appellant: User, kind: ContentKind, content: Content, text: str) -> Report:
    """Ask the moderators to review hidden content; they are told by e-mail.

    :raise NotAllowed: the content is not hidden, or the appellant may not appeal it.
    :raise AppealPending: an appeal about it (by anyone) already waits.
    """
    if not may_appeal(appellant, kind, content):
        raise NotAllowed(_("Bara de som står bakom innehållet kan begära omprövning."))
    if open_appeal(kind, content) is not None:
        raise AppealPending(
            _("En begäran om omprövning väntar redan på en moderator. Du får e-post om beslutet.")
        )
    report = _new_queue_item(
        appellant, kind, content, ReportReason.APPEAL, text[:APPEAL_TEXT_MAX_LENGTH]
    )
    db.session.commit()
    notifications.dispatch()
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


def people_behind(report: Report) -> list[User]:
    """Who is answerable for the content: an ad's writer and organisation members, an
    organisation's members, a message's writer (the candidates for a suspension)."""
    content = report.content
    if content is None:
        return []
    if report.kind is ContentKind.MESSAGE:
        return [content.author] if content.author is not None else []
    organisation = content.organisation if report.kind is ContentKind.AD else content
    people = sorted((m.user for m in organisation.memberships), key=lambda user: user.id)
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
        return [person for person in people if person.is_confirmed and not person.is_suspended]
    organisation_id = content.organisation_id if report.kind is ContentKind.AD else content.id
    return [p for p in notifications.members_to_email(organisation_id) if not p.is_suspended]


# --- Decisions ------------------------------------------------------------------------------


class Decision:
    """What a moderator decides about reported content (the decision form's values)."""

    HIDE = "hide"
    RESTORE = "restore"  # also grants an open appeal
    DISMISS = "dismiss"
    KEEP_HIDDEN = "keep_hidden"  # turns an open appeal down


def decisions_for(report: Report) -> list[str]:
    """The decisions that make sense now: hide or restore the content, dismiss open reports,
    keep hidden content hidden when its people have appealed."""
    content = report.content
    choices = []
    if content is not None:
        choices.append(Decision.RESTORE if content.hidden_at is not None else Decision.HIDE)
    if content is not None and content.hidden_at is not None and _has_open(report, appeals=True):
        choices.append(Decision.KEEP_HIDDEN)
    # Reports, and when the content is gone also appeals about it, can be dismissed.
    if _has_open(report, appeals=False) or (content is None and _has_open(report, appeals=True)):
        choices.append(Decision.DISMISS)
    return choices


def _is_appeal(appeals: bool) -> sa.ColumnElement[bool]:
    if appeals:
        return Report.reason == ReportReason.APPEAL
    return Report.reason != ReportReason.APPEAL


def _has_open(report: Report, *, appeals: bool) -> bool:
    """Are there open reports (or, with appeals=True, an open appeal) about the content?"""
    return (
        db.session.scalar(
            sa.select(Report.id).where(
                _same_content(report), Report.status == ReportStatus.OPEN, _is_appeal(appeals)
            )
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


def record(
    actor: User,
    action: ActionKind,
    *,
    target_kind: str,
    target_id: int | None,
    label: str,
    reason: str = "",
) -> ModerationAction:
    """Add an entry to the moderation log in the caller's transaction (other domains' decisions,
    such as declaring a crisis). Does not commit."""
    return _log(
        actor,
        action,
        target_kind=target_kind,
        target_id=target_id,
        target_label=label,
        reason=reason,
    )


def _clean_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ModerationError(_("Skriv en motivering."))
    return cleaned[:REASON_MAX_LENGTH]


def _resolve_open(
    report: Report, actor: User, status: ReportStatus, *, appeals: bool | None = False
) -> list[Report]:
    """Resolve the open reports about the content (appeals=True: its open appeal; None: both)."""
    now = utcnow()
    query = sa.select(Report).where(_same_content(report), Report.status == ReportStatus.OPEN)
    if appeals is not None:
        query = query.where(_is_appeal(appeals))
    resolved = list(db.session.scalars(query.options(so.selectinload(Report.reporter))))
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
    elif decision == Decision.KEEP_HIDDEN:
        entry = _keep_hidden(actor, report, reason)
    else:
        entry = _dismiss(actor, report, reason)
    db.session.commit()
    notifications.dispatch()  # after the commit: a rolled-back decision mails no one
    return entry


def _content_url(kind: ContentKind, content: Content) -> str:
    if kind is ContentKind.AD:
        return ad_url(content, external=True)
    if kind is ContentKind.ORGANISATION:
        return external_url("organisations.detail", organisation_id=content.id, slug=content.slug)
    return external_url("contact.detail", conversation_id=content.conversation_id)


def _appeal_url(kind: ContentKind, content: Content) -> str:
    return external_url("moderation.appeal", kind_slug=KIND_SLUGS[kind], target_id=content.id)


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
            appeal_url=_appeal_url(report.kind, content),
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
    appeals = _resolve_open(report, actor, ReportStatus.RESTORED, appeals=True)
    appellants = _tell_appellants(entry, appeals, report.kind, label, reason, restored=True)
    for person in _posters(report):
        if person.id in appellants:
            continue  # the appeal's answer says it already
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
    # Appeals about content that is gone are closed with the reports; nobody is told about them.
    resolved = _resolve_open(
        report, actor, ReportStatus.DISMISSED, appeals=None if content is None else False
    )
    reports = [item for item in resolved if not item.is_appeal]
    _tell_reporters(entry, reports, report.kind, label, hidden=False)
    return entry


def _keep_hidden(actor: User, report: Report, reason: str) -> ModerationAction:
    """Turn the open appeal down: the content stays hidden, the appellant reads why."""
    content = report.content
    label = content_label(report.kind, content)
    entry = _log(
        actor,
        ActionKind.KEEP_HIDDEN,
        target_kind=report.kind.value,
        target_id=content.id,
        target_label=label,
        reason=reason,
        report=report,
    )
    appeals = _resolve_open(report, actor, ReportStatus.DISMISSED, appeals=True)
    _tell_appellants(entry, appeals, report.kind, label, reason, restored=False)
    return entry


def _tell_appellants(
    entry: ModerationAction,
    appeals: list[Report],
    kind: ContentKind,
    label: str,
    reason: str,
    *,
    restored: bool,
) -> set[int]:
    """E-mail the outcome of the appeals; returns the ids of the people told."""
    told: set[int] = set()
    for item, person in _confirmed_reporters(appeals):
        told.add(person.id)
        notifications.queue_email(
            key=f"moderation:{entry.id}:appeal:{person.id}",
            to=person.email,
            template="moderation_appeal_outcome",
            locale=person.locale,
            name=person.name,
            kind=kind.value,
            label=label,
            reason=reason,
            restored=restored,
            url=_content_url(kind, item.content) if item.content is not None else None,
        )
    return told


def _confirmed_reporters(reports: list[Report]) -> Iterator[tuple[Report, User]]:
    """Each confirmed person behind these reports or appeals once, with their first report."""
    seen: set[int] = set()
    for item in reports:
        person = item.reporter
        if person is None or person.id in seen or not person.is_confirmed:
            continue
        seen.add(person.id)
        yield item, person


def _tell_reporters(
    entry: ModerationAction, reports: list[Report], kind: ContentKind, label: str, *, hidden: bool
) -> None:
    for _item, person in _confirmed_reporters(reports):
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
