"""Who may change an event from the portal's pages."""

from flask_babel import gettext as _
from flask_login import current_user

from ..errors import Forbidden, NotFound
from ..events import workflow
from ..events.models import Event
from ..events.queries import get_event


def managed_event(event_id: int) -> Event:
    """The event, if the signed-in user may change it (404 / 403 otherwise)."""
    event = get_event(event_id)
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    if not workflow.may_manage(current_user, event):
        raise Forbidden(_("Only the host society and organizers may change this event."))
    return event
