"""Crisis use cases: declare, extend, end; tag ads; the crisis page; crisis alerts.

Who may do what:
* Site administrators declare, extend and end any crisis, for any counties or all of Sweden.
* County moderators (moderation.CountyModerator) do so only for crises whose counties are all
  theirs; a crisis for all of Sweden is for site administrators.
* Members tag their own ads (new or existing) to an active crisis that covers the ad's county,
  through the ad form (ads.services applies crises.rules). Moderators of the ad's county add or
  remove the tag on any ad; that goes into the moderation log like declaring, extending and
  ending.

A crisis lasts at most MAX_DAYS from its start; an extension moves the end at most MAX_DAYS
past the current end (or today, when later) and needs a reason. Ending it early caps its open
ads' last day at today + 14 days, the same cap tagging sets.

Alerts: organisations in the crisis's counties (all, for Sweden) whose setting is on (no
setting: on when they work with crisis preparedness or volunteering in care) get one e-mail
when the crisis starts (the ledger `CrisisAlert` keeps it to once per crisis and
organisation) and a daily digest of new crisis needs while it lasts (`CrisisAlertAd`: each need
once). Both are outbox e-mails with a one-click unsubscribe link (RFC 8058) that turns the
organisation's crisis alerts off, as saved searches do.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from marketplace import reference
from marketplace.accounts.models import User
from marketplace.ads.models import Ad, AdKind, open_ads_condition
from marketplace.clock import today, utcnow
from marketplace.contact.models import Conversation
from marketplace.crises import rules
from marketplace.crises.models import (
    AD_GRACE_DAYS,
    MAX_DAYS,
    Crisis,
    CrisisAlert,
    CrisisAlertAd,
    CrisisAlertSetting,
    CrisisCounty,
)
from marketplace.extensions import db
from marketplace.insights.models import Outcome
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ActionKind, ContentKind
from marketplace.notifications import services as notifications
from marketplace.organisations.models import Organisation, OrganisationChallenge
from marketplace.text import clean_text, one_line, slugify
from marketplace.urls import ad_url, external_url

NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000
LEAD_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2000
MAX_START_AHEAD_DAYS = 30
# Organisations working with these get crisis alerts unless they turn them off.
DEFAULT_ALERT_CHALLENGES = ("crisis-preparedness", "volunteering-in-care")
DECLARED_ALERTS = "crises.declared"  # outbox job: write the declaration alerts of one crisis
UNSUBSCRIBE_SALT = "crises.unsubscribe"
DIGEST_OVERLAP = timedelta(hours=1)
MAX_ADS_PER_MAIL = 30
PAGE_ADS = 100  # per column on the crisis page

active_crises = rules.active_crises
all_crises = rules.all_crises
crisis_by_slug = rules.crisis_by_slug


class CrisisError(Exception):
    """A crisis rule said no; `errors` maps form fields to messages in the user's language."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


class NotAllowed(CrisisError):
    """The actor may not do this (views answer 403)."""


# --- Who may declare --------------------------------------------------------------------------


