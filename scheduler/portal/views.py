"""Portal pages: my events, the event form with live findings, the event's page."""

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..audit.service import trail
from ..campaigns.models import Campaign
from ..errors import BadInput, NotFound
from ..events import workflow
from ..events.conflicts import check_event, finding_to_json
from ..events.enums import Audience, EventKind
from ..events.models import Event
from ..events.queries import event_loader_options, get_event
from ..events.visibility import may_view, society_condition
from ..extensions import db
from ..feeds.tokens import issue_feed_token, revoke_feed_token, tokens_of
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..venues.models import Venue
from .forms import body_to_form, event_to_form, form_to_body

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.before_request
@login_required
def require_login():
    pass


def _offered(model, values: dict, *names: str):
    """Active rows, plus inactive ones the event already uses (it keeps showing them)."""
    kept = []
    for name in names:
        value = values.get(name) or []
        kept += value if isinstance(value, list) else [value]
    return sa.or_(model.active.is_(True), model.slug.in_([v for v in kept if v]))


def _choices(values: dict | None = None) -> dict:
    """Everything the form's selects offer (one query per list)."""
    values = values or {}
    return {
        "kinds": list(EventKind),
        "audiences": list(Audience),
        "series": db.session.scalars(sa.select(Series).where(Series.active.is_(True))).all(),
        "campaigns": db.session.scalars(sa.select(Campaign).order_by(Campaign.start_date)).all(),
        "venues": db.session.scalars(
            sa.select(Venue)
            .where(_offered(Venue, values, "venue"))
            .order_by(Venue.city, Venue.name)
        ).all(),
        "societies": db.session.scalars(
            sa.select(Society)
            .where(_offered(Society, values, "host", "cohosts", "organizers"))
            .order_by(Society.name)
        ).all(),
        "people": db.session.scalars(
            sa.select(Person).where(_offered(Person, values, "speakers")).order_by(Person.name)
        ).all(),
    }


def _managed_event(event_id: int) -> Event:
    event = get_event(event_id)
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    if not workflow.may_manage(current_user, event):
        raise workflow.Forbidden(_("Only the host society and organizers may change this event."))
    return event


def _form_body() -> dict:
    """The event form as an API body; editors always register for their own society."""
    body = form_to_body(request.form)
    if not current_user.is_organizer:
        body["host"] = current_user.society.slug
    return body


@bp.get("/")
def my_events():
    """The society's events, and those it co-hosts as far as visibility.py lets it see."""
    stmt = sa.select(Event).options(*event_loader_options()).order_by(Event.start_at.desc())
    if not current_user.is_organizer:
        stmt = stmt.where(society_condition(current_user.society_id))
    events = db.session.scalars(stmt.limit(500)).all()
    return render_template("portal/events.html", events=events)


def _render_form(values: dict, event: Event | None = None, error: BadInput | None = None):
    status = error.status if error else 200
    return (
        render_template(
            "portal/form.html",
            values=values,
            event=event,
            error=error,
            choices=_choices(values),
        ),
        status,
    )


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    if request.method == "GET":
        host = current_user.society.slug if current_user.society else ""
        return _render_form({"host": host, "kind": "forum", "audiences": []})
    body = _form_body()
    try:
        outcome = workflow.create_event(body, current_user)
    except BadInput as exc:
        return _render_form(body_to_form(body, request.form), error=exc)
    flash(_("Draft saved. Check the findings, then submit it."), "ok")
    return redirect(url_for("portal.event_page", event_id=outcome.event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = _managed_event(event_id)
    if request.method == "GET":
        return _render_form(event_to_form(event), event)
    body = _form_body()
    try:
        workflow.update_event(event, body, current_user)
    except BadInput as exc:
        db.session.rollback()
        return _render_form(body_to_form(body, request.form), event, error=exc)
    flash(_("Changes saved."), "ok")
    return redirect(url_for("portal.event_page", event_id=event.id))


@bp.get("/events/<int:event_id>")
def event_page(event_id: int, refused: workflow.TransitionRefused | None = None):
    """The host and organizers manage the event here; co-hosts see it read-only."""
    event = get_event(event_id)
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    manage = workflow.may_manage(current_user, event)
    cohost = current_user.society in event.cohosts and may_view(current_user, event)
    if not (manage or cohost):
        raise workflow.Forbidden(_("Only the host society and organizers may change this event."))
    findings = (refused.findings if refused else check_event(event)) if manage else []
    return (
        render_template(
            "portal/event.html",
            event=event,
            findings=[finding_to_json(f) for f in findings],
            trail=trail("event", event.id) if manage else None,
            refused=refused,
            actions=_allowed_actions(event) if manage else [],
            manage=manage,
        ),
        refused.status if refused else 200,
    )


def _allowed_actions(event: Event) -> list[str]:
    return [
        name
        for name, rule in workflow.TRANSITIONS.items()
        if event.status in rule.sources and (current_user.is_organizer or not rule.organizer_only)
    ]


@bp.post("/events/<int:event_id>/<action>")
def act(event_id: int, action: str):
    if action not in workflow.ACTIONS:
        raise NotFound(_("Unknown action: %(action)s.", action=action))
    event = _managed_event(event_id)
    body = {"reason": request.form.get("reason", ""), "override": "override" in request.form}
    try:
        workflow.ACTIONS[action](event, current_user, body)
    except workflow.TransitionRefused as exc:
        db.session.rollback()
        return event_page(event_id, refused=exc)
    except BadInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.event_page", event_id=event_id))
    flash(_("Done: the event is now %(status)s.", status=event.status.label), "ok")
    return redirect(url_for("portal.event_page", event_id=event_id))


@bp.post("/check")
def check():
    """Live findings for the form while it is being filled in (writes nothing)."""
    body = _form_body()
    event_id = request.form.get("event_id", type=int)
    try:
        event = _managed_event(event_id) if event_id is not None else None
        findings = workflow.preview(body, current_user, event)
    except BadInput as exc:
        return jsonify({"findings": [], "error": exc.message, "field": exc.field}), 200
    return jsonify({"findings": [finding_to_json(f) for f in findings]})


@bp.get("/feeds")
def feeds():
    """Private feed links: create, copy, revoke."""
    tokens = tokens_of(current_user)
    new = request.args.get("new")
    return render_template("portal/feeds.html", tokens=tokens, new=new)


@bp.post("/feeds")
def create_feed():
    plain = issue_feed_token(current_user, request.form.get("name", "").strip())
    return redirect(url_for("portal.feeds", new=plain))


@bp.post("/feeds/<int:token_id>/revoke")
def revoke_feed(token_id: int):
    if not revoke_feed_token(current_user, token_id):
        raise NotFound(_("No such feed link."))
    flash(_("The feed link was revoked; calendars using it stop updating."), "ok")
    return redirect(url_for("portal.feeds"))
