"""The shell around the conflict rules: load the few rows an event can collide with,
run the pure rules, and turn findings into JSON.

Each look-up is one query on one index (venue, host, series, speakers, city), so the
number of queries per check does not grow with the number of events.
"""

import calendar
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext
from flask_login import current_user

from .. import rules
from ..enums import PUBLIC_STATUSES, SLOT_HOLDING_STATUSES
from ..extensions import db
from ..holidays.service import holidays_for_range
from ..people.models import Person
from ..recurrence import expand
from ..rules.clearing import POOL, clearing_suggestions
from ..timeutil import event_zone, local_day_range, local_zone, to_local
from ..types import utcnow
from ..venues.models import Venue
from .facts import (
    OCCURRENCE_COLUMNS,
    booking,
    event_tags,
    holiday_facts,
    rules_context,
    scarce_limits,
)
from .models import Event, Occurrence, event_speakers

SUGGESTION_WINDOW = timedelta(days=14)
AUDIENCE_LOOKBACK = timedelta(days=2)


def proposal_for(event: Event) -> rules.Proposal:
    """The event as plain values, with every occurrence it would have."""
    slots = expand(
        event.start_at,
        event.end_at,
        event.rrule,
        event.exdates,
        event_zone(event),
        all_day=event.all_day,
        max_count=current_app.config["RECURRENCE_MAX_OCCURRENCES"],
        overrides=event.overrides,
        rdates=event.rdates,
    )
    venue = event.venue
    city = (venue.city if venue is not None and not venue.is_online else "") or event.host.city
    return rules.Proposal(
        event_id=event.id,
        title=event.title,
        kind=event.kind.value,
        host_id=event.host.id,
        venue_id=venue.id if venue is not None and not venue.is_online else None,
        series_id=event.series.id if event.series else None,
        campaign_id=event.campaign.id if event.campaign else None,
        speaker_ids=frozenset(p.id for p in event.speakers),
        audiences=frozenset(a.value for a in event.audiences),
        city=city,
        expected_attendance=event.expected_attendance or 0,
        is_major=bool(event.is_major),
        all_day=bool(event.all_day),
        slots=tuple((s.start, s.end) for s in slots),
        filed_at=event.submitted_at,
    )


def _occurrence_rows(where, window_start, window_end, exclude_id):
    """Slot-holding occurrences of other events matching ``where`` inside the window."""
    return sa.select(Occurrence.id).where(
        where,
        Occurrence.start_at < window_end,
        Occurrence.blocked_until > window_start,
        Occurrence.holds_slot.is_(True),
        Occurrence.cancelled.is_(False),
        Occurrence.event_id != (exclude_id or 0),
    )


def load_bookings(p: rules.Proposal, padding: timedelta) -> list[rules.Booking]:
    """Other events' occurrences that may collide with the proposal (4 queries at most)."""
    if not p.slots:
        return []
    first, last = min(s for s, _ in p.slots), max(e for _, e in p.slots)
    wide = (first - padding, last + padding)
    parts = [_occurrence_rows(Occurrence.host_id == p.host_id, *wide, p.event_id)]
    if p.venue_id is not None:
        parts.append(_occurrence_rows(Occurrence.venue_id == p.venue_id, *wide, p.event_id))
    if p.series_id is not None:
        parts.append(_occurrence_rows(Occurrence.series_id == p.series_id, *wide, p.event_id))
    if p.speaker_ids:
        speaking = sa.select(event_speakers.c.event_id).where(
            event_speakers.c.person_id.in_(p.speaker_ids)
        )
        parts.append(_occurrence_rows(Occurrence.event_id.in_(speaking), *wide, p.event_id))
    if p.audiences and p.city:
        # A city holds many events: bound the index range from below too. Events that
        # started more than AUDIENCE_LOOKBACK earlier are not compared (a warning only).
        in_city = sa.and_(
            Occurrence.city == p.city, Occurrence.start_at >= first - AUDIENCE_LOOKBACK
        )
        parts.append(_occurrence_rows(in_city, first, last, p.event_id))
    ids = sa.union(*parts).subquery()
    rows = db.session.execute(
        sa.select(*OCCURRENCE_COLUMNS, Event.status)
        .join(Event, Event.id == Occurrence.event_id)
        .where(Occurrence.id.in_(sa.select(ids.c.id)), Event.status.in_(SLOT_HOLDING_STATUSES))
        .order_by(Occurrence.start_at)
    ).all()
    speakers, audiences = event_tags({r.event_id for r in rows})
    return [
        booking(
            r,
            speakers.get(r.event_id, ()),
            audiences.get(r.event_id, ()),
            title=_shown_title(r.title, r.status, r.host_id),
        )
        for r in rows
    ]


