"""The search table: one text document per event, and the index each database keeps on it.

The table itself is modelled; its index is not, since each database has its own kind:
SQLite an FTS5 trigram table over it (external content, kept in step by triggers),
PostgreSQL a GIN trigram index (pg_trgm). create_all and migration 0011 make both.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

FTS_TABLE = "event_search_fts"
TRGM_INDEX = "ix_event_search_document_trgm"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(document, content='event_search', "
    "content_rowid='event_id', tokenize='trigram')",
    "CREATE TRIGGER event_search_ai AFTER INSERT ON event_search BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, document) VALUES (new.event_id, new.document); END",
    "CREATE TRIGGER event_search_ad AFTER DELETE ON event_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, document) "
    "VALUES ('delete', old.event_id, old.document); END",
    "CREATE TRIGGER event_search_au AFTER UPDATE ON event_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, document) "
    "VALUES ('delete', old.event_id, old.document); "
    f"INSERT INTO {FTS_TABLE}(rowid, document) VALUES (new.event_id, new.document); END",
)
# Needs the right to create the extension (a superuser, or a database owner on PG 13+ since
# pg_trgm is a trusted extension); an operator can run it once beforehand instead.
POSTGRES_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
POSTGRES_INDEX = f"CREATE INDEX {TRGM_INDEX} ON event_search USING gin (document gin_trgm_ops)"


class EventSearch(db.Model):
    """What a search can find of one event, as lines of text (see index.FIELDS)."""

    __tablename__ = "event_search"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(sa.Text, default="")


def is_search_index(name: str | None) -> bool:
    """The index objects beside the table (FTS5 table and its shadow tables, the GIN index),
    which schema comparisons leave out since the models do not describe them."""
    return bool(name) and (name.startswith(FTS_TABLE) or name == TRGM_INDEX)


_table = EventSearch.__table__
sa.event.listen(
    _table, "before_create", sa.DDL(POSTGRES_EXTENSION).execute_if(dialect="postgresql")
)
sa.event.listen(_table, "after_create", sa.DDL(POSTGRES_INDEX).execute_if(dialect="postgresql"))
for _statement in SQLITE_DDL:
    sa.event.listen(_table, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite"))
sa.event.listen(
    _table, "after_drop", sa.DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite")
)
