"""Candidate dates, venues and hosts of each series, filtered before any model is built.

Pure functions over the plain values of ``types``. The model, the greedy baseline, the
explanations and the input checks all use them, so they agree on what is possible.
"""

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .types import ApplicationInput, Instance, SeriesFacts, Span, VenueFacts, Weights


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (day, start time) a session of a series may take."""

    day: date
    start: datetime  # aware UTC
    end: datetime
    minute: int  # start, in minutes since the planner's epoch
    day_index: int  # days since 1 January of the year
    in_window: bool  # allowed weekday, inside the campaign window, not before its launch
    spaced: bool  # far enough from the series' sessions already on the calendar
    cost: int  # soft penalty of the date itself (holiday, weekend, campaign peak, month)

    @property
    def allowed(self) -> bool:
        return self.in_window and self.spaced


def epoch(inst: Instance) -> datetime:
    return datetime(inst.year, 1, 1, tzinfo=inst.tz).astimezone(UTC)


def minutes(inst: Instance, moment: datetime) -> int:
    return int((moment - epoch(inst)).total_seconds() // 60)


def first_day(inst: Instance) -> date:
    """Nothing is planned in the past: the first day is tomorrow at the earliest."""
    tomorrow = inst.now.astimezone(inst.tz).date() + timedelta(days=1)
    return max(date(inst.year, 1, 1), tomorrow)


def date_costs(inst: Instance, s: SeriesFacts, day: date) -> dict[str, int]:
    """The soft penalties of holding a session of ``s`` on ``day``, by term."""
    w: Weights = inst.weights
    cal = inst.calendar
    out = {}
    if s.avoid_holidays and (day in cal.days_off or day in cal.workdays):
        out["holiday"] = w.holiday
    if s.avoid_weekends and day.weekday() >= 5 and day not in cal.workdays:
        out["weekend"] = w.weekend
    if any(c.start_date <= day <= c.end_date for c in s.avoid_campaigns):
        out["campaign_peak"] = w.campaign_peak
    if s.preferred_months and day.month not in s.preferred_months:
        out["series_month"] = w.series_month
    return out


def _overlaps(spans: list[Span], starts: list[datetime], longest: timedelta, a, b) -> bool:
    """Whether any span of ``spans`` (sorted by start) overlaps [a, b)."""
    low = bisect.bisect_left(starts, a - longest)
    high = bisect.bisect_left(starts, b)
    return any(s < b and e > a for s, e in spans[low:high])


class BusyIndex:
    """Sorted busy spans for quick overlap look-ups."""

    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.longest = max((e - s for s, e in self.spans), default=timedelta(0))

    def overlaps(self, start: datetime, end: datetime, pad: timedelta = timedelta(0)) -> bool:
        if not self.spans:
            return False
        return _overlaps(self.spans, self.starts, self.longest, start - pad, end + pad)


# Candidates are asked for many times per run (input checks, model, greedy plans, notes):
# they are kept per (what they depend on), the calendar by identity. Read-only lists.
_CACHE: dict = {}
_CACHE_SIZE = 512


def series_candidates(inst: Instance, s: SeriesFacts) -> list[Candidate]:
    """Every start a session of ``s`` could take this year, allowed or not, by start.

    Besides the series' time slots on every day, the starts of its pins and of its accepted
    sessions are candidates too (they may lie off the usual slots)."""
    key = (
        inst.year, inst.tz, inst.now, id(inst.calendar), inst.weights,
        tuple(p.start for p in inst.pins if p.series_id == s.id),
        tuple(i.start for i in inst.incumbents if i.series_id == s.id),
        s.id, s.slots, s.weekdays, s.campaign, s.at_launch, s.duration_minutes, s.existing,
        s.min_spacing_days, s.avoid_holidays, s.avoid_weekends, s.preferred_months,
        s.avoid_campaigns,
    )  # fmt: skip
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is inst.calendar:
        return hit[1]
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    out = _series_candidates(inst, s)
    _CACHE[key] = (inst.calendar, out)
    return out


def _series_candidates(inst: Instance, s: SeriesFacts) -> list[Candidate]:
    tz = inst.tz
    jan1 = date(inst.year, 1, 1)
    first, last = first_day(inst), date(inst.year, 12, 31)
    duration = timedelta(minutes=s.duration_minutes)
    starts: set[datetime] = set()
    if s.at_launch and s.campaign is not None and s.campaign.launch_at is not None:
        starts.add(s.campaign.launch_at)
    else:
        day = first
        while day <= last:
            for slot in s.slots:
                starts.add(datetime.combine(day, slot, tzinfo=tz).astimezone(UTC))
            day += timedelta(days=1)
    starts |= {p.start for p in inst.pins if p.series_id == s.id and p.start is not None}
    starts |= {i.start for i in inst.incumbents if i.series_id == s.id}
    existing = BusyIndex(s.existing)
    existing_days = sorted({a.astimezone(tz).date() for a, _ in s.existing})
    earliest = max(inst.now, datetime.combine(first, datetime.min.time(), tzinfo=tz))
    out = []
    for start in sorted(starts):
        day = start.astimezone(tz).date()
        if day.year != inst.year or start < earliest:
            continue
        end = start + duration
        out.append(
            Candidate(
                day=day,
                start=start,
                end=end,
                minute=minutes(inst, start),
                day_index=(day - jan1).days,
                in_window=_in_window(s, start, end, day, tz),
                spaced=not existing.overlaps(start, end) and _spaced(day, existing_days, s),
                cost=sum(date_costs(inst, s, day).values()),
            )
        )
    return out


def _in_window(s: SeriesFacts, start: datetime, end: datetime, day: date, tz) -> bool:
    if s.weekdays and day.weekday() not in s.weekdays and not s.at_launch:
        return False
    c = s.campaign
    if c is not None:
        last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
        if day < c.start_date or last_day > c.end_date:
            return False
        if c.launch_at is not None and start < c.launch_at:
            return False
        if s.at_launch and c.launch_at is not None and start != c.launch_at:
            return False
    return True


def _spaced(day: date, existing_days: list[date], s: SeriesFacts) -> bool:
    if s.min_spacing_days <= 0 or not existing_days:
        return True
    gap = timedelta(days=s.min_spacing_days)
    i = bisect.bisect_left(existing_days, day - gap + timedelta(days=1))
    return not (i < len(existing_days) and existing_days[i] < day + gap)


def max_sessions(cands: list[Candidate], s: SeriesFacts) -> int:
    """How many sessions of ``s`` fit at most on the allowed candidates (earliest first)."""
    count, last = 0, None
    for c in cands:
        if not c.allowed:
            continue
        if last is None or (
            c.day_index - last.day_index >= s.min_spacing_days and c.start >= last.end
        ):
            count, last = count + 1, c
    return count


def session_bounds(cands: list[Candidate], s: SeriesFacts, n: int) -> list[tuple[int, int]]:
    """For each of ``n`` sessions (in date order), the first and last candidate index it can
    take when every session needs an allowed candidate and the series' spacing: the k-th
    session is never earlier than the k-th of the earliest packing, nor later than the
    k-th of the latest. [] when the sessions do not fit."""
    allowed = [i for i, c in enumerate(cands) if c.allowed]

    def pack(order):
        out, last = [], None
        for i in order:
            c = cands[i]
            if last is None or _apart(cands[last], c, s):
                out.append(i)
                last = i
                if len(out) == n:
                    break
        return out

    forward = pack(allowed)
    backward = pack(list(reversed(allowed)))[::-1]
    if len(forward) < n or len(backward) < n:
        return []
    return list(zip(forward, backward, strict=True))


def _apart(a: Candidate, b: Candidate, s: SeriesFacts) -> bool:
    early, late = (a, b) if a.start <= b.start else (b, a)
    return late.day_index - early.day_index >= s.min_spacing_days and late.start >= early.end


def venue_fits(s: SeriesFacts, v: VenueFacts) -> bool:
    return v.capacity >= s.expected_attendance and (not s.city or v.city == s.city)


def fit_units(s: SeriesFacts, v: VenueFacts) -> int:
    """Spare seats in tenths of the expected attendance, capped at 10."""
    if s.expected_attendance <= 0:
        return min(10, v.capacity // 100)
    spare = max(0, v.capacity - s.expected_attendance)
    return min(10, (10 * spare) // s.expected_attendance)


def venue_cost(inst: Instance, s: SeriesFacts, v: VenueFacts) -> dict[str, int]:
    w = inst.weights
    out = {}
    if fit_units(s, v):
        out["venue_fit"] = w.venue_fit * fit_units(s, v)
    if s.default_venue_id is not None and v.id != s.default_venue_id:
        out["default_venue"] = w.default_venue
    return out


def closed(v: VenueFacts, day: date) -> bool:
    return any(a <= day <= b for a, b in v.closures)


class VenueCalendar:
    """Whether a venue can take a session at a candidate: not closed, and free of its
    other bookings with the venue's buffer on both sides (as the venue_overlap rule)."""

    def __init__(self, v: VenueFacts):
        self.venue = v
        self.busy = BusyIndex(v.busy)
        self.pad = timedelta(minutes=v.buffer_minutes)

    def free(self, c: Candidate) -> bool:
        if closed(self.venue, c.day):
            return False
        return not self.busy.overlaps(c.start, c.end, self.pad)


