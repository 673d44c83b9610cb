"""Rate limits per person on posting ads, on reporting and on asking for reviews.

TestConfig switches rate limiting off; these tests build an app with it on (and, like
test_accounts_ratelimits.py, never use the `app` fixture: the limiter is one object).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.ads.models import Ad
from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.moderation.models import Report
from tests import factories
from tests.conftest import log_in
from tests.test_ads_views import valid_ad

REPORT = {"reason": "spam", "text": "Reklam, inte samverkan."}
APPEAL = {"text": "Vi har tagit bort reklamen."}


@pytest.fixture
def limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_AD_POSTING="3 per day",
        RATELIMIT_REPORT="2 per hour",
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_posting_beyond_the_daily_allowance_is_refused_per_person(limited_app):
    writer = factories.member(created_at=utcnow() - timedelta(days=30))
    client = log_in(limited_app.test_client(), writer)
    invalid = client.post("/annonser/ny", data=valid_ad(title=""))
    assert invalid.status_code == 422  # a failed attempt costs nothing
    for number in range(3):
        assert (
            client.post("/annonser/ny", data=valid_ad(title=f"Annons {number}")).status_code == 303
        )

    refused = client.post("/annonser/ny", data=valid_ad(title="En till"))

    assert refused.status_code == 429
    assert "För många försök" in refused.get_data(as_text=True)
    assert count(Ad) == 3
    colleague = factories.member(org=writer.acting_organisation)
    other = log_in(limited_app.test_client(), colleague).post("/annonser/ny", data=valid_ad())
    assert other.status_code == 303  # the allowance is per person, not per organisation


def test_reporting_beyond_the_allowance_is_refused(limited_app):
    ads = [factories.ad(title=f"Annons {number}") for number in range(3)]
    client = log_in(limited_app.test_client(), factories.user())
    assert (
        client.post(f"/rapportera/annons/{ads[0].id}", data={"reason": "spam"}).status_code == 422
    )
    for ad in ads[:2]:
        assert client.post(f"/rapportera/annons/{ad.id}", data=REPORT).status_code == 303

    refused = client.post(f"/rapportera/annons/{ads[2].id}", data=REPORT)

    assert refused.status_code == 429
    assert count(Report) == 2


def test_asking_for_reviews_beyond_the_allowance_is_refused(limited_app):
    writer = factories.member()
    ads = [
        factories.ad(
            org=writer.acting_organisation,
            title=f"Dold annons {number}",
            hidden_at=utcnow(),
            hidden_reason="Reklam.",
        )
        for number in range(3)
    ]
    others = [factories.ad(title=f"Annons {number}") for number in range(2)]
    client = log_in(limited_app.test_client(), writer)
    for ad in others:  # reports have an allowance of their own
        assert client.post(f"/rapportera/annons/{ad.id}", data=REPORT).status_code == 303
    assert client.post(f"/omprovning/annons/{ads[0].id}", data={"text": ""}).status_code == 422
    for ad in ads[:2]:
        assert client.post(f"/omprovning/annons/{ad.id}", data=APPEAL).status_code == 303

    refused = client.post(f"/omprovning/annons/{ads[2].id}", data=APPEAL)

    assert refused.status_code == 429
    assert count(Report) == 4  # two reports and two appeals
