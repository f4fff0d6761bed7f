"""Alembic environment: runs inside the Flask app so it migrates the configured database."""

from alembic import context
from flask import has_app_context

from scheduler import create_app
from scheduler.extensions import db
from scheduler.search.models import is_search_index

# Tables owned by other libraries (APScheduler's job store) are not ours to migrate.
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to):
    # The search index (an FTS5 table, a GIN index) is made by hand, not from the models.
    if is_search_index(name):
        return False
    return not (type_ == "table" and name in FOREIGN_TABLES)


def run_migrations() -> None:
    connectable = db.engine
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, DROP, rename); with foreign keys on, that DROP
            # deletes the rows of every table whose foreign key cascades from it.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                include_object=include_object,
                render_as_batch=True,  # SQLite needs batch mode for ALTER
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if has_app_context():
    run_migrations()
else:
    with create_app().app_context():
        run_migrations()
