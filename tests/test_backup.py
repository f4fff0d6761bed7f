"""flask backup / flask restore: a round trip gives back every row of every table, bad files
are refused without changing anything, and a SQLite backup is consistent under writes."""

import os
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.accounts.service import issue_token
from scheduler.enums import Audience
from scheduler.events import workflow
from scheduler.extensions import db
from scheduler.holidays.service import ensure_year
from scheduler.jobs.models import SchedulerLease
from scheduler.migrate import alembic_config, upgrade
from scheduler.types import utcnow
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

pytestmark = pytest.mark.slow  # left out by -m "not slow"

SCRIPT = ScriptDirectory.from_config(alembic_config())
HEAD = SCRIPT.get_current_head()
FIRST = list(SCRIPT.walk_revisions())[-1].revision
SEEDED = (
    *("societies", "venues", "people", "series", "campaigns", "users", "api_tokens", "events"),
    *("occurrences", "event_cohosts", "event_speakers", "event_audiences", "audit_entries"),
    *("outbox", "holidays"),
)
# Text GBK cannot hold (an extension-B ideograph, an emoji) and characters SQL quoting fears.
AWKWARD = "岭南论坛 𠀋 😀 “引号” 'single' \\ back\nnew line"


def make_app(url: str, tmp_path: Path):
    app = create_app(
        "test", SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(tmp_path / "feed-version")
    )
    app.instance_path = str(tmp_path / "instance")
    return app


