"""Event input from the API, the portal form and the importer: validated before anything
is written. Every problem becomes a BadInput naming the field, in the user's language."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from pydantic import ValidationError

from .. import directory_input as di
from ..campaigns.models import Campaign
from ..database import MAX_ID
from ..enums import Audience, EventKind
from ..errors import BadInput
from ..extensions import db
from ..limits import CONTROL_CHARACTERS
from ..people.models import Person
from ..recurrence import (
    RecurrenceError,
    exdate_key,
    expand,
    first_of_rule,
    normalize_rrule,
)
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import (
    event_zone,
    is_zone_name,
    local_midnight_utc,
    local_to_utc,
    local_zone,
    zone_of,
)
from ..venues.models import Venue
from . import schemas

# The fields an API/portal body may carry, their shapes and limits are declared once in
# schemas.EventInput (each sets the model attribute of its name); these group them for the
# messages of check_shape.
REFS = ("series", "campaign", "venue", "host")
REF_LISTS = ("cohosts", "organizers", "speakers")
# Input fields (and audit names) whose Event attribute is named otherwise.
ATTRIBUTES = {"organizers": "organizing_societies"}
TEXTS = ("title", "description", "online_url")
DECISION = ("reason", "override", "actual_attendance")  # schemas.Decision


@dataclass
class EventInput:
    """Validated values, with references resolved to rows. Only ``present`` keys apply."""

    present: set = field(default_factory=set)
    values: dict = field(default_factory=dict)

    def apply_to(self, event) -> dict:
        """Set the present values on ``event``; returns {field: [old, new]} for the audit."""
        changes = {}
        for name, value in self.values.items():
            attribute = ATTRIBUTES.get(name, name)
            old = _audit_value(getattr(event, attribute, None))
            setattr(event, attribute, value)
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


def check_shape(body: dict, model=None):
    """The body validated against its declared model (types, enums, limits); the first
    problem becomes a BadInput naming the field, in the words parse_event_input always used."""
    try:
        return (model or schemas.EventInput).model_validate(body)
    except ValidationError as exc:
        raise _shape_error(exc.errors(), body) from None


def _shape_error(errors: list, body: dict) -> BadInput:
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return BadInput(_("Unknown field: %(field)s.", field=", ".join(unknown)), unknown[0])
    error = errors[0]
    name = str(error["loc"][0])
    return BadInput(_shape_message(name, error, body.get(name)), field=name)


def _shape_message(name: str, error: dict, value) -> str:
    kind = error["type"]
    if name in DECISION:
        return _decision_message(name, kind, error)
    if name in TEXTS:
        if kind == "string_too_long":
            limit = error["ctx"]["max_length"]
            return _("%(field)s is longer than %(limit)s characters.", field=name, limit=limit)
        return _("%(field)s must be text.", field=name)
    if name in REFS:
        return _("%(field)s must be an id or a slug.", field=name)
    if name in (*REF_LISTS, "audiences") and kind == "list_type":
        return _("%(field)s must be a list.", field=name)
    if name in REF_LISTS:
        return _("%(field)s must be a list of ids or slugs.", field=name)
    if name in ("all_day", "is_major"):
        return _("%(field)s must be true or false.", field=name)
    if name in ("start", "end"):
        return _("%(field)s is required.", field=name)
    if name == "timezone":
        return _("Unknown time zone: %(value)s.", value=str(value)[:64])
    return _fixed_shape_message(name)


def _decision_message(name: str, kind: str, error: dict) -> str:
    """The words the workflow uses for a status change's body (schemas.Decision)."""
    if name == "reason" and kind == "string_too_long":
        limit = error["ctx"]["max_length"]
        return _("The reason is longer than %(n)s characters.", n=limit)
    if name == "reason":
        return _("%(field)s must be text.", field=name)
    if name == "override":
        return _("%(field)s must be true or false.", field=name)
    if kind in ("greater_than_equal", "less_than_equal"):
        return _("The attendance must be between 0 and %(n)s.", n=schemas.MAX_ACTUAL_ATTENDANCE)
    return _("The attendance must be a whole number.")


def _fixed_shape_message(name: str) -> str:
    messages = {
        "kind": lambda: _(
            "kind must be one of: %(allowed)s.", allowed=", ".join(EventKind.values())
        ),
        "audiences": lambda: _(
            "audiences must be among: %(allowed)s.", allowed=", ".join(Audience.values())
        ),
        "expected_attendance": lambda: _("expected_attendance must be a whole number from 0."),
        "rrule": lambda: _("rrule is not a valid recurrence rule."),
        "exdates": lambda: _("exdates must be a list of local dates or date-times."),
        "rdates": lambda: _("rdates must be a list of local dates (all-day) or date-times."),
        "overrides": lambda: _(
            "overrides must map a date of the repetition to a new start and end."
        ),
    }
    return messages.get(name, lambda: _("The request is not valid."))()


