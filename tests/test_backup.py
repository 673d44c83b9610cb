"""Backups can be taken while the site runs, and restoring one brings the data back."""

from __future__ import annotations

import os

import sqlalchemy as sa

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from tests import factories


def test_a_backup_restores_the_data_as_it_was(tmp_path):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'live.db'}"
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=url.replace("postgresql://", "postgresql+psycopg://")
    )
    runner = app.test_cli_runner()
    with app.app_context():
        db.drop_all()
        db.create_all()
        factories.organisation(name="Före backupen")
        db.session.remove()

        archive = tmp_path / "backup.dump"
        result = runner.invoke(args=["backup", str(archive)])
        assert result.exit_code == 0, result.output
        assert archive.stat().st_size > 0

        factories.organisation(name="Efter backupen")
        db.session.remove()
        db.engine.dispose()  # the restore replaces the database under the pool

        result = runner.invoke(args=["restore", "--yes", str(archive)])
        assert result.exit_code == 0, result.output
        names = db.session.scalars(sa.select(Organisation.name)).all()
        assert names == ["Före backupen"]
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
