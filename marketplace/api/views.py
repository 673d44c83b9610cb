"""Read-only JSON API for other systems at /api/v1: ads, organisations and its OpenAPI description.

No authentication and no CSRF (nothing here changes state). It calls the same read services
as the HTML pages, so the API and the site always agree on what a search finds.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from marketplace.ads import services as ad_services
from marketplace.ads.models import AdKind
from marketplace.agreements import services as agreements
from marketplace.api import openapi, params, serializers
from marketplace.api.params import BadParameter
from marketplace.clock import today
from marketplace.crises import services as crises
from marketplace.extensions import db
from marketplace.matching import services as matching
from marketplace.organisations import services as organisation_services
from marketplace.organisations.models import Organisation, OrganisationChallenge, Sector
from marketplace.reference import challenges
from marketplace.search.services import AdQuery, search_ads

bp = Blueprint("api", __name__, url_prefix="/api/v1")

LIST_CACHE = 60  # seconds: lists may be a minute old, which spares the database under polling
SECTORS = [sector.value for sector in Sector]
KINDS = [kind.value for kind in AdKind]


def _cached(response: Response, seconds: int) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = seconds
    return response


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter):
    return jsonify(error="bad_request", message=error.message, parameter=error.parameter), 400


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Every error under /api/v1 as JSON: {"error": "not_found", "message": "..."}."""
    code = (error.name or "error").lower().replace(" ", "_").replace("'", "")
    messages = {
        404: _("Det finns ingenting på den här adressen."),
        405: _("API:t går bara att läsa (GET)."),
    }
    response = jsonify(error=code, message=messages.get(error.code or 0, error.description))
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response, error.code or 500


@bp.get("/")
def index():
    return jsonify(
        openapi=url_for("api.openapi_document", _external=True),
        ads=url_for("api.ad_index", _external=True),
        organisations=url_for("api.organisation_index", _external=True),
        crises=url_for("api.crisis_index", _external=True),
        agreements=url_for("api.agreement_index", _external=True),
    )


@bp.get("/ads")
def ad_index():
    args = request.args
    text = params.text(args)
    county, municipality = params.area(args)
    query = AdQuery(
        text=text,
        kinds=params.choices(args, "kind", KINDS, AdKind),
        challenges=params.choices(args, "challenge", challenges()),
        county=county,
        municipality=municipality,
        seeking=params.choices(args, "seeking", SECTORS, Sector),
        sectors=params.choices(args, "sector", SECTORS, Sector),
        sort="relevance" if text else "newest",
        crisis=_crisis_param(args),
    )
    paging = params.page(args)
    result = search_ads(query, page=paging.page, per_page=paging.per_page, with_facets=False)
    day = today()
    items = [serializers.ad_to_dict(ad, day) for ad in result.items]
    body = serializers.page_to_dict(items, result.total, paging.page, paging.per_page)
    return _cached(jsonify(body), LIST_CACHE)


def _crisis_param(args) -> str | None:
    """?crisis=<slug>: a crisis that exists (active or ended), else 400."""
    slug = (args.get("crisis") or "").strip()
    if not slug:
        return None
    if crises.crisis_by_slug(slug) is None:
        raise BadParameter("crisis", _("Det finns ingen kris med den adressen."))
    return slug


def _visible_ad_or_404(ad_id: int):
    """The ad, unless there is none or a moderator hid it (or its organisation): then 404, the
    same answer as for an id that never existed (the API has no logged-in members to show it to)."""
    ad = ad_services.get_ad(ad_id)
    if ad is None or ad.is_hidden:
        abort(404)
    return ad


@bp.get("/ads/<int:ad_id>")
def ad_detail(ad_id: int):
    """Any ad that exists, closed or expired ones too (with their status); else 404."""
    ad = _visible_ad_or_404(ad_id)
    return _cached(jsonify(serializers.ad_to_dict(ad, today())), LIST_CACHE)


MATCH_LIMIT = 10
MAX_MATCH_LIMIT = 50
LANGUAGES = ["sv", "en"]


