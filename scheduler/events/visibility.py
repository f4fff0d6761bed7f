"""Who sees which event: the one rule that lists, event pages, feeds, the portal and the API
all ask.

- Everyone sees published events (approved, completed, cancelled).
- Organizers see every event; the host society's editors see all of their events.
- A co-host society's editors see the events they co-host once the host has submitted them
  (submitted, changes requested) and after, read-only; never the host's drafts, nor
  withdrawn or rejected events, which stay the host's business.
"""

import sqlalchemy as sa

from ..enums import PUBLIC_STATUSES, EventStatus
from .models import Event, event_cohosts

PENDING_STATUSES = (EventStatus.SUBMITTED, EventStatus.CHANGES_REQUESTED)
COHOST_STATUSES = PUBLIC_STATUSES + PENDING_STATUSES


def _society_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.society_id


def may_view(user, event: Event) -> bool:
    """Whether ``user`` (None or anonymous for the public) may see ``event``."""
    if event.status in PUBLIC_STATUSES:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_organizer:
        return True
    society_id = _society_id(user)
    if society_id is None:
        return False
    if event.host_id == society_id:
        return True
    return event.status in COHOST_STATUSES and any(c.id == society_id for c in event.cohosts)


def society_condition(society_id: int, statuses=None):
    """SQL: the events ``society_id`` hosts (in ``statuses``, default all) or co-hosts and
    may see by the rule above."""
    hosted = Event.host_id == society_id
    if statuses is not None:
        hosted = hosted & Event.status.in_(statuses)
        cohost_statuses = [s for s in statuses if s in COHOST_STATUSES]
    else:
        cohost_statuses = list(COHOST_STATUSES)
    cohosted = sa.select(event_cohosts.c.event_id).where(event_cohosts.c.society_id == society_id)
    return sa.or_(hosted, Event.id.in_(cohosted) & Event.status.in_(cohost_statuses))


def visible_to_society(society_id: int):
    """SQL: every event an editor of ``society_id`` may see."""
    return sa.or_(Event.status.in_(PUBLIC_STATUSES), society_condition(society_id))
