"""Facet counts, totals and orders from the search engine (search/engine.py) are the numbers
the SQL rules give."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import language
from marketplace.ads.models import Ad, AdKind, AdStatus
from marketplace.clock import today
from marketplace.organisations.models import Sector
from marketplace.search import services as search
from marketplace.search.text import query_terms
from tests import factories

WORDS = ["läxhjälp", "språkcafé", "seniorer", "lokal", "idrott", "kultur"]
PLACES = [(None, None), ("08", None), ("08", "0880"), ("08", "0881"), ("12", None), ("12", "1280")]
CHALLENGES = ["integration", "education", "mental-health", "loneliness"]


def varied_ads(count: int = 40) -> None:
    rng = random.Random(7)  # noqa: S311  repeatable test data, not secrets
    organisations = [
        factories.organisation(sector=sector, county_code=county, municipality_code=municipality)
        for sector, (county, municipality) in itertools.product(
            list(Sector), [("08", "0880"), ("12", "1280")]
        )
    ]
    for number in range(count):
        county, municipality = rng.choice(PLACES)
        status = AdStatus.OPEN if rng.random() < 0.8 else AdStatus.PARTNER_FOUND
        expires = today() + timedelta(days=rng.choice([-3, 10, 60]))
        seeks = rng.sample([True, False, rng.random() < 0.5], 3)
        factories.ad(
            org=rng.choice(organisations),
            kind=rng.choice(list(AdKind)),
            title=" ".join(rng.sample(WORDS, 2)) + f" {number}",
            body=" ".join(rng.sample(WORDS, 3)),
            county_code=county,
            municipality_code=municipality,
            seeks_public=seeks[0],
            seeks_civil=seeks[1],
            seeks_business=seeks[2],
            status=status,
            expires_on=expires,
            challenges=tuple(rng.sample(CHALLENGES, rng.randint(1, 3))),
        )


def both_ways(query: search.AdQuery) -> tuple[dict, dict]:
    """The engine's facet counts, and the SQL rules' over the same words."""
    terms = query_terms(query.text)
    expected = search._facets(query, search._text_match(terms) if terms else None)
    return search.search_ads(query).facets, expected


def random_queries(count: int, seed: int) -> list[search.AdQuery]:
    rng = random.Random(seed)  # noqa: S311  repeatable test data, not secrets
    queries = [search.AdQuery()]
    for _ in range(count):
        query = search.AdQuery(
            text=" ".join(rng.sample([*WORDS, "sprak", "xyz"], rng.randint(0, 2))),
            sort=rng.choice(search.SORTS),
        )
        if rng.random() < 0.5:
            query.kinds = rng.sample(list(AdKind), rng.randint(1, 2))
        if rng.random() < 0.5:
            query.challenges = rng.sample(CHALLENGES, rng.randint(1, 2))
        if rng.random() < 0.6:
            query.county, query.municipality = rng.choice(PLACES)
        if rng.random() < 0.4:
            query.seeking = rng.sample(list(Sector), rng.randint(1, 2))
        if rng.random() < 0.4:
            query.sectors = rng.sample(list(Sector), rng.randint(1, 2))
        queries.append(query)
    return queries


def engine_and_sql(query: search.AdQuery, page: int, per_page: int) -> tuple:
    """The engine's answer, and the SQL rules' answer over the ads the engine's words found
    (the words themselves differ by design: the engine has the Swedish analysis)."""
    result = search.search_ads(query, page, per_page)
    found = search.search_ads(
        search.AdQuery(text=query.text, sort="newest"), 1, 100, with_facets=False
    )
    text = None
    if language.query_terms(query.text):
        text = search._TextMatch(condition=Ad.id.in_([ad.id for ad in found.items]))
    conditions = search._conditions(query, text)
    statement = search._order_by(
        sa.select(Ad.id).where(*conditions), result.sort if result.sort != "relevance" else "", None
    )
    expected_ids = list(
        search.db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page))
    )
    expected_total = search.db.session.scalar(sa.select(sa.func.count(Ad.id)).where(*conditions))
    return result, expected_ids, expected_total, search._facets(query, text)


@pytest.mark.parametrize("seed", [23, 29])
def test_the_engines_totals_pages_and_facets_are_the_sql_rules_results(app, seed):
    varied_ads(60)
    for query in random_queries(40, seed=seed):
        for page, per_page in ((1, 20), (2, 3), (50, 20)):
            result, expected_ids, expected_total, facets = engine_and_sql(query, page, per_page)
            assert result.total == expected_total, query
            assert result.facets == facets, query
            if result.sort == "relevance":  # the tiers and BM25 decide: the same ads, at least
                continue
            assert [ad.id for ad in result.items] == expected_ids, (query, page, per_page)


def test_relevance_pages_never_overlap_and_cover_every_hit(app):
    varied_ads(60)
    query = search.AdQuery(text="lokal", sort="relevance")
    total = search.search_ads(query).total
    seen = []
    for page in range(1, total // 3 + 2):
        seen += [ad.id for ad in search.search_ads(query, page, 3, with_facets=False).items]
    assert len(seen) == len(set(seen)) == total


def test_an_ad_closed_behind_the_snapshots_back_is_not_listed(app):
    from marketplace.extensions import db

    org = factories.organisation()
    kept = factories.ad(org=org, title="Läxhjälp i biblioteket")
    closed = factories.ad(org=org, title="Läxhjälp på fritidsgården")
    assert search.search_ads(search.AdQuery(text="läxhjälp")).total == 2
    # Another process closes it: this process's snapshot does not know yet.
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Ad).where(Ad.id == closed.id).values(status=AdStatus.PARTNER_FOUND)
        )
    db.session.expire_all()
    result = search.search_ads(search.AdQuery(text="läxhjälp"))
    assert [ad.id for ad in result.items] == [kept.id]


def test_a_municipality_outside_the_chosen_county_is_ignored_alike(app):
    varied_ads(20)
    got, expected = both_ways(search.AdQuery(county="12", municipality="0880"))
    assert got == expected
    assert got["municipality"]


def test_the_search_page_counts_a_new_ad_in_its_facets_at_once(client):
    org = factories.organisation(sector=Sector.PUBLIC)
    factories.ad(org=org, kind=AdKind.OFFER, title="Lokal för föreningar")
    page = client.get("/annonser?q=lokal").get_data(as_text=True)
    assert "Erbjuder (1)" in page
    factories.ad(org=org, kind=AdKind.OFFER, title="Lokal att låna")
    page = client.get("/annonser?q=lokal").get_data(as_text=True)
    assert "Erbjuder (2)" in page
