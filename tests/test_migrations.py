"""The schema comes only from migrations: they must build exactly what the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace.extensions import db
from marketplace.search.index import known_to_autogenerate
from marketplace.search.services import AdQuery, _sql_page, search_ads
from tests import factories
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
            opts={"include_object": known_to_autogenerate, "compare_type": True},
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


def test_a_migrated_database_finds_and_ranks_ads_by_their_words(app):
    """The full-text parts no model describes (FTS5 on SQLite, the stored vector PostgreSQL ranks
    by) come from the migrations too."""
    _drop_everything()
    upgrade()
    org = factories.organisation()
    factories.ad(org=org, title="Läxhjälp i matematik", body="Läxhjälp varje vecka.")
    factories.ad(org=org, title="Språkcafé", body="Vi ordnar också läxhjälp.")
    factories.ad(org=org, title="Boule för seniorer", body="Varje torsdag.")
    query = AdQuery(text="läxhjälp", sort="relevance")
    result = search_ads(query)
    # The engine's index is built from the migrated tables; the more often, the better.
    assert [ad.title for ad in result.items] == ["Läxhjälp i matematik", "Språkcafé"]
    expected, _total = _sql_page(query, 1, 20)  # the database's own full text, the fallback
    assert sorted(ad.title for ad in expected) == ["Läxhjälp i matematik", "Språkcafé"]
    reset_database()
