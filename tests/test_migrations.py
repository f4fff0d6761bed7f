"""Alembic: the migrations build exactly the schema the models describe, and undo it; from
every revision, an upgrade to head keeps the rows that were there, and a downgrade back to
that revision and an upgrade again work too."""

import os
import re
import shutil
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from scheduler import create_app
from scheduler.extensions import db
from scheduler.migrate import alembic_config, downgrade, upgrade
from scheduler.search.models import is_search_index

pytestmark = pytest.mark.slow  # left out by -m "not slow"
# Oldest first; read from the script directory, so a new revision is tested without edits.
SCRIPT = ScriptDirectory.from_config(alembic_config())
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]
# Columns that name the end of something get later values (end > start, last_day >= first_day).
LATER = re.compile(r"(^end|_end|until|^last|finished|expires)")
# A migration that rewrites existing values on purpose lists its (table, column) here.
REWRITTEN_BY_MIGRATIONS: set[tuple[str, str]] = set()
# The search index beside event_search (SQLite's FTS5 tables, PostgreSQL's GIN index) is
# made by hand, not from the models: schema comparisons leave it out, as migrations/env.py does.
MODELLED_ONLY = {"include_object": lambda obj, name, *_: not is_search_index(name)}


def assert_schema_matches_the_models() -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=MODELLED_ONLY), db.metadata)
        assert diff == [], diff
        if db.engine.dialect.name == "postgresql":
            kind = conn.execute(
                sa.text("SELECT contype FROM pg_constraint WHERE conname = :name"),
                {"name": "ex_occurrences_venue_slot"},
            ).scalar()
            assert kind == "x"  # the venue exclusion constraint exists


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(empty_database_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=MODELLED_ONLY)
            diff = compare_metadata(context, db.metadata)
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


def _value(table: sa.Table, column: sa.Column, inserted: dict[str, dict]):
    """A value valid for ``column`` as the schema stands at the revision under test."""
    for fk in column.foreign_keys:
        target = fk.column
        if target.table.name in inserted:
            return inserted[target.table.name][target.name]
        if column.nullable:
            return None  # a cycle or self-reference: the row it points to does not exist yet
        raise AssertionError(f"{table.name}.{column.name}: {target.table.name} has no row yet")
    model = db.metadata.tables.get(table.name)
    model_column = model.c.get(column.name) if model is not None else None
    if model_column is not None and isinstance(model_column.type, sa.Enum):
        return model_column.type.enums[0]  # stored as VARCHAR: reflection cannot tell
    later = bool(LATER.search(column.name))
    if isinstance(column.type, sa.JSON):
        return []
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = None
    if kind is bool:
        return True
    if kind is int:
        return 2027 if column.name == "year" else 1
    if kind is float:
        return 0.5
    if kind is str:
        text = f"迁移 {table.name}.{column.name}"
        return text[: column.type.length] if column.type.length else text
    if kind is datetime:
        return datetime(2027, 3, 5, 6, 30) + timedelta(hours=2 if later else 0)
    if kind is date:
        return date(2027, 3, 5) + timedelta(days=1 if later else 0)
    if column.nullable:
        return None
    raise AssertionError(f"{table.name}.{column.name}: give test_migrations a value for it")


def insert_representative_rows() -> dict[str, dict]:
    """One row in every table the schema has now (reflected, so valid at this revision)."""
    meta = sa.MetaData()
    inserted: dict[str, dict] = {}
    with db.engine.begin() as conn:
        meta.reflect(conn)
        for table in meta.sorted_tables:
            if table.name == "alembic_version" or is_search_index(table.name):
                continue
            pk = list(table.primary_key.columns)
            generated = len(pk) == 1 and pk[0].autoincrement is not False and not pk[0].foreign_keys
            generated = generated and isinstance(pk[0].type, sa.Integer)
            values = {
                c.name: _value(table, c, inserted)
                for c in table.columns
                if not (generated and c is pk[0])
            }
            result = conn.execute(table.insert().values(values))
            if generated:
                values[pk[0].name] = result.inserted_primary_key[0]
            inserted[table.name] = values
    return inserted