def declarable_counties(user: User | None) -> set[str] | None:
    """The counties the user may declare crises for: None = every county and all of Sweden."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_site_admin:
        return None
    return moderation.moderated_counties(user)


def may_declare(user: User | None) -> bool:
    return declarable_counties(user) != set()


def may_manage(user: User | None, crisis: Crisis) -> bool:
    """May extend or end it: site administrators, or moderators of every county it concerns."""
    allowed = declarable_counties(user)
    if allowed is None:
        return True
    if not allowed or crisis.nationwide:
        return False
    return set(crisis.county_codes) <= allowed


def _require(condition: bool) -> None:
    if not condition:
        raise NotAllowed(_("Du får inte göra det här för den krisen."))


# --- Declare, extend, end -----------------------------------------------------------------------


@dataclass
class CrisisFields:
    name: str
    description: str
    lead: str
    county_codes: list[str]
    nationwide: bool
    starts_on: date
    ends_on: date
    challenge: str


def validate_fields(
    actor: User,
    *,
    name: str,
    description: str,
    lead: str,
    county_codes: list[str] | tuple[str, ...],
    nationwide: bool,
    starts_on: date | None,
    ends_on: date | None,
    challenge: str,
) -> CrisisFields:
    """Check a declaration against the rules and the actor's counties.

    :raise NotAllowed: counties (or all of Sweden) that the actor does not moderate.
    :raise CrisisError: one message per broken field.
    """
    errors: dict[str, str] = {}
    name = one_line(name)
    if not name:
        errors["name"] = _("Skriv krisens namn.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("Namnet får vara högst %(max)s tecken.", max=NAME_MAX_LENGTH)
    description = clean_text(description)
    if not description:
        errors["description"] = _("Beskriv kort vad som har hänt och vad som behövs.")
    elif len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _(
            "Beskrivningen får vara högst %(max)s tecken.", max=DESCRIPTION_MAX_LENGTH
        )
    lead = one_line(lead)
    if not lead:
        errors["lead"] = _("Skriv vem som leder arbetet.")
    elif len(lead) > LEAD_MAX_LENGTH:
        errors["lead"] = _("Högst %(max)s tecken.", max=LEAD_MAX_LENGTH)
    codes = list(dict.fromkeys(county_codes or ()))
    if nationwide:
        codes = []
    elif not codes:
        errors["counties"] = _("Välj de län krisen gäller, eller hela Sverige.")
    elif any(code not in reference.counties() for code in codes):
        errors["counties"] = _("Välj län i listan.")
    if challenge not in reference.challenges():
        errors["challenge"] = _("Välj den samhällsutmaning krisen främst gäller.")
    now = today()
    if starts_on is None:
        errors["starts_on"] = _("Ange ett datum.")
    elif starts_on < now:
        errors["starts_on"] = _("Krisen kan inte börja före i dag.")
    elif starts_on > now + timedelta(days=MAX_START_AHEAD_DAYS):
        errors["starts_on"] = _(
            "Krisen kan börja högst %(days)s dagar fram.", days=MAX_START_AHEAD_DAYS
        )
    if ends_on is None:
        errors["ends_on"] = _("Ange ett datum.")
    elif starts_on is not None and "starts_on" not in errors:
        if ends_on < starts_on:
            errors["ends_on"] = _("Slutet kan inte komma före starten.")
        elif ends_on > starts_on + timedelta(days=MAX_DAYS):
            errors["ends_on"] = _(
                "En kris gäller högst %(days)s dagar, till och med %(date)s. Den kan förlängas senare.",
                days=MAX_DAYS,
                date=(starts_on + timedelta(days=MAX_DAYS)).isoformat(),
            )
    allowed = declarable_counties(actor)
    if allowed is not None and "counties" not in errors:
        if not allowed:
            raise NotAllowed(_("Bara administratörer och länsmoderatorer kan utlysa kriser."))
        if nationwide:
            errors["counties"] = _(
                "Bara Samverkanstorgets administratörer kan utlysa en kris för hela Sverige."
            )
        elif not set(codes) <= allowed:
            errors["counties"] = _("Du kan bara utlysa kriser för de län du modererar.")
    if errors:
        raise CrisisError(errors)
    return CrisisFields(
        name=name,
        description=description,
        lead=lead,
        county_codes=codes,
        nationwide=bool(nationwide),
        starts_on=starts_on,  # type: ignore[arg-type]
        ends_on=ends_on,  # type: ignore[arg-type]
        challenge=challenge,
    )


def _unique_slug(name: str, starts_on: date) -> str:
    base = slugify(f"{name} {starts_on.year}", fallback="kris", max_length=70)
    taken = set(db.session.scalars(sa.select(Crisis.slug).where(Crisis.slug.like(f"{base}%"))))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _label(crisis: Crisis) -> str:
    return f"{crisis.name} · {area(crisis)}"


def area(crisis: Crisis) -> str:
    """'Kalmar län', 'Kalmar län, Blekinge län' or 'Hela Sverige', in the current language."""
    if crisis.nationwide:
        return _("Hela Sverige")
    return ", ".join(reference.county_name(code) for code in crisis.county_codes)


def declare_crisis(actor: User, **fields) -> Crisis:
    """Declare a crisis (fields as in validate_fields), log it, and alert the organisations.

    :raise NotAllowed: the actor may not declare crises for those counties.
    :raise CrisisError: a broken rule; nothing is saved.
    """
    checked = validate_fields(actor, **fields)
    if _same_crisis_going_on(checked):
        raise CrisisError(
            {"name": _("Det finns redan en pågående eller kommande kris med det namnet.")}
        )
    crisis = Crisis(
        slug=_unique_slug(checked.name, checked.starts_on),
        name=checked.name,
        description=checked.description,
        lead=checked.lead,
        nationwide=checked.nationwide,
        challenge=checked.challenge,
        starts_on=checked.starts_on,
        ends_on=checked.ends_on,
        created_by_id=actor.id,
        county_links=[CrisisCounty(county_code=code) for code in checked.county_codes],
    )
    db.session.add(crisis)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same slug declared at the same moment (a double click)
        db.session.rollback()
        raise CrisisError(
            {"name": _("Det finns redan en pågående eller kommande kris med det namnet.")}
        ) from None
    moderation.record(
        actor,
        ActionKind.DECLARE_CRISIS,
        target_kind="crisis",
        target_id=crisis.id,
        label=_label(crisis),
        reason=_(
            "%(start)s–%(end)s. Leds av %(lead)s.",
            start=crisis.starts_on.isoformat(),
            end=crisis.ends_on.isoformat(),
            lead=crisis.lead,
        ),
    )
    if crisis.is_active(today()):
        notifications.defer_emails(DECLARED_ALERTS, crisis=crisis.id)
    db.session.commit()
    notifications.dispatch()
    return crisis


def _same_crisis_going_on(fields: CrisisFields) -> bool:
    """A crisis of that name that has not ended: a second declaration is a double click or a
    mistake (extend the first one instead)."""
    return (
        db.session.scalar(
            sa.select(Crisis.id)
            .where(
                sa.func.lower(Crisis.name) == fields.name.lower(),
                Crisis.ended_at.is_(None),
                Crisis.ends_on >= today(),
            )
            .limit(1)
        )
        is not None
    )


def _reason(reason: str) -> str:
    cleaned = clean_text(reason)
    if not cleaned:
        raise CrisisError({"reason": _("Skriv en motivering.")})
    if len(cleaned) > REASON_MAX_LENGTH:
        raise CrisisError({"reason": _("Högst %(max)s tecken.", max=REASON_MAX_LENGTH)})
    return cleaned


def latest_extension(crisis: Crisis) -> date:
    """The furthest end an extension may set now."""
    return max(crisis.ends_on, today()) + timedelta(days=MAX_DAYS)


def extend_crisis(actor: User, crisis: Crisis, ends_on: date | None, reason: str) -> Crisis:
    """Move a crisis's end later (at most MAX_DAYS past its current end), with a reason.

    :raise NotAllowed: the actor does not moderate all its counties.
    :raise CrisisError: ended, no reason, or a date that is not later or too far.
    """
    _require(may_manage(actor, crisis))
    errors: dict[str, str] = {}
    if crisis.ended_at is not None:
        raise CrisisError(_("Krisen är avslutad och kan inte förlängas."))
    if ends_on is None:
        errors["ends_on"] = _("Ange ett datum.")
    elif ends_on <= crisis.ends_on or ends_on < today():
        errors["ends_on"] = _("Välj ett senare datum än %(date)s.", date=crisis.ends_on.isoformat())
    elif ends_on > latest_extension(crisis):
        errors["ends_on"] = _(
            "Krisen kan förlängas till högst %(date)s.", date=latest_extension(crisis).isoformat()
        )
    try:
        cleaned = _reason(reason)
    except CrisisError as error:
        errors.update(error.errors)
    if errors:
        raise CrisisError(errors)
    previous = crisis.ends_on
    was_active = crisis.is_active(today())
    crisis.ends_on = ends_on  # type: ignore[assignment]
    moderation.record(
        actor,
        ActionKind.EXTEND_CRISIS,
        target_kind="crisis",
        target_id=crisis.id,
        label=_label(crisis),
        reason=f"{previous.isoformat()} → {crisis.ends_on.isoformat()}: {cleaned}",
    )
    if not was_active and crisis.is_active(today()):  # it had run out: it is on again
        notifications.defer_emails(DECLARED_ALERTS, crisis=crisis.id)
    db.session.commit()
    notifications.dispatch()
    return crisis


def end_crisis(actor: User, crisis: Crisis, reason: str) -> Crisis:
    """End a crisis now: the banner goes, its ads keep the tag and are shown 14 more days at most.

    :raise NotAllowed: the actor does not moderate all its counties.
    :raise CrisisError: already ended, or no reason.
    """
    _require(may_manage(actor, crisis))
    if crisis.ended_at is not None:
        raise CrisisError(_("Krisen är redan avslutad."))
    cleaned = _reason(reason)
    crisis.ended_at = utcnow()
    cap = today() + timedelta(days=AD_GRACE_DAYS)
    # Through the ORM (a crisis has few ads): the search index's change log sees each one.
    for ad in db.session.scalars(
        sa.select(Ad).where(Ad.crisis_id == crisis.id, Ad.expires_on > cap)
    ):
        ad.expires_on = cap
    moderation.record(
        actor,
        ActionKind.END_CRISIS,
        target_kind="crisis",
        target_id=crisis.id,
        label=_label(crisis),
        reason=cleaned,
    )
    db.session.commit()
    return crisis


# --- Tagging ads (moderators) -------------------------------------------------------------------


def may_tag_as_moderator(user: User | None, ad: Ad) -> bool:
    return moderation.can_moderate_content(user, ContentKind.AD, ad)


def tag_ad(actor: User, ad: Ad, crisis: Crisis) -> Ad:
    """A moderator tags an ad to an active crisis covering its county (logged).

    :raise NotAllowed: the actor does not moderate the ad.
    :raise CrisisError: the crisis is over or does not cover the ad's county.
    """
    _require(may_tag_as_moderator(actor, ad))
    problem = rules.tag_error(crisis, ad.county_code, today())
    if problem:
        raise CrisisError({"crisis": problem})
    ad.crisis = crisis
    ad.expires_on, _capped = rules.capped_expiry(crisis, ad.expires_on)
    moderation.record(
        actor,
        ActionKind.TAG_CRISIS,
        target_kind="ad",
        target_id=ad.id,
        label=f"{ad.title} · {crisis.name}",
    )
    db.session.commit()
    return ad


def untag_ad(actor: User, ad: Ad) -> Ad:
    """A moderator removes an ad's crisis tag (logged).

    :raise NotAllowed: the actor does not moderate the ad.
    """
    _require(may_tag_as_moderator(actor, ad))
    if ad.crisis is None:
        return ad
    moderation.record(
        actor,
        ActionKind.UNTAG_CRISIS,
        target_kind="ad",
        target_id=ad.id,
        label=f"{ad.title} · {ad.crisis.name}",
    )
    ad.crisis = None
    db.session.commit()
    return ad


# --- Reading ----------------------------------------------------------------------------------


@dataclass
class Counts:
    ads: int
    needs: int
    offers: int
    conversations: int
    outcomes: int  # reported collaborations (an outcome that says they worked together)


@dataclass
class CrisisPage:
    crisis: Crisis
    active: bool
    needs: list[Ad]
    offers: list[Ad]
    municipality: str | None
    municipalities: list  # reference.Municipality in the crisis's counties
    counts: Counts
    outcomes: list[Outcome]


def _ads_of(crisis_ids: list[int]) -> sa.ColumnElement[bool]:
    return Ad.crisis_id.in_(crisis_ids)


def counts(crisis_ids: list[int]) -> dict[int, Counts]:
    """Each crisis's ads, conversations started from them and collaborations reported."""
    result = {crisis_id: Counts(0, 0, 0, 0, 0) for crisis_id in crisis_ids}
    if not crisis_ids:
        return result
    visible = Ad.hidden_at.is_(None)
    for crisis_id, kind, number in db.session.execute(
        sa.select(Ad.crisis_id, Ad.kind, sa.func.count())
        .where(_ads_of(crisis_ids), visible)
        .group_by(Ad.crisis_id, Ad.kind)
    ):
        item = result[crisis_id]
        item.ads += number
        if kind is AdKind.NEED:
            item.needs += number
        elif kind is AdKind.OFFER:
            item.offers += number
    for crisis_id, number in db.session.execute(
        sa.select(Ad.crisis_id, sa.func.count(Conversation.id))
        .join(Ad, Ad.id == Conversation.ad_id)
        .where(_ads_of(crisis_ids))
        .group_by(Ad.crisis_id)
    ):
        result[crisis_id].conversations = number
    for crisis_id, number in db.session.execute(
        sa.select(Ad.crisis_id, sa.func.count(Outcome.id))
        .join(Ad, Ad.id == Outcome.ad_id)
        .where(_ads_of(crisis_ids), Outcome.collaborated.is_(True))
        .group_by(Ad.crisis_id)
    ):
        result[crisis_id].outcomes = number
    return result


