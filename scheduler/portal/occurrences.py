"""The dates of a repeating event, one by one: move one, cancel one, put one back (#16).

Every change goes through ``workflow.change_occurrence``, with the same rights as the API's
occurrence route: the host's editors while the event is theirs to edit, organizers until it
is held. Times are read and shown on the clock of the event's own zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..errors import BadInput, NotFound, RequestError
from ..events import workflow
from ..events.conflicts import finding_to_json
from ..events.models import Event
from ..extensions import db
from ..recurrence import RecurrenceError, exdate_key, expand
from ..timeutil import event_zone
from ..types import utcnow
from .access import managed_event

PER_PAGE = 20
OPS = ("move", "cancel", "restore")
MAX_FIELD = 40


@dataclass(frozen=True)
class DateRow:
    key: str  # the date in the rule, local: what overrides and exception dates name
    planned: datetime  # its start in the rule (UTC)
    start: datetime  # where it is now (UTC): moved or as planned
    end: datetime
    state: str  # planned, moved or cancelled
    past: bool
    start_input: str  # the move form's values: local, as <input type=datetime-local|date>
    end_input: str  # (an all-day event's last day, not the day after)


def date_rows(event: Event, now: datetime) -> list[DateRow]:
    """Every date the rule gives, the cancelled ones included, in order."""
    tz = event_zone(event)
    expand_with = {
        "all_day": event.all_day,
        "max_count": current_app.config["RECURRENCE_MAX_OCCURRENCES"],
        "overrides": event.overrides,
        "rdates": event.rdates,
    }
    exdates = set(event.exdates or [])
    try:  # without the exception dates, so that cancelled dates can be put back
        slots = expand(event.start_at, event.end_at, event.rrule, [], tz, **expand_with)
    except RecurrenceError:  # too many without them: show what is left
        slots = expand(event.start_at, event.end_at, event.rrule, list(exdates), tz, **expand_with)
    rows = []
    for slot in slots:
        key = exdate_key(slot.recurrence_id.astimezone(tz), event.all_day)
        moved = key in (event.overrides or {})
        state = "cancelled" if key in exdates else "moved" if moved else "planned"
        start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
        if event.all_day:
            inputs = (start.date().isoformat(), (end - timedelta(days=1)).date().isoformat())
        else:
            inputs = (start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M"))
        rows.append(
            DateRow(key, slot.recurrence_id, slot.start, slot.end, state, slot.end <= now, *inputs)
        )
    return sorted(rows, key=lambda r: (r.planned, r.key))


def _repeating(event_id: int) -> Event:
    event = managed_event(event_id)
    if not event.is_recurring:
        raise NotFound(_("This event does not repeat: it has no dates to change one by one."))
    return event


def _page_of(rows: list[DateRow], asked: str | None) -> int:
    """The page asked for, else the one with the next date to come."""
    pages = max(1, -(-len(rows) // PER_PAGE))
    if asked and asked.isdigit():
        return min(max(1, int(asked)), pages)
    upcoming = next((n for n, r in enumerate(rows) if not r.past), len(rows) - 1)
    return max(0, upcoming) // PER_PAGE + 1


def _render(event: Event, rows: list[DateRow], page: int, error=None, findings=()):
    tz = event_zone(event)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    return (
        render_template(
            "portal/occurrences.html",
            event=event,
            rows=shown,
            page=page,
            pages=max(1, -(-len(rows) // PER_PAGE)),
            total=len(rows),
            zone=tz.key,
            editable=workflow.may_edit(current_user, event),
            error=error,
            findings=[finding_to_json(f, tz) for f in findings],
        ),
        error.status if error else 200,
    )


def occurrences(event_id: int):
    event = _repeating(event_id)
    rows = date_rows(event, utcnow())
    return _render(event, rows, _page_of(rows, request.args.get("page")))


def _moment(name: str, all_day: bool) -> str:
    text = request.form.get(name, "").strip()[:MAX_FIELD]
    try:
        value = date.fromisoformat(text) if all_day else datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or (not all_day and value.tzinfo is not None):
        raise BadInput(
            _("Give the new start and end as a date and a time.")
            if not all_day
            else _("Give the new first and last day as dates."),
            field=name,
        )
    return value.isoformat() if all_day else value.strftime("%Y-%m-%dT%H:%M")


def _body(op: str, row: DateRow, all_day: bool) -> dict:
    """The change asked for, in the API's terms; refuses what makes no sense for the date."""
    if op not in OPS:
        raise BadInput(_("Choose to move, cancel or restore the date."), field="op")
    if row.past:
        raise BadInput(_("This date is over; it can no longer be changed."))
    if op == "restore":
        if row.state == "planned":
            raise BadInput(_("This date is as planned: there is nothing to restore."))
        return {"reset": True}
    if row.state == "cancelled":
        raise BadInput(_("This date is cancelled; restore it first."))
    if op == "cancel":
        return {"cancelled": True}
    start, end = _moment("start", all_day), _moment("end", all_day)
    if all_day:  # the last day given; the event ends when it is over
        end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    if end <= start:
        raise BadInput(_("The end must be after the start."), field="end")
    return {"start": start, "end": end}


DONE = {
    "move": _l("The date was moved."),
    "cancel": _l("The date was cancelled."),
    "restore": _l("The date is back as planned."),
}


def change_occurrence(event_id: int, key: str):
    event = _repeating(event_id)
    now = utcnow()
    rows = date_rows(event, now)
    row = next((r for r in rows if r.key == key), None)
    if row is None:
        raise NotFound(_("This event has no date %(key)s.", key=key[:MAX_FIELD]))
    op = request.form.get("op", "")
    page = rows.index(row) // PER_PAGE + 1
    try:
        outcome = workflow.change_occurrence(
            event, key, _body(op, row, event.all_day), current_user
        )
    except RequestError as exc:
        db.session.rollback()
        event = _repeating(event_id)
        return _render(event, date_rows(event, now), page, exc, getattr(exc, "findings", []))
    flash(str(DONE[op]), "ok")
    for finding in outcome.findings[:5]:
        flash(finding.message, "warning")
    return redirect(url_for("portal.occurrences", event_id=event_id, page=page))


def register(bp: Blueprint) -> None:
    """Hang the occurrences page on the portal blueprint (endpoints portal.<view>)."""
    bp.add_url_rule("/events/<int:event_id>/occurrences", view_func=occurrences)
    bp.add_url_rule(
        "/events/<int:event_id>/occurrences/<key>", view_func=change_occurrence, methods=["POST"]
    )
