"""What an event's share card says, in the visitor's language and the local time zone."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from ..enums import EventStatus
from ..events.models import Occurrence
from ..extensions import db
from ..hosts import absolute_url
from ..timeutil import local_day_range, local_today, to_local
from .card import Card, Fonts, bold_beside


def card_fonts() -> Fonts:
    regular = current_app.config["SHARE_CARD_FONT"]
    key = ("share_card_fonts", regular)
    fonts = current_app.extensions.get(key)
    if fonts is None:  # one warning per process when the font is missing
        fonts = current_app.extensions[key] = Fonts(regular, bold_beside(regular))
    return fonts


def card_content(event, page) -> Card:
    """The card of a public event; a repeating one shows its next date (or its last)."""
    start, end = _shown_session(event) if event.is_recurring else (event.start_at, event.end_at)
    first, last = to_local(start), to_local(end)
    date_line = format_date(first.date(), "full")
    if event.all_day:
        last_day = (last - timedelta(microseconds=1)).date()  # the end is the next midnight
        if last_day > first.date():
            date_line += " – " + format_date(last_day, "full")
        time_line = _("All day")
    else:
        time_line = f"{first:%H:%M}–{last:%H:%M}"
    notes = ()
    if len(page.dates) > 1:
        notes = (_("One of %(num)s dates: see them all on the event page.", num=len(page.dates)),)
    kicker = str(event.kind.label) + (f" · {event.series.name}" if event.series else "")
    return Card(
        title=event.title,
        kicker=kicker,
        date_line=date_line,
        time_line=time_line,
        place_lines=_place(event),
        host_line=_("Host: %(name)s", name=event.host.name),
        url=absolute_url("public.event_page", event_id=event.id),
        scan_hint=_("Scan the code to open the event page"),
        color=event.series.color if event.series else "",
        badge=_("Cancelled") if event.status == EventStatus.CANCELLED else "",
        notes=notes,
    )


def _shown_session(event) -> tuple[datetime, datetime]:
    """The first session from today on that is not cancelled, else the last one (moved
    sessions at their new time); a cancelled event's sessions all count."""
    since = local_day_range(local_today(), local_today())[0]
    held = [Occurrence.event_id == event.id]
    if event.status != EventStatus.CANCELLED:
        held.append(Occurrence.cancelled.is_(False))
    when = sa.select(Occurrence.start_at, Occurrence.end_at).where(*held)
    upcoming = when.where(Occurrence.end_at > since).order_by(Occurrence.start_at)
    last = when.order_by(Occurrence.start_at.desc())
    session = (
        db.session.execute(upcoming.limit(1)).first() or db.session.execute(last.limit(1)).first()
    )
    return tuple(session) if session else (event.start_at, event.end_at)


def _place(event) -> tuple[str, ...]:
    venue = event.venue
    if venue is None or venue.is_online:
        return (_("Online"),) if venue or event.online_url else ()
    name = venue.name + (f"（{venue.city}）" if venue.city else "")
    return (name, venue.address) if venue.address else (name,)
