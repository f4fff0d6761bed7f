"""The plain values the planner core takes and returns (no Flask, no session).

Times are aware UTC datetimes; days are local dates in ``Instance.tz``. Weekdays are
0=Monday .. 6=Sunday, as ``date.weekday()`` and ``Series.preferred_weekdays`` use them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

# The directory's facts are the conflict rules' own: one set of plain types for the core.
from ...rules.facts import CampaignFacts as CampaignFacts
from ...rules.facts import SeriesFacts as SeriesFacts
from ...rules.facts import Span as Span
from ...rules.facts import VenueFacts as VenueFacts


@dataclass(frozen=True)
class Weights:
    """Penalties of the objective, per unit (documented in the README's "The year planner")."""

    # Fair rotation, a rule the plan breaks only when it must: per session given to a
    # society hosting again, or that hosted last year, while an applicant waits.
    rotation: int = 10000
    move: int = 1000  # an accepted session moved to another date (re-planning)
    change: int = 300  # an accepted session that changes its date, venue or host
    fairness: int = 200  # a session given to a society that already hosts one this year
    date_preference: int = 40  # a host's preferred dates missed
    month_preference: int = 25  # a host's preferred months missed
    last_year: int = 15  # a session given to a society that hosted the series last year
    holiday: int = 30  # a statutory holiday or make-up working day, for series avoiding them
    weekend: int = 30  # a weekend day, for series avoiding weekends
    campaign_peak: int = 20  # inside a campaign window the series avoids
    series_month: int = 10  # outside the series' preferred months
    default_venue: int = 15  # not in the series' default venue
    city: int = 10  # the venue is not in the host's city
    venue_fit: int = 1  # per 10 % of spare seats (capped at 10)
    spread: int = 2  # per day between a session and its evenly spread date


@dataclass(frozen=True)
class Calendar:
    """Statutory days off and make-up working days of the planned year."""

    days_off: dict = field(default_factory=dict)  # date -> name
    workdays: dict = field(default_factory=dict)  # date -> name
    official: bool = True


@dataclass(frozen=True)
class HostInput:
    """A society that applied; ``busy`` are the occurrences it already hosts."""

    id: int
    name: str
    city: str = ""
    busy: tuple[Span, ...] = ()


@dataclass(frozen=True)
class SpeakerInput:
    id: int
    name: str
    busy: tuple[Span, ...] = ()


@dataclass(frozen=True)
class ApplicationInput:
    """A society's application to host a session of a series in the year."""

    host_id: int
    series_id: int
    preferred_months: frozenset = frozenset()
    preferred_dates: frozenset = frozenset()
    unavailable_dates: frozenset = frozenset()
    speaker_ids: frozenset = frozenset()
    order: int = 0  # the order applications came in (first applicant first)


@dataclass(frozen=True)
class Pin:
    """What an organizer fixed for one session: its start and/or host and/or venue."""

    series_id: int
    start: datetime | None = None
    host_id: int | None = None
    venue_id: int | None = None


@dataclass(frozen=True)
class Incumbent:
    """A session of an accepted plan, still on the calendar: re-planning moves it only when
    it must (fewest moves)."""

    event_id: int
    series_id: int
    start: datetime
    end: datetime
    venue_id: int | None
    host_id: int


@dataclass(frozen=True)
class Instance:
    year: int
    tz: ZoneInfo
    now: datetime
    series: tuple[SeriesFacts, ...]
    venues: tuple[VenueFacts, ...]
    hosts: tuple[HostInput, ...]
    applications: tuple[ApplicationInput, ...]
    speakers: tuple[SpeakerInput, ...] = ()
    calendar: Calendar = Calendar()
    pins: tuple[Pin, ...] = ()
    incumbents: tuple[Incumbent, ...] = ()
    weights: Weights = Weights()
    # At most this many venues per series enter the model (the best fitting ones); an
    # infeasible answer is confirmed with every venue before it is reported.
    venue_shortlist: int = 12


@dataclass(frozen=True)
class Reason:
    """One piece of an explanation: a code the shell phrases, with its values."""

    code: str
    params: dict = field(default_factory=dict)
    series_id: int | None = None

    def to_json(self) -> dict:
        return {"code": self.code, "params": self.params, "series_id": self.series_id}


@dataclass(frozen=True)
class Assignment:
    series_id: int
    position: int  # 1.. within the series, by date
    start: datetime
    end: datetime
    venue_id: int
    host_id: int
    reasons: tuple[Reason, ...] = ()
    pinned_date: bool = False
    pinned_host: bool = False
    pinned_venue: bool = False
    incumbent: Incumbent | None = None  # the accepted session this one keeps or moves

    @property
    def change(self) -> str:
        """new | kept | moved, against the current calendar."""
        i = self.incumbent
        if i is None:
            return "new"
        same = (i.start, i.venue_id, i.host_id) == (self.start, self.venue_id, self.host_id)
        return "kept" if same else "moved"


@dataclass
class Result:
    status: str  # optimal | feasible | infeasible | unknown
    assignments: list[Assignment] = field(default_factory=list)
    objective: int | None = None
    best_bound: float | None = None
    gap: float | None = None
    wall_seconds: float = 0.0
    score: dict = field(default_factory=dict)  # soft term -> penalty
    reasons: list[Reason] = field(default_factory=list)  # why not, when infeasible
    notes: list[Reason] = field(default_factory=list)  # facts worth saying either way
    stats: dict = field(default_factory=dict)  # model size

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


# The solver's settings that requests and pages validate against; here, not in solve.py, so
# that reading them does not load OR-Tools.
DEFAULT_TIME_LIMIT = 30.0
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 1.0, 600.0
DEFAULT_SEED = 1


class PlanInputError(ValueError):
    """The input cannot be planned at all (no applicants, too many sessions, bad pins).
    ``reasons`` say why, for the shell to phrase."""

    def __init__(self, reasons: list[Reason]):
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons
