"""Time zone helpers: everything is stored in UTC and shown in the configured zone; a
repeating event may keep its own zone (an import's TZID), in which its rule repeats."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app

MAX_ZONE_NAME = 64  # Event.timezone
NOT_ZONES = {"localtime", "Factory"}  # files of the zone database that are no zone to choose


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones() - NOT_ZONES)


def is_zone_name(name: str) -> bool:
    return isinstance(name, str) and len(name) <= MAX_ZONE_NAME and name in known_zones()


def zone_of(name: str, all_day: bool = False) -> ZoneInfo:
    """The zone a rule repeats in: ``name``, or the association's for "" and all-day events
    (their dates are dates in every zone)."""
    return ZoneInfo(name) if name and not all_day else local_zone()


def event_zone(event) -> ZoneInfo:
    """The zone of ``event`` (anything with ``timezone`` and ``all_day``)."""
    return zone_of(event.timezone or "", bool(event.all_day))


def to_local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    return value.astimezone(tz or local_zone())


def local_to_utc(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """A naive local wall time (or an aware one) as aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or local_zone())
    return value.astimezone(UTC)


def local_midnight_utc(day: date, tz: ZoneInfo | None = None) -> datetime:
    return local_to_utc(datetime.combine(day, time()), tz)


def local_day_range(first: date, last: date, tz: ZoneInfo | None = None):
    """UTC [start, end) covering the local days first..last inclusive."""
    return local_midnight_utc(first, tz), local_midnight_utc(last + timedelta(days=1), tz)


def local_today(tz: ZoneInfo | None = None) -> date:
    return datetime.now(tz or local_zone()).date()
