"""The dates of a repeating event as its public page lists them: moved occurrences with
their original date, cancelled ones (exception dates) struck through instead of hidden."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import get_locale

from ..events.models import Event, Occurrence
from ..extensions import db
from ..timeutil import event_zone, to_local
from ..types import utcnow

# The page lists this many dates from the next one on, and says how many more there are.
SHOWN_DATES = 20


@dataclass(frozen=True)
class DateLine:
    start: datetime  # aware UTC; a cancelled date where it was
    end: datetime
    label: str  # "6月10日周三 19:00"
    moved_from: str = ""  # the label of the rule's date, when moved
    cancelled: bool = False


def date_lines(event: Event) -> tuple[list[DateLine], int]:
    """(the upcoming dates, or every date once all are past, at most SHOWN_DATES of them;
    how many more there are), in one query."""
    rows = db.session.execute(
        sa.select(Occurrence.start_at, Occurrence.end_at, Occurrence.recurrence_id)
        .where(Occurrence.event_id == event.id)
        .order_by(Occurrence.start_at)
    ).all()
    now, this_year = utcnow(), to_local(utcnow()).year
    label = _labeller(event.all_day, this_year)
    lines = [
        DateLine(start, end, label(start), label(rule_start) if rule_start != start else "")
        for start, end, rule_start in rows
    ]
    zone = event_zone(event)
    for key in event.exdates or []:
        start = _from_key(key, zone)
        if start is not None:
            lines.append(DateLine(start, start, label(start), cancelled=True))
    lines.sort(key=lambda line: line.start)
    upcoming = [line for line in lines if line.end >= now]
    shown = upcoming or lines
    return shown[:SHOWN_DATES], max(0, len(shown) - SHOWN_DATES)


def _labeller(all_day: bool, this_year: int):
    locale = get_locale() or "zh_CN"

    def label(moment: datetime) -> str:
        local = to_local(moment)
        skeleton = "MMMEd" if local.year == this_year else "yMMMEd"
        day = format_skeleton(skeleton, local.date(), locale=locale)
        return day if all_day else f"{day} {local:%H:%M}"

    return label


def _from_key(key: str, zone) -> datetime | None:
    """An exception date's stored key (local in the event's zone) as aware UTC."""
    try:
        value = datetime.fromisoformat(key)
    except (TypeError, ValueError):
        try:
            value = datetime.combine(date.fromisoformat(key), datetime.min.time())
        except (TypeError, ValueError):
            return None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value
