"""The one way in for changes of series: create, update, (de)activate, delete.

Pages, the API, the CLI and the importer call these; values come JSON-typed or as strings
and are parsed here. The planner's extra settings of a series (time slots, city, the
campaign it falls inside, ...) live in ``SeriesPlanning`` and are edited as series fields.
Nothing here commits: the caller does.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as parse
from ..audit.service import record
from ..campaigns.models import Campaign, CampaignKind
from ..enums import EventKind
from ..errors import BadInput, Conflict
from ..extensions import db
from ..recurrence import RecurrenceError, expand, normalize_rrule
from ..societies.models import Society
from ..timeutil import local_zone
from ..venues.models import Venue
from .models import HostMode, Series, SeriesPlanning

MAX_SESSIONS = 1000  # per year (a daily series has 366)
MAX_ATTENDANCE = 1_000_000
MAX_DURATION = 1440  # minutes: one day
DAYS_IN_YEAR = 365
MAX_TIME_SLOTS = 12
CADENCE_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
RRULE_TEXT = re.compile(r"[A-Z0-9=;,+-]+")
PLANNING_FIELDS = ("time_slots", "city", "inside_campaign", "at_launch", "avoid_campaigns")


# --- single values ------------------------------------------------------------------------


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
            out.add(parse.integer(item, name, low, high))
    return sorted(out)


def parse_cadence(value, name: str = "cadence_rrule") -> str:
    """An RRULE a series repeats by every year ("" for none): a known frequency, INTERVAL of
    at least 1, no COUNT or UNTIL, and a rule that gives dates at all."""
    rule = normalize_rrule(parse.text(value, name, 300))
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if not RRULE_TEXT.fullmatch(rule) or parts.get("FREQ") not in CADENCE_FREQUENCIES:
        raise BadInput(
            _(
                "%(field)s must be a repeat rule such as FREQ=WEEKLY;INTERVAL=2;BYDAY=TH "
                "(FREQ is one of DAILY, WEEKLY, MONTHLY, YEARLY).",
                field=name,
            ),
            field=name,
        )
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
    text = parse.text(value, name, 5, required=True)
    if not CLOCK.fullmatch(text):
        raise BadInput(_("%(field)s must be a local time such as 14:30.", field=name), field=name)
    return text


def parse_time_slots(value, name: str) -> list[str]:
    slots = sorted({parse_clock(v, name) for v in _items(value, name)})
    if len(slots) > MAX_TIME_SLOTS:
        raise BadInput(_("At most %(n)s time slots.", n=MAX_TIME_SLOTS), field=name)
    return slots


def parse_color(value, name: str) -> str:
    text = parse.text(value, name, 7, required=True)
    if not COLOR.fullmatch(text):
        raise BadInput(_("%(field)s must be a colour such as #1f6feb.", field=name), field=name)
    return text.lower()


def _by_slug(model, value, name: str):
    """The row with this slug, None for "" or null; BadInput when there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    slug = parse.text(value, name, parse.MAX_SLUG)
    row = db.session.scalar(sa.select(model).where(model.slug == slug))
    if row is None:
        raise BadInput(_("Unknown %(field)s: %(value)s.", field=name, value=slug), field=name)
    return row


def _active_venue(value, name: str) -> Venue | None:
    venue = _by_slug(Venue, value, name)
    if venue is not None and not venue.active:
        raise BadInput(_("%(name)s is inactive.", name=venue.name), field=name)
    return venue


def _campaign_kinds(value, name: str) -> list[str]:
    return sorted({parse.choice(v, name, CampaignKind).value for v in _items(value, name)})


PARSERS = {
    "name": lambda v, n: parse.text(v, n, 200, required=True),
    "slug": lambda v, n: parse.slug(v, n),
    "kind": lambda v, n: parse.choice(v, n, EventKind),
    "description": lambda v, n: parse.text(v, n, 5000),
    "cadence_rrule": parse_cadence,
    "target_min": lambda v, n: parse.integer(v, n, 0, MAX_SESSIONS),
    "target_max": lambda v, n: parse.integer(v, n, 0, MAX_SESSIONS),
    "max_per_host": lambda v, n: parse.integer(v, n, 1, MAX_SESSIONS),
    "min_spacing_days": lambda v, n: parse.integer(v, n, 0, DAYS_IN_YEAR),
    "duration_minutes": lambda v, n: parse.integer(v, n, 1, MAX_DURATION),
    "default_start_time": parse_clock,
    "expected_attendance": lambda v, n: parse.integer(v, n, 0, MAX_ATTENDANCE),
    "preferred_weekdays": lambda v, n: _numbers(v, n, 0, 6, WEEKDAYS),
    "preferred_months": lambda v, n: _numbers(v, n, 1, 12),
    "default_venue": _active_venue,
    "avoid_holidays": parse.boolean,
    "avoid_weekends": parse.boolean,
    "color": parse_color,
    "active": parse.boolean,
    "host_mode": lambda v, n: parse.choice(v, n, HostMode),
    "fixed_host": lambda v, n: _by_slug(Society, v, n),
    # the planner's settings of the series
    "time_slots": parse_time_slots,
    "city": lambda v, n: parse.text(v, n, 80),
    "inside_campaign": lambda v, n: _by_slug(Campaign, v, n),
    "at_launch": parse.boolean,
    "avoid_campaigns": _campaign_kinds,
}


# --- rules across fields ------------------------------------------------------------------


