"""The Venue model and its closures (days it cannot be booked)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow

# Limits of a venue and its closures: the columns and the input (schemas.py) read these.
MAX_NAME, MAX_ADDRESS, MAX_CITY, MAX_SLUG, MAX_STREAM_URL = 200, 300, 80, 80, 500
MAX_REASON = 200  # of a closure


class Venue(db.Model):
    __tablename__ = "venues"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    address: Mapped[str] = mapped_column(sa.String(MAX_ADDRESS), default="")
    city: Mapped[str] = mapped_column(sa.String(MAX_CITY), default="", index=True)
    capacity: Mapped[int] = mapped_column(default=0)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # Minimum gap kept free between two bookings (set-up, cleaning).
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    is_online: Mapped[bool] = mapped_column(default=False)
    stream_url: Mapped[str] = mapped_column(sa.String(MAX_STREAM_URL), default="")
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Venue {self.slug}>"


class VenueClosure(db.Model):
    """Days a venue cannot be booked (works, another use): inclusive local dates."""

    __tablename__ = "venue_closures"
    __table_args__ = (
        sa.CheckConstraint("last_day >= first_day", name="last_not_before_first"),
        sa.Index("ix_venue_closures_venue", "venue_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(MAX_REASON), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship()
