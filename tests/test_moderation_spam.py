"""Spam defence on ad posting: the honeypot, and the first week's limits on ads and links."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.moderation import spam
from tests import factories
from tests.conftest import HTMX, log_in
from tests.test_ads_views import valid_ad

LINKS = "Läs mer på https://example.com/a, www.example.org och http://example.net/c."


def ad_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Ad.id)))


def aged(days: int):
    """A confirmed member whose account is `days` days old."""
    return factories.member(created_at=utcnow() - timedelta(days=days))


def test_a_filled_honeypot_looks_published_but_stores_nothing(client):
    response = log_in(client, aged(30)).post("/annonser/ny", data=valid_ad(website="http://x"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/annonser"
    assert "Annonsen är publicerad." in client.get("/annonser").get_data(as_text=True)
    assert ad_count() == 0


def test_the_posting_form_hides_its_honeypot_from_people(client):
    html = log_in(client, aged(30)).get("/annonser/ny").get_data(as_text=True)
    assert '<div class="visually-hidden" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_a_new_account_may_post_five_ads_a_day_and_the_sixth_is_refused_with_its_text_kept(
    client,
):
    member = aged(2)
    log_in(client, member)
    for number in range(spam.NEW_ACCOUNT_ADS_PER_DAY):
        assert (
            client.post("/annonser/ny", data=valid_ad(title=f"Annons {number}")).status_code == 303
        )

    response = client.post("/annonser/ny", data=valid_ad(title="Den sjätte"), headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="ad-form"')
    assert "högst 5 annonser per dygn" in html
    assert 'value="Den sjätte"' in html
    assert ad_count() == 5


def test_the_daily_cap_counts_only_the_last_24_hours(client):
    member = aged(2)
    for number in range(spam.NEW_ACCOUNT_ADS_PER_DAY):
        factories.ad(
            org=member.acting_organisation,
            author=member,
            title=f"Gammal {number}",
            created_at=utcnow() - timedelta(hours=25),
        )
    response = log_in(client, member).post("/annonser/ny", data=valid_ad())
    assert response.status_code == 303


def test_an_account_older_than_a_week_has_no_daily_cap_of_five(client):
    member = aged(8)
    log_in(client, member)
    for number in range(spam.NEW_ACCOUNT_ADS_PER_DAY + 1):
        assert (
            client.post("/annonser/ny", data=valid_ad(title=f"Annons {number}")).status_code == 303
        )
    assert ad_count() == 6


def test_a_new_accounts_ad_with_more_than_two_addresses_gets_a_field_error(client):
    response = log_in(client, aged(6)).post("/annonser/ny", data=valid_ad(body=LINKS))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "högst 2 webbadresser" in html and "den här har 3" in html
    # Next to the description field (the error summary above the form repeats it).
    assert re.search(
        r'<p id="body-help" class="help"><span class="error">[^<]*högst 2 webbadresser', html
    )
    assert "www.example.org" in html  # the text is kept
    assert ad_count() == 0


def test_two_addresses_are_fine_for_a_new_account(client):
    body = "Se https://example.com och www.example.org för mer."
    assert log_in(client, aged(1)).post("/annonser/ny", data=valid_ad(body=body)).status_code == 303


def test_an_established_account_may_link_more(client):
    response = log_in(client, aged(8)).post("/annonser/ny", data=valid_ad(body=LINKS))
    assert response.status_code == 303


def test_links_are_counted_as_the_ad_page_links_them():
    assert spam.count_links(LINKS) == 3
    assert spam.count_links("mejla info@example.com eller ring 0480-123 45") == 0
    assert spam.count_links("HTTPS://EXAMPLE.COM och javascript:alert(1)") == 1
