"""Retention: unconfirmed accounts go after 7 days, mail log rows after 12 months (daily jobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.notifications.models import OutboxEmail
from marketplace.privacy import services, tasks
from tests import factories

NOW = datetime(2026, 3, 31, 12, 0)


def emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(User.email)))


def subjects() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(OutboxEmail.subject)))


def mail(subject: str, created_at: datetime, to: str = "someone@example.com") -> None:
    factories.outbox_email(subject=subject, recipient=to, created_at=created_at)


def test_unconfirmed_accounts_are_removed_after_seven_days_and_no_sooner(app):
    factories.user(confirmed=False, email="sex@example.com", created_at=NOW - timedelta(days=6))
    old = factories.user(
        confirmed=False, email="atta@example.com", created_at=NOW - timedelta(days=8)
    )
    factories.user(email="bekraftad@example.com", created_at=NOW - timedelta(days=30))
    mail("Bekräfta din e-postadress", NOW - timedelta(days=8), to=old.email)

    assert services.remove_unconfirmed_accounts(now=NOW) == 1

    assert emails() == {"sex@example.com", "bekraftad@example.com"}
    assert subjects() == set()  # the confirmation mail to the removed address went with it


def test_an_unconfirmed_account_that_joined_an_organisation_leaves_it_when_removed(app):
    org = factories.organisation()
    factories.member(org=org)
    joiner = factories.member(
        org=org, confirmed=False, email="ny@example.com", created_at=NOW - timedelta(days=10)
    )
    assert joiner.memberships

    assert services.remove_unconfirmed_accounts(now=NOW) == 1

    assert "ny@example.com" not in emails()
    assert len(org.memberships) == 1


def test_mail_log_rows_older_than_twelve_months_are_removed(app):
    mail("Elva månader", datetime(2025, 4, 30, 12, 0))
    mail("Tolv månader och en dag", datetime(2025, 3, 30, 12, 0))
    mail("Tretton månader", datetime(2025, 2, 28, 12, 0))

    assert services.remove_old_mail(now=NOW) == 2

    assert subjects() == {"Elva månader"}


def test_twelve_months_are_calendar_months():
    assert services.months_before(datetime(2026, 3, 31), 12) == datetime(2025, 3, 31)
    assert services.months_before(datetime(2026, 3, 31), 13) == datetime(2025, 2, 28)
    assert services.months_before(datetime(2024, 2, 29), 12) == datetime(2023, 2, 28)
    assert services.months_before(datetime(2026, 1, 15), 1) == datetime(2025, 12, 15)


def test_the_daily_jobs_run_the_retention_services(app):
    factories.user(confirmed=False, email="gammal@example.com", created_at=datetime(2000, 1, 1))
    mail("Uråldrig", datetime(2000, 1, 1))

    assert tasks.remove_unconfirmed_accounts.call_local() == 1
    assert tasks.remove_old_mail.call_local() == 1

    assert "gammal@example.com" not in emails() and subjects() == set()


def test_the_worker_runs_the_retention_jobs_every_night():
    from marketplace import tasks as all_tasks  # noqa: F401  what the worker imports
    from marketplace.extensions import huey

    def due(hour: int, minute: int) -> set[str]:
        return {task.name for task in huey.read_periodic(datetime(2026, 3, 31, hour, minute))}

    assert "remove_unconfirmed_accounts" in due(3, 0)
    assert "remove_old_mail" in due(3, 15)
    assert not {"remove_unconfirmed_accounts", "remove_old_mail"} & due(12, 0)
