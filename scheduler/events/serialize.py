"""Events as JSON-ready dicts, the shape described in the OpenAPI document."""

from ..timeutil import event_zone, to_local
from .models import Event, Occurrence


def iso_local(value, tz=None) -> str:
    return to_local(value, tz).isoformat()


def ref(obj, *fields) -> dict | None:
    if obj is None:
        return None
    return {
        "id": obj.id,
        "slug": obj.slug,
        "name": obj.name,
        **{f: getattr(obj, f) for f in fields},
    }


def occurrence_to_json(occ: Occurrence, tz=None) -> dict:
    return {
        "start": iso_local(occ.start_at, tz),
        "end": iso_local(occ.end_at, tz),
        "cancelled": occ.cancelled,
    }


def event_to_json(event: Event, occurrences: list[Occurrence] | None = None) -> dict:
    """Times of the event and its occurrences are written in the event's zone (with offset),
    the zone its exdates, rdates and overrides are local in."""
    tz = event_zone(event)
    return {
        "id": event.id,
        "uid": event.uid,
        "title": event.title,
        "description": event.description,
        "kind": event.kind.value,
        "status": event.status.value,
        "decision_reason": event.decision_reason,
        "start": iso_local(event.start_at, tz),
        "end": iso_local(event.end_at, tz),
        "all_day": event.all_day,
        "timezone": event.timezone or "",
        "rrule": event.rrule or None,
        "exdates": list(event.exdates or []),
        "rdates": list(event.rdates or []),
        "overrides": dict(event.overrides or {}),
        "series": ref(event.series),
        "campaign": ref(event.campaign),
        "host": ref(event.host, "city"),
        "cohosts": [ref(s) for s in event.cohosts],
        "organizers": [ref(s) for s in event.organizing_societies],
        "venue": ref(event.venue, "city", "is_online"),
        "online_url": event.online_url or None,
        "speakers": [
            {"id": p.id, "slug": p.slug, "name": p.name, "title": p.title} for p in event.speakers
        ],
        "audiences": [a.value for a in event.audiences],
        "expected_attendance": event.expected_attendance,
        "is_major": event.is_major,
        "sequence": event.sequence,
        "occurrences": [occurrence_to_json(o, tz) for o in (occurrences or [])],
        "created_at": iso_local(event.created_at),
        "updated_at": iso_local(event.updated_at),
    }
