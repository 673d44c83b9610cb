"""Ad search: the one query the /annonser page, its Atom feed and the JSON API all use.

CONTRACT (kept stable for the HTML views, the API and the feed):
    search_ads(AdQuery, page=1, per_page=20, *, with_facets=True) -> AdSearchResult

Rules:
* Only open ads with expires_on >= today (Swedish date) are ever returned.
* Full text: every word of `text` must match (AND); a word matches any of its stems (OR); the
  last word also matches as a prefix, so results follow the user's typing. Input never reaches
  the index query language unquoted, so no input can inject operators.
  SQLite uses the FTS5 table fts_ad (bm25), PostgreSQL to_tsvector('simple', search_terms)
  (ts_rank); both return the same set of ads for the same data.
* Place: a county filter also finds ads for all of Sweden; a municipality filter also finds ads
  for its whole county and for all of Sweden (an ad is relevant wherever it applies).
* Several values of one filter mean "any of them"; different filters combine with AND.
* Order: relevance (when there is text; else newest), newest, or expiring soonest; ties are
  broken by published_at desc, id desc, so pages never overlap.
* Facets are disjunctive: for each filter, the count of matching open ads per value given the
  text and all the OTHER filters (so a ticked value's siblings show what ticking them would add).

search_ads answers from the open ads' bitsets (search/facets.py): the full-text index is asked
which ads the words find, everything else is bit arithmetic, and only the page's ads are read.
`_sql_page` and `_facets` below are the same rules as SQL queries, the reference the tests hold
the bitsets to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace import reference
from marketplace.ads.models import Ad, AdChallenge, AdKind, open_ads_condition
from marketplace.agreements.models import Signatory
from marketplace.clock import today
from marketplace.crises import rules as crisis_rules
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import facets
from marketplace.search import index as search_index
from marketplace.search import text as search_text

SORTS = ("relevance", "newest", "expiring")
MAX_PAGE = 10_000  # deeper pages are no use to anyone and would make OFFSET expensive
MAX_PER_PAGE = 100

# Facet names (the same words as the search page's query parameters).
FACETS = ("kind", "challenge", "county", "municipality", "seeking", "sector")

_SEEKS_COLUMNS = {
    Sector.PUBLIC: Ad.seeks_public,
    Sector.CIVIL: Ad.seeks_civil,
    Sector.BUSINESS: Ad.seeks_business,
}


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
    crisis: str | None = None  # a crisis's slug: only the ads tagged to it
    signatories: bool = False  # only ads by confirmed signatories of an Överenskommelse


@dataclass
class AdSearchResult:
    items: list[Ad]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # filter -> value -> count
    sort: str = (
        "newest"  # the order actually used ("relevance" falls back to "newest" without text)
    )

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return max(1, min(self.page - 1, self.pages))

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class _TextMatch:
    condition: sa.ColumnElement[bool]
    ranked: sa.Subquery | None = None  # SQLite: (ad_id, score), lower score is better
    rank: sa.ColumnElement | None = None  # PostgreSQL: higher is better


def _text_match(terms: list[tuple[str, ...]]) -> _TextMatch:
    if db.session.get_bind().dialect.name == "postgresql":
        vector = sa.func.to_tsvector(sa.literal_column("'simple'"), Ad.search_terms)
        wanted = sa.func.to_tsquery(sa.literal_column("'simple'"), search_index.tsquery(terms))
        return _TextMatch(condition=vector.op("@@")(wanted), rank=sa.func.ts_rank(vector, wanted))
    matches = sa.literal_column("fts_ad").op("MATCH")(search_index.fts5_query(terms))
    ranked = (
        sa.select(
            search_index.FTS.c.rowid.label("ad_id"),
            sa.func.bm25(sa.literal_column("fts_ad")).label("score"),
        )
        .where(matches)
        .subquery("ranked")
    )
    return _TextMatch(
        condition=Ad.id.in_(sa.select(search_index.FTS.c.rowid).where(matches)), ranked=ranked
    )


def _place(query: AdQuery) -> tuple[str | None, str | None]:
    """The county and municipality to filter on; a municipality implies its county."""
    municipality = reference.municipalities().get(query.municipality or "")
    county = query.county if query.county in reference.counties() else None
    if municipality is None:
        return county, None
    if county and municipality.county_code != county:
        return county, None  # a municipality outside the chosen county is ignored
    return municipality.county_code, municipality.code


def _conditions(
    query: AdQuery, text: _TextMatch | None, skip: str | None = None
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for open ads matching the query, leaving out the filter named `skip`."""
    conditions: list[sa.ColumnElement[bool]] = [open_ads_condition()]
    if text is not None:
        conditions.append(text.condition)
    if query.kinds and skip != "kind":
        conditions.append(Ad.kind.in_(query.kinds))
    if query.challenges and skip != "challenge":
        conditions.append(
            Ad.id.in_(
                sa.select(AdChallenge.ad_id).where(AdChallenge.challenge.in_(query.challenges))
            )
        )
    county, municipality = _place(query)
    if county and skip != "county":
        if municipality and skip != "municipality":
            conditions.append(
                sa.or_(
                    Ad.municipality_code == municipality,
                    sa.and_(Ad.county_code == county, Ad.municipality_code.is_(None)),
                    Ad.county_code.is_(None),
                )
            )
        else:
            conditions.append(sa.or_(Ad.county_code == county, Ad.county_code.is_(None)))
    if query.seeking and skip != "seeking":
        conditions.append(sa.or_(*(_SEEKS_COLUMNS[sector].is_(True) for sector in query.seeking)))
    if query.sectors and skip != "sector":
        conditions.append(
            Ad.organisation_id.in_(
                sa.select(Organisation.id).where(Organisation.sector.in_(query.sectors))
            )
        )
    if query.crisis:
        conditions.append(Ad.crisis_id.in_(_crisis_ids(query.crisis)))
    if query.signatories:
        conditions.append(Ad.organisation_id.in_(_signatory_ids()))
    return conditions


