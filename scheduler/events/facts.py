"""Directory rows as the core's plain facts (``rules/facts.py``): the one place the conflict
check (``conflicts.py``) and the planner's loader (``planner/load.py``) turn a venue, a
series or a campaign into values the rules and the solver read."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from .. import rules
from ..bounded import values_in
from ..campaigns.models import Campaign
from ..enums import EventKind
from ..extensions import db
from ..rules.facts import CampaignFacts, SeriesFacts, VenueFacts
from ..rules.policy import policy_for
from ..series.models import HostMode, Series
from ..venues.models import Venue
from .models import Event, EventAudience, Occurrence, event_speakers

# What the rules compare of another event's occurrence; ``booking`` turns such a row (with the
# event's speakers and audience tags, ``event_tags``) into the rules' Booking.
OCCURRENCE_COLUMNS = (
    Occurrence.event_id,
    Occurrence.start_at,
    Occurrence.end_at,
    Occurrence.venue_id,
    Occurrence.host_id,
    Occurrence.series_id,
    Occurrence.city,
    Event.title,
)


def booking(row, speakers=(), audiences=(), title: str | None = None) -> rules.Booking:
    """An occurrence row (``OCCURRENCE_COLUMNS``) as the rules' Booking; ``title`` replaces
    the event's own when the caller may not show it."""
    return rules.Booking(
        event_id=row.event_id,
        title=row.title if title is None else title,
        start=row.start_at,
        end=row.end_at,
        host_id=row.host_id,
        venue_id=row.venue_id,
        series_id=row.series_id,
        city=row.city,
        speaker_ids=frozenset(speakers),
        audiences=frozenset(audiences),
    )


def event_tags(event_ids: set[int]) -> tuple[dict[int, set], dict[int, set]]:
    """Speakers and audience tags of these events in one round trip, the ids as one
    parameter: ({event_id: {person_id}}, {event_id: {audience}})."""
    speakers: dict[int, set] = {}
    audiences: dict[int, set] = {}
    if not event_ids:
        return speakers, audiences
    tags = sa.union_all(
        sa.select(
            event_speakers.c.event_id,
            event_speakers.c.person_id,
            sa.cast(sa.null(), sa.String).label("audience"),
        ).where(values_in(event_speakers.c.event_id, event_ids)),
        sa.select(
            EventAudience.event_id,
            sa.cast(sa.null(), sa.Integer),
            sa.cast(EventAudience.audience, sa.String),
        ).where(values_in(EventAudience.event_id, event_ids)),
    ).subquery("tags")
    for event_id, person_id, audience in db.session.execute(sa.select(tags)):
        if person_id is not None:
            speakers.setdefault(event_id, set()).add(person_id)
        else:
            audiences.setdefault(event_id, set()).add(audience)
    return speakers, audiences


def venue_facts(v: Venue, **planning) -> VenueFacts:
    """``planning``: the planner's busy spans and closures of the venue."""
    return VenueFacts(
        id=v.id,
        name=v.name,
        city=v.city,
        capacity=v.capacity,
        buffer_minutes=v.buffer_minutes,
        is_online=v.is_online,
        **planning,
    )


def host_maximum(series: Series, host_id: int) -> int | None:
    """The series' maximum per host, none for its fixed host (it takes every session)."""
    if series.host_mode == HostMode.FIXED and series.fixed_host_id == host_id:
        return None
    return series.max_per_host


def series_facts(s: Series, **planning) -> SeriesFacts:
    """The series row's facts; ``planning``: what the planner works out for the year (its
    sessions, slots, campaign, ...) and the maximum per host that applies."""
    row = {
        "id": s.id,
        "name": s.name,
        "target_max": s.target_max,
        "max_per_host": s.max_per_host,
        "min_spacing_days": s.min_spacing_days,
        "avoid_holidays": s.avoid_holidays,
        "slug": s.slug,
        "kind": s.kind.value,
        "duration_minutes": s.duration_minutes,
        "expected_attendance": s.expected_attendance,
        "avoid_weekends": s.avoid_weekends,
        "target_min": s.target_min,
        "default_venue_id": s.default_venue_id,
    }
    return SeriesFacts(**{**row, **planning})


def kind_names(kinds, own: str) -> dict:
    """Event kind value -> its name in the user's language (for the campaign kind rule)."""
    wanted = {*(kinds or ()), own}
    return {k.value: str(k.label) for k in EventKind if k.value in wanted}


def campaign_facts(c: Campaign, kind: str | None = None) -> CampaignFacts:
    """``kind``: the checked event's kind, to name it and the campaign's kinds in a finding
    (the planner plans series of the campaign's own kinds and leaves them out)."""
    return CampaignFacts(
        id=c.id,
        name=c.name,
        start_date=c.start_date,
        end_date=c.end_date,
        launch_at=c.launch_at,
        event_kinds=frozenset(c.event_kinds or ()) if kind is not None else frozenset(),
        kind_names=kind_names(c.event_kinds, kind) if kind is not None else {},
    )


def scarce_limits(speakers) -> dict:
    """Monthly limits of the scarce speakers among ``speakers`` (rows with id, scarce and
    monthly_limit)."""
    return {s.id: s.monthly_limit for s in speakers if s.scarce and s.monthly_limit}


def holiday_facts(p: rules.Proposal, tz, years_between) -> rules.HolidayFacts:
    """The holidays of the proposal's dates; ``years_between(first, last)`` gives each year
    of those days its YearHolidays (holidays.service.holidays_for_range, or a page's own)."""
    if not p.slots:
        return rules.HolidayFacts()
    first = min(s for s, _ in p.slots).astimezone(tz).date()
    last = max(s for s, _ in p.slots).astimezone(tz).date()
    years = years_between(first, last)
    days_off, workdays, provisional = {}, {}, set()
    for year in range(first.year, last.year + 1):
        facts = years[year]
        days_off.update({d: n for d, n in facts.days_off.items() if facts.is_holiday(d)})
        workdays.update(facts.workdays)
        if not facts.official:
            provisional.add(year)
    return rules.HolidayFacts(days_off, workdays, frozenset(provisional))


def rules_context(
    event: Event, p: rules.Proposal, now: datetime, tz, speakers, **loaded
) -> rules.Context:
    """The one builder of the rules' context for an event's proposal: the facts read from
    the event here, what the caller loaded its own way (bookings, holidays, counts, one
    event or a page of them: conflicts.py, batch_check.py) in ``loaded``."""
    series, campaign = event.series, event.campaign
    return rules.Context(
        tz=tz,
        now=now,
        policy=policy_for(p.kind),
        venue=venue_facts(event.venue) if event.venue is not None else None,
        series=series_facts(series, max_per_host=host_maximum(series, p.host_id))
        if series
        else None,
        campaign=campaign_facts(campaign, p.kind) if campaign else None,
        speaker_names={s.id: s.name for s in speakers},
        lead_days=current_app.config["FILING_LEAD_DAYS"],
        translate=gettext,
        **loaded,
    )
