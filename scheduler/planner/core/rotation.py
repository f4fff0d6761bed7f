"""Fair rotation, said plainly: where a plan breaks the rule (only when it must: the rule
weighs more than every soft goal), one note per applicant left waiting, with why (pure)."""

from collections import defaultdict

from . import candidates as cd
from .score import rotation_breaches
from .types import Assignment, Instance, Reason


def rotation_notes(inst: Instance, assignments: list[Assignment], proven: bool) -> list[Reason]:
    """``proven``: the plan is optimal, so each breach is needed for any plan at all."""
    per_series = defaultdict(lambda: defaultdict(int))
    for a in assignments:
        per_series[a.series_id][a.host_id] += 1
    names = {h.id: h.name for h in inst.hosts}
    calendars = cd.host_calendars(inst)
    out = []
    for s in inst.series:
        if s.fixed_host or s.id not in per_series:
            continue
        per_host = per_series[s.id]
        cands = [c for c in cd.series_candidates(inst, s) if c.allowed]
        for rule, (waiting, _count) in rotation_breaches(inst, s, per_host).items():
            if rule == "again":
                others = [h for h, n in per_host.items() if n > (0 if s.host_counts.get(h) else 1)]
            else:
                others = [h for h in per_host if h in s.hosted_last_year]
            for h in waiting:
                cal = calendars[(s.id, h)]
                cause = "busy" if not any(cal.free(c) for c in cands) else "no_plan"
                if cause == "no_plan" and not proven:
                    cause = "not_proven"
                params = {
                    "series": s.name,
                    "host": names.get(h, str(h)),
                    "others": "、".join(sorted(names.get(o, str(o)) for o in others)),
                    "rule": rule,
                    "cause": cause,
                }
                out.append(Reason("rotation_relaxed", params, s.id))
    return out