def _crisis_ids(slug: str) -> sa.Select:
    return sa.select(Crisis.id).where(Crisis.slug == slug)


def _signatory_ids() -> sa.Select:
    """Organisations confirmed as signatories of a region's Överenskommelse (marketplace.agreements)."""
    return sa.select(Signatory.organisation_id).where(Signatory.confirmed_at.is_not(None))


def _facets(query: AdQuery, text: _TextMatch | None) -> dict[str, dict[str, int]]:
    """Counts per filter value given the text and the other filters: one grouped query each."""
    session = db.session
    facets: dict[str, dict[str, int]] = {}

    rows = session.execute(
        sa.select(Ad.kind, sa.func.count())
        .where(*_conditions(query, text, skip="kind"))
        .group_by(Ad.kind)
    )
    facets["kind"] = {kind.value: count for kind, count in rows}

    rows = session.execute(
        sa.select(AdChallenge.challenge, sa.func.count(sa.distinct(AdChallenge.ad_id)))
        .join(Ad, Ad.id == AdChallenge.ad_id)
        .where(*_conditions(query, text, skip="challenge"))
        .group_by(AdChallenge.challenge)
    )
    facets["challenge"] = dict(rows.all())

    by_county = dict(
        session.execute(
            sa.select(Ad.county_code, sa.func.count())
            .where(*_conditions(query, text, skip="county"))
            .group_by(Ad.county_code)
        ).all()
    )
    nationwide = by_county.pop(None, 0)
    facets["county"] = {
        code: by_county.get(code, 0) + nationwide
        for code in reference.counties()
        if by_county.get(code, 0) + nationwide
    }

    county, _municipality = _place(query)
    facets["municipality"] = {}
    if county:
        by_municipality = dict(
            session.execute(
                sa.select(Ad.municipality_code, sa.func.count())
                .where(*_conditions(query, text, skip="municipality"))
                .group_by(Ad.municipality_code)
            ).all()
        )
        wide = by_municipality.pop(None, 0)  # county-wide and nationwide ads count everywhere
        facets["municipality"] = {
            m.code: by_municipality.get(m.code, 0) + wide
            for m in reference.municipalities_by_county()[county]
            if by_municipality.get(m.code, 0) + wide
        }

    sums = session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(sa.case((column.is_(True), 1), else_=0)), 0)
                for column in _SEEKS_COLUMNS.values()
            )
        ).where(*_conditions(query, text, skip="seeking"))
    ).one()
    facets["seeking"] = {
        sector.value: int(count)
        for sector, count in zip(_SEEKS_COLUMNS, sums, strict=True)
        if count
    }

    rows = session.execute(
        sa.select(Organisation.sector, sa.func.count())
        .join(Ad, Ad.organisation_id == Organisation.id)
        .where(*_conditions(query, text, skip="sector"))
        .group_by(Organisation.sector)
    )
    facets["sector"] = {sector.value: count for sector, count in rows}
    return facets


def _order_by(statement: sa.Select, sort: str, text: _TextMatch | None) -> sa.Select:
    tie_break = (Ad.published_at.desc(), Ad.id.desc())
    if sort == "relevance" and text is not None and text.ranked is not None:
        return statement.join(text.ranked, text.ranked.c.ad_id == Ad.id).order_by(
            text.ranked.c.score.asc(), *tie_break
        )
    if sort == "relevance" and text is not None and text.rank is not None:
        return statement.order_by(text.rank.desc(), *tie_break)
    if sort == "expiring":
        return statement.order_by(Ad.expires_on.asc(), *tie_break)
    return statement.order_by(*tie_break)


