"""Backup and restore of the whole database (flask backup / flask restore).

SQLite uses its online backup API, so a backup is consistent while the app writes, and a
restore swaps the content in one transaction. PostgreSQL uses pg_dump/pg_restore of the
server's major version, with the password passed in the environment, never on a command line.
"""

import locale
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from .extensions import db
from .migrate import alembic_config
from .search.models import is_search_index
from .types import utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# APScheduler's job store table is created by the jobs process, not by our migrations.
FOREIGN_TABLES = {"apscheduler_jobs"}
# The tables of the first migration: every backup of the scheduler has them.
FIRST_TABLES = {
    *("campaigns", "holidays", "people", "societies", "venues", "series", "users"),
    *("api_tokens", "audit_entries", "events", "event_audiences", "event_cohosts"),
    *("event_organizers", "event_speakers", "occurrences", "alembic_version"),
}
# pg_restore waits this long for the locks of running app processes, then gives up.
PG_LOCK_TIMEOUT = "60s"


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message is for the user."""


@dataclass
class Summary:
    path: Path
    size: int
    tables: int
    rows: int
    revision: str | None

    def describe(self) -> str:
        return (
            f"{self.path} ({_size(self.size)}, {self.tables} tables, {self.rows} rows, "
            f"revision {self.revision or 'none'})"
        )


@dataclass
class RestoreResult:
    summary: Summary
    database: str
    head: str

    @property
    def behind_head(self) -> bool:
        return self.summary.revision != self.head


# --- entry points ----------------------------------------------------------------------


def backup(path: Path | str | None = None) -> Summary:
    """Write a backup of the app's database to ``path`` (a file or a folder; by default
    instance/backups/scheduler-<UTC time>.sqlite|dump). An existing file is never replaced."""
    dialect = db.engine.dialect.name
    suffix = {"sqlite": "sqlite", "postgresql": "dump"}.get(dialect)
    if suffix is None:
        raise BackupError(f"backups of {dialect} databases are not supported")
    target = _target_path(path, suffix)
    db.session.remove()  # no transaction of ours stays open during the copy
    if dialect == "sqlite":
        return _sqlite_backup(_sqlite_file(), target)
    return _pg_backup(target)


def restore(path: Path | str, force: bool = False) -> RestoreResult:
    """Replace the app's database with the backup at ``path``. The file is checked first
    (kind, integrity, a schema revision this code knows); a refused file changes nothing."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    dialect = db.engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise BackupError(f"restoring {dialect} databases is not supported")
    db.session.remove()
    # The file is checked first: a damaged or foreign file is refused whatever the lease.
    if dialect == "sqlite":
        with _staged_sqlite(source) as staged:
            if not force:
                _refuse_while_jobs_run()
            summary = _sqlite_swap(staged, source, _sqlite_file())
    else:
        checked = _pg_check(source)
        if not force:
            _refuse_while_jobs_run()
        summary = _pg_apply(checked)
    db.session.remove()
    database = db.engine.url.render_as_string(hide_password=True)
    return RestoreResult(summary, database, _head())


# --- helpers shared by both databases ----------------------------------------------------


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _target_path(path, suffix: str) -> Path:
    name = f"scheduler-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}"
    if path is None:
        folder = Path(current_app.instance_path) / "backups"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / name
    else:
        target = Path(path)
        if str(path).endswith(("/", os.sep)) and not target.exists():
            # "backups/" names a folder: make it (private, like the default one).
            try:
                target.mkdir(mode=0o700, parents=True)
            except OSError as exc:
                raise BackupError(f"{target}: cannot create the folder ({exc.strerror})") from None
        if target.is_dir():
            target = target / name
    if target.exists():
        raise BackupError(f"{target} already exists; choose another path")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    return target


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _head() -> str:
    return _script().get_current_head()


def _check_revision(revision: str | None, source: Path) -> None:
    """The backup's schema must be one this code can run or upgrade."""
    if not revision:
        raise BackupError(
            f"{source}: not a backup of the scheduler (it has no alembic_version); "
            "nothing was changed"
        )
    known = {r.revision for r in _script().walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{source}: its schema revision {revision} is unknown to this version of the "
            "scheduler (a backup made by a newer version?): upgrade the code first; "
            "nothing was changed"
        )


