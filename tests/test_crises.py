"""Crisis mode: declaring (who may), extending, ending, tagging and the expiry cap, the banner,
crisis ads first in search, the crisis page, feed and embed, and the moderation log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad, AdKind
from marketplace.clock import today
from marketplace.crises import services
from marketplace.crises.models import Crisis
from marketplace.extensions import db
from marketplace.moderation.models import ActionKind, ModerationAction
from marketplace.search.services import AdQuery, search_ads
from tests import factories
from tests.conftest import HTMX, log_in


def declaration(**overrides) -> dict:
    return {
        "name": "Skogsbränder i Kalmar län",
        "description": "Stora bränder norr om Kalmar. Vi behöver frivilliga, mat och logi.",
        "lead": "Länsstyrelsen i Kalmar län",
        "county_codes": ["08"],
        "nationwide": False,
        "starts_on": today(),
        "ends_on": today() + timedelta(days=30),
        "challenge": "crisis-preparedness",
        **overrides,
    }


def form_data(**overrides) -> dict:
    data = {
        "name": "Skogsbränder i Kalmar län",
        "description": "Stora bränder norr om Kalmar.",
        "lead": "Länsstyrelsen i Kalmar län",
        "counties": ["08"],
        "challenge": "crisis-preparedness",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def admin():
    return factories.user(is_site_admin=True, name="Ada Admin")


def crisis(**overrides) -> Crisis:
    return services.declare_crisis(admin(), **declaration(**overrides))


def log_actions() -> list[ActionKind]:
    return list(
        db.session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
    )


# --- Declaring ----------------------------------------------------------------------------------


def test_a_site_admin_declares_a_crisis_and_it_is_logged(client):
    log_in(client, admin())
    response = client.post("/kris/ny", data=form_data())
    assert response.status_code == 303
    found = db.session.scalar(sa.select(Crisis))
    assert found.county_codes == ["08"] and found.slug.startswith("skogsbrander-i-kalmar-lan")
    assert response.headers["Location"].endswith(f"/kris/{found.slug}")
    assert log_actions() == [ActionKind.DECLARE_CRISIS]
    page = client.get(f"/kris/{found.slug}").get_data(as_text=True)
    assert "Skogsbränder i Kalmar län" in page and "Länsstyrelsen i Kalmar län" in page


def test_a_county_moderator_declares_only_for_own_counties(client):
    moderator = factories.user(name="Mona Moderator")
    factories.county_moderator(moderator, "08")
    log_in(client, moderator)
    refused = client.post("/kris/ny", data=form_data(counties=["08", "12"]))
    assert refused.status_code == 422
    assert "de län du modererar" in refused.get_data(as_text=True)
    nationwide = client.post("/kris/ny", data=form_data(counties=[], nationwide="y"))
    assert nationwide.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Crisis.id))) == 0
    assert client.post("/kris/ny", data=form_data()).status_code == 303
    assert db.session.scalar(sa.select(Crisis)).county_codes == ["08"]


@pytest.mark.parametrize("who", ["anonymous", "member", "other-county-moderator"])
def test_others_may_not_declare(client, who):
    if who == "member":
        log_in(client, factories.member())
    elif who == "other-county-moderator":
        moderator = factories.user()
        factories.county_moderator(moderator, "12")
        log_in(client, moderator)
    response = client.post("/kris/ny", data=form_data())
    if who == "anonymous":
        assert response.status_code in (302, 303)
    elif who == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Crisis.id))) == 0


def test_a_crisis_lasts_at_most_90_days_and_the_form_keeps_the_input(client):
    log_in(client, admin())
    response = client.post(
        "/kris/ny", data=form_data(ends_on=(today() + timedelta(days=91)).isoformat()), headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="crisis-form"')
    assert "högst 90 dagar" in html and 'value="Skogsbränder i Kalmar län"' in html


def test_extending_needs_a_reason_and_is_logged(client):
    found = crisis()
    log_in(client, admin())
    new_end = found.ends_on + timedelta(days=20)
    missing = client.post(
        f"/kris/{found.slug}/forlang", data={"ends_on": new_end.isoformat(), "reason": ""}
    )
    assert missing.status_code == 422
    response = client.post(
        f"/kris/{found.slug}/forlang",
        data={"ends_on": new_end.isoformat(), "reason": "Bränderna sprider sig."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Crisis, found.id).ends_on == new_end
    assert log_actions()[-1] is ActionKind.EXTEND_CRISIS


def test_ending_removes_the_banner_keeps_the_tag_and_shows_what_happened(client):
    found = crisis()
    org = factories.organisation()
    ad = factories.ad(org=org, title="Vi behöver sovplatser", crisis=found)
    assert "crisis-banner" in client.get("/").get_data(as_text=True)
    log_in(client, admin())
    assert client.post(f"/kris/{found.slug}/avsluta", data={"reason": ""}).status_code == 422
    response = client.post(f"/kris/{found.slug}/avsluta", data={"reason": "Bränderna är släckta."})
    assert response.status_code == 303
    assert "crisis-banner" not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).crisis_id == found.id
    assert db.session.get(Ad, ad.id).expires_on <= today() + timedelta(days=14)
    page = client.get(f"/kris/{found.slug}").get_data(as_text=True)
    assert "Krisen avslutades" in page and "Vi behöver sovplatser" in page
    assert log_actions()[-1] is ActionKind.END_CRISIS


# --- Banner, page, ordering -----------------------------------------------------------------------


def test_the_banner_shows_on_the_affected_county_and_its_searches_only(client):
    crisis()
    assert "crisis-banner" in client.get("/lan/08").get_data(as_text=True)
    assert "crisis-banner" not in client.get("/lan/12").get_data(as_text=True)
    assert "crisis-banner" in client.get("/annonser?county=08").get_data(as_text=True)
    assert "crisis-banner" not in client.get("/annonser?county=12").get_data(as_text=True)


def test_crisis_ads_come_first_in_search_for_the_county_with_a_kris_label(client):
    found = crisis()
    org = factories.organisation()
    tagged = factories.ad(org=org, title="Krisbehov: mat till evakuerade", crisis=found)
    newer = factories.ad(org=org, title="Läxhjälp i Kalmar")
    assert newer.published_at >= tagged.published_at
    result = search_ads(AdQuery(county="08", sort="newest"))
    assert [ad.id for ad in result.items][:2] == [tagged.id, newer.id]
    elsewhere = search_ads(AdQuery(sort="newest"))
    assert elsewhere.items[0].id == newer.id  # no county searched: the usual order
    page = client.get("/annonser?county=08&sort=nyast").get_data(as_text=True)
    assert page.index("Krisbehov: mat till evakuerade") < page.index("Läxhjälp i Kalmar")
    assert 'badge-crisis" title="Skogsbränder i Kalmar län">Kris<' in page


def test_the_kris_label_goes_from_the_cached_card_once_the_crisis_is_over(client):
    found = crisis()
    factories.ad(org=factories.organisation(), title="Krisbehov: sandsäckar", crisis=found)
    page = client.get("/annonser?county=08").get_data(as_text=True)
    assert ">Kris<" in page  # the card is drawn and kept in the cache
    # The crisis runs out (its end passes, nothing about the ad changes).
    db.session.execute(
        sa.update(Crisis)
        .where(Crisis.id == found.id)
        .values(starts_on=today() - timedelta(days=30), ends_on=today() - timedelta(days=1))
    )
    db.session.commit()
    page = client.get("/annonser?county=08").get_data(as_text=True)
    assert "Krisbehov: sandsäckar" in page and ">Kris<" not in page


def test_the_crisis_page_shows_needs_and_offers_side_by_side_filtered_by_municipality(client):
    found = crisis()
    org = factories.organisation()
    factories.ad(
        org=org, title="Behov i Kalmar", kind=AdKind.NEED, municipality_code="0880", crisis=found
    )
    factories.ad(
        org=org,
        title="Erbjudande i Nybro",
        kind=AdKind.OFFER,
        municipality_code="0881",
        crisis=found,
    )
    factories.ad(org=org, title="Inte krisen", kind=AdKind.NEED)
    html = client.get(f"/kris/{found.slug}").get_data(as_text=True)
    assert "Behov i Kalmar" in html and "Erbjudande i Nybro" in html and "Inte krisen" not in html
    assert (
        html.index('id="needs-title"')
        < html.index("Behov i Kalmar")
        < html.index('id="offers-title"')
    )
    filtered = client.get(f"/kris/{found.slug}?kommun=0880", headers=HTMX).get_data(as_text=True)
    assert filtered.lstrip().startswith('<div id="crisis-ads"')
    assert "Behov i Kalmar" in filtered and "Erbjudande i Nybro" not in filtered


def test_the_crisis_has_its_own_atom_feed_and_embed(client):
    found = crisis()
    factories.ad(title="Sovplatser behövs", crisis=found)
    feed = client.get(f"/kris/{found.slug}/flode.atom")
    assert feed.mimetype == "application/atom+xml" and "Sovplatser behövs" in feed.get_data(
        as_text=True
    )
    embed = client.get(f"/kris/{found.slug}/inbaddning")
    assert embed.status_code == 200 and "Sovplatser behövs" in embed.get_data(as_text=True)
    assert "frame-ancestors" in embed.headers.get("Content-Security-Policy", "")


# --- Tagging and the expiry cap -------------------------------------------------------------------


def ad_form(**overrides) -> dict:
    data = {
        "kind": "need",
        "title": "Vi behöver frivilliga till evakueringen",
        "body": "Frivilliga som kan hjälpa till med mat och logi.",
        "challenges": ["crisis-preparedness"],
        "county": "08",
        "seeking": ["civil"],
        "expires_on": (today() + timedelta(days=200)).isoformat(),
        "crisis": "",
    }
    data.update(overrides)
    return data


def test_a_member_tags_a_new_ad_and_its_expiry_is_capped_with_a_notice(client):
    found = crisis()
    log_in(client, factories.member())
    response = client.post("/annonser/ny", data=ad_form(crisis=found.slug), follow_redirects=True)
    html = response.get_data(as_text=True)
    ad = db.session.scalar(sa.select(Ad))
    assert ad.crisis_id == found.id
    assert ad.expires_on == found.ends_on + timedelta(days=14)
    assert "14 dagar efter krisens slut" in html


def test_an_ad_outside_the_crisis_counties_cannot_be_tagged(client):
    found = crisis()
    log_in(client, factories.member())
    response = client.post("/annonser/ny", data=ad_form(crisis=found.slug, county="12"))
    assert response.status_code == 422
    assert "gäller inte annonsens län" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Ad.id))) == 0


def test_a_member_tags_an_existing_ad_through_the_edit_form(client):
    found = crisis()
    member = factories.member()
    ad = factories.ad(org=member.acting_organisation, county_code="08")
    log_in(client, member)
    response = client.post(f"/annonser/{ad.id}/redigera", data=ad_form(crisis=found.slug))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).crisis_id == found.id


def test_moderators_add_and_remove_the_tag_and_members_may_not(client):
    found = crisis()
    ad = factories.ad(county_code="08")
    log_in(client, factories.member())
    assert client.post(f"/kris/annons/{ad.id}", data={"crisis": found.slug}).status_code == 403
    moderator = factories.user()
    factories.county_moderator(moderator, "08")
    log_in(client, moderator)
    assert client.post(f"/kris/annons/{ad.id}", data={"crisis": found.slug}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).crisis_id == found.id
    assert client.post(f"/kris/annons/{ad.id}", data={"crisis": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Ad, ad.id).crisis_id is None
    assert log_actions()[-2:] == [ActionKind.TAG_CRISIS, ActionKind.UNTAG_CRISIS]


def test_an_ended_crisis_shows_conversations_and_outcomes_and_statistics_filter_by_it(client):
    from marketplace.insights.models import CollaborationForm, Outcome

    found = crisis()
    org = factories.organisation(name="Frivilligcentralen Kalmar")
    partner = factories.municipality()
    ad = factories.ad(org=org, title="Sovplatser behövs", crisis=found)
    factories.ad(org=org, title="Inte krisen")
    factories.conversation(ad, interested=partner, started_by=factories.user())
    db.session.add(
        Outcome(
            ad_id=ad.id,
            organisation_id=org.id,
            collaborated=True,
            form=CollaborationForm.OTHER,
            partner_organisation_id=partner.id,
            partner_name=partner.name,
            county_code="08",
        )
    )
    db.session.commit()
    services.end_crisis(admin(), db.session.get(Crisis, found.id), "Över.")
    page = client.get(f"/kris/{found.slug}").get_data(as_text=True)
    assert "Vad som hände" in page
    assert "<strong>1</strong> påbörjade samtal" in page
    assert "<strong>1</strong> rapporterade samarbeten" in page
    assert "Frivilligcentralen Kalmar med Kalmar kommun" in page
    stats = client.get(f"/statistik?kris={found.slug}").get_data(as_text=True)
    assert "Kris: Skogsbränder i Kalmar län" in stats
    from marketplace.insights.statistics import StatisticsFilter, statistics

    filtered = statistics(StatisticsFilter(crisis=found.id))
    assert filtered.published_total == 1 and filtered.contacts_total == 1
    assert filtered.outcomes_total == 1
    assert statistics(StatisticsFilter()).published_total == 2


def test_declaring_the_same_crisis_twice_is_refused_at_the_name(client):
    log_in(client, admin())
    assert client.post("/kris/ny", data=form_data()).status_code == 303
    again = client.post("/kris/ny", data=form_data())  # a double click, or a mistake
    assert again.status_code == 422
    assert "redan en pågående eller kommande kris med det namnet" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Crisis.id))) == 1


def test_the_crisis_ordering_is_the_same_from_the_engine_and_in_sql(app):
    from marketplace.search.services import _sql_page

    found = crisis()
    org = factories.organisation()
    for number in range(5):
        factories.ad(org=org, title=f"Läxhjälp nummer {number}")
    tagged = {
        factories.ad(org=org, title="Läxhjälp för evakuerade barn", crisis=found).id,
        factories.ad(org=org, title="Sovplatser", crisis=found).id,
    }
    for query in (
        AdQuery(county="08", sort="newest"),
        AdQuery(county="08", municipality="0880", sort="expiring"),
    ):
        for page, per_page in ((1, 2), (2, 2), (1, 20)):
            expected, total = _sql_page(query, page, per_page)
            result = search_ads(query, page=page, per_page=per_page)
            assert [ad.id for ad in result.items] == [ad.id for ad in expected], (query, page)
            assert result.total == total
    # By relevance the engine ranks its own way; the crisis's ad still comes first.
    ranked = search_ads(AdQuery(county="08", text="läxhjälp", sort="relevance"), per_page=3)
    assert {ad.id for ad in ranked.items[:2]} == tagged  # every ad's body says läxhjälp
    assert ranked.total == 7
