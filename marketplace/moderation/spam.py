"""Spam defence for new ads: accounts in their first week post fewer ads, with fewer links.

The other defences live where the forms are: honeypot fields (registration, contact, ad
posting) and per-person rate limits (log-in, registration, contact, ad posting, reports);
unconfirmed accounts cannot post at all (confirmed_required).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.organisations.models import Organisation

NEW_ACCOUNT_DAYS = 7
NEW_ACCOUNT_ADS_PER_DAY = 5  # in any 24 hours
NEW_ACCOUNT_MAX_LINKS = 2

# The addresses the ad page turns into links (marketplace.ads.markup uses the same pattern).
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]+")


def count_links(text: str | None) -> int:
    """How many web addresses (http://, https://, www.) the text holds."""
    return len(_URL.findall(text or ""))


def is_new_account(user: User, now: datetime | None = None) -> bool:
    """Younger than NEW_ACCOUNT_DAYS."""
    now = now or utcnow()
    return user.created_at > now - timedelta(days=NEW_ACCOUNT_DAYS)


def ads_in_last_day(user: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    return (
        db.session.scalar(
            sa.select(sa.func.count(Ad.id)).where(
                Ad.author_id == user.id, Ad.created_at > now - timedelta(days=1)
            )
        )
        or 0
    )


def check_new_ad(author: User, body: str, now: datetime | None = None) -> None:
    """The first week's limits: at most NEW_ACCOUNT_MAX_LINKS addresses in the text, and at most
    NEW_ACCOUNT_ADS_PER_DAY ads in 24 hours.

    :raise InvalidAd: `body` (too many links) or `daily_limit` (a form-wide error).
    """
    now = now or utcnow()
    if not is_new_account(author, now):
        return
    errors: dict[str, str] = {}
    links = count_links(body)
    if links > NEW_ACCOUNT_MAX_LINKS:
        errors["body"] = _(
            "Under kontots första vecka får en annons innehålla högst %(max)s webbadresser "
            "(den här har %(count)s). Det skyddar mot reklam och bedrägerier. Ta bort några "
            "adresser, eller hänvisa till er webbplats.",
            max=NEW_ACCOUNT_MAX_LINKS,
            count=links,
        )
    if ads_in_last_day(author, now) >= NEW_ACCOUNT_ADS_PER_DAY:
        errors["daily_limit"] = _(
            "Under kontots första vecka kan du publicera högst %(max)s annonser per dygn. "
            "Försök igen i morgon.",
            max=NEW_ACCOUNT_ADS_PER_DAY,
        )
    if errors:
        raise ad_services.InvalidAd(errors)


def publish_ad(organisation: Organisation, author: User, **fields) -> Ad:
    """Publish an ad (ads.services.publish_ad) once the first week's limits allow it.

    :raise InvalidAd: a content rule or one of the first week's limits is broken.
    """
    check_new_ad(author, fields.get("body") or "")
    return ad_services.publish_ad(organisation, author, **fields)
