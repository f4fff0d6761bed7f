"""Subscribe and add-to-calendar links for pages (webcal, https, Google, Outlook)."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from ..hosts import absolute_url
from ..recurrence import local_until, normalize_rrule
from ..timeutil import event_zone, to_local

FILTER_ARGS = (
    "kind", "series", "society", "venue", "campaign", "speaker", "city", "audience", "q",
)  # fmt: skip


def subscribe_links(args, name: str, endpoint: str = "feeds.calendar", **values) -> dict:
    """Links to the feed of exactly what the page shows (its filters, each with every value
    it was given), or of ``endpoint`` (e.g. a campaign's feed) when named."""
    filters = {k: [v for v in args.getlist(k) if v] for k in FILTER_ARGS}
    https = absolute_url(endpoint, **values, **{k: v for k, v in filters.items() if v})
    webcal = webcal_url(https)
    return {
        "https": https,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": https, "name": name}),
    }


def webcal_url(https: str) -> str:
    """The webcal:// form of a feed address (calendar apps subscribe instead of download)."""
    return "webcal://" + https.split("://", 1)[1]


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_event_link(event, details_url: str) -> str:
    """Google Calendar's "add this event" template link; a repeating event carries its rule
    (``recur``, with EXDATE/RDATE lines) and its zone (``ctz``) so that it repeats at the
    same wall-clock time."""
    if event.all_day:
        first, last = to_local(event.start_at), to_local(event.end_at)
        dates = f"{first:%Y%m%d}/{last:%Y%m%d}"
    else:
        dates = f"{_stamp(event.start_at)}/{_stamp(event.end_at)}"
    location = event.venue.name if event.venue else event.online_url
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": details_url,
        "location": location or "",
    }
    recur = google_recurrence(event)
    if recur:
        query.update(recur=recur, ctz=event_zone(event).key)
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def google_recurrence(event) -> str:
    """The RRULE, EXDATE and RDATE lines of a repeating event ("" for a single one), times
    in UTC: cancelled dates and the original dates of moved occurrences are excluded, the
    moved ones and the extra dates added (Google's link cannot express a moved duration)."""
    if not event.is_recurring:
        return ""
    tz = event_zone(event)
    lines = []
    rule = normalize_rrule(event.rrule or "")
    if rule:
        lines.append("RRULE:" + _utc_until(rule, tz))
    moved = event.overrides or {}
    excluded = [*(event.exdates or []), *moved]
    added = [*(event.rdates or []), *(change["start"] for change in moved.values())]
    if excluded:
        lines.append("EXDATE:" + ",".join(_key_value(k, tz, event.all_day) for k in excluded))
    if added:
        lines.append("RDATE:" + ",".join(_key_value(k, tz, event.all_day) for k in added))
    return "\n".join(lines)


def _key_value(key: str, tz, all_day: bool) -> str:
    """A stored local key ("2027-06-03T19:00" or "2027-06-03") as an iCalendar value."""
    moment = datetime.fromisoformat(key)
    if all_day:
        return f"{moment:%Y%m%d}"
    return _stamp(moment.replace(tzinfo=tz) if moment.tzinfo is None else moment)


def _utc_until(rule: str, tz) -> str:
    """The rule with its UNTIL in UTC (Z), as RFC 5545 asks when the start is in UTC."""
    local = local_until(rule, tz)
    for part in local.split(";"):
        if part.startswith("UNTIL="):
            value = datetime.strptime(part[6:], "%Y%m%dT%H%M%S").replace(tzinfo=tz)
            return local.replace(part, "UNTIL=" + _stamp(value))
    return local
