"""Use cases for ads: publish, edit, close, renew, delete; who may manage an ad; start-page lists.

The HTML views, the JSON API and the import command all call these. State-changing use cases
commit once, at their end. The full-text index follows `Ad.search_terms` by itself (SQLite
triggers, PostgreSQL expression index), so keeping that column right is all a use case must do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from marketplace import reference
from marketplace.ads import events
from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus, open_ads_condition
from marketplace.clock import today, utcnow
from marketplace.crises import rules as crisis_rules
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.organisations.models import Membership, Organisation, Sector
from marketplace.search.text import index_terms
from marketplace.text import clean_text, one_line, slugify

if TYPE_CHECKING:
    from marketplace.accounts.models import User

DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
TITLE_MAX_LENGTH = 120
BODY_MAX_LENGTH = 5000
MAX_CHALLENGES = 3
CLOSE_REASONS = (AdStatus.PARTNER_FOUND, AdStatus.NOT_CURRENT)


class InvalidAd(ValueError):
    """The ad breaks a rule; `errors` maps field names to messages in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class AdFields:
    """An ad's editable content after validation."""

    kind: AdKind
    title: str
    body: str
    challenges: list[str]
    county_code: str | None
    municipality_code: str | None
    seeking: list[Sector]
    expires_on: date
    crisis: Crisis | None = None
    expiry_capped: bool = False  # cut to the crisis's end + 14 days (the poster is told)


def default_expiry() -> date:
    return today() + timedelta(days=DEFAULT_LIFETIME_DAYS)


def latest_expiry() -> date:
    return today() + timedelta(days=MAX_LIFETIME_DAYS)


def slug(title: str) -> str:
    """An ad's URL words: 'Språkcafé i Kalmar!' -> 'sprakcafe-i-kalmar'."""
    return slugify(title, fallback="annons")


def ad_search_terms(ad: Ad, organisation: Organisation | None = None) -> str:
    """What the full-text index holds for an ad: its title, body and organisation's name."""
    organisation = organisation or ad.organisation
    return index_terms(ad.title, ad.body, organisation.name if organisation else "")