def _text(body, name, required=False) -> str:
    """Text already shaped by the model: stripped, and free of control characters."""
    value = (body.get(name) or "").strip()
    if required and not value:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    refuse_control_characters(value, name)
    return value


def refuse_control_characters(value: str, name: str) -> None:
    if CONTROL_CHARACTERS.search(value):
        raise BadInput(_("%(field)s contains control characters.", field=name), field=name)


def _moment(value, name: str, all_day: bool, tz) -> datetime:
    """A date (local midnight) or a date-time; naive values are wall time in ``tz``."""
    if not isinstance(value, str) or not value:
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    try:
        if all_day or len(value) == 10:
            day = date.fromisoformat(value[:10])
            di.event_year(day.year, name)  # before any arithmetic: year 1 and 9999 overflow
            moment = local_midnight_utc(day, tz)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            di.event_year(parsed.year, name)
            moment = local_to_utc(parsed, tz)
    except (ValueError, OverflowError):
        raise BadInput(
            _("%(field)s is not a valid date or time: %(value)s", field=name, value=value[:40]),
            field=name,
        ) from None
    di.event_year(moment.astimezone(local_zone()).year, name)
    return moment


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


def _bool(body, name) -> bool:
    value = schemas.flag(body.get(name, False))
    if isinstance(value, bool):
        return value
    raise BadInput(_("%(field)s must be true or false.", field=name), field=name)


def parse_event_input(body, current=None) -> EventInput:
    """Validate a body (a dict from JSON or a form). With ``current`` (an existing event) only
    the keys present are changed and the rest are taken from it for cross-field checks."""
    if not isinstance(body, dict):
        raise BadInput(_("The request body must be a JSON object."))
    shape = check_shape(body)
    out = EventInput(present=set(body))
    v = out.values
    creating = current is None
    if creating or "title" in body:
        v["title"] = _text(body, "title", required=True)
    if "description" in body:
        v["description"] = _text(body, "description")
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
        url = _text(body, "online_url")
        if url and not url.startswith(("https://", "http://")):
            raise BadInput(_("online_url must start with https://."), field="online_url")
        v["online_url"] = url
    if "expected_attendance" in body:
        v["expected_attendance"] = shape.expected_attendance or 0
    if "is_major" in body:
        v["is_major"] = _bool(body, "is_major")
    _parse_time(body, current, out)
    return out


def _parse_time(body, current, out: EventInput) -> None:
    """start, end, all_day, timezone, rrule, exdates, rdates and overrides are checked
    together; naive times are wall time in the event's zone."""
    v = out.values
    timing = {"start", "end", "all_day", "rrule", "exdates", "overrides", "timezone", "rdates"}
    if current is not None and not (timing & set(body)):
        return
    all_day = _bool(body, "all_day") if "all_day" in body else bool(current and current.all_day)
    zone_name = _zone_name(body, current, all_day)
    tz = zone_of(zone_name, all_day)
    if "start" in body or current is None:
        start = _moment(body.get("start"), "start", all_day, tz)
    else:
        start = current.start_at
    if "end" in body or current is None:
        end = _moment(body.get("end"), "end", all_day, tz)
        if all_day and len(str(body.get("end"))) >= 10:
            end += timedelta(days=1)  # an all-day event ends after its last day (exclusive)
    else:
        end = current.end_at
    if end <= start:
        raise BadInput(_("The end must be after the start."), field="end")
    if end - start > timedelta(days=366):
        raise BadInput(_("An event may last at most a year."), field="end")
    rrule = body.get("rrule", current.rrule if current else "") or ""
    if not isinstance(rrule, str):  # a stored rule is text; a body's is shaped by the model
        raise BadInput(_("rrule is not a valid recurrence rule."), field="rrule")
    rrule = normalize_rrule(rrule)
    kept = _kept_keys(body, current, tz)
    exdates = body.get("exdates", kept["exdates"]) or []
    if not isinstance(exdates, list) or not all(isinstance(x, str) for x in exdates):
        raise BadInput(_("exdates must be a list of local dates or date-times."), field="exdates")
    exdates = [_exdate_key(x, all_day, tz) for x in exdates]
    rdates = _rdates(body.get("rdates", kept["rdates"]), all_day, tz, start, "rdates" in body)
    overrides = _overrides(body.get("overrides", kept["overrides"]), all_day, tz)
    if overrides and not (rrule or rdates):
        raise BadInput(_("Only repeating events have single occurrences to move."), "overrides")
    _expand_or_refuse(start, end, rrule, exdates, tz, all_day, overrides, rdates)
    if rrule:
        _check_start_on_rule(start, rrule, tz)
    v.update(
        start_at=start,
        end_at=end,
        all_day=all_day,
        timezone=zone_name,
        rrule=rrule,
        exdates=exdates,
        rdates=rdates,
        overrides=overrides,
    )


