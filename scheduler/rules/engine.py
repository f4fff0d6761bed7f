"""The conflict rules (the README's "Conflict rules") and the engine that runs them.

Every rule is ``check_<name>(proposal, context, index) -> list[Finding]``; severities come
from the policy data, never from the rule itself. Recurring events are checked occurrence
by occurrence.
"""

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from . import messages as m
from .policy import OVERRIDABLE
from .suggest import SEARCH_DAYS, nearest_free_slots
from .types import Booking, Conflict, Context, Finding, Proposal, Span, Suggestion

MAX_FINDINGS_PER_RULE = 25


class BookingIndex:
    """Other events' occurrences sorted by start, for quick overlap look-ups."""

    def __init__(self, bookings: Iterable[Booking]):
        self.items = sorted(bookings, key=lambda b: (b.start, b.event_id))
        self.starts = [b.start for b in self.items]
        longest = max((b.end - b.start for b in self.items), default=timedelta(0))
        self.longest = longest

    def overlapping(
        self, span: Span, pad: timedelta = timedelta(0), keep: Callable[[Booking], bool] = bool
    ) -> list[Booking]:
        """Bookings overlapping ``span`` widened by ``pad`` on both sides."""
        low = bisect.bisect_left(self.starts, span[0] - pad - self.longest)
        high = bisect.bisect_left(self.starts, span[1] + pad)
        return [
            b
            for b in self.items[low:high]
            if b.start < span[1] + pad and b.end + pad > span[0] and keep(b)
        ]


def _conflict(b: Booking) -> Conflict:
    return Conflict(b.event_id, b.title, b.start, b.end)


