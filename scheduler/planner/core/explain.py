"""Why there is no plan: computed, not guessed.

Each group of hard constraints of a series (its dates, spacing, venue capacity, venue
availability, host quota, host availability) and each pin is guarded by an assumption
literal in a relaxed model (``PlanModel(relax=True)``). CP-SAT returns a set of assumptions
that is already infeasible (``SufficientAssumptionsForInfeasibility``); we shrink it by
dropping one group at a time while it stays infeasible, then say what the remaining groups
mean with the instance's facts. Series are tried alone first (most answers involve one),
then together.
"""

import time

from ortools.sat.python import cp_model

from . import candidates as cd
from . import counts
from .model import PlanModel
from .types import Instance, Reason, SeriesFacts

# Deterministic seconds per solve, so the same input gets the same explanation.
STEP_DETERMINISTIC = 5.0


def explain(
    inst: Instance, seconds: float, seed: int = 1, step: float = STEP_DETERMINISTIC
) -> list[Reason]:
    """Why there is no plan, within ``seconds`` of wall clock and ``step`` deterministic
    seconds per solve. Counts first (``counts.py``), then the solver's cores."""
    deadline = time.perf_counter() + seconds
    out = []
    planned = [s for s in inst.series if s.sessions > 0]
    for s in planned:
        counted = counts.shortfall(inst, s)[1]
        core = None if counted else find_core(inst, [s.id], deadline, seed, step)
        out += counted or (phrase(inst, core) if core else [])
    if out:
        return out
    core = find_core(inst, [s.id for s in planned], deadline, seed, step)
    if core:
        return phrase(inst, core)
    return [Reason("unexplained")]


def find_core(
    inst: Instance, series_ids: list[int], deadline: float, seed: int, step=STEP_DETERMINISTIC
):
    """A small set of assumption keys that cannot hold together, or None (feasible, or no
    answer in time). Keys are (series id, group) or ("pin", index)."""
    pm = PlanModel(inst, series_ids=series_ids, relax=True)
    if pm.impossible:  # fewer dates in the whole year than sessions
        return {(sid, "window") for sid in series_ids}
    by_index = {lit.index: key for key, lit in pm.assumptions.items()}

    def run(keys):
        left = deadline - time.perf_counter()
        if left <= 0.05:
            return None, None
        pm.model.clear_assumptions()
        pm.model.add_assumptions([pm.assumptions[k] for k in keys])
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = 1  # assumptions need one worker
        solver.parameters.symmetry_level = 0
        solver.parameters.cp_model_presolve = False  # it would spend the budget first
        solver.parameters.max_deterministic_time = step
        solver.parameters.max_time_in_seconds = left
        code = solver.Solve(pm.model)
        if code != cp_model.INFEASIBLE:
            return code, None
        found = {by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()}
        return code, found or set(keys)

    code, core = run(list(pm.assumptions))
    if code != cp_model.INFEASIBLE:
        return None
    for key in sorted(core, key=_drop_order):
        if key not in core or len(core) == 1:
            continue
        trial = [k for k in core if k != key]
        code, smaller = run(trial)
        if code == cp_model.INFEASIBLE:
            core = smaller & set(trial) or set(trial)
    return core


def _drop_order(key) -> tuple:
    """Try to drop the groups that make the vaguest sentences first."""
    order = ("window", "spacing", "hosts_free", "venues_free", "capacity", "host_quota")
    if key[0] == "pin":
        return (len(order), str(key[1]))
    return (order.index(key[1]), str(key[0]))


# --- saying it ------------------------------------------------------------------------------


def window_facts(inst: Instance, s: SeriesFacts) -> dict:
    """The dates a series may use, for sentences: how many days are left, which weekdays,
    inside which campaign or in which year."""
    cands = [c for c in cd.series_candidates(inst, s) if c.allowed]
    days = sorted({c.day for c in cands})
    facts = {
        "days": len(days),
        "weekdays": sorted(s.weekdays),
        "year": inst.year,
        "campaign": s.campaign.name if s.campaign else "",
        "first": days[0].isoformat() if days else "",
        "last": days[-1].isoformat() if days else "",
    }
    if s.campaign:
        facts["first"], facts["last"] = (
            s.campaign.start_date.isoformat(),
            s.campaign.end_date.isoformat(),
        )
    return facts


