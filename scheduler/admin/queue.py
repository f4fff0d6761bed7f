"""The approval queue: submitted events in the order organizers decide them (major ones
first, then by start), a page at a time with each event's findings counted, and the events
before and after one of them (the decision page walks the queue)."""

from dataclasses import dataclass

import sqlalchemy as sa

from ..audit.models import AuditEntry
from ..enums import EventStatus
from ..events.batch_check import check_events
from ..events.models import Event
from ..events.queries import EventFilters, event_loader_options
from ..extensions import db

PAGE_SIZE = 20  # each row runs the conflict rules (batched: a few queries a page)
ORDER = (Event.is_major.desc(), Event.start_at, Event.id)


@dataclass(frozen=True)
class QueuePage:
    events: list[Event]
    counts: dict[int, tuple[int, int]]  # event id -> (errors, warnings)
    page: int
    pages: int
    total: int


def mine_condition(user_id: int):
    """Events the organizer created or already acted on (an audit entry of theirs)."""
    touched = sa.select(AuditEntry.entity_id).where(
        AuditEntry.entity_type == "event", AuditEntry.actor_id == user_id
    )
    return sa.or_(Event.created_by_id == user_id, Event.id.in_(touched))


def queue_page(filters: EventFilters, major: bool, mine_of: int | None, page: int) -> QueuePage:
    where = [Event.status == EventStatus.SUBMITTED, *filters.event_conditions()]
    if major:
        where.append(Event.is_major.is_(True))
    if mine_of is not None:
        where.append(mine_condition(mine_of))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(*where))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = db.session.scalars(
        sa.select(Event)
        .where(*where)
        .order_by(*ORDER)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .options(*event_loader_options())
    ).all()
    counts = {i: _severities(found) for i, found in check_events(list(events)).items()}
    return QueuePage(events, counts, page, pages, total)


def _severities(findings) -> tuple[int, int]:
    errors = sum(f.severity == "error" for f in findings)
    return errors, len(findings) - errors


def _after(event: Event):
    """Submitted events after ``event`` in the queue's order."""
    later = sa.or_(
        Event.start_at > event.start_at,
        sa.and_(Event.start_at == event.start_at, Event.id > event.id),
    )
    if event.is_major:
        return sa.or_(Event.is_major.is_(False), sa.and_(Event.is_major.is_(True), later))
    return sa.and_(Event.is_major.is_(False), later)


def _before(event: Event):
    earlier = sa.or_(
        Event.start_at < event.start_at,
        sa.and_(Event.start_at == event.start_at, Event.id < event.id),
    )
    if event.is_major:
        return sa.and_(Event.is_major.is_(True), earlier)
    return sa.or_(Event.is_major.is_(True), sa.and_(Event.is_major.is_(False), earlier))


def neighbours(event: Event) -> tuple[int | None, int | None]:
    """The ids of the submitted events just before and just after ``event`` in the queue
    (whatever the event's own status now: after a decision it has left the queue)."""
    base = sa.select(Event.id).where(Event.status == EventStatus.SUBMITTED, Event.id != event.id)
    before = db.session.scalar(
        base.where(_before(event))
        .order_by(Event.is_major.asc(), Event.start_at.desc(), Event.id.desc())
        .limit(1)
    )
    after = db.session.scalar(base.where(_after(event)).order_by(*ORDER).limit(1))
    return before, after
