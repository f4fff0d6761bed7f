"""Subscribe and add-to-calendar links for pages (webcal, https, Google, Outlook)."""

from datetime import UTC
from urllib.parse import urlencode

from ..hosts import absolute_url
from ..timeutil import to_local

FILTER_ARGS = ("kind", "series", "society", "venue", "campaign", "city", "audience", "q")


def subscribe_links(args, name: str) -> dict:
    """Links to the feed of exactly what the page shows (its filters)."""
    filters = {k: args[k] for k in FILTER_ARGS if args.get(k)}
    https = absolute_url("feeds.calendar", **filters)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {
        "https": https,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": https, "name": name}),
    }


def google_event_link(event, details_url: str) -> str:
    """Google Calendar's "add this event" template link."""

    def stamp(value):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    if event.all_day:
        first, last = to_local(event.start_at), to_local(event.end_at)
        dates = f"{first:%Y%m%d}/{last:%Y%m%d}"
    else:
        dates = f"{stamp(event.start_at)}/{stamp(event.end_at)}"
    location = event.venue.name if event.venue else event.online_url
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": details_url,
        "location": location or "",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