def banner_crises(county_code: str | None = None, *, everywhere: bool = False) -> list[Crisis]:
    """The active crises to announce: all (start page), those covering a county (its pages and
    searches), or only those for all of Sweden (a search without a county)."""
    crises = rules.active_crises(today())
    if everywhere:
        return crises
    if county_code is None:
        return [crisis for crisis in crises if crisis.nationwide]
    return [crisis for crisis in crises if crisis.covers(county_code)]


def crisis_municipalities(crisis: Crisis) -> list:
    if crisis.nationwide:
        return []
    by_county = reference.municipalities_by_county()
    return [m for code in crisis.county_codes for m in by_county.get(code, [])]


def crisis_ads(
    crisis: Crisis, *, municipality: str | None = None, limit: int = PAGE_ADS
) -> sa.Select:
    """The crisis's ads, newest first: open ones while it lasts, all visible ones after."""
    statement = (
        sa.select(Ad)
        .where(Ad.crisis_id == crisis.id)
        .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
        .order_by(Ad.published_at.desc(), Ad.id.desc())
        .limit(limit)
    )
    if crisis.is_active(today()):
        statement = statement.where(open_ads_condition())
    else:
        statement = statement.where(
            Ad.hidden_at.is_(None),
            Ad.organisation_id.in_(
                sa.select(Organisation.id).where(Organisation.hidden_at.is_(None))
            ),
        )
    if municipality:
        known = reference.municipalities().get(municipality)
        if known is not None:
            statement = statement.where(
                sa.or_(
                    Ad.municipality_code == municipality,
                    sa.and_(Ad.municipality_code.is_(None), Ad.county_code == known.county_code),
                    Ad.county_code.is_(None),
                )
            )
    return statement


