"""What the start page and the challenge and county pages show (read-only queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.ads import services as ad_services
from marketplace.ads.models import Ad, open_ads_condition
from marketplace.caching import cached
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.insights.models import Outcome
from marketplace.organisations.models import Organisation, OrganisationChallenge
from marketplace.search.services import AdQuery, AdSearchResult, search_ads

START_PAGE_ADS = 4  # the start page stays within ~2.5 phone screens
TOPIC_PAGE_ADS = 20
TOPIC_PAGE_ORGANISATIONS = 30


@dataclass(frozen=True)
class StartFigures:
    """The start page's live figures: visible organisations, open ads, and collaborations
    reported as started in the last 12 months."""

    organisations: int
    open_ads: int
    collaborations: int


@dataclass
class StartPage:
    newest_ads: list[Ad]
    open_ads_per_challenge: dict[str, int]
    figures: StartFigures


@dataclass
class TopicPage:
    """A challenge's or a county's open ads and organisations, capped, with their totals."""

    ads: AdSearchResult
    organisations: list[Organisation]
    organisation_total: int


@cached("open_ads_per_challenge", tables={"ad", "ad_challenge"})
def open_ads_per_challenge() -> dict[str, int]:
    """Counted over every open ad: the start page's most expensive query, so it is cached."""
    return ad_services.open_ads_per_challenge()


@cached("start_figures", tables={"organisation", "ad", "outcome"})
def start_figures() -> StartFigures:
    """The three figures in one statement (the start page must stay cheap)."""
    year_ago = utcnow() - timedelta(days=365)
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.count(Organisation.id))
            .where(Organisation.hidden_at.is_(None))
            .scalar_subquery(),
            sa.select(sa.func.count(Ad.id)).where(open_ads_condition()).scalar_subquery(),
            sa.select(sa.func.count(Outcome.id))
            .where(Outcome.collaborated.is_(True), Outcome.reported_at >= year_ago)
            .scalar_subquery(),
        )
    ).one()
    return StartFigures(*(int(value or 0) for value in row))


def start_page() -> StartPage:
    return StartPage(
        newest_ads=ad_services.newest_open_ads(START_PAGE_ADS),
        open_ads_per_challenge=open_ads_per_challenge(),
        figures=start_figures(),
    )


def _organisations(condition: sa.ColumnElement[bool]) -> tuple[list[Organisation], int]:
    condition = sa.and_(condition, Organisation.hidden_at.is_(None))  # hidden by a moderator
    total = db.session.scalar(sa.select(sa.func.count(Organisation.id)).where(condition)) or 0
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(condition)
        .order_by(Organisation.verified_at.is_(None), sa.func.lower(Organisation.name))
        .limit(TOPIC_PAGE_ORGANISATIONS)
    ).all()
    return list(organisations), total


def challenge_page(slug: str) -> TopicPage:
    """Open ads addressing the challenge (newest first) and organisations working on it."""
    ads = search_ads(
        AdQuery(challenges=[slug], sort="newest"), per_page=TOPIC_PAGE_ADS, with_facets=False
    )
    organisations, total = _organisations(
        Organisation.id.in_(
            sa.select(OrganisationChallenge.organisation_id).where(
                OrganisationChallenge.challenge == slug
            )
        )
    )
    return TopicPage(ads=ads, organisations=organisations, organisation_total=total)


def county_page(code: str) -> TopicPage:
    """Open ads for the county (including those for all of Sweden) and organisations based there."""
    ads = search_ads(
        AdQuery(county=code, sort="newest"), per_page=TOPIC_PAGE_ADS, with_facets=False
    )
    organisations, total = _organisations(Organisation.county_code == code)
    return TopicPage(ads=ads, organisations=organisations, organisation_total=total)


@dataclass(frozen=True)
class Operator:
    """Who runs the service, from the SITE_OPERATOR_* settings; `demo` when they are examples."""

    name: str
    org_number: str
    address: str
    email: str
    phone: str
    privacy_email: str
    accessibility_email: str
    demo: bool


def operator() -> Operator:
    config = current_app.config
    return Operator(
        name=config["SITE_OPERATOR_NAME"],
        org_number=config["SITE_OPERATOR_ORG_NUMBER"],
        address=config["SITE_OPERATOR_ADDRESS"],
        email=config["SITE_OPERATOR_EMAIL"],
        phone=config["SITE_OPERATOR_PHONE"],
        privacy_email=config["SITE_OPERATOR_PRIVACY_EMAIL"],
        accessibility_email=config["SITE_OPERATOR_ACCESSIBILITY_EMAIL"],
        demo=bool(config["SITE_OPERATOR_DEMO"]),
    )
