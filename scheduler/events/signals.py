"""What the workflow tells the areas above it (notifications, jobs) about changed events.

The workflow notes an ``EventChange`` for each change while its transaction runs and sends
``events_changed`` once per unit of work, when every check and write of it has succeeded,
just before its commit: what the receivers write (notices in the outbox, reminder rows) then
commits with the change or not at all, and a crash can never keep one without the other.
A change whose transaction or savepoint is rolled back is never sent. Receivers connect when
the app is created; this area never imports them.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy.orm import Session, SessionTransaction

from ..extensions import db

_signals = Namespace()

# send(app, changes=tuple[EventChange, ...], summary=Summary | None), once per unit of work.
events_changed = _signals.signal("events-changed")

_PENDING = "event_changes"  # session.info key: [(transaction, EventChange), ...]


@dataclass(frozen=True)
class EventChange:
    """One change as the workflow made it, with what the event looked like then (a plan's
    undo deletes its events before the receivers run)."""

    event_id: int
    action: str  # a workflow action: create, update, submit, ..., cancel, delete
    status: str  # the event's status after the change
    reason: str = ""
    title: str = ""
    start_at: datetime | None = None
    end_at: datetime | None = None
    venue: str = ""
    host_id: int | None = None
    cohost_ids: tuple[int, ...] = ()
    old_start: datetime | None = None  # an update's start before it (reminders follow it)


@dataclass(frozen=True)
class Summary:
    """Tell each society once about the whole unit of work (a plan's accept or undo):
    ``subject`` is an ``N_`` msgid formatted with ``params`` in each recipient's language."""

    subject: str
    params: dict = field(default_factory=dict)


def note(change: EventChange) -> None:
    """Remember ``change`` in the current transaction (or savepoint) until ``send``."""
    session = db.session()
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((current, change))


def send(summary: Summary | None = None) -> int:
    """Send what the unit of work changed (inside its transaction, before the commit)."""
    pending = db.session().info.pop(_PENDING, [])
    changes = tuple(change for _, change in pending)
    if changes:
        events_changed.send(current_app._get_current_object(), changes=changes, summary=summary)
    return len(changes)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint drops the changes made inside it; a full rollback, all."""
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(t, c) for t, c in pending if not _within(t, previous)]


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # Nothing noted in one transaction may be sent with the next one.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
