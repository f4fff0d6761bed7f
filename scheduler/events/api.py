"""Event endpoints of the JSON API."""

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.pagination import page_envelope, parse_page
from ..errors import NotFound
from .enums import PUBLIC_STATUSES
from .queries import get_event, page_events, parse_filters
from .serialize import event_to_json


def can_see_unpublished(event=None) -> bool:
    if not current_user.is_authenticated:
        return False
    if current_user.is_organizer:
        return True
    return event is not None and event.host_id == current_user.society_id


@bp.get("/events")
def list_events():
    filters = parse_filters(request.args, allow_status=current_user.is_authenticated)
    unpublished = set(filters.statuses) - set(PUBLIC_STATUSES)
    if unpublished and not current_user.is_organizer:
        # Editors see unpublished events of their own society only.
        filters.society_ids = [current_user.society_id]
    page, per_page = parse_page(request.args)
    events, total, occurrences = page_events(filters, page, per_page)
    items = [event_to_json(e, occurrences[e.id]) for e in events]
    return jsonify(page_envelope(items, page, per_page, total))


@bp.get("/events/<int:event_id>")
def show_event(event_id: int):
    event = get_event(event_id)
    if event is None or (event.status not in PUBLIC_STATUSES and not can_see_unpublished(event)):
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    return jsonify(event_to_json(event, event.occurrences))
