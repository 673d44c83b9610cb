"""`flask --app app crisis declare|extend|end`: the same use cases as the crisis pages."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace.accounts.models import User
from marketplace.clock import today
from marketplace.crises import services
from marketplace.extensions import db

group = AppGroup("crisis", help="Declare, extend and end crises (logged in the moderation log).")


def _actor(email: str) -> User:
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    )
    if user is None:
        raise click.ClickException(f"no account has the address {email}")
    return user


def _fail(error: services.CrisisError) -> click.ClickException:
    lines = [f"{name}: {message}" if name else message for name, message in error.errors.items()]
    return click.ClickException("; ".join(lines))


@group.command("declare")
@click.option("--by", "by", required=True, help="E-mail of the site admin or county moderator.")
@click.option("--name", required=True)
@click.option("--description", required=True)
@click.option("--lead", required=True, help="Who leads the work.")
@click.option("--county", "counties", multiple=True, help="County code (repeat for several).")
@click.option("--nationwide", is_flag=True, help="All of Sweden (site administrators).")
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Default: today.")
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--challenge", default="crisis-preparedness", show_default=True)
def declare(by, name, description, lead, counties, nationwide, starts, ends, challenge) -> None:
    """Declare a crisis; prints its slug."""
    try:
        crisis = services.declare_crisis(
            _actor(by),
            name=name,
            description=description,
            lead=lead,
            county_codes=list(counties),
            nationwide=nationwide,
            starts_on=starts.date() if starts else today(),
            ends_on=ends.date(),
            challenge=challenge,
        )
    except services.CrisisError as error:
        raise _fail(error) from None
    click.echo(crisis.slug)


def _crisis(slug: str):
    crisis = services.crisis_by_slug(slug)
    if crisis is None:
        raise click.ClickException(f"no crisis {slug}")
    return crisis


@group.command("extend")
@click.argument("slug")
@click.option("--by", "by", required=True)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), required=True, help="New last day.")
@click.option("--reason", required=True)
def extend(slug: str, by: str, until, reason: str) -> None:
    """Move a crisis's end later, with a reason."""
    try:
        crisis = services.extend_crisis(_actor(by), _crisis(slug), until.date(), reason)
    except services.CrisisError as error:
        raise _fail(error) from None
    click.echo(f"{crisis.slug} lasts until {crisis.ends_on.isoformat()}")


@group.command("end")
@click.argument("slug")
@click.option("--by", "by", required=True)
@click.option("--reason", required=True)
def end(slug: str, by: str, reason: str) -> None:
    """End a crisis now, with a reason."""
    try:
        crisis = services.end_crisis(_actor(by), _crisis(slug), reason)
    except services.CrisisError as error:
        raise _fail(error) from None
    click.echo(f"{crisis.slug} ended")
