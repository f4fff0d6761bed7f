"""Feeds: what is in scope, the version that invalidates caches, and the cached build.

A request costs no query when the client already has the current version (304) or the
feed is cached, and two when it has to be built: the events in scope, and the full rows of
events whose serialized VEVENT is not cached yet (cached by id, SEQUENCE and last change).
The version itself comes from feeds.version (a stamp file, or one query).

A feed holds at most FEED_MAX_EVENTS events (a nation's whole calendar would be a 50 MB file
that takes minutes to build): past that, the upcoming events first, then the latest past
ones, and the calendar's description says so and points to the scoped feeds.
"""

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..bounded import values_in
from ..enums import PUBLIC_STATUSES, Audience, EventKind, EventStatus
from ..events.models import Event, Occurrence
from ..events.queries import EventFilters
from ..extensions import db
from ..timeutil import local_zone
from ..types import utcnow
from ..urls import absolute_url
from .build import FeedMeta, Labels, calendar_bytes, vevent_bytes
from .version import Version, directory_token

PUBLISHED = PUBLIC_STATUSES  # approved and completed; cancelled ones stay, marked
PENDING = (EventStatus.SUBMITTED, EventStatus.CHANGES_REQUESTED)


class LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


FEEDS = LRU(256)
FRAGMENTS = LRU(50_000)
# Events loaded and serialized per statement while a feed is built (bounds its memory).
FRAGMENT_CHUNK = 1_000


@dataclass(frozen=True)
class FeedScope:
    key: tuple  # (feed path, parsed filters or token id): identifies the scope in caches
    name: str  # may be a lazy string: translated only when the feed is built
    description: str
    filters: EventFilters = field(default_factory=EventFilters)
    statuses: tuple = PUBLISHED
    color: str | None = None


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    gzipped: bytes
    last_modified: datetime
    truncated: bool = False  # FEED_MAX_EVENTS reached: more events are in scope


def etag_for(scope: FeedScope, version: Version, locale: str, encoding: str) -> str:
    # The day is part of the key: the window ("one year ago") moves even when nothing changes.
    today = utcnow().date().isoformat()
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    raw = repr((database, scope.key, version.token, locale, today, encoding))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _labels() -> Labels:
    return Labels(
        host=_("Host"),
        cohosts=_("Co-hosts"),
        speakers=_("Speakers"),
        more=_("Details"),
        kinds={k.value: str(k.label) for k in EventKind},
        audiences={a.value: str(a.label) for a in Audience},
    )


def _scope_condition(scope: FeedScope):
    since = utcnow() - timedelta(days=current_app.config["FEED_PAST_DAYS"])
    # Correlated, so a narrow scope probes its own events' occurrences instead of hashing
    # every occurrence in the window.
    in_window = sa.exists().where(Occurrence.event_id == Event.id, Occurrence.end_at >= since)
    return sa.and_(
        Event.status.in_(scope.statuses),
        in_window,
        *scope.filters.event_conditions(),
    )


def build_feed(scope: FeedScope, locale: str, version: Version) -> BuiltFeed:
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    key = (database, scope.key, version, locale, utcnow().date())
    cached = FEEDS.get(key)
    if cached is not None:
        return cached
    rows, truncated = _feed_rows(scope)
    directory = directory_token()  # a renamed venue or host rebuilds the fragments
    fragment_keys = {r.id: (r.id, r.sequence, r.updated_at, locale, directory) for r in rows}
    fragments = {r.id: FRAGMENTS.get(fragment_keys[r.id]) for r in rows}
    missing = [event_id for event_id, fragment in fragments.items() if fragment is None]
    for chunk in range(0, len(missing), FRAGMENT_CHUNK):
        for event_id, fragment in _serialize(missing[chunk : chunk + FRAGMENT_CHUNK]):
            FRAGMENTS.put(fragment_keys[event_id], fragment)
            fragments[event_id] = fragment
    description = str(scope.description)
    if truncated:
        description += " " + _(
            "This feed holds only %(max)s events, the upcoming ones first: subscribe to the "
            "feed of a society, series, venue, city or kind for all of theirs (%(url)s).",
            max=current_app.config["FEED_MAX_EVENTS"],
            url=absolute_url("public.calendar"),
        )
    meta = FeedMeta(str(scope.name), description, current_app.config["TIMEZONE"], scope.color)
    ordered = [fragments[r.id] for r in rows]
    # RFC 5545 wants one component at least: an empty feed carries its VTIMEZONE.
    timed = not rows or any(not r.all_day for r in rows)
    zones = {r.timezone for r in rows if r.timezone and not r.all_day}  # events' own zones
    body = calendar_bytes(meta, ordered, needs_timezone=timed, other_zones=zones)
    built = BuiltFeed(body, gzip.compress(body, 6), version.last_change, truncated)
    FEEDS.put(key, built)
    return built


def _feed_rows(scope: FeedScope) -> tuple[list, bool]:
    """The events of the feed by start (id, SEQUENCE, last change, all-day, zone) and whether
    FEED_MAX_EVENTS cut some: then the upcoming ones first, the latest past ones after."""
    cap = current_app.config["FEED_MAX_EVENTS"]
    stmt = sa.select(
        Event.id, Event.sequence, Event.updated_at, Event.all_day, Event.timezone, Event.start_at
    ).where(_scope_condition(scope))
    rows = db.session.execute(stmt.order_by(Event.start_at, Event.id).limit(cap + 1)).all()
    if len(rows) <= cap:
        return rows, False
    upcoming = sa.exists().where(Occurrence.event_id == Event.id, Occurrence.end_at >= utcnow())
    rows = db.session.execute(
        stmt.where(upcoming).order_by(Event.start_at, Event.id).limit(cap)
    ).all()
    if len(rows) < cap:
        latest_past = stmt.where(~upcoming).order_by(Event.start_at.desc(), Event.id.desc())
        rows += db.session.execute(latest_past.limit(cap - len(rows))).all()
        rows.sort(key=lambda r: (r.start_at, r.id))
    return rows, True


def _serialize(ids: list[int]):
    """(id, VEVENT bytes) of these events, loaded in one query (the ids as one parameter)."""
    tz, labels, uid_host = local_zone(), _labels(), current_app.config["EVENT_UID_HOST"]
    events = db.session.scalars(
        sa.select(Event)
        .where(values_in(Event.id, ids))
        .options(
            joinedload(Event.host),
            joinedload(Event.series),
            joinedload(Event.venue),
            joinedload(Event.cohosts),
            joinedload(Event.speakers),
            joinedload(Event.audience_rows),
        )
    ).unique()
    for event in events:
        url = absolute_url("public.event_page", event_id=event.id)
        uid = event.imported_uid or f"event-{event.id}@{uid_host}"
        yield event.id, vevent_bytes(event, tz, labels, url, uid)
