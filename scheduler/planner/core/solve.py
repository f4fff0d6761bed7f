"""Solve a year plan: check the input, build the model, run CP-SAT deterministically,
read the sessions and explain each of them (or explain why there is no plan).

Determinism: one worker (CP-SAT's sequential search is deterministic; on this model its
LP-heavy search also proves optimality sooner than two interleaved workers), a fixed seed
and a *deterministic* time budget, so the same input gives the same plan on any machine.
The wall-clock limit is a safety net; a plan records which limit stopped the search.

A first plan at once: a greedy plan made inside the model's candidates is a complete hint,
taken first by a short search without presolve (``_first_plan``).
Explanations: counted first (``counts.py``, in ``prepare``), the solver's cores only for
the rest, within ``EXPLAIN_SHARE`` of the time limit.
"""

import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from ortools.sat.python import cp_model

from . import candidates as cd
from . import counts, greedy
from .explain import explain
from .model import PlanModel
from .rotation import rotation_notes
from .score import score, total
from .types import (
    DEFAULT_SEED,
    DEFAULT_TIME_LIMIT,
    Assignment,
    Instance,
    PlanInputError,
    Reason,
    Result,
    SeriesFacts,
)

WORKERS = 1
# The deterministic budget is the time limit times this, so that the deterministic budget,
# not the wall clock, ends the search (and the same input gives the same plan). Measured
# with bench/planner.py on the shared 2-core machine: 0.02-0.07 deterministic seconds per
# wall second under a load of 6-15, about 0.1 under a load of 3. The province and the 4x
# province are proven optimal after 2.9 and 2.75: a 30 s limit gives 3.
DETERMINISTIC_PER_SECOND = 0.1
# The search gets this many wall seconds even when building the model used up the time
# limit (a very busy machine): its first plan, the greedy hint, comes within a second.
MIN_SEARCH = 2.0
# Explaining "no plan" (after the counts of prepare) may take this share of the limit.
EXPLAIN_SHARE = 0.2
MAX_REASONS_PER_SESSION = 4
MAX_DATES_NOTED = 12


def required_sessions(inst: Instance, s: SeriesFacts) -> int:
    """The fewest sessions a plan of ``s`` may have: what its minimum still needs, and at
    least its accepted sessions and one."""
    incumbents = sum(1 for i in inst.incumbents if i.series_id == s.id)
    return max(0, s.target_min - len(s.existing), incumbents, 1)


def not_planned(s: SeriesFacts, why: list[Reason]) -> Reason:
    """The note for a series left out of a partial plan, with its reasons."""
    return Reason("not_planned", {"series": s.name, "why": [r.to_json() for r in why]}, s.id)


def prepare(inst: Instance) -> tuple[Instance, list[Reason], list[Reason]]:
    """The instance with each series' number of sessions fitted to what its dates, its
    applicants, venues and hosts can hold (``counts.py``), notes saying so, and the reasons
    of the series the counts leave below their minimum. A series that cannot be planned is
    left out with a ``not_planned`` note while others remain; when none remains, the
    counted reasons are the answer (no plan); PlanInputError when nothing is left to plan
    for reasons of input (nobody applied, too many sessions for the year) or bad pins."""
    skipped, notes, series, short = [], [], [], []
    apps = defaultdict(list)
    for a in inst.applications:
        apps[a.series_id].append(a)
    venues = {v.id: v for v in inst.venues}
    for s in inst.series:
        if s.existing:
            notes.append(_existing_note(inst, s))
        if s.sessions <= 0:
            notes.append(Reason("series_full", {"series": s.name, "target": s.target_max}, s.id))
            series.append(s)
            continue
        if not apps[s.id]:
            skipped.append((s, Reason("no_applicants", {"series": s.name}, s.id)))
            continue
        fit = cd.max_sessions(cd.series_candidates(inst, s), s)
        need = required_sessions(inst, s)
        if fit < need:
            params = {"series": s.name, "needed": need, "fit": fit,
                      "spacing": s.min_spacing_days, "year": inst.year}  # fmt: skip
            skipped.append((s, Reason("too_many", params, s.id)))
            continue
        fitted = _fitted(s, fit, need, apps[s.id], notes)
        most, why = counts.shortfall(inst, fitted)
        if why and most < need:  # said for its minimum, the least it may have
            short.append((s, counts.shortfall(inst, replace(fitted, sessions=need))[1]))
            continue
        if why:
            notes.append(_fewer_counted(s, most, fitted.sessions, why))
            fitted = replace(fitted, sessions=most)
        series.append(fitted)
    series = _share_halls(inst, series, short, notes)
    problems = _pin_problems(inst, {s.id: s for s in inst.series}, apps, venues)
    if any(s.sessions > 0 for s in series) or short:
        notes += [not_planned(s, [r]) for s, r in skipped]
    else:
        problems = [r for _s, r in skipped] + problems
    if not problems and not any(s.sessions > 0 for s in series) and not short:
        problems.append(Reason("nothing_to_plan", {"year": inst.year}))
    if problems:
        raise PlanInputError(problems)
    if any(s.sessions > 0 for s in series):
        notes += [not_planned(s, why) for s, why in short]
        return replace(inst, series=tuple(series)), notes, []
    return replace(inst, series=tuple(series)), notes, [r for _s, why in short for r in why]