def _sql_page(query: AdQuery, page: int, per_page: int) -> tuple[list[Ad], int]:
    """One page and the total, in SQL: the rules written out as queries.

    search_ads answers from the open ads' bitsets instead (search/facets.py); this is the
    reference the tests hold it to, like `_facets` for the facet counts.
    """
    terms = search_text.query_terms(query.text)
    text = _text_match(terms) if terms else None
    conditions = _conditions(query, text)
    total = db.session.scalar(sa.select(sa.func.count(Ad.id)).where(*conditions)) or 0
    statement = sa.select(Ad).where(*conditions)
    crisis_ids = crisis_rules.crisis_ad_ids(today(), _place(query)[0])
    if crisis_ids:  # CRISIS ORDERING, as _crisis_first_page: the crisis's ads first
        statement = statement.order_by(sa.case((Ad.id.in_(crisis_ids), 0), else_=1))
    statement = _order_by(statement, _sort(query, terms), text)
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return list(items), total


def _sort(query: AdQuery, terms: list[tuple[str, ...]]) -> str:
    sort = query.sort if query.sort in SORTS else "relevance"
    return "newest" if sort == "relevance" and not terms else sort


def _ads_in_order(ids: list[int]) -> list[Ad]:
    """The ads with these ids, in this order, with what a result list shows of them.

    The open-ads rule is applied again: the snapshot the ids came from may be a little older
    than the table (see search/facets.py).
    """
    if not ids:
        return []
    ads = db.session.scalars(
        sa.select(Ad)
        .where(Ad.id.in_(ids), open_ads_condition())
        .options(so.selectinload(Ad.organisation), so.selectinload(Ad.challenge_links))
    ).all()
    by_id = {ad.id: ad for ad in ads}
    return [by_id[ad_id] for ad_id in ids if ad_id in by_id]


def search_ads(
    query: AdQuery, page: int = 1, per_page: int = 20, *, with_facets: bool = True
) -> AdSearchResult:
    """One page of open ads matching the query, with the total and (optionally) the facet counts."""
    page = max(1, min(int(page), MAX_PAGE))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    terms = search_text.query_terms(query.text)
    sort = _sort(query, terms)
    county, municipality = _place(query)
    selection = facets.select(
        terms=terms,
        kinds=[kind.value for kind in query.kinds],
        challenges=list(query.challenges),
        county=county,
        municipality=municipality,
        seeking=[sector.value for sector in query.seeking],
        sectors=[sector.value for sector in query.sectors],
        scored=sort == "relevance",
    )
    _extra_filters(selection, query)
    found = selection.found()
    ids = _crisis_first_page(selection, found, sort, county, page, per_page)
    return AdSearchResult(
        items=_ads_in_order(ids),
        total=found.bit_count(),
        page=page,
        per_page=per_page,
        facets=facets.facet_counts(selection, county) if with_facets else {},
        sort=sort,
    )


def _extra_filters(selection: facets.Selection, query: AdQuery) -> None:
    """Filters the bitset snapshot does not hold (few ads each): read from the table per search."""
    if query.crisis:
        selection.filters["crisis"] = facets.bits(
            db.session.scalars(sa.select(Ad.id).where(Ad.crisis_id.in_(_crisis_ids(query.crisis))))
        )
    if query.signatories:
        selection.filters["signatories"] = facets.bits(
            db.session.scalars(sa.select(Ad.id).where(Ad.organisation_id.in_(_signatory_ids())))
        )


# CRISIS ORDERING (marketplace.crises). A search for a county lists the open ads tagged to an
# active crisis covering that county (or all of Sweden) first, each part in the chosen order.
# Kept to this one function and crises.rules.crisis_ad_ids, to carry over to another engine:
# "boost = ad tagged to an active crisis whose counties include the searched county".
def _crisis_first_page(
    selection: facets.Selection, found: int, sort: str, county: str | None, page: int, per_page: int
) -> list[int]:
    offset = (page - 1) * per_page
    crisis_ids = crisis_rules.crisis_ad_ids(today(), county)
    if not crisis_ids:
        return facets.page_ids(selection, found, sort, offset, per_page)
    first = found & facets.bits(crisis_ids)
    rest = found & ~first
    in_first = first.bit_count()
    ids: list[int] = []
    if offset < in_first:
        ids = facets.page_ids(selection, first, sort, offset, per_page)
    if len(ids) < per_page:
        ids += facets.page_ids(
            selection, rest, sort, max(0, offset - in_first), per_page - len(ids)
        )
    return ids
