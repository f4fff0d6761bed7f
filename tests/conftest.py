"""Fixtures: an app with a fresh database on each backend, a client, users, factories.

Tests that take the ``app`` fixture run twice: on SQLite and on a real PostgreSQL server
(a throw-away cluster, or TEST_DATABASE_URL when given).
"""

import os
import re
import shutil
import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from scheduler import create_app
from scheduler.accounts.models import ApiToken
from scheduler.extensions import db
from tests import ordering
from tests.pg import Cluster, PostgresUnavailable

BACKENDS = ["sqlite", "postgresql"]
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "..", "scheduler", "translations")


def _share_compiled_rules() -> None:
    """Werkzeug compiles each URL rule of each new app: it parses the rule's text with a
    regular expression and writes two URL builders as Python code (ast, compile()). That
    was most of create_app's time, and the suite makes an app per test. The result is a
    pure function of the rule's text, defaults, slash merging and the map's converter
    classes, so it is kept here and given to the same rule of the next app: the same parts,
    trace and converters (a converter keeps its first map, which it never reads) and the
    same builder functions, bound to the new rule. Matching and building are unchanged."""
    original = Rule.compile

    def compile(self):
        domain = self.host if self.map.host_matching else self.subdomain
        key = (
            self.rule,
            domain,
            self.merge_slashes,
            repr(sorted((self.defaults or {}).items())),
            tuple(sorted(self.map.converters.items())),
        )
        if key not in _COMPILED:
            original(self)
            _COMPILED[key] = (
                self._parts,
                self._trace,
                self._converters,
                self._build.__func__,
                self._build_unknown.__func__,
            )
            return
        parts, trace, converters, build, build_unknown = _COMPILED[key]
        self._parts, self._trace = list(parts), list(trace)
        self._converters = dict(converters)
        self.arguments.update(converters)
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)

    Rule.compile = compile


