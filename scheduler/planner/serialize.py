"""Plans as JSON for the API (phrased in the caller's language)."""

from ..timeutil import to_local
from .apply import names_for
from .models import Plan
from .phrases import explain_session, not_planned, phrase_all


def _local(value):
    return to_local(value).isoformat() if value else None


def plan_summary(plan: Plan) -> dict:
    return {
        "id": plan.id,
        "year": plan.year,
        "series": list(plan.series_slugs or []),
        "status": plan.status.value,
        "solver_status": plan.solver_status.value,
        "objective": plan.objective,
        "best_bound": plan.best_bound,
        "gap": plan.gap,
        "created_at": _local(plan.created_at),
        "accepted_at": _local(plan.accepted_at),
        "undone_at": _local(plan.undone_at),
    }


def plan_to_json(plan: Plan) -> dict:
    names = names_for(plan)
    body = plan_summary(plan)
    body.update(
        {
            "time_limit": plan.time_limit,
            "seed": plan.seed,
            "wall_seconds": plan.wall_seconds,
            "stopped_by": (plan.stats or {}).get("stopped_by"),
            "holidays_official": plan.holidays_official,
            "score": dict(plan.score or {}),
            "explanation": phrase_all(plan.explanation),
            "notes": phrase_all(plan.notes),
            "not_planned": not_planned(plan.notes),
            "conflicts": list(plan.conflicts or []),
            "pins": list(plan.pins or []),
            "sessions": [
                {
                    "series": names["series"][s.series_id].slug,
                    "position": s.position,
                    "start": _local(s.start_at),
                    "end": _local(s.end_at),
                    "venue": {
                        "slug": names["venue"][s.venue_id].slug,
                        "name": names["venue"][s.venue_id].name,
                    },
                    "host": {
                        "slug": names["host"][s.host_id].slug,
                        "name": names["host"][s.host_id].name,
                    },
                    "change": s.change,
                    "pinned": {
                        "date": s.pinned_date,
                        "host": s.pinned_host,
                        "venue": s.pinned_venue,
                    },
                    "explanation": explain_session(s.explanation),
                    "event_id": s.event_id,
                }
                for s in plan.sessions
            ],
        }
    )
    return body
