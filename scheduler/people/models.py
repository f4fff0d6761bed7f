"""The Person model (expert or speaker)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (
        sa.CheckConstraint(
            "monthly_limit IS NULL OR monthly_limit >= 1", name="monthly_limit_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # e.g. 中国科学院院士 (academician), 教授
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    # Academicians and senior experts shared across the province (seed 004): the conflict
    # engine warns when one is booked more than ``monthly_limit`` times in a month.
    scarce: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    monthly_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __repr__(self) -> str:
        return f"<Person {self.slug}>"
