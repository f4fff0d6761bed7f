"""The Society model."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..enums import LabelledEnum, enum_column
from ..extensions import db
from ..types import UTCDateTime, utcnow


class SocietyKind(LabelledEnum):
    PROVINCIAL = "provincial", _l("Provincial society")
    CITY = "city", _l("City association")
    UNIVERSITY = "university", _l("University association")
    ENTERPRISE = "enterprise", _l("Enterprise association")
    NATIONAL = "national", _l("National society")
    PARTNER = "partner", _l("Partner body")


# Text limits of a society: its columns and its input (schemas.py) read these.
MAX_NAME, MAX_EMAIL, MAX_PHONE = 200, 200, 40
MAX_SHORT = 80  # short name, discipline, city, contact name
MAX_SLUG = 80


class Society(db.Model):
    __tablename__ = "societies"
    __table_args__ = (
        sa.CheckConstraint("min_events_per_year >= 0", name="min_events_not_negative"),
        sa.Index("ix_societies_city_kind", "city", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    short_name: Mapped[str] = mapped_column(sa.String(MAX_SHORT), default="")
    kind: Mapped[SocietyKind] = mapped_column(enum_column(SocietyKind))
    discipline: Mapped[str] = mapped_column(sa.String(MAX_SHORT), default="")
    city: Mapped[str] = mapped_column(sa.String(MAX_SHORT), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(MAX_SHORT), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(MAX_EMAIL), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(MAX_PHONE), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Yearly minimum of hosted activities used by the activity report (default 1).
    min_events_per_year: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Society {self.slug}>"

    @property
    def display_name(self) -> str:
        return self.short_name or self.name