def _check_tables(names, revision: str, source: Path) -> None:
    """A backup of this code's schema has every table the models know; an older one at
    least the tables of the first migration (later ones are added by init-db)."""
    expected = set(db.metadata.tables) if revision == _head() else FIRST_TABLES
    missing = sorted(expected - set(names))
    if missing:
        raise BackupError(
            f"{source}: tables are missing ({', '.join(missing)}): it is damaged or not a "
            "whole backup; nothing was changed"
        )


def _refuse_while_jobs_run() -> None:
    """A running scheduler process would act on the data while it is swapped."""
    from .jobs.models import SchedulerLease

    if not sa.inspect(db.engine).has_table(SchedulerLease.__tablename__):
        return
    live = db.session.scalars(
        sa.select(SchedulerLease).where(SchedulerLease.expires_at > utcnow())
    ).all()
    db.session.remove()
    if live:
        lease = live[0]
        raise BackupError(
            f"the scheduler process ({lease.holder}) holds its lease until "
            f"{lease.expires_at:%Y-%m-%d %H:%M:%S} UTC: stop `flask jobs` first "
            "(or pass --force); nothing was changed"
        )


def _count_rows(conn, names) -> int:
    return sum(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names)


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_file() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("only a SQLite database in a file can be backed up or restored")
    return Path(name)


def _sqlite_facts(conn: sqlite3.Connection) -> tuple[list[str], str | None]:
    # The search index's FTS5 tables hold derived data, not rows of their own: not counted.
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if not is_search_index(row[0])
    ]
    revision = None
    if "alembic_version" in names:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return names, revision


def _sqlite_backup(live: Path, target: Path) -> Summary:
    if not live.is_file():
        raise BackupError(f"{live}: the database file does not exist")
    partial = target.with_name(f".{target.name}.partial")
    source = sqlite3.connect(live)
    copy = sqlite3.connect(partial)
    try:
        os.chmod(partial, 0o600)  # password hashes and token hashes are inside
        source.execute("PRAGMA busy_timeout = 30000")
        # One step (pages=-1): the copy is a single read transaction, a consistent snapshot;
        # in WAL mode writers carry on meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{live}: the copy failed its integrity check")
        names, revision = _sqlite_facts(copy)
        rows = _count_rows(copy, names)
    except (sqlite3.Error, BackupError) as exc:
        copy.close()
        partial.unlink(missing_ok=True)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"backup of {live} failed: {exc}") from None
    finally:
        source.close()
        copy.close()
    os.replace(partial, target)  # a backup appears whole under its name, or not at all
    return Summary(target, target.stat().st_size, len(names), rows, revision)


@dataclass
class _Staged:
    conn: sqlite3.Connection
    names: list[str]
    revision: str
    rows: int


@contextmanager
def _staged_sqlite(source: Path):
    """A private copy of the backup, checked whole: SQLite's own integrity and foreign-key
    checks, the tables, a schema revision this code knows. Raises BackupError otherwise."""
    with source.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            f"{source} is a PostgreSQL backup (pg_dump) but this database is SQLite; "
            "nothing was changed"
        )
    if head != SQLITE_MAGIC:
        raise BackupError(f"{source} is not a SQLite backup; nothing was changed")
    # Check and read a private copy: opening the user's file could write to it (WAL).
    with tempfile.TemporaryDirectory(prefix="scheduler-restore-") as tmp:
        staged = Path(tmp) / "staged.sqlite"
        shutil.copyfile(source, staged)
        copy = sqlite3.connect(staged)
        try:
            yield _check_sqlite_copy(copy, source)
        finally:
            copy.close()


def _check_sqlite_copy(copy: sqlite3.Connection, source: Path) -> _Staged:
    try:
        copy.execute("PRAGMA journal_mode = DELETE")
        check = [row[0] for row in copy.execute("PRAGMA integrity_check(5)")]
        names, revision = _sqlite_facts(copy)
        orphans = copy.execute('SELECT DISTINCT "table" FROM pragma_foreign_key_check').fetchall()
    except sqlite3.Error as exc:
        raise BackupError(
            f"{source} cannot be read as a SQLite database ({exc}); nothing was changed"
        ) from None
    if check != ["ok"]:
        found = [ln for entry in check for ln in entry.splitlines() if not ln.startswith("***")]
        raise BackupError(
            f"{source} is damaged (integrity check: {'; '.join(found)}); nothing was changed"
        )
    if orphans:
        tables = sorted({row[0] for row in orphans})
        raise BackupError(
            f"{source} is damaged (foreign-key check: rows of {', '.join(tables)} refer to "
            "rows that are not there); nothing was changed"
        )
    _check_revision(revision, source)
    _check_tables(names, revision, source)
    try:
        rows = _count_rows(copy, names)
    except sqlite3.Error as exc:
        raise BackupError(f"{source} is damaged ({exc}); nothing was changed") from None
    return _Staged(copy, names, revision, rows)


