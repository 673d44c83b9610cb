"""Time in one convention: naive UTC datetimes in the database, local time only when shown."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what both SQLite and PostgreSQL columns store here)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in Sweden: ads expire at the end of the Swedish day, whatever the server's zone."""
    return datetime.now(STOCKHOLM).date()
