"""The search index's change log: one row per ad or organisation changed, written in the
transaction that changes it, so the index writer (search/engine.py) never misses a commit and
never sees one that was rolled back.

Every ORM write to an ad, its challenges or an organisation adds its row here (listeners below);
the import's bulk statements add theirs itself (search/index.py `bulk_write`). The table is a
log, not a queue: every machine's index writer follows it from its own watermark, and rows are
pruned after SEARCH_CHANGE_KEEP_DAYS (a machine that was away longer rebuilds its index).
"""

from __future__ import annotations

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
    # Imported here: the ad and organisation models import this package.
    from marketplace.ads.models import Ad, AdChallenge
    from marketplace.organisations.models import Organisation

    ads: set[int] = set()
    organisations: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Ad):
            if instance in session.dirty and not session.is_modified(instance):
                continue
            ads.add(instance.id)
        elif isinstance(instance, AdChallenge):
            ads.add(instance.ad_id)
        elif isinstance(instance, Organisation):
            if instance in session.dirty and not session.is_modified(instance):
                continue
            organisations.add(instance.id)
    ads.discard(None)  # type: ignore[arg-type]
    organisations.discard(None)  # type: ignore[arg-type]
    if ads or organisations:
        log_changes(session.connection(), ads=ads, organisations=organisations)
        session.info[_PENDING] = True


def _after_commit(session: so.Session) -> None:
    if session.info.pop(_PENDING, False):
        from marketplace.search import engine

        engine.changed()


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
