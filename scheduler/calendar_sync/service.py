"""Registering a society's calendar URL and syncing it: fetch, import, retire what is gone.

A sync fetches the URL (fetch.py), imports the file through the importer, as an upload
would be (the workflow and the conflict rules apply; new events stay drafts or are
submitted, as the society chose), links the events to the source, and retires the source's
events that are no longer in the file: submitted ones are withdrawn, approved ones
cancelled, through the workflow. Nothing is deleted. Events that have already ended are
left alone (published calendars often drop their past). The outcome and every item are
kept on the source for its page and the API; a source failing MAX_FAILURES times in a row
is paused and its society and the organizers are told.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import directory_input as di
from ..accounts.models import User
from ..audit.service import record
from ..database import serialized_writes
from ..enums import EventStatus
from ..errors import BadInput, Conflict, NotFound, RequestError
from ..events import workflow
from ..events.models import Event, Occurrence
from ..extensions import db
from ..feeds.importer import import_ics
from ..hosts import absolute_url
from ..notifications.service import organizers, queue_message, render_body, society_people
from ..societies.models import Society
from ..types import utcnow
from .addresses import check_url, parse_allow_private
from .fetch import FetchFailed, FetchPolicy, fetch
from .models import CalendarSource, SyncMode, SyncOutcome
from .schemas import CalendarSourceInput

log = logging.getLogger(__name__)
S = EventStatus
MAX_FAILURES = 5  # default of CALENDAR_SYNC_MAX_FAILURES
# What becomes of a source's event that is no longer in its calendar.
RETIRE = {S.SUBMITTED: "withdrawn", S.CHANGES_REQUESTED: "withdrawn", S.APPROVED: "cancelled"}
SHOWN_ITEMS = 500  # items kept in a report (the importer's event limit by default)
LOCK_KEY = "hashtext(:namespace), :key"  # the advisory lock that one sync of a source holds


@dataclass
class SyncReport:
    outcome: SyncOutcome
    error: str = ""
    items: list[dict] = field(default_factory=list)  # the importer's items
    notes: list[str] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)  # events no longer in the calendar
    paused: bool = False

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in [*self.items, *self.removed]:
            counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
        return counts

    def to_json(self) -> dict:
        return {
            "outcome": self.outcome.value,
            "error": self.error,
            "counts": self.counts(),
            "items": self.items[:SHOWN_ITEMS],
            "notes": self.notes,
            "removed": self.removed[:SHOWN_ITEMS],
            "paused": self.paused,
        }


def item_labels() -> dict[str, str]:
    """What each item outcome of a report is called on the page."""
    return {
        "created": _("created"), "updated": _("updated"), "unchanged": _("unchanged"),
        "skipped": _("skipped"), "withdrawn": _("withdrawn"), "cancelled": _("cancelled"),
        "kept": _("kept as a draft"),
    }  # fmt: skip


# --- registering ---------------------------------------------------------------------------


def may_manage(user, society: Society) -> bool:
    """Organizers, and the society's own editors."""
    return bool(user and (user.is_organizer or user.society_id == society.id))


def find_society(slug: str) -> Society:
    society = db.session.scalar(sa.select(Society).where(Society.slug == slug))
    if society is None:
        raise NotFound(_("No society with the slug %(slug)s.", slug=slug[:80]))
    return society


def require_manager(user, society: Society) -> None:
    if not may_manage(user, society):
        raise workflow.Forbidden(_("Only the society's editors and organizers may do this."))


def source_of(society: Society) -> CalendarSource | None:
    return db.session.scalar(
        sa.select(CalendarSource).where(CalendarSource.society_id == society.id)
    )


def allow_private():
    return parse_allow_private(current_app.config.get("CALENDAR_SYNC_ALLOW_PRIVATE", False))


def save_source(society: Society, data: dict, by: User) -> tuple[CalendarSource, bool]:
    """Register or change the society's calendar URL, mode and active flag (only the keys
    given; a new source needs its URL). Returns the source and whether it is new. A new URL
    starts afresh: no validators, no failures."""
    require_manager(by, society)
    values = di.validate(CalendarSourceInput, data)
    source = source_of(society)
    created = source is None
    if created and "url" not in values:
        raise BadInput(_("Give the address (URL) of the calendar."), field="url")
    if "url" in values:
        values["url"] = check_url(values["url"], allow_private())
    if created:
        source = CalendarSource(society_id=society.id, url=values["url"], last_report={})
        db.session.add(source)
    changes = {}
    for name, value in values.items():
        if getattr(source, name) != value:
            changes[name] = [_plain(getattr(source, name)), _plain(value)]
            setattr(source, name, value)
    if "url" in changes or changes.get("active") == [False, True]:
        source.etag, source.last_modified, source.failures = "", "", 0
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # registered at the same moment by someone else
        db.session.rollback()
        raise Conflict(_("This society's calendar was registered meanwhile.")) from None
    record("calendar_source", source.id, "create" if created else "update", by, changes)
    db.session.commit()
    return source, created


