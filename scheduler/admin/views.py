"""Organizer pages."""

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import fail
from ..events.enums import EventStatus
from ..events.models import Event
from ..events.queries import event_loader_options
from ..extensions import db

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
