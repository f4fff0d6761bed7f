"""The user commands: create-user (the first organizer; a hidden prompt when --password is
left out; one-line errors) and invite-user (prints the one-time link)."""

from urllib.parse import urlsplit

import sqlalchemy as sa

from scheduler.accounts.models import Role, User
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from tests.accounts.conftest import count


def test_create_user_prompts_twice_for_a_hidden_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "Boss@Jiaxing-Kx.example", "--role", "organizer"],
        input="嘉兴市科协-secret\n嘉兴市科协-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "嘉兴市科协-secret" not in result.output  # hidden input
    user = db.session.scalar(sa.select(User))
    assert user.email == "boss@jiaxing-kx.example" and user.check_password("嘉兴市科协-secret")

    differ = runner.invoke(
        args=["create-user", "--email", "b@jiaxing-kx.example", "--role", "organizer"],
        input="first-password\nother-password\nfirst-password\nfirst-password\n",
    )
    assert differ.exit_code == 0 and count(User) == 2  # asked again until both match


def test_create_user_errors_are_one_line(app, society):
    db.session.commit()
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "--email", "dup@jiaxing-kx.example", "--password",
                        "long-enough", "--role", "organizer"])  # fmt: skip
    cases = [
        (["--email", "DUP@jiaxing-kx.example", "--password", "long-enough", "--role",
          "organizer"], "dup@jiaxing-kx.example"),
        (["--email", "e@jiaxing-kx.example", "--password", "long-enough", "--role", "editor",
          "--society", "hz-none"], "hz-none"),
        (["--email", "e@jiaxing-kx.example", "--password", "short-pw", "--role",
          "organizer"], "10"),
    ]  # fmt: skip
    for args, mentioned in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and mentioned in lines[0]
    assert count(User) == 1


def test_invite_user_prints_a_working_link(app, client, society):
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["invite-user", "--email", "mao.xin@wz-kx.example", "--role",
                                 "editor", "--society", "wz-cast", "--name", "毛欣"])  # fmt: skip
    assert result.exit_code == 0, result.output
    url = result.output.strip().rsplit(" ", 1)[1]
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/account/set-password/scl_")
    assert client.get(urlsplit(url).path).status_code == 200
    assert count(OutboxMessage) == 1  # and the mail is queued as well
    user = db.session.scalar(sa.select(User))
    assert user.role == Role.EDITOR and user.name == "毛欣"

    again = runner.invoke(args=["invite-user", "--email", "mao.xin@wz-kx.example", "--role",
                                "organizer"])  # fmt: skip
    assert again.exit_code == 1 and again.output.startswith("Error: ")


def test_passwords_are_hashed_with_scrypt_unless_configured_otherwise(tmp_path):
    from scheduler import create_app
    from scheduler.accounts.models import User

    for overrides, prefix in (
        ({}, "scrypt:"),
        ({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, "pbkdf2:"),
    ):
        app = create_app(
            "development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/h.db", **overrides
        )
        with app.app_context():
            user = User(email="hash@example.org")
            user.set_password("a-long-password")
            assert user.password_hash.startswith(prefix) and user.check_password("a-long-password")
