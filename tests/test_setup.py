"""From nothing to running: every command before init-db and every wrong DATABASE_URL gets
one clear line (exit 1), /healthz tells "not migrated" from "unreachable", a bad PORT is
refused before anything starts, and an empty database serves every page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.health import describe_connect_error
from scheduler.migrate import upgrade
from tests.conftest import FreshGlobalsClient, sign_in
from tests.factories import make_user
from tests.test_backup import FIRST

ROOT = Path(__file__).resolve().parent.parent
INIT_DB = ".venv/bin/flask --app scheduler init-db"
# Commands of every area, with arguments that would work on a migrated database.
COMMANDS = [
    ["list-tokens", "--email", "nobody@example.org"],
    ["holidays", "--year", "2031"],
    ["demo-data"],
    ["create-user", "--email", "o@example.org", "--password", "long-enough", "--role",
     "organizer"],
    ["plan", "--year", "2031"],
    ["report", "--year", "2031", "--out", "/tmp/h4-never-written.csv"],
    ["import-directory", __file__, "--dry-run"],
]  # fmt: skip


def run_cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    if has_app_context():
        db.session.remove()
    return result


def one_line_error(result, *needles):
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def bare_app(empty_database_url, tmp_path):
    """An app on a database that init-db has never touched."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url,
                     FEED_VERSION_FILE=str(tmp_path / "feed-version"))  # fmt: skip
    yield app
    with app.app_context():
        db.engine.dispose()


def test_every_command_before_init_db_says_to_run_it(bare_app):
    for command in COMMANDS:
        one_line_error(run_cli(bare_app, *command), "no tables yet", INIT_DB, "make init-db")
    with bare_app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []  # nothing was created

    # An older schema: the same advice, naming both revisions.
    with bare_app.app_context():
        upgrade(FIRST)
    result = run_cli(bare_app, "holidays", "--year", "2031")
    one_line_error(result, f"at revision {FIRST}, older than this code's", INIT_DB)

    assert run_cli(bare_app, "init-db").exit_code == 0
    assert run_cli(bare_app, "holidays", "--year", "2031").exit_code == 0


