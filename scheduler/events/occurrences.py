"""Keeps the materialized occurrence rows of an event in step with the event itself, and
turns a change of one occurrence into the event fields that express it."""

from datetime import timedelta

from flask import current_app

from ..enums import PUBLIC_STATUSES, SLOT_HOLDING_STATUSES, EventStatus
from ..recurrence import expand
from ..timeutil import event_zone
from .models import Event, Occurrence


def sync_occurrences(event: Event) -> None:
    """Rebuild ``event.occurrences`` from its start, end and rule, keeping row identities.

    Raises RecurrenceError for an unusable rule, before anything is changed.
    """
    slots = expand(
        event.start_at,
        event.end_at,
        event.rrule,
        event.exdates,
        event_zone(event),
        all_day=event.all_day,
        max_count=current_app.config["RECURRENCE_MAX_OCCURRENCES"],
        overrides=event.overrides,
        rdates=event.rdates,
    )
    holds = event.status in SLOT_HOLDING_STATUSES
    public = event.status in PUBLIC_STATUSES
    venue = event.venue if event.venue is not None and not event.venue.is_online else None
    buffer = timedelta(minutes=venue.buffer_minutes) if venue else timedelta(0)
    city = (venue.city if venue else "") or event.host.city
    cancelled = event.status == EventStatus.CANCELLED
    existing = {occ.recurrence_id: occ for occ in event.occurrences}
    wanted = []
    for slot in slots:
        occ = existing.pop(slot.recurrence_id, None) or Occurrence(recurrence_id=slot.recurrence_id)
        occ.start_at, occ.end_at = slot.start, slot.end
        occ.blocked_until = slot.end + buffer
        occ.venue_id = venue.id if venue else None
        occ.host_id = event.host.id
        occ.series_id = event.series.id if event.series else None
        occ.city = city
        occ.holds_slot = holds
        occ.cancelled = cancelled
        occ.public = public
        wanted.append(occ)
    event.occurrences = wanted


def occurrence_change(event: Event, key: str, body: dict) -> dict:
    """The event fields for one occurrence (``key``: its start in the rule, local in the
    event's zone): moved ({"start", "end"}, local there too), cancelled ({"cancelled": true},
    an exception date) or put back ({"reset": true}). Built from the event's current
    overrides and exception dates."""
    overrides = dict(event.overrides or {})
    exdates = list(event.exdates or [])
    if body.get("reset") is True:
        overrides.pop(key, None)
        return {"overrides": overrides, "exdates": [x for x in exdates if x != key]}
    if body.get("cancelled") is True:
        overrides.pop(key, None)
        return {"overrides": overrides, "exdates": exdates if key in exdates else [*exdates, key]}
    overrides[key] = {"start": body.get("start"), "end": body.get("end")}
    return {"overrides": overrides}


def changes_nothing(event: Event, key: str, body: dict) -> bool:
    """True when ``occurrence_change`` would leave the event as it is (a re-import)."""
    fields = occurrence_change(event, key, body)
    current = {"overrides": dict(event.overrides or {}), "exdates": list(event.exdates or [])}
    return all(current[name] == value for name, value in fields.items())