def _check_targets(series: Series) -> None:
    if series.target_min > series.target_max:
        raise BadInput(
            _(
                "The annual minimum (%(min)s) must not be above the maximum (%(max)s).",
                min=series.target_min,
                max=series.target_max,
            ),
            field="target_min",
        )
    spacing = series.min_spacing_days
    if series.target_min > 1 and (series.target_min - 1) * spacing > DAYS_IN_YEAR:
        raise BadInput(
            _(
                "%(n)s sessions at least %(days)s days apart do not fit in one year.",
                n=series.target_min,
                days=spacing,
            ),
            field="min_spacing_days",
        )


def _check_venue(series: Series) -> None:
    venue = series.default_venue
    if venue is not None and venue.capacity < series.expected_attendance:
        raise BadInput(
            _(
                "%(venue)s holds %(capacity)s people but %(expected)s are expected.",
                venue=venue.name,
                capacity=venue.capacity,
                expected=series.expected_attendance,
            ),
            field="default_venue",
        )


def _check_host(series: Series, given: dict) -> None:
    host = series.fixed_host
    if series.host_mode == HostMode.FIXED and host is None:
        raise BadInput(_("A series with a fixed host needs that host."), field="fixed_host")
    if host is not None and {"fixed_host", "host_mode"} & set(given) and not host.active:
        raise BadInput(
            _("%(name)s is inactive and cannot be the fixed host.", name=host.name),
            field="fixed_host",
        )


def _check_planning(series: Series, planning: SeriesPlanning) -> None:
    if planning.at_launch and planning.inside_campaign is None:
        raise BadInput(
            _("Choose the campaign whose unified launch the session is."), field="at_launch"
        )
    campaign = planning.inside_campaign
    if campaign is not None and campaign.event_kinds and series.kind not in campaign.event_kinds:
        raise BadInput(
            _(
                "%(campaign)s contains only %(kinds)s; this series is a %(kind)s.",
                campaign=campaign.name,
                kinds=_(", ").join(str(EventKind(k).label) for k in campaign.event_kinds),
                kind=series.kind.label,
            ),
            field="inside_campaign",
        )


# --- the service --------------------------------------------------------------------------


def _apply(series: Series, data: Mapping[str, Any]) -> dict:
    values = parse.parse_fields(data, PARSERS)
    planning_values = {k: values.pop(k) for k in PLANNING_FIELDS if k in values}
    parse.refuse_name_or_slug_taken(
        Series,
        series,
        values,
        lambda name: _("A series named %(name)s already exists.", name=name),
        lambda slug: _("A series with the slug %(slug)s already exists.", slug=slug),
    )
    changes = parse.apply_values(series, values)
    if series.host_mode == HostMode.APPLICATIONS and series.fixed_host is not None:
        changes.update(parse.apply_values(series, {"fixed_host": None}))
    _check_targets(series)
    _check_venue(series)
    _check_host(series, values)
    if planning_values or series.id is None or "kind" in values:
        changes.update(_apply_planning(series, planning_values))
    return changes


def _apply_planning(series: Series, values: dict) -> dict:
    planning = planning_of(series) or SeriesPlanning(series=series)
    changes = parse.apply_values(planning, values)
    if planning.inside_campaign is None and planning.at_launch and "at_launch" not in values:
        changes.update(parse.apply_values(planning, {"at_launch": False}))
    _check_planning(series, planning)
    db.session.add(planning)
    return changes


def planning_of(series: Series) -> SeriesPlanning | None:
    if series.id is None:
        return None
    return db.session.scalar(sa.select(SeriesPlanning).where(SeriesPlanning.series_id == series.id))


def _duplicate_message(series: Series) -> str:
    return _("A series with the slug %(slug)s already exists.", slug=series.slug)


def create_series(data: Mapping[str, Any], by) -> Series:
    parse.require(data, ("name", "kind"))
    data = parse.without_empty_slug(data)
    series = Series(
        description="",
        cadence_rrule="",
        target_min=0,
        target_max=0,
        max_per_host=1,
        preferred_months=[],
        preferred_weekdays=[],
        default_start_time="14:30",
        duration_minutes=180,
        min_spacing_days=0,
        expected_attendance=0,
        avoid_holidays=True,
        avoid_weekends=False,
        color="#1f6feb",
        active=True,
        host_mode=HostMode.APPLICATIONS,
    )
    with db.session.no_autoflush:
        changes = _apply(series, data)
        if not series.slug:
            series.slug = parse.slug_from_name(Series, series.name, "series")
            changes["slug"] = [None, series.slug]
    parse.flush_unique(series, _duplicate_message(series))
    record("series", series.id, "create", by, changes=changes)
    return series


def update_series(series: Series, data: Mapping[str, Any], by) -> Series:
    with db.session.no_autoflush:
        changes = _apply(series, data)
    parse.flush_unique(series, _duplicate_message(series))
    if changes:
        record("series", series.id, "update", by, changes=changes)
    return series


def set_series_active(series: Series, active: bool, by) -> None:
    if series.active == active:
        return
    if active and series.host_mode == HostMode.FIXED and not series.fixed_host.active:
        raise BadInput(
            _("%(name)s is inactive and cannot be the fixed host.", name=series.fixed_host.name),
            field="fixed_host",
        )
    record(
        "series",
        series.id,
        "activate" if active else "deactivate",
        by,
        changes={"active": [series.active, active]},
    )
    series.active = active
    db.session.flush()


def delete_series(series: Series, by) -> None:
    """Refused (409) while events belong to the series; deactivate it instead."""
    titles = parse.event_titles(parse.table("events").c.series_id == series.id)
    if titles:
        raise Conflict(
            _(
                "%(name)s has events (%(titles)s): deactivate it instead of deleting it.",
                name=series.name,
                titles="、".join(titles),
            )
        )
    record("series", series.id, "delete", by, changes={"slug": [series.slug, None]})
    planning = planning_of(series)
    if planning is not None:
        db.session.delete(planning)
    db.session.delete(series)
    db.session.flush()
