"""Ad search: the one query both the /annonser page and the JSON API use.

CONTRACT (kept stable for the HTML views, the API and the feed):
    search_ads(AdQuery, page=1, per_page=20) -> AdSearchResult
Only open, unexpired ads are ever returned. Relevance order when `text` is given, else newest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.ads.models import Ad, AdChallenge, AdKind, AdStatus
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Sector

SORTS = ("relevance", "newest", "expiring")


@dataclass
class AdQuery:
    text: str = ""
    kinds: list[AdKind] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)  # any of these slugs
    county: str | None = None  # two-digit SCB code
    municipality: str | None = None  # four-digit SCB code
    seeking: list[Sector] = field(default_factory=list)  # the partner sector the ad wants
    sectors: list[Sector] = field(default_factory=list)  # the posting organisation's sector
    sort: str = "relevance"


@dataclass
class AdSearchResult:
    items: list[Ad]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # filter -> value -> count

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_ads(query: AdQuery, page: int = 1, per_page: int = 20) -> AdSearchResult:
    """PLACEHOLDER with plain filters; the full-text implementation replaces it."""
    statement = sa.select(Ad).where(Ad.status == AdStatus.OPEN, Ad.expires_on >= utcnow().date())
    if query.kinds:
        statement = statement.where(Ad.kind.in_(query.kinds))
    if query.challenges:
        statement = statement.where(
            Ad.id.in_(
                sa.select(AdChallenge.ad_id).where(AdChallenge.challenge.in_(query.challenges))
            )
        )
    if query.county:
        statement = statement.where(Ad.county_code == query.county)
    if query.municipality:
        statement = statement.where(Ad.municipality_code == query.municipality)
    if query.sectors:
        statement = statement.join(Ad.organisation).where(Organisation.sector.in_(query.sectors))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    items = db.session.scalars(
        statement.options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
        .order_by(Ad.published_at.desc(), Ad.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return AdSearchResult(items=list(items), total=total, page=page, per_page=per_page)
