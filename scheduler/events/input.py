"""Event input from the API, the portal form and the importer: validated before anything
is written. Every problem becomes a BadInput naming the field, in the user's language."""

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..campaigns.models import Campaign
from ..database import MAX_ID
from ..errors import BadInput
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_midnight_utc, local_to_utc, local_zone
from ..venues.models import Venue
from .enums import Audience, EventKind
from .recurrence import RecurrenceError, expand, first_of_rule, normalize_rrule

MAX_TITLE, MAX_DESCRIPTION, MAX_URL = 200, 20_000, 500
# C0 controls but tab and line breaks, and DEL: iCalendar text and XML (Excel) cannot carry
# them, and PostgreSQL refuses NUL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MIN_YEAR, MAX_YEAR = 1970, 2100

# Fields an API/portal body may carry, and which model attribute each sets.
FIELDS = (
    "title", "description", "kind", "series", "campaign", "start", "end", "all_day", "rrule",
    "exdates", "venue", "online_url", "host", "cohosts", "organizers", "speakers", "audiences",
    "expected_attendance", "is_major", "overrides",
)  # fmt: skip


@dataclass
class EventInput:
    """Validated values, with references resolved to rows. Only ``present`` keys apply."""

    present: set = field(default_factory=set)
    values: dict = field(default_factory=dict)

    def apply_to(self, event) -> dict:
        """Set the present values on ``event``; returns {field: [old, new]} for the audit."""
        changes = {}
        for name, value in self.values.items():
            old = _audit_value(getattr(event, name, None))
            setattr(event, name, value)
            new = _audit_value(value)
            if old != new:
                changes[name] = [old, new]
        return changes


def _audit_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_audit_value(v) for v in value]
    if hasattr(value, "slug"):
        return value.slug
    if hasattr(value, "value"):
        return value.value
    return value


def _text(body, name, limit, required=False) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(_("%(field)s must be text.", field=name), field=name)
    value = value.strip()
    if required and not value:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    refuse_control_characters(value, name)
    if len(value) > limit:
        raise BadInput(
            _("%(field)s is longer than %(limit)s characters.", field=name, limit=limit),
            field=name,
        )
    return value


def refuse_control_characters(value: str, name: str) -> None:
    if CONTROL_CHARACTERS.search(value):
        raise BadInput(_("%(field)s contains control characters.", field=name), field=name)


def _moment(value, name: str, all_day: bool) -> datetime:
    if not isinstance(value, str) or not value:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    try:
        if all_day or len(value) == 10:
            day = date.fromisoformat(value[:10])
            _check_year(day.year, name)  # before any arithmetic: year 1 and 9999 overflow
            moment = local_midnight_utc(day)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            _check_year(parsed.year, name)
            moment = local_to_utc(parsed)
    except ValueError:
        raise BadInput(
            _("%(field)s is not a valid date or time: %(value)s", field=name, value=value[:40]),
            field=name,
        ) from None
    _check_year(moment.astimezone(local_zone()).year, name)
    return moment


