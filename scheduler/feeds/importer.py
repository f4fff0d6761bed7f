"""Importing events from an .ics file (another calendar a society already keeps).

Each VEVENT is matched by UID: new ones are created, changed ones updated, identical ones
left alone, so importing the same file twice changes nothing. Every item goes through the
workflow functions and the conflict engine; the whole file is one transaction, and each
refused item is rolled back alone and reported with its reason.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar

from ..errors import BadInput
from ..events import workflow
from ..events.enums import EventKind, EventStatus
from ..events.input import EventInput, parse_event_input
from ..events.models import Event
from ..extensions import db
from ..societies.models import Society
from ..timeutil import local_zone
from ..venues.models import Venue

MAX_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 5000


@dataclass
class ImportItem:
    uid: str
    title: str
    outcome: str  # created | updated | unchanged | skipped
    reason: str = ""
    event_id: int | None = None


@dataclass
class ImportResult:
    items: list[ImportItem] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)


def _local_text(value, all_day: bool) -> str:
    """A DTSTART/DTEND/EXDATE value as the local ISO text the event input takes."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: read it as local wall time
            return value.strftime("%Y-%m-%dT%H:%M")
        return value.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _body(vevent, venues: dict) -> tuple[dict, list[str]]:
    """The API body for one VEVENT, and notes about what could not be represented."""
    notes = []
    start = vevent.decoded("DTSTART")
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    if "DTEND" in vevent:
        end = vevent.decoded("DTEND")
    elif "DURATION" in vevent:
        end = start + vevent.decoded("DURATION")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    if all_day:
        end = end - timedelta(days=1)  # the input takes the last day, iCalendar the day after
    description = str(vevent.get("DESCRIPTION", ""))
    body = {
        "title": str(vevent.get("SUMMARY", "")).strip(),
        "description": description,
        "kind": EventKind.OTHER.value,
        "start": _local_text(start, all_day),
        "end": _local_text(end, all_day),
        "all_day": all_day,
    }
    categories = []
    for prop in (
        vevent.get("CATEGORIES", [])
        if isinstance(vevent.get("CATEGORIES"), list)
        else [vevent.get("CATEGORIES")]
    ):
        if prop is not None:
            categories += [str(c).strip().lower() for c in prop.cats]
    for kind in EventKind:
        if kind.value in categories:
            body["kind"] = kind.value
            break
    if "RRULE" in vevent:
        body["rrule"] = vevent["RRULE"].to_ical().decode()
        exdates = []
        raw = vevent.get("EXDATE", [])
        for group in raw if isinstance(raw, list) else [raw]:
            exdates += [_local_text(d.dt, all_day) for d in group.dts]
        body["exdates"] = exdates
    if "RDATE" in vevent:
        notes.append(_("extra dates (RDATE) are not supported and were left out"))
    location = str(vevent.get("LOCATION", "")).strip()
    if location:
        if location in venues:
            body["venue"] = venues[location]
        else:
            notes.append(
                _("no venue is called “%(name)s”; it was kept in the description", name=location)
            )
            body["description"] = (description + "\n" + location).strip()
    return body, notes


def _unchanged(event: Event, values: EventInput) -> bool:
    return not any(
        getattr(event, name) != value
        for name, value in values.values.items()
        if name not in ("host",)
    )


