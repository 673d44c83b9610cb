"""Contact between organisations: show interest in an ad, write to an organisation directly, reply,
the inbox and its unread counts.

A conversation is between two organisations (the ad's and the interested one; or, in a direct
conversation started on an organisation's page, the contacted one and the one that wrote first;
one per pair, see models.Conversation), not two people:
every member of either may read and write, and each message is e-mailed to the confirmed
members of the *other* organisation, in each one's language. E-mails carry no reply address of
the writer (their private address stays private); people answer on the site.

Unread means: written by someone else, after the last message this person has seen in that
conversation (ConversationRead, one row per person and conversation).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.clock import today, utcnow
from marketplace.contact.models import (
    Conversation,
    ConversationKind,
    ConversationRead,
    Message,
    direct_pair,
)
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.organisations import services as organisation_services
from marketplace.organisations.models import Membership, Organisation, Sector
from marketplace.text import clean_text
from marketplace.urls import external_url

MESSAGE_MIN_LENGTH = 10
MESSAGE_MAX_LENGTH = 5000


class ContactError(Exception):
    """A contact rule was broken; the message is for the user, in their language."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidMessage(ContactError):
    """The message text is too short or too long."""


class InterestRefused(ContactError):
    """Interest cannot be shown in this ad (own ad, closed or expired ad)."""


class NotParticipant(ContactError):
    """The user belongs to neither organisation of the conversation."""


class DirectContactRefused(ContactError):
    """The organisation cannot be written to directly (one's own, or hidden by a moderator)."""


class InterestReason(enum.Enum):
    """Why a visitor may, or may not, show interest in an ad (decides what the ad page shows)."""

    ALLOWED = "allowed"
    OWN_AD = "own_ad"
    CLOSED = "closed"
    ANONYMOUS = "anonymous"
    NO_ORGANISATION = "no_organisation"
    UNCONFIRMED = "unconfirmed"


@dataclass
class InterestState:
    reason: InterestReason
    organisation: Organisation | None = None  # the organisation the visitor acts for
    conversation: Conversation | None = None  # its conversation about this ad, if any
    public_record: bool = False  # the ad's organisation is a public body

    @property
    def allowed(self) -> bool:
        return self.reason is InterestReason.ALLOWED


class DirectReason(enum.Enum):
    """Why a visitor may, or may not, write to an organisation from its page."""

    ALLOWED = "allowed"
    OWN_ORGANISATION = "own_organisation"  # a member of it: nothing to offer
    ANONYMOUS = "anonymous"
    NO_ORGANISATION = "no_organisation"
    UNCONFIRMED = "unconfirmed"


@dataclass
class DirectState:
    reason: DirectReason
    organisation: Organisation | None = None  # the organisation the visitor writes for
    conversation: Conversation | None = None  # the pair's direct conversation, if any
    public_record: bool = False  # the contacted organisation is a public body
    # The visitor's other organisations, which they may choose to represent (företräda) instead.
    alternatives: list[Organisation] | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is DirectReason.ALLOWED

    @property
    def offered(self) -> bool:
        """Does the organisation's page offer "Kontakta organisationen" at all?"""
        return self.reason is not DirectReason.OWN_ORGANISATION


@dataclass
class InboxEntry:
    conversation: Conversation
    unread: int
    own: Organisation  # the user's side
    other: Organisation


@dataclass
class Inbox:
    page: object  # flask_sqlalchemy.pagination.Pagination of conversations
    entries: list[InboxEntry]


@dataclass
class Thread:
    conversation: Conversation
    messages: list[Message]
    own: Organisation  # the organisation the user writes for
    other: Organisation
    public_body: Organisation | None  # a public-sector party: messages may become public records


# --- Rules ------------------------------------------------------------------------------------


def check_message(text: str | None) -> str:
    """The message as stored: plain text, Unix newlines, no control characters.

    :raise InvalidMessage: shorter than MESSAGE_MIN_LENGTH or longer than MESSAGE_MAX_LENGTH.
    """
    cleaned = clean_text(text)
    if len(cleaned) < MESSAGE_MIN_LENGTH:
        raise InvalidMessage(
            _("Skriv ett meddelande på minst %(min)s tecken.", min=MESSAGE_MIN_LENGTH)
        )
    if len(cleaned) > MESSAGE_MAX_LENGTH:
        raise InvalidMessage(
            _(
                "Meddelandet får vara högst %(max)s tecken, nu är det %(length)s.",
                max=MESSAGE_MAX_LENGTH,
                length=len(cleaned),
            )
        )
    return cleaned


