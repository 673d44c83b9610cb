"""Ad rules and the full-text index's upkeep, called directly (no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads import services
from marketplace.ads.markup import linkify
from marketplace.ads.models import Ad, AdKind, AdStatus
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import Sector
from marketplace.search import index
from marketplace.search.services import AdQuery, search_ads
from tests import factories


def fields(**overrides) -> dict:
    values = {
        "kind": AdKind.OFFER,
        "title": "  Lokal   att låna ",
        "body": "Vi har en lokal.\r\nRing oss.\x00",
        "challenges": ["integration"],
        "county_code": None,
        "municipality_code": "0880",
        "seeking": [Sector.CIVIL, "public", Sector.CIVIL],
    }
    values.update(overrides)
    return values


def found(text: str) -> set[int]:
    return {ad.id for ad in search_ads(AdQuery(text=text)).items}


def test_publishing_cleans_the_text_and_fills_in_what_follows(app):
    org = factories.organisation(name="Kalmar Stadsmission")
    ad = services.publish_ad(org, None, **fields())
    db.session.expire_all()
    saved = db.session.get(Ad, ad.id)
    assert saved.title == "Lokal att låna" and saved.slug == "lokal-att-lana"
    assert saved.body == "Vi har en lokal.\nRing oss."
    assert (saved.county_code, saved.municipality_code) == ("08", "0880")
    assert saved.seeking == [Sector.PUBLIC, Sector.CIVIL]
    assert saved.expires_on == today() + timedelta(days=90)
    assert saved.status is AdStatus.OPEN
    assert "kalm" in saved.search_terms.split() or "kalmar" in saved.search_terms.split()


def test_a_broken_rule_saves_nothing_and_names_every_field(app):
    org = factories.organisation()
    with pytest.raises(services.InvalidAd) as caught:
        services.publish_ad(
            org,
            None,
            **fields(
                kind="sale",
                title="",
                challenges=["a", "b", "c", "d"],
                county_code="12",
                seeking=[],
                expires_on=today() + timedelta(days=400),
            ),
        )
    assert set(caught.value.errors) == {
        "kind",
        "title",
        "challenges",
        "municipality_code",
        "seeking",
        "expires_on",
    }
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 0


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Språkcafé i Kalmar!", "sprakcafe-i-kalmar"), ("???", "annons"), ("Å" * 200, "a" * 80)],
)
def test_slugs_are_short_ascii(title, slug):
    assert services.slug(title) == slug


def test_closing_needs_one_of_the_two_reasons(app):
    ad = factories.ad()
    with pytest.raises(services.InvalidAd):
        services.close_ad(ad, AdStatus.OPEN)
    services.close_ad(ad, AdStatus.NOT_CURRENT)
    assert ad.status is AdStatus.NOT_CURRENT and ad.closed_at is not None


def test_reindexing_an_organisations_ads_leaves_the_commit_to_the_caller(app):
    org = factories.organisation(name="Gamla Namnet", description="")
    ad = factories.ad(org=org, title="Läxhjälp")
    org.name = "Solrosen"
    services.reindex_organisation_ads(org)
    db.session.rollback()
    assert found("solrosen") == set()
    db.session.refresh(org)
    assert found("gamla") == {ad.id}


def test_deleting_an_organisation_takes_its_ads_out_of_search(app):
    org = factories.organisation(name="Försvinnande Föreningen")
    factories.ad(org=org, title="Läxhjälp")
    db.session.delete(org)
    db.session.commit()
    assert found("läxhjälp") == set()
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(sa.text("SELECT count(*) FROM fts_ad")).scalar() == 0


def test_creating_the_index_again_is_harmless_and_fills_it_from_the_ads(app):
    ad = factories.ad(title="Läxhjälp")
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM fts_ad")  # as if the index had been lost
        index.create_index(connection)
        index.create_index(connection)
    assert found("läxhjälp") == {ad.id}


def test_only_members_may_manage_and_acting_needs_a_real_membership(app, member):
    ad = factories.ad(org=member.acting_organisation)
    stranger = factories.member()
    assert services.can_manage(member, ad)
    assert not services.can_manage(stranger, ad)
    assert services.acting_organisation(member) == member.acting_organisation
    drifter = factories.user(acting_organisation=member.acting_organisation)
    assert services.acting_organisation(drifter) is None


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
        (
            "Se www.example.se, tack",
            '<p>Se <a href="https://www.example.se" rel="nofollow ugc noopener">'
            "www.example.se</a>, tack</p>",
        ),
        (
            "(https://sv.wikipedia.org/wiki/Fika_(mat))",
            '<p>(<a href="https://sv.wikipedia.org/wiki/Fika_(mat)" rel="nofollow ugc noopener">'
            "https://sv.wikipedia.org/wiki/Fika_(mat)</a>)</p>",
        ),
        ('http://"onmouseover=x', "<p>http://&#34;onmouseover=x</p>"),
        ("ett\ntvå\n\ntre", "<p>ett<br>\ntvå</p>\n<p>tre</p>"),
        ("", ""),
    ],
)
def test_linkify_escapes_everything_and_links_only_web_addresses(text, html):
    assert str(linkify(text)) == html
