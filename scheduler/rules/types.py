"""The plain values the rules take and return (the directory's facts are in facts.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .facts import CampaignFacts, HolidayFacts, SeriesFacts, Span, VenueFacts
from .policy import KindPolicy


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
    holidays: HolidayFacts = field(default_factory=HolidayFacts)
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
    # Raw suggestions gathered per finding and venue (0: none, when checking a candidate).
    suggestion_pool: int = 3
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