def _participant_condition(user_id: int) -> sa.ColumnElement[bool]:
    """The conversation belongs to one of the user's organisations."""
    mine = sa.select(Membership.organisation_id).where(Membership.user_id == user_id)
    return sa.or_(
        Conversation.ad_organisation_id.in_(mine),
        Conversation.interested_organisation_id.in_(mine),
    )


def _find_conversation(ad_id: int, organisation_id: int) -> Conversation | None:
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.ad_id == ad_id, Conversation.interested_organisation_id == organisation_id
        )
    )


def find_direct_conversation(first_id: int, second_id: int) -> Conversation | None:
    """The one direct conversation between two organisations, whichever wrote first."""
    return db.session.scalar(
        sa.select(Conversation).where(Conversation.direct_pair == direct_pair(first_id, second_id))
    )


def direct_state(viewer: User | None, recipient: Organisation) -> DirectState:
    """What "Kontakta organisationen" offers this visitor on `recipient`'s page: the form, or why not.

    A member of `recipient` is offered nothing, even if they also belong to other organisations
    (they talk to their own organisation elsewhere). Anyone else writes for the organisation
    they represent (organisation_services.acting_membership), and may switch to another of theirs.
    """
    public_record = recipient.sector is Sector.PUBLIC
    if viewer is None:
        return DirectState(DirectReason.ANONYMOUS, public_record=public_record)
    memberships = sorted(viewer.memberships, key=lambda m: (m.created_at, m.id))
    if any(membership.organisation_id == recipient.id for membership in memberships):
        return DirectState(DirectReason.OWN_ORGANISATION)
    acting = organisation_services.acting_membership(viewer)
    if acting is None:
        return DirectState(DirectReason.NO_ORGANISATION, public_record=public_record)
    organisation = acting.organisation
    conversation = find_direct_conversation(organisation.id, recipient.id)
    alternatives = [m.organisation for m in memberships if m.organisation_id != organisation.id]
    reason = DirectReason.ALLOWED if viewer.is_confirmed else DirectReason.UNCONFIRMED
    return DirectState(reason, organisation, conversation, public_record, alternatives)


def interest_state(viewer: User | None, ad: Ad) -> InterestState:
    """What the ad page offers this visitor: the "Visa intresse" form, or why not."""
    public_record = ad.organisation.sector is Sector.PUBLIC
    membership = organisation_services.acting_membership(viewer)
    organisation = membership.organisation if membership else None
    if organisation is not None and organisation.id == ad.organisation_id:
        return InterestState(InterestReason.OWN_AD, organisation)
    conversation = _find_conversation(ad.id, organisation.id) if organisation else None
    if not ad.is_open(today()):
        return InterestState(InterestReason.CLOSED, organisation, conversation)
    if viewer is None:
        return InterestState(InterestReason.ANONYMOUS, public_record=public_record)
    if organisation is None:
        return InterestState(InterestReason.NO_ORGANISATION, public_record=public_record)
    reason = InterestReason.ALLOWED if viewer.is_confirmed else InterestReason.UNCONFIRMED
    return InterestState(reason, organisation, conversation, public_record)


def sending_organisation_id(user: User, conversation: Conversation) -> int:
    """Which of the two organisations the user writes for: the one they act for, if a party.

    :raise NotParticipant: the user is a member of neither.
    """
    ids = set(
        db.session.scalars(
            sa.select(Membership.organisation_id).where(
                Membership.user_id == user.id,
                Membership.organisation_id.in_(conversation.organisation_ids()),
            )
        )
    )
    if not ids:
        raise NotParticipant(_("Du är inte med i någon av organisationerna i konversationen."))
    if user.acting_organisation_id in ids:
        return user.acting_organisation_id  # type: ignore[return-value]
    if conversation.interested_organisation_id in ids:
        return conversation.interested_organisation_id
    return conversation.ad_organisation_id


# --- Use cases --------------------------------------------------------------------------------


def show_interest(author: User, organisation: Organisation, ad: Ad, text: str) -> Message:
    """Write to the ad's organisation for `organisation`: a new conversation about the ad, or the
    one this organisation already has; its members are e-mailed.

    :raise InterestRefused: own ad, or the ad is closed or expired.
    :raise NotParticipant: the author is not a member of `organisation`.
    :raise InvalidMessage: the text is too short or too long.
    """
    if organisation.id == ad.organisation_id:
        raise InterestRefused(_("Det här är er egen annons."))
    if not ad.is_open(today()):
        raise InterestRefused(
            _("Annonsen är stängd eller har gått ut, så det går inte att visa intresse för den.")
        )
    if organisation_services.membership_of(author, organisation.id) is None:
        raise NotParticipant(_("Du är inte medlem i den organisationen."))
    body = check_message(text)
    return _joining_a_race(lambda: _show_interest(author, organisation, ad, body))


