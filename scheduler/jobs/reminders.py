"""Host reminders before each occurrence, to the host's and the co-hosts' contact addresses.

The core is pure: ``wanted`` lists the reminders the upcoming occurrences call for,
``reconcile`` compares them with the stored rows, ``follow`` carries stored rows along when
an event moves, and ``due`` picks what to send now. The shell below loads rows, applies the
decisions, and hands due reminders to the outbox in the transaction that marks them sent.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import selectinload

from ..database import serialized_writes
from ..enums import EventStatus
from ..events.models import Event, Occurrence
from ..events.signals import EventChange, events_changed
from ..extensions import db
from ..notifications import service as notices
from ..timeutil import event_zone
from .models import Reminder, ReminderState

PENDING = ReminderState.PENDING
# Reminders are planned this long before the longest offset comes due.
HORIZON = timedelta(days=1)
STARTED = "the occurrence had started"
SUPERSEDED = "a reminder nearer the start was due at the same time"

# --- the pure core --------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One upcoming occurrence of an approved event."""

    event_id: int
    recurrence_id: datetime
    start: datetime


@dataclass(frozen=True)
class Wanted:
    event_id: int
    recurrence_id: datetime
    offset_minutes: int
    recipient: str
    locale: str
    starts_at: datetime

    @property
    def key(self) -> tuple:
        return (self.event_id, self.recurrence_id, self.offset_minutes, self.recipient)

    @property
    def due_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.offset_minutes)


@dataclass(frozen=True)
class Stored:
    id: int
    event_id: int
    recurrence_id: datetime
    offset_minutes: int
    recipient: str
    state: ReminderState
    starts_at: datetime
    due_at: datetime

    @property
    def key(self) -> tuple:
        return (self.event_id, self.recurrence_id, self.offset_minutes, self.recipient)


@dataclass
class Plan:
    create: list[Wanted] = field(default_factory=list)
    # id -> (recurrence_id, starts_at, due_at); history rows keep their times
    move: dict[int, tuple[datetime, datetime, datetime]] = field(default_factory=dict)
    drop: list[int] = field(default_factory=list)


