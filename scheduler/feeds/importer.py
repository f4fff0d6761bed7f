"""Importing events from an .ics file (another calendar a society already keeps).

``reader.py`` reads the file first and writes nothing (every problem is refused with its
line before anything is imported); this module gives it the settings and the user's
language, and applies the entries it gives.

Importing matches each event by UID among the importing society's events: new ones are
created, changed ones updated, identical ones left alone, so importing the same file twice
changes nothing; a UID that is another society's event is skipped with a reason. Every item
goes through the workflow functions and the conflict engine; the whole file is one
transaction, and an item the rules refuse is rolled back alone and reported as skipped with
its reason.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import gettext as _

from ..enums import EventKind, EventStatus
from ..errors import BadInput, RequestError
from ..events import workflow
from ..events.input import (
    ATTRIBUTES,
    EventInput,
    parse_event_input,
)
from ..events.models import Event
from ..events.occurrences import changes_nothing
from ..events.schemas import MAX_TITLE
from ..extensions import db
from ..recurrence import first_of_rule, local_until, normalize_rrule
from ..societies.models import Society
from ..timeutil import event_zone, local_midnight_utc, zone_of
from ..venues.models import Venue
from . import reader
from .reader import CalendarFile, Entry, Limits, ReadError, read_calendar, snippet

MAX_UID = 255  # Event.imported_uid
SHORTEST = timedelta(minutes=1)
_GIVEN_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?")


@dataclass
class ImportItem:
    uid: str
    title: str
    outcome: str  # created | updated | unchanged | skipped
    reason: str = ""
    event_id: int | None = None
    line: int = 0  # where its VEVENT begins in the file


@dataclass
class ImportResult:
    items: list[ImportItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole file (its encoding)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def uids(self) -> set[str]:
        """Every UID the file names, imported or not (calendar sync: what is still there)."""
        return {item.uid for item in self.items if item.uid}


# --- the reader's settings and language ------------------------------------------------------


def import_limits() -> Limits:
    """The reader's limits from the configuration (IMPORT_*, RECURRENCE_MAX_OCCURRENCES)."""
    config = current_app.config
    return Limits(
        max_bytes=config["IMPORT_MAX_BYTES"],
        max_events=config["IMPORT_MAX_EVENTS"],
        max_line_length=config["IMPORT_MAX_LINE_LENGTH"],
        max_occurrences=config["RECURRENCE_MAX_OCCURRENCES"],
    )


def read_bounded(stream) -> bytes:
    """What ``import_ics`` needs of a file or upload: one byte past the limit is enough to
    refuse it, so a huge file is never read whole."""
    return stream.read(import_limits().max_bytes + 1)


def too_large() -> str:
    """The message for a file over the byte limit, in the user's language (also the upload
    form's 413)."""
    return reader.too_large(import_limits(), _)


def read_file(data: bytes) -> CalendarFile:
    """The file's entries and notes in the user's language; BadInput for the field "file"
    when it cannot be read."""
    try:
        return read_calendar(data, import_limits(), _)
    except ReadError as exc:
        raise BadInput(exc.message, field="file") from None


# --- importing -------------------------------------------------------------------------------


def _local_text(value, all_day: bool, tz: ZoneInfo) -> str:
    """A DTSTART/DTEND/EXDATE/RDATE value as the local ISO text the event input takes, in
    the event's zone ``tz``."""
    if isinstance(value, datetime):
        if all_day:
            return value.date().isoformat()
        if value.tzinfo is None:  # floating time: read it as wall time in the event's zone
            return value.strftime("%Y-%m-%dT%H:%M")
        return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _minute_text(value, tz: ZoneInfo) -> str:
    """A moved occurrence's start or end in the stored form (local time to the minute), so
    that an all-day one compares equal on the next import."""
    if not isinstance(value, datetime):
        return value.isoformat() + "T00:00"
    return _local_text(value, False, tz)


