"""/admin/outbox for organizers: every message the application queued, with its delivery
state, and a message's calendar attachment. The page only reads the outbox; the jobs
area's delivery job sends it."""

import re

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from ..accounts.access import organizer_required
from ..errors import NotFound
from ..extensions import db
from .mailer import MailSettings
from .models import Delivery, OutboxMessage

bp = Blueprint("notifications", __name__)
PAGE_SIZE = 50

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
    return render_template(
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
