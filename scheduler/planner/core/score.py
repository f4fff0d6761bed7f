"""The soft goals of a plan, recomputed from its sessions (pure).

The solver's objective must equal ``total(score(...))``; tests hold it to that, and the
benchmark scores the greedy baseline with the same function.
"""

from collections import defaultdict
from datetime import date

from . import candidates as cd
from .types import Assignment, Instance

TERMS = (
    "rotation",
    "move",
    "change",
    "fairness",
    "date_preference",
    "month_preference",
    "last_year",
    "holiday",
    "weekend",
    "campaign_peak",
    "series_month",
    "default_venue",
    "city",
    "venue_fit",
    "spread",
)


def score(inst: Instance, assignments: list[Assignment]) -> dict[str, int]:
    """Penalty per soft term (0 where the plan is perfect)."""
    w = inst.weights
    out = dict.fromkeys(TERMS, 0)
    series = {s.id: s for s in inst.series}
    venues = {v.id: v for v in inst.venues}
    hosts = {h.id: h for h in inst.hosts}
    apps = {(a.series_id, a.host_id): a for a in inst.applications}
    by_series = defaultdict(list)
    for a in assignments:
        by_series[a.series_id].append(a)
    for sid, items in by_series.items():
        s = series[sid]
        items.sort(key=lambda a: a.start)
        per_host = defaultdict(int)
        for a in items:
            day = a.start.astimezone(inst.tz).date()
            for term, value in cd.date_costs(inst, s, day).items():
                out[term] += value
            venue = venues[a.venue_id]
            for term, value in cd.venue_cost(inst, s, venue).items():
                out[term] += value
            host = hosts.get(a.host_id)
            if host is not None and host.city and venue.city != host.city:
                out["city"] += w.city
            app = apps.get((sid, a.host_id))
            if app is not None:
                if app.preferred_months and day.month not in app.preferred_months:
                    out["month_preference"] += w.month_preference
                if app.preferred_dates and day not in app.preferred_dates:
                    out["date_preference"] += w.date_preference
            if a.host_id in s.hosted_last_year and not s.fixed_host:
                out["last_year"] += w.last_year
            per_host[a.host_id] += 1
        for host_id, planned in per_host.items() if not s.fixed_host else ():
            free = 0 if s.host_counts.get(host_id, 0) else 1
            out["fairness"] += w.fairness * max(0, planned - free)
        if not s.fixed_host:
            breaches = rotation_breaches(inst, s, per_host)
            out["rotation"] += w.rotation * sum(n for _waiting, n in breaches.values())
        ideal = cd.ideal_days(inst, s, cd.series_candidates(inst, s))
        if ideal:
            jan1 = date(inst.year, 1, 1)
            for k, a in enumerate(items):
                day = (a.start.astimezone(inst.tz).date() - jan1).days
                out["spread"] += w.spread * abs(day - ideal[k])
    for inc in inst.incumbents:
        items = by_series.get(inc.series_id, [])
        if not any(a.start == inc.start for a in items):
            out["move"] += w.move
        if not any(
            (a.start, a.venue_id, a.host_id) == (inc.start, inc.venue_id, inc.host_id)
            for a in items
        ):
            out["change"] += w.change
    return out


def rotation_breaches(inst: Instance, s, per_host: dict) -> dict[str, tuple[list, int]]:
    """The fair-rotation rule's breaches in a plan of ``s`` (``per_host``: planned sessions
    per host): "again" = (applicants waiting, second sessions given meanwhile), "last_year"
    = (applicants that did not host last year waiting, sessions of last year's hosts).
    An applicant waits when it has no session this year and may still take one."""
    applicants = [a.host_id for a in cd.applicants(inst, s) if cd.remaining(s, a.host_id) > 0]
    waiting = [h for h in applicants if not s.host_counts.get(h, 0) and not per_host.get(h)]
    fresh = [h for h in waiting if h not in s.hosted_last_year]
    out = {}
    if waiting:
        again = sum(
            max(0, planned - (0 if s.host_counts.get(h, 0) else 1))
            for h, planned in per_host.items()
        )
        if again:
            out["again"] = (waiting, again)
    if fresh:
        old = sum(n for h, n in per_host.items() if h in s.hosted_last_year and h in applicants)
        if old:
            out["last_year"] = (fresh, old)
    return out


def total(terms: dict[str, int]) -> int:
    return sum(terms.values())
