"""The search index's change log: one row per ad or organisation changed, written in the
transaction that changes it, so the index writer (search/engine.py) never misses a commit and
never sees one that was rolled back.

Every ORM write to an ad, its challenges or an organisation adds its row here (listeners below);
the import's bulk statements add theirs itself (search/index.py `bulk_write`). The table is a
log, not a queue: every machine's index writer follows it from its own watermark, and rows are
pruned after SEARCH_CHANGE_KEEP_DAYS (a machine that was away longer rebuilds its index).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from marketplace.clock import utcnow
from marketplace.extensions import db


class SearchChange(db.Model):
    """An ad (ad_id) or every ad of an organisation (organisation_id) to index again."""

    __tablename__ = "search_change"

    id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    ad_id: so.Mapped[int | None]
    organisation_id: so.Mapped[int | None]
    changed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)


_PENDING = "search_changes"


def log_changes(
    connection: sa.Connection,
    *,
    ads: Iterable[int] = (),
    organisations: Iterable[int] = (),
) -> None:
    """Add change rows in the caller's transaction (for writes that bypass the ORM)."""
    now = utcnow()
    rows = [{"ad_id": ad_id, "organisation_id": None, "changed_at": now} for ad_id in set(ads)]
    rows += [
        {"ad_id": None, "organisation_id": org_id, "changed_at": now}
        for org_id in set(organisations)
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(sa.insert(SearchChange.__table__), rows[start : start + 5000])


def _after_flush(session: so.Session, _flush_context) -> None:
    # By table name: the ad and organisation models import this package (no import cycle).
    ads: set[int] = set()
    organisations: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(instance), "__tablename__", None)
        if table not in ("ad", "ad_challenge", "organisation"):
            continue
        if instance in session.dirty and not session.is_modified(instance):
            continue
        if table == "ad":
            ads.add(instance.id)
        elif table == "ad_challenge":
            ads.add(instance.ad_id)
        else:
            organisations.add(instance.id)
    ads.discard(None)  # type: ignore[arg-type]
    organisations.discard(None)  # type: ignore[arg-type]
    if ads or organisations:
        log_changes(session.connection(), ads=ads, organisations=organisations)
        session.info[_PENDING] = True


# Set after a commit that wrote change rows: wakes this process's index writer, if it has one
# (search.engine.follow), instead of waiting for its next round.
wake = threading.Event()


def _after_commit(session: so.Session) -> None:
    if session.info.pop(_PENDING, False):
        wake.set()


def _after_rollback(session: so.Session) -> None:
    session.info.pop(_PENDING, None)


def install_listeners() -> None:
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not sa.event.contains(so.Session, name, listener):
            sa.event.listen(so.Session, name, listener)
