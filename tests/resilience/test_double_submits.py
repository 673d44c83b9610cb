"""Double clicks and impatient retries: concurrent submits of a form that creates something (or
takes a last administrator away) answer like a single click: one row, no 500."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.moderation.models import Report
from marketplace.organisations import services as organisations
from marketplace.organisations.models import Membership, Role
from tests import factories
from tests.conftest import log_in
from tests.resilience.conftest import at_once, requires_postgresql

pytestmark = requires_postgresql


def _count(statement) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def test_the_same_address_registered_eight_times_at_once_makes_one_account(app, outbox):
    data = {"name": "Anna Lind", "email": "anna@example.com", "password": factories.PASSWORD}
    statuses = at_once(
        8, lambda _n: app.test_client().post("/konto/registrera", data=data).status_code
    )
    assert statuses == [303] * 8  # 3–4 of 8 were 500s
    assert _count(sa.select(User).where(User.email == "anna@example.com")) == 1


def test_an_invitation_accepted_with_a_double_click_makes_one_membership(app):
    admin = factories.member()
    organisation = admin.memberships[0].organisation
    invitee = factories.user()
    invitation = organisations.invite_member(organisation, admin, invitee.email)
    path = f"/organisationer/inbjudan/{organisations.invitation_token(invitation)}"
    clients = [log_in(app.test_client(), invitee) for _ in range(6)]
    statuses = at_once(6, lambda n: clients[n].post(path).status_code)
    assert statuses == [303] * 6  # 3 of 6 were 500s (IntegrityError)
    assert _count(sa.select(Membership).where(Membership.user_id == invitee.id)) == 1


def test_a_report_double_submitted_is_stored_once(app):
    ad = factories.ad()
    reporter = factories.user()
    data = {"reason": "spam", "text": "Det här är reklam för en webbshop, inte samverkan."}
    clients = [log_in(app.test_client(), reporter) for _ in range(4)]
    path = f"/rapportera/annons/{ad.id}"
    statuses = at_once(4, lambda n: clients[n].post(path, data=data).status_code)
    assert 500 not in statuses, statuses
    assert _count(sa.select(Report).where(Report.reporter_id == reporter.id)) == 1, statuses


def test_two_administrators_leaving_at_the_same_moment_leave_one_behind(app):
    first = factories.member()
    organisation = first.memberships[0].organisation
    second = factories.user()
    factories.membership(second, organisation, Role.ADMIN)
    leaving = [
        (first, first.memberships[0].id),
        (
            second,
            db.session.scalar(sa.select(Membership.id).where(Membership.user_id == second.id)),
        ),
    ]

    clients = [log_in(app.test_client(), who) for who, _id in leaving]
    paths = [f"/organisationer/{organisation.id}/medlemmar/{id_}/ta-bort" for _who, id_ in leaving]

    def leave(number: int) -> int:
        return clients[number].post(paths[number]).status_code

    statuses = at_once(2, leave)
    assert 500 not in statuses, statuses
    admins = sa.select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.role == Role.ADMIN
    )
    assert _count(admins) == 1, statuses  # both succeeded before: no administrator left


# --- every other form that creates something: a double click makes one row -----------------------


def _twice_at_once(app, who, path: str, data: dict, *, count: int = 2, headers=None) -> list:
    clients = [log_in(app.test_client(), who) for _ in range(count)]
    return at_once(
        count, lambda n: clients[n].post(path, data=data, headers=headers or {}).status_code
    )


def test_a_new_ad_double_clicked_is_published_once(app):
    from marketplace.ads.models import Ad
    from tests.test_ads_views import valid_ad

    member = factories.member()
    statuses = _twice_at_once(app, member, "/annonser/ny", valid_ad(), count=3)
    assert statuses == [303] * 3
    assert _count(sa.select(Ad)) == 1


def test_a_new_organisation_double_clicked_is_registered_once(app):
    from marketplace.organisations.models import Organisation
    from tests.test_organisations_profiles import form_data

    statuses = _twice_at_once(app, factories.user(), "/organisationer/ny", form_data(), count=3)
    assert 500 not in statuses and 303 in statuses
    assert _count(sa.select(Organisation)) == 1


def test_interest_and_a_reply_double_clicked_are_sent_once(app, outbox):
    from marketplace.contact.models import Conversation, Message
    from tests.test_contact import REPLY, TEXT, parties

    p = parties()
    path = f"/annonser/{p.ad.id}/intresse"
    assert _twice_at_once(app, p.interested, path, {"message": TEXT}) == [303, 303]
    conversation_id = db.session.scalar(sa.select(Conversation.id))
    assert _count(sa.select(Message)) == 1

    statuses = _twice_at_once(
        app,
        p.owner,
        f"/inkorg/{conversation_id}",
        {"message": REPLY},
        headers={"HX-Request": "true"},
    )
    assert 500 not in statuses
    assert _count(sa.select(Message)) == 2
    sent = [(message["To"], message["Subject"]) for message in outbox]
    assert len(sent) == len(set(sent))  # nobody mailed twice about one message


def test_two_organisations_writing_to_each_other_at_once_get_one_direct_thread(app, outbox):
    """Each request finds no thread and inserts one: the unique pair key lets one through, and
    the other joins it. Two clicks by each side as well: one message per person."""
    from marketplace.contact.models import Conversation, Message
    from tests.test_contact_direct import ANSWER, TEXT, pair

    p = pair()
    writers = [
        (log_in(app.test_client(), who), f"/organisationer/{to.id}/kontakta", text)
        for who, to, text in (
            (p.writer, p.recipient, TEXT),
            (p.writer, p.recipient, TEXT),
            (p.coordinator, p.sender, ANSWER),
            (p.coordinator, p.sender, ANSWER),
        )
    ]

    def write(number: int) -> int:
        client, path, text = writers[number]
        return client.post(path, data={"message": text}).status_code

    statuses = at_once(4, write)
    assert statuses == [303] * 4, statuses
    assert _count(sa.select(Conversation)) == 1
    assert _count(sa.select(Message)) == 2


def test_a_saved_search_double_clicked_is_saved_once(app):
    from marketplace.alerts.models import SavedSearch
    from tests.test_alerts_views import form_data

    statuses = _twice_at_once(app, factories.user(), "/bevakningar/ny", form_data(), count=3)
    assert statuses == [303] * 3
    assert _count(sa.select(SavedSearch)) == 1


def test_an_invitation_double_clicked_is_sent_once(app, outbox):
    from marketplace.organisations.models import Invitation

    admin = factories.member()
    path = f"/organisationer/{admin.acting_organisation_id}/medlemmar/bjud-in"
    statuses = _twice_at_once(app, admin, path, {"email": "ny@example.com"}, count=3)
    assert 500 not in statuses
    assert _count(sa.select(Invitation)) == 1
    assert [message["To"] for message in outbox] == ["ny@example.com"]
