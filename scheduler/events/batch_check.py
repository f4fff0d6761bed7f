"""The conflict rules over many events at once (the approval queue's findings column): the
rows every event may collide with are loaded in a few queries for the whole batch and
shared out in memory with the same conditions ``conflicts.py`` puts in SQL for one event.

The findings equal ``check_event``'s, without suggestions (a list only counts them).
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from .. import rules
from ..enums import SLOT_HOLDING_STATUSES
from ..extensions import db
from ..holidays.service import holidays_for_range
from ..people.models import Person
from ..timeutil import local_day_range, local_zone
from ..types import utcnow
from .conflicts import (
    AUDIENCE_LOOKBACK,
    MAX_SCARCE_ROWS,
    SUGGESTION_WINDOW,
    _shown_title,
    proposal_for,
)
from .facts import (
    OCCURRENCE_COLUMNS,
    booking,
    event_tags,
    holiday_facts,
    rules_context,
    scarce_limits,
)
from .models import Event, Occurrence, event_speakers


@dataclass(frozen=True)
class _Row:
    """One slot-holding occurrence of some event, with what the rules compare."""

    event_id: int
    start_at: datetime
    end_at: datetime
    blocked_until: datetime
    venue_id: int | None
    host_id: int
    series_id: int | None
    city: str
    title: str


def check_events(events: list[Event], now: datetime | None = None) -> dict[int, list]:
    """Event id -> its findings (no suggestions), in a fixed number of queries."""
    now = now or utcnow()
    tz = local_zone()
    with db.session.no_autoflush:
        proposals = {}
        for event in events:
            p = proposal_for(event)
            if p.filed_at is None:
                p = rules.Proposal(**{**p.__dict__, "filed_at": now})
            if p.slots:
                proposals[event.id] = p
        shared = _Shared.load(events, list(proposals.values()), tz)
        out = {event.id: [] for event in events}
        for event in events:
            p = proposals.get(event.id)
            if p is not None:
                out[event.id] = rules.check(p, shared.context(event, p, now, tz))
        return out


def _padding(event: Event) -> timedelta:
    spacing = timedelta(days=event.series.min_spacing_days) if event.series else timedelta(0)
    return max(SUGGESTION_WINDOW, spacing)


def _bounds(p: rules.Proposal) -> tuple[datetime, datetime]:
    return min(s for s, _ in p.slots), max(e for _, e in p.slots)


class _Shared:
    """The rows of the whole batch; ``context`` picks each event's share."""

    def __init__(self, rows, speakers, audiences, series_rows, people, scarce_rows, years):
        self.rows, self.speakers, self.audiences = rows, speakers, audiences
        self.series_rows, self.people, self.scarce_rows = series_rows, people, scarce_rows
        self.years = years  # year -> its holidays (facts.holiday_facts, once a year)

    @classmethod
    def load(cls, events: list[Event], proposals: list[rules.Proposal], tz) -> "_Shared":
        if not proposals:
            return cls([], {}, {}, [], {}, [], {})
        rows = _booking_rows(events, proposals)
        speakers, audiences = event_tags({r.event_id for r in rows})
        speaker_ids = set().union(*(p.speaker_ids for p in proposals))
        people = {
            r.id: r
            for r in db.session.execute(
                sa.select(Person.id, Person.name, Person.scarce, Person.monthly_limit).where(
                    Person.id.in_(list(speaker_ids))
                )
            )
        } if speaker_ids else {}  # fmt: skip
        scarce = {i for i, r in people.items() if r.scarce and r.monthly_limit}
        return cls(
            rows, speakers, audiences, _series_rows(proposals, tz), people,
            _scarce_rows(proposals, scarce, tz), _holiday_years(proposals, tz),
        )  # fmt: skip

    def bookings(self, p: rules.Proposal, padding: timedelta) -> tuple[rules.Booking, ...]:
        """What ``conflicts.load_bookings`` would load for ``p``, from the shared rows."""
        first, last = _bounds(p)
        low, high = first - padding, last + padding
        out = []
        for r in self.rows:
            if r.event_id == p.event_id or not (r.start_at < high and r.blocked_until > low):
                continue
            wanted = (
                r.host_id == p.host_id
                or (p.venue_id is not None and r.venue_id == p.venue_id)
                or (p.series_id is not None and r.series_id == p.series_id)
                or bool(p.speaker_ids & self.speakers.get(r.event_id, set()))
                or (
                    bool(p.audiences and p.city)
                    and r.city == p.city
                    and r.start_at >= first - AUDIENCE_LOOKBACK
                    and r.start_at < last
                    and r.blocked_until > first
                )
            )
            if wanted:
                tags = self.speakers.get(r.event_id, ()), self.audiences.get(r.event_id, ())
                out.append(booking(r, *tags))
        return tuple(out)

    def year_counts(self, p: rules.Proposal, tz) -> tuple[dict, dict]:
        series_counts, host_counts = {}, {}
        if p.series_id is None:
            return series_counts, host_counts
        years = {s.astimezone(tz).year for s, _ in p.slots}
        for year in years:
            series_counts[year] = host_counts[year] = 0
        for series_id, host_id, start, event_id in self.series_rows:
            year = start.astimezone(tz).year
            if series_id == p.series_id and event_id != p.event_id and year in years:
                series_counts[year] += 1
                host_counts[year] += host_id == p.host_id
        return series_counts, host_counts

    def month_counts(self, p: rules.Proposal, limits: dict, tz) -> dict:
        if not limits:
            return {}
        first, last = _month_window(p, tz)
        counts: dict = {}
        for person_id, start, event_id in self.scarce_rows:
            if person_id in limits and event_id != p.event_id and first <= start < last:
                local = start.astimezone(tz)
                key = (person_id, local.year, local.month)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def context(self, event: Event, p: rules.Proposal, now: datetime, tz) -> rules.Context:
        speakers = [self.people[i] for i in p.speaker_ids if i in self.people]
        limits = scarce_limits(speakers)
        series_counts, host_counts = self.year_counts(p, tz)
        return rules_context(
            event,
            p,
            now,
            tz,
            speakers,
            holidays=holiday_facts(p, tz, lambda first, last: self.years),
            bookings=self.bookings(p, _padding(event)),
            series_year_counts=series_counts,
            host_year_counts=host_counts,
            scarce_limits=limits,
            speaker_month_counts=self.month_counts(p, limits, tz),
            suggestion_pool=0,
        )


