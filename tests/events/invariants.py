"""Invariants the calendar keeps after any sequence of changes, checked in SQL (both
databases): call ``broken_invariants()`` after a test's writes; it lists what is broken.

- no venue slot held twice (the venue's buffer counted) and no speaker in two places;
- an occurrence holds its slot exactly when its event's status holds slots, is public
  exactly when the event is, and is marked cancelled exactly when the event is cancelled.

"One audit entry and one set of notices per effective change" depends on what changed, so
the race matrix checks it race by race (``audit_count``, ``notice_count``).
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from scheduler.audit.models import AuditEntry
from scheduler.enums import PUBLIC_STATUSES, SLOT_HOLDING_STATUSES, EventStatus
from scheduler.events.models import Event, Occurrence, event_speakers
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage


def _holding(occ):
    return sa.and_(occ.holds_slot.is_(True), occ.cancelled.is_(False))


def venue_double_holds() -> list[tuple[int, int]]:
    """Pairs of occurrences (ids) holding one venue at overlapping times."""
    a, b = aliased(Occurrence), aliased(Occurrence)
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(a.id, b.id)
            .join(b, sa.and_(b.venue_id == a.venue_id, b.id > a.id))
            .where(
                a.venue_id.is_not(None),
                _holding(a),
                _holding(b),
                a.start_at < b.blocked_until,
                b.start_at < a.blocked_until,
            )
        )
    ]


def speaker_double_holds() -> list[tuple[int, int, int]]:
    """(person, occurrence, occurrence): one speaker held at overlapping times twice."""
    a, b = aliased(Occurrence), aliased(Occurrence)
    sa_, sb = event_speakers.alias("sa_"), event_speakers.alias("sb")
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(sa_.c.person_id, a.id, b.id)
            .select_from(a)
            .join(sa_, sa_.c.event_id == a.event_id)
            .join(sb, sb.c.person_id == sa_.c.person_id)
            .join(b, sa.and_(b.event_id == sb.c.event_id, b.id > a.id))
            .where(_holding(a), _holding(b), a.start_at < b.end_at, b.start_at < a.end_at)
        )
    ]


def _flag_differs(flag, statuses):
    return sa.or_(
        sa.and_(flag.is_(True), Event.status.not_in(statuses)),
        sa.and_(flag.is_(False), Event.status.in_(statuses)),
    )


def flags_out_of_step() -> list[tuple[int, str]]:
    """Occurrences (id, event status) whose holds_slot / public / cancelled flags do not
    say what their event's status says."""
    return [
        (occ_id, status.value)
        for occ_id, status in db.session.execute(
            sa.select(Occurrence.id, Event.status)
            .join(Event, Event.id == Occurrence.event_id)
            .where(
                sa.or_(
                    _flag_differs(Occurrence.holds_slot, SLOT_HOLDING_STATUSES),
                    _flag_differs(Occurrence.public, PUBLIC_STATUSES),
                    _flag_differs(Occurrence.cancelled, (EventStatus.CANCELLED,)),
                )
            )
        )
    ]


def broken_invariants() -> dict[str, list]:
    """What is broken, by invariant; an empty dict when all hold. Reads committed data."""
    db.session.commit()  # a fresh snapshot
    found = {
        "venue_double_holds": venue_double_holds(),
        "speaker_double_holds": speaker_double_holds(),
        "flags_out_of_step": flags_out_of_step(),
    }
    return {name: rows for name, rows in found.items() if rows}


def audit_count(entity_type: str, entity_id: int, action: str | None = None) -> int:
    stmt = sa.select(sa.func.count()).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id
    )
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalar(stmt)


def notice_count(event_id: int, kind: str | None = None) -> int:
    stmt = sa.select(sa.func.count()).where(OutboxMessage.event_id == event_id)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == f"event_{kind}")
    return db.session.scalar(stmt)