def crisis_page(crisis: Crisis, municipality: str | None = None) -> CrisisPage:
    """Needs and offers side by side (newest first), filtered by municipality, with its figures."""
    places = crisis_municipalities(crisis)
    if municipality not in {m.code for m in places}:
        municipality = None
    ads = list(
        db.session.scalars(crisis_ads(crisis, municipality=municipality, limit=2 * PAGE_ADS))
    )
    active = crisis.is_active(today())
    outcomes: list[Outcome] = []
    if not active:
        outcomes = list(
            db.session.scalars(
                sa.select(Outcome)
                .join(Ad, Ad.id == Outcome.ad_id)
                .where(Ad.crisis_id == crisis.id, Outcome.collaborated.is_(True))
                .options(so.joinedload(Outcome.organisation), so.joinedload(Outcome.ad))
                .order_by(Outcome.reported_at.desc())
                .limit(50)
            )
        )
    return CrisisPage(
        crisis=crisis,
        active=active,
        needs=[ad for ad in ads if ad.kind is AdKind.NEED][:PAGE_ADS],
        offers=[ad for ad in ads if ad.kind is not AdKind.NEED][:PAGE_ADS],
        municipality=municipality,
        municipalities=places,
        counts=counts([crisis.id])[crisis.id],
        outcomes=outcomes,
    )


