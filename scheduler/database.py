"""Database set-up shared by every area: SQLite pragmas, serialized writes, keyed locks.

On PostgreSQL an exclusion constraint keeps two submissions from holding one venue slot, and
transaction-scoped advisory locks (``lock_keys``) serialize the check-and-write of anything
held by id, such as a speaker. SQLite has neither, so there the check-and-write runs inside
BEGIN IMMEDIATE, which lets one writer at a time in, across processes.
"""

from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask

from .extensions import db

_immediate = ContextVar("sqlite_immediate", default=False)

# The largest id an INTEGER column holds: a bigger number from a URL or a body names no row
# (and would overflow SQLite's driver or PostgreSQL's integer instead of finding nothing).
MAX_ID = 2**31 - 1


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

    @app.teardown_appcontext
    def drop_cut_connection(exc):
        """Removing the session rolls its connection back; a connection the database cut (a
        restart) fails that, and a request that had finished would end as a 500. Drop such a
        connection instead. (Teardowns run in reverse: this one before Flask-SQLAlchemy's.)"""
        try:
            db.session.remove()
        except sa.exc.DBAPIError:
            db.session().invalidate()
            db.session.remove()

    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        # Let SQLAlchemy's "begin" event issue BEGIN, so we can choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def serialized_writes():
    """Run the block in a transaction that holds the database's write lock from its start
    on SQLite (a no-op elsewhere). The session's current transaction is committed first."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    db.session.commit()
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def lock_keys(namespace: str, ids) -> None:
    """Hold a PostgreSQL advisory lock on each id of ``namespace`` until the transaction
    ends (a no-op on SQLite, where the write lock already serializes). Taken in ascending
    order, so two transactions locking overlapping sets never wait on each other in a
    circle; the two-int form keeps each namespace's ids apart from other locks."""
    if db.engine.dialect.name != "postgresql":
        return
    for key in sorted(set(ids)):
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:namespace), :key)"),
            {"namespace": namespace, "key": key},
        )
