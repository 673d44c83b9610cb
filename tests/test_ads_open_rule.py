"""One rule for "is this ad open" (listed, found, matched, contactable): Ad.is_open in Python and
open_ads_condition() in SQL say the same of every ad."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from marketplace.ads.models import Ad, AdStatus, open_ads_condition
from marketplace.clock import today, utcnow
from marketplace.extensions import db
from tests import factories


def test_the_python_rule_and_its_sql_twin_agree_on_every_kind_of_ad(app):
    shown = factories.organisation()
    hidden = factories.organisation(hidden_at=utcnow(), hidden_reason="Spam")
    days = (-1, 0, 30)  # expired yesterday, last day today, weeks left
    ads = [
        factories.ad(
            org=org,
            status=status,
            expires_on=today() + timedelta(days=day),
            hidden_at=utcnow() if hidden_ad else None,
        )
        for org, status, day, hidden_ad in itertools.product(
            (shown, hidden), tuple(AdStatus), days, (False, True)
        )
    ]

    in_python = {ad.id for ad in ads if ad.is_open(today())}
    in_sql = set(db.session.scalars(sa.select(Ad.id).where(open_ads_condition())))

    assert in_python == in_sql
    assert len(in_python) == 2  # open, not hidden, shown organisation: today and in 30 days


def test_an_ad_has_ended_when_it_is_closed_or_past_its_last_day(app):
    running = factories.ad()
    last_day = factories.ad(expires_on=today())
    expired = factories.ad(expires_on=today() - timedelta(days=1))
    closed = factories.ad(status=AdStatus.NOT_CURRENT)
    hidden = factories.ad(hidden_at=utcnow())

    assert [ad.has_ended(today()) for ad in (running, last_day, expired, closed, hidden)] == [
        False,
        False,
        True,
        True,
        False,  # hidden by a moderator is not ended: its organisation still runs it
    ]
    assert not hidden.is_open(today()) and running.is_open(today())