def feed_ads(crisis: Crisis, limit: int = 50) -> list[Ad]:
    return list(db.session.scalars(crisis_ads(crisis, limit=limit)))


# --- Alert settings -----------------------------------------------------------------------------


def alerts_on_by_default(organisation: Organisation) -> bool:
    return any(slug in DEFAULT_ALERT_CHALLENGES for slug in organisation.challenge_slugs)


def alerts_enabled(organisation: Organisation) -> bool:
    setting = db.session.get(CrisisAlertSetting, organisation.id)
    if setting is None:
        return alerts_on_by_default(organisation)
    return setting.enabled


def set_alerts(organisation: Organisation, enabled: bool) -> CrisisAlertSetting:
    """The organisation's choice: crisis alerts for its county, or none."""
    setting = _setting(organisation.id, default=enabled)
    setting.enabled = bool(enabled)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another request made the row first: change that one
        db.session.rollback()
        setting = db.session.get(CrisisAlertSetting, organisation.id)
        setting.enabled = bool(enabled)
        db.session.commit()
    return setting


def _setting(organisation_id: int, *, default: bool) -> CrisisAlertSetting:
    setting = db.session.get(CrisisAlertSetting, organisation_id)
    if setting is None:
        setting = CrisisAlertSetting(organisation_id=organisation_id, enabled=default)
        db.session.add(setting)
        db.session.flush()
    return setting


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(setting: CrisisAlertSetting) -> str:
    return _serializer().dumps({"o": setting.organisation_id, "n": setting.unsubscribe_nonce})


