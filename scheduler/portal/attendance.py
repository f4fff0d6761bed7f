"""/portal/events/<id>/attendance: the form the completion notice links to, where the host
side or an organizer records how many people came."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..enums import EventStatus
from ..errors import NotFound, RequestError, fail
from ..events import workflow
from ..events.queries import get_event
from ..extensions import db


@login_required
def attendance(event_id: int):
    """The form the completion notice links to: how many people came."""
    event = get_event(event_id)
    if event is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    if not workflow.may_manage(current_user, event):
        fail(403, _("Only the host society and organizers may change this event."))
    error, value = None, request.form.get("actual_attendance", event.actual_attendance)
    if request.method == "POST":
        try:
            workflow.record_attendance(event, current_user, value)
        except RequestError as exc:
            db.session.rollback()
            error = exc
        else:
            flash(_("Attendance recorded: %(n)s.", n=event.actual_attendance), "ok")
            return redirect(url_for("portal.event_page", event_id=event.id))
    page = render_template(
        "portal/attendance.html",
        event=event,
        value="" if value is None else value,
        error=error,
        completed=event.status == EventStatus.COMPLETED,
    )
    return page, error.status if error else 200


def register(bp: Blueprint) -> None:
    """Hang the form on the portal blueprint (endpoint portal.attendance)."""
    bp.add_url_rule(
        "/events/<int:event_id>/attendance", view_func=attendance, methods=["GET", "POST"]
    )