def parse_calendar(data: bytes) -> Calendar:
    if len(data) > MAX_BYTES:
        raise BadInput(_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // 1024 // 1024))
    try:
        calendar = Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError and others for bad input
        raise BadInput(
            _("This is not a valid iCalendar (.ics) file: %(detail)s", detail=str(exc)[:200])
        ) from None
    if calendar.name != "VCALENDAR":
        raise BadInput(
            _("This is not a valid iCalendar (.ics) file: %(detail)s", detail="VCALENDAR")
        )
    if len(calendar.walk("VEVENT")) > MAX_EVENTS:
        raise BadInput(_("The file has more than %(n)s events.", n=MAX_EVENTS))
    return calendar


def import_ics(data: bytes, society_slug: str, approve: bool = False, by=None) -> ImportResult:
    """Import every VEVENT for a society; see the module doc. Raises BadInput for a file that
    cannot be read at all (nothing is written then)."""
    society = db.session.scalar(sa.select(Society).where(Society.slug == society_slug))
    if society is None:
        raise BadInput(_("Unknown society: %(value)s.", value=society_slug), field="society")
    calendar = parse_calendar(data)
    by = by or workflow.SYSTEM
    venues = dict(db.session.execute(sa.select(Venue.name, Venue.slug)).all())
    own_uid = "@" + current_app.config["EVENT_UID_HOST"]
    result = ImportResult()
    vevents = calendar.walk("VEVENT")
    with workflow.batch():
        # Whole events first, then the changes to their single occurrences (RECURRENCE-ID).
        for vevent in vevents:
            if "RECURRENCE-ID" not in vevent:
                result.items.append(_import_one(vevent, society, venues, own_uid, approve, by))
        for vevent in vevents:
            if "RECURRENCE-ID" in vevent:
                result.items.append(_import_override(vevent, own_uid, by))
    return result


def _import_override(vevent, own_uid, by) -> ImportItem:
    """A moved or cancelled occurrence of a repeating event becomes an override or an
    exception date of that event."""
    uid = str(vevent.get("UID", "")).strip()
    title = str(vevent.get("SUMMARY", "")).strip()
    master = _find(uid, own_uid) if uid else None
    if master is None or not master.rrule:
        return ImportItem(uid, title, "skipped", _("the repeating event it changes is unknown"))
    rid = vevent.decoded("RECURRENCE-ID")
    key = _local_text(rid, master.all_day)
    overrides, exdates = dict(master.overrides or {}), list(master.exdates or [])
    if str(vevent.get("STATUS", "")).upper() == "CANCELLED":
        overrides.pop(key, None)
        if key in exdates:
            return ImportItem(uid, title, "unchanged", "", master.id)
        data = {"overrides": overrides, "exdates": [*exdates, key]}
    else:
        start = vevent.decoded("DTSTART")
        end = (
            vevent.decoded("DTEND")
            if "DTEND" in vevent
            else start + (master.end_at - master.start_at)
        )
        change = {"start": _local_text(start, False), "end": _local_text(end, False)}
        if overrides.get(key) == change:
            return ImportItem(uid, title, "unchanged", "", master.id)
        overrides[key] = change
        data = {"overrides": overrides}
    try:
        with db.session.begin_nested():
            workflow.update_event(master, data, by)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return ImportItem(uid, title, "skipped", reasons or exc.message)
    except BadInput as exc:
        return ImportItem(uid, title, "skipped", exc.message)
    return ImportItem(uid, title, "updated", _("one occurrence changed"), master.id)


def _import_one(vevent, society, venues, own_uid, approve, by) -> ImportItem:
    uid = str(vevent.get("UID", "")).strip()
    title = str(vevent.get("SUMMARY", "")).strip()
    if not uid:
        return ImportItem(uid, title, "skipped", _("the event has no UID"))
    if "RECURRENCE-ID" in vevent:
        return ImportItem(
            uid, title, "skipped", _("changes to single occurrences are not supported yet")
        )
    if str(vevent.get("STATUS", "")).upper() == "CANCELLED":
        return ImportItem(uid, title, "skipped", _("the event is cancelled in the file"))
    if "DTSTART" not in vevent:
        return ImportItem(uid, title, "skipped", _("the event has no start"))
    try:
        body, notes = _body(vevent, venues)
    except (ValueError, TypeError, AttributeError) as exc:
        return ImportItem(uid, title, "skipped", str(exc)[:200])
    body["host"] = society.slug
    existing = _find(uid, own_uid)
    try:
        with db.session.begin_nested():
            if existing is not None:
                values = parse_event_input(body, current=existing)
                if _unchanged(existing, values):
                    return ImportItem(uid, title, "unchanged", "; ".join(notes), existing.id)
                workflow.update_event(existing, body, by)
                outcome, event = "updated", existing
            else:
                event = workflow.create_event(body, by, imported_uid=uid).event
                outcome = "created"
            if event.status in (EventStatus.DRAFT, EventStatus.WITHDRAWN):
                workflow.submit(event, by)
            if approve and event.status == EventStatus.SUBMITTED:
                workflow.approve(event, by, _("imported"), override=True)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return ImportItem(uid, title, "skipped", reasons or exc.message)
    except BadInput as exc:
        return ImportItem(uid, title, "skipped", exc.message)
    return ImportItem(uid, title, outcome, "; ".join(notes), event.id)


def _find(uid: str, own_uid: str) -> Event | None:
    event = db.session.scalar(sa.select(Event).where(Event.imported_uid == uid))
    if event is None and uid.startswith("event-") and uid.endswith(own_uid):
        number = uid[len("event-") : -len(own_uid)]
        if number.isdigit():
            event = db.session.get(Event, int(number))
    return event