def _booking_rows(events: list[Event], proposals: list[rules.Proposal]) -> list[_Row]:
    """Slot-holding occurrences in the batch's widest window that share a host, venue,
    series, speaker or city with one of its events (one query)."""
    padding = max(_padding(e) for e in events)
    low = min(_bounds(p)[0] for p in proposals) - padding
    high = max(_bounds(p)[1] for p in proposals) + padding
    shares = [Occurrence.host_id.in_({p.host_id for p in proposals})]
    if venues := {p.venue_id for p in proposals if p.venue_id is not None}:
        shares.append(Occurrence.venue_id.in_(venues))
    if series := {p.series_id for p in proposals if p.series_id is not None}:
        shares.append(Occurrence.series_id.in_(series))
    if speaker_ids := set().union(*(p.speaker_ids for p in proposals)):
        speaking = sa.select(event_speakers.c.event_id).where(
            event_speakers.c.person_id.in_(list(speaker_ids))
        )
        shares.append(Occurrence.event_id.in_(speaking))
    if cities := {p.city for p in proposals if p.audiences and p.city}:
        shares.append(Occurrence.city.in_(cities))
    result = db.session.execute(
        sa.select(*OCCURRENCE_COLUMNS, Occurrence.blocked_until, Event.status)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            sa.or_(*shares),
            Occurrence.start_at < high,
            Occurrence.blocked_until > low,
            Occurrence.holds_slot.is_(True),
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
        .order_by(Occurrence.start_at)
    )
    return [
        _Row(
            r.event_id,
            r.start_at,
            r.end_at,
            r.blocked_until,
            r.venue_id,
            r.host_id,
            r.series_id,
            r.city,
            _shown_title(r.title, r.status, r.host_id),
        )
        for r in result
    ]


def _holiday_years(proposals: list[rules.Proposal], tz) -> dict:
    days = [s.astimezone(tz).date() for p in proposals for s, _ in p.slots]
    return holidays_for_range(min(days), max(days))


def _year_window(proposals: list[rules.Proposal], tz) -> tuple[datetime, datetime]:
    years = {s.astimezone(tz).year for p in proposals for s, _ in p.slots}
    return local_day_range(date(min(years), 1, 1), date(max(years), 12, 31))


def _series_rows(proposals: list[rules.Proposal], tz) -> list[tuple]:
    """(series, host, start, event) of the batch's series' sessions in its years (1 query)."""
    series = {p.series_id for p in proposals if p.series_id is not None}
    if not series:
        return []
    start, end = _year_window(proposals, tz)
    return db.session.execute(
        sa.select(
            Occurrence.series_id, Occurrence.host_id, Occurrence.start_at, Occurrence.event_id
        )
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.series_id.in_(series),
            Occurrence.start_at >= start,
            Occurrence.start_at < end,
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
    ).all()


def _month_window(p: rules.Proposal, tz) -> tuple[datetime, datetime]:
    """The local months the proposal touches, as UTC bounds (``_speaker_month_counts``)."""
    first = min(s for s, _ in p.slots).astimezone(tz).date().replace(day=1)
    last = max(s for s, _ in p.slots).astimezone(tz).date()
    return local_day_range(first, last.replace(day=calendar.monthrange(last.year, last.month)[1]))


def _scarce_rows(proposals: list[rules.Proposal], scarce: set[int], tz) -> list[tuple]:
    """(person, start, event) of the scarce experts' other talks in the batch's months."""
    wanted = [p for p in proposals if p.speaker_ids & scarce]
    if not wanted:
        return []
    windows = [_month_window(p, tz) for p in wanted]
    return db.session.execute(
        sa.select(event_speakers.c.person_id, Occurrence.start_at, Occurrence.event_id)
        .join(Occurrence, Occurrence.event_id == event_speakers.c.event_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            event_speakers.c.person_id.in_(list(scarce)),
            Occurrence.start_at >= min(w[0] for w in windows),
            Occurrence.start_at < max(w[1] for w in windows),
            Occurrence.holds_slot.is_(True),
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
        .limit(MAX_SCARCE_ROWS * len(wanted))
    ).all()
