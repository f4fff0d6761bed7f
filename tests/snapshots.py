"""Worlds seeded once per worker and backend, then copied row by row into each later test's
empty database: the rows and ids a fresh seeding would give, for a fraction of the time
(a seeding that runs the planner or signs users up takes a quarter of a second; the copy
is one INSERT per table).

A world's function must put everything it makes in the database and return plain values
(ids, slugs, e-mail addresses, headers): ORM objects would belong to the first test's
session.
"""

import sqlalchemy as sa

from scheduler.extensions import db

_SAVED: dict[tuple, tuple[dict, object]] = {}


def seeded(build, *args):
    """``build(*args)``'s value, and its rows in this test's database. The first call on a
    worker and backend runs ``build``; the later ones copy the rows it left."""
    key = (build.__module__, build.__qualname__, args, db.engine.dialect.name)
    if key in _SAVED:
        rows, value = _SAVED[key]
        _restore(rows)
        return value
    value = build(*args)
    db.session.commit()
    _SAVED[key] = (_dump(), value)
    return value


def _dump() -> dict:
    with db.engine.connect() as conn:
        return {
            table: [dict(row) for row in conn.execute(table.select()).mappings()]
            for table in db.metadata.sorted_tables
        }


def _restore(rows: dict) -> None:
    db.session.expire_all()
    with db.engine.begin() as conn:
        for table, table_rows in rows.items():  # parents first
            if table_rows:
                conn.execute(table.insert(), table_rows)
        if conn.dialect.name == "postgresql":
            _move_sequences(conn, [t for t, r in rows.items() if r])


def _move_sequences(conn, tables: list) -> None:
    """Explicit ids leave PostgreSQL's sequences behind (SQLite takes max(id) + 1 by
    itself): each sequence goes on after its column's largest id, in one round trip."""
    selects = []
    for table in tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto"):
                selects.append(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                    f'(SELECT coalesce(max("{column.name}"), 0) + 1 FROM "{table.name}"), false)'
                )
    if selects:
        conn.execute(sa.text(" UNION ALL ".join(selects)))
