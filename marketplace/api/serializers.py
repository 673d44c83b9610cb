"""Stable JSON shapes for the API: ads and organisations as plain dicts (codes and slugs, no labels)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marketplace.ads.models import Ad, AdStatus
from marketplace.agreements.models import Agreement
from marketplace.clock import swedish_date
from marketplace.crises.models import Crisis
from marketplace.crises.services import Counts
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
        "published": swedish_date(ad.published_at).isoformat(),
        "expires": ad.expires_on.isoformat(),
        "organisation": organisation_summary(ad.organisation),
        "crisis": ad.crisis.slug if ad.crisis_id and ad.crisis else None,
    }


def organisation_to_dict(
    organisation: Organisation, agreements: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    """`agreements`: the county codes of the regional Överenskommelser it has signed (confirmed)."""
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
        "agreements": list(agreements),
        "url": organisation_url(organisation),
    }


def page_to_dict(items: list[dict[str, Any]], total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def crisis_to_dict(crisis: Crisis, today: date, counts: Counts) -> dict[str, Any]:
    return {
        "slug": crisis.slug,
        "name": crisis.name,
        "description": crisis.description,
        "lead": crisis.lead,
        "counties": None if crisis.nationwide else crisis.county_codes,  # None: all of Sweden
        "challenge": crisis.challenge,
        "starts": crisis.starts_on.isoformat(),
        "ends": crisis.last_day().isoformat(),
        "status": "active"
        if crisis.is_active(today)
        else ("ended" if crisis.has_ended(today) else "upcoming"),
        "counts": {
            "ads": counts.ads,
            "needs": counts.needs,
            "offers": counts.offers,
            "conversations": counts.conversations,
            "outcomes": counts.outcomes,
        },
        "url": external_url("crises.detail", slug=crisis.slug),
        "ads": external_url("api.ad_index", crisis=crisis.slug),
    }


def agreement_to_dict(agreement: Agreement, signatories: list[Organisation]) -> dict[str, Any]:
    return {
        "county": agreement.county_code,
        "name": agreement.name,
        "signed_year": agreement.signed_year,
        "signed": agreement.signed_on.isoformat() if agreement.signed_on else None,
        "summary": agreement.summary,
        "partners": agreement.partners or None,
        "text_url": agreement.url or None,
        "url": external_url("agreements.detail", code=agreement.county_code),
        "signatories": [organisation_summary(organisation) for organisation in signatories],
    }
