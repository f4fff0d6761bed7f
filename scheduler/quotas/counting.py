"""The counting rules of quotas and reports, as pure functions over plain values.

No Flask, no session: ``service.py`` turns the same rules into SQL aggregates, and the tests
pin both with one table. Every figure counts *sessions* (occurrences): a recurring event
counts once per occurrence, in the local year and month in which that occurrence starts.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..enums import SLOT_HOLDING_STATUSES, EventStatus

S = EventStatus

# "planned": not yet ended and still meant to happen (a draft sent back for changes included).
PLANNED_STATUSES = frozenset({S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED})
# "approved": on the published calendar, past or future.
APPROVED_STATUSES = frozenset({S.APPROVED, S.COMPLETED})
# What the conflict engine counts against a series' and a host's maxima (series_quota,
# host_quota); allowances use it so that both say the same number.
BOOKED_STATUSES = frozenset(SLOT_HOLDING_STATUSES)
# Major events whose filing is judged: filed and not refused, withdrawn or cancelled.
FILED_STATUSES = frozenset({S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED, S.COMPLETED})

DORMANT_AFTER_MONTHS = 12


@dataclass(frozen=True)
class Buckets:
    """Which of the dashboard's measures one session counts in."""

    planned: bool = False
    approved: bool = False
    held: bool = False
    booked: bool = False
    cancelled: bool = False

    @property
    def counted(self) -> bool:
        """Held or still to come: what the year will have if every plan happens."""
        return self.held or self.planned


def classify(status: EventStatus, end: datetime, cancelled: bool, now: datetime) -> Buckets:
    """The measures one occurrence counts in. ``end`` and ``now`` are aware datetimes.

    Cancelled, rejected and withdrawn sessions count nowhere (only as cancellations);
    "held" is approved and ended, or completed; "planned" is every not-yet-ended session
    that is still meant to happen, so held + planned is the year's projection.
    """
    if cancelled or status == S.CANCELLED:
        return Buckets(cancelled=True)
    ended = end <= now
    return Buckets(
        planned=status in PLANNED_STATUSES and not ended,
        approved=status in APPROVED_STATUSES,
        held=status == S.COMPLETED or (status == S.APPROVED and ended),
        booked=status in BOOKED_STATUSES,
    )


def local_year(moment: datetime, tz: ZoneInfo) -> int:
    return moment.astimezone(tz).year


def month_starts(year: int, tz: ZoneInfo) -> list[datetime]:
    """Thirteen UTC instants: local midnight of 1 January, 1 February, ... 1 January next."""
    days = [date(year, m, 1) for m in range(1, 13)] + [date(year + 1, 1, 1)]
    return [datetime.combine(d, time(), tz).astimezone(ZoneInfo("UTC")) for d in days]


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC [start, end) of the local year."""
    starts = month_starts(year, tz)
    return starts[0], starts[-1]


def month_of(moment: datetime, tz: ZoneInfo) -> int:
    return moment.astimezone(tz).month


def cumulative(values: list[int]) -> list[int]:
    total, out = 0, []
    for v in values:
        total += v
        out.append(total)
    return out


def pace_target(target_min: int, target_max: int) -> int:
    """The number the even-pace line climbs to: the minimum, else the maximum."""
    return target_min or target_max


def even_pace(target: int, months: int = 12) -> list[float]:
    """Where an evenly spread series stands at the end of each month."""
    return [round(target * m / months, 1) for m in range(1, months + 1)]


def progress_status(
    target_min: int, target_max: int, held: int, approved: int, planned: int
) -> str:
    """One word for a series' year: no_target, over_maximum, met, on_track or short."""
    projected = held + planned
    if target_max == 0 and target_min == 0:
        return "no_target"
    if target_max and max(approved, projected) > target_max:
        return "over_maximum"
    if held >= target_min:
        return "met"
    if projected >= target_min:
        return "on_track"
    return "short"


def remaining_allowance(max_per_host: int, booked: int) -> int:
    return max(0, max_per_host - booked)


def is_dormant(last_held: datetime | None, planned: int, now: datetime) -> bool:
    """No held event in the last twelve months and none planned."""
    if planned:
        return False
    return last_held is None or last_held < months_before(now, DORMANT_AFTER_MONTHS)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to month end)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    day = min(moment.day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def filed_late(submitted_at: datetime, start: datetime, lead_days: int) -> bool:
    """Filed later than ``lead_days`` before the start (the filing_lead_time rule)."""
    return start - submitted_at < timedelta(days=lead_days)


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