def validate_fields(
    *,
    kind: AdKind | str,
    title: str,
    body: str,
    challenges: list[str] | tuple[str, ...],
    county_code: str | None = None,
    municipality_code: str | None = None,
    seeking: list[Sector] | list[str] | tuple = (),
    expires_on: date | None = None,
    allow_past_expiry: bool = False,
    crisis: str | Crisis | None = None,
    kept_crisis_id: int | None = None,
) -> AdFields:
    """Check an ad's content against the rules; a municipality implies its county.

    `crisis` (a slug) tags the ad to an active crisis covering its county (crises.rules); an ad
    keeps the crisis it already has (`kept_crisis_id`) even after the crisis ended. A crisis
    ad's last day is cut to the crisis's end + 14 days (`expiry_capped` says so).

    :raise InvalidAd: with one message per broken field.
    """
    errors: dict[str, str] = {}
    try:
        kind = AdKind(kind.value if isinstance(kind, AdKind) else kind)
    except ValueError:
        errors["kind"] = _("Välj om annonsen söker, erbjuder eller är en idé.")
    title = one_line(title)
    if not title:
        errors["title"] = _("Skriv en rubrik.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("Rubriken får vara högst %(max)s tecken.", max=TITLE_MAX_LENGTH)
    body = clean_text(body)
    if not body:
        errors["body"] = _("Beskriv vad ni söker, erbjuder eller vill göra.")
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = _("Beskrivningen får vara högst %(max)s tecken.", max=BODY_MAX_LENGTH)
    chosen = list(dict.fromkeys(challenges or ()))
    if not chosen:
        errors["challenges"] = _("Välj minst en samhällsutmaning.")
    elif len(chosen) > MAX_CHALLENGES:
        errors["challenges"] = _("Välj högst %(max)s samhällsutmaningar.", max=MAX_CHALLENGES)
    elif any(slug not in reference.challenges() for slug in chosen):
        errors["challenges"] = _("Välj bland samhällsutmaningarna i listan.")
    county_code = county_code or None
    municipality_code = municipality_code or None
    if county_code and county_code not in reference.counties():
        errors["county_code"] = _("Välj ett län i listan, eller Hela Sverige.")
    if municipality_code:
        municipality = reference.municipalities().get(municipality_code)
        if municipality is None:
            errors["municipality_code"] = _("Välj en kommun i listan.")
        elif county_code and municipality.county_code != county_code:
            errors["municipality_code"] = _("Kommunen ligger inte i det valda länet.")
        else:
            county_code = municipality.county_code
    wanted: list[Sector] = []
    for sector in seeking or ():
        try:
            value = Sector(sector.value if isinstance(sector, Sector) else sector)
        except ValueError:
            errors["seeking"] = _("Välj sektorer i listan.")
            break
        if value not in wanted:
            wanted.append(value)
    if not wanted and "seeking" not in errors:
        errors["seeking"] = _("Välj minst en sektor ni vill samverka med.")
    chosen_crisis = _crisis(crisis, county_code, kept_crisis_id, errors)
    expires_on = expires_on or default_expiry()
    if expires_on < today() and not allow_past_expiry:
        errors["expires_on"] = _("Sista dag kan inte ha passerat.")
    elif expires_on > latest_expiry():
        errors["expires_on"] = _(
            "Sista dag kan vara högst ett år fram, senast %(date)s.",
            date=latest_expiry().isoformat(),
        )
    capped = False
    if chosen_crisis is not None and chosen_crisis.ad_expiry_cap() >= today():
        expires_on, capped = crisis_rules.capped_expiry(chosen_crisis, expires_on)
    if errors:
        raise InvalidAd(errors)
    return AdFields(
        kind=kind,  # type: ignore[arg-type]
        title=title,
        body=body,
        challenges=chosen,
        county_code=county_code,
        municipality_code=municipality_code,
        seeking=wanted,
        expires_on=expires_on,
        crisis=chosen_crisis,
        expiry_capped=capped,
    )


def _crisis(
    crisis: str | Crisis | None, county_code: str | None, kept_id: int | None, errors: dict
) -> Crisis | None:
    """The crisis an ad is tagged to, after the tagging rules (errors go into `errors`)."""
    if not crisis:
        return None
    found = crisis if isinstance(crisis, Crisis) else crisis_rules.crisis_by_slug(str(crisis))
    if found is None:
        errors["crisis"] = _("Välj en kris i listan.")
        return None
    if found.id == kept_id or "county_code" in errors:
        return found
    problem = crisis_rules.tag_error(found, county_code, today())
    if problem:
        errors["crisis"] = problem
        return None
    return found


def _apply(ad: Ad, fields: AdFields) -> None:
    ad.kind = fields.kind
    ad.title = fields.title
    ad.slug = slug(fields.title)
    ad.body = fields.body
    ad.county_code = fields.county_code
    ad.municipality_code = fields.municipality_code
    ad.seeks_public = Sector.PUBLIC in fields.seeking
    ad.seeks_civil = Sector.CIVIL in fields.seeking
    ad.seeks_business = Sector.BUSINESS in fields.seeking
    ad.expires_on = fields.expires_on
    ad.crisis = fields.crisis
    current = {link.challenge: link for link in ad.challenge_links}
    ad.challenge_links = [
        current.get(slug) or AdChallenge(challenge=slug) for slug in fields.challenges
    ]
    ad.search_terms = ad_search_terms(ad)


def build_ad(
    organisation: Organisation,
    author: User | None,
    *,
    import_ref: str | None = None,
    published_at: datetime | None = None,
    **fields,
) -> Ad:
    """Validate and add a new ad to the session without committing (for bulk imports).

    :raise InvalidAd: when a rule is broken; nothing is added then.
    """
    checked = validate_fields(**fields)
    ad = Ad(organisation=organisation, author=author, status=AdStatus.OPEN, import_ref=import_ref)
    if published_at is not None:
        ad.published_at = published_at
    _apply(ad, checked)
    db.session.add(ad)
    return ad


def publish_ad(organisation: Organisation, author: User | None, **fields) -> Ad:
    """Publish a new, open ad for the organisation (fields as in `validate_fields`).

    :raise InvalidAd: when a rule is broken; nothing is saved then.
    """
    ad = build_ad(organisation, author, **fields)
    db.session.flush()  # the ad has an id and is in the full-text index; nothing is visible yet
    events.ad_published(ad)  # whom to notify: ledger rows and outbox jobs, in this transaction
    db.session.commit()  # the ad and the e-mails it causes, or neither
    notifications.dispatch()  # the worker writes and sends them
    return ad


def update_ad(ad: Ad, **fields) -> Ad:
    """Save new content for an ad; its search terms follow. Status and publishing date stay.

    :raise InvalidAd: when a rule is broken; nothing is saved then. An ad that has already
      expired may keep its past expiry date (renewing is a separate use case).
    """
    expires_on = fields.get("expires_on")
    fields.setdefault("crisis", ad.crisis)
    checked = validate_fields(
        **fields,
        allow_past_expiry=expires_on is not None and expires_on == ad.expires_on,
        kept_crisis_id=ad.crisis_id,
    )
    _apply(ad, checked)
    db.session.commit()
    return ad


def close_ad(ad: Ad, reason: AdStatus) -> Ad:
    """Close an ad (partner found, or no longer current): it leaves search but keeps its page."""
    if reason not in CLOSE_REASONS:
        raise InvalidAd({"reason": _("Välj varför annonsen stängs.")})
    ad.status = reason
    ad.closed_at = utcnow()
    db.session.commit()
    return ad


def renew_ad(ad: Ad) -> Ad:
    """Give the ad another DEFAULT_LIFETIME_DAYS from today and open it again (expired or closed)."""
    ad.expires_on = default_expiry()
    if ad.crisis is not None and ad.crisis.ad_expiry_cap() >= today():
        ad.expires_on, _capped = crisis_rules.capped_expiry(ad.crisis, ad.expires_on)
    ad.status = AdStatus.OPEN
    ad.closed_at = None
    db.session.commit()
    return ad


def delete_ad(ad: Ad) -> None:
    """Remove an ad for good (its challenges and index entry go with it)."""
    db.session.delete(ad)
    db.session.commit()


def reindex_organisation_ads(organisation: Organisation) -> int:
    """Recompute the search terms of all the organisation's ads, e.g. after a rename.

    Does NOT commit: call it inside the caller's unit of work, before its commit.
    Returns how many ads were updated.
    """
    ads = db.session.scalars(sa.select(Ad).where(Ad.organisation_id == organisation.id)).all()
    for ad in ads:
        ad.search_terms = ad_search_terms(ad, organisation)
    return len(ads)


def acting_organisation(user: User) -> Organisation | None:
    """The organisation the user acts for, if they really are a member of it (else None)."""
    if not user.is_authenticated or user.acting_organisation_id is None:
        return None
    membership = db.session.scalar(
        sa.select(Membership)
        .where(
            Membership.user_id == user.id,
            Membership.organisation_id == user.acting_organisation_id,
        )
        .options(so.joinedload(Membership.organisation))
    )
    return membership.organisation if membership else None


def can_manage(user: User, ad: Ad) -> bool:
    """Members of the ad's organisation (any role) may edit, close, renew and delete it."""
    if not user.is_authenticated:
        return False
    return (
        db.session.scalar(
            sa.select(Membership.id).where(
                Membership.user_id == user.id, Membership.organisation_id == ad.organisation_id
            )
        )
        is not None
    )


def get_ad(ad_id: int) -> Ad | None:
    """One ad with what its page shows loaded (organisation, challenges), or None."""
    return db.session.scalar(
        sa.select(Ad)
        .where(Ad.id == ad_id)
        .options(so.joinedload(Ad.organisation), so.selectinload(Ad.challenge_links))
    )


def newest_open_ads(limit: int = 10) -> list[Ad]:
    """The newest open ads, for the start page."""
    return list(
        db.session.scalars(
            sa.select(Ad)
            .where(open_ads_condition())
            .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
            .order_by(Ad.published_at.desc(), Ad.id.desc())
            .limit(limit)
        )
    )


def organisation_ads(organisation_id: int, ended_limit: int = 20) -> tuple[list[Ad], list[Ad]]:
    """An organisation's page: its open ads (newest first) and its ended ones (closed or expired,
    latest first, at most `ended_limit`), none hidden by a moderator."""
    base = (
        sa.select(Ad)
        .where(Ad.organisation_id == organisation_id, Ad.hidden_at.is_(None))
        .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
    )
    open_ads = list(
        db.session.scalars(
            base.where(open_ads_condition()).order_by(Ad.published_at.desc(), Ad.id.desc())
        )
    )
    ended = list(
        db.session.scalars(
            base.where(sa.not_(open_ads_condition()))
            .order_by(Ad.expires_on.desc(), Ad.id.desc())
            .limit(ended_limit)
        )
    )
    return open_ads, ended


def open_ads_per_challenge() -> dict[str, int]:
    """Challenge slug -> number of open ads addressing it (one grouped query)."""
    rows = db.session.execute(
        sa.select(AdChallenge.challenge, sa.func.count(AdChallenge.ad_id))
        .join(Ad, Ad.id == AdChallenge.ad_id)
        .where(open_ads_condition())
        .group_by(AdChallenge.challenge)
    )
    return dict(rows.all())