@bp.get("/ads/<int:ad_id>/matches")
def ad_matches(ad_id: int):
    """Open ads of other organisations that complement this one, best first, with reasons.

    Closed or expired ads have no matches (an empty list). Reasons are Swedish, or English
    with lang=en.
    """
    limit = params.number(request.args, "limit", MATCH_LIMIT, MAX_MATCH_LIMIT)
    [language] = params.choices(request.args, "lang", LANGUAGES)[:1] or ["sv"]
    ad = _visible_ad_or_404(ad_id)
    day = today()
    with force_locale(language):
        items = [
            {
                "ad": serializers.ad_to_dict(match.ad, day),
                "score": round(match.score, 2),
                "reasons": match.describe(own=False),
            }
            for match in matching.find_matches(ad, limit=limit)
        ]
    return _cached(jsonify(items=items), LIST_CACHE)


@bp.get("/organisations")
def organisation_index():
    args = request.args
    county, municipality = params.area(args)
    sectors = params.choices(args, "sector", SECTORS, Sector)
    wanted = params.choices(args, "challenge", challenges())
    # The directory's own query (same free text as the HTML page); it filters on one sector
    # and one challenge, so several values are added here as IN conditions.
    query = organisation_services.directory_query(
        organisation_services.DirectoryFilters(
            q=params.text(args),
            county=county,
            municipality=municipality,
            sector=sectors[0] if len(sectors) == 1 else None,
            challenge=wanted[0] if len(wanted) == 1 else None,
        )
    )
    if len(sectors) > 1:
        query = query.where(Organisation.sector.in_(sectors))
    if len(wanted) > 1:
        query = query.where(
            Organisation.id.in_(
                sa.select(OrganisationChallenge.organisation_id).where(
                    OrganisationChallenge.challenge.in_(wanted)
                )
            )
        )
    paging = params.page(args)
    found = db.paginate(query, page=paging.page, per_page=paging.per_page, error_out=False)
    signed = agreements.confirmed_map(organisation.id for organisation in found.items)
    items = [
        serializers.organisation_to_dict(organisation, signed.get(organisation.id, []))
        for organisation in found.items
    ]
    body = serializers.page_to_dict(items, found.total or 0, paging.page, paging.per_page)
    return _cached(jsonify(body), LIST_CACHE)


@bp.get("/organisations/<int:organisation_id>")
def organisation_detail(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.is_hidden:  # hidden by a moderator: as if missing
        abort(404)
    body = serializers.organisation_to_dict(
        organisation, agreements.confirmed_counties(organisation.id)
    )
    return _cached(jsonify(body), LIST_CACHE)


@bp.get("/crises")
def crisis_index():
    """Every crisis, active and ended, newest first, with its counties, dates and counts."""
    found = crises.all_crises()
    counts = crises.counts([crisis.id for crisis in found])
    day = today()
    items = [serializers.crisis_to_dict(crisis, day, counts[crisis.id]) for crisis in found]
    return _cached(jsonify(items=items), LIST_CACHE)


@bp.get("/crises/<slug>")
def crisis_detail(slug: str):
    crisis = crises.crisis_by_slug(slug)
    if crisis is None:
        abort(404)
    body = serializers.crisis_to_dict(crisis, today(), crises.counts([crisis.id])[crisis.id])
    return _cached(jsonify(body), LIST_CACHE)


@bp.get("/agreements")
def agreement_index():
    """The regional Överenskommelser and their confirmed signatories."""
    items = [
        serializers.agreement_to_dict(
            agreement,
            [
                item.organisation
                for item in agreements.signatories(agreement.county_code, confirmed=True)
            ],
        )
        for agreement in agreements.all_agreements()
    ]
    return _cached(jsonify(items=items), LIST_CACHE)


@bp.get("/openapi.json")
def openapi_document():
    return _cached(jsonify(openapi.document()), 3600)


@bp.get("/<path:unknown>")
def not_here(unknown: str):
    """Unknown paths answer 404 as JSON (not the site's HTML error page).

    GET only: a rule that took writes would make OPTIONS and 405 answers advertise POST, PUT …
    for every API path. Writes get their JSON 405 (with an honest Allow) from errors.py.
    """
    abort(404)
