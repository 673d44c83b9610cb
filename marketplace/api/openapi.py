"""The API's OpenAPI 3.1 description, built from the same enums and reference data the API checks."""

from __future__ import annotations

from typing import Any

from flask import current_app

from marketplace import reference
from marketplace.ads.models import AdKind, AdStatus
from marketplace.api.params import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH
from marketplace.organisations.models import LegalForm, Sector

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _codes() -> dict[str, list[str]]:
    return {
        "kind": [kind.value for kind in AdKind],
        "sector": [sector.value for sector in Sector],
        "challenge": list(reference.challenges()),
        "county": list(reference.counties()),
        "municipality": sorted(reference.municipalities()),
        "status": [status.value for status in AdStatus] + ["expired"],
        "form": [form.value for form in LegalForm],
    }


def _listing(values: dict[str, str]) -> str:
    return "; ".join(f"`{code}` {name}" for code, name in values.items())


def _repeatable(name: str, values: list[str], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description
        + " Repeat the parameter (or separate with commas) for any of several.",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "enum": values}},
    }


def _parameters(codes: dict[str, list[str]]) -> dict[str, Any]:
    challenge_names = {c.slug: c.name_en for c in reference.challenges().values()}
    county_names = {c.code: c.name_en for c in reference.counties().values()}
    return {
        "q": {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "Free text in Swedish; accents optional, word forms match (stemmed). "
            "Ads: results in relevance order.",
            "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
        },
        "kind": _repeatable(
            "kind", codes["kind"], "Kind of ad: `need` (söker), `offer` (erbjuder), `idea` (idé)."
        ),
        "challenge": _repeatable(
            "challenge",
            codes["challenge"],
            "Societal challenge: " + _listing(challenge_names) + ".",
        ),
        "seeking": _repeatable(
            "seeking", codes["sector"], "The partner sector the ad is looking for."
        ),
        "sector": _repeatable("sector", codes["sector"], "The sector of the organisation."),
        "county": {
            "name": "county",
            "in": "query",
            "required": False,
            "description": "Two-digit SCB county code: " + _listing(county_names) + ".",
            "schema": {"type": "string", "enum": codes["county"]},
        },
        "municipality": {
            "name": "municipality",
            "in": "query",
            "required": False,
            "description": "Four-digit SCB municipality code (e.g. `0880` Kalmar); "
            "must lie in `county` when both are given.",
            # The known codes, not just four digits: an unknown code is a 400, not a result.
            "schema": {"type": "string", "enum": codes["municipality"]},
        },
        "crisis": {
            "name": "crisis",
            "in": "query",
            "required": False,
            "description": "A crisis's slug (see `/crises`): only the ads tagged to it. An "
            "unknown slug is a 400.",
            "schema": {"type": "string", "maxLength": 80},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "How many matches, best first.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
        },
        "lang": {
            "name": "lang",
            "in": "query",
            "required": False,
            "description": "Language of the match reasons: `sv` Swedish (the default) or `en` "
            "English.",
            "schema": {"type": "string", "enum": ["sv", "en"], "default": "sv"},
        },
        "page": {
            "name": "page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        },
        "per_page": {
            "name": "per_page",
            "in": "query",
            "required": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PER_PAGE,
                "default": DEFAULT_PER_PAGE,
            },
        },
    }


VERIFICATION_FIELDS = ["verified", "verified_via", "verified_at"]


def _verification_properties() -> dict[str, Any]:
    return {
        "verified": {"type": "boolean"},
        "verified_via": {
            "type": ["string", "null"],
            "enum": ["domain", "review", None],
            "description": "How: `domain` (a member proved an address on the organisation's "
            "e-mail domain) or `review` (Samverkanstorget reviewed its documents); null when "
            "not verified.",
        },
        "verified_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When it was verified (UTC); null when not verified.",
        },
    }


