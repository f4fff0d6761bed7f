"""The calendar a society keeps elsewhere (its public .ics URL) and how its last sync went."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..societies.models import Society
from ..types import UTCDateTime, utcnow

MAX_URL = 2000


class SyncMode(LabelledEnum):
    DRAFT = "draft", _l("New events as drafts")
    SUBMIT = "submit", _l("New events submitted for approval")


class SyncOutcome(LabelledEnum):
    SYNCED = "synced", _l("Synced")
    NOT_MODIFIED = "not_modified", _l("Unchanged since the last sync")
    FAILED = "failed", _l("Failed")
    # Another sync of the source was running (never stored: that one records its outcome).
    BUSY = "busy", _l("Skipped: another sync of this calendar was running")


class CalendarSource(db.Model):
    __tablename__ = "calendar_sources"
    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    society_id: Mapped[int] = mapped_column(
        sa.ForeignKey("societies.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(sa.String(MAX_URL))
    mode: Mapped[SyncMode] = mapped_column(enum_column(SyncMode), default=SyncMode.DRAFT)
    # Paused by hand, or after too many failures in a row (see service.MAX_FAILURES).
    active: Mapped[bool] = mapped_column(default=True)
    # The validators of the last good answer, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str] = mapped_column(sa.String(500), default="")
    last_modified: Mapped[str] = mapped_column(sa.String(100), default="")
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[SyncOutcome | None] = mapped_column(enum_column(SyncOutcome))
    # What the last sync did, item by item (service.SyncReport.to_json).
    last_report: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    failures: Mapped[int] = mapped_column(default=0)  # in a row; a success resets it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    society: Mapped[Society] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarSource {self.society_id} {self.url[:40]}>"
