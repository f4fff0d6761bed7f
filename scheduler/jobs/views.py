"""Pages of the jobs area: /admin/jobs and /admin/outbox for organizers, and the attendance
form that the completion notice links to. The web process only reads what the scheduler
recorded and writes "run now" requests; it never runs a job."""

import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..accounts.access import organizer_required
from ..errors import BadInput, NotFound, fail
from ..events import workflow
from ..events.enums import EventStatus
from ..events.queries import get_event
from ..extensions import db
from ..notifications.mailer import MailSettings
from ..notifications.models import Delivery, OutboxMessage
from ..types import utcnow
from . import lease as leases
from . import runs
from .settings import JobsConfigError, JobSettings
from .tasks import JOBS

bp = Blueprint("jobs", __name__)
PAGE_SIZE = 50

COUNT_LABELS = {
    "planned": _l("planned"),
    "reanchored": _l("re-anchored"),
    "dropped": _l("dropped"),
    "queued": _l("queued"),
    "skipped": _l("skipped"),
    "events": _l("events due"),
    "notified": _l("messages queued"),
    "completed": _l("completed"),
    "series_behind": _l("series needing attention"),
    "dormant": _l("dormant societies"),
    "delivered": _l("delivered"),
    "to_outbox": _l("kept in the outbox"),
    "retrying": _l("to retry"),
    "refused": _l("refused"),
    "released": _l("put back"),
}


def _render(template: str, status: int = 200, **context):
    return render_template(template, **context), status


# One-time links (scheduler/accounts/models.py AccountLink, prefix scl_) in mails that the
# outbox page shows: with SMTP configured the mail itself delivers them, and an organizer who
# could read another user's reset link could take over that account.
ONE_TIME_LINK = re.compile(r"scl_[A-Za-z0-9_-]+")
LINK_KINDS = ("invitation", "password_reset")


def shown_body(message: OutboxMessage, smtp: bool) -> str:
    """The body as the outbox page shows it: one-time links hidden once mail goes by SMTP
    (without SMTP the page is how the link reaches the user, so it stays)."""
    by_smtp = smtp or message.transport == "smtp"
    if message.kind in LINK_KINDS and by_smtp:
        return ONE_TIME_LINK.sub("scl_… " + _("(hidden: sent by e-mail)"), message.body)
    return message.body


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{COUNT_LABELS.get(k, k)} {v}" for k, v in counts.items()) or "—"


def _config_error() -> str:
    try:
        JobSettings.from_config(current_app.config)
    except JobsConfigError as exc:
        return str(exc)
    return ""


def _outbox_health() -> dict:
    by_state = dict(
        db.session.execute(
            sa.select(OutboxMessage.delivery, sa.func.count()).group_by(OutboxMessage.delivery)
        ).all()
    )
    failing = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.last_error != "",
            OutboxMessage.delivery.in_([Delivery.PENDING, Delivery.FAILED]),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(10)
    ).all()
    return {"by_state": by_state, "failing": failing}


@bp.get("/admin/jobs")
@organizer_required
def jobs_page():
    lease = leases.current()
    return _render(
        "admin/jobs.html",
        jobs=list(JOBS.values()),
        statuses=runs.overview(list(JOBS)),
        lease=lease,
        alive=lease is not None and lease.expires_at > utcnow(),
        mail=MailSettings.from_config(current_app.config),
        config_error=_config_error(),
        outbox=_outbox_health(),
        counts_text=_counts_text,
        poll_seconds=current_app.config["JOBS_POLL_SECONDS"],
    )


@bp.post("/admin/jobs/<job_id>/run")
@organizer_required
def run_now(job_id: str):
    if job_id not in JOBS:
        raise NotFound(_("No such job: %(job)s.", job=job_id))
    runs.request_run(job_id, current_user)
    flash(_("Requested: the scheduler runs %(job)s within moments.", job=JOBS[job_id].label), "ok")
    return redirect(url_for("jobs.jobs_page"))


@bp.get("/admin/outbox")
@organizer_required
def outbox():
    state = request.args.get("state", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state in Delivery.values():
        stmt = stmt.where(OutboxMessage.delivery == Delivery(state))
    else:
        state = ""
    messages = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    mail = MailSettings.from_config(current_app.config)
    return _render(
        "admin/outbox.html",
        messages=messages[:PAGE_SIZE],
        bodies={m.id: shown_body(m, bool(mail.server)) for m in messages[:PAGE_SIZE]},
        more=len(messages) > PAGE_SIZE,
        page=page,
        state=state,
        states=list(Delivery),
        mail=mail,
    )


@bp.get("/admin/outbox/<int:message_id>/attachment")
@organizer_required
def attachment(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None or not message.attachment:
        raise NotFound(_("This message has no attachment."))
    return Response(
        message.attachment,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{message.attachment_name}"'},
    )


@bp.route("/portal/events/<int:event_id>/attendance", methods=["GET", "POST"])
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
        except BadInput as exc:
            db.session.rollback()
            error = exc
        else:
            flash(_("Attendance recorded: %(n)s.", n=event.actual_attendance), "ok")
            return redirect(url_for("portal.event_page", event_id=event.id))
    return _render(
        "portal/attendance.html",
        error.status if error else 200,
        event=event,
        value="" if value is None else value,
        error=error,
        completed=event.status == EventStatus.COMPLETED,
    )