_COMPILED: dict = {}
_share_compiled_rules()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, record):
    """Test databases need no durability across a power cut: SQLite skips its fsync per
    commit (10 ms on the CI disk), as tests/pg.py runs PostgreSQL with fsync=off."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def pytest_sessionstart(session):
    """Compile message catalogs if they are missing or stale (make test does it too)."""
    for root, _dirs, files in os.walk(TRANSLATIONS):
        for name in files:
            if not name.endswith(".po"):
                continue
            po = os.path.join(root, name)
            mo = po[:-3] + ".mo"
            if not os.path.exists(mo) or os.path.getmtime(mo) < os.path.getmtime(po):
                with open(po, "rb") as f:
                    catalog = read_po(f)
                with open(mo, "wb") as f:
                    write_mo(f, catalog)


def pytest_addoption(parser):
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="write each file's seconds to tests/durations.json (make test's order)",
    )


def pytest_configure(config):
    if config.getoption("store_durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ordering.Recorder(), "durations-recorder")


def pytest_collection_modifyitems(config, items):
    """The browser journeys count as slow too (10-25 s each): ``-m "not slow"`` leaves out
    every long module for a quick run. Files come longest first (tests/ordering.py), the
    order in which ``make test`` hands them out (--dist loadfile --no-loadscope-reorder)."""
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.slow)
    ordering.longest_files_first(items)


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = Cluster()
    try:
        cluster.start()
    except PostgresUnavailable as exc:
        cluster.stop()
        pytest.fail(f"PostgreSQL could not start, so the PostgreSQL tests cannot run: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_url(request):
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("scheduler_test")


@pytest.fixture(scope="session")
def pg_schema(pg_url):
    """Create the schema once per session on PostgreSQL; each test empties it instead."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=pg_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return pg_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the schema, made once per session (per xdist worker): each test
    gets a copy, which is what ``create_all`` on a new file would give, ten times faster."""
    path = tmp_path_factory.mktemp("sqlite-template") / "schema.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # the last connection closes: the WAL is checkpointed away
    assert not path.with_name("schema.db-wal").exists()
    return path


def _empty_tables_sql() -> str:
    """One round trip that empties every table of the models and restarts their id
    sequences: what TRUNCATE ... RESTART IDENTITY does, without TRUNCATE's cost of new
    files for every table and index (a tenth of the time on the suite's small tables)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children first
    deletes = " ".join(f'DELETE FROM "{name}";' for name in tables)
    names = ", ".join(f"'{name}'::regclass" for name in tables)
    restart = (
        "PERFORM setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
        "JOIN pg_depend d ON d.objid = s.seqrelid AND d.classid = 'pg_class'::regclass "
        f"WHERE d.refobjid IN ({names});"
    )
    return f"DO $$BEGIN {deletes} {restart} END$$"


def _truncate_all() -> None:
    """Empty every table of the models on PostgreSQL and restart their ids (the state
    ``create_all`` leaves). Falls back to TRUNCATE should a DELETE be refused."""
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text(_empty_tables_sql()))
    except sa.exc.DBAPIError:
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path):
    """SQLite: a fresh copy of the schema file; PostgreSQL: the session's database."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_schema")


@pytest.fixture
def app(backend, database_url, tmp_path):
    with app_with(backend, database_url, tmp_path) as app:
        yield app


@contextmanager
def app_with(backend, database_url, tmp_path, **settings):
    """The suite's app on the test's database, with other ``settings`` (a module's own
    ``app`` fixture: the page cache on, another version source, embed origins)."""
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url,
        FEED_VERSION_FILE=str(tmp_path / "instance" / "feed-version"),
        **settings,
    )
    with app.app_context():
        if backend == "postgresql":
            _truncate_all()
        yield app
        db.session.remove()
        db.engine.dispose()


class FreshGlobalsClient(FlaskClient):
    """The test's app context stays pushed, so clear what Flask-Login, Flask-Babel and
    Flask-WTF cache on ``g``: each request must find its own user, locale and CSRF state, as
    in production (else one client's token or passed check would carry over to the next)."""

    CACHED = ("_login_user", "_flask_babel", "csrf_token", "csrf_valid")

    def open(self, *args, **kwargs):
        for key in self.CACHED:
            g.pop(key, None)
        try:
            return super().open(*args, **kwargs)
        finally:
            for key in self.CACHED:
                g.pop(key, None)


@pytest.fixture
def client(app):
    app.test_client_class = FreshGlobalsClient
    return app.test_client()


@contextmanager
def counting_queries(engine):
    """Counts the SQL statements executed inside the block: ``with counting_queries(e) as n``."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        # SQLite's BEGIN [IMMEDIATE] is sent by our own listener; it is not a query.
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries(app):
    return lambda: counting_queries(db.engine)


# --- a per-backend summary at the end of the run -------------------------------------------
_outcomes: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}


def pytest_runtest_logreport(report):
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for name in BACKENDS:
        if (
            f"[{name}" in report.nodeid
            or f"-{name}]" in report.nodeid
            or f"-{name}-" in report.nodeid
        ):
            counts = _outcomes[name]
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("results per database backend")
    for name, counts in _outcomes.items():
        parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no tests"
        terminalreporter.write_line(f"{name}: {parts}")


@pytest.fixture
def empty_database_url(backend, request, tmp_path):
    """The URL of a brand-new, empty database on the current backend (for migrations, CLI)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = request.getfixturevalue("pg_url")
    name = f"empty_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    yield base.rsplit("/", 1)[0] + "/" + name
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a page carries (every page has it in a meta tag)."""
    html = client.get(path).get_data(as_text=True)
    return CSRF_META.search(html).group(1)


def sign_in(client, email: str, password: str = "password-123") -> str:
    """Sign in through the login form; returns a CSRF token for later form posts."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token(client)


def bearer(user, commit: bool = True) -> dict:
    """Headers that call the API with a new token of ``user`` (committed, unless the caller
    commits later with the rest of its set-up)."""
    row, plain = ApiToken.issue(user)
    db.session.add(row)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return {"Authorization": f"Bearer {plain}"}


def assert_matches_schema(spec: dict, schema_name: str, body) -> None:
    """The body conforms to a component schema of the OpenAPI document."""
    from jsonschema import Draft202012Validator

    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, [e.message for e in errors[:3]]