def _plain(value):
    return value.value if isinstance(value, SyncMode) else value


def no_source_message() -> str:
    return _("This society has no synced calendar.")


def delete_source(society: Society, by: User) -> None:
    """Forget the URL; the events it brought stay as they are."""
    require_manager(by, society)
    source = source_of(society)
    if source is None:
        raise NotFound(no_source_message())
    record("calendar_source", source.id, "delete", by, {"url": [source.url, None]})
    db.session.delete(source)
    db.session.commit()


# --- syncing -------------------------------------------------------------------------------


def policy() -> FetchPolicy:
    config = current_app.config
    return FetchPolicy(
        max_bytes=config["IMPORT_MAX_BYTES"],
        connect_timeout=config.get("CALENDAR_SYNC_CONNECT_TIMEOUT", 5),
        read_timeout=config.get("CALENDAR_SYNC_READ_TIMEOUT", 10),
        total_timeout=config.get("CALENDAR_SYNC_TOTAL_TIMEOUT", 30),
        max_redirects=config.get("CALENDAR_SYNC_MAX_REDIRECTS", 3),
        allow_private=allow_private(),
    )


def busy_message() -> str:
    return _("A sync of this calendar is running right now; its outcome shows here when it "
             "is done.")  # fmt: skip


def sync_source(source: CalendarSource, now: datetime | None = None) -> SyncReport:
    """Fetch and import one source now (an inactive one too: "sync now" after a pause),
    unless another sync of it (the job, or "sync now" in another worker) is running."""
    with _exclusive(source.id) as mine:
        if not mine:
            db.session.commit()
            return SyncReport(SyncOutcome.BUSY, notes=[busy_message()])
        return _sync(source, now or utcnow())


@contextmanager
def _exclusive(source_id: int) -> Iterator[bool]:
    """PostgreSQL: a session-level advisory lock on the source for the whole sync, taken
    without waiting, on a connection of its own: the sync commits several times, and its
    writes to the source's row must not wait on the lock (a row lock would). Yields False
    when another sync holds it. SQLite: True (one writer at a time anyway)."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = {"namespace": "calendar_sync", "key": source_id}
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        mine = connection.scalar(sa.text(f"SELECT pg_try_advisory_lock({LOCK_KEY})"), key)
        try:
            yield bool(mine)
        finally:
            if mine:
                _unlock(connection, key)


def _unlock(connection: sa.Connection, key: dict) -> None:
    try:
        connection.execute(sa.text(f"SELECT pg_advisory_unlock({LOCK_KEY})"), key)
    except sa.exc.DBAPIError:
        connection.invalidate()  # never back to the pool holding the lock


def _sync(source: CalendarSource, now: datetime) -> SyncReport:
    source_id, slug, url = source.id, source.society.slug, source.url
    validators, submit = (source.etag, source.last_modified), source.mode == SyncMode.SUBMIT
    db.session.commit()  # no transaction stays open while the server takes its time
    try:
        fetched = fetch(url, policy(), *validators)
    except FetchFailed as exc:
        fetched, failure = None, str(exc)
    # On SQLite every write below waits for the write lock from its start, so syncs of one
    # calendar in two workers run one after the other instead of failing on a locked
    # database (on PostgreSQL _exclusive already let only one in).
    with serialized_writes():
        if fetched is None:
            return _failed(_still_there(source_id), failure, now)
        return _apply(fetched, source_id, slug, submit, now)


def _apply(fetched, source_id: int, slug: str, submit: bool, now: datetime) -> SyncReport:
    """Import what was fetched, link and retire the source's events, record the report."""
    if fetched.status == 304:
        return _finish(_still_there(source_id), SyncReport(SyncOutcome.NOT_MODIFIED), now)
    try:
        result = import_ics(fetched.body, slug, by=workflow.SYSTEM, submit=submit)
    except RequestError as exc:
        db.session.rollback()
        return _failed(_still_there(source_id), exc.message, now)
    source = _still_there(source_id)
    items = [
        {"uid": i.uid, "title": i.title, "outcome": i.outcome, "reason": i.reason,
         "event_id": i.event_id, "line": i.line}
        for i in result.items
    ]  # fmt: skip
    _link(source, [i.event_id for i in result.items if i.event_id and i.outcome != "skipped"])
    removed = _retire_missing(source_id, {i.uid for i in result.items}, now)
    source = db.session.get(CalendarSource, source_id)
    if not any(i.outcome == "skipped" for i in result.items):
        # Else the next sync imports the same file again: a refused item may fit by then.
        source.etag, source.last_modified = fetched.etag, fetched.last_modified
    else:
        source.etag, source.last_modified = "", ""
    report = SyncReport(SyncOutcome.SYNCED, items=items, notes=result.notes, removed=removed)
    return _finish(source, report, now)


