"""Event, its materialized occurrences, and the link tables for co-hosts, organizers,
speakers and audience tags."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import Campaign
from ..enums import Audience, EventKind, EventStatus, enum_column
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..types import UTCDateTime, utcnow
from ..venues.models import Venue
from .schemas import MAX_RRULE, MAX_TITLE, MAX_URL, MAX_ZONE_NAME

event_cohosts = sa.Table(
    "event_cohosts",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("society_id", sa.ForeignKey("societies.id"), primary_key=True, index=True),
)

event_organizers = sa.Table(
    "event_organizers",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("society_id", sa.ForeignKey("societies.id"), primary_key=True, index=True),
)

event_speakers = sa.Table(
    "event_speakers",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.ForeignKey("people.id"), primary_key=True, index=True),
)


class EventAudience(db.Model):
    """One audience tag of an event; a table (not JSON) so the audience filter is indexed."""

    __tablename__ = "event_audiences"
    __table_args__ = (sa.Index("ix_event_audiences_audience", "audience", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), primary_key=True)


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.CheckConstraint("expected_attendance >= 0", name="expected_not_negative"),
        sa.CheckConstraint(
            "actual_attendance IS NULL OR actual_attendance >= 0", name="actual_not_negative"
        ),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.Index("ix_events_status_start", "status", "start_at"),
        sa.Index("ix_events_host_start", "host_id", "start_at"),
        sa.Index("ix_events_series_start", "series_id", "start_at"),
        sa.Index("ix_events_campaign", "campaign_id"),
        sa.Index("ix_events_venue_start", "venue_id", "start_at"),
        sa.Index("ix_events_kind_start", "kind", "start_at"),
        # Feeds take their version from the latest change.
        sa.Index("ix_events_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT)
    # The reason given with the last decision (approve / reject / request changes / cancel).
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"))
    host_id: Mapped[int] = mapped_column(sa.ForeignKey("societies.id"))
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    online_url: Mapped[str] = mapped_column(sa.String(MAX_URL), default="")

    # First occurrence, UTC. All-day events start at local midnight; end is exclusive.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(default=False)
    # RFC 5545 RRULE (without "RRULE:") expanded in local time, and excluded local starts.
    rrule: Mapped[str] = mapped_column(sa.String(MAX_RRULE), default="")
    exdates: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Single occurrences moved: {local start in the rule: {"start": ..., "end": ...}} (local).
    overrides: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    # The IANA zone the rule repeats in (an import's TZID); "" is the association's TIMEZONE.
    timezone: Mapped[str] = mapped_column(sa.String(MAX_ZONE_NAME), default="", server_default="")
    # Extra local starts (RFC 5545 RDATE) in the form of exdates, in the event's zone.
    rdates: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")

    expected_attendance: Mapped[int] = mapped_column(default=0)
    actual_attendance: Mapped[int | None]
    is_major: Mapped[bool] = mapped_column(default=False)

    # A UID brought in by .ics import; otherwise the UID is event-<id>@<host>.
    imported_uid: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # The society's synced calendar it came from (scheduler/calendar_sync), if any.
    calendar_source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("calendar_sources.id", ondelete="SET NULL"), index=True
    )
    sequence: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    host: Mapped[Society] = relationship(foreign_keys=[host_id])
    series: Mapped[Series | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    cohosts: Mapped[list[Society]] = relationship(secondary=event_cohosts, order_by=Society.id)
    # The societies that co-organize the event (table event_organizers), not users with
    # the organizer role.
    organizing_societies: Mapped[list[Society]] = relationship(
        secondary=event_organizers, order_by=Society.id
    )
    speakers: Mapped[list[Person]] = relationship(secondary=event_speakers, order_by=Person.id)
    audience_rows: Mapped[list[EventAudience]] = relationship(
        cascade="all, delete-orphan", order_by=EventAudience.audience
    )
    occurrences: Mapped[list["Occurrence"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Occurrence.start_at"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"

    @hybrid_method
    def overlaps(self, start: datetime, end: datetime):
        return (self.start_at < end) & (self.end_at > start)

    @property
    def audiences(self) -> list[Audience]:
        return [row.audience for row in self.audience_rows]

    @audiences.setter
    def audiences(self, values) -> None:
        wanted = list(dict.fromkeys(Audience(v) for v in values))
        self.audience_rows = [EventAudience(audience=a) for a in wanted]

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule or self.rdates)  # a rule, extra dates (RDATE) or both

    @property
    def uid(self) -> str:
        return self.imported_uid or f"event-{self.id}@{current_app.config['EVENT_UID_HOST']}"


class Occurrence(db.Model):
    """One materialized occurrence of an event (a single event has exactly one).

    Conflict checks, calendar pages and feeds read this table with indexed time-range
    queries instead of expanding recurrence rules on every request. The resources an
    occurrence uses (venue, host, series, city) are copied from its event so that each
    conflict look-up is one query on one index.
    """

    __tablename__ = "occurrences"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.CheckConstraint("blocked_until >= end_at", name="blocked_after_end"),
        sa.UniqueConstraint("event_id", "recurrence_id", name="uq_occurrences_event_recurrence"),
        sa.Index("ix_occurrences_start", "start_at", "end_at"),
        sa.Index("ix_occurrences_venue_start", "venue_id", "start_at"),
        sa.Index("ix_occurrences_host_start", "host_id", "start_at"),
        sa.Index("ix_occurrences_series_start", "series_id", "start_at"),
        sa.Index("ix_occurrences_city_start", "city", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    # The start this occurrence had in the recurrence rule (RFC 5545 RECURRENCE-ID), UTC.
    recurrence_id: Mapped[datetime] = mapped_column(UTCDateTime)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # end_at plus the venue's buffer: the venue is blocked for [start_at, blocked_until).
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # The physical venue it blocks (None when online or without a venue).
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    host_id: Mapped[int] = mapped_column(sa.ForeignKey("societies.id"))
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"))
    # The venue's city, or the host's for online events.
    city: Mapped[str] = mapped_column(sa.String(80), default="")
    # True while the event is submitted, approved or completed: its resources are held.
    holds_slot: Mapped[bool] = mapped_column(default=False)
    cancelled: Mapped[bool] = mapped_column(default=False)
    # True while the event is on the public calendar (approved, completed or cancelled), so
    # a busy month is ranked from this table alone, without probing every event's status.
    public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    event: Mapped[Event] = relationship(back_populates="occurrences")


# On PostgreSQL the database itself refuses two slot-holding occurrences in one venue whose
# blocked ranges overlap, so racing submissions can never both hold a slot.
VENUE_EXCLUSION_DDL = (
    "ALTER TABLE occurrences ADD CONSTRAINT ex_occurrences_venue_slot EXCLUDE USING gist "
    "(venue_id WITH =, tsrange(start_at, blocked_until) WITH &&) "
    "WHERE (holds_slot AND NOT cancelled AND venue_id IS NOT NULL)"
)
sa.event.listen(
    Occurrence.__table__,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
sa.event.listen(
    Occurrence.__table__,
    "after_create",
    sa.DDL(VENUE_EXCLUSION_DDL).execute_if(dialect="postgresql"),
)
