"""Finding events by text: the condition every list, feed and the API share
(``events.queries.EventFilters.text``), and the search page's paged, grouped results.

A query is split into terms on whitespace; an event matches when its document holds every
term (case-insensitive). SQLite looks terms of three or more characters up in its FTS5
trigram index and scans with LIKE for shorter ones ("科普"); PostgreSQL uses ILIKE, which
its pg_trgm GIN index serves (from three characters on, too).
"""

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..bounded import values_in
from ..enums import PUBLIC_STATUSES, EventStatus
from ..errors import BadInput
from ..events.models import Event, Occurrence
from ..extensions import db
from ..societies.models import Society
from ..venues.models import Venue
from .index import FIELDS, LINE, VALUE
from .models import FTS_TABLE, EventSearch

MAX_QUERY_LENGTH = 100
# A trigram index finds terms of at least this many characters; shorter ones are scanned.
INDEXED_LENGTH = 3
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def split_terms(text: str) -> list[str]:
    """The distinct terms of a query (control characters dropped), or BadInput when the
    query is longer than MAX_QUERY_LENGTH (which also bounds the number of terms)."""
    text = _CONTROL.sub(" ", text or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadInput(
            _("The search text may have at most %(max)s characters.", max=MAX_QUERY_LENGTH),
            field="q",
        )
    return list(dict.fromkeys(term.casefold() for term in text.split()))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching_event_ids(terms: list[str]) -> sa.Select:
    """SELECT of the ids of events whose document holds every term."""
    stmt = sa.select(EventSearch.event_id)
    if db.session.get_bind().dialect.name == "postgresql":
        return stmt.where(
            *(EventSearch.document.ilike(_like_pattern(t), escape="\\") for t in terms)
        )
    indexed = [t for t in terms if len(t) >= INDEXED_LENGTH]
    if indexed:
        # Each term as an FTS5 phrase ("" escapes a quote): a phrase of trigrams is a substring.
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        found = (
            sa.select(sa.literal_column("rowid"))
            .select_from(sa.table(FTS_TABLE))
            .where(sa.literal_column(FTS_TABLE).op("MATCH")(sa.bindparam(None, phrases)))
        )
        stmt = stmt.where(EventSearch.event_id.in_(found))
    # LIKE with ESCAPE is a plain scan of the documents; SQLite 3.40's trigram LIKE misses
    # two-character Chinese terms, so short terms never go through the FTS table.
    short = [t for t in terms if len(t) < INDEXED_LENGTH]
    return stmt.where(*(EventSearch.document.like(_like_pattern(t), escape="\\") for t in short))


def text_condition(text: str) -> sa.ColumnElement[bool]:
    """WHERE clause over Event: its document holds every term of ``text``."""
    terms = split_terms(text)
    if not terms:
        return sa.true()
    return Event.id.in_(matching_event_ids(terms))


@dataclass(frozen=True)
class Match:
    """Where a term was found: a field of FIELDS and the value holding it."""

    field: str
    value: str


@dataclass(frozen=True)
class Hit:
    event_id: int
    title: str
    status: EventStatus
    all_day: bool
    host: str
    venue: str
    city: str
    when: datetime  # the next start for an upcoming event, else the last start
    upcoming: bool
    matches: list[Match]


def explain(document: str, terms: list[str]) -> list[Match]:
    """For each term, the first field (in FIELDS order, title excepted: the page marks it
    there) whose value holds it; each (field, value) once."""
    lines = (document or "").split(LINE)
    values = [
        (name, value.strip())
        for name, line in zip(FIELDS, lines, strict=False)
        for value in line.split(VALUE)
        if value.strip()
    ]
    found: list[Match] = []
    for term in terms:
        for name, value in values:
            if term in value.casefold():
                match = Match(name, value)
                if name != "title" and match not in found:
                    found.append(match)
                break
    return found


def search_public(
    terms: list[str],
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    page: int,
    per_page: int,
) -> tuple[list[Hit], int]:
    """One page of published events matching every term with an occurrence in [start, end):
    the upcoming first (soonest first), then the past (latest first), and the total. Two
    statements whatever the number of results (three past the last page)."""
    coming = Occurrence.end_at > now
    held = sa.and_(coming, Occurrence.cancelled.is_(False))
    # The next date that is held; for a cancelled event, its next cancelled date.
    next_start = sa.func.coalesce(
        sa.func.min(sa.case((held, Occurrence.start_at))),
        sa.func.min(sa.case((coming, Occurrence.start_at))),
    )
    grouped = (
        sa.select(
            Occurrence.event_id,
            next_start.label("next_start"),
            sa.func.max(Occurrence.start_at).label("last_start"),
        )
        .join(Event, Event.id == Occurrence.event_id)
        .where(Event.status.in_(PUBLIC_STATUSES), Event.id.in_(matching_event_ids(terms)))
        .group_by(Occurrence.event_id)
    )
    if start is not None:
        grouped = grouped.where(Occurrence.end_at > start)
    if end is not None:
        grouped = grouped.where(Occurrence.start_at < end)
    grouped = grouped.subquery("grouped")
    rows = db.session.execute(
        sa.select(grouped, sa.func.count().over().label("total"))
        .order_by(
            grouped.c.next_start.is_(None),
            grouped.c.next_start,
            grouped.c.last_start.desc(),
            grouped.c.event_id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if not rows:
        total = 0
        if page > 1:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(grouped))
        return [], total
    return _hits(rows, terms), int(rows[0].total)


def _hits(rows, terms: list[str]) -> list[Hit]:
    """The names and documents of one page of results (one statement)."""
    shown = db.session.execute(
        sa.select(
            Event.id,
            Event.title,
            Event.status,
            Event.all_day,
            sa.func.coalesce(sa.func.nullif(Society.short_name, ""), Society.name).label("host"),
            Venue.name.label("venue"),
            Venue.city.label("city"),
            EventSearch.document,
        )
        .join(Society, Society.id == Event.host_id)
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .outerjoin(EventSearch, EventSearch.event_id == Event.id)
        .where(values_in(Event.id, [r.event_id for r in rows]))
    ).all()
    by_id = {row.id: row for row in shown}
    hits = []
    for row in rows:
        event = by_id[row.event_id]
        upcoming = row.next_start is not None
        hits.append(
            Hit(
                event_id=event.id,
                title=event.title,
                status=event.status,
                all_day=event.all_day,
                host=event.host,
                venue=event.venue or "",
                city=event.city or "",
                when=row.next_start if upcoming else row.last_start,
                upcoming=upcoming,
                matches=explain(event.document, terms),
            )
        )
    return hits
