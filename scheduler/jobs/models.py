"""The jobs area's tables: the scheduler lease, host reminders, notices that go out once per
period, and the record of every job run (what /admin/jobs shows)."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..types import UTCDateTime, utcnow


class SchedulerLease(db.Model):
    """Whoever holds this row (and keeps renewing it) is the one scheduler that runs jobs."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    # Grows with every change of holder: tells runs of one tenure from the next.
    epoch: Mapped[int] = mapped_column(default=1)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReminderState(LabelledEnum):
    PENDING = "pending", _l("Pending")
    SENT = "sent", _l("Sent")
    SKIPPED = "skipped", _l("Skipped")


class Reminder(db.Model):
    """One reminder to one recipient before one occurrence. ``sent_at`` is set in the same
    transaction that puts its message in the outbox, so a reminder is queued exactly once."""

    __tablename__ = "reminders"
    __table_args__ = (
        sa.UniqueConstraint(
            "event_id",
            "recurrence_id",
            "offset_minutes",
            "recipient",
            name="uq_reminders_occurrence_offset_recipient",
        ),
        sa.CheckConstraint("offset_minutes > 0", name="offset_positive"),
        sa.Index("ix_reminders_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    # The occurrence, by its RECURRENCE-ID (UTC): moving one occurrence keeps it.
    recurrence_id: Mapped[datetime] = mapped_column(UTCDateTime)
    offset_minutes: Mapped[int]
    recipient: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    # The start it was last anchored to, and when it is due (start - offset).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[ReminderState] = mapped_column(
        enum_column(ReminderState), default=ReminderState.PENDING
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    outbox_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )


class SentNotice(db.Model):
    """A notice that goes out once per subject, period and recipient (filing reminders,
    digests, dormant notices): the unique key makes a re-run after a crash a no-op."""

    __tablename__ = "sent_notices"
    __table_args__ = (
        sa.UniqueConstraint(
            "kind", "subject", "period", "recipient", name="uq_sent_notices_once_per_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(80), default="")
    period: Mapped[str] = mapped_column(sa.String(40), default="")
    recipient: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outbox_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )


class RunState(LabelledEnum):
    REQUESTED = "requested", _l("Requested")
    RUNNING = "running", _l("Running")
    OK = "ok", _l("Succeeded")
    FAILED = "failed", _l("Failed")
    INTERRUPTED = "interrupted", _l("Interrupted")


class JobRun(db.Model):
    """One run of a job, or a request to run it now (written by /admin/jobs)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.Index("ix_job_runs_job", "job_id", "id"),
        sa.Index("ix_job_runs_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(40))
    manual: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RunState] = mapped_column(enum_column(RunState), default=RunState.RUNNING)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str] = mapped_column(sa.String(120), default="")
    # What the run did, e.g. {"queued": 5, "skipped": 1}; the page labels each count.
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")

    requested_by: Mapped[User | None] = relationship()
