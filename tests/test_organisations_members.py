"""Members, invitations and the organisation a user acts for, through HTTP."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.organisations import services
from marketplace.organisations.models import Invitation, Membership, Role
from tests import factories
from tests.conftest import log_in


def roles(organisation_id: int) -> dict[str, Role]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(User.email, Membership.role)
        .join(Membership.user)
        .where(Membership.organisation_id == organisation_id)
    )
    return dict(rows.all())


def invitation_path(message) -> str:
    link = re.search(r"http://localhost(/organisationer/inbjudan/\S+)", message.get_content())
    assert link, message.get_content()
    return link.group(1)


@pytest.fixture
def admin(app):
    return factories.member(name="Anna Admin")


@pytest.fixture
def organisation(admin):
    return admin.acting_organisation


# --- The members page ----------------------------------------------------------------------


def test_members_see_who_belongs_and_with_which_role(app, admin, organisation):
    colleague = factories.member(role=Role.MEMBER, org=organisation, name="Kalle Kollega")
    html = (
        log_in(app.test_client(), colleague, form=True)
        .get(f"/organisationer/{organisation.id}/medlemmar")
        .get_data(as_text=True)
    )
    assert "Anna Admin" in html and "Kalle Kollega" in html
    assert "Administratör" in html and "Medlem" in html
    assert "Lämna organisationen" in html
    assert "Bjud in en kollega" not in html  # only administrators manage


def test_people_outside_the_organisation_cannot_see_its_members(app, client, organisation):
    outsider = factories.member()
    assert (
        log_in(app.test_client(), outsider, form=True)
        .get(f"/organisationer/{organisation.id}/medlemmar")
        .status_code
        == 403
    )
    anonymous = client.get(f"/organisationer/{organisation.id}/medlemmar")
    assert anonymous.status_code == 302 and "/konto/logga-in" in anonymous.headers["Location"]


# --- Invitations -----------------------------------------------------------------------------


def test_an_invited_colleague_gets_a_mail_follows_the_link_and_joins(
    app, admin, organisation, outbox
):
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": "Ny@Example.com"}
    )
    assert response.status_code == 303
    [message] = outbox
    assert message["To"] == "ny@example.com"
    assert message["Subject"] == f"Inbjudan till {organisation.name} på Samverkanstorget"
    assert "Anna Admin har bjudit in dig" in message.get_body(("plain",)).get_content()
    path = invitation_path(message.get_body(("plain",)))

    newcomer = factories.user(email="ny@example.com")
    client = log_in(app.test_client(), newcomer, form=True)
    page = client.get(path)
    assert page.status_code == 200
    assert f"Gå med i {organisation.name}" in page.get_data(as_text=True)
    joined = client.post(path)
    assert joined.status_code == 303
    assert roles(organisation.id)["ny@example.com"] is Role.MEMBER
    assert db.session.get(User, newcomer.id).acting_organisation_id == organisation.id
    assert "Du är nu medlem" in client.get(joined.headers["Location"]).get_data(as_text=True)

    twice = client.post(path)  # a second click at once (or a retry) ends like the first
    assert twice.status_code == 303 and twice.headers["Location"] == joined.headers["Location"]
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.accepted_at -= timedelta(minutes=2)
    db.session.commit()
    again = client.post(path)  # single use
    assert again.status_code == 410
    assert "Inbjudan har redan använts" in again.get_data(as_text=True)


def test_the_invitation_mail_is_written_in_the_inviters_language(app, outbox):
    inviter = factories.member(locale="en")
    log_in(app.test_client(), inviter, form=True).post(
        f"/organisationer/{inviter.acting_organisation_id}/medlemmar/bjud-in",
        data={"email": "colleague@example.com"},
    )
    [message] = outbox
    assert '<html lang="en">' in message.get_body(("html",)).get_content()


def _invite(app, admin, organisation, outbox, email: str = "ny@example.com") -> str:
    log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": email}
    )
    return invitation_path(outbox[-1].get_body(("plain",)))


NEWCOMER = {"name": "Nora Ny", "email": "ny@example.com", "password": "lingon-och-kanel-2027"}


def test_following_an_invitation_while_logged_out_offers_to_log_in_or_create_an_account(
    app, client, admin, organisation, outbox
):
    path = _invite(app, admin, organisation, outbox)
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Gå med i {organisation.name}" in html
    assert f'href="/konto/logga-in?next={path.replace("/", "%2F")}"' in html or (
        f'href="/konto/logga-in?next={path}"' in html
    )
    assert f'action="{path}/nytt-konto"' in html and 'value="ny@example.com"' in html
    refused = client.post(path)  # joining needs a log-in
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/konto/logga-in")


def test_an_invited_newcomer_creates_an_account_and_joins_at_once_logged_in(
    app, client, admin, organisation, outbox
):
    """The invitation link was mailed to the address, so it proves it: no confirmation mail, no
    second log-in (an ordinary registration logs no one in)."""
    path = _invite(app, admin, organisation, outbox)
    outbox.clear()

    response = client.post(f"{path}/nytt-konto", data=NEWCOMER)

    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/organisationer/{organisation.id}")
    assert roles(organisation.id)["ny@example.com"] is Role.MEMBER
    nora = db.session.scalar(sa.select(User).where(User.email == "ny@example.com"))
    assert nora.name == "Nora Ny" and nora.is_confirmed
    assert outbox == []  # nothing to confirm
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Välkommen! Du är nu medlem i {organisation.name}" in page
    assert client.get("/konto/installningar").status_code == 200  # logged in

    twice = app.test_client().post(f"{path}/nytt-konto", data=NEWCOMER)  # a double click
    assert twice.status_code == 303 and twice.headers["Location"] == response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == nora.email)) == 1


def test_an_invitation_account_must_be_for_the_invited_address(
    app, client, admin, organisation, outbox
):
    path = _invite(app, admin, organisation, outbox)
    response = client.post(f"{path}/nytt-konto", data={**NEWCOMER, "email": "annan@example.com"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Inbjudan gäller ny@example.com" in html and 'value="Nora Ny"' in html
    assert NEWCOMER["password"] not in html
    assert db.session.scalar(sa.select(User).where(User.email == "annan@example.com")) is None


def test_an_invited_address_that_has_an_account_logs_in_with_its_own_password(
    app, admin, organisation, outbox
):
    factories.user(email="ny@example.com")  # password factories.PASSWORD
    path = _invite(app, admin, organisation, outbox)

    wrong = app.test_client().post(f"{path}/nytt-konto", data=NEWCOMER)
    assert wrong.status_code == 303 and wrong.headers["Location"].startswith(
        "/konto/logga-in?next="
    )
    assert "ny@example.com" not in roles(organisation.id)

    right = app.test_client().post(
        f"{path}/nytt-konto", data={**NEWCOMER, "password": factories.PASSWORD}
    )
    assert right.status_code == 303
    assert roles(organisation.id)["ny@example.com"] is Role.MEMBER


def test_an_invitation_opened_by_someone_else_is_explained_and_not_used(
    app, admin, organisation, outbox
):
    log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": "ny@example.com"}
    )
    path = invitation_path(outbox[0].get_body(("plain",)))
    stranger = factories.user(email="annan@example.com")
    client = log_in(app.test_client(), stranger, form=True)
    for response in (client.get(path), client.post(path)):
        html = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Inbjudan skickades till ny@example.com" in html
        assert "inloggad som annan@example.com" in html
    assert "annan@example.com" not in roles(organisation.id)
    assert db.session.scalar(sa.select(Invitation.accepted_at)) is None


def test_an_expired_invitation_says_so(app, admin, organisation, outbox):
    log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": "ny@example.com"}
    )
    path = invitation_path(outbox[0].get_body(("plain",)))
    client = log_in(app.test_client(), factories.user(email="ny@example.com"), form=True)
    app.config["INVITE_TOKEN_MAX_AGE"] = -1  # every link is now older than its lifetime
    response = client.post(path)
    assert response.status_code == 410
    assert "Inbjudan har gått ut" in response.get_data(as_text=True)
    assert "ny@example.com" not in roles(organisation.id)


def test_a_tampered_invitation_link_is_refused(app, admin, organisation, outbox):
    log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": "ny@example.com"}
    )
    path = invitation_path(outbox[0].get_body(("plain",)))
    client = log_in(app.test_client(), factories.user(email="ny@example.com"), form=True)
    for bad in (path[:-3] + "abc", "/organisationer/inbjudan/inte-en-token"):
        response = client.post(bad)
        assert response.status_code == 404
        assert "Länken fungerar inte" in response.get_data(as_text=True)
    assert "ny@example.com" not in roles(organisation.id)


def test_inviting_a_present_member_is_refused_and_the_address_kept(
    app, admin, organisation, outbox
):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": colleague.email}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "är redan medlem" in html and f'value="{colleague.email}"' in html
    assert outbox == []


def test_an_invalid_address_is_refused_and_kept(app, admin, organisation, outbox):
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/bjud-in", data={"email": "inte en adress"}
    )
    assert response.status_code == 422
    assert 'value="inte en adress"' in response.get_data(as_text=True)
    assert outbox == []


def test_plain_members_and_outsiders_cannot_invite(app, organisation, outbox):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    outsider = factories.member()
    for person in (colleague, outsider):
        response = log_in(app.test_client(), person, form=True).post(
            f"/organisationer/{organisation.id}/medlemmar/bjud-in",
            data={"email": "ny@example.com"},
        )
        assert response.status_code == 403
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_a_user_can_belong_to_several_organisations(app, outbox):
    first = factories.member()
    second = factories.member()
    joiner = factories.member(email="flera@example.com")
    for inviter in (first, second):
        log_in(app.test_client(), inviter, form=True).post(
            f"/organisationer/{inviter.acting_organisation_id}/medlemmar/bjud-in",
            data={"email": "flera@example.com"},
        )
    client = log_in(app.test_client(), joiner, form=True)
    for message in outbox:
        assert client.post(invitation_path(message.get_body(("plain",)))).status_code == 303
    html = client.get("/organisationer/mina").get_data(as_text=True)
    for inviter in (first, second, joiner):
        assert inviter.acting_organisation.name in html


# --- Removing members and the administrator role ----------------------------------------


def test_an_administrator_removes_a_member(app, admin, organisation):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    membership_id = colleague.memberships[0].id
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/{membership_id}/ta-bort"
    )
    assert response.status_code == 303
    assert colleague.email not in roles(organisation.id)
    assert db.session.get(User, colleague.id).acting_organisation_id is None


def test_a_member_may_leave_but_not_remove_others(app, admin, organisation):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    client = log_in(app.test_client(), colleague, form=True)
    admin_membership = admin.memberships[0].id
    refused = client.post(f"/organisationer/{organisation.id}/medlemmar/{admin_membership}/ta-bort")
    assert refused.status_code == 403
    assert admin.email in roles(organisation.id)
    left = client.post(
        f"/organisationer/{organisation.id}/medlemmar/{colleague.memberships[0].id}/ta-bort"
    )
    assert left.status_code == 303 and left.headers["Location"] == "/organisationer/mina"
    assert colleague.email not in roles(organisation.id)


def test_the_last_administrator_can_neither_leave_nor_step_down(app, admin, organisation):
    client = log_in(app.test_client(), admin, form=True)
    own = admin.memberships[0].id
    for url, data in (
        (f"/organisationer/{organisation.id}/medlemmar/{own}/ta-bort", {}),
        (f"/organisationer/{organisation.id}/medlemmar/{own}/roll", {"role": "member"}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "måste alltid ha minst en administratör" in html
        # The refusal takes the focus, so keyboard and screen-reader users land on it.
        box = html.split('<div class="form-errors"')[1].split("</div>")[0]
        assert 'role="alert" tabindex="-1" autofocus' in box
        assert "måste alltid ha minst en administratör" in box
    assert roles(organisation.id) == {admin.email: Role.ADMIN}


def test_granting_the_role_lets_the_first_administrator_step_down(app, admin, organisation):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    client = log_in(app.test_client(), admin, form=True)
    base = f"/organisationer/{organisation.id}/medlemmar"
    assert (
        client.post(
            f"{base}/{colleague.memberships[0].id}/roll", data={"role": "admin"}
        ).status_code
        == 303
    )
    assert (
        client.post(f"{base}/{admin.memberships[0].id}/roll", data={"role": "member"}).status_code
        == 303
    )
    assert roles(organisation.id) == {admin.email: Role.MEMBER, colleague.email: Role.ADMIN}


def test_handing_over_swaps_the_roles_in_one_step(app, admin, organisation):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    response = log_in(app.test_client(), admin, form=True).post(
        f"/organisationer/{organisation.id}/medlemmar/{colleague.memberships[0].id}/overlamna"
    )
    assert response.status_code == 303
    assert roles(organisation.id) == {admin.email: Role.MEMBER, colleague.email: Role.ADMIN}


def test_the_last_administrator_cannot_be_removed_by_anyone(app, admin, organisation):
    """Even a second administrator who then steps down leaves one administrator behind."""
    other_admin = factories.member(role=Role.ADMIN, org=organisation)
    client = log_in(app.test_client(), other_admin, form=True)
    base = f"/organisationer/{organisation.id}/medlemmar"
    assert client.post(f"{base}/{admin.memberships[0].id}/ta-bort").status_code == 303
    response = client.post(f"{base}/{other_admin.memberships[0].id}/ta-bort")
    assert response.status_code == 422
    assert roles(organisation.id) == {other_admin.email: Role.ADMIN}


@pytest.mark.parametrize(
    ("action", "data"), [("ta-bort", {}), ("roll", {"role": "admin"}), ("overlamna", {})]
)
def test_outsiders_and_plain_members_cannot_change_memberships(
    app, admin, organisation, action, data
):
    colleague = factories.member(role=Role.MEMBER, org=organisation)
    target = factories.member(role=Role.MEMBER, org=organisation)
    outsider = factories.member()
    url = f"/organisationer/{organisation.id}/medlemmar/{target.memberships[0].id}/{action}"
    for person in (outsider, colleague):
        assert log_in(app.test_client(), person, form=True).post(url, data=data).status_code == 403
    assert roles(organisation.id)[target.email] is Role.MEMBER


def test_a_membership_of_another_organisation_is_404(app, admin, organisation):
    elsewhere = factories.member(role=Role.MEMBER)
    url = f"/organisationer/{organisation.id}/medlemmar/{elsewhere.memberships[0].id}/ta-bort"
    assert log_in(app.test_client(), admin, form=True).post(url).status_code == 404
    assert elsewhere.email in roles(elsewhere.acting_organisation_id)


def test_anonymous_visitors_cannot_change_memberships(client, admin, organisation):
    url = f"/organisationer/{organisation.id}/medlemmar/{admin.memberships[0].id}/ta-bort"
    response = client.post(url)
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
    assert admin.email in roles(organisation.id)


# --- Acting for an organisation ---------------------------------------------------------


def test_a_user_in_two_organisations_switches_which_one_they_act_for(app):
    user = factories.member()
    first = user.acting_organisation
    second = factories.organisation(name="Andra Föreningen")
    factories.membership(user, second, Role.MEMBER)
    client = log_in(app.test_client(), user, form=True)
    html = client.get("/organisationer/mina").get_data(as_text=True)
    assert "Du företräder den här organisationen." in html
    assert "Agera för Andra Föreningen" in html and f"Agera för {first.name}" not in html
    response = client.post("/organisationer/agera-for", data={"organisation_id": second.id})
    assert response.status_code == 303 and response.headers["Location"] == "/organisationer/mina"
    db.session.expire_all()
    assert db.session.get(User, user.id).acting_organisation_id == second.id
    html = client.get("/organisationer/mina").get_data(as_text=True)
    assert f"Agera för {first.name}" in html and "Agera för Andra Föreningen" not in html
    assert "Du företräder nu Andra Föreningen." in html


def test_nobody_can_act_for_an_organisation_they_do_not_belong_to(app, client):
    user = factories.member()
    other = factories.organisation()
    logged_in = log_in(app.test_client(), user, form=True)
    assert (
        logged_in.post("/organisationer/agera-for", data={"organisation_id": other.id}).status_code
        == 403
    )
    assert (
        logged_in.post("/organisationer/agera-for", data={"organisation_id": 9999}).status_code
        == 404
    )
    assert (
        logged_in.post("/organisationer/agera-for", data={"organisation_id": "x"}).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(User, user.id).acting_organisation_id == user.acting_organisation_id
    anonymous = client.post("/organisationer/agera-for", data={"organisation_id": other.id})
    assert anonymous.status_code == 302


def test_my_organisations_needs_a_log_in_and_explains_an_empty_list(app, client):
    assert client.get("/organisationer/mina").status_code == 302
    html = (
        log_in(app.test_client(), factories.user(), form=True)
        .get("/organisationer/mina")
        .get_data(as_text=True)
    )
    assert "Du är inte med i någon organisation ännu." in html


def test_acting_membership_falls_back_to_the_first_membership(app):
    user = factories.user()
    assert services.acting_membership(user) is None
    first = factories.organisation()
    second = factories.organisation()
    factories.membership(user, first)
    factories.membership(user, second)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert services.acting_membership(user).organisation_id == first.id
    user.acting_organisation_id = second.id
    assert services.acting_membership(user).organisation_id == second.id
