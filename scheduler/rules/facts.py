"""The directory as plain facts, one set for the whole pure core: the conflict rules read
them in ``Context`` and the planner (``planner/core``) plans over them.

The database shell builds them in one place (``events/facts.py``). Fields only the planner
reads (a venue's busy spans, a series' sessions to plan) have neutral defaults, so a check
of one event needs none of them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

Span = tuple[datetime, datetime]  # aware UTC [start, end)


@dataclass(frozen=True)
class VenueFacts:
    id: int
    name: str
    city: str = ""
    capacity: int = 0
    buffer_minutes: int = 0
    is_online: bool = False
    busy: tuple[Span, ...] = ()  # planner: occurrences holding the venue (without the buffer)
    closures: tuple[tuple[date, date], ...] = ()  # planner: closed local days, inclusive

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


@dataclass(frozen=True)
class CampaignFacts:
    id: int
    name: str
    start_date: date  # first local day
    end_date: date  # last local day, inclusive
    launch_at: datetime | None = None
    # Event kinds the campaign contains (empty: any) and their names in the user's language
    # (words for a message, left out of equality so the planner can key caches on the facts).
    event_kinds: frozenset = frozenset()
    kind_names: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SeriesFacts:
    """A series: what the rules check an event of it against, and (the fields after
    ``avoid_holidays``) what the planner needs to plan its sessions of a year."""

    id: int
    name: str
    target_max: int = 0
    max_per_host: int | None = 1  # None: one fixed host takes every session (no maximum)
    min_spacing_days: int = 0
    avoid_holidays: bool = True
    slug: str = ""
    kind: str = ""
    sessions: int = 0  # how many to plan
    duration_minutes: int = 0
    slots: tuple[time, ...] = ()  # local start times
    weekdays: frozenset = frozenset()  # allowed weekdays, 0=Monday (empty: any)
    preferred_months: frozenset = frozenset()
    expected_attendance: int = 0
    avoid_weekends: bool = False
    target_min: int = 0
    default_venue_id: int | None = None
    city: str = ""  # sessions must be in this city (empty: anywhere)
    campaign: CampaignFacts | None = None  # sessions must fall inside it
    at_launch: bool = False  # the session is the campaign's unified launch
    avoid_campaigns: tuple[CampaignFacts, ...] = ()
    existing: tuple[Span, ...] = ()  # sessions already on the calendar (not re-planned)
    host_counts: dict = field(default_factory=dict)  # host id -> sessions this year already
    hosted_last_year: frozenset = frozenset()
    fixed_host: bool = False  # one host takes every session: no rotation goals apply


@dataclass(frozen=True)
class HolidayFacts:
    days_off: dict = field(default_factory=dict)  # date -> name (statutory holidays)
    workdays: dict = field(default_factory=dict)  # date -> name (make-up working days)
    provisional_years: frozenset = frozenset()