def _still_there(source_id: int) -> CalendarSource:
    source = db.session.get(CalendarSource, source_id)
    if source is None:  # removed while it was being fetched
        raise NotFound(no_source_message())
    return source


def _link(source: CalendarSource, event_ids: list[int]) -> None:
    """Remember that these events came from the source (updated_at is left alone: the
    link changes nothing a feed shows)."""
    if event_ids:
        db.session.execute(
            sa.update(Event)
            .where(
                Event.id.in_(event_ids),
                Event.host_id == source.society_id,
                sa.or_(Event.calendar_source_id.is_(None), Event.calendar_source_id != source.id),
            )
            .values(calendar_source_id=source.id, updated_at=Event.updated_at)
        )
        db.session.commit()


def _retire_missing(source_id: int, uids: set[str], now: datetime) -> list[dict]:
    """Withdraw or cancel the source's coming events that its calendar no longer has."""
    later = sa.exists().where(Occurrence.event_id == Event.id, Occurrence.end_at > now)
    statuses = [S.DRAFT, *RETIRE]
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.calendar_source_id == source_id, Event.status.in_(statuses), later)
        .order_by(Event.start_at)
    ).all()
    removed = []
    for event in (e for e in events if e.uid not in uids):
        removed.append(_retire(event))
    return removed


def _retire(event: Event) -> dict:
    item = {"uid": event.uid, "title": event.title, "event_id": event.id}
    reason = _("No longer in the society's own calendar.")
    if event.status == S.DRAFT:
        # The workflow has no way out of a draft but deleting it, which a sync never does:
        # it stays a draft, no longer linked, and the report says so once.
        _unlink(event)
        kept = _("It is still a draft here; delete it if it is no longer wanted.")
        return {**item, "outcome": "kept", "reason": kept}
    try:
        if RETIRE[event.status] == "cancelled":
            workflow.cancel(event, workflow.SYSTEM, reason)
        else:
            workflow.withdraw(event, workflow.SYSTEM, reason)
    except RequestError as exc:
        db.session.rollback()
        return {**item, "outcome": "skipped", "reason": exc.message}
    return {**item, "outcome": event.status.value, "reason": reason}


def _unlink(event: Event) -> None:
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values(calendar_source_id=None, updated_at=Event.updated_at)
    )
    db.session.commit()


def _failed(source: CalendarSource, message: str, now: datetime) -> SyncReport:
    source.failures += 1
    limit = current_app.config.get("CALENDAR_SYNC_MAX_FAILURES", MAX_FAILURES)
    paused = source.active and source.failures >= limit
    if paused:
        source.active = False
        _tell_paused(source, message)
    return _finish(source, SyncReport(SyncOutcome.FAILED, error=message, paused=paused), now)


def _finish(source: CalendarSource, report: SyncReport, now: datetime) -> SyncReport:
    source.last_checked_at = now
    source.last_outcome = report.outcome
    source.last_report = report.to_json()
    if report.outcome != SyncOutcome.FAILED:
        source.last_success_at, source.failures = now, 0
    db.session.commit()
    return report


def _tell_paused(source: CalendarSource, message: str) -> None:
    """Mail the society and the organizers that the source stopped being synced."""
    society = source.society
    url = absolute_url("calendar_sync.page", slug=society.slug)
    for email, locale in dict([*society_people(society), *organizers()]).items():
        with force_locale(locale):
            subject = _("Calendar sync paused: %(name)s", name=society.name)
        body = render_body("calendar_sync_paused", locale, society=society, source=source,
                           error=message, page_url=url)  # fmt: skip
        queue_message("calendar_sync_paused", email, locale, subject, body)


def sync_all(now: datetime) -> tuple[dict[str, int], list[str]]:
    """The job: every active source once. One source's trouble never stops the others."""
    ids = db.session.scalars(
        sa.select(CalendarSource.id)
        .where(CalendarSource.active.is_(True))
        .order_by(CalendarSource.id)
    ).all()
    counts: dict[str, int] = {}
    errors: list[str] = []
    for source_id in ids:
        source = db.session.get(CalendarSource, source_id)
        slug = source.society.slug
        try:
            report = sync_source(source, now)
        except Exception:  # a bug must not stop the other societies' syncs
            log.exception("calendar sync of %s failed", slug)
            db.session.rollback()
            errors.append(f"{slug}: unexpected error (see the log)")
            continue
        counts[report.outcome.value] = counts.get(report.outcome.value, 0) + 1
        if report.error:
            errors.append(f"{slug}: {report.error}")
        if report.paused:
            counts["paused"] = counts.get("paused", 0) + 1
    return counts, errors
