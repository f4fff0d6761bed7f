"""Event endpoints of the JSON API: reads for everyone, writes with a bearer token."""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import user_from_bearer
from ..api.pagination import page_envelope, parse_page
from ..api.request import api_user, json_body
from ..database import MAX_ID
from ..enums import PUBLIC_STATUSES
from ..errors import BadInput, NotFound, fail
from . import schemas, workflow
from .conflicts import finding_to_json
from .input import check_shape
from .models import Event
from .queries import get_event, load_events, page_events, parse_filters
from .serialize import event_to_json
from .visibility import may_view

bp = Blueprint("events", __name__)  # nested under the API blueprint: api.events.*


@bp.get("/events")
def list_events():
    filters = parse_filters(request.args, allow_status=current_user.is_authenticated)
    unpublished = set(filters.statuses) - set(PUBLIC_STATUSES)
    if unpublished and not current_user.is_organizer:
        # Editors see unpublished events as far as visibility.py lets their society.
        filters.viewer_society_id = current_user.society_id or 0
    page, per_page = parse_page(request.args)
    events, total, occurrences = page_events(filters, page, per_page)
    items = [event_to_json(e, occurrences[e.id]) for e in events]
    return jsonify(page_envelope(items, page, per_page, total))


@bp.get("/events/<int:event_id>")
def show_event(event_id: int):
    events, occurrences = load_events([event_id]) if abs(event_id) <= MAX_ID else ([], {})
    if not events or not may_view(current_user, events[0]):
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    return jsonify(event_to_json(events[0], occurrences[event_id]))


# --- writes: bearer token only (api/request.py: the API is exempt from CSRF) ---


def _event_or_404(event_id: int) -> Event:
    event = get_event(event_id) if abs(event_id) <= MAX_ID else None
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    return event


def _with_findings(event: Event, findings, status: int = 200):
    body = event_to_json(event, event.occurrences)
    body["findings"] = [finding_to_json(f) for f in findings]
    return jsonify(body), status


@bp.post("/events")
def create():
    outcome = workflow.create_event(json_body(), api_user())
    return _with_findings(outcome.event, outcome.findings, 201)


@bp.patch("/events/<int:event_id>")
def update(event_id: int):
    user = api_user()
    outcome = workflow.update_event(_event_or_404(event_id), json_body(), user)
    return _with_findings(outcome.event, outcome.findings)


@bp.delete("/events/<int:event_id>")
def delete(event_id: int):
    user = api_user()
    workflow.delete_draft(_event_or_404(event_id), user)
    return "", 204


@bp.post("/events/<int:event_id>/<action>")
def transition(event_id: int, action: str):
    name = action.replace("-", "_")
    if name not in workflow.ACTIONS:
        raise NotFound(_("Unknown action: %(action)s.", action=action))
    user = api_user()
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise BadInput(_("The request body must be a JSON object."))
    decision = check_shape(body, schemas.Decision).model_dump()
    outcome = workflow.ACTIONS[name](_event_or_404(event_id), user, decision)
    return _with_findings(outcome.event, outcome.findings)


@bp.post("/conflicts/check")
def check_conflicts():
    """Findings for an event body (new, or ``id`` of an existing one plus changes); writes
    nothing. A signed-in session works too, so the portal form can ask while typing."""
    user = user_from_bearer(request) or (current_user if current_user.is_authenticated else None)
    if user is None:
        fail(401, _("Send an API token: Authorization: Bearer <token>."))
    body = dict(json_body())
    event_id = body.pop("id", None)
    if event_id is not None and (not isinstance(event_id, int) or isinstance(event_id, bool)):
        raise BadInput(_("id must be a number."), field="id")
    current = _event_or_404(event_id) if event_id is not None else None
    findings = workflow.preview(body, user, current)
    return jsonify({"findings": [finding_to_json(f) for f in findings]})


@bp.patch("/events/<int:event_id>/occurrences/<key>")
def change_occurrence(event_id: int, key: str):
    """Move one occurrence of a repeating event ({"start", "end"}), cancel it
    ({"cancelled": true}, an exception date) or put it back ({"reset": true})."""
    user = api_user()
    outcome = workflow.change_occurrence(_event_or_404(event_id), key, json_body(), user)
    return _with_findings(outcome.event, outcome.findings)
