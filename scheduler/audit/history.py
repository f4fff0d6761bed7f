"""The audit trail in words: each entry of an event's history as a sentence (who did what)
with its changes in local times and names, in the reader's language."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..campaigns.models import Campaign
from ..enums import Audience, EventKind, EventStatus
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import to_local
from ..venues.models import Venue
from .models import AuditEntry

MAX_TEXT = 80  # longer texts (descriptions) are shortened in the history

SENTENCES = {
    "create": _l("%(who)s created the event."),
    "update": _l("%(who)s edited the event."),
    "delete": _l("%(who)s deleted the event."),
    "submit": _l("%(who)s submitted the event for approval."),
    "withdraw": _l("%(who)s withdrew the event."),
    "approve": _l("%(who)s approved the event."),
    "reject": _l("%(who)s rejected the event."),
    "request_changes": _l("%(who)s asked for changes."),
    "cancel": _l("%(who)s cancelled the event."),
    "complete": _l("%(who)s marked the event as held."),
    "record_attendance": _l("%(who)s recorded the attendance."),
    "plan": _l("%(who)s changed the event with a plan."),
}

FIELDS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "kind": _l("Kind"),
    "series": _l("Series"),
    "campaign": _l("Campaign"),
    "venue": _l("Venue"),
    "online_url": _l("Online link"),
    "host": _l("Host"),
    "cohosts": _l("Co-hosts"),
    "organizers": _l("Organizers"),
    "speakers": _l("Speakers"),
    "audiences": _l("Audiences"),
    "expected_attendance": _l("Expected attendance"),
    "actual_attendance": _l("Attendance"),
    "is_major": _l("Major event"),
    "start_at": _l("Starts"),
    "end_at": _l("Ends"),
    "all_day": _l("All day"),
    "timezone": _l("Time zone"),
    "rrule": _l("Repeats"),
    "exdates": _l("Skipped dates"),
    "rdates": _l("Extra dates"),
    "overrides": _l("Moved sessions"),
    "status": _l("Status"),
    "override": _l("Errors overridden"),
}
# Fields whose values are slugs of directory rows, and the model to name them by.
NAMED = {
    "series": Series,
    "campaign": Campaign,
    "venue": Venue,
    "host": Society,
    "cohosts": Society,
    "organizers": Society,
    "speakers": Person,
}
ENUMS = {"kind": EventKind, "audiences": Audience, "status": EventStatus}
# The errors an approval may override (rules/policy.py OVERRIDABLE), in words.
OVERRIDDEN = {
    "series_quota": _l("the series' annual maximum"),
    "host_quota": _l("the host's yearly maximum for the series"),
    "filing_lead_time": _l("late filing of a major event"),
}
# Transitions say the new status in their sentence already.
SAID_BY_SENTENCE = {"status"}


@dataclass
class HistoryLine:
    at: datetime
    sentence: str
    reason: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)


def local_moment(value: datetime) -> str:
    """A date and a 24-hour time in the reader's language: 2027年3月13日 10:00."""
    local = to_local(value)
    return f"{format_date(local.date(), 'medium')} {local.strftime('%H:%M')}"


def describe_history(entries: list[AuditEntry]) -> list[HistoryLine]:
    names = _names(entries)
    return [_line(entry, names) for entry in entries]


def _names(entries: list[AuditEntry]) -> dict[type, dict[str, str]]:
    """slug -> name for every directory row the entries mention (one query per model)."""
    wanted: dict[type, set[str]] = {}
    for entry in entries:
        for name, change in (entry.changes or {}).items():
            if name in NAMED and isinstance(change, list):
                for value in change:
                    values = value if isinstance(value, list) else [value]
                    wanted.setdefault(NAMED[name], set()).update(
                        v for v in values if isinstance(v, str)
                    )
    found = {}
    for model, slugs in wanted.items():
        rows = db.session.execute(sa.select(model.slug, model.name).where(model.slug.in_(slugs)))
        found[model] = dict(rows.tuples().all())
    return found


def _who(entry: AuditEntry) -> str:
    if entry.actor is None:
        return _("The system")
    return entry.actor.name or entry.actor.email


def _line(entry: AuditEntry, names: dict) -> HistoryLine:
    who = _who(entry)
    template = SENTENCES.get(entry.action)
    sentence = str(template) % {"who": who} if template else f"{who}: {entry.action}"
    changes = entry.changes or {}
    if entry.action == "plan":
        if "undo" in changes:
            sentence = _(
                "%(who)s put the event back when plan #%(id)s was undone.",
                who=who,
                id=changes["undo"],
            )
        elif "plan" in changes:
            sentence = _("%(who)s moved the event with plan #%(id)s.", who=who, id=changes["plan"])
    details = []
    for name, change in changes.items():
        if name in SAID_BY_SENTENCE or name in ("plan", "undo", "sessions", "events"):
            continue
        if name == "override":
            rules = (str(OVERRIDDEN.get(rule, rule)) for rule in change)
            details.append((str(FIELDS[name]), "、".join(rules)))
        elif isinstance(change, list) and len(change) == 2:
            if entry.action == "create" and change[1] in (None, "", [], {}, False, 0):
                continue  # a new event's empty fields say nothing
            details.append(_detail(name, change, names, entry.action == "create"))
    return HistoryLine(entry.at, sentence, entry.reason or "", details)


def _detail(name: str, change: list, names: dict, created: bool) -> tuple[str, str]:
    label = str(FIELDS.get(name, name))
    old, new = (_value(name, v, names) for v in change)
    if created or old == "—":
        return label, new
    return label, f"{old} → {new}"


def _value(name: str, value, names: dict) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(_value(name, v, names) for v in value)
    if name in NAMED:
        return names.get(NAMED[name], {}).get(value, value)
    if name in ENUMS:
        try:
            return str(ENUMS[name](value).label)
        except ValueError:
            return str(value)
    if isinstance(value, str) and name in ("start_at", "end_at"):
        try:
            return local_moment(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "、".join(f"{k}: {_value(name, v, names)}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
