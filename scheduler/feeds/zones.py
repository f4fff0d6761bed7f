"""Naming the time zone of an imported event: an IANA name for a zone the file gives by
IANA or Windows name, and for a zone the file defines itself (Outlook's "Customized Time
Zone"), the IANA zone whose offsets and changes agree with it over the years its events use.

Pure functions over plain values: no Flask, no database.
"""

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil.tz import tzical
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

# A file's change of offset may differ from the IANA zone's by this much: Outlook writes
# "Saturday 23:59:59" for what the tz database calls "Sunday 00:00".
TOLERANCE = timedelta(minutes=2)
MAX_YEARS = 4  # compared at most; a rule running longer is compared over its first years
# Offsets are compared once a week and around each change of the file's zone (found to the
# minute): zones change their offset months apart, never twice within a week.
_STEP = timedelta(days=7)
# Time zone rules start in 1601 (Outlook) or 1970; dateutil walks a rule from its start on
# every conversion, so rules without COUNT start in this (leap) year instead: the same
# dates from then on (imports take 1970 to 2100).
RULES_FROM = 1968


@dataclass(frozen=True)
class ZoneMatch:
    name: str  # an IANA name, or "" when no IANA zone agrees
    fixed: bool  # the file's zone never changes its offset over those years


def own_zone(lines: list[str]) -> tzinfo:
    """The tzinfo of a VTIMEZONE's lines (unfolded, BEGIN to END). Raises ValueError (and
    others dateutil raises) for one it cannot read."""
    return tzical(io.StringIO(_rules_from(lines))).get()


def _rules_from(lines: list[str]) -> str:
    """The VTIMEZONE's text with each STANDARD/DAYLIGHT part that repeats without COUNT
    starting in RULES_FROM when it starts earlier (see there)."""
    out, part = [], None
    for line in lines:
        upper = line.upper()
        if upper in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            part = [line]
            continue
        if part is None:
            out.append(line)
            continue
        part.append(line)
        if upper.startswith("END:"):
            rules = [x.upper() for x in part if x.upper().startswith("RRULE")]
            if rules and not any("COUNT=" in rule for rule in rules):
                part = [_moved_start(x) for x in part]
            out += part
            part = None
    return "\r\n".join(out) + "\r\n"


def _moved_start(line: str) -> str:
    name, sep, value = line.partition(":")
    if name.upper() != "DTSTART" or not value[:4].isdigit() or int(value[:4]) >= RULES_FROM:
        return line
    return f"{name}{sep}{RULES_FROM}{value[4:]}"


def zone_key(value: tzinfo | None) -> str:
    """The IANA name of a tzinfo that has one (zoneinfo, pytz), else ""."""
    name = getattr(value, "key", None) or getattr(value, "zone", None)
    return name if isinstance(name, str) else ""


def match_zone(zone: tzinfo, first_year: int, last_year: int, tzid: str = "") -> ZoneMatch:
    """The IANA zone that agrees with ``zone`` from ``first_year`` to ``last_year``: the
    same offset week by week and the same changes of clock (within TOLERANCE). Zones whose city is
    named in ``tzid`` come first, then the zones Windows names map to, then the rest, each
    group alphabetically. Without one, a zone that never changes its offset by whole hours
    becomes Etc/GMT±N; otherwise the name is ""."""
    last_year = min(last_year, first_year + MAX_YEARS - 1)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    days = [start + i * _STEP for i in range((end - start) // _STEP + 2)]
    wanted = [_offset(zone, day) for day in days]
    changes = [
        _change(zone, days[i], days[i + 1])
        for i in range(len(days) - 1)
        if wanted[i] != wanted[i + 1]
    ]
    probes = [(day, offset) for day, offset in zip(days, wanted, strict=True)]
    for moment in changes:
        probes += [(moment - TOLERANCE, _offset(zone, moment - TOLERANCE)),
                   (moment + TOLERANCE, _offset(zone, moment + TOLERANCE))]  # fmt: skip
    for name in _candidates(tzid):
        candidate = ZoneInfo(name)
        if all(_offset(candidate, moment) == offset for moment, offset in probes):
            return ZoneMatch(name, not changes)
    if not changes:
        return ZoneMatch(_fixed_name(wanted[0]), True)
    return ZoneMatch("", False)


def _offset(zone: tzinfo, moment: datetime) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _change(zone: tzinfo, low: datetime, high: datetime) -> datetime:
    """The moment (to the minute) between ``low`` and ``high`` where the offset changes."""
    before = _offset(zone, low)
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def _fixed_name(offset: timedelta | None) -> str:
    """Etc/GMT±N for a whole number of hours (its sign is reversed, POSIX style), else ""."""
    if offset is None or offset % timedelta(hours=1) or abs(offset) > timedelta(hours=14):
        return ""
    hours = int(offset / timedelta(hours=1))
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"


def _candidates(tzid: str) -> list[str]:
    words = tzid.replace("_", " ").casefold()
    named = [name for name in _zones() if _city(name) and _city(name) in words]
    return [*named, *_windows_zones(), *_zones()]


def _city(name: str) -> str:
    return name.rpartition("/")[2].replace("_", " ").casefold()


@cache
def _windows_zones() -> tuple[str, ...]:
    known = available_timezones()
    return tuple(sorted({name for name in WINDOWS_TO_OLSON.values() if name in known}))


@cache
def _zones() -> tuple[str, ...]:
    """Region/City names only: not the legacy links (US/Pacific, Brazil/East) nor Etc/."""
    regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
               "Europe/", "Indian/", "Pacific/")  # fmt: skip
    return tuple(sorted(name for name in available_timezones() if name.startswith(regions)))
