"""Online backups and restores of the database: SQLite's backup API, PostgreSQL's pg_dump."""

from __future__ import annotations

import shutil
import sqlite3

# pg_dump and pg_restore are the PostgreSQL tools for online backups.
import subprocess  # nosec B404
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why."""


def _pg_arguments(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    arguments = ["--dbname", parsed.database or ""]
    if parsed.host:
        arguments += ["--host", parsed.host]
    if parsed.port:
        arguments += ["--port", str(parsed.port)]
    if parsed.username:
        arguments += ["--username", parsed.username]
    environment = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    import os

    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    result = subprocess.run(  # noqa: S603  fixed tool, arguments from our own configuration
        [tool, *command[1:]],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{command[0]} failed")


def backup(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the live database to `target` while the site keeps running."""
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("an in-memory database cannot be backed up")
        source = sqlite3.connect(parsed.database)
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)  # page by page, safe while others write
        finally:
            destination.close()
            source.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        arguments, environment = _pg_arguments(database_url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *arguments],
            environment,
        )
        return target
    raise BackupError(f"no backup method for {parsed.get_backend_name()}")


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup (stop the app and the worker first)."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(source)
        live = sqlite3.connect(parsed.database)
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    if parsed.get_backend_name() == "postgresql":
        arguments, environment = _pg_arguments(database_url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *arguments,
                str(source),
            ],
            environment,
        )
        return
    raise BackupError(f"no restore method for {parsed.get_backend_name()}")