def _fewer_counted(s: SeriesFacts, most: int, target: int, why: list[Reason]) -> Reason:
    params = {"series": s.name, "planned": most, "target": target,
              "why": [r.to_json() for r in why]}  # fmt: skip
    return Reason("fewer_counted", params, s.id)


def _share_halls(inst: Instance, series: list, short: list, notes: list) -> list:
    """Series that only the same few halls hold, counted in pairs: the later of a pair
    gets what the halls have left after the earlier, or is left out below its minimum."""
    out = list(series)
    for j in range(len(out)):
        for i in range(j):
            a, b = out[i], out[j]
            if a.sessions <= 0 or b.sessions <= 0:
                continue
            found = counts.shared_halls(inst, a, b)
            if found is None:
                continue
            room, why = found
            left = max(0, room - a.sessions)
            if left < min(required_sessions(inst, b), b.sessions):
                short.append((b, [why]))
                out[j] = replace(b, sessions=0)
            else:
                notes.append(_fewer_counted(b, left, b.sessions, [why]))
                out[j] = replace(b, sessions=left)
    return [s for s in out if s.sessions > 0 or s.id not in {x.id for x, _ in short}]


def _existing_note(inst: Instance, s: SeriesFacts) -> Reason:
    """Which events already on the calendar (or drafted) the plan of ``s`` counted."""
    days = [start.astimezone(inst.tz).strftime("%Y-%m-%d") for start, _end in s.existing]
    shown = ", ".join(days[:MAX_DATES_NOTED]) + (" …" if len(days) > MAX_DATES_NOTED else "")
    params = {"series": s.name, "count": len(days), "dates": shown}
    return Reason("existing_counted", params, s.id)


def _fitted(s: SeriesFacts, fit: int, need: int, apps: list, notes: list) -> SeriesFacts:
    """``s`` with no more sessions than fit on its dates or its applicants may host (but
    never fewer than its minimum: then the solver says why there is no plan)."""
    planned = min(s.sessions, fit)
    if planned < s.sessions:
        params = {"series": s.name, "planned": planned, "target": s.sessions}
        notes.append(Reason("fewer_sessions", params, s.id))
    hostable = sum(cd.remaining(s, a.host_id) for a in apps)
    if need <= hostable < planned:
        params = {"series": s.name, "planned": hostable, "target": s.sessions,
                  "applicants": len(apps), "max": s.max_per_host}  # fmt: skip
        notes.append(Reason("fewer_hosts", params, s.id))
        planned = hostable
    return replace(s, sessions=planned)


