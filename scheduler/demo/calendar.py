"""Dates of the demo year: local wall times as UTC and the campaigns' fixed weeks."""

from datetime import UTC, date, datetime, time, timedelta

from .data import TZ


def at(day: date, hhmm: str) -> datetime:
    """Local wall time on ``day`` as aware UTC."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=TZ).astimezone(UTC)


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def academic_month_launch(year: int, off: set[date]) -> date:
    """The first working day after the National Day break (the academic month launch)."""
    day = date(year, 10, 8)
    while day.weekday() >= 5 or day in off:
        day += timedelta(days=1)
    return day


def science_day_week(year: int) -> tuple[date, date]:
    """全国科普日: the week starting on the Saturday between 12 and 18 September."""
    start = date(year, 9, 12)
    start += timedelta(days=(5 - start.weekday()) % 7)
    return start, start + timedelta(days=6)


def innovation_week_dates(year: int) -> tuple[date, date]:
    """双创活动周: Monday to Sunday of the week whose Monday falls on 12-18 October."""
    start = date(year, 10, 12)
    start += timedelta(days=(0 - start.weekday()) % 7)
    return start, start + timedelta(days=6)
