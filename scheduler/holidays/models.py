"""The Holiday model: one day off, or one make-up working day, of a year."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Holiday(db.Model):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    year: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    # True for a make-up working day (调休上班) that falls on a weekend.
    is_workday: Mapped[bool] = mapped_column(default=False)
    # False when derived from rules ahead of the State Council's announcement.
    official: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(sa.String(80), default="")