def _pin_problems(inst, series, apps, venues) -> list[Reason]:
    out = []
    for pin in inst.pins:
        s = series.get(pin.series_id)
        if s is None:
            continue
        if pin.start is not None and pin.start.astimezone(inst.tz).year != inst.year:
            out.append(Reason("pin_outside_year", {"series": s.name, "year": inst.year}, s.id))
        if pin.host_id is not None and all(a.host_id != pin.host_id for a in apps[s.id]):
            out.append(Reason("pin_host_not_applicant", {"series": s.name}, s.id))
        elif pin.host_id is not None and cd.remaining(s, pin.host_id) <= 0:
            out.append(Reason("pin_host_quota", {"series": s.name, "max": s.max_per_host}, s.id))
        venue = venues.get(pin.venue_id)
        if pin.venue_id is not None and (venue is None or not cd.venue_fits(s, venue)):
            out.append(
                Reason(
                    "pin_venue_unfit",
                    {
                        "series": s.name,
                        "venue": venue.name if venue else str(pin.venue_id),
                        "people": s.expected_attendance,
                        "city": s.city,
                    },
                    s.id,
                )
            )
    return out


def _parameters(
    solver: cp_model.CpSolver, seconds: float, wall: float, seed: int, workers: int
) -> float:
    """Set the search parameters: a deterministic budget worth ``seconds`` (from the time
    limit only, never from the time left, so that the machine's load cannot change it) and
    ``wall`` seconds of wall clock as a safety net. Returns the deterministic budget."""
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers
    p.interleave_search = workers > 1
    # The LP of every constraint (assignment-like rows) gives tight bounds at once; the
    # probing presolve would spend the budget on millions of implied clauses.
    p.linearization_level = 2
    p.cp_model_probing_level = 0
    # The presolve stays: without it the province (bench/planner.py) stalls at a 64 % gap
    # after 3 deterministic s, with it both the province and the 4x province are proven
    # optimal within 3. It costs wall clock that is not counted as deterministic time, so
    # on a busy machine the first plan comes from _first_plan, which skips it.
    budget = max(0.05, seconds * DETERMINISTIC_PER_SECOND)
    p.max_deterministic_time = budget
    p.max_time_in_seconds = wall
    return budget


def solve(
    inst: Instance,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = DEFAULT_SEED,
    workers: int = WORKERS,
    wall_limit: float | None = None,
) -> Result:
    """The best plan found within the time limit, or why there is none. When the series
    cannot all be planned together, each is fitted alone (fewer sessions, down to its
    minimum, or left out with its reasons) and the rest is planned: a partial plan.
    ``wall_limit``: the wall-clock safety net when not the time limit (the benchmark
    measures the deterministic search alone with a longer one)."""
    began = time.perf_counter()
    deadline = began + (wall_limit or time_limit)
    inst, notes, counted = prepare(inst)
    explaining = time.perf_counter() - began  # the counts are most of prepare
    if counted:
        result = Result(status="infeasible", notes=notes, reasons=counted)
        result.wall_seconds = time.perf_counter() - began
        result.stats = {"stopped_by": "proof", "explain_seconds": round(explaining, 3)}
        return result
    pm, status, solver, stopped = _search(inst, time_limit, deadline, seed, workers)
    reasons, budget = [], Budget(time_limit, deadline)
    if status == "infeasible":
        inst, fitted = _plannable_part(inst, budget, seed, workers)
        if any(s.sessions > 0 for s in inst.series):
            notes += fitted
            pm, status, solver, stopped = _search(inst, time_limit, deadline, seed, workers)
        else:
            reasons = [Reason(**why) for n in fitted for why in n.params.get("why", ())]
    result = Result(status=status, notes=notes, stats=pm.stats)
    if status in ("optimal", "feasible"):
        _read_plan(inst, pm, solver, result)
    elif status == "infeasible":
        result.reasons = reasons or explain(inst, budget.left(), seed, budget.step)
    elif status == "invalid":
        raise RuntimeError(pm.model.Validate())
    else:
        result.reasons = [Reason("timeout", {"seconds": round(time_limit)})]
    result.wall_seconds = time.perf_counter() - began
    first_at = pm.stats.pop("first_plan_at", None)
    result.stats = {
        **pm.stats,
        "first_plan_seconds": round(first_at - began, 3) if first_at else None,
        "stopped_by": stopped,
        "deterministic_seconds": round(solver.deterministic_time, 3) if solver else 0.0,
        "solver_objective": round(solver.ObjectiveValue()) if result.found else None,
        "explain_seconds": round(explaining + budget.spent(), 3),
    }
    if stopped == "wall clock":
        result.notes.append(Reason("wall_clock_stop", {"seconds": round(time_limit)}))
    return result


