"""The CP-SAT model of a year plan, built from the planner's plain values (no Flask).

Variables, per series ``s`` and session ``k`` (sessions are ordered by date, so they are
never interchangeable):

- ``x[k][i]``: the session takes candidate ``i`` (a day and start time), exactly one; only
  candidates between the k-th earliest and the k-th latest packing of the series exist.
- ``start[k]``, ``day[k]``: the chosen start (minutes) and day, linked to ``x``.
- ``z[k][v]``: the session is held in venue ``v``, exactly one among the venues that fit.
- ``w[k][h]``: the session is hosted by applicant ``h``, exactly one.

Date and venue are separate choices joined by clauses (``x[k][i] and z[k][v]`` is refused
when the venue is booked or closed at ``i``) and by optional intervals with a no-overlap
per venue, host and speaker shared by several series; the host's own events, unavailable
dates and speakers' talks are clauses on ``x`` and ``w``. No boolean is ever created per
(session, day, venue, host).

With ``relax=True`` every group of hard constraints of a series (its dates, spacing,
venue capacity, venue availability, host quota, host availability) and every pin is
guarded by an assumption literal, and candidates outside the groups exist, so that the
solver can say which groups cannot hold together (``explain.py``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from ortools.sat.python import cp_model

from . import candidates as cd
from .types import ApplicationInput, Assignment, Instance, SeriesFacts, VenueFacts


def _missed(key, host_id, wanted, by_month, plan) -> int:
    """1 when the plan gives the session to ``host_id`` off its wished months or dates."""
    cand, _venue, host, _i = plan[key]
    return int(host == host_id and (cand.day.month if by_month else cand.day) not in wanted)


def _away(key, city, host_cities, venue_city, plan) -> int:
    """1 when the plan's host of the session is in ``city`` and its venue is not."""
    _cand, venue, host, _i = plan[key]
    return int(host_cities.get(host) == city and venue_city[venue] != city)


def _hosted(key, n, host_id, plan) -> int:
    return sum(1 for k in range(n) if plan[(key, k)][2] == host_id)


def _extra(key, n, host_id, free, plan) -> int:
    return max(0, _hosted(key, n, host_id, plan) - free)


def _waits(key, n, hosts, plan) -> int:
    return int(any(_hosted(key, n, h, plan) == 0 for h in hosts))


def _breach(key, n, hosts, name, counts, old, plan) -> int:
    if not _waits(key, n, hosts, plan):
        return 0
    if name == "last_year":
        return sum(_hosted(key, n, h, plan) for h in old)
    hosted = {plan[(key, k)][2] for k in range(n)}
    return sum(_extra(key, n, h, 0 if counts.get(h, 0) else 1, plan) for h in hosted)


def _weighted(variables: list, coefficients: list):
    """A weighted sum, built in one call (Python's sum() of terms is slow at scale)."""
    return cp_model.LinearExpr.weighted_sum(variables, coefficients)


def _minute_of_day(moment) -> int:
    return moment.hour * 60 + moment.minute


GROUPS = ("window", "spacing", "capacity", "venues_free", "host_quota", "hosts_free")


@dataclass
class SeriesVars:
    s: SeriesFacts
    n: int
    cands: list[cd.Candidate]
    x: list[dict] = field(default_factory=list)  # per session: candidate index -> bool
    start: list = field(default_factory=list)
    day: list = field(default_factory=list)
    venues: list[VenueFacts] = field(default_factory=list)
    z: list[dict] = field(default_factory=list)  # per session: venue id -> bool
    apps: list[ApplicationInput] = field(default_factory=list)
    w: list[dict] = field(default_factory=list)  # per session: host id -> bool
    ideal: list = field(default_factory=list)  # evenly spread day index per session
    pruned_venues: bool = False
    times: list = field(default_factory=list)  # local start times of day, in minutes