def _shown_title(title: str, status, host_id: int) -> str:
    """Whoever checks learns that another society's filing awaiting approval takes the
    slot, not what it is; its host's editors, organizers and jobs see the title."""
    if status in PUBLIC_STATUSES or not has_request_context():
        return title
    if current_user.is_authenticated and (
        current_user.is_organizer or current_user.society_id == host_id
    ):
        return title
    return gettext("an event of another society awaiting approval")


def _year_counts(p: rules.Proposal, tz) -> tuple[dict, dict]:
    """Sessions of the proposal's series per year, all hosts and its host (one query a year)."""
    series_counts, host_counts = {}, {}
    if p.series_id is None:
        return series_counts, host_counts
    years = sorted({s.astimezone(tz).year for s, _ in p.slots})
    for year in years:
        start, end = local_day_range(datetime(year, 1, 1).date(), datetime(year, 12, 31).date())
        total, mine = db.session.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(
                    sa.func.sum(sa.case((Occurrence.host_id == p.host_id, 1), else_=0)), 0
                ),
            )
            .join(Event, Event.id == Occurrence.event_id)
            .where(
                Occurrence.series_id == p.series_id,
                Occurrence.start_at >= start,
                Occurrence.start_at < end,
                Occurrence.cancelled.is_(False),
                Event.status.in_(SLOT_HOLDING_STATUSES),
                Occurrence.event_id != (p.event_id or 0),
            )
        ).one()
        series_counts[year], host_counts[year] = total, mine
    return series_counts, host_counts


def _other_venues(p: rules.Proposal, event: Event) -> tuple[tuple, dict]:
    """Venues in the same city big enough for the event, and their busy spans (1 query)."""
    if not p.city or not p.slots or event.venue is None or event.venue.is_online:
        return (), {}
    candidates = (
        sa.select(
            Venue.id,
            Venue.name,
            Venue.city,
            Venue.capacity,
            Venue.buffer_minutes,
            Venue.is_online,
        )
        .where(
            Venue.city == p.city,
            Venue.is_online.is_(False),
            Venue.active.is_(True),
            Venue.capacity >= max(p.expected_attendance, 1),
            Venue.id != event.venue.id,
        )
        .order_by(Venue.capacity, Venue.id)
        .limit(10)
        .subquery("candidates")
    )
    # Every occurrence must fit there: a suggested venue is checked for all of them.
    first, last = min(s for s, _ in p.slots), max(e for _, e in p.slots)
    booked = sa.and_(
        Occurrence.venue_id == candidates.c.id,
        Occurrence.start_at < last + timedelta(days=1),
        Occurrence.blocked_until > first - timedelta(days=1),
        Occurrence.holds_slot.is_(True),
        Occurrence.cancelled.is_(False),
        Occurrence.event_id != (p.event_id or 0),
    )
    rows = db.session.execute(
        sa.select(candidates, Occurrence.start_at, Occurrence.end_at)
        .outerjoin(Occurrence, booked)
        .order_by(candidates.c.capacity, candidates.c.id)
    ).all()
    facts: dict[int, rules.VenueFacts] = {}
    busy: dict[int, list] = {}
    for row in rows:
        facts.setdefault(row.id, rules.VenueFacts(*row[:6]))
        if row.start_at is not None:
            busy.setdefault(row.id, []).append((row.start_at, row.end_at))
    return tuple(facts.values()), busy


