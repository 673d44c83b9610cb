"""Ad cards for result lists, drawn once per (ad, its version, its organisation's version, its
challenges, language) and kept in the shared cache (Flask-Caching).

    ad_cards(ids, heading="h3") -> list[Markup]   # a Jinja global, in the ids' order

A page of 20 cards asks the database for its keys only (ids, the ad's and the organisation's
`updated_at`, the challenge slugs: two small indexed queries); only the cards missing from the
cache are read, as plain rows rather than ORM objects, and drawn by the one card macro
(`_macros/ads.html`'s ad_card). An edit to an ad or its organisation moves its `updated_at`,
and a change of challenges changes the key, so a changed card is drawn afresh at once, in every
process; the build (templates, translations, code) is in the key too. Ads that are no longer
open are left out, as the search service's own page loading does.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from marketplace.ads.models import Ad, AdChallenge, open_ads_condition
from marketplace.clock import today
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.httpcache import build_version, cache_get_many, cache_set_many
from marketplace.i18n import current_language
from marketplace.organisations.models import Organisation

CARD_TIMEOUT = 24 * 60 * 60  # seconds; a changed card gets a new key, so this only frees memory


def _readers(model: type, relationships: set[str]) -> dict:
    """The model's properties and public methods, to read a plain row the way the model reads
    its instance (those that follow a relationship are left out; the row carries the result)."""
    return {
        name: value
        for name, value in vars(model).items()
        if not name.startswith("_")
        and name not in relationships
        and (isinstance(value, property) or inspect.isfunction(value))
    }


# An ad as the card macro reads it: every column of its row, `challenge_slugs`, its
# organisation (every column, and the model's properties such as `is_verified`) and its crisis
# (the model, for the "Kris" label). Not attached to any session.
CardOrganisation = type(
    "CardOrganisation", (SimpleNamespace,), _readers(Organisation, {"challenge_slugs"})
)
CardAd = type("CardAd", (SimpleNamespace,), _readers(Ad, {"challenge_slugs", "crisis"}))


def _ids(ads_or_ids: Iterable) -> list[int]:
    return [item if isinstance(item, int) else item.id for item in ads_or_ids]


def _versions(ids: list[int]) -> dict[int, tuple]:
    """What a card's key is made of, for the open ads among `ids`: the ad's and its
    organisation's versions, its challenges, and its crisis with whether it is going on today
    (the "Kris" label goes when the crisis ends, though the ad itself has not changed)."""
    rows = db.session.execute(
        sa.select(Ad.id, Ad.updated_at, Ad.organisation_id, Organisation.updated_at, Ad.crisis_id)
        .join(Organisation, Organisation.id == Ad.organisation_id)
        .where(Ad.id.in_(ids), open_ads_condition())
    ).all()
    challenges: dict[int, list[str]] = {}
    for ad_id, slug in db.session.execute(
        sa.select(AdChallenge.ad_id, AdChallenge.challenge)
        .where(AdChallenge.ad_id.in_(ids))
        .order_by(AdChallenge.ad_id, AdChallenge.challenge)
    ):
        challenges.setdefault(ad_id, []).append(slug)
    crisis_ids = {row.crisis_id for row in rows if row.crisis_id is not None}
    day = today()
    active = {
        crisis.id: crisis.is_active(day)
        for crisis in (
            db.session.scalars(sa.select(Crisis).where(Crisis.id.in_(crisis_ids)))
            if crisis_ids
            else ()
        )
    }
    return {
        ad_id: (
            updated,
            organisation_id,
            organisation_updated,
            tuple(challenges.get(ad_id, ())),
            f"{crisis_id}:{int(active.get(crisis_id, False))}" if crisis_id else "",
        )
        for ad_id, updated, organisation_id, organisation_updated, crisis_id in rows
    }


def _key(ad_id: int, version: tuple, language: str, heading: str) -> str:
    updated, organisation_id, organisation_updated, challenges, crisis = version
    return (
        f"card:{build_version()}:{language}:{heading}:{ad_id}:{updated.isoformat()}:"
        f"{organisation_id}:{organisation_updated.isoformat()}:{','.join(challenges)}:{crisis}"
    )


def card_ads(ids: list[int], versions: dict[int, tuple]) -> dict[int, CardAd]:
    """The ads as plain rows, with their organisations and challenges."""
    if not ids:
        return {}
    ad_rows = db.session.execute(sa.select(*Ad.__table__.c).where(Ad.id.in_(ids))).mappings()
    ads = {row["id"]: CardAd(**row) for row in ad_rows}
    organisation_ids = {ad.organisation_id for ad in ads.values()}
    organisations = {
        row["id"]: CardOrganisation(**row)
        for row in db.session.execute(
            sa.select(*Organisation.__table__.c).where(Organisation.id.in_(organisation_ids))
        ).mappings()
    }
    crisis_ids = {ad.crisis_id for ad in ads.values() if ad.crisis_id is not None}
    crises = (
        {
            crisis.id: crisis
            for crisis in db.session.scalars(sa.select(Crisis).where(Crisis.id.in_(crisis_ids)))
        }
        if crisis_ids
        else {}
    )
    for ad_id, ad in ads.items():
        ad.organisation = organisations[ad.organisation_id]
        ad.challenge_slugs = list(versions[ad_id][3]) if ad_id in versions else []
        ad.crisis = crises.get(ad.crisis_id)
    return ads


def _draw(ad: CardAd, heading: str) -> str:
    macros = current_app.jinja_env.get_template("_macros/ads.html").module
    return str(macros.ad_card(ad, heading=heading))  # type: ignore[attr-defined]


def ad_cards(ads_or_ids: Iterable, heading: str = "h3") -> list[Markup]:
    """The cards of these ads (ids or objects with `.id`), in order, leaving out closed ones."""
    ids = _ids(ads_or_ids)
    if not ids:
        return []
    versions = _versions(ids)
    shown = [ad_id for ad_id in ids if ad_id in versions]
    language = current_language()
    keys = {ad_id: _key(ad_id, versions[ad_id], language, heading) for ad_id in shown}
    found = dict(zip(shown, cache_get_many(*keys.values()), strict=True))
    missing = [ad_id for ad_id in shown if found.get(ad_id) is None]
    if missing:
        ads = card_ads(missing, versions)
        drawn = {ad_id: _draw(ads[ad_id], heading) for ad_id in missing if ad_id in ads}
        found.update(drawn)
        cache_set_many({keys[ad_id]: html for ad_id, html in drawn.items()}, CARD_TIMEOUT)
    # Drawn by the card macro, which escapes what it shows.
    return [Markup(found[ad_id]) for ad_id in shown if found.get(ad_id) is not None]  # noqa: S704  # nosec B704
