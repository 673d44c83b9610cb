"""Match candidates come from the search index; the database gives the same ones when a machine
has no index yet (matching/candidates.py)."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdKind, AdStatus, open_ads_condition
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.matching import candidates, services
from marketplace.matching.scoring import Profile
from marketplace.matching.terms import ad_terms, term_stats
from marketplace.organisations.models import Sector
from marketplace.search import engine
from tests import factories

WORDS = [
    "läxhjälp", "arabiska", "språkcafé", "seniorer", "lokal", "idrott", "fotboll", "tolkar",
    "matkasse", "cyklar", "trädgård", "odling", "körsång", "schack",
]  # fmt: skip
PLACES = [(None, None), ("08", None), ("08", "0880"), ("08", "0881"), ("07", None),
          ("12", None), ("12", "1280"), ("25", "2584")]  # fmt: skip
CHALLENGES = ["integration", "education", "mental-health", "loneliness", "elderly"]


def varied_ads(count: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311  repeatable test data, not secrets
    organisations = [
        factories.organisation(sector=sector, county_code=county, municipality_code=municipality)
        for sector, (county, municipality) in itertools.product(
            list(Sector), [("08", "0880"), ("12", "1280"), ("07", None)]
        )
    ]
    for number in range(count):
        county, municipality = rng.choice(PLACES)
        factories.ad(
            org=rng.choice(organisations),
            kind=rng.choice(list(AdKind)),
            title=" ".join(rng.sample(WORDS, 2)) + f" nummer {number}",
            body="Vi vill ha " + " och ".join(rng.sample(WORDS, 3)) + ".",
            county_code=county,
            municipality_code=municipality,
            seeks_public=rng.random() < 0.5,
            seeks_civil=rng.random() < 0.5,
            seeks_business=rng.random() < 0.3,
            status=AdStatus.OPEN if rng.random() < 0.85 else AdStatus.PARTNER_FOUND,
            expires_on=today() + timedelta(days=rng.choice([-2, 20, 90])),
            challenges=tuple(rng.sample(CHALLENGES, rng.randint(0, 3))),
        )


def open_ads() -> list[Ad]:
    return list(db.session.scalars(sa.select(Ad).where(open_ads_condition()).order_by(Ad.id)))


@pytest.mark.parametrize(
    ("seed", "cap", "near_only_above"),
    [(3, 500, 20_000), (5, 6, 20_000), (8, 4, 0), (13, 1, 0)],
)
def test_the_index_and_the_database_give_the_same_candidates_in_the_same_order(
    app, monkeypatch, seed, cap, near_only_above
):
    """A small cap makes the cut fall among equal pre-scores: the newer ads are kept either way."""
    monkeypatch.setattr(candidates, "CANDIDATE_CAP", cap)
    monkeypatch.setattr(candidates, "NEAR_ONLY_ABOVE", near_only_above)
    varied_ads(70, seed)
    stats = term_stats()
    index, database = candidates.IndexSource(), candidates.DatabaseSource()
    compared = 0
    for ad in open_ads():
        terms = ad_terms(ad)
        from_index = candidates.find(ad, terms, stats, using=index)
        from_database = candidates.find(ad, terms, stats, using=database)
        assert from_index == from_database, ad.title
        assert len(from_index) <= cap
        compared += bool(from_index)
    assert compared > 20  # most ads have candidates: the comparison compared something


def test_a_candidates_kind_place_sectors_and_challenges_are_read_from_the_index_as_stored(app):
    varied_ads(40, seed=21)
    stats = term_stats()
    seen = 0
    for ad in open_ads():
        for candidate in candidates.find(ad, ad_terms(ad), stats, using=candidates.IndexSource()):
            assert candidate.profile() == Profile.of(db.session.get(Ad, candidate.id))
            seen += 1
    assert seen > 50


def test_closed_expired_and_own_ads_are_never_candidates(app):
    org = factories.organisation(sector=Sector.CIVIL, county_code="08")
    other = factories.organisation(sector=Sector.PUBLIC, county_code="08")
    ours = factories.ad(org=org, title="Läxhjälp på arabiska", kind=AdKind.NEED)
    same_org = factories.ad(org=org, title="Läxhjälp på arabiska igen", kind=AdKind.OFFER)
    kept = factories.ad(org=other, title="Vi ger läxhjälp på arabiska", kind=AdKind.OFFER)
    closed = factories.ad(org=other, title="Läxhjälp, arabiska", kind=AdKind.OFFER)
    expired = factories.ad(org=other, title="Arabisk läxhjälp", kind=AdKind.OFFER)
    stats = term_stats()
    before = {c.id for c in candidates.find(ours, ad_terms(ours), stats)}
    assert before == {kept.id, closed.id, expired.id}
    closed.status = AdStatus.PARTNER_FOUND
    expired.expires_on = today() - timedelta(days=1)
    db.session.commit()
    for source in (candidates.IndexSource(), candidates.DatabaseSource()):
        found = {c.id for c in candidates.find(ours, ad_terms(ours), stats, using=source)}
        assert found == {kept.id}, source
    assert same_org.id not in before


def test_a_machine_without_an_index_matches_from_the_database_then_from_the_index(
    make_app, tmp_path
):
    """A fresh machine: until the worker has built the index, matching reads the database."""
    make_app(SEARCH_INDEX_SYNC=False, SEARCH_INDEX_DIR=str(tmp_path / "empty"))
    civil = factories.organisation(sector=Sector.CIVIL, county_code="08")
    public = factories.organisation(sector=Sector.PUBLIC, county_code="08")
    need = factories.ad(org=civil, kind=AdKind.NEED, title="Läxhjälp på arabiska",
                        municipality_code="0880")  # fmt: skip
    offer = factories.ad(org=public, kind=AdKind.OFFER, title="Vi ger läxhjälp på arabiska",
                         municipality_code="0880")  # fmt: skip
    with pytest.raises(engine.Unavailable):
        candidates.IndexSource()
    without_index = [(m.ad.id, m.score) for m in services.find_matches(need)]
    assert without_index and without_index[0][0] == offer.id
    engine.get().rebuild()
    candidates.IndexSource()  # the index answers now
    assert [(m.ad.id, m.score) for m in services.find_matches(need)] == without_index