def wanted(
    slots: Iterable[Slot],
    recipients: Mapping[int, Sequence[tuple[str, str]]],
    offsets: Sequence[timedelta],
    now: datetime,
) -> list[Wanted]:
    """One reminder per offset and recipient for every occurrence starting within reach
    (the longest offset plus a day); those already due are wanted too (caught up)."""
    reach = now + max(offsets) + HORIZON
    return [
        Wanted(
            slot.event_id,
            slot.recurrence_id,
            int(offset.total_seconds() // 60),
            email,
            locale,
            slot.start,
        )
        for slot in slots
        if now < slot.start <= reach
        for offset in offsets
        for email, locale in recipients.get(slot.event_id, ())
    ]


def reconcile(wishes: Iterable[Wanted], stored: Iterable[Stored], now: datetime) -> Plan:
    """Create what is missing (never again what was sent), re-anchor pending rows whose
    occurrence moved, and drop pending rows nothing wants any more (unless their occurrence
    has started: ``due`` closes those with a note)."""
    plan = Plan()
    stored = list(stored)
    by_key = {row.key: row for row in stored}
    keys = set()
    for wish in wishes:
        keys.add(wish.key)
        row = by_key.get(wish.key)
        if row is None:
            plan.create.append(wish)
        elif row.state is PENDING and (row.starts_at, row.due_at) != (wish.starts_at, wish.due_at):
            plan.move[row.id] = (row.recurrence_id, wish.starts_at, wish.due_at)
    plan.drop = [
        row.id
        for row in stored
        if row.state is PENDING and row.key not in keys and row.starts_at > now
    ]
    return plan


def follow(
    stored: Iterable[Stored],
    slots: Iterable[Slot],
    recipients: set[str],
    shift: Callable[[datetime], datetime] | None = None,
) -> Plan:
    """Carry an event's reminder rows along after it changed. A row stays with its
    occurrence (same RECURRENCE-ID), or moves with the event when the whole event was
    shifted (``shift`` maps an old RECURRENCE-ID to the new one); pending rows are re-anchored
    to the new start, sent ones keep their history. Pending rows whose occurrence or
    recipient is gone are dropped."""
    plan = Plan()
    by_rid = {slot.recurrence_id: slot for slot in slots}
    stored = list(stored)
    taken = {row.key for row in stored}
    for row in stored:
        slot = by_rid.get(row.recurrence_id)
        if slot is None and shift is not None:
            slot = by_rid.get(shift(row.recurrence_id))
        pending = row.state is PENDING
        if slot is None or (pending and row.recipient not in recipients):
            if pending:
                plan.drop.append(row.id)
            continue
        if slot.recurrence_id != row.recurrence_id:
            new_key = (row.event_id, slot.recurrence_id, row.offset_minutes, row.recipient)
            if new_key in taken:
                if pending:
                    plan.drop.append(row.id)
                continue
            taken.add(new_key)
        start = slot.start if pending else row.starts_at
        due = start - timedelta(minutes=row.offset_minutes) if pending else row.due_at
        if (slot.recurrence_id, start, due) != (row.recurrence_id, row.starts_at, row.due_at):
            plan.move[row.id] = (slot.recurrence_id, start, due)
    return plan


def due(ready: Iterable[Stored], now: datetime) -> tuple[list[int], dict[int, str]]:
    """Of the pending reminders due by ``now``, which to send and which to close unsent.

    Per occurrence and recipient only the one nearest the start goes out (a scheduler that
    was down does not send the 7-day and the 1-day reminder together); none once the
    occurrence has started."""
    groups: dict[tuple, list[Stored]] = defaultdict(list)
    for row in ready:
        if row.due_at <= now:
            groups[(row.event_id, row.recurrence_id, row.recipient)].append(row)
    send, skip = [], {}
    for rows in groups.values():
        if min(r.starts_at for r in rows) <= now:
            skip.update((r.id, STARTED) for r in rows)
            continue
        nearest = min(rows, key=lambda r: r.offset_minutes)
        send.append(nearest.id)
        skip.update((r.id, SUPERSEDED) for r in rows if r is not nearest)
    return sorted(send), skip


def local_shift(old_start: datetime, new_start: datetime, tz) -> Callable[[datetime], datetime]:
    """Map a RECURRENCE-ID of the old rule onto the new one: the same move in local wall
    time (rules repeat in the wall time of their zone)."""
    delta = new_start.astimezone(tz).replace(tzinfo=None) - old_start.astimezone(tz).replace(
        tzinfo=None
    )

    def shift(rid: datetime) -> datetime:
        wall = rid.astimezone(tz).replace(tzinfo=None) + delta
        return wall.replace(tzinfo=tz).astimezone(rid.tzinfo)

    return shift


# --- the shell ------------------------------------------------------------------------------


def recipients_of(events: Iterable[Event]) -> dict[int, list[tuple[str, str]]]:
    """(email, locale) of the host's and the co-hosts' contacts, per event."""
    emails = {
        event.id: notices.unique_emails(
            [event.host.contact_email, *(s.contact_email for s in event.cohosts)]
        )
        for event in events
    }
    locales = notices.locales_for({e for found in emails.values() for e in found})
    return {eid: [(e, locales.get(e, "zh_CN")) for e in found] for eid, found in emails.items()}


def _stored(rows: Iterable[Reminder]) -> list[Stored]:
    return [
        Stored(
            r.id,
            r.event_id,
            r.recurrence_id,
            r.offset_minutes,
            r.recipient,
            r.state,
            r.starts_at,
            r.due_at,
        )
        for r in rows
    ]


def _apply(plan: Plan) -> None:
    for wish in plan.create:
        db.session.add(
            Reminder(
                event_id=wish.event_id,
                recurrence_id=wish.recurrence_id,
                offset_minutes=wish.offset_minutes,
                recipient=wish.recipient,
                locale=wish.locale,
                starts_at=wish.starts_at,
                due_at=wish.due_at,
            )
        )
    for row_id, (rid, start, due_at) in plan.move.items():
        db.session.execute(
            sa.update(Reminder)
            .where(Reminder.id == row_id)
            .values(recurrence_id=rid, starts_at=start, due_at=due_at)
        )
    if plan.drop:
        db.session.execute(
            sa.delete(Reminder).where(Reminder.id.in_(plan.drop), Reminder.state == PENDING)
        )


def _upcoming_slots(now: datetime, offsets: Sequence[timedelta]) -> list[Slot]:
    reach = now + max(offsets) + HORIZON
    rows = db.session.execute(
        sa.select(Occurrence.event_id, Occurrence.recurrence_id, Occurrence.start_at)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Event.status == EventStatus.APPROVED,
            Occurrence.cancelled.is_(False),
            Occurrence.start_at > now,
            Occurrence.start_at <= reach,
        )
    )
    return [Slot(*row) for row in rows]