class HostCalendar:
    """Whether an applicant can host at a candidate: not one of its unavailable dates, no
    other event of its own at that time, and its speakers free."""

    def __init__(self, app: ApplicationInput, host_busy: BusyIndex, speaker_busy: list):
        self.app = app
        self.host_busy = host_busy
        self.speaker_busy = speaker_busy

    def free(self, c: Candidate) -> bool:
        if c.day in self.app.unavailable_dates:
            return False
        if self.host_busy.overlaps(c.start, c.end):
            return False
        return not any(b.overlaps(c.start, c.end) for b in self.speaker_busy)


def host_calendars(inst: Instance) -> dict[tuple[int, int], HostCalendar]:
    """(series id, host id) -> the applicant's calendar."""
    hosts = {h.id: BusyIndex(h.busy) for h in inst.hosts}
    speakers = {p.id: BusyIndex(p.busy) for p in inst.speakers}
    out = {}
    for app in inst.applications:
        busy = hosts.get(app.host_id) or BusyIndex(())
        out[(app.series_id, app.host_id)] = HostCalendar(
            app, busy, [speakers[i] for i in sorted(app.speaker_ids) if i in speakers]
        )
    return out


def applicants(inst: Instance, s: SeriesFacts) -> list[ApplicationInput]:
    """Applications to the series, first come first."""
    apps = [a for a in inst.applications if a.series_id == s.id]
    return sorted(apps, key=lambda a: (a.order, a.host_id))


