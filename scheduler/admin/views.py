"""Organizer pages."""

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import BadInput, fail
from ..events.enums import EventStatus
from ..events.models import Event
from ..events.queries import event_loader_options
from ..extensions import db
from ..feeds.importer import MAX_BYTES, import_ics
from ..societies.models import Society

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_organizer():
    if not current_user.is_organizer:
        fail(403, _("Only organizers may open this page."))


@bp.get("/approvals")
def approvals():
    """Submitted events: major ones first, then by start."""
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.status == EventStatus.SUBMITTED)
        .order_by(Event.is_major.desc(), Event.start_at, Event.id)
        .options(*event_loader_options())
    ).all()
    return render_template("admin/approvals.html", events=events)


@bp.route("/import", methods=["GET", "POST"])
def import_calendar():
    """Upload an .ics file for a society; the result lists every item with its outcome."""
    societies = db.session.scalars(
        sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
    ).all()
    result, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise BadInput(_("Choose an .ics file."), field="file")
            result = import_ics(
                upload.read(MAX_BYTES + 1),
                request.form.get("society", ""),
                approve="approve" in request.form,
                by=current_user,
            )
        except BadInput as exc:
            error = exc.message
    status = 400 if error else 200
    return render_template(
        "admin/import.html", societies=societies, result=result, error=error
    ), status
