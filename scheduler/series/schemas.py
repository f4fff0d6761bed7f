"""The series body of the API, the series pages and the spreadsheet importer, declared once:
the service validates with it and the API document is derived from it. Numbers, booleans
and lists may also come as text (a form or a spreadsheet cell sends them so)."""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import Field

from .. import directory_input as di
from ..campaigns.models import CampaignKind
from ..enums import EventKind
from ..errors import BadInput
from ..recurrence import RecurrenceError, expand, normalize_rrule
from ..timeutil import local_zone
from .models import MAX_CITY, MAX_NAME, MAX_RULE, MAX_SESSIONS, HostMode

MAX_ATTENDANCE = 1_000_000
MAX_DURATION = 1440  # minutes: one day
MAX_DESCRIPTION = 5000
DAYS_IN_YEAR = 365
MAX_TIME_SLOTS = 12
CADENCE_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
RRULE_TEXT = re.compile(r"[A-Z0-9=;,+-]+")


def _items(value, name: str) -> list:
    """A list from a JSON list or a comma-separated string ("MO,WE", "3, 10")."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise BadInput(_("%(field)s must be a list.", field=name), field=name)


def _numbers(value, name: str, low: int, high: int, words=()) -> list[int]:
    out = set()
    for item in _items(value, name):
        if isinstance(item, str) and item.strip().upper() in words:
            out.add(words.index(item.strip().upper()))
        else:
            out.add(di.integer(item, name, low, high))
    return sorted(out)


def _bad_rule(name: str) -> BadInput:
    return BadInput(
        _(
            "%(field)s must be a repeat rule such as FREQ=WEEKLY;INTERVAL=2;BYDAY=TH "
            "(FREQ is one of DAILY, WEEKLY, MONTHLY, YEARLY).",
            field=name,
        ),
        field=name,
    )


def parse_cadence(value, name: str = "cadence_rrule") -> str:
    """An RRULE a series repeats by every year ("" for none): a known frequency, INTERVAL of
    at least 1, no COUNT or UNTIL, and a rule that gives dates at all."""
    rule = normalize_rrule(di.text(value, name, MAX_RULE))
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if not RRULE_TEXT.fullmatch(rule) or parts.get("FREQ") not in CADENCE_FREQUENCIES:
        raise _bad_rule(name)
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and int(parts["INTERVAL"]) >= 1):
        raise BadInput(_("The rule's INTERVAL must be a whole number from 1."), field=name)
    if "COUNT" in parts or "UNTIL" in parts:
        raise BadInput(
            _("A series repeats every year: leave COUNT and UNTIL out of its rule."), field=name
        )
    start = datetime(2027, 1, 4, 6, tzinfo=UTC)
    try:
        expand(start, start + timedelta(hours=1), rule + ";COUNT=3", [], local_zone())
    except RecurrenceError as exc:
        if exc.code == "never":
            raise BadInput(_("This rule never gives a date."), field=name) from None
        raise BadInput(
            _("The repeat rule is not valid: %(rule)s.", rule=rule), field=name
        ) from None
    return rule


def parse_clock(value, name: str) -> str:
    text = di.text(value, name, 5, required=True)
    if not CLOCK.fullmatch(text):
        raise BadInput(_("%(field)s must be a local time such as 14:30.", field=name), field=name)
    return text


def parse_time_slots(value, name: str) -> list[str]:
    slots = sorted({parse_clock(v, name) for v in _items(value, name)})
    if len(slots) > MAX_TIME_SLOTS:
        raise BadInput(_("At most %(n)s time slots.", n=MAX_TIME_SLOTS), field=name)
    return slots


def parse_color(value, name: str) -> str:
    text = di.text(value, name, 7, required=True)
    if not COLOR.fullmatch(text):
        raise BadInput(_("%(field)s must be a colour such as #1f6feb.", field=name), field=name)
    return text.lower()


def _campaign_kinds(value, name: str) -> list[str]:
    return sorted({di.choice(v, name, CampaignKind).value for v in _items(value, name)})


def _pattern(regex: re.Pattern) -> dict:
    return {"pattern": f"^({regex.pattern})$"}


Clock = Annotated[str, Field(json_schema_extra=_pattern(CLOCK))]
Weekday = Annotated[int, Field(ge=0, le=6)]
Month = Annotated[int, Field(ge=1, le=12)]


class SeriesInput(di.Body):
    """A new series needs name and kind; a change sends only what changes. Numbers, booleans
    and lists may also come as text (lists comma-separated). default_venue, fixed_host and
    inside_campaign are slugs (null or '' for none)."""

    name: di.Text(MAX_NAME, required=True) = None
    slug: di.Slug = None
    kind: di.Choice(EventKind) = None
    description: di.Text(MAX_DESCRIPTION) = None
    cadence_rrule: Annotated[
        str,
        di.checked(parse_cadence),
        Field(
            max_length=MAX_RULE,
            description="RFC 5545 RRULE without COUNT/UNTIL, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TH.",
        ),
    ] = None
    target_min: di.Whole(0, MAX_SESSIONS) = None
    target_max: di.Whole(0, MAX_SESSIONS) = None
    max_per_host: di.Whole(1, MAX_SESSIONS) = None
    min_spacing_days: di.Whole(0, DAYS_IN_YEAR) = None
    duration_minutes: di.Whole(1, MAX_DURATION) = None
    default_start_time: Annotated[
        Clock, di.checked(parse_clock), Field(description="HH:MM, local.")
    ] = None
    expected_attendance: di.Whole(0, MAX_ATTENDANCE) = None
    preferred_weekdays: Annotated[
        list[Weekday],
        di.checked(_numbers, low=0, high=6, words=WEEKDAYS),
        Field(description="0 = Monday … 6 = Sunday; also MO..SU."),
    ] = None
    preferred_months: Annotated[
        list[Month], di.checked(_numbers, low=1, high=12), Field(description="1..12.")
    ] = None
    default_venue: di.SlugOrNone = None
    avoid_holidays: di.Flag = None
    avoid_weekends: di.Flag = None
    color: Annotated[
        str,
        di.checked(parse_color),
        Field(json_schema_extra=_pattern(COLOR), description="#RRGGBB"),
    ] = None
    active: di.Flag = None
    host_mode: di.Choice(HostMode) = None
    fixed_host: di.SlugOrNone = None
    # the planner's settings of the series
    time_slots: Annotated[
        list[Clock],
        di.checked(parse_time_slots),
        Field(max_length=MAX_TIME_SLOTS, description="Local start times, HH:MM."),
    ] = None
    city: di.Text(MAX_CITY) = None
    inside_campaign: di.SlugOrNone = None
    at_launch: di.Flag = None
    avoid_campaigns: Annotated[
        list[Literal[tuple(CampaignKind.values())]],  # type: ignore[valid-type]
        di.checked(_campaign_kinds),
        Field(description="Campaign kinds whose windows the series avoids."),
    ] = None
