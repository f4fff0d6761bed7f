"""The outbox: one row per message per recipient."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_unsent", "sent_at", "created_at"),)

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
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