def _check_year(year: int, name: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadInput(
            _("%(field)s must be between %(low)s and %(high)s.", field=name, low=MIN_YEAR,
              high=MAX_YEAR),
            field=name,
        )  # fmt: skip


def _ref(model, value, name: str):
    """A row by id (int) or slug (str); None/"" clears."""
    if value in (None, ""):
        return None
    column = model.id if isinstance(value, int) and not isinstance(value, bool) else model.slug
    if column is model.slug and not isinstance(value, str):
        raise BadInput(_("%(field)s must be an id or a slug.", field=name), field=name)
    if column is model.id and abs(value) > MAX_ID:
        row = None  # no such id, and the database's integer would overflow
    else:
        row = db.session.scalar(sa.select(model).where(column == value))
    if row is None:
        raise BadInput(_("Unknown %(field)s: %(value)s.", field=name, value=value), field=name)
    return row


def _active(row, name: str, current):
    """A deactivated society, venue, series or person cannot be chosen anew; an event that
    already uses one keeps it (so editing its other fields still works)."""
    if row is None or getattr(row, "active", True):
        return row
    kept = getattr(current, name, None) if current is not None else None
    if row is kept or (isinstance(kept, list) and row in kept):
        return row
    raise BadInput(
        _("%(name)s is inactive and cannot be chosen for an event.", name=row.name), field=name
    )


def _refs(model, values, name: str) -> list:
    if values in (None, ""):
        return []
    if not isinstance(values, list):
        raise BadInput(_("%(field)s must be a list.", field=name), field=name)
    if any(not isinstance(value, int | str) for value in values):  # [[]], [{}], [null]
        raise BadInput(_("%(field)s must be a list of ids or slugs.", field=name), field=name)
    rows = []
    for value in dict.fromkeys(values):
        rows.append(_ref(model, value, name))
    return rows


def _whole_number(value) -> int:
    """A count from JSON (an int, or an integral float) or a form (ASCII digits); -1 when it
    is none (so "²", "1e999", Infinity and NaN are refused, never overflow)."""
    if value in (None, ""):
        return 0
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else -1
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1
    return value if isinstance(value, int) else -1


def _bool(body, name) -> bool:
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    if value in ("true", "on", "1", 1):
        return True
    if value in ("false", "off", "0", 0, "", None):
        return False
    raise BadInput(_("%(field)s must be true or false.", field=name), field=name)


def parse_event_input(body, current=None) -> EventInput:
    """Validate a body (a dict from JSON or a form). With ``current`` (an existing event) only
    the keys present are changed and the rest are taken from it for cross-field checks."""
    if not isinstance(body, dict):
        raise BadInput(_("The request body must be a JSON object."))
    unknown = set(body) - set(FIELDS)
    if unknown:
        raise BadInput(
            _("Unknown field: %(field)s.", field=", ".join(sorted(unknown))),
            field=sorted(unknown)[0],
        )
    out = EventInput(present=set(body))
    v = out.values
    creating = current is None
    if creating or "title" in body:
        v["title"] = _text(body, "title", MAX_TITLE, required=True)
    if "description" in body:
        v["description"] = _text(body, "description", MAX_DESCRIPTION)
    if creating or "kind" in body:
        try:
            v["kind"] = EventKind(body.get("kind") or "")
        except ValueError:
            raise BadInput(
                _("kind must be one of: %(allowed)s.", allowed=", ".join(EventKind.values())),
                field="kind",
            ) from None
    for name, model in (("series", Series), ("campaign", Campaign), ("venue", Venue)):
        if name in body:
            v[name] = _active(_ref(model, body[name], name), name, current)
    if creating or "host" in body:
        host = _active(_ref(Society, body.get("host"), "host"), "host", current)
        if host is None:
            raise BadInput(_("%(field)s is required.", field="host"), field="host")
        v["host"] = host
    for name, model in (("cohosts", Society), ("organizers", Society), ("speakers", Person)):
        if name in body:
            v[name] = [_active(row, name, current) for row in _refs(model, body[name], name)]
    if "audiences" in body:
        audiences = body["audiences"] or []
        if not isinstance(audiences, list):
            raise BadInput(_("%(field)s must be a list.", field="audiences"), field="audiences")
        try:
            v["audiences"] = [Audience(a) for a in audiences]
        except ValueError:
            raise BadInput(
                _("audiences must be among: %(allowed)s.", allowed=", ".join(Audience.values())),
                field="audiences",
            ) from None
    if "online_url" in body:
        url = _text(body, "online_url", MAX_URL)
        if url and not url.startswith(("https://", "http://")):
            raise BadInput(_("online_url must start with https://."), field="online_url")
        v["online_url"] = url
    if "expected_attendance" in body:
        number = _whole_number(body["expected_attendance"])
        value = body["expected_attendance"]
        if isinstance(value, bool) or number < 0 or number > 1_000_000:
            raise BadInput(
                _("expected_attendance must be a whole number from 0."),
                field="expected_attendance",
            )
        v["expected_attendance"] = number
    if "is_major" in body:
        v["is_major"] = _bool(body, "is_major")
    _parse_time(body, current, out)
    return out


def _parse_time(body, current, out: EventInput) -> None:
    """start, end, all_day, rrule and exdates are checked together."""
    v = out.values
    timing = {"start", "end", "all_day", "rrule", "exdates", "overrides"}
    if current is not None and not (timing & set(body)):
        return
    all_day = _bool(body, "all_day") if "all_day" in body else bool(current and current.all_day)
    if "start" in body or current is None:
        start = _moment(body.get("start"), "start", all_day)
    else:
        start = current.start_at
    if "end" in body or current is None:
        end = _moment(body.get("end"), "end", all_day)
        if all_day and len(str(body.get("end"))) >= 10:
            end += timedelta(days=1)  # an all-day event ends after its last day (exclusive)
    else:
        end = current.end_at
    if end <= start:
        raise BadInput(_("The end must be after the start."), field="end")
    if end - start > timedelta(days=366):
        raise BadInput(_("An event may last at most a year."), field="end")
    rrule = body.get("rrule", current.rrule if current else "") or ""
    if not isinstance(rrule, str) or len(rrule) > 500:
        raise BadInput(_("rrule is not a valid recurrence rule."), field="rrule")
    rrule = normalize_rrule(rrule)
    exdates = body.get("exdates", current.exdates if current else []) or []
    if not isinstance(exdates, list) or not all(isinstance(x, str) for x in exdates):
        raise BadInput(_("exdates must be a list of local dates or date-times."), field="exdates")
    exdates = [_exdate_key(x, all_day) for x in exdates]
    overrides = _overrides(body.get("overrides", current.overrides if current else {}), all_day)
    if overrides and not rrule:
        raise BadInput(_("Only repeating events have single occurrences to move."), "overrides")
    limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    try:
        expand(
            start, end, rrule, exdates, local_zone(), all_day, max_count=limit, overrides=overrides
        )
    except RecurrenceError as exc:
        messages = {
            "unbounded": _("The repetition needs an end: give COUNT or UNTIL."),
            "too_many": _("The repetition gives more than %(n)s dates.", n=limit),
            "never": _("The repetition never gives a date (for example the 30th of February)."),
            "override": _("These are not dates of the repetition: %(keys)s", keys=exc.detail),
        }
        if exc.code == "override":
            raise BadInput(messages["override"], field="overrides") from None
        raise BadInput(
            messages.get(exc.code, _("rrule is not a valid recurrence rule.")), field="rrule"
        ) from None
    if rrule:
        _check_start_on_rule(start, rrule)
    v.update(
        start_at=start,
        end_at=end,
        all_day=all_day,
        rrule=rrule,
        exdates=exdates,
        overrides=overrides,
    )


def _check_start_on_rule(start: datetime, rrule: str) -> None:
    """The start must be a date of its own rule: clients disagree on one that is not."""
    first = first_of_rule(start, rrule, local_zone())
    if first is not None and first != start:
        tz = local_zone()
        raise BadInput(
            _(
                "The start %(start)s is not a date of the repetition (%(rule)s); its first "
                "date is %(first)s: start there.",
                start=start.astimezone(tz).strftime("%Y-%m-%d %H:%M (%a)"),
                rule=rrule[:80],
                first=first.astimezone(tz).strftime("%Y-%m-%d %H:%M (%a)"),
            ),
            field="start",
        )


def _overrides(value, all_day: bool) -> dict:
    """{occurrence key: {"start", "end"}} with keys and times in local minute form."""
    if not value:
        return {}
    wrong = BadInput(
        _("overrides must map a date of the repetition to a new start and end."), "overrides"
    )
    if not isinstance(value, dict) or len(value) > 500:
        raise wrong
    out = {}
    for key, change in value.items():
        if not isinstance(key, str) or not isinstance(change, dict):
            raise wrong
        try:
            start = _moment(change.get("start"), "overrides", all_day)
            end = _moment(change.get("end"), "overrides", all_day)
        except BadInput:
            raise wrong from None
        if end <= start:
            raise BadInput(_("The end must be after the start."), field="overrides")
        tz = local_zone()
        out[_exdate_key(key, all_day)] = {
            "start": start.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "end": end.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        }
    return out


def _exdate_key(value: str, all_day: bool) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            _("exdates must be a list of local dates or date-times."), field="exdates"
        ) from None
    return moment.date().isoformat() if all_day else moment.strftime("%Y-%m-%dT%H:%M")
