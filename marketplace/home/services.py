"""What Mina sidor shows, read through the domains' own services and models; nothing is stored
here. A handful of queries: unread conversations, the organisation's ads, recent match notices,
saved searches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.accounts.models import User
from marketplace.ads.models import Ad
from marketplace.ads.services import acting_organisation
from marketplace.alerts.models import SavedSearch
from marketplace.alerts.services import saved_searches_of
from marketplace.clock import today, utcnow
from marketplace.contact import services as contact
from marketplace.contact.models import Message
from marketplace.extensions import db
from marketplace.matching.models import MatchNotice
from marketplace.organisations import trust
from marketplace.organisations.models import JoinRequest, Organisation

EXPIRING_WITHIN = timedelta(days=30)  # when "Förläng" is offered, as on the ad page
NEW_MATCHES_FOR = timedelta(days=14)  # "new" matches: announced in the last two weeks
UNREAD_SHOWN = 5
FIRST_LINE = 140


@dataclass
class UnreadConversation:
    entry: contact.InboxEntry
    first_line: str  # of the newest message


@dataclass
class NewMatch:
    ours: Ad
    theirs: Ad
    announced_at: datetime


@dataclass
class AdGroups:
    open: list[Ad] = field(default_factory=list)
    expiring: list[Ad] = field(default_factory=list)  # open, ending within 30 days
    closed: list[Ad] = field(default_factory=list)
    expired: list[Ad] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.open or self.expiring or self.closed or self.expired)


@dataclass
class NextSteps:
    """The first steps after confirming the address; shown until all three are done."""

    organisation: bool
    ad: bool
    saved_search: bool

    @property
    def done(self) -> bool:
        return self.organisation and self.ad and self.saved_search


@dataclass
class AdministeredOrganisation:
    """For an organisation's administrator: who waits to join, and where verification stands."""

    organisation: Organisation
    join_requests: list[JoinRequest]
    verification_pending: bool  # an application waits in the review queue


@dataclass
class HomePage:
    user: User
    first_name: str
    organisation: Organisation | None
    unread: list[UnreadConversation]
    unread_total: int
    ads: AdGroups
    new_matches: list[NewMatch]
    saved_searches: list[SavedSearch]
    next_steps: NextSteps
    today: date
    administered: list[AdministeredOrganisation] = field(default_factory=list)
    own_join_requests: list[JoinRequest] = field(default_factory=list)


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= FIRST_LINE else line[: FIRST_LINE - 1].rstrip() + "…"


def _unread(user: User) -> list[UnreadConversation]:
    entries = [entry for entry in contact.inbox(user, per_page=50).entries if entry.unread]
    entries = entries[:UNREAD_SHOWN]
    if not entries:
        return []
    newest: dict[int, str] = {}
    rows = db.session.execute(
        sa.select(Message.conversation_id, Message.body)
        .where(
            Message.conversation_id.in_([entry.conversation.id for entry in entries]),
            Message.hidden_at.is_(None),
        )
        .order_by(Message.created_at, Message.id)
    )
    for conversation_id, body in rows:
        newest[conversation_id] = body  # the last one wins: the newest message
    return [
        UnreadConversation(entry, _first_line(newest.get(entry.conversation.id, "")))
        for entry in entries
    ]


def _ads(organisation: Organisation, day: date) -> AdGroups:
    groups = AdGroups()
    ads = db.session.scalars(
        sa.select(Ad)
        .where(Ad.organisation_id == organisation.id)
        .order_by(Ad.expires_on.desc(), Ad.id.desc())
        .limit(200)
    )
    for ad in ads:
        if ad.is_closed:
            groups.closed.append(ad)
        elif ad.is_expired(day):
            groups.expired.append(ad)
        elif ad.expires_on - day <= EXPIRING_WITHIN:
            groups.expiring.append(ad)
        else:
            groups.open.append(ad)
    groups.expiring.sort(key=lambda ad: ad.expires_on)
    return groups


def _new_matches(organisation: Organisation, limit: int = 6) -> list[NewMatch]:
    ours = so.aliased(Ad)
    theirs = so.aliased(Ad)
    rows = db.session.execute(
        sa.select(ours, theirs, MatchNotice.created_at)
        .join(ours, ours.id == MatchNotice.ad_id)
        .join(theirs, theirs.id == MatchNotice.matched_ad_id)
        .where(
            ours.organisation_id == organisation.id,
            MatchNotice.created_at >= utcnow() - NEW_MATCHES_FOR,
            theirs.hidden_at.is_(None),
        )
        .order_by(MatchNotice.created_at.desc())
        .limit(limit)
    )
    return [NewMatch(a, b, when) for a, b, when in rows]


def _administered(user: User) -> list[AdministeredOrganisation]:
    memberships = [membership for membership in user.memberships if membership.is_admin]
    return [
        AdministeredOrganisation(
            organisation=membership.organisation,
            join_requests=trust.pending_join_requests(membership.organisation),
            verification_pending=trust.pending_application(membership.organisation) is not None,
        )
        for membership in sorted(memberships, key=lambda m: m.organisation.name)
    ]


def home_page(user: User) -> HomePage:
    organisation = acting_organisation(user)
    day = today()
    ads = _ads(organisation, day) if organisation else AdGroups()
    saved = saved_searches_of(user)
    return HomePage(
        user=user,
        first_name=(user.name or "").split(" ")[0],
        organisation=organisation,
        unread=_unread(user),
        unread_total=contact.unread_total(user),
        ads=ads,
        new_matches=_new_matches(organisation) if organisation else [],
        saved_searches=saved,
        next_steps=NextSteps(
            organisation=bool(user.memberships),
            ad=bool(ads),
            saved_search=bool(saved),
        ),
        today=day,
        administered=_administered(user),
        own_join_requests=trust.overview_for(user).join_requests,
    )