def _read_plan(inst: Instance, pm: PlanModel, solver: cp_model.CpSolver, result: Result):
    """The plan's sessions, explained, with its own score as the objective (not the
    solver's: before optimality its auxiliary penalty variables may sit above the cost)."""
    assignments = match_incumbents(inst, pm.read(solver))
    result.assignments = describe(inst, assignments)
    result.score = score(inst, result.assignments)
    result.objective = total(result.score)
    result.best_bound = min(solver.BestObjectiveBound(), result.objective)
    result.gap = _gap(result.objective, result.best_bound)
    result.notes += rotation_notes(inst, result.assignments, result.status == "optimal")


def _search(
    inst: Instance, seconds: float, deadline: float, seed: int, workers: int, least=MIN_SEARCH
):
    """Build and solve the model with a deterministic budget worth ``seconds`` (and the
    wall clock up to ``deadline``, but ``least`` seconds at least, so that a slow build on a
    busy machine still leaves the search time to take its hint as a first plan): (model,
    status, solver, what stopped the search)."""
    limit = inst.venue_shortlist
    while True:
        pm = PlanModel(inst, venue_limit=limit)
        status, solver, stopped = "infeasible", None, "proof"
        if not pm.impossible:
            pm.stats["hint"] = _hint(inst, pm)
            quick = _first_plan(pm, max(least, deadline - time.perf_counter()), seed)
            solver = cp_model.CpSolver()
            left = max(least, deadline - time.perf_counter())
            budget = _parameters(solver, seconds, left, seed, workers)
            began = time.perf_counter()
            code = solver.Solve(pm.model)
            pm.stats["search_seconds"] = round(time.perf_counter() - began, 3)
            stopped = _stopped_by(code, solver, budget)
            if code == cp_model.UNKNOWN and quick is not None:
                code, solver = cp_model.FEASIBLE, quick  # the first plan stands
            status = {
                cp_model.OPTIMAL: "optimal",
                cp_model.FEASIBLE: "feasible",
                cp_model.INFEASIBLE: "infeasible",
                cp_model.MODEL_INVALID: "invalid",
            }.get(code, "unknown")
        # A shortlist of venues may be what made it infeasible: confirm with every venue.
        if status == "infeasible" and pm.stats["pruned_venues"] and limit is not None:
            limit = None
            continue
        return pm, status, solver, stopped


def _hint(inst: Instance, pm: PlanModel) -> str:
    """Give the model a greedy plan made inside its own candidates (venue shortlists, the
    dates each session may take) as a complete hint, so that it has a plan at once: the
    careful plan, else the earliest one. Returns which one, or "" when neither is whole."""
    venues = {sv.s.id: sv.venues for sv in pm.series}
    for name, plan in (("careful", greedy.careful), ("earliest", greedy.earliest)):
        if pm.hint(plan(inst, venues)):
            return name
    return ""


def _first_plan(pm: PlanModel, wall: float, seed: int) -> cp_model.CpSolver | None:
    """The first plan, at once: the hinted greedy plan taken by a search without presolve
    that stops at its first solution (the full search's presolve may take seconds of wall
    clock on a busy machine; when the wall clock stops it there, this plan stands). None
    without a complete hint or when the hint is not a plan (a pin it ignores)."""
    if not pm.stats.get("hint"):
        return None
    solver = cp_model.CpSolver()
    _parameters(solver, 1.0, wall, seed, 1)
    solver.parameters.cp_model_presolve = False
    solver.parameters.stop_after_first_solution = True
    began = time.perf_counter()
    code = solver.Solve(pm.model)
    if code not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return None
    pm.stats["first_plan_at"] = time.perf_counter()
    pm.stats["first_plan_in_search"] = round(time.perf_counter() - began, 3)
    return solver