def phrase(inst: Instance, core: set) -> list[Reason]:
    """Structured reasons for a core of assumption keys."""
    series = {s.id: s for s in inst.series}
    involved = sorted({k[0] for k in core if k[0] != "pin"} | _pin_series(inst, core))
    out = []
    for j in sorted(k[1] for k in core if k[0] == "pin"):
        pin = inst.pins[j]
        s = series[pin.series_id]
        groups = sorted(k[1] for k in core if k[0] == s.id)
        out.append(
            Reason("pin_blocked", {**counts.pin_facts(inst, s, pin), "groups": groups}, s.id)
        )
    if out:
        return out
    if len(involved) > 1:
        groups = sorted({k[1] for k in core})
        rivals = [series[sid] for sid in involved]
        params = {"series": [s.name for s in rivals], "groups": groups, **_shared(inst, rivals)}
        return [Reason("compete", params)]
    s = series[involved[0]]
    groups = {k[1] for k in core}
    return [_one_series(inst, s, groups)]


def _shared(inst: Instance, rivals: list[SeriesFacts]) -> dict:
    """The venues that hold every one of ``rivals`` and the days their windows share (or,
    when they share none, span), to name what they compete for."""
    venues = [v for v in inst.venues if all(cd.venue_fits(s, v) for s in rivals)]
    spans = []
    for s in rivals:
        days = [c.day for c in cd.series_candidates(inst, s) if c.allowed]
        if days:
            spans.append((days[0], days[-1]))
    if not spans:
        return {"venues": "", "first": "", "last": ""}
    first, last = max(a for a, _ in spans), min(b for _, b in spans)
    if first > last:
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
    named = "、".join(v.name for v in venues[: counts.MAX_NAMED])
    if len(venues) > counts.MAX_NAMED:
        named += "…"
    return {"venues": named, "first": first.isoformat(), "last": last.isoformat()}


def _pin_series(inst: Instance, core: set) -> set:
    return {inst.pins[k[1]].series_id for k in core if k[0] == "pin"}


def _one_series(inst: Instance, s: SeriesFacts, groups: set) -> Reason:
    apps = cd.applicants(inst, s)
    if groups == {"host_quota"}:
        return Reason(
            "hosts_short",
            {
                "series": s.name,
                "needed": s.sessions,
                "applicants": len(apps),
                "max": s.max_per_host,
                "available": sum(cd.remaining(s, a.host_id) for a in apps),
            },
            s.id,
        )
    venue_groups = groups & {"capacity", "venues_free"}
    if venue_groups and not groups & {"hosts_free", "host_quota"}:
        fitting = [v for v in inst.venues if cd.venue_fits(s, v)]
        return Reason(
            "venues_short" if fitting else "no_venue_fits",
            {
                "series": s.name,
                "people": s.expected_attendance,
                "city": s.city,
                "needed": s.sessions,
                **window_facts(inst, s),
            },
            s.id,
        )
    if "hosts_free" in groups and not venue_groups:
        return Reason(
            "hosts_busy",
            {
                "series": s.name,
                "needed": s.sessions,
                "applicants": len(apps),
                "quota": "host_quota" in groups,
                **window_facts(inst, s),
            },
            s.id,
        )
    if groups <= {"window", "spacing"}:
        return Reason(
            "dates_short",
            {
                "series": s.name,
                "needed": s.sessions,
                "spacing": s.min_spacing_days if "spacing" in groups else 0,
                **window_facts(inst, s),
            },
            s.id,
        )
    return Reason("together", {"series": s.name, "groups": sorted(groups)}, s.id)
