"""Planner tables: host applications, per-series planning settings, and the plans the
solver produced with their sessions (venue closures live with the venues)."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..enums import LabelledEnum, enum_column
from ..events.models import Event
from ..extensions import db
from ..series.models import Series, SeriesPlanning  # noqa: F401  (its home is the series area)
from ..societies.models import Society
from ..types import UTCDateTime, utcnow
from ..venues.models import Venue, VenueClosure  # noqa: F401  (planner code imports it here)


class HostApplication(db.Model):
    """A society applies to host (承办) a session of a series in a year."""

    __tablename__ = "host_applications"
    __table_args__ = (
        sa.UniqueConstraint(
            "society_id", "series_id", "year", name="uq_host_applications_society_series_year"
        ),
        sa.Index("ix_host_applications_year_series", "year", "series_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    society_id: Mapped[int] = mapped_column(sa.ForeignKey("societies.id", ondelete="CASCADE"))
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    year: Mapped[int]
    # Months 1..12 and local dates ("2027-05-08") the society would like, and dates it can't.
    preferred_months: Mapped[list] = mapped_column(sa.JSON, default=list)
    preferred_dates: Mapped[list] = mapped_column(sa.JSON, default=list)
    unavailable_dates: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The experts the society proposes to speak (people ids): never double-booked.
    speaker_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    society: Mapped[Society] = relationship()
    series: Mapped[Series] = relationship()

    def __repr__(self) -> str:
        return f"<HostApplication {self.society_id} {self.series_id} {self.year}>"


class PlanStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    ACCEPTED = "accepted", _l("Accepted")
    UNDONE = "undone", _l("Undone")


class SolverStatus(LabelledEnum):
    OPTIMAL = "optimal", _l("Optimal")
    FEASIBLE = "feasible", _l("Feasible (not proven optimal)")
    INFEASIBLE = "infeasible", _l("No plan exists")
    UNKNOWN = "unknown", _l("No plan found in time")


class Plan(db.Model):
    """One run of the planner: its input choices, the solver's answer, and its fate."""

    __tablename__ = "plans"
    __table_args__ = (
        sa.CheckConstraint("time_limit > 0", name="time_limit_positive"),
        sa.Index("ix_plans_year_status", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    series_slugs: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)
    time_limit: Mapped[float]
    seed: Mapped[int] = mapped_column(default=1)
    solver_status: Mapped[SolverStatus] = mapped_column(enum_column(SolverStatus))
    objective: Mapped[int | None]
    best_bound: Mapped[float | None]
    gap: Mapped[float | None]
    wall_seconds: Mapped[float] = mapped_column(default=0.0)
    # Penalty per soft goal ({"spread": 12, ...}).
    score: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Why there is no plan, and notes either way: [{"code", "params", "series_id"}], phrased
    # in the reader's language when shown.
    explanation: Mapped[list] = mapped_column(sa.JSON, default=list)
    notes: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The pins the run was asked to keep: [{"series", "start", "host", "venue"}] (slugs).
    pins: Mapped[list] = mapped_column(sa.JSON, default=list)
    holidays_official: Mapped[bool] = mapped_column(default=True)
    # Model size, deterministic seconds, and which limit stopped the search.
    stats: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Findings of the conflict engine on the result (must be none to accept).
    conflicts: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()
    sessions: Mapped[list["PlanSession"]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="[PlanSession.start_at, PlanSession.id]",
    )

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.year} {self.status}>"

    @property
    def found(self) -> bool:
        return self.solver_status in (SolverStatus.OPTIMAL, SolverStatus.FEASIBLE)


class PlanSession(db.Model):
    """One session of a plan: when, where, who hosts, and why."""

    __tablename__ = "plan_sessions"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.Index("ix_plan_sessions_plan", "plan_id", "start_at"),
        sa.Index("ix_plan_sessions_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    host_id: Mapped[int] = mapped_column(sa.ForeignKey("societies.id"))
    # [{"code", "params"}], phrased when shown.
    explanation: Mapped[list] = mapped_column(sa.JSON, default=list)
    pinned_date: Mapped[bool] = mapped_column(default=False)
    pinned_host: Mapped[bool] = mapped_column(default=False)
    pinned_venue: Mapped[bool] = mapped_column(default=False)
    # new | kept | moved: against the accepted session it re-plans (``replaces_event_id``).
    change: Mapped[str] = mapped_column(sa.String(10), default="new")
    replaces_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL")
    )
    # The event this session became once accepted.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    # What a moved event looked like before the plan changed it (for undo):
    # {"start", "end", "venue_id", "host_id"} in UTC ISO form.
    previous: Mapped[dict | None] = mapped_column(sa.JSON)

    plan: Mapped[Plan] = relationship(back_populates="sessions")
    series: Mapped[Series] = relationship()
    venue: Mapped[Venue] = relationship()
    host: Mapped[Society] = relationship()
    event: Mapped[Event | None] = relationship(foreign_keys=[event_id])