class Budget:
    """What explaining may spend: EXPLAIN_SHARE of the time limit in wall clock from the
    moment the first explanation starts, never past the run's deadline, and a
    deterministic budget per solver step from the time limit alone (same input, same
    explanation)."""

    def __init__(self, time_limit: float, deadline: float):
        self.time_limit, self.deadline = time_limit, deadline
        self.began: float | None = None
        # Even a small relaxed model takes about 0.06 deterministic s per solve.
        self.step = max(0.25, time_limit * EXPLAIN_SHARE * DETERMINISTIC_PER_SECOND)

    def left(self) -> float:
        """Wall seconds left to explain; the clock starts at the first call."""
        if self.began is None:
            self.began = time.perf_counter()
        until = min(self.deadline, self.began + self.time_limit * EXPLAIN_SHARE)
        return max(0.0, until - time.perf_counter())

    def spent(self) -> float:
        return 0.0 if self.began is None else time.perf_counter() - self.began


def _plannable_part(inst: Instance, budget: Budget, seed: int, workers: int):
    """Each series fitted on its own: the most sessions (between its minimum and what was
    asked) it can have, or left out with the reasons. Returns the instance and notes."""
    series, notes = [], []
    seconds = budget.time_limit
    for left, s in enumerate(reversed(inst.series), start=1):
        if s.sessions <= 0:
            series.insert(0, s)
            continue
        need = min(required_sessions(inst, s), s.sessions)
        most = _most_sessions(inst, s, need, (seconds / 8, budget.deadline), seed, workers)
        if most is None:
            least = replace(s, sessions=need)
            alone = replace(inst, series=(least,))
            share = budget.left() / left
            why = counts.shortfall(alone, least)[1] or explain(alone, share, seed, budget.step)
            notes.insert(0, not_planned(s, why))
            continue
        if most < s.sessions:
            params = {"series": s.name, "planned": most, "target": s.sessions}
            notes.insert(0, Reason("fewer_possible", params, s.id))
        series.insert(0, replace(s, sessions=most))
    return replace(inst, series=tuple(series)), notes


def _most_sessions(inst, s: SeriesFacts, need: int, limits, seed, workers) -> int | None:
    """The most sessions of ``s`` alone that have a plan (binary search down to ``need``);
    None when not even ``need`` have. A search stopped by its limit counts as a plan.
    ``limits``: (seconds of deterministic budget per search, wall-clock deadline)."""
    seconds, deadline = limits

    def fits(n: int) -> bool:
        alone = replace(inst, series=(replace(s, sessions=n),))
        return _search(alone, seconds, deadline, seed, workers, 0.5)[1] != "infeasible"

    if fits(s.sessions):
        return s.sessions
    if need >= s.sessions or not fits(need):
        return None
    lo, hi = need, s.sessions - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def _stopped_by(code, solver: cp_model.CpSolver, budget: float) -> str:
    """proof (optimal or infeasible: the same answer every time), deterministic budget (the
    same answer every time), or wall clock (the machine was too slow: may differ)."""
    if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return "proof"
    return "deterministic budget" if solver.deterministic_time >= 0.99 * budget else "wall clock"


def _gap(objective: float, bound: float) -> float:
    if objective == bound:
        return 0.0
    return abs(objective - bound) / max(1.0, abs(objective))


