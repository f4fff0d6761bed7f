"""Expanding recurrence rules (RFC 5545 RRULE, RDATE and exception dates) in the wall time
of the event's zone.

Pure functions over plain values: no Flask, no database.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr

_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?", re.IGNORECASE)


class RecurrenceError(ValueError):
    """The rule cannot be used; ``code`` says why (invalid, unbounded, too_many)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    recurrence_id: datetime  # the start the rule gave, aware UTC


def local_until(rule: str, tz: tzinfo) -> str:
    """dateutil wants UNTIL in the same kind (naive) as DTSTART: turn a UTC UNTIL local
    (wall time in ``tz``; a date UNTIL becomes the end of that day)."""

    def convert(match: re.Match) -> str:
        day, clock, zulu = match.group(1), match.group(3), match.group(4)
        if not clock:
            return f"UNTIL={day}T235959"
        value = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
        if zulu:
            value = value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        return "UNTIL=" + value.strftime("%Y%m%dT%H%M%S")

    return _UNTIL.sub(convert, rule)


def exdate_key(value: datetime, all_day: bool) -> str:
    """The stored form of an exception date: local ISO date or date-time to the minute."""
    return value.date().isoformat() if all_day else value.strftime("%Y-%m-%dT%H:%M")


def normalize_rrule(rule: str) -> str:
    rule = (rule or "").strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    return rule.upper()


# Bounds dateutil does not check itself (INTERVAL=0 repeats one date forever; BYSECOND=60
# fails only while expanding). RFC 5545 allows a leap second 60; times here are minutes.
_PART_RANGES = {"INTERVAL": (1, 1000), "COUNT": (1, 10**12), "BYSECOND": (0, 59),
                "BYMINUTE": (0, 59), "BYHOUR": (0, 23)}  # fmt: skip


def _check_parts(rule: str) -> None:
    for part in rule.split(";"):
        name, _sep, value = part.partition("=")
        if name not in _PART_RANGES:
            continue
        low, high = _PART_RANGES[name]
        for item in value.split(","):
            digits = item.isascii() and item.isdigit() and len(item) <= 12
            if not digits or not low <= int(item) <= high:
                raise RecurrenceError("invalid", f"{name}={value}"[:60])


PROBE_YEAR = 9968  # a leap year 31 years before dateutil's last year


def _matches_ever(rule: str, first_local: datetime) -> bool:
    """Whether the rule gives any date at all. dateutil walks a rule that can never match
    (the 30th of February, a BYSETPOS beyond the set) up to the year 9999 before it gives
    up, which takes tens of seconds; any rule that matches does so within 28 years (the
    calendar's cycle of weekdays and leap days), so the last 31 years are probed instead."""
    endless = ";".join(
        part for part in rule.split(";") if not part.startswith(("COUNT=", "UNTIL="))
    )
    probe = rrulestr("RRULE:" + endless, dtstart=first_local.replace(year=PROBE_YEAR))
    return next(iter(probe), None) is not None


def expand(
    start: datetime,
    end: datetime,
    rule: str,
    exdates: list[str],
    tz: ZoneInfo,
    all_day: bool = False,
    max_count: int = 500,
    overrides: dict | None = None,
    rdates: list[str] | None = None,
) -> list[Slot]:
    """All occurrences of an event as UTC slots, the rule repeating in ``tz``'s wall time
    (10:00 Berlin stays 10:00 Berlin across a change of clocks).

    ``start``/``end`` are the first occurrence (aware). A rule must be bounded (COUNT or
    UNTIL) and give, with ``rdates`` (extra local starts, keys like exdates; a date the rule
    gives already is not doubled), at most ``max_count`` occurrences; otherwise
    RecurrenceError. Exception dates remove rule dates and rdates alike.
    ``overrides`` moves single occurrences: {local key of the rule's start: {"start": local
    ISO, "end": local ISO}}; the slot keeps the rule's start as its recurrence_id. A key
    that is not an occurrence of the rule raises RecurrenceError("override").
    """
    duration = end - start
    first_local = start.astimezone(tz).replace(tzinfo=None)
    rule = normalize_rrule(rule)
    if not rule and not rdates:
        return [Slot(start, end, start)]
    if rule and "COUNT=" not in rule and "UNTIL=" not in rule:
        raise RecurrenceError("unbounded")
    _check_parts(rule)
    try:
        dates = rruleset()
        if rule:
            dates.rrule(rrulestr("RRULE:" + local_until(rule, tz), dtstart=first_local))
            if not _matches_ever(rule, first_local):
                raise RecurrenceError("never")
        else:
            dates.rdate(first_local)  # RDATE alone: the start is the first date
        for key in rdates or []:
            dates.rdate(_rdate(key))
        return _slots(dates, duration, tz, all_day, max_count, exdates, overrides)
    except RecurrenceError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:  # dateutil fails late on some rules
        raise RecurrenceError("invalid", str(exc)) from None


def _rdate(key: str) -> datetime:
    try:
        return datetime.fromisoformat(key).replace(second=0, microsecond=0, tzinfo=None)
    except (TypeError, ValueError):
        raise RecurrenceError("rdates", str(key)[:40]) from None


def first_of_rule(start: datetime, rule: str, tz: ZoneInfo) -> datetime | None:
    """The first date-time the rule gives from ``start`` (aware), as an aware UTC value, or
    None. RFC 5545 counts DTSTART as an occurrence even when the rule does not give it;
    dateutil, ical.js and Radicale drop it: callers compare the two."""
    rule = normalize_rrule(rule)
    first_local = start.astimezone(tz).replace(tzinfo=None)
    try:
        _check_parts(rule)
        if not _matches_ever(rule, first_local):  # else dateutil walks to the year 9999
            return None
        parsed = rrulestr("RRULE:" + local_until(rule, tz), dtstart=first_local)
        first = next(iter(parsed), None)
    except (RecurrenceError, ValueError, TypeError, OverflowError):
        return None
    return None if first is None else first.replace(tzinfo=tz).astimezone(UTC)


def _slots(parsed, duration, tz, all_day, max_count, exdates, overrides) -> list[Slot]:
    excluded = set(exdates or [])
    moved = dict(overrides or {})
    slots: list[Slot] = []
    for index, local in enumerate(parsed):
        if index >= max_count:
            raise RecurrenceError("too_many")
        key = exdate_key(local, all_day)
        if key in excluded:
            moved.pop(key, None)
            continue
        begin = local.replace(tzinfo=tz).astimezone(UTC)
        if key in moved:
            change = moved.pop(key)
            new_start = datetime.fromisoformat(change["start"]).replace(tzinfo=tz)
            new_end = datetime.fromisoformat(change["end"]).replace(tzinfo=tz)
            slots.append(Slot(new_start.astimezone(UTC), new_end.astimezone(UTC), begin))
        else:
            slots.append(Slot(begin, begin + duration, begin))
    if moved:
        raise RecurrenceError("override", ", ".join(sorted(moved)))
    return slots