def _events(ids: Iterable[int]) -> list[Event]:
    ids = list(set(ids))
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.id.in_(ids))
            .options(selectinload(Event.host), selectinload(Event.cohosts))
        )
    )


def plan_reminders(now: datetime, offsets: Sequence[timedelta]) -> Plan:
    """Bring the reminder rows in line with the upcoming occurrences (one transaction)."""
    with serialized_writes():
        slots = _upcoming_slots(now, offsets)
        event_ids = {s.event_id for s in slots}
        wishes = wanted(slots, recipients_of(_events(event_ids)), offsets, now)
        rows = db.session.scalars(
            sa.select(Reminder).where(
                sa.or_(Reminder.event_id.in_(event_ids), Reminder.state == PENDING)
            )
        )
        plan = reconcile(wishes, _stored(rows), now)
        _apply(plan)
        db.session.commit()
    return plan


@dataclass
class Queued:
    sent: int = 0
    skipped: int = 0


def queue_due(now: datetime, batch_size: int, after_batch: Callable[[], None]) -> Queued:
    """Hand due reminders to the outbox, ``batch_size`` per transaction: each is marked sent
    in the transaction that adds its message, so a crash never queues one twice."""
    ready = db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.state == PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
    )
    send, skip = due(_stored(ready), now)
    db.session.rollback()
    result = Queued(skipped=_close(skip))
    for start in range(0, len(send), batch_size):
        result.sent += _queue_batch(send[start : start + batch_size], now)
        after_batch()
    return result


def _close(skip: dict[int, str]) -> int:
    if not skip:
        return 0
    with serialized_writes():
        for note in set(skip.values()):
            ids = [i for i, n in skip.items() if n == note]
            db.session.execute(
                sa.update(Reminder)
                .where(Reminder.id.in_(ids), Reminder.state == PENDING)
                .values(state=ReminderState.SKIPPED, note=note)
            )
        db.session.commit()
    return len(skip)


def _queue_batch(ids: list[int], now: datetime) -> int:
    count = 0
    with serialized_writes():
        rows = db.session.scalars(
            sa.select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.id)
        ).all()
        events = {e.id: e for e in _events(r.event_id for r in rows)}
        for row in rows:
            claimed = db.session.execute(
                sa.update(Reminder)
                .where(Reminder.id == row.id, Reminder.state == PENDING)
                .values(state=ReminderState.SENT, sent_at=now)
            )
            if claimed.rowcount != 1:
                continue
            message = notices.queue_reminder(events[row.event_id], row)
            db.session.flush()
            db.session.execute(
                sa.update(Reminder).where(Reminder.id == row.id).values(outbox_id=message.id)
            )
            count += 1
        db.session.commit()
    return count


# --- following the workflow (``events_changed``, inside the change's transaction) --------


def follow_event(event: Event, old_start: datetime) -> None:
    """After an event changed: re-anchor its pending reminders to the new times (rows of a
    moved occurrence go with it), drop those whose occurrence or recipient is gone."""
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.event_id == event.id)).all()
    if not rows:
        return
    shift = None
    if old_start != event.start_at:
        shift = local_shift(old_start, event.start_at, event_zone(event))
    slots = [Slot(event.id, o.recurrence_id, o.start_at) for o in event.occurrences]
    wanted_emails = set()
    if event.status == EventStatus.APPROVED:
        wanted_emails = {email for email, _ in recipients_of([event])[event.id]}
    _apply(follow(_stored(rows), slots, wanted_emails, shift))


def drop_pending(event_id: int) -> None:
    """The event was cancelled: its unsent reminders go (the cancellation notice reaches
    every reminder recipient: notifications.service.notice_recipients)."""
    db.session.execute(
        sa.delete(Reminder).where(Reminder.event_id == event_id, Reminder.state == PENDING)
    )


def on_events_changed(sender, changes: tuple[EventChange, ...], **extra) -> None:
    for change in changes:
        if change.action == "cancel":
            drop_pending(change.event_id)
        elif change.action == "update" and change.old_start is not None:
            event = db.session.get(Event, change.event_id)
            if event is not None:
                follow_event(event, change.old_start)


def init_app(app: Flask) -> None:
    events_changed.connect(on_events_changed)  # once per process: connecting is idempotent
