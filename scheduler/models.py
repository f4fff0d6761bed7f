"""Imports every model so that metadata (Alembic, create_all) sees all tables."""

from .accounts.models import ApiToken, Role, User
from .audit.models import AuditEntry
from .calendar_sync.models import CalendarSource
from .campaigns.models import Campaign, CampaignKind
from .events.models import Event, EventAudience, Occurrence
from .feeds.models import FeedToken
from .holidays.models import Holiday
from .jobs.models import JobRun, Reminder, SchedulerLease, SentNotice
from .notifications.models import OutboxMessage
from .people.models import Person
from .planner.models import HostApplication, Plan, PlanSession, VenueClosure
from .search.models import EventSearch
from .series.models import Series, SeriesPlanning
from .societies.models import Society, SocietyKind
from .venues.models import Venue

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CalendarSource",
    "Campaign",
    "CampaignKind",
    "Event",
    "EventAudience",
    "EventSearch",
    "FeedToken",
    "Holiday",
    "HostApplication",
    "JobRun",
    "Occurrence",
    "OutboxMessage",
    "Person",
    "Plan",
    "PlanSession",
    "Reminder",
    "Role",
    "SchedulerLease",
    "SentNotice",
    "Series",
    "SeriesPlanning",
    "Society",
    "SocietyKind",
    "User",
    "Venue",
    "VenueClosure",
]
