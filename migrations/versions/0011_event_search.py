"""event_search: one search document per event, and the database's own text index on it

SQLite: an FTS5 table with the trigram tokenizer over event_search (external content, kept
in step by triggers). PostgreSQL: the pg_trgm extension and a GIN trigram index; creating
the extension needs a superuser, or the database owner (pg_trgm is trusted since PG 13).
The documents of existing events are written here; the app keeps them current after.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

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


def _documents_sql(postgres: bool) -> str:
    """INSERT ... SELECT of every event's document, as scheduler/search/index.py builds it
    (frozen here: the lines title, description, venue, speakers, host, co-hosts, organizers,
    series, campaign; tab-separated values; newlines and tabs inside values as spaces)."""
    char, agg = ("chr", "string_agg") if postgres else ("char", "group_concat")
    line, tab = f"{char}(10)", f"{char}(9)"

    def flat(expr: str) -> str:
        out = f"coalesce({expr}, '')"
        for code in (13, 10, 9):
            out = f"replace({out}, {char}({code}), ' ')"
        return out

    def values(*exprs: str, joiner: str = tab) -> str:
        return f" || {joiner} || ".join(flat(e) for e in exprs)

    def names(link: str, key: str, table: str, *columns: str, joiner: str = tab) -> str:
        value = values(*(f"x.{c}" for c in columns), joiner=joiner)
        return (
            f"coalesce((SELECT {agg}({value}, {tab}) FROM {link} l JOIN {table} x "
            f"ON x.id = l.{key} WHERE l.event_id = e.id), '')"
        )

    parts = [
        flat("e.title"),
        flat("e.description"),
        values("v.name", "v.address", "v.city"),
        names(
            "event_speakers", "person_id", "people", "name", "title", "affiliation", joiner="' '"
        ),
        values("h.name", "h.short_name"),
        names("event_cohosts", "society_id", "societies", "name", "short_name"),
        names("event_organizers", "society_id", "societies", "name", "short_name"),
        flat("s.name"),
        values("c.name", "c.theme"),
    ]
    document = f" || {line} || ".join(parts)
    return (
        f"INSERT INTO event_search (event_id, document) SELECT e.id, {document} "
        "FROM events e JOIN societies h ON h.id = e.host_id "
        "LEFT JOIN venues v ON v.id = e.venue_id LEFT JOIN series s ON s.id = e.series_id "
        "LEFT JOIN campaigns c ON c.id = e.campaign_id"
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "event_search",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_search_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_search")),
    )
    if postgres:
        op.execute(f"CREATE INDEX {TRGM_INDEX} ON event_search USING gin (document gin_trgm_ops)")
    else:
        for statement in SQLITE_DDL:
            op.execute(statement)
    op.execute(_documents_sql(postgres))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    op.drop_table("event_search")  # its triggers and index go with it
