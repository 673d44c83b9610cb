"""Plain builders for test data: keyword overrides, sensible defaults, example.com addresses."""

from __future__ import annotations

import itertools

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import (
    LegalForm,
    Membership,
    Organisation,
    OrganisationChallenge,
    Role,
    Sector,
)
from marketplace.search.text import index_terms

PASSWORD = "rödbetor-och-fika-2026"  # long and uncommon: passes the password rules
_sequence = itertools.count(1)


def user(*, confirmed: bool = True, password: str = PASSWORD, **overrides) -> User:
    from marketplace.accounts.passwords import hash_password

    number = next(_sequence)
    values = {
        "email": f"person{number}@example.com",
        "name": f"Person {number}",
        "password_hash": hash_password(password),
        "email_confirmed_at": utcnow() if confirmed else None,
        **overrides,
    }
    account = User(**values)
    db.session.add(account)
    db.session.commit()
    return account


def organisation(*, challenges: tuple[str, ...] = ("integration",), **overrides) -> Organisation:
    number = next(_sequence)
    values = {
        "name": f"Föreningen Exempel {number}",
        "slug": f"foreningen-exempel-{number}",
        "sector": Sector.CIVIL,
        "legal_form": LegalForm.NONPROFIT_ASSOCIATION,
        "county_code": "08",
        "municipality_code": "0880",
        "email": f"info{number}@example.com",
        "description": "Vi driver språkcafé och läxhjälp för nyanlända i Kalmar.",
        **overrides,
    }
    org = Organisation(**values)
    org.challenge_links = [OrganisationChallenge(challenge=slug) for slug in challenges]
    org.search_terms = index_terms(org.name, org.description)
    db.session.add(org)
    db.session.commit()
    return org


def membership(account: User, org: Organisation, role: Role = Role.MEMBER) -> Membership:
    link = Membership(user=account, organisation=org, role=role)
    db.session.add(link)
    db.session.commit()
    return link


def member(*, role: Role = Role.ADMIN, org: Organisation | None = None, **user_overrides) -> User:
    """A confirmed user who belongs to (and acts for) an organisation."""
    org = org or organisation()
    account = user(**user_overrides)
    membership(account, org, role)
    account.acting_organisation = org
    db.session.commit()
    return account


def ad(
    *, org: Organisation | None = None, challenges: tuple[str, ...] = ("integration",), **overrides
):
    """An open ad (built directly, bypassing the publishing rules), with its search terms."""
    from datetime import timedelta

    from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus
    from marketplace.ads.services import ad_search_terms, slug
    from marketplace.clock import today

    org = org or organisation()
    values = {
        "kind": AdKind.NEED,
        "title": "Vi söker partner för läxhjälp",
        "body": "Vi vill starta läxhjälp för barn på lördagar och söker en samverkanspart.",
        "county_code": org.county_code,
        "municipality_code": None,
        "seeks_public": True,
        "status": AdStatus.OPEN,
        "expires_on": today() + timedelta(days=90),
        **overrides,
    }
    values.setdefault("slug", slug(values["title"]))
    item = Ad(organisation=org, **values)
    item.challenge_links = [AdChallenge(challenge=slug) for slug in challenges]
    item.search_terms = ad_search_terms(item, org)
    db.session.add(item)
    db.session.commit()
    return item


def municipality(**overrides) -> Organisation:
    """Kalmar kommun: a public-sector organisation (a municipality) in Kalmar."""
    values = {
        "name": "Kalmar kommun",
        "sector": Sector.PUBLIC,
        "legal_form": LegalForm.MUNICIPALITY,
        **overrides,
    }
    return organisation(**values)


def county_moderator(account: User, county_code: str = "08"):
    """Make `account` a moderator of reports about content in the county."""
    from marketplace.moderation.models import CountyModerator

    link = CountyModerator(user=account, county_code=county_code)
    db.session.add(link)
    db.session.commit()
    return link


def conversation(ad, *, interested: Organisation, started_by: User):
    """A conversation about `ad` that `started_by` opened for `interested` (no messages yet;
    built directly, bypassing the contact rules and their e-mails)."""
    from marketplace.contact.models import Conversation

    item = Conversation(
        ad=ad,
        ad_title=ad.title,
        ad_organisation_id=ad.organisation_id,
        interested_organisation_id=interested.id,
        started_by_id=started_by.id,
    )
    db.session.add(item)
    db.session.commit()
    return item


def direct_conversation(to: Organisation, *, by: Organisation, started_by: User):
    """A direct conversation that `started_by` opened for `by` with `to` (no messages yet;
    built directly, bypassing the contact rules and their e-mails)."""
    from marketplace.contact.models import Conversation, ConversationKind, direct_pair

    item = Conversation(
        kind=ConversationKind.DIRECT,
        direct_pair=direct_pair(to.id, by.id),
        ad_organisation_id=to.id,
        interested_organisation_id=by.id,
        started_by_id=started_by.id,
    )
    db.session.add(item)
    db.session.commit()
    return item


def message(conversation, author: User, body: str, *, on_behalf_of: Organisation):
    """A message in the conversation, written by `author` for one of its two organisations."""
    from marketplace.contact.models import Message

    item = Message(
        conversation=conversation, organisation_id=on_behalf_of.id, author=author, body=body
    )
    db.session.add(item)
    db.session.commit()
    return item


def report(reporter: User, content, *, kind=None, **overrides):
    """A pending report by `reporter` about an ad, organisation or message (default: spam)."""
    from marketplace.moderation.models import ContentKind, Report, ReportReason

    kind = kind or ContentKind.AD
    values = {
        "content_label": getattr(content, "title", None) or getattr(content, "name", "meddelande"),
        "reason": ReportReason.SPAM,
        "text": "Reklam.",
        **overrides,
    }
    column = {"ad": "ad_id", "organisation": "organisation_id", "message": "message_id"}
    item = Report(kind=kind, reporter_id=reporter.id, **{column[kind.value]: content.id}, **values)
    db.session.add(item)
    db.session.commit()
    return item


def outbox_email(*, subject: str, recipient: str = "someone@example.com", **overrides):
    """An e-mail in the outbox, already sent (key: the subject, unless given)."""
    from marketplace.notifications.models import OutboxEmail, OutboxStatus

    values = {
        "key": subject,
        "recipient": recipient,
        "subject": subject,
        "text_body": "…",
        "status": OutboxStatus.SENT,
        **overrides,
    }
    row = OutboxEmail(**values)
    db.session.add(row)
    db.session.commit()
    return row