def _zone_name(body, current, all_day: bool) -> str:
    """The stored zone: an IANA name, or "" for the association's zone and all-day events."""
    if "timezone" in body:
        name = body["timezone"] if body["timezone"] is not None else ""
        if not isinstance(name, str) or (name.strip() and not is_zone_name(name.strip())):
            raise BadInput(
                _("Unknown time zone: %(value)s.", value=str(name)[:64]), field="timezone"
            )
        name = name.strip()
    else:
        name = current.timezone if current is not None else ""
    if all_day or name == current_app.config["TIMEZONE"]:
        return ""
    return name


def _kept_keys(body, current, tz) -> dict:
    """The event's stored exdates, rdates and overrides, for the keys the body leaves out.
    When the zone changes they keep their instants: written with the old zone's offset,
    they are read into the new zone like any time with an offset."""
    if current is None:
        return {"exdates": [], "rdates": [], "overrides": {}}
    old = event_zone(current)
    exdates, rdates = list(current.exdates or []), list(current.rdates or [])
    overrides = dict(current.overrides or {})
    if old == tz or current.all_day:
        return {"exdates": exdates, "rdates": rdates, "overrides": overrides}

    def aware(key: str) -> str:
        return datetime.fromisoformat(key).replace(tzinfo=old).isoformat()

    return {
        "exdates": [aware(x) for x in exdates],
        "rdates": [aware(x) for x in rdates],
        "overrides": {
            aware(k): {"start": aware(c["start"]), "end": aware(c["end"])}
            for k, c in overrides.items()
        },
    }


def _expand_or_refuse(start, end, rrule, exdates, tz, all_day, overrides, rdates) -> None:
    limit = current_app.config["RECURRENCE_MAX_OCCURRENCES"]
    try:
        expand(start, end, rrule, exdates, tz, all_day, limit, overrides=overrides, rdates=rdates)
    except RecurrenceError as exc:
        messages = {
            "unbounded": _("The repetition needs an end: give COUNT or UNTIL."),
            "too_many": _("The repetition gives more than %(n)s dates.", n=limit),
            "never": _("The repetition never gives a date (for example the 30th of February)."),
            "override": _("These are not dates of the repetition: %(keys)s", keys=exc.detail),
        }
        if exc.code == "override":
            raise BadInput(messages["override"], field="overrides") from None
        field_name = "rdates" if exc.code == "too_many" and rdates else "rrule"
        raise BadInput(
            messages.get(exc.code, _("rrule is not a valid recurrence rule.")), field=field_name
        ) from None


def _rdates(value, all_day: bool, tz, start: datetime, strict: bool) -> list[str]:
    """Extra local starts as sorted keys; ``strict``: each in the all_day form (a date, or a
    date-time), as a body must give them (stored ones follow a change of all_day)."""
    if value in (None, ""):
        return []
    wrong = BadInput(
        _("rdates must be a list of local dates (all-day) or date-times."), field="rdates"
    )
    if not isinstance(value, list) or len(value) > schemas.MAX_RDATES:
        raise wrong
    keys = set()
    for text in value:
        if not isinstance(text, str):
            raise wrong
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise wrong from None
        if strict and _is_date(text.strip()) != all_day:
            raise wrong
        di.event_year(moment.year, "rdates")
        keys.add(exdate_key(moment.astimezone(tz) if moment.tzinfo else moment, all_day))
    first = exdate_key(start.astimezone(tz), all_day)
    early = sorted(key for key in keys if key < first)
    if early:
        raise BadInput(
            _("%(value)s is before the start: extra dates must come after it.", value=early[0]),
            field="rdates",
        )
    return sorted(keys)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_start_on_rule(start: datetime, rrule: str, tz) -> None:
    """The start must be a date of its own rule: clients disagree on one that is not."""
    first = first_of_rule(start, rrule, tz)
    if first is not None and first != start:
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


def _overrides(value, all_day: bool, tz) -> dict:
    """{occurrence key: {"start", "end"}} with keys and times in local minute form (``tz``)."""
    if not value:
        return {}
    wrong = BadInput(
        _("overrides must map a date of the repetition to a new start and end."), "overrides"
    )
    if not isinstance(value, dict) or len(value) > schemas.MAX_OVERRIDES:
        raise wrong
    out = {}
    for key, change in value.items():
        if not isinstance(key, str) or not isinstance(change, dict):
            raise wrong
        try:
            start = _moment(change.get("start"), "overrides", all_day, tz)
            end = _moment(change.get("end"), "overrides", all_day, tz)
        except BadInput:
            raise wrong from None
        if end <= start:
            raise BadInput(_("The end must be after the start."), field="overrides")
        out[_exdate_key(key, all_day, tz, "overrides")] = {
            "start": start.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "end": end.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        }
    return out


def _exdate_key(value: str, all_day: bool, tz, name: str = "exdates") -> str:
    """The key of a local date or date-time; one with an offset is first put into ``tz``."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(tz)
    except (ValueError, OverflowError):
        if name == "overrides":
            raise BadInput(
                _("overrides must map a date of the repetition to a new start and end."), name
            ) from None
        raise BadInput(
            _("exdates must be a list of local dates or date-times."), field="exdates"
        ) from None
    return exdate_key(moment, all_day)