def setting_for_token(token: str) -> CrisisAlertSetting | None:
    """The setting a genuine token names; None when the token was altered or it is gone."""
    try:
        payload = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("o"), int):
        return None
    setting = db.session.get(CrisisAlertSetting, payload["o"])
    if setting is None or not hmac.compare_digest(
        str(payload.get("n", "")), setting.unsubscribe_nonce
    ):
        return None
    return setting


def unsubscribe(setting: CrisisAlertSetting) -> CrisisAlertSetting:
    setting.enabled = False
    db.session.commit()
    return setting


def organisation_of(setting: CrisisAlertSetting) -> Organisation | None:
    return db.session.get(Organisation, setting.organisation_id)


# --- Alerts -----------------------------------------------------------------------------------


def _recipients(crisis: Crisis) -> list[Organisation]:
    """Visible organisations in the crisis's counties whose crisis alerts are on."""
    default_on = Organisation.id.in_(
        sa.select(OrganisationChallenge.organisation_id).where(
            OrganisationChallenge.challenge.in_(DEFAULT_ALERT_CHALLENGES)
        )
    )
    statement = (
        sa.select(Organisation)
        .outerjoin(CrisisAlertSetting, CrisisAlertSetting.organisation_id == Organisation.id)
        .where(
            Organisation.hidden_at.is_(None),
            sa.or_(
                CrisisAlertSetting.enabled.is_(True),
                sa.and_(CrisisAlertSetting.organisation_id.is_(None), default_on),
            ),
        )
        .order_by(Organisation.id)
    )
    if not crisis.nationwide:
        statement = statement.where(Organisation.county_code.in_(crisis.county_codes))
    return list(db.session.scalars(statement))


