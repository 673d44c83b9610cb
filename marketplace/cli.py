"""Maintenance commands: `flask --app app <command>`."""

from __future__ import annotations

import click
from flask import Flask

from marketplace.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("deliver-mail")
    def deliver_mail() -> None:
        """Deliver every e-mail in the outbox that is due now."""
        from marketplace.notifications.services import deliver_due

        total = 0
        while sent := deliver_due():
            total += sent
        click.echo(f"delivered {total} e-mail(s)")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only load when there are no organisations yet.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo organisations (and what else exists) for a newcomer to explore."""
        from marketplace import demo

        created = demo.load_demo_data(only_if_empty=if_empty)
        db.session.commit()
        click.echo(created)
