"""The flask CLI: init-db, create-user, create-token, holidays."""

import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import ApiToken, User
from scheduler.extensions import db
from tests.factories import make_society


def test_init_db_migrates_an_empty_database(empty_database_url):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "events" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_create_user_and_token_then_use_it(app, client):
    make_society(slug="gdcast")
    db.session.commit()
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Ed@Example.org",
            "--password",
            "long-enough",
            "--role",
            "editor",
            "--society",
            "gdcast",
        ]
    )
    assert made.exit_code == 0, made.output
    user = db.session.scalar(sa.select(User).where(User.email == "ed@example.org"))
    assert user.society.slug == "gdcast" and user.check_password("long-enough")

    issued = runner.invoke(args=["create-token", "--email", "ed@example.org"])
    assert issued.exit_code == 0, issued.output
    plain = issued.output.strip()
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.token_hash != plain and plain not in stored.token_hash
    ok = client.get("/api/v1/events?status=draft", headers={"Authorization": f"Bearer {plain}"})
    assert ok.status_code == 200


def test_create_user_refuses_bad_input_and_writes_nothing(app):
    runner = app.test_cli_runner()
    cases = [
        ["--email", "not-an-email", "--password", "long-enough", "--role", "organizer"],
        ["--email", "a@b.org", "--password", "short", "--role", "organizer"],
        ["--email", "a@b.org", "--password", "long-enough", "--role", "editor"],
        [
            "--email",
            "a@b.org",
            "--password",
            "long-enough",
            "--role",
            "editor",
            "--society",
            "nope",
        ],
        ["--email", "a@b.org", "--password", "long-enough", "--role", "king"],
    ]
    for args in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0, args
        assert "Error" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_revoked_tokens_stop_working(app, client):
    make_society(slug="gdcast")
    db.session.commit()
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "--email", "o@example.org", "--password", "long-enough",
                        "--role", "organizer"])  # fmt: skip
    plain = runner.invoke(args=["create-token", "--email", "o@example.org"]).output.strip()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/events?status=draft", headers=headers).status_code == 200
    listed = runner.invoke(args=["list-tokens", "--email", "o@example.org"]).output
    assert plain[:10] in listed and "active" in listed
    revoked = runner.invoke(args=["revoke-token", "--prefix", plain[:10]])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/events?status=draft", headers=headers).status_code == 400
    assert client.post("/api/v1/events", json={}, headers=headers).status_code == 401


def test_each_command_is_wrapped_once_however_many_apps_are_made(app):
    """The commands are shared by every app of the process: a second app must not wrap the
    database check around them again (hundreds of apps in a test run made a RecursionError)."""
    before = {name: c.callback for name, c in app.cli.commands.items()}
    create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert {name: c.callback for name, c in app.cli.commands.items()} == before