def build_context(event: Event, p: rules.Proposal, now: datetime) -> rules.Context:
    tz = local_zone()
    series = event.series
    spacing = timedelta(days=series.min_spacing_days) if series else timedelta(0)
    series_counts, host_counts = _year_counts(p, tz)
    other_venues, other_busy = _other_venues(p, event)
    speakers = (
        db.session.execute(
            sa.select(Person.id, Person.name, Person.scarce, Person.monthly_limit).where(
                Person.id.in_(p.speaker_ids)
            )
        ).all()
        if p.speaker_ids
        else []
    )
    limits = scarce_limits(speakers)
    return rules_context(
        event,
        p,
        now,
        tz,
        speakers,
        holidays=holiday_facts(p, tz, holidays_for_range),
        bookings=tuple(load_bookings(p, max(SUGGESTION_WINDOW, spacing))),
        series_year_counts=series_counts,
        host_year_counts=host_counts,
        other_venues=other_venues,
        other_venue_busy=other_busy,
        scarce_limits=limits,
        speaker_month_counts=_speaker_month_counts(p, limits, tz),
    )


MAX_SCARCE_ROWS = 10_000


def _speaker_month_counts(p: rules.Proposal, people: dict, tz) -> dict:
    """(person id, year, month) -> slot-holding occurrences of other events the scarce
    experts speak at, in the local months the proposal touches (one query, none if no
    scarce expert speaks)."""
    if not people or not p.slots:
        return {}
    first = min(s for s, _ in p.slots).astimezone(tz).date().replace(day=1)
    last = max(s for s, _ in p.slots).astimezone(tz).date()
    start, end = local_day_range(
        first, last.replace(day=calendar.monthrange(last.year, last.month)[1])
    )
    rows = db.session.execute(
        sa.select(event_speakers.c.person_id, Occurrence.start_at)
        .join(Occurrence, Occurrence.event_id == event_speakers.c.event_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            event_speakers.c.person_id.in_(list(people)),
            Occurrence.start_at >= start,
            Occurrence.start_at < end,
            Occurrence.holds_slot.is_(True),
            Occurrence.cancelled.is_(False),
            Occurrence.event_id != (p.event_id or 0),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
        .limit(MAX_SCARCE_ROWS)
    ).all()
    counts: dict = {}
    for person_id, at in rows:
        local = at.astimezone(tz)
        key = (person_id, local.year, local.month)
        counts[key] = counts.get(key, 0) + 1
    return counts


def check_event(event: Event, now: datetime | None = None) -> list[rules.Finding]:
    """All findings for an event (saved or not), in the current user's language; each
    suggestion offered clears every error (checked in memory with the same context)."""
    now = now or utcnow()
    with db.session.no_autoflush:
        p = proposal_for(event)
        if p.filed_at is None:
            p = rules.Proposal(**{**p.__dict__, "filed_at": now})
        ctx = replace(build_context(event, p, now), suggestion_pool=POOL)
        return clearing_suggestions(p, ctx, rules.check(p, ctx))


def _iso(value: datetime, tz=None) -> str:
    return to_local(value, tz).isoformat()


def finding_to_json(f: rules.Finding, tz=None) -> dict:
    """``tz``: the zone to write times in (an event's own zone, whose wall time a form
    fills in from a suggestion); the association's by default."""
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "occurrence_start": _iso(f.occurrence_start) if f.occurrence_start else None,
        "conflicts_with": {
            "id": f.conflicts_with.event_id,
            "title": f.conflicts_with.title,
            "start": _iso(f.conflicts_with.start, tz),
            "end": _iso(f.conflicts_with.end, tz),
        }
        if f.conflicts_with
        else None,
        "suggestions": [
            {
                "start": _iso(s.start, tz),
                "end": _iso(s.end, tz),
                "venue": {"id": s.venue_id, "name": s.venue_name} if s.venue_id else None,
            }
            for s in f.suggestions
        ],
    }
