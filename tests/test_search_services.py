"""Full-text ad search in Swedish: the same results on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.ads import services as ad_services
from marketplace.ads.models import AdKind, AdStatus
from marketplace.clock import today
from marketplace.extensions import db
from marketplace.organisations.models import Sector
from marketplace.search.index import fts5_query, tsquery
from marketplace.search.services import AdQuery, search_ads
from marketplace.search.text import query_terms
from tests import factories


def titles(text: str = "", **filters) -> set[str]:
    return {ad.title for ad in search_ads(AdQuery(text=text, **filters), per_page=100).items}


@pytest.fixture
def swedish_ads(app):
    org = factories.organisation(name="Kalmar Stadsmission", description="")
    return {
        "plural": factories.ad(org=org, title="Stöd till föreningar", body="Vi hjälper till."),
        "definite": factories.ad(org=org, title="Om föreningen", body="Vi är en liten grupp."),
        "mind": factories.ad(
            org=org, title="Samtalsgrupper", body="Vi arbetar mot den psykiska ohälsan bland unga."
        ),
        "cafe": factories.ad(org=org, title="Språkcafé på torsdagar", body="Fika och samtal."),
        "other": factories.ad(org=org, title="Cykelverkstad", body="Vi lagar cyklar ihop."),
    }


def test_a_word_finds_its_plural_and_definite_forms(swedish_ads):
    assert titles("förening") == {"Stöd till föreningar", "Om föreningen"}


def test_psykisk_ohalsa_finds_the_definite_psykiska_ohalsan(swedish_ads):
    assert titles("psykisk ohälsa") == {"Samtalsgrupper"}


@pytest.mark.parametrize("typed", ["Språkcafé", "sprakcafe", "SPRÅKCAFÉ", "språkcafe"])
def test_accents_and_case_do_not_matter(swedish_ads, typed):
    assert titles(typed) == {"Språkcafé på torsdagar"}


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Språkcaféer för nyanlända", "sprakcafe kalmar"),  # the singular finds the plural
        ("Språkcafé för nyanlända", "språkcaféer kalmar"),  # and the plural the singular
        ("Språkcaféerna på biblioteket", "språkcafé kalmar"),
        ("Kommittéer i föreningslivet", "kommitté kalmar"),
        ("Stöd till föräldrar", "förälder kalmar"),  # förälder/föräldrar: the e drops
        ("Stöd till föräldrarna", "föräldern kalmar"),
        ("Stöd för en förälder", "foraldrar kalmar"),
        ("Vi lagar cyklar", "cykel kalmar"),
        ("Teatrar för unga", "teater kalmar"),
    ],
)
def test_other_forms_of_a_word_find_it_anywhere_in_the_query(app, written, typed):
    """Not only as the last word (which also matches as a prefix while typing)."""
    org = factories.organisation(name="Kalmar Stadsmission", description="")
    factories.ad(org=org, title=written, body="Välkomna.")
    factories.ad(org=org, title="Bilverkstad", body="Vi lagar bilar.")
    factories.ad(title="Språkcaféer för föräldrar i Lund", body="Teatrar och cyklar.")
    assert titles(typed) == {written}


def test_several_words_must_all_match(swedish_ads):
    assert titles("språkcafé fika") == {"Språkcafé på torsdagar"}
    assert titles("språkcafé cyklar") == set()


def test_the_last_word_matches_as_a_prefix_while_typing(swedish_ads):
    assert titles("cykelverk", live=True) == {"Cykelverkstad"}
    assert titles("språkc", live=True) == {"Språkcafé på torsdagar"}
    assert titles("sprakc", live=True) == {"Språkcafé på torsdagar"}


def test_a_submitted_search_matches_words_not_beginnings(swedish_ads):
    """Enter, the API, saved searches and feeds: "cykelverk" is no word of any ad."""
    assert titles("cykelverk") == set()
    assert titles("språkc") == set()
    assert titles("cykelverkstad") == {"Cykelverkstad"}


def test_an_organisations_name_finds_its_ads(app):
    org = factories.organisation(name="Röda Korset Kalmar", description="")
    factories.ad(org=org, title="Läxhjälp", body="Varje tisdag.")
    factories.ad(title="Något helt annat", body="Inget om det.")
    assert titles("röda korset") == {"Läxhjälp"}


def test_renaming_an_organisation_moves_its_ads_to_the_new_name(app):
    org = factories.organisation(name="Gamla Namnet", description="")
    factories.ad(org=org, title="Läxhjälp", body="Varje tisdag.")
    org.name = "Nyföreningen Solros"
    assert ad_services.reindex_organisation_ads(org) == 1
    db.session.commit()
    assert titles("solros") == {"Läxhjälp"}
    assert titles("gamla namnet") == set()


@pytest.mark.parametrize(
    "odd",
    [
        "",
        "   ",
        '"',
        '""',
        "OR",
        "AND NOT",
        "*",
        "NEAR(",
        "a:b",
        "&|!",
        "(",
        "')",
        "\\",
        "title:x",
        "x" * 1000,
        "språkcafé " * 200,
        "😀🎉",
        "-",
        "^",
        "\x00",
    ],
)
def test_odd_input_never_errors(swedish_ads, odd):
    result = search_ads(AdQuery(text=odd))
    assert result.total >= 0
    if not query_terms(odd):  # nothing searchable: every open ad
        assert result.total == len(swedish_ads)


def test_operator_words_are_searched_as_plain_words(app):
    factories.ad(title="Near or far", body="Samverkan.")
    factories.ad(title="Läxhjälp", body="Samverkan.")
    assert titles("near") == {"Near or far"}
    assert titles("OR") == {"Near or far"}
    assert titles('"near" OR läxhjälp') == set()  # four words, all required, none is an operator


def test_queries_quote_every_term():
    terms = [("forening",), ("ohalsan", "ohals")]
    assert fts5_query(terms) == '("forening") AND ("ohalsan"* OR "ohals"*)'
    assert tsquery(terms) == "('forening') & ('ohalsan':* | 'ohals':*)"


def test_closed_expired_and_deleted_ads_are_not_found(app):
    factories.ad(title="Öppen läxhjälp")
    closed = factories.ad(title="Stängd läxhjälp")
    ad_services.close_ad(closed, AdStatus.PARTNER_FOUND)
    factories.ad(title="Utgången läxhjälp", expires_on=today() - timedelta(days=1))
    deleted = factories.ad(title="Borttagen läxhjälp")
    ad_services.delete_ad(deleted)
    assert titles("läxhjälp") == {"Öppen läxhjälp"}
    assert titles() == {"Öppen läxhjälp"}


def test_an_ad_expiring_today_is_still_found(app):
    factories.ad(title="Sista dagen", expires_on=today())
    assert titles("sista") == {"Sista dagen"}


def test_an_edited_ad_is_found_by_its_new_words_and_not_its_old(app, member):
    ad = factories.ad(
        org=member.acting_organisation, title="Cykelverkstad", body="Vi lagar cyklar."
    )
    ad_services.update_ad(
        ad,
        kind="offer",
        title="Symaskiner",
        body="Vi lånar ut symaskiner.",
        challenges=["integration"],
        seeking=["public"],
        expires_on=ad.expires_on,
    )
    assert titles("symaskin") == {"Symaskiner"}
    assert titles("cykelverkstad") == set()


def test_renewing_a_closed_ad_makes_it_findable_again(app):
    ad = factories.ad(title="Läxhjälp", expires_on=today() - timedelta(days=3))
    assert titles("läxhjälp") == set()
    ad_services.renew_ad(ad)
    assert ad.expires_on == today() + timedelta(days=90)
    assert titles("läxhjälp") == {"Läxhjälp"}


def test_filters_combine_and_values_of_one_filter_mean_any(app):
    business = factories.organisation(sector=Sector.BUSINESS)
    factories.ad(title="A", kind=AdKind.NEED, challenges=("integration",))
    factories.ad(title="B", kind=AdKind.OFFER, challenges=("mental-health",), org=business)
    factories.ad(title="C", kind=AdKind.IDEA, challenges=("integration", "mental-health"))
    assert titles(kinds=[AdKind.NEED, AdKind.OFFER]) == {"A", "B"}
    assert titles(challenges=["mental-health"]) == {"B", "C"}
    assert titles(kinds=[AdKind.IDEA], challenges=["mental-health"]) == {"C"}
    assert titles(sectors=[Sector.BUSINESS]) == {"B"}


def test_wanted_partner_sector_filter(app):
    factories.ad(title="Offentlig", seeks_public=True, seeks_civil=False)
    factories.ad(title="Idéburen", seeks_public=False, seeks_civil=True)
    assert titles(seeking=[Sector.CIVIL]) == {"Idéburen"}
    assert titles(seeking=[Sector.CIVIL, Sector.PUBLIC]) == {"Offentlig", "Idéburen"}


def test_a_county_also_finds_ads_for_all_of_sweden_and_a_municipality_its_county_wide_ads(app):
    factories.ad(title="Kalmar stad", county_code="08", municipality_code="0880")
    factories.ad(title="Kalmar län", county_code="08", municipality_code=None)
    factories.ad(title="Hela Sverige", county_code=None)
    factories.ad(title="Västervik", county_code="08", municipality_code="0883")
    factories.ad(title="Skåne", county_code="12")
    assert titles(county="08") == {"Kalmar stad", "Kalmar län", "Hela Sverige", "Västervik"}
    assert titles(municipality="0880") == {"Kalmar stad", "Kalmar län", "Hela Sverige"}
    assert titles(county="12", municipality="0880") == {"Skåne", "Hela Sverige"}


def test_facets_count_each_value_given_the_other_filters(app):
    factories.ad(title="A", kind=AdKind.NEED, challenges=("integration",), county_code="08")
    factories.ad(title="B", kind=AdKind.OFFER, challenges=("integration",), county_code="12")
    factories.ad(title="C", kind=AdKind.OFFER, challenges=("mental-health",), county_code=None)
    result = search_ads(AdQuery(kinds=[AdKind.OFFER], challenges=["integration"]))
    assert result.total == 1
    assert result.facets["kind"] == {"need": 1, "offer": 1}  # given challenge=integration
    assert result.facets["challenge"] == {"integration": 1, "mental-health": 1}  # given offer
    assert result.facets["county"]["12"] == 1
    assert "08" not in result.facets["county"]
    assert result.facets["sector"] == {"civil": 1}


def test_relevance_order_puts_the_better_match_first_and_breaks_ties_by_newest(app):
    older = factories.ad(title="Läxhjälp", body="Läxhjälp läxhjälp läxhjälp för barn.")
    newer = factories.ad(title="Läxhjälp", body="Läxhjälp för barn.")
    assert {ad.id for ad in search_ads(AdQuery(text="läxhjälp")).items} == {older.id, newer.id}
    ordered = search_ads(AdQuery(text="", sort="relevance")).items
    assert [ad.id for ad in ordered] == [newer.id, older.id]  # no text: newest first


def test_sorting_by_expiry_and_pages_never_overlap(app):
    for days in (30, 10, 20, 40, 50):
        factories.ad(title=f"Om {days} dagar", expires_on=today() + timedelta(days=days))
    expiring = search_ads(AdQuery(sort="expiring"), per_page=2)
    assert [ad.title for ad in expiring.items] == ["Om 10 dagar", "Om 20 dagar"]
    seen = []
    for page in (1, 2, 3):
        seen += [ad.id for ad in search_ads(AdQuery(sort="newest"), page=page, per_page=2).items]
    assert len(seen) == len(set(seen)) == 5


def test_absurd_page_numbers_are_clamped(app):
    factories.ad()
    assert search_ads(AdQuery(), page=-5).page == 1
    assert search_ads(AdQuery(), page=10**30).items == []
