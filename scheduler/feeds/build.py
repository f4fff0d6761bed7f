"""Building iCalendar objects with the icalendar library.

``vevent_bytes`` serializes one event (cached by the caller per event version);
``calendar_bytes`` wraps serialized events into a VCALENDAR with one VTIMEZONE per zone
used. An event with its own zone (issue #17) is written in it: DTSTART;TZID=Europe/Berlin.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vRecur, vText
from icalendar import Event as VEvent

from ..enums import EventStatus
from ..events.models import Event

PRODID = "-//Science events scheduler//scheduler//ZH"
STATUS = {
    EventStatus.APPROVED: "CONFIRMED",
    EventStatus.COMPLETED: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
    EventStatus.SUBMITTED: "TENTATIVE",
    EventStatus.CHANGES_REQUESTED: "TENTATIVE",
}

# RFC 7986 COLOR takes a CSS3 colour name: the nearest of these to a series' hex colour.
CSS_COLORS = {
    "red": (255, 0, 0), "darkred": (139, 0, 0), "orange": (255, 165, 0), "gold": (255, 215, 0),
    "olive": (128, 128, 0), "green": (0, 128, 0), "seagreen": (46, 139, 87), "teal": (0, 128, 128),
    "steelblue": (70, 130, 180), "royalblue": (65, 105, 225), "navy": (0, 0, 128),
    "purple": (128, 0, 128), "mediumvioletred": (199, 21, 133), "brown": (165, 42, 42),
    "gray": (128, 128, 128), "black": (0, 0, 0),
}  # fmt: skip


def css_color(hex_color: str) -> str:
    rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return min(CSS_COLORS, key=lambda n: sum((a - b) ** 2 for a, b in zip(CSS_COLORS[n], rgb)))


@dataclass(frozen=True)
class FeedMeta:
    name: str
    description: str
    tzid: str
    color: str | None = None  # "#rrggbb"


@dataclass(frozen=True)
class Labels:
    """Translated words the VEVENT text needs (built by the caller in the feed's locale)."""

    host: str
    cohosts: str
    speakers: str
    more: str
    kinds: dict
    audiences: dict


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz)


def event_tz(event: Event, tz: ZoneInfo) -> ZoneInfo:
    """The zone the event is written in: its own, else the feed's ``tz`` (all-day events
    carry dates, no zone)."""
    return ZoneInfo(event.timezone) if event.timezone and not event.all_day else tz


def _description(event: Event, labels: Labels, url: str) -> str:
    lines = [event.description.strip()] if event.description.strip() else []
    lines.append(f"{labels.host}: {event.host.name}")
    if event.cohosts:
        lines.append(f"{labels.cohosts}: " + "、".join(s.name for s in event.cohosts))
    if event.speakers:
        names = [f"{p.name}（{p.title}）" if p.title else p.name for p in event.speakers]
        lines.append(f"{labels.speakers}: " + "、".join(names))
    if event.online_url:
        lines.append(event.online_url)
    lines.append(f"{labels.more}: {url}")
    return "\n".join(lines)


def vevent_bytes(event: Event, tz: ZoneInfo, labels: Labels, url: str, uid: str) -> bytes:
    """The event's VEVENT, serialized (folded, CRLF) by icalendar, followed by one
    RECURRENCE-ID override for every single occurrence that was moved."""
    tz = event_tz(event, tz)
    master = _vevent(event, tz, labels, url, uid)
    parts = [master.to_ical()]
    for key, change in sorted((event.overrides or {}).items()):
        moved = _vevent(event, tz, labels, url, uid, rrule=False)
        for name in ("dtstart", "dtend"):
            del moved[name]
        if event.all_day:
            moved.add("recurrence-id", date.fromisoformat(key[:10]))
            moved.add("dtstart", date.fromisoformat(change["start"][:10]))
            moved.add("dtend", date.fromisoformat(change["end"][:10]))
        else:
            moved.add("recurrence-id", datetime.fromisoformat(key).replace(tzinfo=tz))
            moved.add("dtstart", datetime.fromisoformat(change["start"]).replace(tzinfo=tz))
            moved.add("dtend", datetime.fromisoformat(change["end"]).replace(tzinfo=tz))
        parts.append(moved.to_ical())
    return b"".join(parts)