def _joining_a_race(write: Callable[[], Message]) -> Message:
    """Write a first or later message; if a concurrent request created the conversation a
    moment ago (a double click, or two organisations writing to each other at once: the unique
    keys let one through), start over once: this time the message joins that conversation."""
    try:
        return write()
    except IntegrityError:
        db.session.rollback()
        return write()


def _show_interest(author: User, organisation: Organisation, ad: Ad, body: str) -> Message:
    conversation = _find_conversation(ad.id, organisation.id)
    first = conversation is None
    if conversation is None:
        conversation = Conversation(
            ad=ad,
            ad_title=ad.title,
            ad_organisation_id=ad.organisation_id,
            interested_organisation_id=organisation.id,
            started_by_id=author.id,
        )
        db.session.add(conversation)
    message = _add_message(conversation, organisation, author, body)
    _queue_emails(message, conversation, organisation, ad.organisation, first=first)
    db.session.commit()
    notifications.dispatch()  # after the commit: a rolled-back message mails no one
    return message


def contact_organisation(
    author: User, organisation: Organisation, recipient: Organisation, text: str
) -> Message:
    """Write to `recipient` for `organisation`, not about any ad: in the two organisations' direct
    conversation, started now if neither has written yet; `recipient`'s members are e-mailed.

    :raise DirectContactRefused: the author belongs to `recipient`, or it is hidden.
    :raise NotParticipant: the author is not a member of `organisation`.
    :raise InvalidMessage: the text is too short or too long.
    """
    if organisation.id == recipient.id or organisation_services.membership_of(author, recipient.id):
        raise DirectContactRefused(_("Du är själv medlem i %(name)s.", name=recipient.name))
    if recipient.is_hidden:
        raise DirectContactRefused(
            _("Organisationen har dolts av en moderator och kan inte kontaktas.")
        )
    if organisation_services.membership_of(author, organisation.id) is None:
        raise NotParticipant(_("Du är inte medlem i den organisationen."))
    body = check_message(text)
    return _joining_a_race(lambda: _contact_organisation(author, organisation, recipient, body))


def _contact_organisation(
    author: User, organisation: Organisation, recipient: Organisation, body: str
) -> Message:
    conversation = find_direct_conversation(organisation.id, recipient.id)
    first = conversation is None
    if conversation is None:
        conversation = Conversation(
            kind=ConversationKind.DIRECT,
            direct_pair=direct_pair(organisation.id, recipient.id),
            ad_organisation_id=recipient.id,
            interested_organisation_id=organisation.id,
            started_by_id=author.id,
        )
        db.session.add(conversation)
    message = _add_message(conversation, organisation, author, body)
    _queue_emails(message, conversation, organisation, recipient, first=first)
    db.session.commit()
    notifications.dispatch()  # after the commit: a rolled-back message mails no one
    return message


def reply(author: User, conversation: Conversation, text: str) -> Message:
    """Add a message to the conversation and e-mail the other organisation's members.

    :raise NotParticipant: the author belongs to neither organisation.
    :raise InvalidMessage: the text is too short or too long.
    """
    sender_id = sending_organisation_id(author, conversation)
    body = check_message(text)
    sender = db.session.get(Organisation, sender_id)
    recipient = conversation.other_organisation(sender_id)
    message = _add_message(conversation, sender, author, body)  # type: ignore[arg-type]
    _queue_emails(message, conversation, sender, recipient, first=False)  # type: ignore[arg-type]
    db.session.commit()
    notifications.dispatch()
    return message


def mark_read(user: User, conversation: Conversation) -> None:
    """Remember that the user has seen every message in the conversation so far."""
    latest = db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(Message.conversation_id == conversation.id)
    )
    if latest is None:
        return
    _mark_read(conversation.id, user.id, latest)
    db.session.commit()


def _add_message(
    conversation: Conversation, organisation: Organisation, author: User, body: str
) -> Message:
    now = utcnow()
    message = Message(
        conversation=conversation,
        organisation_id=organisation.id,
        author=author,
        body=body,
        created_at=now,
    )
    conversation.last_message_at = now
    db.session.add(message)
    db.session.flush()  # ids for the read state and the e-mails' keys
    _mark_read(conversation.id, author.id, message.id)  # one's own message is never unread
    return message


