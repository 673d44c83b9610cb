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