def _vevent(event: Event, tz: ZoneInfo, labels: Labels, url: str, uid: str, rrule=True):
    v = VEvent()
    v.add("uid", uid)
    v.add("dtstamp", event.updated_at)
    v.add("created", event.created_at)
    v.add("last-modified", event.updated_at)
    v.add("sequence", event.sequence)
    if event.all_day:
        first = _local(event.start_at, tz).date()
        last = _local(event.end_at, tz).date()
        v.add("dtstart", first)
        v.add("dtend", max(last, first + timedelta(days=1)))  # exclusive
    else:
        v.add("dtstart", _local(event.start_at, tz))
        v.add("dtend", _local(event.end_at, tz))
    if rrule and event.rrule:
        v.add("rrule", vRecur.from_ical(event.rrule))
    if rrule and event.rdates:
        v.add("rdate", [_exdate(x, event.all_day, tz) for x in event.rdates])
    if rrule and event.exdates and (event.rrule or event.rdates):
        v.add("exdate", [_exdate(x, event.all_day, tz) for x in event.exdates])
    v.add("summary", event.title)
    v.add("description", _description(event, labels, url))
    venue = event.venue
    if venue is not None:
        location = venue.name if venue.is_online else f"{venue.name}，{venue.address}".strip("，")
        v.add("location", location)
        if venue.latitude is not None and venue.longitude is not None:
            v.add("geo", (venue.latitude, venue.longitude))
    elif event.online_url:
        v.add("location", event.online_url)
    v.add("url", url)
    categories = [labels.kinds.get(event.kind.value, event.kind.value)]
    if event.series:
        categories.append(event.series.name)
    categories += [labels.audiences.get(a.value, a.value) for a in event.audiences]
    v.add("categories", categories)
    v.add(
        "organizer", f"mailto:noreply@{uid.rsplit('@', 1)[-1]}", parameters={"CN": event.host.name}
    )
    v.add("status", STATUS.get(event.status, "TENTATIVE"))
    if event.series and event.series.color:
        v.add("color", css_color(event.series.color))
    return v


def _exdate(value: str, all_day: bool, tz: ZoneInfo):
    moment = datetime.fromisoformat(value)
    if all_day:
        return moment.date()
    return moment.replace(tzinfo=tz)


@cache
def _timezone(tzid: str) -> Timezone:
    return Timezone.from_tzid(tzid, first_date=date(1970, 1, 1), last_date=date(2100, 1, 1))


def calendar_bytes(
    meta: FeedMeta, fragments: list[bytes], needs_timezone: bool, other_zones=()
) -> bytes:
    """The VCALENDAR around already serialized VEVENTs; ``other_zones``: the zones of events
    written in a zone of their own, each gets its VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # icalendar does not know NAME and the X-WR- names as text: say so, or a name (a series,
    # a society, an event's title) would be written unescaped, line breaks and all.
    cal.add("name", vText(str(meta.name)))
    cal.add("x-wr-calname", vText(str(meta.name)))
    cal.add("description", vText(str(meta.description)))
    cal.add("x-wr-caldesc", vText(str(meta.description)))
    cal.add("x-wr-timezone", meta.tzid)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    if meta.color:
        cal.add("color", css_color(meta.color))
        cal.add("x-apple-calendar-color", meta.color)
    if needs_timezone:
        cal.add_component(_timezone(meta.tzid))
    for tzid in sorted(set(other_zones) - {meta.tzid}):
        cal.add_component(_timezone(tzid))
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    return head[: -len(end)] + b"".join(fragments) + end