def _zone_name(entry: Entry) -> str:
    """The event input's ``timezone`` for an event, in its stored form: "" for all-day
    events, for the association's zone and for a single event in UTC; "UTC" when its
    dates were converted with the file's own rules (see _given_dates)."""
    if not isinstance(entry.start, datetime):
        return ""
    zone = "UTC" if entry.as_given else entry.zone
    if zone == "UTC" and not (entry.rrule or entry.rdates):
        return ""
    return "" if zone == current_app.config["TIMEZONE"] else zone


def _start_on_rule(start, end, rrule: str, tz: ZoneInfo, notes: list[str]):
    """A DTSTART that is not a date of its own RRULE moves to the rule's first date (the
    length kept), as dateutil, ical.js and Radicale read it, so that every client of the
    feeds shows the same dates; the report says so."""
    if isinstance(start, datetime):
        aware = start if start.tzinfo else start.replace(tzinfo=tz)
    else:
        aware = local_midnight_utc(start)
    first = first_of_rule(aware, rrule, tz)
    if first is None or first == aware:
        return start, end  # a rule that gives nothing is refused by the event input
    if isinstance(start, datetime):
        moved = first.astimezone(start.tzinfo or tz)
        moved = moved if start.tzinfo else moved.replace(tzinfo=None)
    else:
        moved = first.astimezone(tz).date()
    notes.append(
        _("DTSTART %(start)s is not a date of its RRULE; the event starts on the rule's first "
          "date, %(first)s", start=_shown(start, tz), first=_shown(moved, tz))
    )  # fmt: skip
    return moved, end + (moved - start)


def _shown(value, tz: ZoneInfo) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%d %H:%M (%a)" if isinstance(value, datetime) else "%Y-%m-%d (%a)")


def _given_dates(entry: Entry, start: datetime) -> list:
    """The starts of a repeating event whose zone no IANA zone matches, computed with the
    file's own rules (dateutil), as instants; [] for a rule without COUNT or UNTIL (the
    event input refuses it) or one that gives too many (likewise)."""
    rule = normalize_rrule(entry.rrule)
    if "COUNT=" not in rule and "UNTIL=" not in rule:
        return []
    tz, wall = start.tzinfo, start.replace(tzinfo=None)
    rule = local_until(rule, tz)
    limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    try:
        walls = list(islice(rrulestr("RRULE:" + rule, dtstart=wall), limit + 1))
    except (ValueError, TypeError, OverflowError):
        return []  # the event input says why
    excluded = {x.astimezone(UTC) for x in entry.exdates if isinstance(x, datetime)}
    starts = [w.replace(tzinfo=tz).astimezone(UTC) for w in walls]
    return [s for s in starts if s not in excluded][: limit + 1]


def _day_until(rule: str) -> str:
    """An all-day rule's UNTIL as a date (RFC 5545 wants one; Exchange writes the UTC time
    of its local midnight): the date of that UTC time, as recurring_ical_events reads it."""
    return _GIVEN_UNTIL.sub(lambda m: f"UNTIL={m.group(1)}", rule)


def _extra_dates(values: list, start, end, tz: ZoneInfo, notes: list[str]):
    """The event input's ``rdates`` and the overrides a PERIOD of its own length needs. An
    RDATE before the start is left out with a note (the event input wants them after)."""
    all_day = not isinstance(start, datetime)
    keys, moved, early = [], {}, []
    for value in values:
        begin, finish = value if isinstance(value, tuple) else (value, None)
        if all_day and isinstance(begin, datetime):
            begin = begin.date()
        elif not all_day and not isinstance(begin, datetime):  # a date for a timed event
            begin = datetime.combine(begin, start.timetz())
        key = _local_text(begin, all_day, tz)
        if key < _local_text(start, all_day, tz):
            early.append(key)
            continue
        keys.append(key)
        if finish is not None and finish - begin != end - start and finish > begin:
            moved[key] = {"start": _minute_text(begin, tz), "end": _minute_text(finish, tz)}
    if early:
        notes.append(_("RDATE %(dates)s before DTSTART left out", dates=", ".join(early[:5])))
    return keys, moved


