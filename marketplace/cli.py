"""Maintenance commands: `flask --app app <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from marketplace.crises.cli import group as crisis_group
from marketplace.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(crisis_group)

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False))
    def backup_command(target: str) -> None:
        """Write an online backup of the database to TARGET (SQLite file or pg_dump archive)."""
        from pathlib import Path

        from marketplace import backup

        try:
            written = backup.backup(app.config["SQLALCHEMY_DATABASE_URI"], Path(target))
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"backup written to {written}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.confirmation_option(prompt="This replaces everything in the database. Continue?")
    def restore_command(source: str) -> None:
        """Replace the database's contents with the backup SOURCE (stop the site and worker first)."""
        from pathlib import Path

        from marketplace import backup

        try:
            backup.restore(app.config["SQLALCHEMY_DATABASE_URI"], Path(source))
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"restored from {source}")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Worker threads.")
    def worker(workers: int) -> None:
        """Deliver e-mail and run the periodic jobs (the task queue's consumer)."""
        from marketplace.tasks import run_worker

        run_worker(app, workers=workers)

    @app.cli.command("deliver-mail")
    def deliver_mail() -> None:
        """Deliver every e-mail in the outbox that is due now."""
        from marketplace.notifications.services import deliver_due

        total = 0
        while sent := deliver_due():
            total += sent
        click.echo(f"delivered {total} e-mail(s)")

    @app.cli.command("retry-failed-mail")
    @click.option("--list", "list_only", is_flag=True, help="Only list the failed e-mails.")
    @click.argument("ids", nargs=-1, type=int)
    def retry_failed_mail(list_only: bool, ids: tuple[int, ...]) -> None:
        """Queue e-mails given up on (failed after every attempt) again: all, or these ids.

        Safe to repeat: only e-mails still marked failed are queued, each keeps its Message-ID.
        """
        from marketplace.notifications.services import failed_emails, requeue_failed

        if list_only:
            for row in failed_emails():
                click.echo(f"{row.id}\t{row.recipient}\t{row.subject}\t{row.last_error}")
            return
        count = requeue_failed(list(ids) if ids else None)
        click.echo(f"queued {count} failed e-mail(s) again")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only load when there are no organisations yet.")
    @click.option(
        "--force",
        is_flag=True,
        help="Load even without FLASK_DEBUG=1 (the demo accounts' password is public).",
    )
    def seed_demo(if_empty: bool, force: bool) -> None:
        """Load the demo organisations, ads, people and their past year for a newcomer to explore."""
        from marketplace import demo

        try:
            created = demo.load_demo_data(only_if_empty=if_empty, force=force)
        except demo.DemoRefused as refused:
            raise click.ClickException(f"demo data not loaded: {refused}") from None
        db.session.commit()
        click.echo(created)

    @app.cli.command("import-data")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--dry-run", is_flag=True, help="Check the file and count changes, write nothing."
    )
    def import_data(path: str, dry_run: bool) -> None:
        """Import organisations and ads from a JSON file (format: README, Interface for other systems)."""
        from marketplace.imports import services as imports

        try:
            document = imports.read_file(path)
            ads = document.get("ads") if isinstance(document, dict) else None
            count = len(ads) if isinstance(ads, list) else 0
            if sys.stderr.isatty():  # on a terminal: a progress bar (counts, estimate)
                with click.progressbar(
                    length=2 * count,
                    label="Importing ads",
                    show_pos=True,
                    show_eta=True,
                    file=sys.stderr,
                ) as bar:
                    report = imports.import_data(document, dry_run=dry_run, progress=bar.update)
            else:
                report = imports.import_data(document, dry_run=dry_run)
        except imports.ImportRejected as rejected:
            for problem in rejected.problems:
                click.echo(problem, err=True)
            raise click.ClickException(
                f"{len(rejected.problems)} problem(s) in {path}; nothing was imported"
            ) from None
        click.echo(f"{report}{' (dry run: nothing written)' if dry_run else ''}")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option(
        "--name", default="", help="Display name for a new account (default: from the address)."
    )
    def create_admin(email: str, name: str) -> None:
        """Make EMAIL a site administrator: promote its account, or create a confirmed one."""
        from email_validator import EmailNotValidError, validate_email
        from flask_babel import force_locale

        from marketplace.accounts.passwords import password_problem
        from marketplace.organisations import services as organisations

        try:
            address = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            raise click.BadParameter(str(error), param_hint="EMAIL") from None
        password = None
        # No request, so no visitor's language: the password rules speak the site's language.
        with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            if organisations.find_user_by_email(address) is None:
                for _attempt in range(3):
                    password = click.prompt(
                        "Password for the new account", hide_input=True, confirmation_prompt=True
                    )
                    problem = password_problem(password, [address, name])
                    if problem is None:
                        break
                    click.echo(problem, err=True)
                else:
                    raise click.ClickException("no acceptable password given; nothing was created")
            user, created = organisations.ensure_site_admin(address, password, name)
        action = "created site administrator" if created else "promoted to site administrator"
        click.echo(f"{action}: {user.email}")

    @app.cli.group("search-index")
    def search_index() -> None:
        """The ad search's index (SEARCH_INDEX_DIR): build it, see where it stands."""

    @search_index.command("rebuild")
    def search_index_rebuild() -> None:
        """Build the index anew from the database (while the old one keeps serving)."""
        import sqlalchemy as sa

        from marketplace.ads.models import Ad, AdStatus
        from marketplace.clock import today
        from marketplace.search import engine

        total = db.session.scalar(
            sa.select(sa.func.count(Ad.id)).where(
                Ad.status == AdStatus.OPEN, Ad.expires_on >= today()
            )
        )
        with click.progressbar(
            length=total or 0,
            label="Indexing ads",
            show_pos=True,
            show_eta=True,
            item_show_func=lambda _item: None,
        ) as bar:
            count = engine.get().rebuild(progress=bar.update)
        click.echo(f"indexed {count} open ads in {engine.get().root}")

    @search_index.command("status")
    def search_index_status() -> None:
        """Where the index is, how many ads it holds and how far it has followed the log."""
        import sqlalchemy as sa

        from marketplace.search import engine
        from marketplace.search.models import SearchChange

        index = engine.get()
        why = index.needs_rebuild()
        if why:
            click.echo(f"{index.root}: needs a rebuild ({why})")
            return
        state = index._state
        top = db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
        click.echo(
            f"{index.root}: {index.searcher().num_docs} ads, "
            f"change log {state.watermark if state else 0} of {top}"
        )