def _sqlite_swap(staged: _Staged, source: Path, live: Path) -> Summary:
    target = sqlite3.connect(live)
    try:
        target.execute("PRAGMA busy_timeout = 30000")
        # The backup API writes into the live file in one transaction: other connections
        # see the old content or the new, and WAL mode is kept.
        staged.conn.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"restoring into {live} failed ({exc}); nothing was changed") from None
    finally:
        target.close()
    return Summary(source, source.stat().st_size, len(staged.names), staged.rows, staged.revision)


# --- PostgreSQL --------------------------------------------------------------------------


def _server_major(conn) -> int:
    return int(conn.execute(sa.text("SHOW server_version_num")).scalar()) // 10000


def _pg_env() -> dict[str, str]:
    """The environment of pg_dump/pg_restore: the password travels here, never in argv."""
    env = dict(os.environ)
    url = db.engine.url
    if url.password:
        env["PGPASSWORD"] = url.password
    # Dumps are always UTF-8: a PGCLIENTENCODING such as GBK (Chinese Windows) would make
    # pg_dump convert, and fail on characters GBK does not have.
    env.pop("PGCLIENTENCODING", None)
    # Messages in English, so that the listing can be parsed whatever the locale.
    env["LC_ALL"] = "C"
    env["LC_MESSAGES"] = "C"
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={PG_LOCK_TIMEOUT}".strip()
    return env


def _conninfo() -> str:
    """A libpq URL of the app's database, without the password."""
    url = db.engine.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(locale.getpreferredencoding(False), errors="replace")


def pg_tool(name: str, server_major: int) -> Path:
    """pg_dump or pg_restore able to talk to a server of ``server_major``: from PG_BIN,
    else /usr/lib/postgresql/<major>/bin, else PATH; never older than the server."""
    if os.environ.get("PG_BIN"):
        found = Path(os.environ["PG_BIN"]) / name
        if not found.exists():
            raise BackupError(f"PG_BIN is {os.environ['PG_BIN']}, which has no {name}")
    else:
        debian = Path(f"/usr/lib/postgresql/{server_major}/bin") / name
        on_path = shutil.which(name)
        if debian.exists():
            found = debian
        elif on_path:
            found = Path(on_path)
        else:
            raise BackupError(
                f"{name} not found: install the PostgreSQL {server_major} client "
                f"(Debian: postgresql-client-{server_major}) or set PG_BIN to its bin folder"
            )
    result = subprocess.run([str(found), "--version"], capture_output=True, env=_pg_env())
    match = re.search(rb"(\d+)(?:\.\d+)?", result.stdout)
    tool_major = int(match.group(1)) if match else 0
    if tool_major < server_major:
        raise BackupError(
            f"{found} is version {tool_major or '?'}, older than the server "
            f"(PostgreSQL {server_major}); install postgresql-client-{server_major} or set PG_BIN"
        )
    return found


def _run(cmd: list, what: str) -> bytes:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, env=_pg_env())
    if result.returncode != 0:
        detail = _decode(result.stderr or result.stdout).strip()
        raise BackupError(f"{what} failed: {detail}")
    return result.stdout


def _pg_tables(conn) -> list[str]:
    return sa.inspect(conn).get_table_names()


def _pg_revision(conn, names) -> str | None:
    if "alembic_version" not in names:
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _pg_backup(target: Path) -> Summary:
    partial = target.with_name(f".{target.name}.partial")
    engine = db.engine
    with engine.connect() as conn:
        pg_dump = pg_tool("pg_dump", _server_major(conn))
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        # pg_dump reads the snapshot this transaction exports, so the counts printed
        # describe exactly the rows in the file.
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        names = _pg_tables(conn)
        rows = sum(
            conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() for name in names
        )
        revision = _pg_revision(conn, names)
        partial.touch(mode=0o600)
        try:
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--encoding=UTF8",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={_conninfo()}",
                ],
                "pg_dump",
            )
        except BackupError:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, target)
    return Summary(target, target.stat().st_size, len(names), rows, revision)


_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


_TOC_EXTENSION = re.compile(r"^\d+; \d+ \d+ (?:COMMENT - )?EXTENSION (?:- )?(\S+)")


