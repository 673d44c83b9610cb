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

search_ads answers from the search engine (search/engine.py, tantivy): words through the
project's Swedish analysis (marketplace.language), filters, total, page and facet counts in the
index, and only the page's ads read from the database. `_sql_page` and `_facets` below are the
same rules as SQL queries (the stems of search/text.py over ad.search_terms): the path when
SEARCH_ENGINE is "database" and the fallback whenever the index cannot answer (not built yet on
a machine that just started, unreadable): a search is never an error.

Words (engine): every word must be found, each at its best tier — itself (its lemmas), as part
of a compound ("hjälp" finds "läxhjälp"; "läxläsning" finds "läsning av läxor"), or through a
curated synonym — ranked in that order, then by BM25. A query naming a challenge also finds the
ads tagged with it, ranked below the text hits. Prefixes only while typing (AdQuery.live: the
search page's htmx requests): a submitted search, the API, saved searches and feeds match words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from marketplace import language, reference
from marketplace.ads.models import Ad, AdChallenge, AdKind, open_ads_condition
from marketplace.agreements.models import Signatory
from marketplace.clock import today
from marketplace.crises import rules as crisis_rules
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.language import english_hints
from marketplace.organisations.models import Organisation, Sector
from marketplace.search import engine
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
    live: bool = False  # typed in the live search: the last word also matches as a prefix
    crisis: str | None = None  # a crisis's slug: only the ads tagged to it
    signatories: bool = False  # only ads by confirmed signatories of an Överenskommelse


log = logging.getLogger(__name__)


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
    ids: list[int] = field(default_factory=list)  # the page's ads, in order (items: as ORM objects)

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

    search_ads answers from the search engine instead (search/engine.py) when it can; this is
    the fallback, and the reference the tests hold the engine to, like `_facets` for the facet
    counts (tests/test_performance_facets.py).
    """
    terms = search_text.query_terms(query.text)
    text = _text_match(terms) if terms else None
    conditions = _conditions(query, text)
    total = db.session.scalar(sa.select(sa.func.count(Ad.id)).where(*conditions)) or 0
    statement = sa.select(Ad).where(*conditions)
    crisis_ids = crisis_rules.crisis_ad_ids(today(), _place(query)[0])
    if crisis_ids:  # CRISIS ORDERING, as _crisis_first: the crisis's ads first
        statement = statement.order_by(sa.case((Ad.id.in_(crisis_ids), 0), else_=1))
    statement = _order_by(statement, _sort(query, terms), text)
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return list(items), total


def _sort(query: AdQuery, terms: list[tuple[str, ...]]) -> str:
    sort = query.sort if query.sort in SORTS else "relevance"
    return "newest" if sort == "relevance" and not terms else sort


def _ads_in_order(ids: list[int]) -> list[Ad]:
    """The ads with these ids, in this order, with what a result list shows of them.

    The open-ads rule is applied again: the index the ids came from may be a second behind the
    table (search/engine.py).
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
    query: AdQuery,
    page: int = 1,
    per_page: int = 20,
    *,
    with_facets: bool = True,
    load_items: bool = True,
) -> AdSearchResult:
    """One page of open ads matching the query, with the total and (optionally) the facet counts.

    `ids` always holds the page's ads; `items` holds them as ORM objects unless `load_items` is
    False (the search page draws its cards from plain rows and the cache, ads/cards.py)."""
    page = max(1, min(int(page), MAX_PAGE))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    if current_app.config["SEARCH_ENGINE"] == "tantivy":
        try:
            return _engine_search(
                query, page, per_page, with_facets=with_facets, load_items=load_items
            )
        except engine.Unavailable as why:
            log.info("search from the database: %s", why)
        except BaseException as error:  # tantivy's panics are BaseExceptions (pyo3)
            if isinstance(error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            log.exception("search index failed; searching the database instead")
    return _database_search(query, page, per_page, with_facets=with_facets)


def _engine_search(
    query: AdQuery, page: int, per_page: int, *, with_facets: bool, load_items: bool = True
) -> AdSearchResult:
    if current_app.config["SEARCH_INDEX_SYNC"]:
        engine.get().catch_up()
    analysed = language.query_terms(query.text, prefix_last=query.live)
    sort = query.sort if query.sort in SORTS else "relevance"
    if sort == "relevance" and not analysed:
        sort = "newest"
    county, municipality = _place(query)
    filters = engine.Filters(
        kinds=[kind.value for kind in query.kinds],
        challenges=list(query.challenges),
        county=county,
        municipality=municipality,
        seeking=[sector.value for sector in query.seeking],
        sectors=[sector.value for sector in query.sectors],
        ad_ids=_crisis_ad_ids(query.crisis) if query.crisis else None,
        org_ids=_signatory_org_ids() if query.signatories else None,
    )
    offset = (page - 1) * per_page
    crisis_ids = crisis_rules.crisis_ad_ids(today(), county)
    if crisis_ids:
        ids, total, facets = _crisis_first(
            analysed, filters, crisis_ids, sort, offset, per_page, with_facets=with_facets
        )
    else:
        answer = engine.search(analysed, filters, sort, offset, per_page, with_facets=with_facets)
        ids, total, facets = answer.ids, answer.total, answer.facets
    return AdSearchResult(
        items=_ads_in_order(ids) if load_items else [],
        ids=list(ids),
        total=total,
        page=page,
        per_page=per_page,
        facets=facets,
        sort=sort,
    )


def _crisis_ad_ids(slug: str) -> list[int]:
    return list(db.session.scalars(sa.select(Ad.id).where(Ad.crisis_id.in_(_crisis_ids(slug)))))


def _signatory_org_ids() -> list[int]:
    return list(db.session.scalars(_signatory_ids()))


# CRISIS ORDERING (marketplace.crises). A search for a county lists the open ads tagged to an
# active crisis covering that county (or all of Sweden) first, each part in the chosen order.
# The ids come from crises.rules.crisis_ad_ids(today, county) (few: one crisis's ads); the
# engine is asked for the page's crisis part, then for the rest without them, and once more
# for the total and facets of the whole search. _sql_page orders the same way in SQL.
def _crisis_first(
    analysed,
    filters: engine.Filters,
    crisis_ids: list[int],
    sort: str,
    offset: int,
    limit: int,
    *,
    with_facets: bool,
) -> tuple[list[int], int, dict]:
    whole = engine.search(analysed, filters, sort, 0, 1, with_facets=with_facets)
    wanted = set(crisis_ids) if filters.ad_ids is None else set(crisis_ids) & set(filters.ad_ids)
    first = engine.search(
        analysed, replace(filters, ad_ids=sorted(wanted)), sort, offset, limit, with_facets=False
    )
    ids = list(first.ids)
    if len(ids) < limit:
        rest = engine.search(
            analysed,
            replace(filters, exclude_ids=sorted(wanted)),
            sort,
            max(0, offset - first.total),
            limit - len(ids),
            with_facets=False,
        )
        ids += rest.ids
    return ids, whole.total, whole.facets


@dataclass(frozen=True)
class Relaxation:
    """A search one step wider than an empty one, and how many open ads it would find.

    `field` and `value` name the filter to drop ("kind", "offer"); for a word, `field` is "q"
    and `value` the text to search for instead (one of the words, or the Swedish word for an
    English one: `english` is then the word typed)."""

    field: str
    value: str
    total: int
    english: str = ""


MAX_WORD_SUGGESTIONS = 3


def _count(query: AdQuery) -> int:
    return search_ads(query, page=1, per_page=1, with_facets=False, load_items=False).total


def relaxations(query: AdQuery) -> list[Relaxation]:
    """For a search that found nothing: each filter dropped, each word alone, English words in
    Swedish; only those that would find something, most results first (a few cheap counts)."""
    found: list[Relaxation] = []
    filters: list[tuple[str, str, AdQuery]] = []
    for kind in query.kinds:
        filters.append(
            ("kind", kind.value, _without(query, kinds=[k for k in query.kinds if k != kind]))
        )
    for slug in query.challenges:
        filters.append(
            (
                "challenge",
                slug,
                _without(query, challenges=[c for c in query.challenges if c != slug]),
            )
        )
    if query.municipality:
        filters.append(("municipality", query.municipality, _without(query, municipality=None)))
    elif query.county:
        filters.append(("county", query.county, _without(query, county=None)))
    for sector in query.seeking:
        filters.append(
            (
                "seeking",
                sector.value,
                _without(query, seeking=[s for s in query.seeking if s != sector]),
            )
        )
    for sector in query.sectors:
        filters.append(
            (
                "sector",
                sector.value,
                _without(query, sectors=[s for s in query.sectors if s != sector]),
            )
        )
    for name, value, wider in filters:
        total = _count(wider)
        if total:
            found.append(Relaxation(name, value, total))
    if len(filters) > 1 and not found:
        unfiltered = AdQuery(text=query.text, sort=query.sort)
        total = _count(unfiltered)
        if total:
            found.append(Relaxation("all", "", total))
    typed = query.text.split()
    for english, swedish in english_hints(query.text):
        text = " ".join(swedish if word.lower() == english else word for word in typed)
        total = _count(_without(query, text=text))
        if not total and text != swedish:  # "homework help": "läxhjälp help" may find nothing
            text = swedish
            total = _count(_without(query, text=text))
        if total:
            found.append(Relaxation("q", text, total, english=english))
    if len(typed) > 1:
        for word in sorted(set(typed), key=len, reverse=True)[:MAX_WORD_SUGGESTIONS]:
            total = _count(_without(query, text=word))
            if total:
                found.append(Relaxation("q", word, total))
    return sorted(found, key=lambda item: (item.field != "q" or not item.english, -item.total))


def _without(query: AdQuery, **changes) -> AdQuery:
    return replace(query, **changes)


def _database_search(
    query: AdQuery, page: int, per_page: int, *, with_facets: bool
) -> AdSearchResult:
    """The same search in SQL (the fallback): slower at scale, the same filters and counts."""
    terms = search_text.query_terms(query.text)
    items, total = _sql_page(query, page, per_page)
    return AdSearchResult(
        items=items,
        ids=[ad.id for ad in items],
        total=total,
        page=page,
        per_page=per_page,
        facets=_facets(query, _text_match(terms) if terms else None) if with_facets else {},
        sort=_sort(query, terms),
    )
