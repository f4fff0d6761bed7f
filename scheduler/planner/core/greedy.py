"""Greedy plans: the baseline the benchmark compares with, and a first guess for the solver.

``baseline`` is what one would do by hand: for each session the earliest free slot (a
fitting venue free at that time), hosted by the first applicant with sessions left.
``careful`` aims each session at its evenly spread date and also keeps hosts and speakers
free, inside the model's own candidates when given them (each series' venue shortlist and
the dates each session may take), so that the solver can start from it (a complete hint)
and has a plan at once; ``earliest`` packs each session on its earliest such date, for
when the careful plan leaves a session out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from . import candidates as cd
from .types import Assignment, Instance, SeriesFacts


class _Taken:
    """Spans already given to planned sessions, per venue / host / speaker."""

    def __init__(self):
        self.spans = defaultdict(list)

    def free(self, key, start, end, pad=timedelta(0)) -> bool:
        return all(not (s < end + pad and e + pad > start) for s, e in self.spans[key])

    def take(self, key, start, end) -> None:
        self.spans[key].append((start, end))


def baseline(inst: Instance) -> list[Assignment]:
    return _plan(inst, careful=False)


def careful(inst: Instance, venues: dict | None = None) -> list[Assignment]:
    """``venues``: series id -> the venues the model gives the series (None: all that fit)."""
    return _plan(inst, careful=True, venues_of=venues)


def earliest(inst: Instance, venues: dict | None = None) -> list[Assignment]:
    return _plan(inst, careful=True, venues_of=venues, spread=False)


def _plan(
    inst: Instance, careful: bool, venues_of: dict | None = None, spread: bool = True
) -> list[Assignment]:
    taken = _Taken()
    out: list[Assignment] = []
    calendars = cd.host_calendars(inst)
    # Series with the fewest choices go first when careful (lectures before forums).
    order = list(inst.series)
    if careful:
        order.sort(key=lambda s: (len(cd.series_candidates(inst, s)) / max(1, s.sessions), s.id))
    for s in order:
        if s.sessions <= 0:
            continue
        if venues_of is not None and s.id in venues_of:
            venues = venues_of[s.id]
        else:
            venues, _ = cd.shortlist_venues(inst, s, None)
        placing = _Placing(s, careful, taken, calendars, venues, cd.applicants(inst, s))
        out.extend(_plan_series(inst, placing, spread))
    return sorted(out, key=lambda a: (a.series_id, a.start))


@dataclass
class _Placing:
    """One series being placed: its venues and applicants, and what is taken so far."""

    s: SeriesFacts
    careful: bool
    taken: _Taken
    calendars: dict
    venues: list
    apps: list
    venue_cals: dict = field(init=False)
    used: dict = field(default_factory=lambda: defaultdict(int))  # host id -> sessions given

    def __post_init__(self):
        self.venue_cals = {v.id: cd.VenueCalendar(v) for v in self.venues}

    def take(self, c, venue, app) -> None:
        self.used[app.host_id] += 1
        self.taken.take(("v", venue.id), c.start, c.end)
        self.taken.take(("h", app.host_id), c.start, c.end)
        for p in app.speaker_ids:
            self.taken.take(("p", p), c.start, c.end)


def _plan_series(inst: Instance, placing: _Placing, spread: bool) -> list[Assignment]:
    """Each session of the series on the first candidate that takes it, in order."""
    s, careful = placing.s, placing.careful
    cands = cd.series_candidates(inst, s)
    bounds = cd.session_bounds(cands, s, s.sessions) if careful else []
    ideal = cd.ideal_days(inst, s, cands)
    allowed = [i for i, c in enumerate(cands) if c.allowed]
    last, out = None, []
    for k in range(s.sessions):
        order_i = allowed
        if careful and bounds:
            lo, hi = bounds[k]
            target = ideal[k] if ideal and spread else 0
            order_i = sorted(
                (i for i in allowed if lo <= i <= hi),
                key=lambda i: (abs(cands[i].day_index - target), i),
            )
        placed = next(
            (found for i in order_i if (found := _try(placing, cands[i], last)) is not None),
            None,
        )
        if placed is None:
            continue
        c, venue, app = placed
        last = c
        placing.take(c, venue, app)
        out.append(Assignment(s.id, k + 1, c.start, c.end, venue.id, app.host_id))
    return out


def _try(placing: _Placing, c, last):
    """(candidate, venue, applicant) when the next session can take candidate ``c``."""
    s = placing.s
    if last is not None and not (
        c.start >= last.end and c.day_index - last.day_index >= s.min_spacing_days
    ):
        return None
    if placing.careful and last is not None and c.start < last.start:
        return None
    venue = next(
        (
            v
            for v in placing.venues
            if placing.venue_cals[v.id].free(c)
            and placing.taken.free(("v", v.id), c.start, c.end, placing.venue_cals[v.id].pad)
        ),
        None,
    )
    if venue is None:
        return None
    host = _pick_host(placing, c)
    return None if host is None else (c, venue, host)


def _pick_host(placing: _Placing, c):
    """The first applicant with sessions left (when careful: free then, everyone once
    before anyone twice, wishes first)."""
    s, used, taken = placing.s, placing.used, placing.taken
    ranked = placing.apps
    if placing.careful:
        ranked = sorted(
            placing.apps,
            key=lambda a: (
                used[a.host_id] + s.host_counts.get(a.host_id, 0) > 0,
                a.host_id in s.hosted_last_year,
                bool(a.preferred_months) and c.day.month not in a.preferred_months,
                a.order,
            ),
        )
    for a in ranked:
        if used[a.host_id] >= cd.remaining(s, a.host_id):
            continue
        if placing.careful and not (
            placing.calendars[(s.id, a.host_id)].free(c)
            and taken.free(("h", a.host_id), c.start, c.end)
            and all(taken.free(("p", p), c.start, c.end) for p in a.speaker_ids)
        ):
            continue
        return a
    return None
