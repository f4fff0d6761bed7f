"""The Campaign model."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..types import UTCDateTime


class CampaignKind(LabelledEnum):
    ACADEMIC_MONTH = "academic_month", _l("Academic activity month")
    SCIENCE_DAY = "science_day", _l("Science day")
    INNOVATION_WEEK = "innovation_week", _l("Mass innovation week")
    FESTIVAL = "festival", _l("Science festival")
    OTHER = "other", _l("Other campaign")


# Text limits of a campaign: the columns and the input (schemas.py) read these.
MAX_NAME, MAX_SLUG, MAX_THEME = 200, 80, 300


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        sa.CheckConstraint(
            "participation_target IS NULL OR (participation_target BETWEEN 0 AND 1)",
            name="participation_target_share",
        ),
        sa.Index("ix_campaigns_window", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind))
    theme: Mapped[str] = mapped_column(sa.String(MAX_THEME), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Inclusive local dates of the window.
    start_date: Mapped[date]
    end_date: Mapped[date]
    # The unified launch: every society starts at the same day and hour (UTC).
    launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Share of active societies expected to take part (0..1).
    participation_target: Mapped[float | None]
    # Event kinds (EventKind values) the campaign contains; empty: any kind.
    event_kinds: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"