def _timing(entry: Entry, zone: str, notes: list[str]) -> dict:
    """start, end, all_day, timezone and, for a repeating event, rrule, rdates, exdates
    (and overrides for PERIODs of their own length) of the event input."""
    start, end = entry.start, entry.end
    all_day = not isinstance(start, datetime)
    tz = zone_of(zone, all_day)
    if all_day and isinstance(end, datetime):  # a DTEND with a time ends on its day
        end = end.date()
    if all_day and (end is None or end == start):  # RFC 5545: one day (holiday calendars)
        end = start + timedelta(days=1)
    elif end is None or end == start:  # RFC 5545: no DTEND nor DURATION is zero length
        end = start + SHORTEST
        notes.append(_("the event has no length (no DTEND or DURATION); it was given one minute"))
    rrule = _day_until(entry.rrule) if all_day else entry.rrule
    extra = entry.rdates
    given = _given_dates(entry, start) if entry.as_given and rrule else []
    if given:  # the rule's dates, computed with the file's rules, become extra dates
        start, end, rrule = given[0], given[0] + (end - start), ""
        extra = [*given[1:], *extra]
    if rrule:
        start, end = _start_on_rule(start, end, rrule, tz, notes)
    rdates, moved = _extra_dates(extra, start, end, tz, notes)
    if all_day:
        end = end - timedelta(days=1)  # the input takes the last day, iCalendar the day after
    timing = {
        "timezone": zone,
        "start": _local_text(start, all_day, tz),
        "end": _local_text(end, all_day, tz),
        "all_day": all_day,
    }
    if rrule or rdates:
        timing["rrule"] = rrule
        timing["rdates"] = rdates
        timing["exdates"] = [_local_text(d, all_day, tz) for d in entry.exdates]
    if moved:
        timing["overrides"] = moved
    return timing


def _body(entry: Entry, venues: dict) -> tuple[dict, list[str]]:
    """The API body for one event, and notes about what could not be represented."""
    notes = [entry.zone_note] if entry.zone_note else []
    body = {
        "title": entry.title,
        "description": entry.description,
        "kind": EventKind.OTHER.value,
        **_timing(entry, _zone_name(entry), notes),
    }
    for kind in EventKind:
        if kind.value in entry.categories:
            body["kind"] = kind.value
            break
    if entry.location:
        if entry.location in venues:
            body["venue"] = venues[entry.location]
        else:
            notes.append(
                _(
                    "no venue is called “%(name)s”; it was kept in the description",
                    name=entry.location,
                )
            )
            body["description"] = (entry.description + "\n" + entry.location).strip()
    return body, notes


def _unchanged(event: Event, values: EventInput) -> bool:
    return not any(
        getattr(event, ATTRIBUTES.get(name, name)) != value
        for name, value in values.values.items()
        if name not in ("host",)
    )


def import_ics(
    data: bytes, society_slug: str, approve: bool = False, by=None, submit: bool = True
) -> ImportResult:
    """Import every VEVENT for a society; see the module doc. Raises BadInput for a file that
    cannot be read (nothing is written then). ``submit=False`` (calendar sync in draft mode,
    scheduler/calendar_sync) leaves new events as drafts."""
    society = db.session.scalar(sa.select(Society).where(Society.slug == society_slug))
    if society is None:
        raise BadInput(_("Unknown society: %(value)s.", value=society_slug), field="society")
    calendar = read_file(data)
    by = by or workflow.SYSTEM
    venues = dict(db.session.execute(sa.select(Venue.name, Venue.slug)).all())
    own_uid = "@" + current_app.config["EVENT_UID_HOST"]
    result = ImportResult(notes=calendar.notes)
    entries, older = _latest_versions(calendar.entries)
    result.notes += [_older(entry) for entry in older]
    calendar.entries = entries
    cancelled = _cancelled_instances(calendar.entries)
    done: dict[str, str] = {}  # UID: what this import did to the whole event
    with workflow.batch():
        # Whole events first, then the changes to their single occurrences (RECURRENCE-ID).
        for entry in calendar.entries:
            if entry.recurrence_id is None:
                entry.exdates = [*entry.exdates, *cancelled.get(entry.uid, [])]
                item = _import_one(entry, society, venues, own_uid, approve, by, submit)
                done[entry.uid] = item.outcome
                result.items.append(item)
        for entry in calendar.entries:
            if entry.recurrence_id is not None:
                item = _import_override(entry, society, own_uid, by)
                if item.outcome == "unchanged" and done.get(entry.uid) in ("created", "updated"):
                    item.outcome = done[entry.uid]  # it came in with its repeating event
                result.items.append(item)
    return result


