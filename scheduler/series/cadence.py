"""A series' cadence (its RRULE) in words for public pages: "Every 2 weeks on Thursday"."""

import re

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


def describe_cadence(rule: str) -> str | None:
    """The rule in the reader's language, or None when it is empty or too unusual to put in
    a short sentence (the page then shows the rule itself)."""
    parts = dict(p.partition("=")[::2] for p in (rule or "").upper().split(";") if "=" in p)
    try:
        interval = int(parts.get("INTERVAL", "1"))
        days = _days(parts.get("BYDAY", ""))
    except ValueError:
        return None
    unused = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST", "BYMONTHDAY"}
    if unused or interval < 1:
        return None
    describe = {"DAILY": _daily, "WEEKLY": _weekly, "MONTHLY": _monthly, "YEARLY": _yearly}
    frequency = describe.get(parts.get("FREQ", ""))
    return frequency(interval, days, parts.get("BYMONTHDAY", "")) if frequency else None


# "the first Saturday" as whole phrases: word order differs between languages.
NTH = {
    0: lambda day: day,
    1: lambda day: _("the first %(day)s", day=day),
    2: lambda day: _("the second %(day)s", day=day),
    3: lambda day: _("the third %(day)s", day=day),
    4: lambda day: _("the fourth %(day)s", day=day),
    -1: lambda day: _("the last %(day)s", day=day),
}


def _days(value: str) -> list[tuple[int, int]]:
    """[(ordinal or 0, weekday index)] of a BYDAY value; ValueError when it is not one."""
    days = []
    for item in filter(None, value.split(",")):
        match = _BYDAY.match(item)
        if match is None:
            raise ValueError(item)
        days.append((int(match.group(1) or 0), WEEKDAYS.index(match.group(2))))
    return days


def _day_names(days: list[tuple[int, int]]) -> str:
    names = get_day_names("wide", locale=get_locale())
    words = []
    for ordinal, weekday in days:
        if ordinal not in NTH:
            raise ValueError(ordinal)
        words.append(NTH[ordinal](names[weekday]))
    return _(", ").join(words)


def _daily(interval: int, days, monthdays: str) -> str | None:
    if days or monthdays:
        return None
    return _("Every day") if interval == 1 else _("Every %(num)s days", num=interval)


def _weekly(interval: int, days, monthdays: str) -> str | None:
    if monthdays or any(ordinal for ordinal, _day in days):
        return None
    if not days:
        return _("Every week") if interval == 1 else _("Every %(num)s weeks", num=interval)
    if interval == 1:
        return _("Every week on %(days)s", days=_day_names(days))
    return _("Every %(num)s weeks on %(days)s", num=interval, days=_day_names(days))


def _monthly(interval: int, days, monthdays: str) -> str | None:
    if interval != 1 or (days and monthdays):
        return None
    if days:  # BYDAY=SA alone would be every Saturday: only "the first Saturday" here
        if not all(ordinal for ordinal, _day in days):
            return None
        try:
            return _("Every month on %(days)s", days=_day_names(days))
        except ValueError:
            return None
    if monthdays:
        if not all(d.isdigit() and 1 <= int(d) <= 31 for d in monthdays.split(",")):
            return None
        return _("Every month on day %(days)s", days=monthdays.replace(",", _(", ")))
    return _("Every month")


def _yearly(interval: int, days, monthdays: str) -> str | None:
    return _("Every year") if interval == 1 and not days and not monthdays else None
