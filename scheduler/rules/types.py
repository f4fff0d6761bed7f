"""The plain values the rules take and return."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .policy import KindPolicy

Span = tuple[datetime, datetime]  # aware UTC [start, end)


@dataclass(frozen=True)
class VenueFacts:
    id: int
    name: str
    city: str = ""
    capacity: int = 0
    buffer_minutes: int = 0
    is_online: bool = False

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


@dataclass(frozen=True)
class SeriesFacts:
    id: int
    name: str
    target_max: int = 0
    max_per_host: int | None = 1  # None: one fixed host takes every session (no maximum)
    min_spacing_days: int = 0
    avoid_holidays: bool = True


@dataclass(frozen=True)
class CampaignFacts:
    id: int
    name: str
    start_date: date
    end_date: date
    launch_at: datetime | None = None
    # Event kinds the campaign contains (empty: any) and their names in the user's language.
    event_kinds: frozenset = frozenset()
    kind_names: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HolidayFacts:
    days_off: dict = field(default_factory=dict)  # date -> name (statutory holidays)
    workdays: dict = field(default_factory=dict)  # date -> name (make-up working days)
    provisional_years: frozenset = frozenset()


@dataclass(frozen=True)
class Booking:
    """One occurrence of another event that holds its resources (submitted or approved)."""

    event_id: int
    title: str
    start: datetime
    end: datetime
    host_id: int
    venue_id: int | None = None
    speaker_ids: frozenset = frozenset()
    audiences: frozenset = frozenset()
    city: str = ""
    series_id: int | None = None


@dataclass(frozen=True)
class Proposal:
    """The event being checked, with every occurrence it would have."""

    title: str
    kind: str
    host_id: int
    slots: tuple[Span, ...]
    event_id: int | None = None
    venue_id: int | None = None
    series_id: int | None = None
    campaign_id: int | None = None
    speaker_ids: frozenset = frozenset()
    audiences: frozenset = frozenset()
    city: str = ""
    expected_attendance: int = 0
    is_major: bool = False
    all_day: bool = False
    filed_at: datetime | None = None  # when it was (or would be) filed


def _plain(message: str, **params) -> str:
    return message % params if params else message


@dataclass(frozen=True)
class Context:
    """Everything the rules may look at besides the proposal, loaded beforehand."""

    tz: ZoneInfo
    now: datetime
    policy: KindPolicy
    venue: VenueFacts | None = None
    series: SeriesFacts | None = None
    campaign: CampaignFacts | None = None
    holidays: HolidayFacts = HolidayFacts()
    bookings: tuple[Booking, ...] = ()
    # Sessions of the proposal's series per year, other events only (slot-holding ones).
    series_year_counts: dict = field(default_factory=dict)
    # Sessions of the proposal's series hosted by its host, per year, other events only.
    host_year_counts: dict = field(default_factory=dict)
    # Venues in the same city that could take the event instead (for suggestions).
    other_venues: tuple[VenueFacts, ...] = ()
    # Busy spans per venue id of other_venues at the proposal's times.
    other_venue_busy: dict = field(default_factory=dict)
    speaker_names: dict = field(default_factory=dict)  # person id -> name
    # Scarce experts among the speakers: person id -> bookings allowed per local month, and
    # (person id, year, month) -> other events' slot-holding occurrences they speak at.
    scarce_limits: dict = field(default_factory=dict)
    speaker_month_counts: dict = field(default_factory=dict)
    lead_days: int = 15
    translate: Callable[..., str] = _plain

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


@dataclass(frozen=True)
class Conflict:
    event_id: int
    title: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    end: datetime
    venue_id: int | None = None
    venue_name: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    conflicts_with: Conflict | None = None
    suggestions: tuple[Suggestion, ...] = ()
    occurrence_start: datetime | None = None
