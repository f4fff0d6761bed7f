"""Alembic: the migrations build exactly the schema the models describe, and undo it."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scheduler import create_app
from scheduler.extensions import db
from scheduler.migrate import downgrade, upgrade


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(empty_database_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                kind = conn.execute(
                    sa.text("SELECT contype FROM pg_constraint WHERE conname = :name"),
                    {"name": "ex_occurrences_venue_slot"},
                ).scalar()
            assert kind == "x"  # the venue exclusion constraint exists
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"events", "occurrences", "societies", "venues", "holidays"} <= tables
        downgrade("base")
        left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.engine.dispose()
