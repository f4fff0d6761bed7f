"""The Series model."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..campaigns.models import Campaign
from ..enums import EventKind, LabelledEnum, enum_column
from ..extensions import db
from ..societies.models import Society
from ..venues.models import Venue


class HostMode(LabelledEnum):
    """How the host (承办) of each session is chosen."""

    APPLICATIONS = "applications", _l("From host applications")
    FIXED = "fixed", _l("Fixed host (no application needed)")


# Text limits of a series: the columns and the input (schemas.py) read these.
MAX_NAME, MAX_SLUG, MAX_RULE, MAX_CITY = 200, 80, 300, 80
MAX_SESSIONS = 1000  # a yearly target or maximum (a daily series has 366)


class Series(db.Model):
    __tablename__ = "series"
    __table_args__ = (
        sa.CheckConstraint("target_min >= 0", name="target_min_not_negative"),
        sa.CheckConstraint("target_min <= target_max", name="target_min_not_above_max"),
        sa.CheckConstraint("max_per_host >= 1", name="max_per_host_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint("min_spacing_days >= 0", name="spacing_not_negative"),
        sa.CheckConstraint("expected_attendance >= 0", name="attendance_not_negative"),
        sa.CheckConstraint(
            "host_mode <> 'fixed' OR fixed_host_id IS NOT NULL", name="fixed_host_given"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # RFC 5545 RRULE where the series is regular (e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=FR).
    cadence_rrule: Mapped[str] = mapped_column(sa.String(MAX_RULE), default="")
    target_min: Mapped[int] = mapped_column(default=0)
    target_max: Mapped[int] = mapped_column(default=0)
    max_per_host: Mapped[int] = mapped_column(default=1)
    preferred_months: Mapped[list] = mapped_column(sa.JSON, default=list)
    preferred_weekdays: Mapped[list] = mapped_column(sa.JSON, default=list)
    default_venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    default_start_time: Mapped[str] = mapped_column(sa.String(5), default="14:30")
    duration_minutes: Mapped[int] = mapped_column(default=180)
    min_spacing_days: Mapped[int] = mapped_column(default=0)
    expected_attendance: Mapped[int] = mapped_column(default=0)
    avoid_holidays: Mapped[bool] = mapped_column(default=True)
    avoid_weekends: Mapped[bool] = mapped_column(default=False)
    # "#RRGGBB", used in pages and as the RFC 7986 COLOR of the series feed.
    color: Mapped[str] = mapped_column(sa.String(7), default="#1f6feb")
    active: Mapped[bool] = mapped_column(default=True)
    host_mode: Mapped[HostMode] = mapped_column(
        enum_column(HostMode), default=HostMode.APPLICATIONS, server_default="applications"
    )
    # The one society hosting every session when host_mode is fixed (the association itself
    # is entered as a society of its own).
    fixed_host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("societies.id"))

    default_venue: Mapped[Venue | None] = relationship()
    fixed_host: Mapped[Society | None] = relationship()

    def __repr__(self) -> str:
        return f"<Series {self.slug}>"


class SeriesPlanning(db.Model):
    """What the planner needs to know about a series beyond the series itself."""

    __tablename__ = "series_planning"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("series.id", ondelete="CASCADE"), unique=True
    )
    # Local start times ("14:30"); empty: the series' default start time.
    time_slots: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Sessions must fall inside this campaign (e.g. the academic month); planning another
    # year uses that year's campaign of the same kind and slug stem (academic-month-2028).
    inside_campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    # The session is the campaign's unified launch (starts at its launch time).
    at_launch: Mapped[bool] = mapped_column(default=False)
    # Campaign kinds (CampaignKind values) whose windows the series avoids (a soft goal).
    avoid_campaigns: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Sessions must be held in this city (empty: anywhere).
    city: Mapped[str] = mapped_column(sa.String(MAX_CITY), default="")

    series: Mapped[Series] = relationship()
    inside_campaign: Mapped[Campaign | None] = relationship()
