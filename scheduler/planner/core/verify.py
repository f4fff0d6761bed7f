"""Re-check a plan with the conflict engine: never take the solver's word for it.

Each planned session becomes a ``rules.Proposal`` checked against every booking on the
calendar *and* every other planned session. The planner treats as hard what the engine
only warns about for hosts (double-booked host) and series spacing, so those count as
conflicts here too.
"""

from collections import defaultdict
from dataclasses import dataclass

from ... import rules
from ...rules.policy import policy_for
from .types import Assignment, Instance

# Findings that make a plan unacceptable: every error, and these warnings.
HARD_WARNINGS = frozenset({"host_overlap", "series_spacing"})


@dataclass(frozen=True)
class Check:
    assignment: Assignment
    findings: tuple[rules.Finding, ...]

    @property
    def conflicts(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.severity == "error" or f.rule in HARD_WARNINGS]


def bookings_from_instance(inst: Instance) -> list[rules.Booking]:
    """The calendar as the instance knows it (benchmarks and tests without a database):
    every busy span of a venue, host, speaker and series becomes a booking."""
    out, n = [], 0

    def add(start, end, **kw):
        nonlocal n
        n += 1
        out.append(rules.Booking(event_id=-n, title=f"#{n}", start=start, end=end, **kw))

    for v in inst.venues:
        for start, end in v.busy:
            add(start, end, host_id=0, venue_id=v.id)
    for h in inst.hosts:
        for start, end in h.busy:
            add(start, end, host_id=h.id)
    for p in inst.speakers:
        for start, end in p.busy:
            add(start, end, host_id=0, speaker_ids=frozenset({p.id}))
    for s in inst.series:
        for start, end in s.existing:
            add(start, end, host_id=0, series_id=s.id)
    return out


def check_plan(
    inst: Instance,
    assignments: list[Assignment],
    bookings: list[rules.Booking],
    translate=None,
    titles: dict | None = None,
) -> list[Check]:
    """Findings of every planned session against ``bookings`` (the calendar, without the
    accepted sessions being re-planned) and the other planned sessions."""
    series = {s.id: s for s in inst.series}
    venues = {v.id: v for v in inst.venues}
    replanned = {i.event_id for i in inst.incumbents}
    calendar = [b for b in bookings if b.event_id not in replanned]
    planned = _planned_bookings(inst, assignments, titles or {})
    series_counts, host_counts = _year_counts(inst, calendar)
    holidays = rules.HolidayFacts(
        days_off=dict(inst.calendar.days_off),
        workdays=dict(inst.calendar.workdays),
        provisional_years=frozenset() if inst.calendar.official else frozenset({inst.year}),
    )
    speakers = {p.id: p.name for p in inst.speakers}
    out = []
    for n, a in enumerate(assignments):
        s, me = series[a.series_id], planned[n]
        others = [b for m, b in enumerate(planned) if m != n]
        same_series = [b for b in others if b.series_id == s.id]
        year = inst.year
        proposal = rules.Proposal(
            title=me.title,
            kind=s.kind,
            host_id=a.host_id,
            slots=((a.start, a.end),),
            venue_id=a.venue_id,
            series_id=s.id,
            campaign_id=s.campaign.id if s.campaign else None,
            speaker_ids=me.speaker_ids,
            city=me.city,
            expected_attendance=s.expected_attendance,
            filed_at=inst.now,
        )
        context = rules.Context(
            tz=inst.tz,
            now=inst.now,
            policy=policy_for(s.kind),
            # The planner's facts are the rules' own: passed as they are, not copied.
            venue=venues[a.venue_id],
            series=s,
            campaign=s.campaign,
            holidays=holidays,
            bookings=tuple(calendar) + tuple(others),
            series_year_counts={year: series_counts[(s.id, year)] + len(same_series)},
            host_year_counts={
                year: host_counts[(s.id, a.host_id, year)]
                + sum(1 for b in same_series if b.host_id == a.host_id)
            },
            speaker_names=speakers,
            translate=translate or rules.types._plain,
        )
        out.append(Check(a, tuple(rules.check(proposal, context))))
    return out


def _planned_bookings(inst: Instance, assignments: list[Assignment], titles: dict) -> list:
    """The planned sessions as bookings, with ids no real event has."""
    series = {s.id: s for s in inst.series}
    venues = {v.id: v for v in inst.venues}
    apps = {(a.series_id, a.host_id): a for a in inst.applications}
    planned = []
    for n, a in enumerate(assignments):
        s = series[a.series_id]
        app = apps.get((a.series_id, a.host_id))
        planned.append(
            rules.Booking(
                event_id=-(10**9) - n,
                title=titles.get(n, f"{s.name} #{a.position}"),
                start=a.start,
                end=a.end,
                host_id=a.host_id,
                venue_id=a.venue_id,
                speaker_ids=app.speaker_ids if app else frozenset(),
                city=venues[a.venue_id].city,
                series_id=a.series_id,
            )
        )
    return planned


def _year_counts(inst: Instance, calendar: list[rules.Booking]):
    """Sessions on the calendar per (series, year) and per (series, host, year)."""
    series_counts, host_counts = defaultdict(int), defaultdict(int)
    for b in calendar:
        if b.series_id is not None:
            year = b.start.astimezone(inst.tz).year
            series_counts[(b.series_id, year)] += 1
            host_counts[(b.series_id, b.host_id, year)] += 1
    return series_counts, host_counts


def conflicts(checks: list[Check]) -> int:
    return sum(len(c.conflicts) for c in checks)