def _latest_versions(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """One VEVENT per UID and RECURRENCE-ID: the highest SEQUENCE (the later one on a tie),
    as recurring_ical_events reads a file that holds several versions of an event; and the
    older versions."""
    latest: dict[tuple, Entry] = {}
    for entry in entries:
        key = (entry.uid, entry.recurrence_id)
        if not entry.uid or key not in latest or entry.sequence >= latest[key].sequence:
            latest[key if entry.uid else (id(entry), None)] = entry
    kept = {id(entry) for entry in latest.values()}
    return [e for e in entries if id(e) in kept], [e for e in entries if id(e) not in kept]


def _older(entry: Entry) -> str:
    return _(
        "Line %(line)s (%(uid)s): an older version (SEQUENCE %(n)s) of an event the file "
        "holds again was left out; the newest version was imported.",
        line=entry.line, uid=snippet(entry.uid), n=entry.sequence,
    )  # fmt: skip


def _cancelled_instances(entries: list[Entry]) -> dict[str, list]:
    """The cancelled occurrences of each UID (RECURRENCE-ID + STATUS:CANCELLED): they are
    the repeating event's exception dates, so that a re-import finds it unchanged instead of
    removing the date with the event and adding it back with the occurrence."""
    out: dict[str, list] = {}
    for entry in entries:
        if entry.recurrence_id is not None and entry.cancelled and entry.uid:
            out.setdefault(entry.uid, []).append(entry.recurrence_id)
    return out


# The iCalendar property behind each event input field, for the messages of an import.
_PROPERTY_OF = {
    "title": "SUMMARY", "description": "DESCRIPTION", "kind": "CATEGORIES", "venue": "LOCATION",
    "start": "DTSTART", "end": "DTEND", "all_day": "DTSTART", "rrule": "RRULE",
    "exdates": "EXDATE", "overrides": "RECURRENCE-ID",
}  # fmt: skip
_FIELD_FIRST = re.compile(r"^(" + "|".join(_PROPERTY_OF) + r")(?![A-Za-z0-9_-])")


def _reason(exc: RequestError) -> str:
    """The event input's message in the file's terms: a leading field name becomes its
    iCalendar property (``title is required`` → ``SUMMARY is required``), and a message
    about a field that names no property is prefixed with it (``DTEND: …``)."""
    message = _FIELD_FIRST.sub(lambda match: _PROPERTY_OF[match.group(1)], exc.message, 1)
    prop = _PROPERTY_OF.get(exc.field or "")
    if prop and prop not in message:
        message = f"{prop}: {message}"
    return message


def _skipped(entry: Entry, reason: str) -> ImportItem:
    uid = entry.uid if len(entry.uid) <= MAX_UID else snippet(entry.uid)
    return ImportItem(uid, entry.title[:MAX_TITLE], "skipped", reason, line=entry.line)


def _first_refusal(entry: Entry) -> str:
    """Why an event cannot be taken before the rules are asked, or ""."""
    if not entry.uid:
        return _("the event has no UID")
    if len(entry.uid) > MAX_UID:
        return _("the UID is longer than %(n)s characters.", n=MAX_UID)
    if entry.start is None and not (entry.recurrence_id and entry.cancelled):
        return _("the event has no start")
    return entry.skip


def _import_override(entry: Entry, society, own_uid, by) -> ImportItem:
    """A moved or cancelled occurrence of a repeating event becomes an override or an
    exception date of that event."""
    uid, title = entry.uid, entry.title
    refusal = _first_refusal(entry)
    if refusal:
        return _skipped(entry, refusal)
    if entry.this_and_future:
        return _skipped(entry, _("RECURRENCE-ID with RANGE=THISANDFUTURE (a change to this and "
                                 "every later occurrence) is not supported"))  # fmt: skip
    try:
        master = _find(uid, own_uid, society)
    except ForeignUid:
        return _foreign(entry)
    if master is None or not (master.rrule or master.rdates):
        return _skipped(entry, _("the repeating event it changes is unknown"))
    tz = event_zone(master)
    key = _local_text(entry.recurrence_id, master.all_day, tz)
    if entry.cancelled:
        change = {"cancelled": True}
    else:
        end = entry.end or entry.start + (master.end_at - master.start_at)
        change = {"start": _minute_text(entry.start, tz), "end": _minute_text(end, tz)}
    if changes_nothing(master, key, change):
        return ImportItem(uid, title, "unchanged", "", master.id, entry.line)
    try:
        with db.session.begin_nested():
            workflow.change_occurrence(master, key, change, by)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return _skipped(entry, reasons or exc.message)
    except RequestError as exc:
        return _skipped(entry, _reason(exc))
    return ImportItem(uid, title, "updated", _("one occurrence changed"), master.id, entry.line)


def _import_one(entry: Entry, society, venues, own_uid, approve, by, submit=True) -> ImportItem:
    uid, title = entry.uid, entry.title
    if entry.cancelled and entry.uid:
        return _skipped(entry, _("the event is cancelled in the file"))
    refusal = _first_refusal(entry)
    if refusal:
        return _skipped(entry, refusal)
    body, notes = _body(entry, venues)
    body["host"] = society.slug
    try:
        existing = _find(uid, own_uid, society)
    except ForeignUid:
        return _foreign(entry)
    try:
        with db.session.begin_nested():
            if existing is not None:
                if "overrides" in body:  # PERIODs of their own length; keep RECURRENCE-IDs
                    body["overrides"] = {**(existing.overrides or {}), **body["overrides"]}
                values = parse_event_input(body, current=existing)
                if _unchanged(existing, values):
                    return ImportItem(
                        uid, title, "unchanged", "; ".join(notes), existing.id, entry.line
                    )
                workflow.update_event(existing, body, by)
                outcome, event = "updated", existing
            else:
                event = workflow.create_event(body, by, imported_uid=uid).event
                outcome = "created"
            if submit and event.status in (EventStatus.DRAFT, EventStatus.WITHDRAWN):
                workflow.submit(event, by)
            if approve and event.status == EventStatus.SUBMITTED:
                workflow.approve(event, by, _("imported"), override=True)
    except workflow.TransitionRefused as exc:
        reasons = "; ".join(f.message for f in exc.findings if f.severity == "error")
        return _skipped(entry, reasons or exc.message)
    except RequestError as exc:
        return _skipped(entry, _reason(exc))
    return ImportItem(uid, title, outcome, "; ".join(notes), event.id, entry.line)


class ForeignUid(Exception):
    """The UID names an event the importing society does not host."""


def _find(uid: str, own_uid: str, society) -> Event | None:
    """The importing society's event with this UID, None for a new one, or ForeignUid when
    the UID is another society's event (which an import never touches)."""
    event = db.session.scalar(sa.select(Event).where(Event.imported_uid == uid))
    if event is None and uid.startswith("event-") and uid.endswith(own_uid):
        number = uid[len("event-") : -len(own_uid)]
        if number.isascii() and number.isdigit() and len(number) <= 9:  # an Integer key
            event = db.session.get(Event, int(number))
    if event is not None and event.host_id != society.id:
        raise ForeignUid(uid)
    return event


def _foreign(entry: Entry) -> ImportItem:
    # Says nothing of the other event (its society, title or status may be private).
    return _skipped(
        entry,
        _(
            "this UID already belongs to an event of another society; imports change only "
            "the importing society's events (give the event a new UID to import it)"
        ),
    )
