"""Rate limit on contact: starting conversations and replying share one allowance per person.

TestConfig switches rate limiting off; these tests build an app with it on (and, like
test_accounts_ratelimits.py, never use the `app` fixture: the limiter is one object).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.contact.models import Conversation, Message
from marketplace.extensions import db
from tests import factories
from tests.conftest import HTMX, log_in
from tests.test_contact import REPLY, TEXT


@pytest.fixture
def limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_CONTACT="3 per hour",
    )


@pytest.fixture
def outbox(limited_app, smtp_server):
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


def _messages() -> int:
    return db.session.scalar(sa.select(sa.func.count(Message.id)))


def test_the_fourth_message_in_an_hour_is_refused_whether_interest_or_reply(limited_app, outbox):
    writer = factories.member()
    first_ad, second_ad = factories.ad(), factories.ad()
    client = log_in(limited_app.test_client(), writer)

    assert (
        client.post(f"/annonser/{first_ad.id}/intresse", data={"message": TEXT}).status_code == 303
    )
    assert (
        client.post(f"/annonser/{second_ad.id}/intresse", data={"message": TEXT}).status_code == 303
    )
    conversation_id = db.session.scalars(
        sa.select(Conversation.id).order_by(Conversation.id)
    ).first()
    assert client.post(f"/inkorg/{conversation_id}", data={"message": REPLY}).status_code == 303

    refused = client.post(f"/inkorg/{conversation_id}", data={"message": REPLY})
    refused_interest = client.post(
        f"/annonser/{factories.ad().id}/intresse", data={"message": TEXT}, headers=HTMX
    )

    assert refused.status_code == 429
    assert "För många försök" in refused.get_data(as_text=True)
    assert refused_interest.status_code == 429
    assert _messages() == 3


def test_the_limit_is_per_person_not_per_address(limited_app, outbox):
    ad = factories.ad()
    busy = log_in(limited_app.test_client(), factories.member())
    for _ in range(3):
        busy.post(f"/annonser/{ad.id}/intresse", data={"message": TEXT})
    assert busy.post(f"/annonser/{ad.id}/intresse", data={"message": TEXT}).status_code == 429

    colleague_elsewhere = log_in(limited_app.test_client(), factories.member())
    response = colleague_elsewhere.post(f"/annonser/{ad.id}/intresse", data={"message": TEXT})

    assert response.status_code == 303


def test_messages_that_were_refused_as_too_short_do_not_use_up_the_allowance(limited_app, outbox):
    ad = factories.ad()
    client = log_in(limited_app.test_client(), factories.member())
    for _ in range(5):
        assert (
            client.post(f"/annonser/{ad.id}/intresse", data={"message": "Kort"}).status_code == 422
        )

    assert client.post(f"/annonser/{ad.id}/intresse", data={"message": TEXT}).status_code == 303
    assert _messages() == 1


@pytest.fixture
def direct_limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_CONTACT="100 per hour",
        RATELIMIT_DIRECT_CONTACT="2 per hour",
    )


def test_writing_directly_to_a_third_organisation_in_an_hour_is_refused(direct_limited_app):
    writer = factories.member()
    client = log_in(direct_limited_app.test_client(), writer)
    first, second, third = (factories.organisation() for _ in range(3))

    for organisation in (first, second):
        path = f"/organisationer/{organisation.id}/kontakta"
        assert client.post(path, data={"message": TEXT}).status_code == 303
    refused = client.post(f"/organisationer/{third.id}/kontakta", data={"message": TEXT})
    conversation_id = db.session.scalars(sa.select(Conversation.id)).first()
    reply = client.post(f"/inkorg/{conversation_id}", data={"message": REPLY})
    someone_else = log_in(direct_limited_app.test_client(), factories.member())
    other = someone_else.post(f"/organisationer/{third.id}/kontakta", data={"message": TEXT})

    assert refused.status_code == 429
    assert reply.status_code == 303  # answering in a thread is not a new direct contact
    assert other.status_code == 303  # the allowance is the person's
    assert _messages() == 4
