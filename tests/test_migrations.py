"""The schema comes only from migrations: they must build exactly what the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace.extensions import db
from tests.conftest import reset_database


def _drop_everything() -> None:
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def test_migrations_build_the_same_schema_as_the_models(app):
    _drop_everything()
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": _include_object, "compare_type": True},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"
    reset_database()


def test_migrations_downgrade_to_an_empty_database(app):
    _drop_everything()
    upgrade()
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    reset_database()


def _include_object(object_, name, type_, reflected, compare_to):
    return not (type_ == "table" and name and name.startswith("fts_"))
