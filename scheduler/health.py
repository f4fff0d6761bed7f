"""The database's state for /healthz, the CLI and the empty start: reachable, migrated, empty.

Each problem becomes one line that names it (a wrong DATABASE_URL, a server that cannot be
reached, a schema that needs `init-db`), never a traceback.
"""

import re
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from .extensions import db
from .migrate import alembic_config

OK, NOT_MIGRATED, UNREACHABLE = "ok", "not_migrated", "unreachable"
INIT_DB = "`.venv/bin/flask --app scheduler init-db` (or `make init-db`)"
# SQLSTATEs PostgreSQL answers a connection with (psycopg's exc.sqlstate).
_WRONG_LOGIN = {"28P01", "28000"}
_NO_DATABASE = "3D000"
_NO_ROLE = re.compile(r'role "[^"]*" does not exist')
_NO_DB = re.compile(r'database "[^"]*" does not exist')


@dataclass(frozen=True)
class DatabaseState:
    status: str  # OK, NOT_MIGRATED or UNREACHABLE
    message: str = ""  # one line for a person; empty when ok
    revision: str | None = None
    head: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK


@cache
def head_revision() -> str:
    """The newest migration this code has (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(r.revision for r in script.walk_revisions())


def describe_connect_error(exc: BaseException, url: sa.URL) -> str:
    """One line naming why the database at ``url`` could not be used (no password shown)."""
    orig = getattr(exc, "orig", exc)
    if url.get_backend_name() == "sqlite":
        return (
            f"cannot open the SQLite database {url.database}: {_first_line(orig)} "
            "(does its folder exist and may this user write there?)"
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    state = getattr(orig, "sqlstate", None)
    text = str(orig)
    # libpq reports a refused login without a SQLSTATE: the server's words tell.
    if state is None and ("password authentication failed" in text or _NO_ROLE.search(text)):
        state = "28P01"
    elif state is None and _NO_DB.search(text):
        state = _NO_DATABASE
    if state in _WRONG_LOGIN:
        return (
            f"PostgreSQL at {where} refused user {url.username!r}: wrong password or no such "
            "role (check DATABASE_URL)"
        )
    if state == _NO_DATABASE:
        return (
            f"PostgreSQL at {where} has no database {url.database!r}: create it "
            f"(createdb {url.database}) or fix DATABASE_URL"
        )
    return f"cannot connect to PostgreSQL at {where}: {_first_line(orig)} (check DATABASE_URL)"


def _first_line(exc: BaseException) -> str:
    """The first line of the driver's message, without libpq's "connection to server at
    ... failed:" preamble."""
    for line in str(exc).splitlines():
        line = line.strip().rsplit(" failed: ", 1)[-1].strip()
        if line:
            return line.rstrip(".")
    return exc.__class__.__name__


def check_connection() -> str | None:
    """None when the database answers, else one line naming the problem."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        return describe_connect_error(exc, db.engine.url)
    return None


def database_state() -> DatabaseState:
    """Whether the app's database is reachable and migrated to this code's schema.

    Not migrated: tables the models need are missing, or alembic_version names an older
    revision. A revision newer than this code (a rolling upgrade) is reported, not refused.
    A database made with ``create_all`` (tests) has no alembic_version but every table: ok.
    """
    head = head_revision()
    try:
        with db.engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in present:
                revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError as exc:
        return DatabaseState(UNREACHABLE, describe_connect_error(exc, db.engine.url), head=head)
    missing = sorted(set(db.metadata.tables) - present)
    if missing and len(missing) == len(db.metadata.tables):
        message = f"the database has no tables yet: run {INIT_DB}"
        return DatabaseState(NOT_MIGRATED, message, revision, head)
    if revision in known_revisions() and revision != head:
        message = (
            f"the database is at revision {revision}, older than this code's {head}: run {INIT_DB}"
        )
        return DatabaseState(NOT_MIGRATED, message, revision, head)
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        message = f"the database lacks the tables {shown}: run {INIT_DB}"
        return DatabaseState(NOT_MIGRATED, message, revision, head)
    return DatabaseState(OK, "", revision, head)