class PlanModel:
    """Build with ``PlanModel(inst)``; ``model`` is the CpModel, ``impossible`` is set when
    a series cannot even be laid out on its own dates (no variables were needed)."""

    def __init__(
        self,
        inst: Instance,
        series_ids: list[int] | None = None,
        relax: bool = False,
        venue_limit: int | None = None,
    ):
        self.inst = inst
        self.relax = relax
        self.venue_limit = venue_limit
        self.model = cp_model.CpModel()
        self.series: list[SeriesVars] = []
        self.assumptions: dict = {}  # key -> literal: (series id, group) or ("pin", j)
        self.impossible = False
        self.pins: list = []  # (pin index, {k: literal})
        self.incumbent_terms: list = []
        self.objective_terms: list = []
        self.objective_constant = 0
        self.stats: dict = {}
        # (variable, value from a plan {(series id, k): (candidate, venue id, host id)}):
        # lets a known plan be given as a complete hint.
        self.derived: list = []
        self.intervals = 0
        self._hosts = {h.id: h for h in inst.hosts}
        self._host_cities = {h.id: h.city for h in inst.hosts}
        self._calendars = cd.host_calendars(inst)
        wanted = set(series_ids) if series_ids is not None else None
        for s in inst.series:
            if (wanted is None or s.id in wanted) and s.sessions > 0:
                self._add_series(s)
        if not self.impossible:
            self._add_shared_resources()
            self._add_pins()
            if not relax:
                self._add_incumbents()
                self._add_objective()
        self.stats = {
            "sessions": sum(sv.n for sv in self.series),
            "booleans": sum(
                sum(len(d) for d in sv.x) + sum(len(d) for d in sv.z) + sum(len(d) for d in sv.w)
                for sv in self.series
            ),
            "constraints": len(self.model.proto.constraints),
            "intervals": self.intervals,
            "pruned_venues": any(sv.pruned_venues for sv in self.series),
        }

    # --- helpers ------------------------------------------------------------------------

    def group(self, s: SeriesFacts, name: str):
        """The assumption literal guarding a group of the series (None: always enforced)."""
        if not self.relax:
            return None
        key = (s.id, name)
        if key not in self.assumptions:
            self.assumptions[key] = self.model.new_bool_var(f"assume_{s.id}_{name}")
        return self.assumptions[key]

    def _forbid(self, literals: list, guard) -> None:
        """Not all of ``literals`` together (unless the guarding group is relaxed)."""
        clause = [lit.negated() for lit in literals]
        if guard is not None:
            clause.append(guard.negated())
        self.model.add_bool_or(clause)

    def _presence(self, literal, guard):
        if guard is None:
            return literal
        both = self.model.new_bool_var("")
        self.model.add_bool_and([literal, guard]).only_enforce_if(both)
        self.model.add_bool_or([literal.negated(), guard.negated()]).only_enforce_if(both.negated())
        return both

    # --- one series -----------------------------------------------------------------------

    def _add_series(self, s: SeriesFacts) -> None:
        m = self.model
        cands = cd.series_candidates(self.inst, s)
        sv = SeriesVars(s=s, n=s.sessions, cands=cands)
        n = s.sessions
        if self.relax:
            if len(cands) < n:
                self.impossible = True
                return
            domains = [list(range(k, len(cands) - n + k + 1)) for k in range(n)]
        else:
            bounds = cd.session_bounds(cands, s, n)
            if not bounds:
                self.impossible = True
                return
            domains = [[i for i in range(lo, hi + 1) if cands[i].allowed] for lo, hi in bounds]
        self.series.append(sv)
        sv.ideal = cd.ideal_days(self.inst, s, cands)
        duration = s.duration_minutes
        window, spacing = self.group(s, "window"), self.group(s, "spacing")
        for k, dom in enumerate(domains):
            xs = {i: m.new_bool_var(f"x_{s.id}_{k}_{i}") for i in dom}
            m.add_exactly_one(xs.values())
            # Plain ranges: value-list domains make the solver's start-up much slower.
            minutes = [cands[i].minute for i in dom]
            days = [cands[i].day_index for i in dom]
            start = m.new_int_var(min(minutes), max(minutes), f"start_{s.id}_{k}")
            day = m.new_int_var(min(days), max(days), f"day_{s.id}_{k}")
            lits = list(xs.values())
            m.add(start == _weighted(lits, [cands[i].minute for i in xs]))
            m.add(day == _weighted(lits, [cands[i].day_index for i in xs]))
            key = (s.id, k)
            self.derived.append((start, lambda p, key=key: p[key][0].minute))
            self.derived.append((day, lambda p, key=key: p[key][0].day_index))
            if self.relax:
                for i, v in xs.items():
                    if not cands[i].in_window:
                        self._forbid([v], window)
                    if not cands[i].spaced:
                        self._forbid([v], spacing)
            sv.x.append(xs)
            sv.start.append(start)
            sv.day.append(day)
        for k in range(n - 1):
            m.add(sv.start[k + 1] >= sv.start[k] + duration)
            if s.min_spacing_days > 0:
                ct = m.add(sv.day[k + 1] - sv.day[k] >= s.min_spacing_days)
                if spacing is not None:
                    ct.only_enforce_if(spacing)
        self._add_venues(sv)
        self._add_hosts(sv)

    def _used_candidates(self, sv: SeriesVars) -> list[int]:
        return sorted(set().union(*(xs.keys() for xs in sv.x)))

    def _add_venues(self, sv: SeriesVars) -> None:
        m, s = self.model, sv.s
        if self.relax:
            venues = list(self.inst.venues)
        else:
            venues, sv.pruned_venues = cd.shortlist_venues(self.inst, s, self.venue_limit)
        sv.venues = venues
        capacity, free = self.group(s, "capacity"), self.group(s, "venues_free")
        used = self._used_candidates(sv)
        blocked = {}
        for v in venues:
            cal = cd.VenueCalendar(v)
            blocked[v.id] = {i for i in used if not cal.free(sv.cands[i])}
        for k in range(sv.n):
            zs = {v.id: m.new_bool_var(f"z_{s.id}_{k}_{v.id}") for v in venues}
            if not zs:
                m.add_bool_or([])  # no venue fits: infeasible
            else:
                m.add_exactly_one(zs.values())
            for v in venues:
                if self.relax and not cd.venue_fits(s, v):
                    self._forbid([zs[v.id]], capacity)
                bad = blocked[v.id] & sv.x[k].keys()
                if bad and len(bad) == len(sv.x[k]) and free is None:
                    m.add(zs[v.id] == 0)
                    continue
                for i in sorted(bad):
                    self._forbid([sv.x[k][i], zs[v.id]], free)
            sv.z.append(zs)

    def _add_hosts(self, sv: SeriesVars) -> None:
        m, s = self.model, sv.s
        apps = cd.applicants(self.inst, s)
        if not self.relax:
            apps = [a for a in apps if cd.remaining(s, a.host_id) > 0]
        sv.apps = apps
        quota, free = self.group(s, "host_quota"), self.group(s, "hosts_free")
        used = self._used_candidates(sv)
        blocked = {}
        for a in apps:
            cal = self._calendars[(s.id, a.host_id)]
            blocked[a.host_id] = {i for i in used if not cal.free(sv.cands[i])}
        for k in range(sv.n):
            ws = {a.host_id: m.new_bool_var(f"w_{s.id}_{k}_{a.host_id}") for a in apps}
            if not ws:
                m.add_bool_or([])
            else:
                m.add_exactly_one(ws.values())
            for a in apps:
                bad = blocked[a.host_id] & sv.x[k].keys()
                if bad and len(bad) == len(sv.x[k]) and free is None:
                    m.add(ws[a.host_id] == 0)
                    continue
                for i in sorted(bad):
                    self._forbid([sv.x[k][i], ws[a.host_id]], free)
            sv.w.append(ws)
        for a in apps:
            ct = m.add(sum(ws[a.host_id] for ws in sv.w) <= cd.remaining(s, a.host_id))
            if quota is not None:
                ct.only_enforce_if(quota)
        # Implied by the above, but stated so that a shortage is seen at once.
        if sum(min(sv.n, cd.remaining(s, a.host_id)) for a in apps) < sv.n:
            if quota is None:
                self.impossible = True
            else:
                m.add_bool_or([quota.negated()])

    # --- what series share ----------------------------------------------------------------

    def _add_shared_resources(self) -> None:
        """No-overlap per venue, host and speaker, over the sessions that could meet there at
        the same time: sessions of series whose times of day never overlap (a morning
        lecture and an afternoon forum), or whose dates never meet, need no interval."""
        m = self.model
        by_venue, by_host, by_speaker = defaultdict(list), defaultdict(list), defaultdict(list)
        buffers = {v.id: v.buffer_minutes for v in self.inst.venues}
        for sv in self.series:
            s = sv.s
            venues_free, hosts_free = self.group(s, "venues_free"), self.group(s, "hosts_free")
            for k in range(sv.n):
                for vid, z in sv.z[k].items():
                    by_venue[vid].append((sv, k, z, venues_free))
                for a in sv.apps:
                    w = sv.w[k][a.host_id]
                    by_host[a.host_id].append((sv, k, w, hosts_free))
                    for person in a.speaker_ids:
                        by_speaker[person].append((sv, k, w, hosts_free))
        days = {
            (id(sv), k): {sv.cands[i].day_index for i in sv.x[k]}
            for sv in self.series
            for k in range(sv.n)
        }
        for group, padded in ((by_venue, True), (by_host, False), (by_speaker, False)):
            for key, items in group.items():
                pad = buffers.get(key, 0) if padded else 0
                needed = self._may_meet(items, days, pad)
                if len(needed) < 2:
                    continue
                intervals = [
                    m.new_optional_fixed_size_interval_var(
                        sv.start[k], sv.s.duration_minutes + pad, self._presence(lit, guard), ""
                    )
                    for sv, k, lit, guard in needed
                ]
                m.add_no_overlap(intervals)
                self.intervals += len(intervals)

    def _may_meet(self, items: list, days: dict, pad: int) -> list:
        """The items (series, session, literal, guard) of one resource that may overlap
        another item in time: another series with overlapping times of day on a common
        date, or the same series when two of its time slots overlap (with the pad)."""
        by_series = defaultdict(list)
        for item in items:
            by_series[id(item[0])].append(item)
        if len(by_series) < 2 and not any(self._self_overlap(it[0], pad) for it in items[:1]):
            return []
        series = {sid: its[0][0] for sid, its in by_series.items()}
        all_days = {sid: set().union(*(days[(id(it[0]), it[1])] for it in its))
                    for sid, its in by_series.items()}  # fmt: skip
        needed = []
        for sid, its in by_series.items():
            partners = [
                other
                for other in by_series
                if (other != sid and self._times_overlap(series[sid], series[other], pad))
                or (other == sid and self._self_overlap(series[sid], pad))
            ]
            if not partners:
                continue
            near = set().union(*(all_days[o] for o in partners))
            near |= {d - 1 for d in near} | {d + 1 for d in near}  # sessions past midnight
            needed += [it for it in its if days[(id(it[0]), it[1])] & near]
        return needed

    def _windows(self, sv: SeriesVars, pad: int) -> list[tuple[int, int]]:
        """The series' (start, end) times of day in minutes, end padded."""
        if not sv.times:
            sv.times = sorted({_minute_of_day(c.start.astimezone(self.inst.tz)) for c in sv.cands})
        return [(a, a + sv.s.duration_minutes + pad) for a in sv.times]

    def _times_overlap(self, a: SeriesVars, b: SeriesVars, pad: int) -> bool:
        for s1, e1 in self._windows(a, pad):
            for s2, e2 in self._windows(b, pad):
                # Times of day; a window past midnight overlaps the next morning too.
                if (
                    (s1 < e2 and s2 < e1)
                    or (e1 > 1440 and s2 < e1 - 1440)
                    or (e2 > 1440 and s1 < e2 - 1440)
                ):
                    return True
        return False

    def _self_overlap(self, sv: SeriesVars, pad: int) -> bool:
        if sv.s.min_spacing_days > 0:
            return False
        windows = self._windows(sv, pad)
        return any(s1 < s2 < e1 for i, (s1, e1) in enumerate(windows) for s2, _ in windows[i + 1 :])

    def _add_pins(self) -> None:
        m = self.model
        by_id = {sv.s.id: sv for sv in self.series}
        per_session = defaultdict(list)
        for j, pin in enumerate(self.inst.pins):
            sv = by_id.get(pin.series_id)
            if sv is None:
                continue
            guard = None
            if self.relax:
                guard = self.assumptions.setdefault(("pin", j), m.new_bool_var(f"assume_pin_{j}"))
            index = next((i for i, c in enumerate(sv.cands) if c.start == pin.start), None)
            choices = {}
            for k in range(sv.n):
                needs = []
                if pin.start is not None:
                    if index not in sv.x[k]:
                        continue
                    needs.append(sv.x[k][index])
                if pin.host_id is not None:
                    if pin.host_id not in sv.w[k]:
                        continue
                    needs.append(sv.w[k][pin.host_id])
                if pin.venue_id is not None:
                    if pin.venue_id not in sv.z[k]:
                        continue
                    needs.append(sv.z[k][pin.venue_id])
                chosen = m.new_bool_var(f"pin_{j}_{k}")
                m.add_bool_and(needs).only_enforce_if(chosen)
                self.derived.append(
                    (
                        chosen,
                        lambda p, key=(sv.s.id, k), pin=pin: int(
                            (pin.start is None or p[key][0].start == pin.start)
                            and (pin.host_id is None or p[key][2] == pin.host_id)
                            and (pin.venue_id is None or p[key][1] == pin.venue_id)
                        ),
                    )
                )
                choices[k] = chosen
                per_session[(sv.s.id, k)].append(chosen)
            ct = m.add(sum(choices.values()) == 1)
            if guard is not None:
                ct.only_enforce_if(guard)
            self.pins.append((j, choices))
        for literals in per_session.values():
            m.add_at_most_one(literals)

    def _add_incumbents(self) -> None:
        """Accepted sessions: a penalty unless a session keeps their date (``move``), and
        another unless it keeps date, venue and host (``change``)."""
        m, w = self.model, self.inst.weights
        by_id = {sv.s.id: sv for sv in self.series}
        for inc in self.inst.incumbents:
            sv = by_id.get(inc.series_id)
            if sv is None:
                continue
            index = next((i for i, c in enumerate(sv.cands) if c.start == inc.start), None)
            same_date, same_all = [], []
            for k in range(sv.n):
                if index not in sv.x[k]:
                    continue
                x = sv.x[k][index]
                same_date.append(x)
                z, h = sv.z[k].get(inc.venue_id), sv.w[k].get(inc.host_id)
                if z is None or h is None:
                    continue
                kept = m.new_bool_var("")
                m.add_bool_and([x, z, h]).only_enforce_if(kept)
                same_all.append(kept)
                self.derived.append(
                    (
                        kept,
                        lambda p, key=(sv.s.id, k), inc=inc: int(
                            (p[key][0].start, p[key][1], p[key][2])
                            == (inc.start, inc.venue_id, inc.host_id)
                        ),
                    )
                )
            self.objective_constant += w.move + w.change
            self.objective_terms += [(-w.move, lit) for lit in same_date]
            self.objective_terms += [(-w.change, lit) for lit in same_all]
            self.incumbent_terms.append((inc, same_date, same_all))

    # --- the soft goals -------------------------------------------------------------------

    def _add_objective(self) -> None:
        m, wt = self.model, self.inst.weights
        terms = self.objective_terms
        for sv in self.series:
            s = sv.s
            venue_costs = {v.id: sum(cd.venue_cost(self.inst, s, v).values()) for v in sv.venues}
            venue_city = {v.id: v.city for v in sv.venues}
            for k in range(sv.n):
                xs, zs, ws = sv.x[k], sv.z[k], sv.w[k]
                for i, v in xs.items():
                    # The date's own cost, and its distance from the evenly spread date.
                    cost = sv.cands[i].cost
                    if sv.ideal:
                        cost += wt.spread * abs(sv.cands[i].day_index - sv.ideal[k])
                    if cost:
                        terms.append((cost, v))
                terms += [(venue_costs[vid], z) for vid, z in zs.items() if venue_costs[vid]]
                months = defaultdict(list)
                days = defaultdict(list)
                for i, v in xs.items():
                    months[sv.cands[i].day.month].append(v)
                    days[sv.cands[i].day].append(v)
                for a in sv.apps:
                    h = ws[a.host_id]
                    if a.host_id in s.hosted_last_year and wt.last_year and not s.fixed_host:
                        terms.append((wt.last_year, h))
                    for wanted, index, weight in (
                        (a.preferred_months, months, wt.month_preference),
                        (a.preferred_dates, days, wt.date_preference),
                    ):
                        if not wanted or not weight:
                            continue
                        hits = [v for key in wanted for v in index.get(key, ())]
                        missed = m.new_bool_var("")
                        m.add(missed >= h - sum(hits))
                        terms.append((weight, missed))
                        self.derived.append(
                            (
                                missed,
                                partial(_missed, (s.id, k), a.host_id, wanted, index is months),
                            )
                        )
                if wt.city:
                    self._city_term(sv, k, venue_city)
            if wt.fairness and not s.fixed_host:
                for a in sv.apps:
                    free = 0 if s.host_counts.get(a.host_id, 0) else 1
                    extra = m.new_int_var(0, sv.n, "")
                    m.add(extra >= sum(ws[a.host_id] for ws in sv.w) - free)
                    terms.append((wt.fairness, extra))
                    self.derived.append(
                        (
                            extra,
                            lambda p, sid=s.id, n=sv.n, hid=a.host_id, free=free: max(
                                0, sum(1 for k in range(n) if p[(sid, k)][2] == hid) - free
                            ),
                        )
                    )
        if wt.rotation:
            for sv in self.series:
                if not sv.s.fixed_host:
                    self._rotation_terms(sv)
        objective = _weighted([v for _c, v in terms], [c for c, _v in terms])
        m.minimize(objective + self.objective_constant)

    def _rotation_terms(self, sv: SeriesVars) -> None:
        """Fair rotation: while an applicant waits (no session this year), every second
        session of a host counts a violation; while an applicant that did not host last year
        waits, every session of last year's hosts does (see ``score.rotation_breaches``)."""
        m, s, n = self.model, sv.s, sv.n
        planned = {a.host_id: sum(ws[a.host_id] for ws in sv.w) for a in sv.apps}
        waiting = [a.host_id for a in sv.apps if not s.host_counts.get(a.host_id, 0)]
        fresh = [h for h in waiting if h not in s.hosted_last_year]
        old = [a.host_id for a in sv.apps if a.host_id in s.hosted_last_year]
        key = s.id
        for hosts, extra, name in (
            (waiting, self._second_sessions(sv, planned), "again"),
            (fresh, sum(planned[h] for h in old), "last_year"),
        ):
            if not hosts or isinstance(extra, int):
                continue
            waits = m.new_bool_var(f"waits_{key}_{name}")
            for h in hosts:
                m.add(waits >= 1 - planned[h])
            breach = m.new_int_var(0, n, f"rotation_{key}_{name}")
            m.add(breach >= extra - n * (1 - waits))
            self.objective_terms.append((self.inst.weights.rotation, breach))
            self.derived.append((waits, partial(_waits, key, n, hosts)))
            self.derived.append((breach, partial(_breach, key, n, hosts, name, s.host_counts, old)))

    def _second_sessions(self, sv: SeriesVars, planned: dict):
        """The planned sessions beyond each host's first of the year (a linear sum)."""
        out = 0
        for a in sv.apps:
            free = 0 if sv.s.host_counts.get(a.host_id, 0) else 1
            if sv.n <= free:
                continue
            extra = self.model.new_int_var(0, sv.n, "")
            self.model.add(extra >= planned[a.host_id] - free)
            self.derived.append((extra, partial(_extra, sv.s.id, sv.n, a.host_id, free)))
            out = extra + out
        return out

    def _city_term(self, sv: SeriesVars, k: int, venue_city: dict) -> None:
        """1 when the session's venue is not in its host's city (hosts without a city: 0),
        as a sum over cities of max(0, host there - venue there): the tightest linear form
        of the product, so the bound stays useful."""
        m = self.model
        by_city = defaultdict(list)
        for a in sv.apps:
            city = self._hosts[a.host_id].city if a.host_id in self._hosts else ""
            if city:
                by_city[city].append(sv.w[k][a.host_id])
        for city, hosts in by_city.items():
            away = m.new_bool_var("")
            here = [z for vid, z in sv.z[k].items() if venue_city[vid] == city]
            m.add(away >= sum(hosts) - sum(here))
            self.objective_terms.append((self.inst.weights.city, away))
            self.derived.append(
                (away, partial(_away, (sv.s.id, k), city, self._host_cities, venue_city))
            )

    # --- reading a solution ---------------------------------------------------------------

    def hint(self, assignments: list[Assignment]) -> bool:
        """Start the search from a known plan (the careful greedy one). Every variable gets
        a value, so the solver can take the plan as its first solution at once. Returns
        False (no hint given) when the plan does not cover every session."""
        per_series = defaultdict(list)
        for a in sorted(assignments, key=lambda a: a.start):
            per_series[a.series_id].append(a)
        plan = {}
        for sv in self.series:
            items = per_series.get(sv.s.id, [])
            if len(items) != sv.n:
                return False
            index = {c.start: i for i, c in enumerate(sv.cands)}
            for k, a in enumerate(items):
                i = index.get(a.start)
                if i not in sv.x[k] or a.venue_id not in sv.z[k] or a.host_id not in sv.w[k]:
                    return False
                plan[(sv.s.id, k)] = (sv.cands[i], a.venue_id, a.host_id, i)
        for sv in self.series:
            for k in range(sv.n):
                _cand, vid, hid, i = plan[(sv.s.id, k)]
                for j, v in sv.x[k].items():
                    self.model.add_hint(v, j == i)
                for key, v in sv.z[k].items():
                    self.model.add_hint(v, key == vid)
                for key, v in sv.w[k].items():
                    self.model.add_hint(v, key == hid)
        for var, value in self.derived:
            self.model.add_hint(var, value(plan))
        return True

    def read(self, solver: cp_model.CpSolver) -> list[Assignment]:
        """The sessions of the solution, by series and date (explanations come later)."""
        out = []
        pinned = {}
        for j, choices in self.pins:
            for k, lit in choices.items():
                if solver.boolean_value(lit):
                    pinned[(self.inst.pins[j].series_id, k)] = self.inst.pins[j]
        for sv in self.series:
            for k in range(sv.n):
                i = next(i for i, v in sv.x[k].items() if solver.boolean_value(v))
                vid = next(vid for vid, v in sv.z[k].items() if solver.boolean_value(v))
                hid = next(hid for hid, v in sv.w[k].items() if solver.boolean_value(v))
                pin = pinned.get((sv.s.id, k))
                c = sv.cands[i]
                out.append(
                    Assignment(
                        series_id=sv.s.id,
                        position=k + 1,
                        start=c.start,
                        end=c.end,
                        venue_id=vid,
                        host_id=hid,
                        pinned_date=bool(pin and pin.start is not None),
                        pinned_host=bool(pin and pin.host_id is not None),
                        pinned_venue=bool(pin and pin.venue_id is not None),
                    )
                )
        return out
