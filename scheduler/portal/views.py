"""Portal pages: my events, the event form with live findings, the event's page."""

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..admin.queue import neighbours
from ..audit.history import describe_history
from ..audit.service import trail
from ..campaigns.models import Campaign
from ..enums import Audience, EventKind, EventStatus
from ..errors import NotFound, RequestError
from ..events import schemas, workflow
from ..events.conflicts import check_event, finding_to_json
from ..events.models import Event
from ..events.queries import event_loader_options, get_event
from ..events.visibility import may_view, society_condition
from ..extensions import db
from ..feeds.tokens import issue_feed_token, revoke_feed_token, tokens_of
from ..people.models import Person
from ..rules import has_errors
from ..rules.policy import OVERRIDABLE
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import event_zone, is_zone_name, zone_of
from ..types import utcnow
from ..venues.models import Venue
from . import attendance, occurrences, speakers
from .access import managed_event
from .actions import DECISIONS, ranked_actions
from .forms import body_to_form, event_to_form, form_to_body, with_edit_links

bp = Blueprint("portal", __name__, url_prefix="/portal")
MAX_PREFILL, MAX_PREFILL_SPEAKERS = 80, 10

WHAT_NEXT_AFTER_OVERRIDABLE = _l(
    "It has errors that only an organizer may override. An organizer now decides: approves it "
    "with a reason, or sends it back for changes; you will get an e-mail either way."
)


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


def _render_form(values: dict, event: Event | None = None, error: RequestError | None = None):
    status = error.status if error else 200
    return (
        render_template(
            "portal/form.html",
            values=values,
            event=event,
            error=error,
            choices=_choices(values),
            limits=schemas,  # the same limits the API checks (events/schemas.py)
        ),
        status,
    )


def _prefilled(values: dict) -> dict:
    """A form opened from a suggestion (start, end, venue) or after adding a speaker: those
    values filled in; the live check and the save validate them like typed ones."""
    for name in ("start", "end", "venue"):
        if name in request.args:
            values[name] = request.args.get(name, "")[:MAX_PREFILL]
    added = [slug[:MAX_PREFILL] for slug in request.args.getlist("speaker") if slug]
    if added:
        values["speakers"] = [*values.get("speakers", []), *added[:MAX_PREFILL_SPEAKERS]]
    return values


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    if request.method == "GET":
        host = current_user.society.slug if current_user.society else ""
        return _render_form(_prefilled({"host": host, "kind": "forum", "audiences": []}))
    body = _form_body()
    try:
        outcome = workflow.create_event(body, current_user)
    except RequestError as exc:
        return _render_form(body_to_form(body, request.form), error=exc)
    flash(_("Draft saved. Check the findings, then submit it."), "ok")
    return redirect(url_for("portal.event_page", event_id=outcome.event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = managed_event(event_id)
    if request.method == "GET":
        return _render_form(_prefilled(event_to_form(event)), event)
    body = _form_body()
    try:
        workflow.update_event(event, body, current_user)
    except RequestError as exc:
        db.session.rollback()
        return _render_form(body_to_form(body, request.form), event, error=exc)
    flash(_("Changes saved."), "ok")
    return redirect(url_for("portal.event_page", event_id=event.id))


@bp.get("/events/<int:event_id>")
def event_page(event_id: int, refused: workflow.TransitionRefused | None = None):
    """The host and organizers manage the event here (for organizers it is the decision
    page of the approval queue); co-hosts see it read-only."""
    event = get_event(event_id)
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    manage = workflow.may_manage(current_user, event)
    cohost = current_user.society in event.cohosts and may_view(current_user, event)
    if not (manage or cohost):
        raise workflow.Forbidden(_("Only the host society and organizers may change this event."))
    findings = (refused.findings if refused else check_event(event)) if manage else []
    deciding = current_user.is_organizer and event.status == EventStatus.SUBMITTED
    shown = [finding_to_json(f, event_zone(event)) for f in findings]
    return (
        render_template(
            "portal/event.html",
            event=event,
            findings=with_edit_links(event, shown) if _editable(event) else shown,
            history=describe_history(trail("event", event.id)) if manage else None,
            refused=refused,
            actions=ranked_actions(_allowed_actions(event, deciding)) if manage else [],
            manage=manage,
            neighbours=neighbours(event) if deciding else None,
            overridable=[f for f in findings if f.severity == "error" and f.rule in OVERRIDABLE],
        ),
        refused.status if refused else 200,
    )


def _editable(event: Event) -> bool:
    """The page offers "Edit" (and suggestions linking to the form) in these states."""
    if event.status in (
        EventStatus.DRAFT,
        EventStatus.CHANGES_REQUESTED,
        EventStatus.WITHDRAWN,
    ):
        return True
    return current_user.is_organizer and event.status in (
        EventStatus.SUBMITTED,
        EventStatus.APPROVED,
    )


def _allowed_actions(event: Event, deciding: bool) -> list[str]:
    """What the user may do now; "mark as held" only once every session has ended; an
    organizer deciding a submission is not offered the host's "withdraw"."""
    now = utcnow()
    return [
        name
        for name, rule in workflow.TRANSITIONS.items()
        if event.status in rule.sources
        and (current_user.is_organizer or not rule.organizer_only)
        and (name != "complete" or all(o.end_at <= now for o in event.occurrences))
        and not (deciding and name == "withdraw")
    ]


@bp.post("/events/<int:event_id>/<action>")
def act(event_id: int, action: str):
    if action not in workflow.ACTIONS:
        raise NotFound(_("Unknown action: %(action)s.", action=action))
    event = managed_event(event_id)
    body = {"reason": request.form.get("reason", ""), "override": "override" in request.form}
    try:
        outcome = workflow.ACTIONS[action](event, current_user, body)
    except workflow.TransitionRefused as exc:
        db.session.rollback()
        return event_page(event_id, refused=exc)
    except RequestError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.event_page", event_id=event_id))
    flash(
        _("Done: “%(title)s” is now %(status)s.", title=event.title, status=event.status.label),
        "ok",
    )
    if action == "submit" and has_errors(outcome.findings):
        flash(WHAT_NEXT_AFTER_OVERRIDABLE, "warning")
    if action in DECISIONS:
        after = neighbours(event)[1]
        if after is not None:
            return redirect(url_for("portal.event_page", event_id=after))
        return redirect(url_for("admin.approvals"))
    return redirect(url_for("portal.event_page", event_id=event_id))


@bp.post("/check")
def check():
    """Live findings for the form while it is being filled in (writes nothing)."""
    body = _form_body()
    event_id = request.form.get("event_id", type=int)
    try:
        event = managed_event(event_id) if event_id is not None else None
        findings = workflow.preview(body, current_user, event)
    except RequestError as exc:
        return jsonify({"findings": [], "error": exc.message, "field": exc.field}), 200
    # Suggestions fill the form's fields: write them on the clock of the event's zone.
    name = body.get("timezone", event.timezone if event else "")
    tz = zone_of(name if is_zone_name(name) else "", body.get("all_day"))
    return jsonify({"findings": [finding_to_json(f, tz) for f in findings]})


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


# The attendance form, the occurrences page and the speaker form live in their own
# modules; their routes hang on this blueprint (endpoints portal.<view>).
attendance.register(bp)
occurrences.register(bp)
speakers.register(bp)