def test_pages_before_init_db_answer_503_saying_to_run_it(bare_app):
    client = bare_app.test_client()
    for path in ("/", "/calendar.ics", "/api/v1/events", "/events/1", "/feeds/series/x.ics"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert INIT_DB in response.get_data(as_text=True), path


def test_healthz_tells_not_migrated_from_unreachable_from_ok(bare_app, backend, tmp_path):
    client = bare_app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.is_json
    body = response.get_json()
    assert body["status"] == "not_migrated" and body["database"] == "ok"
    assert body["revision"] is None and "init-db" in body["message"]

    with bare_app.app_context():
        upgrade(FIRST)
    behind = client.get("/healthz").get_json()
    assert behind["status"] == "not_migrated" and behind["revision"] == FIRST
    assert behind["head"] != FIRST

    with bare_app.app_context():
        upgrade()
        db.engine.dispose()
    ok = client.get("/healthz")
    assert ok.status_code == 200
    assert ok.get_json() == {"status": "ok", "database": "ok", "scheduler": "missing"}

    if backend == "sqlite":
        gone = f"sqlite:///{tmp_path}/no-such-folder/x.db"
    else:
        gone = "postgresql+psycopg://postgres@127.0.0.1:1/scheduler"  # nobody listens there
    down = create_app("test", SQLALCHEMY_DATABASE_URI=gone).test_client().get("/healthz")
    assert down.status_code == 503
    assert down.get_json() == {"status": "unreachable", "database": "unreachable"}


def test_a_wrong_database_url_is_named_in_one_line(backend, request, tmp_path):
    if backend == "sqlite":
        cases = [(f"sqlite:///{tmp_path}/missing-folder/x.db", "cannot open the SQLite database")]
    else:
        url = sa.make_url(request.getfixturevalue("pg_url"))
        where = f"{url.host}:{url.port}"
        cases = [
            (url.set(database="no_such_db_h4"), f"at {where} has no database 'no_such_db_h4'"),
            (url.set(username="no_such_role"), "refused user 'no_such_role'"),
            (url.set(port=1), "cannot connect to PostgreSQL at 127.0.0.1:1"),
            (url.set(host="host.invalid"), "cannot connect to PostgreSQL at host.invalid:"),
        ]
    for url, message in cases:
        if not isinstance(url, str):
            url = url.render_as_string(hide_password=False)
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
        for command in (["init-db"], ["holidays", "--year", "2031"], ["backup"]):
            if backend == "sqlite" and command == ["backup"]:
                continue  # a SQLite backup names the missing file itself
            one_line_error(run_cli(app, *command), message)


def test_a_wrong_password_is_named():
    class Refused(Exception):
        sqlstate = "28P01"

    exc = sa.exc.OperationalError("connect", {}, Refused("password authentication failed"))
    url = sa.make_url("postgresql+psycopg://editor:secret-pw@db.example.org:6543/events")
    line = describe_connect_error(exc, url)
    assert "db.example.org:6543 refused user 'editor'" in line and "wrong password" in line
    assert "secret-pw" not in line


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://u:p@db/events"}, "DATABASE_URL must start with postgresql://"),
        ({"DATABASE_URL": "just-a-name"}, "DATABASE_URL must start with postgresql://"),
        ({"FILING_LEAD_DAYS": "十五"}, "FILING_LEAD_DAYS must be a whole number"),
        ({"JOBS_POLL_SECONDS": "nan"}, "JOBS_POLL_SECONDS must be a number"),
    ],
)
def test_the_real_cli_prints_one_line_and_no_traceback(env, message, tmp_path):
    environ = {**os.environ, "SCHEDULER_INSTANCE": str(tmp_path), **env}
    environ.pop("FLASK_APP", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "scheduler", "init-db"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {message}"), result.stderr


@pytest.mark.parametrize(
    "env",
    [{"PORT": "abc"}, {"PORT": "0"}, {"PORT": "65536"}, {"PORT": "8080 "},
     {"WEB_WORKERS": "four"}, {"WEB_CONCURRENCY": "-1"}, {"WEB_TIMEOUT": "1e3"},
     {"BIND": "127.0.0.1:http"}],
)  # fmt: skip
def test_serve_refuses_a_bad_number_before_anything_starts(env, tmp_path):
    environ = {
        **os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "SECRET_KEY": "k", "PUBLIC_BASE_URL": "https://events.example.org",
        "VENV": str(tmp_path / "no-venv"), **env,
    }  # fmt: skip
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "serve.sh")],
        env=environ, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    name = next(iter(env))
    assert result.stderr.count("\n") == 1 and name in result.stderr, result.stderr
    assert "gunicorn" not in result.stderr and "Traceback" not in result.stderr


def test_make_run_refuses_a_bad_port_before_anything_starts(tmp_path):
    environ = {**os.environ, "PORT": "abc", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "PORT must be a whole number from 1 to 65535, not 'abc'" in result.stderr
    assert not (tmp_path / "x.db").exists()  # init-db never ran


# --- an empty database -----------------------------------------------------------------------


@pytest.fixture
def empty_app(bare_app):
    with bare_app.app_context():
        upgrade()
        yield bare_app
        db.session.remove()


def plain_get_routes(app) -> list[str]:
    """Every GET route without a URL argument (the pages one reaches by typing them)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


def test_an_empty_database_serves_every_page_and_says_what_to_do(empty_app):
    empty_app.test_client_class = FreshGlobalsClient  # each request finds its own user
    client = empty_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "create-user --email" in home and "--role organizer" in home
    routes = plain_get_routes(empty_app)
    assert "/" in routes and "/healthz" in routes and len(routes) > 10
    for path in routes:  # anonymous: a page, the sign-in page, or the API asking for a token
        response = client.get(path)
        expected = {401} if path.startswith("/api/") else {302}
        assert response.status_code in {200, *expected}, (path, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), path

    organizer = make_user(Role.ORGANIZER, email="first@kexie.example.org")
    db.session.commit()
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "create-user" not in home and "No events yet" in home
    assert "/admin/directory/import" not in home  # for organizers only
    sign_in(client, organizer.email)
    assert "/admin/directory/import" in client.get("/").get_data(as_text=True)
    for path in routes:  # an organizer: every page answers on an empty database
        status = client.get(path).status_code
        assert status == 200 or (path.startswith("/api/") and status < 500), (path, status)
