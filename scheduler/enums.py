"""Enumerations stored as short strings, each member carrying a translatable label."""

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l


class LabelledEnum(StrEnum):
    """A string enum whose members also carry a lazily translated label: Kind.FORUM.label."""

    def __new__(cls, value: str, label=None):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label if label is not None else value
        return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def parse(cls, value: str):
        """The member for ``value``, or ValueError naming the allowed values."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} is not one of: {', '.join(cls.values())}") from None


def enum_column(enum_cls: type[LabelledEnum]) -> sa.Enum:
    """A portable VARCHAR column for an enum (values, not names, are stored)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class EventKind(LabelledEnum):
    FORUM = "forum", _l("Forum")
    ACADEMIC_MONTH = "academic_month", _l("Academic month activity")
    SCIENCE_DAY = "science_day", _l("Science day activity")
    LECTURE = "lecture", _l("Lecture")
    SALON = "salon", _l("Salon")
    CONFERENCE = "conference", _l("Conference")
    EXHIBITION = "exhibition", _l("Exhibition")
    COMPETITION = "competition", _l("Competition")
    TRAINING = "training", _l("Training")
    OTHER = "other", _l("Other")


class EventStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")
    CHANGES_REQUESTED = "changes_requested", _l("Changes requested")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    CANCELLED = "cancelled", _l("Cancelled")
    COMPLETED = "completed", _l("Completed")


# Statuses the public sees (cancelled events stay visible, marked as cancelled).
PUBLIC_STATUSES = (EventStatus.APPROVED, EventStatus.COMPLETED, EventStatus.CANCELLED)
# Statuses whose occurrences hold their venue slot.
SLOT_HOLDING_STATUSES = (EventStatus.SUBMITTED, EventStatus.APPROVED, EventStatus.COMPLETED)


class Audience(LabelledEnum):
    PUBLIC = "public", _l("General public")
    YOUTH = "youth", _l("Youth and students")
    SCIENTISTS = "scientists", _l("Scientists and engineers")
    FARMERS = "farmers", _l("Farmers")
    WORKERS = "workers", _l("Workers")
    ELDERLY = "elderly", _l("Elderly")
    OFFICIALS = "officials", _l("Officials")
    ENTERPRISES = "enterprises", _l("Enterprises")