def remaining(s: SeriesFacts, host_id: int) -> int:
    """Sessions the host may still take this year (maximum per host minus what it has)."""
    return max(0, s.max_per_host - s.host_counts.get(host_id, 0))


def spread_window(inst: Instance, s: SeriesFacts, cands: list[Candidate]) -> tuple[int, int]:
    """First and last day index of the series' window: its allowed dates, narrowed to its
    preferred months when it has some."""
    allowed = [c for c in cands if c.allowed]
    if not allowed:
        return 0, 0
    first, last = allowed[0].day, allowed[-1].day
    if s.preferred_months:
        low = date(inst.year, min(s.preferred_months), 1)
        top = max(s.preferred_months)
        if top == 12:
            high = date(inst.year, 12, 31)
        else:
            high = date(inst.year, top + 1, 1) - timedelta(days=1)
        if low <= last and high >= first:
            first, last = max(first, low), min(last, high)
    jan1 = date(inst.year, 1, 1)
    return (first - jan1).days, (last - jan1).days


def ideal_days(inst: Instance, s: SeriesFacts, cands: list[Candidate]) -> list[int]:
    """The evenly spread day (index) of each session to plan: the window cut into equal
    parts, one per session of the year (those already on the calendar included), each
    session in the middle of its part; the sessions already on the calendar take the
    parts nearest to them, the planned ones the rest. Empty for a lone session."""
    first, last = spread_window(inst, s, cands)
    jan1 = date(inst.year, 1, 1)
    fixed = sorted(
        d
        for d in ((start.astimezone(inst.tz).date() - jan1).days for start, _ in s.existing)
        if first <= d <= last
    )
    total = s.sessions + len(fixed)
    if s.sessions <= 0 or total <= 1:
        return []
    part = (last - first + 1) / total
    grid = [first + int(part * (k + 0.5)) for k in range(total)]
    for d in fixed:
        grid.pop(min(range(len(grid)), key=lambda j: (abs(grid[j] - d), j)))
    return grid


def ideal_gap(inst: Instance, s: SeriesFacts, cands: list[Candidate]) -> int:
    """Days between two evenly spread sessions (0 for a single session)."""
    if s.sessions <= 1:
        return 0
    first, last = spread_window(inst, s, cands)
    return max(1, round((last - first + 1) / s.sessions))


def shortlist_venues(
    inst: Instance, s: SeriesFacts, limit: int | None
) -> tuple[list[VenueFacts], bool]:
    """The venues that fit the series, best first, at most ``limit`` of them (None: all);
    the default venue and the venues of pins and accepted sessions always stay. Returns
    (venues, whether some fitting venue was left out)."""
    fitting = [v for v in inst.venues if venue_fits(s, v)]
    host_cities = {}
    hosts = {h.id: h for h in inst.hosts}
    for app in applicants(inst, s):
        city = hosts[app.host_id].city if app.host_id in hosts else ""
        host_cities[city] = host_cities.get(city, 0) + 1
    keep = {s.default_venue_id}
    keep |= {p.venue_id for p in inst.pins if p.series_id == s.id}
    keep |= {i.venue_id for i in inst.incumbents if i.series_id == s.id}

    def rank(v: VenueFacts):
        cost = sum(venue_cost(inst, s, v).values())
        # Venues in the applicants' cities come first: they can serve a host at home.
        share = host_cities.get(v.city, 0)
        return (v.id not in keep, -share, cost, v.id)

    ranked = sorted(fitting, key=rank)
    if limit is None or len(ranked) <= limit:
        return ranked, False
    # Keep the best of every applicant city, then fill up with the best overall.
    chosen: list[VenueFacts] = [v for v in ranked if v.id in keep]
    per_city = max(1, limit // max(1, len(host_cities)))
    for city in sorted(host_cities, key=lambda c: -host_cities[c]):
        in_city = [v for v in ranked if v.city == city and v not in chosen]
        chosen += in_city[:per_city]
    for v in ranked:
        if len(chosen) >= limit:
            break
        if v not in chosen:
            chosen.append(v)
    chosen = sorted(chosen, key=rank)
    return chosen, len(chosen) < len(ranked)