def match_incumbents(inst: Instance, assignments: list[Assignment]) -> list[Assignment]:
    """Pair each accepted session with the planned session that keeps or replaces it:
    exact matches first, then the same date, then the nearest date."""
    out = list(assignments)
    for s in inst.series:
        mine = [i for i, a in enumerate(out) if a.series_id == s.id]
        left = [inc for inc in inst.incumbents if inc.series_id == s.id]
        for same in (
            lambda a, inc: (
                (a.start, a.venue_id, a.host_id) == (inc.start, inc.venue_id, inc.host_id)
            ),
            lambda a, inc: a.start == inc.start,
        ):
            for inc in list(left):
                i = next((i for i in mine if same(out[i], inc)), None)
                if i is not None:
                    out[i] = replace(out[i], incumbent=inc)
                    mine.remove(i)
                    left.remove(inc)
        for inc in sorted(left, key=lambda inc: inc.start):
            if not mine:
                break
            i = min(mine, key=lambda i: (abs(out[i].start - inc.start), i))
            out[i] = replace(out[i], incumbent=inc)
            mine.remove(i)
    return out


def describe(inst: Instance, assignments: list[Assignment]) -> list[Assignment]:
    """Each session with a short explanation of why it is where it is."""
    series = {s.id: s for s in inst.series}
    venues = {v.id: v for v in inst.venues}
    hosts = {h.id: h for h in inst.hosts}
    apps = {(a.series_id, a.host_id): a for a in inst.applications}
    ideals = {s.id: cd.ideal_days(inst, s, cd.series_candidates(inst, s)) for s in inst.series}
    jan1 = date(inst.year, 1, 1)
    out, previous = [], {}
    for a in sorted(assignments, key=lambda a: (a.series_id, a.start)):
        s, venue = series[a.series_id], venues[a.venue_id]
        host = hosts.get(a.host_id)
        host_name = host.name if host else str(a.host_id)
        day = a.start.astimezone(inst.tz).date()
        reasons = []
        pinned = [
            what
            for what, flag in (
                ("date", a.pinned_date),
                ("host", a.pinned_host),
                ("venue", a.pinned_venue),
            )
            if flag
        ]
        if pinned:
            reasons.append(Reason("pinned", {"what": pinned}))
        if a.incumbent is not None:
            if a.change == "kept":
                reasons.append(Reason("kept"))
            else:
                was = a.incumbent.start.astimezone(inst.tz).strftime("%Y-%m-%d %H:%M")
                reasons.append(Reason("moved", {"from": was}))
        app = apps.get((a.series_id, a.host_id))
        if app and app.preferred_dates and day in app.preferred_dates:
            reasons.append(Reason("host_date", {"host": host_name}))
        elif app and app.preferred_months and day.month in app.preferred_months:
            reasons.append(Reason("host_month", {"host": host_name, "month": day.month}))
        elif app and (app.preferred_dates or app.preferred_months):
            reasons.append(Reason("host_wish_missed", {"host": host_name}))
        if s.fixed_host:
            reasons.append(Reason("fixed_host", {"host": host_name}))
        elif a.host_id in s.hosted_last_year:
            reasons.append(Reason("hosted_last_year", {"host": host_name}))
        elif s.hosted_last_year:
            reasons.append(Reason("new_host", {"host": host_name}))
        reasons.append(
            Reason(
                "venue",
                {
                    "venue": venue.name,
                    "capacity": venue.capacity,
                    "expected": s.expected_attendance,
                    "home": bool(host and host.city and host.city == venue.city),
                    "city": venue.city,
                },
            )
        )
        costs = cd.date_costs(inst, s, day)
        if "holiday" in costs:
            name = inst.calendar.days_off.get(day) or inst.calendar.workdays.get(day, "")
            reasons.append(Reason("holiday_unavoidable", {"name": name}))
        elif "weekend" in costs:
            reasons.append(Reason("weekend_unavoidable"))
        ideal = ideals[a.series_id]
        k = previous.get(a.series_id, 0)
        if ideal and k < len(ideal):
            target = jan1 + timedelta(days=ideal[k])
            reasons.append(
                Reason("spread", {"ideal": target.isoformat(), "off": (day - target).days})
            )
        previous[a.series_id] = k + 1
        out.append(replace(a, reasons=tuple(reasons[:MAX_REASONS_PER_SESSION])))
    return out


def as_series(inst: Instance) -> dict[int, SeriesFacts]:
    return {s.id: s for s in inst.series}
