"""The venue and closure bodies of the API, the directory pages and the spreadsheet importer,
declared once: the service validates with them and the API document is derived from them."""

from datetime import date, datetime
from typing import Annotated

from flask_babel import gettext as _
from pydantic import Field

from .. import directory_input as di
from ..errors import BadInput
from .models import MAX_ADDRESS, MAX_CITY, MAX_NAME, MAX_REASON, MAX_STREAM_URL

MAX_CAPACITY = 1_000_000
MAX_BUFFER_MINUTES = 1440


class VenueInput(di.Body):
    """A hall needs a capacity of at least 1; an online venue a stream URL (http or https).
    Latitude and longitude come together or not at all."""

    slug: di.Slug = None
    name: di.Text(MAX_NAME, required=True) = None
    address: di.Text(MAX_ADDRESS) = None
    city: di.Text(MAX_CITY) = None
    capacity: di.Whole(0, MAX_CAPACITY, blank=0) = None
    latitude: di.Number(-90, 90) = None
    longitude: di.Number(-180, 180) = None
    buffer_minutes: di.Whole(
        0, MAX_BUFFER_MINUTES, blank=0, description="Kept free between two bookings."
    ) = None
    is_online: di.Flag = None
    stream_url: di.WebAddress(MAX_STREAM_URL) = None
    active: Annotated[
        di.Flag,
        Field(
            description="Deactivating is refused (409) while future submitted or approved "
            "events use the venue."
        ),
    ] = None


def parse_day(value, name: str) -> date:
    """A local date (YYYY-MM-DD) from MIN_YEAR to MAX_YEAR."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        raw = di.text(value, name, 10, required=True)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise BadInput(
                _("%(field)s is not a valid date: %(value)s", field=name, value=raw), field=name
            ) from None
    di.event_year(day.year, name)
    return day


Day = Annotated[date, di.checked(parse_day)]


class ClosureInput(di.Body):
    """Local dates, both included. Refused (409) over future submitted or approved events in
    the venue."""

    first_day: Day = None
    last_day: Day = None
    reason: di.Text(MAX_REASON) = None