def _headers(unsubscribe_url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@notifications.email_writer(DECLARED_ALERTS)
def write_declaration_alerts(crisis: int) -> int:
    """The worker's half of declaring: one e-mail per recipient organisation's members, once."""
    found = db.session.get(Crisis, crisis)
    if found is None or not found.is_active(today()):
        return 0
    told = set(
        db.session.scalars(
            sa.select(CrisisAlert.organisation_id).where(CrisisAlert.crisis_id == found.id)
        )
    )
    queued = 0
    for organisation in _recipients(found):
        if organisation.id in told:
            continue
        setting = _setting(organisation.id, default=True)
        db.session.add(CrisisAlert(crisis_id=found.id, organisation_id=organisation.id))
        unsubscribe_url = external_url("crises.unsubscribe", token=unsubscribe_token(setting))
        queued += notifications.email_members(
            organisation.id,
            key=f"crisis:{found.id}:declared:{organisation.id}",
            template="crisis_declared",
            headers=_headers(unsubscribe_url),
            crisis_name=found.name,
            description=found.description,
            lead=found.lead,
            nationwide=found.nationwide,
            county_codes=found.county_codes,
            ends_on=found.ends_on,
            organisation=organisation.name,
            crisis_url=external_url("crises.detail", slug=found.slug),
            post_url=external_url("ads.new", kris=found.slug),
            unsubscribe_url=unsubscribe_url,
        )
    return queued


def _digest_ads(crisis: Crisis, since: datetime, now: datetime) -> list[Ad]:
    return list(
        db.session.scalars(
            sa.select(Ad)
            .where(
                Ad.crisis_id == crisis.id,
                Ad.kind == AdKind.NEED,
                Ad.published_at > since,
                Ad.published_at <= now,
                open_ads_condition(),
            )
            .options(so.joinedload(Ad.organisation))
            .order_by(Ad.published_at.desc(), Ad.id.desc())
        )
    )


def send_digests(now: datetime | None = None) -> int:
    """Every morning: each active crisis's new needs to the organisations whose alerts are on
    (never their own ads, never a need twice). Also sends declaration alerts not yet sent
    (a crisis that started today after being declared ahead). Returns e-mails queued."""
    now = now or utcnow()
    queued = 0
    for crisis in rules.active_crises(today()):
        queued += write_declaration_alerts(crisis.id)
        since = (crisis.last_digest_at or crisis.created_at) - DIGEST_OVERLAP
        ads = _digest_ads(crisis, since, now)
        crisis.last_digest_at = now
        sent = _queue_digests(crisis, ads, now) if ads else 0
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # a concurrent run sent these needs first (the ledger)
            db.session.rollback()
            continue
        queued += sent
    if queued:
        notifications.dispatch()
    return queued


def _queue_digests(crisis: Crisis, ads: list[Ad], now: datetime) -> int:
    queued = 0
    ad_ids = [ad.id for ad in ads]
    for organisation in _recipients(crisis):
        sent = set(
            db.session.scalars(
                sa.select(CrisisAlertAd.ad_id).where(
                    CrisisAlertAd.organisation_id == organisation.id,
                    CrisisAlertAd.ad_id.in_(ad_ids),
                )
            )
        )
        fresh = [ad for ad in ads if ad.id not in sent and ad.organisation_id != organisation.id]
        if not fresh:
            continue
        shown = fresh[:MAX_ADS_PER_MAIL]
        db.session.add_all(
            CrisisAlertAd(organisation_id=organisation.id, ad_id=ad.id, sent_at=now) for ad in fresh
        )
        setting = _setting(organisation.id, default=True)
        unsubscribe_url = external_url("crises.unsubscribe", token=unsubscribe_token(setting))
        digest = hashlib.sha256(",".join(str(ad.id) for ad in fresh).encode()).hexdigest()[:16]
        queued += notifications.email_members(
            organisation.id,
            key=f"crisis:{crisis.id}:digest:{organisation.id}:{digest}",
            template="crisis_digest",
            headers=_headers(unsubscribe_url),
            crisis_name=crisis.name,
            organisation=organisation.name,
            items=[
                {
                    "title": ad.title,
                    "organisation": ad.organisation.name,
                    "municipality": ad.municipality_code,
                    "county": ad.county_code,
                    "url": ad_url(ad, external=True),
                }
                for ad in shown
            ],
            more=len(fresh) > len(shown),
            crisis_url=external_url("crises.detail", slug=crisis.slug),
            unsubscribe_url=unsubscribe_url,
        )
    return queued
