"""Stable JSON shapes for the API: ads and organisations as plain dicts (codes and slugs, no labels)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marketplace.ads.models import Ad, AdStatus
from marketplace.organisations.models import Organisation
from marketplace.urls import ad_url, external_url


def organisation_url(organisation: Organisation) -> str:
    return external_url(
        "organisations.detail", organisation_id=organisation.id, slug=organisation.slug
    )


def ad_status(ad: Ad, today: date) -> str:
    """open, partner_found, not_current, or expired (an open ad past its last day)."""
    if ad.status is AdStatus.OPEN and ad.is_expired(today):
        return "expired"
    return ad.status.value


def organisation_summary(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "ref": organisation.import_ref,
        "name": organisation.name,
        "sector": organisation.sector.value,
        **verification_fields(organisation),
    }


def verification_fields(organisation: Organisation) -> dict[str, Any]:
    """verified, verified_via ("domain", "review" or null) and verified_at (ISO 8601 or null)."""
    return {
        "verified": organisation.is_verified,
        "verified_via": organisation.verified_via if organisation.is_verified else None,
        "verified_at": (
            organisation.verified_at.replace(microsecond=0).isoformat() + "Z"
            if organisation.verified_at is not None
            else None
        ),
    }


def ad_to_dict(ad: Ad, today: date) -> dict[str, Any]:
    return {
        "id": ad.id,
        "ref": ad.import_ref,
        "url": ad_url(ad, external=True),
        "kind": ad.kind.value,
        "title": ad.title,
        "body": ad.body,
        "challenges": ad.challenge_slugs,
        "county": ad.county_code,
        "municipality": ad.municipality_code,
        "seeking": [sector.value for sector in ad.seeking],
        "status": ad_status(ad, today),
        "published": ad.published_at.date().isoformat(),
        "expires": ad.expires_on.isoformat(),
        "organisation": organisation_summary(ad.organisation),
    }


def organisation_to_dict(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "ref": organisation.import_ref,
        "name": organisation.name,
        "sector": organisation.sector.value,
        "form": organisation.legal_form.value,
        "org_number": organisation.org_number,
        "county": organisation.county_code,
        "municipality": organisation.municipality_code,
        "website": organisation.website or None,
        "email": organisation.email or None,
        "description": organisation.description,
        "challenges": organisation.challenge_slugs,
        **verification_fields(organisation),
        "url": organisation_url(organisation),
    }


def page_to_dict(items: list[dict[str, Any]], total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}
