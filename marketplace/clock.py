"""Time in one convention: naive UTC datetimes in the database, local time only when shown."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what both SQLite and PostgreSQL columns store here)."""
    return datetime.now(UTC).replace(tzinfo=None)