@dataclass
class DumpFacts:
    listing: str
    tables: set[str]
    revision: str | None
    encoding: str | None

    def restore_list(self, installed_extensions: set[str]) -> str:
        """The dump's table of contents without what only an extension's owner may do:
        extensions the database already has are left alone (not dropped, not re-created),
        and comments on extensions are skipped."""
        kept = []
        for line in self.listing.splitlines():
            m = _TOC_EXTENSION.match(line)
            if m and (" COMMENT - " in line or m.group(1) in installed_extensions):
                continue
            kept.append(line)
        return "\n".join(kept) + "\n"


def _dump_facts(pg_restore: Path, source: Path) -> DumpFacts:
    """The tables, the alembic revision and the encoding of a custom-format dump."""
    listing = _decode(_run([pg_restore, "--list", source], f"reading {source}"))
    tables = {m.group(2) for m in map(_TOC_TABLE.match, listing.splitlines()) if m}
    script = _decode(
        _run(
            [pg_restore, "--data-only", "--table=alembic_version", "--file=-", source],
            f"reading {source}",
        )
    )
    encoding = re.search(r"SET client_encoding = '([^']+)'", script)
    revision = None
    copy = re.search(r"^COPY \S*alembic_version .*FROM stdin;\n(.*?)^\\\.$", script, re.M | re.S)
    if copy and copy.group(1).strip():
        revision = copy.group(1).split()[0]
    return DumpFacts(listing, tables, revision, encoding.group(1) if encoding else None)


@dataclass
class _CheckedDump:
    source: Path
    pg_restore: Path
    facts: DumpFacts
    extensions: set[str]


def _pg_check(source: Path) -> _CheckedDump:
    """Read the dump's table of contents (pg_restore --list) and its alembic_version, and
    compare them with the live database; raises BackupError before anything is changed."""
    with source.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        raise BackupError(
            f"{source} is a SQLite backup but this database is PostgreSQL; nothing was changed"
        )
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            f"{source} is not a PostgreSQL backup (pg_dump --format=custom); nothing was changed"
        )
    engine = db.engine
    with engine.connect() as conn:
        major = _server_major(conn)
        server_encoding = conn.execute(sa.text("SHOW server_encoding")).scalar()
        live_tables = set(_pg_tables(conn))
        extensions = set(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    pg_restore = pg_tool("pg_restore", major)
    try:
        facts = _dump_facts(pg_restore, source)
        # Read every data block too: a cut-off dump keeps its table of contents.
        _run([pg_restore, f"--file={os.devnull}", source], f"reading {source}")
    except BackupError as exc:
        raise BackupError(f"{exc}\nnothing was changed") from None
    _check_revision(facts.revision, source)
    _check_tables(facts.tables, facts.revision, source)
    if facts.encoding and facts.encoding.upper() != server_encoding.upper():
        raise BackupError(
            f"{source} holds {facts.encoding} text but the database's encoding is "
            f"{server_encoding}: restore into a database created with ENCODING 'UTF8'; "
            "nothing was changed"
        )
    extra = sorted(live_tables - facts.tables - FOREIGN_TABLES)
    if extra:
        # --clean drops only what the backup has; these would stay and break later upgrades.
        raise BackupError(
            f"the database has tables the backup does not ({', '.join(extra)}): it is at a "
            "newer schema. Restore into an empty database (dropdb/createdb), or drop them "
            "first; nothing was changed"
        )
    return _CheckedDump(source, pg_restore, facts, extensions)


def _pg_apply(checked: _CheckedDump) -> Summary:
    source, pg_restore = checked.source, checked.pg_restore
    engine = db.engine
    engine.dispose()  # our own idle connections hold nothing, but go anyway
    with tempfile.TemporaryDirectory(prefix="scheduler-restore-") as tmp:
        use_list = Path(tmp) / "restore.list"
        use_list.write_text(checked.facts.restore_list(checked.extensions), encoding="utf-8")
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",  # all or nothing: a failure changes nothing
                "--exit-on-error",
                "--no-password",
                f"--use-list={use_list}",
                f"--dbname={_conninfo()}",
                source,
            ],
            "pg_restore (nothing was changed)",
        )
    with engine.connect() as conn:
        names = _pg_tables(conn)
        rows = sum(
            conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() for name in names
        )
        restored = _pg_revision(conn, names)
    return Summary(source, source.stat().st_size, len(names), rows, restored)