def _schemas(codes: dict[str, list[str]]) -> dict[str, Any]:
    nullable_string = {"type": ["string", "null"]}
    challenge_list = {"type": "array", "items": {"type": "string", "enum": codes["challenge"]}}
    county = {"type": ["string", "null"], "enum": [*codes["county"], None]}
    return {
        "AdOrganisation": {
            "type": "object",
            "required": ["id", "ref", "name", "sector", *VERIFICATION_FIELDS],
            "properties": {
                "id": {"type": "integer"},
                "ref": {**nullable_string, "description": "Import reference, if imported."},
                "name": {"type": "string"},
                "sector": {"type": "string", "enum": codes["sector"]},
                **_verification_properties(),
            },
        },
        "Ad": {
            "type": "object",
            "required": [
                "id",
                "ref",
                "url",
                "kind",
                "title",
                "body",
                "challenges",
                "county",
                "municipality",
                "seeking",
                "status",
                "published",
                "expires",
                "organisation",
                "crisis",
            ],
            "properties": {
                "id": {"type": "integer"},
                "ref": {**nullable_string, "description": "Import reference, if imported."},
                "url": {"type": "string", "format": "uri", "description": "The ad's page."},
                "kind": {"type": "string", "enum": codes["kind"]},
                "title": {"type": "string", "maxLength": 120},
                "body": {"type": "string", "maxLength": 5000},
                "challenges": challenge_list,
                "county": {**county, "description": "null: all of Sweden."},
                "municipality": {**nullable_string, "pattern": "^[0-9]{4}$"},
                "seeking": {"type": "array", "items": {"type": "string", "enum": codes["sector"]}},
                "status": {
                    "type": "string",
                    "enum": codes["status"],
                    "description": "`expired`: open, but past its `expires` date.",
                },
                "published": {"type": "string", "format": "date"},
                "expires": {"type": "string", "format": "date"},
                "organisation": _ref("AdOrganisation"),
                "crisis": {
                    **nullable_string,
                    "description": "The slug of the crisis the ad is tagged to (kept after the "
                    "crisis ends), or null.",
                },
            },
        },
        "Organisation": {
            "type": "object",
            "required": [
                "id",
                "ref",
                "name",
                "sector",
                "form",
                "org_number",
                "county",
                "municipality",
                "website",
                "email",
                "description",
                "challenges",
                *VERIFICATION_FIELDS,
                "agreements",
                "url",
            ],
            "properties": {
                "id": {"type": "integer"},
                "ref": {**nullable_string, "description": "Import reference, if imported."},
                "name": {"type": "string"},
                "sector": {"type": "string", "enum": codes["sector"]},
                "form": {"type": "string", "enum": codes["form"], "description": "Legal form."},
                "org_number": {
                    **nullable_string,
                    "pattern": "^[0-9]{6}-[0-9]{4}$",
                    "description": "Organisationsnummer, NNNNNN-NNNN.",
                },
                "county": {"type": "string", "enum": codes["county"]},
                "municipality": {**nullable_string, "pattern": "^[0-9]{4}$"},
                "website": {**nullable_string, "format": "uri"},
                "email": {**nullable_string, "format": "email"},
                "description": {"type": "string"},
                "challenges": challenge_list,
                **_verification_properties(),
                "agreements": {
                    "type": "array",
                    "items": {"type": "string", "enum": codes["county"]},
                    "description": "County codes of the regional Överenskommelser the "
                    "organisation has signed, as confirmed by the region or a moderator.",
                },
                "url": {"type": "string", "format": "uri", "description": "The profile page."},
            },
        },
        "Match": {
            "type": "object",
            "required": ["ad", "score", "reasons"],
            "properties": {
                "ad": _ref("Ad"),
                "score": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "How well the ad complements the requested one (two "
                    "decimals): shared words weigh most, then shared challenges, place, the "
                    "sectors each side seeks and the kinds (need with offer).",
                },
                "reasons": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Why they match, one sentence per component that counted, "
                    'in the language asked for, e.g. "Samma kommun: Kalmar".',
                },
            },
        },
        "MatchList": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref("Match")}},
        },
        "Crisis": {
            "type": "object",
            "required": [
                "slug",
                "name",
                "description",
                "lead",
                "counties",
                "challenge",
                "starts",
                "ends",
                "status",
                "counts",
                "url",
                "ads",
            ],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "lead": {"type": "string", "description": "Who leads the work."},
                "counties": {
                    "type": ["array", "null"],
                    "items": {"type": "string", "enum": codes["county"]},
                    "description": "null: all of Sweden.",
                },
                "challenge": {"type": "string", "enum": codes["challenge"]},
                "starts": {"type": "string", "format": "date"},
                "ends": {
                    "type": "string",
                    "format": "date",
                    "description": "Its last day (the day it was ended, if ended early).",
                },
                "status": {"type": "string", "enum": ["active", "ended", "upcoming"]},
                "counts": {
                    "type": "object",
                    "required": ["ads", "needs", "offers", "conversations", "outcomes"],
                    "properties": {
                        name: {"type": "integer"}
                        for name in ("ads", "needs", "offers", "conversations", "outcomes")
                    },
                    "description": "Tagged ads (needs, offers), conversations started from "
                    "them and collaborations reported.",
                },
                "url": {"type": "string", "format": "uri", "description": "The crisis page."},
                "ads": {"type": "string", "format": "uri", "description": "Its open ads."},
            },
        },
        "CrisisList": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref("Crisis")}},
        },
        "Agreement": {
            "type": "object",
            "required": [
                "county",
                "name",
                "signed_year",
                "signed",
                "summary",
                "partners",
                "text_url",
                "url",
                "signatories",
            ],
            "properties": {
                "county": {"type": "string", "enum": codes["county"]},
                "name": {"type": "string"},
                "signed_year": {"type": "integer"},
                "signed": {**nullable_string, "format": "date"},
                "summary": {"type": "string"},
                "partners": nullable_string,
                "text_url": {**nullable_string, "format": "uri"},
                "url": {"type": "string", "format": "uri", "description": "The agreement page."},
                "signatories": {
                    "type": "array",
                    "items": _ref("AdOrganisation"),
                    "description": "Confirmed signatories.",
                },
            },
        },
        "AgreementList": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref("Agreement")}},
        },
        "AdList": _page_of("Ad"),
        "OrganisationList": _page_of("Organisation"),
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "examples": ["not_found"]},
                "message": {"type": "string"},
            },
        },
        "BadRequest": {
            "type": "object",
            "required": ["error", "message", "parameter"],
            "properties": {
                "error": {"type": "string", "const": "bad_request"},
                "message": {"type": "string"},
                "parameter": {
                    "type": "string",
                    "description": "The query parameter that was wrong.",
                    "examples": ["per_page"],
                },
            },
        },
    }


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer", "description": "Matches on all pages."},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _params(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _paths() -> dict[str, Any]:
    bad = _json("BadRequest", "A query parameter is wrong; `parameter` names it.")
    missing = _json("Error", "No such record (content hidden by a moderator is answered alike).")
    id_parameter = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    cached = "Cached for 60 seconds (Cache-Control: public, max-age=60)."
    return {
        "/ads": {
            "get": {
                "operationId": "listAds",
                "summary": "Search open ads",
                "description": "Only open ads that have not expired. Relevance order when `q` is "
                "given, else newest first. The same search as the site's ad page. " + cached,
                "parameters": _params(
                    "q",
                    "kind",
                    "challenge",
                    "county",
                    "municipality",
                    "seeking",
                    "sector",
                    "crisis",
                    "page",
                    "per_page",
                ),
                "responses": {"200": _json("AdList", "One page of ads."), "400": bad},
            }
        },
        "/ads/{id}": {
            "get": {
                "operationId": "getAd",
                "summary": "One ad",
                "description": "Closed and expired ads are returned too, with their `status`.",
                "parameters": [id_parameter],
                "responses": {"200": _json("Ad", "The ad."), "404": missing},
            }
        },
        "/ads/{id}/matches": {
            "get": {
                "operationId": "listAdMatches",
                "summary": "Matches for an ad",
                "description": "Open ads of other organisations that complement this ad (a need "
                "with offers and ideas, an offer with needs and ideas, an idea with needs and "
                "offers), best first, each with a score from 0 to 1 and the reasons in words. "
                "Never the ad's own organisation; a closed or expired ad has no matches (empty "
                "`items`). Reasons are in Swedish unless `lang=en` is given. " + cached,
                "parameters": [id_parameter, *_params("limit", "lang")],
                "responses": {
                    "200": _json("MatchList", "The matches, best first."),
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/organisations": {
            "get": {
                "operationId": "listOrganisations",
                "summary": "Organisation directory",
                "description": "Alphabetical; `q` matches name and description like the "
                "site's directory. " + cached,
                "parameters": _params(
                    "q", "sector", "county", "municipality", "challenge", "page", "per_page"
                ),
                "responses": {
                    "200": _json("OrganisationList", "One page of organisations."),
                    "400": bad,
                },
            }
        },
        "/organisations/{id}": {
            "get": {
                "operationId": "getOrganisation",
                "summary": "One organisation",
                "parameters": [id_parameter],
                "responses": {"200": _json("Organisation", "The organisation."), "404": missing},
            }
        },
        "/crises": {
            "get": {
                "operationId": "listCrises",
                "summary": "Crises",
                "description": "Every declared crisis, active and ended, newest first, with its "
                "counties, dates and counts. " + cached,
                "responses": {"200": _json("CrisisList", "The crises.")},
            }
        },
        "/crises/{slug}": {
            "get": {
                "operationId": "getCrisis",
                "summary": "One crisis",
                "parameters": [
                    {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json("Crisis", "The crisis."), "404": missing},
            }
        },
        "/agreements": {
            "get": {
                "operationId": "listAgreements",
                "summary": "Regional Överenskommelser",
                "description": "The regions' agreements with the idea-driven sector and their "
                "confirmed signatories. " + cached,
                "responses": {"200": _json("AgreementList", "The agreements.")},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document."}},
            }
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document, with the server on the configured BASE_URL."""
    codes = _codes()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Samverkanstorget API",
            "version": VERSION,
            "description": "Read-only access to Samverkanstorget's open ads and organisation "
            "directory. No authentication. Errors are JSON: "
            '`{"error": "...", "message": "..."}`, plus `parameter` on 400. '
            "Codes: counties and municipalities are SCB codes; challenges are stable slugs.",
        },
        "servers": [{"url": current_app.config["BASE_URL"] + "/api/v1"}],
        "paths": _paths(),
        "components": {"parameters": _parameters(codes), "schemas": _schemas(codes)},
    }
