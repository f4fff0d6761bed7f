"""Event kinds, statuses and audience tags."""

from flask_babel import lazy_gettext as _l

from ..enums import LabelledEnum


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
