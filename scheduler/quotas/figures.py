"""Plain results of the quota aggregates: what the dashboard, the society record, the API
and the exports show. Derived figures (totals, projection, status, pace) are properties
over the counted values, computed with the rules of ``counting``."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..campaigns.models import Campaign
from ..enums import EventStatus
from ..series.models import Series
from ..societies.models import SocietyKind
from . import counting as c

PROGRESS_LABELS = {
    "no_target": _l("No target set"),
    "over_maximum": _l("Above the maximum"),
    "met": _l("Target met"),
    "on_track": _l("On track"),
    "short": _l("Short of the minimum"),
}


@dataclass(frozen=True)
class SocietyRef:
    id: int
    slug: str
    name: str
    short_name: str
    kind: SocietyKind
    city: str
    active: bool
    min_events_per_year: int

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass
class SeriesSession:
    event_id: int
    title: str
    status: EventStatus
    start: datetime
    host: SocietyRef
    cancelled: bool
    held: bool


@dataclass
class MonthCounts:
    month: int
    held: int = 0
    approved: int = 0
    planned: int = 0

    @property
    def counted(self) -> int:
        return self.held + self.planned


@dataclass
class HostCount:
    society: SocietyRef
    sessions: int


@dataclass
class SeriesProgress:
    series: Series
    months: list[MonthCounts]
    sessions: list[SeriesSession] = field(default_factory=list)
    hosts: list[HostCount] = field(default_factory=list)
    hosts_last_year: list[HostCount] = field(default_factory=list)
    waiting_since_last_year: list[SocietyRef] = field(default_factory=list)
    never_hosted: list[SocietyRef] = field(default_factory=list)
    never_hosted_total: int = 0

    @property
    def held(self) -> int:
        return sum(m.held for m in self.months)

    @property
    def approved(self) -> int:
        return sum(m.approved for m in self.months)

    @property
    def planned(self) -> int:
        return sum(m.planned for m in self.months)

    @property
    def projected(self) -> int:
        return self.held + self.planned

    @property
    def status(self) -> str:
        s = self.series
        return c.progress_status(s.target_min, s.target_max, self.held, self.approved, self.planned)

    @property
    def pace_target(self) -> int:
        return c.pace_target(self.series.target_min, self.series.target_max)

    @property
    def even_pace(self) -> list[float]:
        return c.even_pace(self.pace_target)

    @property
    def cumulative_held(self) -> list[int]:
        return c.cumulative([m.held for m in self.months])

    @property
    def cumulative_counted(self) -> list[int]:
        return c.cumulative([m.counted for m in self.months])

    @property
    def scale(self) -> int:
        """The top of the progress bars: the maximum, or the largest figure if above it."""
        s = self.series
        return max(s.target_max, s.target_min, self.projected, self.approved, 1)


@dataclass
class Share:
    key: object  # a SocietyKind or a city
    participating: int
    active: int

    @property
    def label(self) -> str:
        if isinstance(self.key, SocietyKind):
            return str(self.key.label)
        return self.key or _("(no city)")

    @property
    def share(self) -> float | None:
        return c.share(self.participating, self.active)


@dataclass
class CampaignParticipation:
    campaign: Campaign
    participating: int
    active: int
    by_kind: list[Share]
    by_city: list[Share]

    @property
    def share(self) -> float | None:
        return c.share(self.participating, self.active)

    @property
    def target_met(self) -> bool | None:
        target = self.campaign.participation_target
        if target is None or self.share is None:
            return None
        return self.share >= target


@dataclass
class Activity:
    last_held: datetime | None = None
    planned: int = 0


@dataclass
class SocietyYear:
    """One society's figures for the annual evaluation."""

    society: SocietyRef
    hosted_by_kind: dict = field(default_factory=dict)  # approved sessions as host
    cohosted_by_kind: dict = field(default_factory=dict)  # approved sessions as co-host
    held: int = 0
    planned: int = 0
    cancelled: int = 0
    cohosted_held: int = 0
    major_on_time: int = 0
    major_late: int = 0
    major_unfiled: int = 0
    attendance: int = 0
    attendance_events: int = 0
    last_held: datetime | None = None
    dormant: bool = False

    @property
    def hosted(self) -> int:
        return sum(self.hosted_by_kind.values())

    @property
    def cohosted(self) -> int:
        return sum(self.cohosted_by_kind.values())

    @property
    def meets_minimum(self) -> bool:
        return self.hosted >= self.society.min_events_per_year

    @property
    def has_figures(self) -> bool:
        return bool(
            self.hosted or self.cohosted or self.planned or self.cancelled or self.major_unfiled
        )


@dataclass
class Allowance:
    series: Series
    booked: int

    @property
    def remaining(self) -> int:
        return c.remaining_allowance(self.series.max_per_host, self.booked)


@dataclass
class Dashboard:
    year: int
    now: datetime
    series: list[SeriesProgress]
    campaigns: list[CampaignParticipation]
    dormant: list[SocietyYear]
    societies: list[SocietyYear]

    @property
    def active_societies(self) -> list[SocietyYear]:
        return [s for s in self.societies if s.society.active]

    @property
    def below_minimum(self) -> list[SocietyYear]:
        return [s for s in self.active_societies if not s.meets_minimum]

    def participation_table(self, attr: str) -> list[tuple[str, list[Share]]]:
        """Rows of one breakdown ("by_kind" or "by_city"), one cell per campaign."""
        if not self.campaigns:
            return []
        cells = [{s.key: s for s in getattr(cp, attr)} for cp in self.campaigns]
        return [
            (share.label, [by_key[share.key] for by_key in cells])
            for share in getattr(self.campaigns[0], attr)
        ]
