"""Time in one convention: naive UTC datetimes in the database, local time only when shown.

Everything that asks "what time is it?" asks here, so a history can be replayed through the
services with the times it happened (`frozen_at`, used by the demo data).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Set only inside `frozen_at`; a context variable, so no other thread or request sees it.
_frozen: ContextVar[datetime | None] = ContextVar("frozen_utcnow", default=None)


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what both SQLite and PostgreSQL columns store here)."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in Sweden: ads expire at the end of the Swedish day, whatever the server's zone."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen.replace(tzinfo=UTC).astimezone(STOCKHOLM).date()
    return datetime.now(STOCKHOLM).date()


def swedish_date(moment: datetime) -> date:
    """The Swedish date of a stored (naive UTC) moment: 23:30 UTC on 7 December is the 8th in
    Sweden. Compare stored moments with Swedish dates (expiry, a crisis's days) only through it."""
    return moment.replace(tzinfo=UTC).astimezone(STOCKHOLM).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Inside the block, utcnow() answers `moment` (naive UTC) and today() its Swedish date.

    Only for replaying events that happened earlier (`flask seed-demo`); never while serving.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
