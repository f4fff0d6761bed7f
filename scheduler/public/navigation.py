"""What the public calendar shows around its events: links that keep the chosen date and
filters across the views, today's links, the holiday and make-up working day labels, the
series legend and the phone's day labels. Built once per page, never once per event."""

from datetime import date, timedelta

from babel.dates import format_skeleton
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from ..feeds.links import FILTER_ARGS
from ..holidays.service import CHINESE_NAMES, holidays_for_range

VIEWS = ("list", "week", "month")
# Holiday names are stored in Chinese; English pages show the schedule's English names.
ENGLISH_NAMES = {chinese: english for english, chinese in CHINESE_NAMES.items()}


def filter_args(args) -> dict[str, list[str]]:
    """The page's filters as lists of values (a comma list counts as several values); the
    text search stays one value."""
    found: dict[str, list[str]] = {}
    for name in FILTER_ARGS:
        raw = [v.strip() for v in args.getlist(name) if v.strip()]
        if name != "q":
            raw = [part.strip() for v in raw for part in v.split(",") if part.strip()]
        if raw:
            found[name] = list(dict.fromkeys(raw))
    return found


def calendar_url(view: str, day: date, filters: dict, **extra) -> str:
    """The calendar in ``view`` around ``day`` (its month, its week, or a list from it)."""
    if view == "month":  # the day rides along so that the week and list come back to it
        moment = {"month": f"{day:%Y-%m}", **({"day": day.isoformat()} if day.day > 1 else {})}
    elif view == "week":
        moment = {"week": day.isoformat()}
    else:
        moment = {"from": day.isoformat()}
    return url_for("public.calendar", view=view, **moment, **filters, **extra)


def view_links(view: str, anchor: date, today: date, filters: dict) -> dict:
    """Links to the three views at the chosen day, to today, and without filters."""
    return {
        "views": {name: calendar_url(name, anchor, filters) for name in VIEWS},
        "today": calendar_url(view, today, filters),
        "unfiltered": calendar_url(view, anchor, {}),
    }


def search_url() -> str:
    """The search page (another part of the site; a plain path while it is missing)."""
    try:
        return url_for("public.search")
    except BuildError:
        return "/search"


def holiday_name(name: str, english: bool) -> str:
    if not english:
        return name
    return "/".join(ENGLISH_NAMES.get(part, part) for part in name.split("、"))


def day_marks(first: date, last: date) -> dict[date, tuple[str, bool]]:
    """{day: (label, is make-up working day)} for the statutory holidays and the make-up
    working days (调休) from ``first`` to ``last``: one look-up per year shown."""
    english = _english()
    workday = _("Make-up working day")
    marks: dict[date, tuple[str, bool]] = {}
    for year in holidays_for_range(first, last).values():
        for day, name in year.days_off.items():
            if first <= day <= last:
                marks[day] = (holiday_name(name, english), False)
        for day in year.workdays:
            if first <= day <= last:
                marks[day] = (workday, True)
    return marks


def legend(rows) -> list[tuple[str, str]]:
    """The (name, colour) of each series among the shown rows, by name."""
    return sorted({(r.series_name, r.series_color or "") for r in rows if r.series_name})


def day_labels(days: list[date]) -> dict[date, str]:
    """A short date with its weekday for each day ("6月10日周三", "Wed, Jun 10"): what a
    phone shows instead of the month grid's bare day numbers."""
    locale = get_locale() or "zh_CN"
    return {d: format_skeleton("MMMEd", d, locale=locale) for d in days}


def around(day: date, view: str) -> tuple[date, date]:
    """The previous and next page's day for ``view`` (a month or a week away)."""
    if view == "month":
        first = day.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), (first + timedelta(days=32)).replace(
            day=1
        )
    return day - timedelta(days=7), day + timedelta(days=7)


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"
