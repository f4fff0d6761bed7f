"""The feed version: it changes whenever anything a feed shows changes.

Reading it must cost next to nothing, since every feed request (and every 304) starts with
it. By default it is a stamp file in the instance folder that every process touches right
after committing a change to events or to what they show (societies, venues, people,
series, campaigns); `os.stat` then tells each web worker on the host, before its next
request, that feeds must be rebuilt. Deployments whose workers run on several hosts set
FEED_VERSION_SOURCE=database: the version is then read from the database (one query over
the events and, on PostgreSQL, the directory tables' row versions), so a change made on any
host, renames included, shows on every other host at its next request.
"""

import contextlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from ..extensions import db

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Version:
    token: str
    last_change: datetime


def _watched() -> tuple:
    from ..accounts.models import User
    from ..campaigns.models import Campaign
    from ..events.models import Event, EventAudience, Occurrence
    from ..holidays.models import Holiday
    from ..people.models import Person
    from ..series.models import Series
    from ..societies.models import Society
    from ..venues.models import Venue
    from .models import FeedToken

    # Users and feed tokens too: a revoked token or a disabled user must stop a private feed.
    # Holidays: the cached public pages (scheduler/pagecache) mark them on the calendar.
    return (Event, Occurrence, EventAudience, Society, Venue, Person, Series, Campaign, User,
            FeedToken, Holiday)  # fmt: skip


def stamp_path(app: Flask) -> Path:
    path = app.extensions.get("feed_stamp")
    if path is None:
        path = Path(app.config.get("FEED_VERSION_FILE") or Path(app.instance_path) / "feed-version")
        app.extensions["feed_stamp"] = path
    return path


def touch(path: Path) -> None:
    """Give the stamp a new modification time, to the nanosecond and always later than the
    last: the kernel's own file times tick only every few milliseconds, so two commits in
    one tick would otherwise leave the version unchanged and a stale feed cached."""
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    with contextlib.suppress(FileNotFoundError):
        now = max(now, os.stat(path).st_mtime_ns + 1)
    path.write_text(str(now))
    os.utime(path, ns=(now, now))


_installed = False


def install(app: Flask) -> None:
    """Touch the stamp after every commit that changed something a feed shows. The session
    listeners are global, so they are registered once however many apps are created."""
    global _installed
    if not stamp_path(app).exists():
        touch(stamp_path(app))
    if _installed:
        return
    _installed = True
    watched = _watched()

    directory = _directory()

    from ..events.models import Event
    from ..types import utcnow

    @sa.event.listens_for(Session, "before_flush")
    def note_changes(session, flush_context, instances):
        for obj in session.dirty:
            # A change to an event's co-hosts or speakers alone writes no events row: stamp
            # it, so the version (database mode) and the cached fragment's key both move.
            if isinstance(obj, Event) and session.is_modified(obj):
                obj.updated_at = utcnow()
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, watched) for obj in changed):
            session.info["feeds_changed"] = True
        if any(isinstance(obj, directory) for obj in changed):
            session.info["directory_changed"] = True

    @sa.event.listens_for(Session, "after_commit")
    def after_commit(session):
        directory_changed = session.info.pop("directory_changed", False)
        if session.info.pop("feeds_changed", False) and has_app_context():
            touch(stamp_path(current_app))
            if directory_changed:
                touch(directory_stamp_path(current_app))

    @sa.event.listens_for(Session, "after_rollback")
    def after_rollback(session):
        session.info.pop("feeds_changed", None)
        session.info.pop("directory_changed", None)


def _directory() -> tuple:
    """What an event's cached VEVENT shows besides the event itself: names of its host,
    co-hosts, venue, speakers and series. A change to one of them must rebuild fragments."""
    from ..people.models import Person
    from ..series.models import Series
    from ..societies.models import Society
    from ..venues.models import Venue

    return (Society, Venue, Person, Series)


def directory_stamp_path(app: Flask) -> Path:
    return stamp_path(app).with_name(stamp_path(app).name + ".directory")


def directory_token() -> str:
    """Changes whenever a society, venue, person or series changed: part of each cached
    fragment's key. From the host's stamp file, or with FEED_VERSION_SOURCE=database from
    the database itself, so a rename made on any host (or by hand in SQL) shows at once."""
    if current_app.config["FEED_VERSION_SOURCE"] == "database" and _on_postgresql():
        return db.session.scalar(sa.select(_directory_column()))
    return _stamp_directory_token()


def _stamp_directory_token() -> str:
    try:
        return str(os.stat(directory_stamp_path(current_app)).st_mtime_ns)
    except FileNotFoundError:
        return "0"


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _directory_column():
    """PostgreSQL: per directory table, the sum of the rows' xmin (the transaction that last
    wrote each row: an update or insert changes it) and the row count (a delete changes
    it): a scan of a few small tables, no schema change, and it sees every writer. (SQLite
    serves a single host, whose stamp file is enough.)"""
    return _xmin_column([model.__tablename__ for model in _directory()])


def _xmin_column(tables: list[str]):
    parts = " || '|' || ".join(
        f"(SELECT coalesce(sum(xmin::text::bigint), 0) || ':' || count(*) FROM {table})"
        for table in tables
    )
    return sa.literal_column(f"({parts})")


def current_version() -> Version:
    if current_app.config["FEED_VERSION_SOURCE"] == "database":
        return _database_version()
    try:
        stat = os.stat(stamp_path(current_app))
    except FileNotFoundError:
        touch(stamp_path(current_app))
        stat = os.stat(stamp_path(current_app))
    return Version(str(stat.st_mtime_ns), datetime.fromtimestamp(stat.st_mtime, UTC))


def _database_version() -> Version:
    from ..events.models import Event

    # A rename changes what feeds show without touching an event: the directory is part of
    # the version, read in the same query.
    directory = _directory_column() if _on_postgresql() else sa.literal(_stamp_directory_token())
    # The holiday marks of the cached pages too (PostgreSQL; SQLite serves one host).
    holidays = _xmin_column(["holidays"]) if _on_postgresql() else sa.literal("")
    last, count, directory, holidays = db.session.execute(
        sa.select(sa.func.max(Event.updated_at), sa.func.count(Event.id), directory, holidays)
    ).one()
    if last is not None and last.tzinfo is None:  # aggregates bypass the column type
        last = last.replace(tzinfo=UTC)
    last = last or EPOCH
    return Version(f"{last.isoformat()}|{count}|{directory}|{holidays}", last)
