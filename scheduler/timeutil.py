"""Time zone helpers: everything is stored in UTC and shown in the configured zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


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
