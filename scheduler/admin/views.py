"""Organizer pages."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import organizer_only
from ..enums import EventKind
from ..errors import BadInput, RequestError, error_response
from ..events import workflow
from ..events.models import Event
from ..events.queries import event_loader_options, parse_filters
from ..extensions import db
from ..feeds.importer import import_ics, read_bounded, too_large
from ..societies.models import Society
from .queue import queue_page

bp = Blueprint("admin", __name__, url_prefix="/admin")


bp.before_request(organizer_only)


@bp.get("/approvals")
def approvals():
    """Submitted events, major ones first, then by start; filter by kind, society, text,
    and "mine" (created or acted on by me); each row counts its findings."""
    filters = parse_filters(request.args)
    mine = current_user.id if request.args.get("mine") else None
    page = queue_page(filters, bool(request.args.get("major")), mine, _page_arg())
    choices = {
        "kinds": list(EventKind),
        "societies": db.session.scalars(
            sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
        ).all(),
    }
    return render_template("admin/approvals.html", queue=page, choices=choices, args=request.args)


def _page_arg() -> int:
    value = request.args.get("page", "1")
    if not value.isdigit() or not 0 < int(value) < 100_000:
        raise BadInput(_("page must be a positive whole number."), field="page")
    return int(value)


@bp.post("/approvals/bulk")
def bulk_approve():
    """Approve the ticked events; any with error findings stays in the queue, with why."""
    ids = [int(v) for v in request.form.getlist("event") if v.isdigit()][:200]
    events = db.session.scalars(
        sa.select(Event).where(Event.id.in_(ids)).options(*event_loader_options())
    ).all()
    approved, refused = 0, []
    for event in events:
        try:
            workflow.approve(event, current_user, request.form.get("reason", ""))
            approved += 1
        except RequestError as exc:
            db.session.rollback()
            refused.append(f"{event.title}: {exc.message}")
    flash(_("%(n)s events approved.", n=approved), "ok")
    for line in refused:
        flash(_("Not approved: %(why)s", why=line), "error")
    return redirect(url_for("admin.approvals"))


@bp.route("/import", methods=["GET", "POST"])
def import_calendar():
    """Upload an .ics file for a society; the result lists every item with its outcome."""
    result, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise BadInput(_("Choose an .ics file."), field="file")
            result = import_ics(
                read_bounded(upload),
                request.form.get("society", ""),
                approve="approve" in request.form,
                by=current_user,
            )
        except RequestError as exc:
            error = exc.message
    return _import_page(result, error, 400 if error else 200)


def _import_page(result, error, status):
    societies = db.session.scalars(
        sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
    ).all()
    return render_template(
        "admin/import.html", societies=societies, result=result, error=error
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc):
    """A body over MAX_CONTENT_LENGTH is refused unread, even before the CSRF check reads the
    form, so organizers are told why on the import form; anyone else gets the error page."""
    message = too_large()
    if request.endpoint == "admin.import_calendar" and getattr(current_user, "is_organizer", 0):
        return _import_page(None, message, 413)
    return error_response(413, "request_entity_too_large", message)
