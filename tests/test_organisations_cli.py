"""`flask create-admin`: the way the first site administrator comes into being."""

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.passwords import verify_password
from marketplace.extensions import db
from tests import factories

GOOD_PASSWORD = "kanelbulle-på-tåget-till-umeå"


def find(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_admin_creates_a_confirmed_site_administrator_after_asking_twice(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "Chef@Example.com"], input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "created site administrator: chef@example.com" in result.output
    admin = find("chef@example.com")
    assert admin.is_site_admin and admin.is_confirmed
    assert verify_password(admin.password_hash, GOOD_PASSWORD)


def test_the_new_administrator_can_log_in_and_verify_organisations(app, client):
    app.test_cli_runner().invoke(
        args=["create-admin", "chef@example.com"], input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n"
    )
    organisation = factories.organisation()
    client.post("/konto/logga-in", data={"email": "chef@example.com", "password": GOOD_PASSWORD})
    assert client.post(f"/organisationer/{organisation.id}/verifiera").status_code == 303


def test_create_admin_promotes_an_existing_user_without_touching_the_password(app):
    person = factories.user(email="finns@example.com")
    result = app.test_cli_runner().invoke(args=["create-admin", "finns@example.com"])
    assert result.exit_code == 0, result.output
    assert "promoted to site administrator" in result.output
    promoted = find("finns@example.com")
    assert promoted.is_site_admin and promoted.password_hash == person.password_hash


def test_create_admin_refuses_a_weak_password_and_creates_nothing(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "svag@example.com"], input="kort\nkort\n" * 3
    )
    assert result.exit_code != 0
    assert "minst" in result.output  # the password rule is explained
    assert find("svag@example.com") is None


def test_create_admin_refuses_a_mistyped_confirmation(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "typo@example.com"],
        input=f"{GOOD_PASSWORD}\nnågot-annat\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "match" in result.output.lower()
    assert find("typo@example.com").is_site_admin


def test_create_admin_refuses_an_invalid_address(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "inte-en-adress"])
    assert result.exit_code == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