_AT_HEAD: dict[str, sa.MetaData] = {}


def reflected(at_head: bool = False) -> sa.MetaData:
    """The database's schema as it stands. At head, just checked against the models, it is
    the same for every revision's test: read once per database (reflection is most of the
    row checks' time)."""
    if at_head and db.engine.dialect.name in _AT_HEAD:
        return _AT_HEAD[db.engine.dialect.name]
    meta = sa.MetaData()
    with db.engine.connect() as conn:
        meta.reflect(conn)
    if at_head:
        _AT_HEAD[db.engine.dialect.name] = meta
    return meta


def assert_rows_kept(inserted: dict[str, dict], meta: sa.MetaData) -> None:
    with db.engine.connect() as conn:
        for name, values in inserted.items():
            table = meta.tables.get(name)
            if table is None:
                continue  # dropped by a later revision
            key = [table.c[c.name] == values[c.name] for c in table.primary_key.columns]
            row = conn.execute(sa.select(table).where(*key)).mappings().one_or_none()
            assert row is not None, f"the row of {name} was lost"
            for column, value in values.items():
                if column in table.c and (name, column) not in REWRITTEN_BY_MIGRATIONS:
                    assert row[column] == value, (name, column, row[column], value)


class ChainWalk:
    """A database taken up the chain one revision at a time; ``at(revision)`` gives a copy
    of it as it stood at that revision (a file copy on SQLite, CREATE DATABASE ... TEMPLATE
    on PostgreSQL). The same migrations ran, in the same order, as ``upgrade(revision)`` on
    an empty database would run them: one walk instead of a new climb for every revision."""

    def __init__(self, backend: str, base_url: str, folder):
        self.backend, self.base_url, self.folder = backend, base_url, folder
        self.url, self.done = "", -1

    def _restart(self) -> None:
        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.folder / 'walk.db'}"
            (self.folder / "walk.db").unlink(missing_ok=True)
        else:
            self.url = self._create_database("walk", template="")
        self.done = -1

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
        engine.dispose()

    def _create_database(self, suffix: str, template: str) -> str:
        name = f"migrations_{os.getpid()}_{suffix}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        source = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{source}')
        return self.base_url.rsplit("/", 1)[0] + "/" + name

    def at(self, revision: str) -> str:
        target = REVISIONS.index(revision)
        if target < self.done or not self.url:
            self._restart()
        if target > self.done:
            app = create_app("test", SQLALCHEMY_DATABASE_URI=self.url)
            with app.app_context():
                upgrade(revision)
                db.engine.dispose()  # a template database must have no sessions
            self.done = target
        if self.backend == "sqlite":
            copy = self.folder / f"at-{revision}.db"
            shutil.copyfile(self.folder / "walk.db", copy)
            return f"sqlite:///{copy}"
        return self._create_database(revision, template=self.url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def chain_walks(tmp_path_factory, request):
    walks: dict[str, ChainWalk] = {}

    def walk(backend: str) -> ChainWalk:
        if backend not in walks:
            base = request.getfixturevalue("pg_url") if backend == "postgresql" else ""
            walks[backend] = ChainWalk(backend, base, tmp_path_factory.mktemp("walk"))
        return walks[backend]

    yield walk
    for backend_walk in walks.values():
        if backend_walk.backend == "postgresql":
            for suffix in ["walk", *REVISIONS]:
                name = f"migrations_{os.getpid()}_{suffix}"
                backend_walk._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("revision", REVISIONS)
def test_upgrade_from_every_revision_keeps_its_rows_and_round_trips(chain_walks, backend, revision):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=chain_walks(backend).at(revision))
    with app.app_context():
        with db.engine.connect() as conn:  # the copy stands at the revision under test
            assert MigrationContext.configure(conn).get_current_revision() == revision
        rows = insert_representative_rows()
        upgrade()
        assert_schema_matches_the_models()
        assert_rows_kept(rows, reflected(at_head=True))

        downgrade(revision)
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == revision
        assert_rows_kept(rows, reflected())
        upgrade()
        assert_schema_matches_the_models()
        assert_rows_kept(rows, reflected(at_head=True))
        db.engine.dispose()
