"""The jobs area's page: /admin/jobs for organizers (the outbox page is the notifications
area's). The web process only reads what the scheduler recorded and writes "run now"
requests; it never runs a job."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.access import organizer_required
from ..errors import NotFound
from ..extensions import db
from ..notifications.mailer import MailSettings
from ..notifications.models import Delivery, OutboxMessage
from ..types import utcnow
from . import lease as leases
from . import runs
from .settings import JobsConfigError, JobSettings
from .tasks import JOBS

bp = Blueprint("jobs", __name__)

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
