"""Lists of values sent as one parameter, so no statement's parameter count grows with data.

PostgreSQL refuses more than 65,535 parameters and psycopg prepares only statements it sees
again; an ``IN`` of every id of a nation's feed hit both. Here a list travels as one array
(PostgreSQL) or one JSON text read with ``json_each`` (SQLite).
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .extensions import db

# SQLAlchemy's SQLite DATETIME text, so JSON values compare like the stored column.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def values_in(column, values) -> sa.ColumnElement[bool]:
    """``column IN values`` with one parameter: ``= ANY(:array)`` or ``IN json_each(:json)``."""
    values = list(values)
    if _postgres():
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.String))
    return column.in_(sa.select(sa.literal_column("value")).select_from(listed))


def _naive_utc(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def rows_table(name: str, columns: dict[str, sa.types.TypeEngine], rows: list[tuple]):
    """A FROM-able table of ``rows`` sent as one parameter per column (PostgreSQL ``unnest``)
    or one JSON parameter (SQLite). Datetimes may be aware; they compare as naive UTC."""
    names = list(columns)
    rows = [tuple(_naive_utc(v) for v in row) for row in rows]
    if _postgres():
        arrays = [
            sa.bindparam(None, [row[i] for row in rows], type_=postgresql.ARRAY(_plain(t)))
            for i, t in enumerate(columns.values())
        ]
        return sa.func.unnest(*arrays).table_valued(*names).render_derived(name=name)
    encoded = json.dumps(
        [[v.strftime(_SQLITE_DATETIME) if isinstance(v, datetime) else v for v in r] for r in rows]
    )
    listed = sa.func.json_each(sa.bindparam(None, encoded, type_=sa.String)).table_valued("value")
    picks = [
        sa.type_coerce(sa.func.json_extract(listed.c.value, f"$[{i}]"), _plain(t)).label(n)
        for i, (n, t) in enumerate(columns.items())
    ]
    return sa.select(*picks).select_from(listed).subquery(name)


def _plain(type_: sa.types.TypeEngine) -> sa.types.TypeEngine:
    """The database type under a TypeDecorator (UTCDateTime is a naive DateTime in SQL)."""
    return getattr(type_, "impl_instance", type_)