@pytest.fixture
def migrated_app(empty_database_url, tmp_path):
    """An app on a database made by the migrations (with alembic_version), as init-db does."""
    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other_database_url(backend, request, tmp_path):
    """A second empty database on the same backend, to restore into."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    base = request.getfixturevalue("pg_url")
    name = f"restore_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed() -> None:
    """A little of everything: directories, users and tokens, holidays, and events taken
    through the workflow (audit entries, outbox messages, occurrences, link tables)."""
    organizer = make_user(Role.ORGANIZER, name="省科协组织者")
    host = make_society(slug="gd-physics", name=AWKWARD, contact_email="host@example.org")
    cohost = make_society(name="深圳市科协")
    editor = make_user(Role.EDITOR, society=host)
    venue = make_venue(slug="science-hall", latitude=23.13, longitude=113.26, buffer_minutes=15)
    speaker = make_person(name="钟教授", affiliation="中山大学\n物理学院")
    series = make_series(preferred_months=[3, 4], preferred_weekdays=[4])
    campaign = make_campaign(description=AWKWARD)
    make_event(
        start=local(2027, 3, 5, 14, 30),
        host=host,
        venue=venue,
        series=series,
        campaign=campaign,
        cohosts=[cohost],
        speakers=[speaker],
        audiences=[Audience.PUBLIC, Audience.YOUTH],
        description=AWKWARD,
    )
    db.session.commit()
    body = {
        "title": "量子计算讲座 𠀋",
        "kind": "lecture",
        "host": host.slug,
        "venue": venue.slug,
        "start": "2027-04-12T14:30",
        "end": "2027-04-12T16:30",
        "rrule": "FREQ=WEEKLY;COUNT=3",
        "expected_attendance": 120,
    }
    weekly = workflow.create_event(body, editor).event
    workflow.submit(weekly, editor)
    workflow.approve(weekly, organizer, "同意")
    dropped = workflow.create_event({**body, "rrule": "", "start": "2027-05-10T09:00",
                                     "end": "2027-05-10T11:00"}, editor).event  # fmt: skip
    workflow.submit(dropped, editor)
    workflow.approve(dropped, organizer)
    workflow.cancel(dropped, editor, "台风预警")
    workflow.create_event(
        {**body, "rrule": "", "start": "2027-06-01T09:00", "end": "2027-06-01T10:00"}, editor
    )  # fmt: skip  (a draft)
    issue_token(editor.email, "备份测试")
    db.session.commit()
    ensure_year(2027)


def snapshot() -> dict[str, list]:
    """Every row of every table the models know (new tables are covered), plus the
    schema revision, read in a fixed order."""
    db.session.remove()
    rows: dict[str, list] = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
        rows["alembic_version"] = conn.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).all()
    return rows


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()
    return result


def test_a_restore_gives_back_every_row_of_the_backup(migrated_app, other_database_url, tmp_path):
    seed()
    saved = snapshot()
    for name in SEEDED:
        assert saved[name], f"the seed left {name} empty"

    made = invoke(migrated_app, "backup")
    assert made.exit_code == 0, made.output
    files = list((tmp_path / "instance" / "backups").iterdir())
    assert len(files) == 1
    path = files[0]
    suffix = "sqlite" if db.engine.dialect.name == "sqlite" else "dump"
    assert path.name.startswith("scheduler-") and path.suffix == f".{suffix}"
    total = sum(len(v) for v in saved.values())
    assert str(path) in made.output and f"{total} rows" in made.output, made.output
    assert f"revision {HEAD}" in made.output
    assert (path.stat().st_mode & 0o777) == 0o600  # it holds password hashes

    # Change, delete and add after the backup.
    db.session.execute(sa.text("UPDATE societies SET name = '改过的名字'"))
    db.session.execute(sa.text("UPDATE reminders SET outbox_id = NULL"))
    db.session.execute(sa.text("DELETE FROM outbox"))
    db.session.execute(sa.text("DELETE FROM audit_entries"))
    db.session.commit()
    make_society(slug="after-the-backup")
    db.session.commit()
    assert snapshot() != saved

    restored = invoke(migrated_app, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert f"{total} rows" in restored.output and "init-db" not in restored.output
    assert snapshot() == saved
    make_society(slug="after-the-restore")  # sequences came back too: no id is reused
    db.session.commit()

    # The same file into a brand-new empty database.
    other = make_app(other_database_url, tmp_path / "other")
    with other.app_context():
        into_empty = invoke(other, "restore", str(path))
        assert into_empty.exit_code == 0, into_empty.output
        assert snapshot() == saved
        db.engine.dispose()


def test_bad_files_are_refused_and_change_nothing(migrated_app, backend, tmp_path):
    seed()
    sqlite_kind = backend == "sqlite"
    good = tmp_path / "good.backup"
    assert invoke(migrated_app, "backup", str(good)).exit_code == 0
    # A backup of a newer schema, and one of a database that is not the scheduler's.
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    db.session.commit()
    assert invoke(migrated_app, "backup", str(tmp_path / "newer.backup")).exit_code == 0
    db.session.execute(sa.text("DELETE FROM alembic_version"))
    db.session.commit()
    assert invoke(migrated_app, "backup", str(tmp_path / "foreign.backup")).exit_code == 0
    db.session.execute(sa.text("INSERT INTO alembic_version VALUES (:r)"), {"r": HEAD})
    db.session.commit()

    (tmp_path / "garbage").write_bytes(os.urandom(4096))
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "truncated").write_bytes(good.read_bytes()[: good.stat().st_size * 6 // 10])
    wrong_kind = tmp_path / "wrong-kind"
    if sqlite_kind:
        wrong_kind.write_bytes(b"PGDMP" + os.urandom(500))
    else:
        sqlite3.connect(wrong_kind).execute("CREATE TABLE t (x)").connection.close()
    cases = {
        "garbage": "is not a",
        "empty": "is not a",
        "wrong-kind": "is a PostgreSQL backup" if sqlite_kind else "is a SQLite backup",
        "truncated": "",  # the message comes from SQLite or pg_restore
        "newer.backup": "unknown to this version",
        "foreign.backup": "not a backup of the scheduler",
    }
    before = snapshot()
    for name, message in cases.items():
        result = invoke(migrated_app, "restore", str(tmp_path / name))
        assert result.exit_code != 0, (name, result.output)
        assert "Error:" in result.output and message in result.output, (name, result.output)
        assert "nothing was changed" in result.output, (name, result.output)
        assert snapshot() == before, name

    if not sqlite_kind:
        # pg_restore fails halfway (after dropping tables, as --clean does) when a view it
        # does not know depends on a table: the single transaction is rolled back.
        db.session.execute(sa.text("CREATE VIEW society_names AS SELECT name FROM societies"))
        db.session.commit()
        before = snapshot()
        result = invoke(migrated_app, "restore", str(good))
        assert result.exit_code != 0 and "pg_restore (nothing was changed) failed" in result.output
        assert "depend" in result.output, result.output
        assert snapshot() == before
        db.session.execute(sa.text("DROP VIEW society_names"))
        db.session.commit()

    # While a scheduler process holds its lease, a restore waits for --force.
    now = utcnow()
    lease = SchedulerLease(name="scheduler", holder="host-1:4242", epoch=3, acquired_at=now,
                           renewed_at=now, expires_at=now + timedelta(minutes=1))  # fmt: skip
    db.session.add(lease)
    db.session.commit()
    before = snapshot()
    refused = invoke(migrated_app, "restore", str(good))
    assert refused.exit_code != 0 and "stop `flask jobs`" in refused.output, refused.output
    assert snapshot() == before
    forced = invoke(migrated_app, "restore", "--force", str(good))
    assert forced.exit_code == 0, forced.output
    assert snapshot()["scheduler_leases"] == []


def test_a_backup_of_an_older_schema_restores_and_says_to_upgrade(
    migrated_app, other_database_url, backend, tmp_path
):
    old = make_app(other_database_url, tmp_path / "old")
    with old.app_context():
        upgrade(FIRST)
        db.session.execute(
            sa.text(
                "INSERT INTO societies (slug, name, short_name, kind, discipline, city, "
                "contact_name, contact_email, contact_phone, active, min_events_per_year, "
                "created_at) VALUES ('old-society', '旧学会', '', 'provincial', '', '广州', '', "
                "'', '', true, 0, '2026-01-01 00:00:00')"
            )
        )
        db.session.commit()
        made = invoke(old, "backup", str(tmp_path / "old.backup"))
        assert made.exit_code == 0 and f"revision {FIRST}" in made.output, made.output
        db.engine.dispose()

    into_head = invoke(migrated_app, "restore", str(tmp_path / "old.backup"))
    if backend == "sqlite":  # the file is replaced whole
        assert into_head.exit_code == 0, into_head.output
        target = migrated_app
    else:  # --clean drops only what the dump has: the newer tables would stay behind
        assert into_head.exit_code != 0 and "tables the backup does not" in into_head.output
        assert "nothing was changed" in into_head.output
        target = old
    with target.app_context():
        restored = invoke(target, "restore", str(tmp_path / "old.backup"))
        assert restored.exit_code == 0, restored.output
        assert f"revision {FIRST}, older than this code's {HEAD}" in restored.output
        assert "flask --app scheduler init-db" in restored.output
        assert invoke(target, "init-db").exit_code == 0
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            names = conn.execute(sa.text("SELECT name FROM societies")).scalars().all()
        assert names == ["旧学会"]
        db.engine.dispose()


def test_a_sqlite_backup_taken_while_another_connection_writes_is_consistent(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path)
    batch = 5
    with app.app_context():
        upgrade()
        committed: list[int] = []
        stop = threading.Event()

        def write() -> None:
            # Each transaction adds `batch` holidays and one person: a consistent copy has
            # exactly `batch` holidays per person.
            conn = sqlite3.connect(tmp_path / "live.db", isolation_level=None, timeout=30)
            n = 0
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                for i in range(batch):
                    day = date(2000, 1, 1) + timedelta(days=n * batch + i)
                    conn.execute(
                        "INSERT INTO holidays (day, year, name, is_workday, official, source) "
                        "VALUES (?, ?, '测试', 0, 0, 'test')",
                        (day.isoformat(), day.year),
                    )
                conn.execute(
                    "INSERT INTO people (slug, name, title, affiliation) "
                    "VALUES (?, '专家', '', '')",
                    (f"p-{n}",),
                )
                conn.execute("COMMIT")
                n += 1
                committed.append(n)
            conn.close()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            while len(committed) < 20:
                stop.wait(0.01)
            counts = []
            for i in range(3):
                before = len(committed)
                result = invoke(app, "backup", str(tmp_path / f"during-{i}.sqlite"))
                assert result.exit_code == 0, result.output
                counts.append((before, len(committed)))
        finally:
            stop.set()
            writer.join()
        assert any(after > before for before, after in counts), "no write during a backup"
        for i in range(3):
            copy = sqlite3.connect(tmp_path / f"during-{i}.sqlite")
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            holidays = copy.execute("SELECT count(*) FROM holidays").fetchone()[0]
            people = copy.execute("SELECT count(*) FROM people").fetchone()[0]
            copy.close()
            assert people >= 20 and holidays == batch * people
        db.engine.dispose()


def test_pg_dump_gets_the_password_from_the_environment_and_the_right_binary(
    pg_schema, tmp_path, monkeypatch
):
    url = sa.engine.make_url(pg_schema)
    if not url.password:  # the throw-away cluster trusts local connections: any password
        url = url.set(password="pässword-not-in-ps")
    app = make_app(url.render_as_string(hide_password=False), tmp_path)
    calls = []
    real_run = __import__("subprocess").run

    def spy(cmd, *args, **kwargs):
        calls.append((cmd, kwargs.get("env") or {}))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr("scheduler.backup.subprocess.run", spy)
    monkeypatch.setenv("PGCLIENTENCODING", "GBK")  # a Chinese Windows habit
    monkeypatch.delenv("PG_BIN", raising=False)
    with app.app_context():
        made = invoke(app, "backup", str(tmp_path / "x.dump"))
        assert made.exit_code == 0, made.output
        dumps = [(cmd, env) for cmd, env in calls if Path(cmd[0]).name == "pg_dump"]
        cmd, env = dumps[-1]
        assert url.password not in " ".join(cmd) and url.password not in made.output
        assert env["PGPASSWORD"] == url.password and "PGCLIENTENCODING" not in env
        assert "--encoding=UTF8" in cmd and "--format=custom" in cmd

        # PG_BIN without pg_dump, or with one older than the server: a clear refusal.
        empty = tmp_path / "bin-empty"
        empty.mkdir()
        monkeypatch.setenv("PG_BIN", str(empty))
        missing = invoke(app, "backup", str(tmp_path / "y.dump"))
        assert missing.exit_code != 0 and "which has no pg_dump" in missing.output
        old = tmp_path / "bin-old"
        old.mkdir()
        (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
        (old / "pg_dump").chmod(0o755)
        monkeypatch.setenv("PG_BIN", str(old))
        too_old = invoke(app, "backup", str(tmp_path / "y.dump"))
        assert too_old.exit_code != 0 and "older than the server" in too_old.output
        assert not (tmp_path / "y.dump").exists()
        db.engine.dispose()


# --- damaged backups are refused before the lease is looked at or anything changes ---------


def _expect_refused(app, path, *messages):
    before = snapshot()
    result = invoke(app, "restore", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "nothing was changed" in result.output
    for message in messages:
        assert message in result.output, result.output
    assert snapshot() == before
    return result


def test_a_backup_folder_given_with_a_slash_is_created_private(migrated_app, tmp_path):
    made = invoke(migrated_app, "backup", f"{tmp_path}/nightly/copies/")
    assert made.exit_code == 0, made.output
    folder = tmp_path / "nightly" / "copies"
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    (written,) = folder.iterdir()
    assert written.name.startswith("scheduler-") and str(written) in made.output
    # Without the slash the path is a file, and its folder must exist.
    missing = invoke(migrated_app, "backup", str(tmp_path / "absent" / "x.backup"))
    assert missing.exit_code == 1 and "no such folder" in missing.output
    assert not (tmp_path / "absent").exists()


def test_damaged_backups_are_refused_whole_even_while_the_scheduler_runs(
    migrated_app, backend, tmp_path
):
    seed()
    good = tmp_path / "good.backup"
    assert invoke(migrated_app, "backup", str(good)).exit_code == 0
    data = good.read_bytes()
    # A scheduler process holds its lease: the file's own problem is reported first.
    now = utcnow()
    until = now + timedelta(minutes=5)
    db.session.add(
        SchedulerLease(
            name="scheduler", holder="host-9:1", epoch=1, acquired_at=now, renewed_at=now,
            expires_at=until,
        )
    )  # fmt: skip
    db.session.commit()
    for share in (5, 35, 75, 97):  # cut off at several points
        cut = tmp_path / f"cut-{share}"
        cut.write_bytes(data[: len(data) * share // 100])
        refused = _expect_refused(migrated_app, cut)
        assert "stop `flask jobs`" not in refused.output
    garbage = tmp_path / "garbage"
    garbage.write_bytes(os.urandom(2000))
    assert "stop `flask jobs`" not in _expect_refused(migrated_app, garbage, "is not a").output
    # A good file still waits for the lease (checked after the file).
    waiting = invoke(migrated_app, "restore", str(good))
    assert waiting.exit_code == 1 and "stop `flask jobs`" in waiting.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_sqlite_backup_failing_its_checks_is_refused(migrated_app, backend, tmp_path):
    seed()
    good = tmp_path / "good.sqlite"
    assert invoke(migrated_app, "backup", str(good)).exit_code == 0

    def variant(name, *sql):
        path = tmp_path / name
        path.write_bytes(good.read_bytes())
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = OFF")
        for statement in sql:
            conn.execute(statement)
        conn.commit()
        conn.close()
        return path

    orphan = variant("orphan", "DELETE FROM societies WHERE slug = 'gd-physics'")
    _expect_refused(migrated_app, orphan, "foreign-key check", "events")
    lacking = variant("lacking", "DROP TABLE holidays")
    _expect_refused(migrated_app, lacking, "tables are missing (holidays)")
    # Damage inside an index page: SQLite's full integrity check finds it.
    broken = variant("broken", "CREATE INDEX people_name ON people (name)")
    conn = sqlite3.connect(broken)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'people_name'").fetchone()
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    raw = bytearray(broken.read_bytes())
    raw[(page[0] - 1) * size + 8 : (page[0] - 1) * size + 16] = b"\xff" * 8
    broken.write_bytes(bytes(raw))
    _expect_refused(migrated_app, broken)


def test_a_dump_missing_a_table_is_refused(migrated_app, backend, tmp_path):
    seed()
    db.session.execute(sa.text("DROP TABLE holidays"))
    db.session.commit()
    assert invoke(migrated_app, "backup", str(tmp_path / "partial.backup")).exit_code == 0
    db.metadata.tables["holidays"].create(db.engine)  # the live database is whole again
    _expect_refused(migrated_app, tmp_path / "partial.backup", "tables are missing (holidays)")
