"""The society body of the API, the directory pages and the spreadsheet importer, declared
once: the service validates with it and the API document is derived from it."""

from .. import directory_input as di
from .models import MAX_EMAIL, MAX_NAME, MAX_PHONE, MAX_SHORT, SocietyKind

MAX_MIN_EVENTS = 1000


class SocietyInput(di.Body):
    """A new society needs name and kind; a change sends only what changes. Numbers and
    booleans may also come as text; the slug is made from the name when absent."""

    slug: di.Slug = None
    name: di.Text(MAX_NAME, required=True) = None
    short_name: di.Text(MAX_SHORT) = None
    kind: di.Choice(SocietyKind) = None
    discipline: di.Text(MAX_SHORT) = None
    city: di.Text(MAX_SHORT) = None
    contact_name: di.Text(MAX_SHORT) = None
    contact_email: di.Email(MAX_EMAIL) = None
    contact_phone: di.Text(MAX_PHONE) = None
    min_events_per_year: di.Whole(
        0, MAX_MIN_EVENTS, blank=1, description="Hosted activities a year; 1 when empty."
    ) = None
    active: di.Flag = None