def _mark_read(conversation_id: int, user_id: int, message_id: int) -> None:
    """Upsert the read position; it only moves forward (two tabs may report out of order)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    statement = insert(ConversationRead).values(
        conversation_id=conversation_id,
        user_id=user_id,
        last_read_message_id=message_id,
        read_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ConversationRead.conversation_id, ConversationRead.user_id],
        set_={"last_read_message_id": message_id, "read_at": now},
        where=ConversationRead.last_read_message_id < message_id,
    )
    db.session.execute(statement)


def _queue_emails(
    message: Message,
    conversation: Conversation,
    sender: Organisation,
    recipient: Organisation,
    *,
    first: bool,
) -> None:
    """One e-mail per confirmed member of the receiving organisation, in their own language.

    Unconfirmed addresses get nothing: the address may not be theirs, and the text is another
    organisation's. They read it in the inbox once they have confirmed and logged in.
    """
    notifications.email_members(
        recipient.id,
        key=f"contact-message:{message.id}",
        template="contact_message",
        besides=message.author_id,
        first=first,
        direct=conversation.is_direct,
        sender_organisation=sender.name,
        sender=sender,  # for its verification, in the e-mail
        recipient_organisation=recipient.name,
        author_name=message.author.name if message.author else "",
        ad_title=conversation.title,
        body=message.body,
        conversation_url=external_url("contact.detail", conversation_id=conversation.id),
    )


# --- Reading ----------------------------------------------------------------------------------


def conversation_for(user: User, conversation_id: int) -> Conversation | None:
    """The conversation with both organisations and the ad loaded, if the user is a party to it.

    None both when it does not exist and when the user may not see it: outsiders cannot tell
    the two apart.
    """
    return db.session.scalar(
        sa.select(Conversation)
        .where(Conversation.id == conversation_id, _participant_condition(user.id))
        .options(
            so.joinedload(Conversation.ad),
            so.joinedload(Conversation.ad_organisation),
            so.joinedload(Conversation.interested_organisation),
        )
    )


def thread(user: User, conversation: Conversation) -> Thread:
    """The messages, oldest first, with their writers and organisations, as the user sees them."""
    messages = db.session.scalars(
        sa.select(Message)
        .where(Message.conversation_id == conversation.id)
        .options(so.selectinload(Message.author), so.selectinload(Message.organisation))
        .order_by(Message.id)
    ).all()
    own_id = sending_organisation_id(user, conversation)
    own = (
        conversation.ad_organisation
        if own_id == conversation.ad_organisation_id
        else conversation.interested_organisation
    )
    other = conversation.other_organisation(own_id)
    public_body = next(
        (party for party in (other, own) if party.sector is Sector.PUBLIC),
        None,
    )
    return Thread(conversation, list(messages), own, other, public_body)


def _unread_messages(user_id: int) -> sa.Select:
    """Messages the user has not seen yet, in any of their conversations (count or group them)."""
    return (
        sa.select(Message.conversation_id, sa.func.count(Message.id).label("unread"))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(
            ConversationRead,
            sa.and_(
                ConversationRead.conversation_id == Message.conversation_id,
                ConversationRead.user_id == user_id,
            ),
        )
        .where(
            _participant_condition(user_id),
            Message.id > sa.func.coalesce(ConversationRead.last_read_message_id, 0),
            Message.author_id.is_distinct_from(user_id),
        )
    )


def unread_count(user_id: int) -> sa.Select:
    """The query for how many messages the user has not read, over all their conversations."""
    return _unread_messages(user_id).with_only_columns(sa.func.count(Message.id))


def unread_total(user: User) -> int:
    """How many messages the user has not read, over all their conversations (one query)."""
    return db.session.scalar(unread_count(user.id)) or 0


def inbox(user: User, *, page: int = 1, per_page: int = 20) -> Inbox:
    """The conversations of every organisation the user belongs to, newest activity first,
    with the number of unread messages in each."""
    query = (
        sa.select(Conversation)
        .where(_participant_condition(user.id))
        .options(
            so.selectinload(Conversation.ad),
            so.selectinload(Conversation.ad_organisation),
            so.selectinload(Conversation.interested_organisation),
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    )
    pagination = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False)
    conversations: list[Conversation] = list(pagination.items)
    unread: dict[int, int] = {}
    if conversations:
        rows = db.session.execute(
            _unread_messages(user.id)
            .where(Message.conversation_id.in_([c.id for c in conversations]))
            .group_by(Message.conversation_id)
        )
        unread = dict(rows.all())
    own_ids = set(
        db.session.scalars(
            sa.select(Membership.organisation_id).where(Membership.user_id == user.id)
        )
    )
    entries = []
    for conversation in conversations:
        mine_is_ad_side = conversation.ad_organisation_id in own_ids and (
            conversation.interested_organisation_id not in own_ids
        )
        own, other = (
            (conversation.ad_organisation, conversation.interested_organisation)
            if mine_is_ad_side
            else (conversation.interested_organisation, conversation.ad_organisation)
        )
        entries.append(InboxEntry(conversation, unread.get(conversation.id, 0), own, other))
    return Inbox(pagination, entries)
