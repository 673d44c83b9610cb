"""Serialising decisions that read before they write (the last administrator, one report each).

`lock(Model, id)` makes the rest of the transaction run alone for that row: PostgreSQL takes
the row lock (SELECT ... FOR UPDATE; a second transaction waits there and then reads what the
first committed); SQLite has no row locks, so the transaction takes the database's write lock
at once (a no-op UPDATE), which serialises every writer. Either way a check made after the lock
sees the other request's committed change, and two double-clicked requests cannot both pass it.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db


def lock(model, row_id: int) -> None:
    """Hold `model`'s row `row_id` until this transaction ends (see the module's docstring)."""
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(table.c.id).where(table.c.id == row_id).with_for_update(),
            execution_options={"synchronize_session": False},
        )
    else:
        # Through the connection: a lock is no change the ORM's listeners should see.
        db.session.connection().execute(
            sa.update(table).where(table.c.id == row_id).values(id=table.c.id)
        )
