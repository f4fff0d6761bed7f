"""The person body of the API, the directory pages and the spreadsheet importer, declared
once: the service validates with it and the API document is derived from it."""

from .. import directory_input as di
from .models import MAX_AFFILIATION, MAX_NAME, MAX_TITLE

MAX_MONTHLY_LIMIT = 100


class PersonInput(di.Body):
    """A scarce expert with a monthly limit makes the conflict check warn when booked more
    often in one month."""

    slug: di.Slug = None
    name: di.Text(MAX_NAME, required=True) = None
    title: di.Text(MAX_TITLE) = None
    affiliation: di.Text(MAX_AFFILIATION) = None
    scarce: di.Flag = None
    monthly_limit: di.Whole(
        1, MAX_MONTHLY_LIMIT, optional=True, description="null or empty for none."
    ) = None
    active: di.Flag = None
