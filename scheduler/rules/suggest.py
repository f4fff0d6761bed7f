"""Nearest free slots: same length, same venue, shifted in time; or another venue."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .types import Span

STEP = timedelta(minutes=30)
DAY_START, DAY_END = time(8, 0), time(21, 0)
SEARCH_DAYS = 14


def _free(span: Span, busy: list[Span]) -> bool:
    return all(not (s < span[1] and e > span[0]) for s, e in busy)


def nearest_free_slots(
    wanted: Span,
    busy: list[Span],
    tz: ZoneInfo,
    not_before: datetime,
    count: int = 3,
) -> list[Span]:
    """Up to ``count`` free spans of the wanted length, nearest to the wanted start first.

    Candidates start on the half hour between 08:00 and 21:00 local time, within two weeks.
    """
    length = wanted[1] - wanted[0]
    local_start = wanted[0].astimezone(tz)
    candidates = []
    for offset in range(-SEARCH_DAYS, SEARCH_DAYS + 1):
        day = local_start.date() + timedelta(days=offset)
        moment = datetime.combine(day, DAY_START, tzinfo=tz)
        last = datetime.combine(day, DAY_END, tzinfo=tz) - length
        while moment <= last:
            candidates.append(moment)
            moment += STEP
    candidates.sort(key=lambda m: (abs(m - local_start), m))
    found: list[Span] = []
    for moment in candidates:
        span = (moment.astimezone(wanted[0].tzinfo), moment.astimezone(wanted[0].tzinfo) + length)
        if span[0] == wanted[0] or span[0] < not_before:
            continue
        if _free(span, busy):
            found.append(span)
            if len(found) == count:
                break
    return found
