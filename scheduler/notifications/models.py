"""The outbox: one row per message per recipient, and its delivery state."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..types import UTCDateTime, utcnow


class Delivery(LabelledEnum):
    """pending → claimed (by the scheduler) → sending (body going to the server) → sent;
    failed when the server refused it for good. A crash puts claimed rows back to pending."""

    PENDING = "pending", _l("Waiting")
    CLAIMED = "claimed", _l("Claimed")
    SENDING = "sending", _l("Sending")
    SENT = "sent", _l("Delivered")
    FAILED = "failed", _l("Refused")


def new_message_key() -> str:
    return uuid.uuid4().hex


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_unsent", "sent_at", "created_at"),
        sa.Index("ix_outbox_delivery", "delivery", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # An .ics file sent along (the event of a reminder), as text.
    attachment_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    attachment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Stable across retries: the Message-ID header is <outbox-KEY@EVENT_UID_HOST>.
    message_key: Mapped[str] = mapped_column(sa.String(32), default=new_message_key, unique=True)
    delivery: Mapped[Delivery] = mapped_column(
        enum_column(Delivery), default=Delivery.PENDING, server_default="pending"
    )
    # "smtp", or "outbox" when no MAIL_SERVER is configured (read at /admin/outbox).
    transport: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    claimed_by: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A crash interrupted it while the server was receiving it: it was sent again, and the
    # recipient may have it twice (with the same Message-ID).
    possible_duplicate: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def message_id(self) -> str:
        return f"<outbox-{self.message_key}@{current_app.config['EVENT_UID_HOST']}>"
