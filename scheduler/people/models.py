"""The Person model (expert or speaker)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Text limits of a person: the columns and the input (schemas.py) read these.
MAX_NAME, MAX_TITLE, MAX_AFFILIATION, MAX_SLUG = 120, 120, 200, 80


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (
        sa.CheckConstraint(
            "monthly_limit IS NULL OR monthly_limit >= 1", name="monthly_limit_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    # e.g. 中国科学院院士 (academician), 教授
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE), default="")
    affiliation: Mapped[str] = mapped_column(sa.String(MAX_AFFILIATION), default="")
    # Academicians and senior experts shared across the province (seed 004): the conflict
    # engine warns when one is booked more than ``monthly_limit`` times in a month.
    scarce: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    monthly_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __repr__(self) -> str:
        return f"<Person {self.slug}>"