def _local(ctx: Context, moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(ctx.tz).strftime(fmt)


def _finding(rule: str, ctx: Context, message: str, span: Span | None = None, **kw) -> Finding:
    return Finding(rule=rule, severity="", message=message, occurrence_start=span and span[0], **kw)


def _busy_for_suggestions(p: Proposal, ctx: Context, index: BookingIndex, span: Span) -> list[Span]:
    """Spans the proposal cannot move into near ``span`` (as far as suggestions look): its
    venue (with buffer), host and speakers."""
    pad = ctx.venue.buffer if ctx.venue else timedelta(0)
    busy = []
    for b in index.overlapping(span, timedelta(days=SEARCH_DAYS + 1) + pad):
        if p.venue_id is not None and b.venue_id == p.venue_id:
            busy.append((b.start - pad, b.end + pad))
        elif b.host_id == p.host_id or (b.speaker_ids & p.speaker_ids):
            busy.append((b.start, b.end))
    return busy


def _suggestions(
    p: Proposal, ctx: Context, index: BookingIndex, span: Span, found_before: int = 0
) -> tuple:
    """Free slots in the venue, then other free venues at the same time (raw candidates:
    ``clearing.py`` keeps those that clear every error). None for findings past the
    per-rule maximum: they are dropped anyway."""
    pool = ctx.suggestion_pool
    if pool <= 0 or found_before >= MAX_FINDINGS_PER_RULE:
        return ()
    out = []
    if ctx.venue is not None:
        busy = _busy_for_suggestions(p, ctx, index, span)
        slots = nearest_free_slots(span, busy, ctx.tz, ctx.now, count=pool)
        out += [Suggestion(s, e, ctx.venue.id, ctx.venue.name) for s, e in slots]
    others = max(6 - len(out), pool)
    for venue in ctx.other_venues:
        if others <= 0:
            break
        busy = ctx.other_venue_busy.get(venue.id, ())
        if all(not (s - venue.buffer < span[1] and e + venue.buffer > span[0]) for s, e in busy):
            out.append(Suggestion(span[0], span[1], venue.id, venue.name))
            others -= 1
    return tuple(out)


def check_venue_overlap(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    venue = ctx.venue
    if venue is None or venue.is_online:
        return []
    found = []
    for span in p.slots:
        for b in index.overlapping(span, venue.buffer, lambda b: b.venue_id == venue.id):
            if venue.buffer_minutes:
                message = ctx.translate(
                    m.VENUE_OVERLAP, venue=venue.name, other=b.title, buffer=venue.buffer_minutes
                )
            else:
                message = ctx.translate(m.VENUE_OVERLAP_NO_BUFFER, venue=venue.name, other=b.title)
            found.append(
                _finding(
                    "venue_overlap",
                    ctx,
                    message,
                    span,
                    conflicts_with=_conflict(b),
                    suggestions=_suggestions(p, ctx, index, span, len(found)),
                )
            )
    return found


def check_speaker_overlap(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    if not p.speaker_ids:
        return []
    found = []
    for span in p.slots:
        for b in index.overlapping(span, keep=lambda b: bool(b.speaker_ids & p.speaker_ids)):
            for speaker in sorted(b.speaker_ids & p.speaker_ids):
                message = ctx.translate(
                    m.SPEAKER_OVERLAP,
                    speaker=ctx.speaker_names.get(speaker, f"#{speaker}"),
                    other=b.title,
                )
                found.append(
                    _finding(
                        "speaker_overlap",
                        ctx,
                        message,
                        span,
                        conflicts_with=_conflict(b),
                        suggestions=_suggestions(p, ctx, index, span, len(found)),
                    )
                )
    return found


def check_capacity(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    venue = ctx.venue
    if venue is None or venue.is_online or p.expected_attendance <= venue.capacity:
        return []
    message = ctx.translate(
        m.CAPACITY, expected=p.expected_attendance, venue=venue.name, capacity=venue.capacity
    )
    span = p.slots[0] if p.slots else None
    suggestions = ()
    if span:
        suggestions = tuple(s for s in _suggestions(p, ctx, index, span) if s.venue_id != venue.id)
    return [_finding("capacity", ctx, message, span, suggestions=suggestions)]


def check_campaign_window(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    c = ctx.campaign
    if c is None:
        return []
    found = []
    for span in p.slots:
        day = ctx.local_date(span[0])
        last_day = ctx.local_date(span[1] - timedelta(microseconds=1))
        if day < c.start_date or last_day > c.end_date:
            message = ctx.translate(
                m.CAMPAIGN_OUTSIDE,
                campaign=c.name,
                first=c.start_date.isoformat(),
                last=c.end_date.isoformat(),
            )
            found.append(_finding("campaign_window", ctx, message, span))
        elif c.launch_at is not None and span[0] < c.launch_at:
            message = ctx.translate(
                m.CAMPAIGN_BEFORE_LAUNCH, campaign=c.name, launch=_local(ctx, c.launch_at)
            )
            found.append(_finding("campaign_window", ctx, message, span))
    return found


def check_campaign_kind(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    """A campaign that lists the kinds it contains refuses an event of another kind."""
    c = ctx.campaign
    if c is None or not c.event_kinds or p.kind in c.event_kinds:
        return []
    names = c.kind_names  # in the order kinds are listed everywhere
    listed = [k for k in names if k in c.event_kinds]
    listed += sorted(c.event_kinds - set(listed))
    message = ctx.translate(
        m.CAMPAIGN_KIND,
        campaign=c.name,
        kinds=ctx.translate(m.LIST_SEPARATOR).join(names.get(k, k) for k in listed),
        kind=names.get(p.kind, p.kind),
    )
    return [_finding("campaign_kind", ctx, message)]


def _sessions_by_year(p: Proposal, ctx: Context) -> dict[int, int]:
    years: dict[int, int] = {}
    for span in p.slots:
        year = ctx.local_date(span[0]).year
        years[year] = years.get(year, 0) + 1
    return years


def check_series_quota(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    s = ctx.series
    if s is None or s.target_max <= 0:
        return []
    found = []
    for year, mine in sorted(_sessions_by_year(p, ctx).items()):
        others = ctx.series_year_counts.get(year, 0)
        if others + mine > s.target_max:
            message = ctx.translate(
                m.SERIES_QUOTA, series=s.name, count=others, year=year, max=s.target_max
            )
            found.append(_finding("series_quota", ctx, message))
    return found


def check_host_quota(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    s = ctx.series
    if s is None or s.max_per_host is None:
        return []
    found = []
    for year, mine in sorted(_sessions_by_year(p, ctx).items()):
        others = ctx.host_year_counts.get(year, 0)
        if others + mine > s.max_per_host:
            message = ctx.translate(
                m.HOST_QUOTA, count=others, series=s.name, year=year, max=s.max_per_host
            )
            found.append(_finding("host_quota", ctx, message))
    return found


def check_filing_lead_time(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    if not p.is_major or not p.slots:
        return []
    filed = p.filed_at or ctx.now
    first = min(s for s, _ in p.slots)
    if first - filed >= timedelta(days=ctx.lead_days):
        return []
    left = max(0, (first - filed).days)
    message = ctx.translate(m.FILING_LEAD, days=ctx.lead_days, left=left)
    return [_finding("filing_lead_time", ctx, message, p.slots[0])]


def check_host_overlap(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    found = []
    for span in p.slots:
        for b in index.overlapping(span, keep=lambda b: b.host_id == p.host_id):
            message = ctx.translate(m.HOST_OVERLAP, other=b.title)
            found.append(_finding("host_overlap", ctx, message, span, conflicts_with=_conflict(b)))
    return found


def check_holiday(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    avoids = ctx.series.avoid_holidays if ctx.series else ctx.policy.avoids_holidays
    if not avoids:
        return []
    found = []
    for span in p.slots:
        day = ctx.local_date(span[0])
        if day in ctx.holidays.days_off:
            text = ctx.translate(m.HOLIDAY, day=day.isoformat(), name=ctx.holidays.days_off[day])
        elif day in ctx.holidays.workdays:
            text = ctx.translate(
                m.MAKEUP_WORKDAY, day=day.isoformat(), name=ctx.holidays.workdays[day]
            )
        else:
            continue
        if day.year in ctx.holidays.provisional_years:
            text += " " + ctx.translate(m.PROVISIONAL, year=day.year)
        found.append(_finding("holiday", ctx, text, span))
    return found


def check_series_spacing(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    s = ctx.series
    if s is None or s.min_spacing_days <= 0:
        return []
    gap = timedelta(days=s.min_spacing_days)
    found = []
    for span in p.slots:
        for b in index.overlapping(span, gap, lambda b: b.series_id == s.id):
            days = abs((ctx.local_date(b.start) - ctx.local_date(span[0])).days)
            if days >= s.min_spacing_days:
                continue
            message = ctx.translate(
                m.SERIES_SPACING, other=b.title, days=days, min=s.min_spacing_days
            )
            found.append(
                _finding("series_spacing", ctx, message, span, conflicts_with=_conflict(b))
            )
    return found


def check_audience_overlap(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    if not ctx.policy.checks_audience_overlap or not p.audiences or not p.city:
        return []
    found = []
    for span in p.slots:
        same = index.overlapping(
            span,
            keep=lambda b: (
                b.city == p.city and bool(b.audiences & p.audiences) and b.host_id != p.host_id
            ),
        )
        for b in same:
            message = ctx.translate(m.AUDIENCE_OVERLAP, other=b.title, city=p.city)
            found.append(
                _finding("audience_overlap", ctx, message, span, conflicts_with=_conflict(b))
            )
    return found


def check_scarce_expert(p: Proposal, ctx: Context, index: BookingIndex) -> list[Finding]:
    """A scarce expert booked more often in one local month than their limit allows."""
    if not ctx.scarce_limits:
        return []
    mine: dict[tuple[int, int], list[Span]] = {}
    for span in p.slots:
        local = span[0].astimezone(ctx.tz)
        mine.setdefault((local.year, local.month), []).append(span)
    found = []
    for person, limit in sorted(ctx.scarce_limits.items()):
        for (year, month), spans in sorted(mine.items()):
            count = ctx.speaker_month_counts.get((person, year, month), 0) + len(spans)
            if count <= limit:
                continue
            message = ctx.translate(
                m.SCARCE_EXPERT,
                speaker=ctx.speaker_names.get(person, f"#{person}"),
                count=count,
                month=f"{year}-{month:02d}",
                limit=limit,
            )
            found.append(_finding("scarce_expert", ctx, message, spans[0]))
    return found


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Proposal, Context, BookingIndex], list[Finding]]

    @property
    def overridable(self) -> bool:
        return self.name in OVERRIDABLE


RULES = (
    Rule("venue_overlap", check_venue_overlap),
    Rule("speaker_overlap", check_speaker_overlap),
    Rule("capacity", check_capacity),
    Rule("campaign_window", check_campaign_window),
    Rule("campaign_kind", check_campaign_kind),
    Rule("series_quota", check_series_quota),
    Rule("host_quota", check_host_quota),
    Rule("filing_lead_time", check_filing_lead_time),
    Rule("host_overlap", check_host_overlap),
    Rule("holiday", check_holiday),
    Rule("series_spacing", check_series_spacing),
    Rule("audience_overlap", check_audience_overlap),
    Rule("scarce_expert", check_scarce_expert),
)


def check(proposal: Proposal, context: Context) -> list[Finding]:
    """Every finding for the proposal: errors first, then warnings, in rule order."""
    index = BookingIndex(b for b in context.bookings if b.event_id != proposal.event_id)
    findings = []
    for rule in RULES:
        severity = context.policy.severity(rule.name)
        if severity is None:
            continue
        found = rule.check(proposal, context, index)[:MAX_FINDINGS_PER_RULE]
        findings += [replace(f, severity=severity) for f in found]
    findings.sort(key=lambda f: f.severity != "error")
    return findings


def has_errors(findings: list[Finding], overridable_ok: bool = False) -> bool:
    return any(
        f.severity == "error" and not (overridable_ok and f.rule in OVERRIDABLE) for f in findings
    )
