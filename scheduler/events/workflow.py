"""The one way in for every change of an event's state.

Each operation checks permission and the allowed transition, runs the conflict rules where
they matter, writes the change, its audit entry and its notifications in one transaction,
and bumps SEQUENCE when the public sees the change. Pages, the API and the importer call
these functions; nothing else sets ``event.status``, slots or occurrences (a test scans for
it: tests/events/test_one_way_in.py). The areas above (notices, reminders) hear of each change
through ``signals.events_changed``, sent when the unit of work is complete, before its commit.

Every change first re-reads its event under a row lock (``_locked``) and checks the status
there, so of two racing requests the later one sees the earlier one's result: a lost race is
a 409 that writes nothing. Speakers are locked (by id) before their conflicts are checked.
"""

from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..audit.service import record
from ..database import lock_keys, serialized_writes
from ..enums import PUBLIC_STATUSES, SLOT_HOLDING_STATUSES, EventStatus
from ..errors import BadInput, Conflict, Forbidden
from ..extensions import db
from ..rules import Finding, has_errors
from ..types import utcnow
from . import signals
from .conflicts import check_event, finding_to_json
from .input import parse_event_input, refuse_control_characters
from .models import Event, Occurrence
from .occurrences import occurrence_change, sync_occurrences
from .schemas import MAX_ACTUAL_ATTENDANCE, MAX_REASON

S = EventStatus
# Errors that no override can approve: a double-booked hall or speaker.
NEVER_OVERRIDDEN = frozenset({"venue_overlap", "speaker_overlap"})
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


_in_batch = ContextVar("workflow_batch", default=False)


@contextmanager
def batch(summary: signals.Summary | None = None):
    """Run several operations as one transaction (the importer, a plan): operations flush
    instead of committing; wrap each in ``db.session.begin_nested()`` to drop just that one on
    refusal. With ``summary`` the receivers tell each society once about the whole batch."""
    with serialized_writes():
        token = _in_batch.set(True)
        try:
            yield
            signals.send(summary)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _in_batch.reset(token)


def _writes():
    return nullcontext() if _in_batch.get() else serialized_writes()


def _commit() -> None:
    if _in_batch.get():
        db.session.flush()
    else:
        signals.send()
        db.session.commit()


def _rollback() -> None:
    # In a batch the caller's savepoint undoes the refused operation.
    if not _in_batch.get():
        db.session.rollback()


class SystemActor:
    """Who acts for command-line work (imports): organizer rights, no user row."""

    id = None
    society_id = None
    is_organizer = True
    is_authenticated = True


SYSTEM = SystemActor()


class TransitionRefused(Conflict):
    """The change is not allowed now (status 409); ``findings`` say why, when rules did."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []

    def extra(self) -> dict:
        return {"findings": [finding_to_json(f) for f in self.findings]}


@dataclass
class Outcome:
    event: Event
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: EventStatus
    organizer_only: bool
    reason_required: bool


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("submit", frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN}),
                   S.SUBMITTED, False, False),
        Transition("withdraw", frozenset({S.SUBMITTED, S.CHANGES_REQUESTED}),
                   S.WITHDRAWN, False, False),
        Transition("approve", frozenset({S.SUBMITTED}), S.APPROVED, True, False),
        Transition("reject", frozenset({S.SUBMITTED}), S.REJECTED, True, True),
        Transition("request_changes", frozenset({S.SUBMITTED}), S.CHANGES_REQUESTED, True, True),
        Transition("cancel", frozenset({S.APPROVED}), S.CANCELLED, False, True),
        Transition("complete", frozenset({S.APPROVED}), S.COMPLETED, True, False),
    )
}  # fmt: skip

# Statuses in which a society editor may still edit; organizers may also edit later ones.
EDITOR_EDITABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN})
ORGANIZER_EDITABLE = EDITOR_EDITABLE | {S.SUBMITTED, S.APPROVED}


def may_manage(user: User | None, event: Event) -> bool:
    """Organizers manage every event; editors those their society hosts."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_organizer or (event.host_id is not None and event.host_id == user.society_id)


def may_edit(user: User | None, event: Event) -> bool:
    """May ``user`` change the event's fields (and its dates one by one) now?"""
    if not may_manage(user, event):
        return False
    return event.status in (ORGANIZER_EDITABLE if user.is_organizer else EDITOR_EDITABLE)


def _require_manager(user: User, event: Event) -> None:
    if not may_manage(user, event):
        raise Forbidden(_("Only the host society and organizers may change this event."))


# What a locked re-read loads afresh: everything the checks and the slot sync rely on.
_FRESH = (
    selectinload(Event.occurrences),
    selectinload(Event.speakers),
    selectinload(Event.cohosts),
    selectinload(Event.organizing_societies),
    selectinload(Event.audience_rows),
)


@contextmanager
def _locked(event: Event):
    """Run the block on a fresh copy of ``event`` read under a row lock (FOR UPDATE on
    PostgreSQL; on SQLite inside the BEGIN IMMEDIATE transaction). Yields the status the
    caller had seen; on any refusal the transaction is rolled back: nothing is written."""
    seen, event_id = event.status, event.id  # (SQLite: _writes() commits, expiring both)
    with _writes():
        try:
            found = db.session.execute(
                sa.select(Event)
                .where(Event.id == event_id)
                .with_for_update(of=Event)
                .options(*_FRESH)
                .execution_options(populate_existing=True)
            ).scalar_one_or_none()
            if found is None:
                raise TransitionRefused(_("This event was deleted meanwhile."))
            yield seen
        except sa.exc.OperationalError as exc:
            _rollback()
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
            # PostgreSQL broke a cycle of lock waits by aborting this change: it lost a race.
            raise TransitionRefused(_("Another change got in first; please try again.")) from None
        except BaseException:
            _rollback()
            raise


def _refuse(event: Event, seen: EventStatus, message: str) -> NoReturn:
    """409: say so when another change got in first, else ``message``."""
    if event.status != seen:
        raise TransitionRefused(
            _("This event was changed meanwhile: it is now %(status)s.", status=event.status.label)
        )
    raise TransitionRefused(message)


def _lock_speakers(event: Event) -> None:
    """Before checking an event that holds its slot: wait for every other transaction that
    checks and writes one of its speakers (PostgreSQL; SQLite's write lock does it)."""
    if event.status in SLOT_HOLDING_STATUSES:
        lock_keys("speaker", (p.id for p in event.speakers))


def _clean_reason(reason, required: bool) -> str:
    if reason is not None and not isinstance(reason, str):
        raise BadInput(_("The reason must be text."), field="reason")
    reason = (reason or "").strip()
    if required and not reason:
        raise BadInput(_("Please give a reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise BadInput(_("The reason is longer than %(n)s characters.", n=MAX_REASON), "reason")
    refuse_control_characters(reason, "reason")
    return reason


def _log(event: Event, action: str, by, changes: dict, reason: str = "", old_start=None) -> None:
    """The audit entry of a change, and its note for the receivers of ``events_changed``."""
    record("event", event.id, action, by, changes, reason)
    signals.note(
        signals.EventChange(
            event.id,
            action,
            event.status.value,
            reason,
            event.title,
            event.start_at,
            event.end_at,
            event.venue.name if event.venue else "",
            event.host_id,
            tuple(s.id for s in event.cohosts),
            old_start,
        )
    )


def _save_slots(event: Event) -> None:
    """Flush the occurrences. On PostgreSQL a venue taken by a concurrent submission trips
    the exclusion constraint: roll back and answer 409 with the fresh findings."""
    sync_occurrences(event)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        if _in_batch.get():
            raise TransitionRefused(_("The venue was taken meanwhile.")) from None
        _rollback()
        findings = check_event(event)
        raise TransitionRefused(_("This event conflicts with others."), findings) from None
    except sa.exc.OperationalError as exc:
        # Two submissions whose slots overlap, each flushed before the other committed, wait
        # on each other in the exclusion constraint; PostgreSQL aborts one (40P01) and the
        # other goes on to hold the slot. The aborted one lost the race: 409, not an outage.
        if getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        if _in_batch.get():
            raise TransitionRefused(_("The venue was taken meanwhile.")) from None
        _rollback()
        _wait_for_slot_writers(event)
        findings = check_event(event)
        raise TransitionRefused(_("This event conflicts with others."), findings) from None


def _wait_for_slot_writers(event: Event) -> None:
    """Wait until transactions still writing occurrences in this event's venue and time
    have ended (FOR SHARE waits on their row locks), so the findings show the winner."""
    times = [(o.start_at, o.blocked_until) for o in event.occurrences]
    if event.venue_id is None or not times:
        return
    db.session.execute(
        sa.select(Occurrence.id)
        .where(
            Occurrence.venue_id == event.venue_id,
            Occurrence.event_id != event.id,
            Occurrence.start_at < max(end for _, end in times),
            Occurrence.blocked_until > min(start for start, _ in times),
        )
        .with_for_update(read=True)
    ).all()


def create_event(
    data: dict, by: User, now: datetime | None = None, imported_uid: str | None = None
) -> Outcome:
    """A new draft; its findings are returned for information (drafts hold nothing).
    ``imported_uid`` keeps the UID of an event brought in from another calendar."""
    values = parse_event_input(data)
    host = values.values["host"]
    if not by.is_organizer and host.id != by.society_id:
        raise Forbidden(_("Editors register events for their own society only."))
    with _writes():
        event = Event(status=S.DRAFT, created_by_id=by.id, imported_uid=imported_uid)
        changes = values.apply_to(event)
        db.session.add(event)
        db.session.flush()
        sync_occurrences(event)
        db.session.flush()
        _log(event, "create", by, changes)
        findings = check_event(event, now)
        _commit()
    return Outcome(event, findings)


def preview(data: dict, by: User, event: Event | None = None) -> list[Finding]:
    """The findings a new event (or a change to ``event``) would have; writes nothing: the
    event is built in memory and the session rolled back afterwards."""
    if event is not None:
        _require_manager(by, event)
    elif "host" not in data and by.society_id:
        data = {**data, "host": by.society_id}
    values = parse_event_input(data, current=event)
    try:
        with db.session.no_autoflush:
            draft = event or Event(status=S.DRAFT)
            values.apply_to(draft)
            return check_event(draft)
    finally:
        db.session.rollback()  # forget the in-memory changes


def update_event(
    event: Event, data, by: User, now: datetime | None = None, plan_note: tuple | None = None
) -> Outcome:
    """Change an event's fields. Events holding their slot are re-checked before saving.
    ``data`` may be a function of the locked, fresh event that returns the fields.
    ``plan_note`` ({"plan": id} or {"undo": id}, reason): a plan moved it; said in the audit."""
    _require_manager(by, event)
    editable = ORGANIZER_EDITABLE if by.is_organizer else EDITOR_EDITABLE
    with _locked(event) as seen:
        _require_manager(by, event)
        if event.status not in editable:
            message = _("An event that is %(status)s cannot be edited.", status=event.status.label)
            _refuse(event, seen, message)
        values = parse_event_input(data(event) if callable(data) else data, current=event)
        if (
            "host" in values.values
            and not by.is_organizer
            and values.values["host"].id != by.society_id
        ):
            raise Forbidden(_("Editors register events for their own society only."))
        old_start = event.start_at
        changes = values.apply_to(event)
        _lock_speakers(event)
        findings = check_event(event, now)
        if event.status in (S.SUBMITTED, S.APPROVED) and has_errors(findings):
            _rollback()
            raise TransitionRefused(_("The change would create a conflict."), findings)
        _save_slots(event)
        if changes and event.status in PUBLIC_STATUSES:
            event.sequence += 1
        _log(event, "update", by, changes, old_start=old_start)
        if plan_note is not None:
            record("event", event.id, "plan", by, *plan_note)
        _commit()
    return Outcome(event, findings)


def change_occurrence(event: Event, key: str, body: dict, by: User) -> Outcome:
    """Move, cancel or put back one occurrence of a repeating event (see
    ``occurrence_change``), computed from the event as it is under the lock: two changes of
    different occurrences made at once both count."""
    return update_event(event, lambda fresh: occurrence_change(fresh, key, body), by)


def delete_draft(event: Event, by: User) -> None:
    _require_manager(by, event)
    with _locked(event) as seen:
        if event.status != S.DRAFT:
            _refuse(event, seen, _("Only drafts can be deleted; cancel or withdraw instead."))
        _log(event, "delete", by, {"title": [event.title, None]})
        db.session.delete(event)
        _commit()


# --- a plan's events (planner/apply.py), always inside one ``batch()`` ---------------------


def _require_batch(name: str) -> None:
    if not _in_batch.get():
        raise RuntimeError(f"workflow.{name} runs only inside workflow.batch()")


def release_slots(event_ids: list[int]) -> None:
    """Let these events stop holding their slots for the rest of the batch, so that a plan
    can swap the dates of two of them: each holds its slot again once it is updated (and
    the batch must do so, or roll back)."""
    _require_batch("release_slots")
    if event_ids:
        db.session.execute(
            sa.update(Occurrence)
            .where(Occurrence.event_id.in_(event_ids))
            .values(holds_slot=False)
            .execution_options(synchronize_session="fetch")
        )
        db.session.flush()


def remove_planned(event: Event, by, reason: str, plan_id: int) -> None:
    """Take an event a plan created off the calendar (the plan's undo): an approved one is
    cancelled first, so its host hears of it and its reminders go, then it is deleted."""
    _require_batch("remove_planned")
    if event.status == S.APPROVED:
        cancel(event, by, reason)
    with _locked(event):
        _log(event, "delete", by, {"plan": plan_id}, reason)
        db.session.delete(event)
        _commit()


def _transition(
    event: Event,
    action: str,
    by: User,
    reason: str | None = None,
    now: datetime | None = None,
    override: bool = False,
    ready=None,
) -> Outcome:
    """``ready(event)``, if given, checks under the lock whatever else the change needs."""
    rule = TRANSITIONS[action]
    if rule.organizer_only and not (by and by.is_organizer):
        raise Forbidden(_("Only organizers may do this."))
    _require_manager(by, event)
    reason = _clean_reason(reason, rule.reason_required or override)
    now = now or utcnow()
    with _locked(event) as seen:
        _require_manager(by, event)
        if event.status not in rule.sources:
            message = _(
                "This event is %(status)s; it cannot be %(action)s now.",
                status=event.status.label,
                action=ACTION_LABELS[action],
            )
            _refuse(event, seen, message)
        if ready is not None:
            ready(event)
        findings: list[Finding] = []
        changes: dict = {"status": [event.status.value, rule.target.value]}
        if action in ("submit", "approve"):
            lock_keys("speaker", (p.id for p in event.speakers))
        if action == "submit":
            event.submitted_at = now
            findings = check_event(event, now)
            if has_errors(findings, overridable_ok=True):
                _rollback()
                raise TransitionRefused(_("This event conflicts with others."), findings)
        elif action == "approve":
            findings = check_event(event, now)
            blocking = [f for f in findings if f.severity == "error"]
            if any(f.rule in NEVER_OVERRIDDEN for f in blocking):
                _rollback()
                raise TransitionRefused(_("A venue or speaker is double-booked."), findings)
            if blocking and not override:
                _rollback()
                raise TransitionRefused(
                    _("Approving despite errors needs an override with a reason."), findings
                )
            if blocking:
                changes["override"] = sorted({f.rule for f in blocking})
        event.status = rule.target
        if reason or action in ("approve", "reject", "request_changes", "cancel"):
            event.decision_reason = reason
        if rule.target in PUBLIC_STATUSES:
            event.sequence += 1
        _save_slots(event)
        _log(event, action, by, changes, reason)
        _commit()
    return Outcome(event, findings)


ACTION_LABELS = {
    "submit": _l("submitted"),
    "withdraw": _l("withdrawn"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "request_changes": _l("sent back for changes"),
    "cancel": _l("cancelled"),
    "complete": _l("completed"),
}


def submit(event: Event, by: User, now: datetime | None = None) -> Outcome:
    """File the event: it then holds its slot. Conflicts refuse it (409), except the errors
    an organizer may override (quotas, late filing), which the approval must address."""
    return _transition(event, "submit", by, now=now)


def withdraw(event: Event, by: User, reason: str = "") -> Outcome:
    return _transition(event, "withdraw", by, reason)


def approve(
    event: Event, by: User, reason: str = "", override: bool = False, now: datetime | None = None
) -> Outcome:
    return _transition(event, "approve", by, reason, now=now, override=override)


def reject(event: Event, by: User, reason: str) -> Outcome:
    return _transition(event, "reject", by, reason)


def request_changes(event: Event, by: User, reason: str) -> Outcome:
    return _transition(event, "request_changes", by, reason)


def cancel(event: Event, by: User, reason: str) -> Outcome:
    return _transition(event, "cancel", by, reason)


def complete(
    event: Event, by: User, actual_attendance=None, now: datetime | None = None
) -> Outcome:
    """Mark an approved event held once all its sessions have ended (the jobs do it); the
    notice asks the host for the attendance, which may also be given here."""
    if not (by and by.is_organizer):  # permission before state: no hints to others
        raise Forbidden(_("Only organizers may do this."))
    now = now or utcnow()
    given = actual_attendance not in (None, "")
    count = _attendance(actual_attendance) if given else None

    def ended(fresh: Event) -> None:
        if any(o.end_at > now for o in fresh.occurrences):
            raise TransitionRefused(
                _("The event has not ended yet: it can be marked as held once it has ended.")
            )

    outcome = _transition(event, "complete", by, now=now, ready=ended)
    if count is not None:
        record_attendance(event, by, count)
    return outcome


def _attendance(value) -> int:
    try:
        count = int(str(value).strip())
    except ValueError:
        raise BadInput(_("The attendance must be a whole number."), "actual_attendance") from None
    if not 0 <= count <= MAX_ACTUAL_ATTENDANCE:
        raise BadInput(
            _("The attendance must be between 0 and %(n)s.", n=MAX_ACTUAL_ATTENDANCE),
            "actual_attendance",
        )
    return count


def record_attendance(event: Event, by: User, actual_attendance) -> Outcome:
    """The host (or an organizer) records how many people came to a completed event."""
    _require_manager(by, event)
    count = _attendance(actual_attendance)
    with _locked(event) as seen:
        if event.status != S.COMPLETED:
            _refuse(event, seen, _("Attendance is recorded once the event is completed."))
        changes = {"actual_attendance": [event.actual_attendance, count]}
        event.actual_attendance = count
        _log(event, "record_attendance", by, changes)
        _commit()
    return Outcome(event)


ACTIONS = {
    "submit": lambda e, by, body: submit(e, by),
    "withdraw": lambda e, by, body: withdraw(e, by, body.get("reason", "")),
    "approve": lambda e, by, body: approve(
        e, by, body.get("reason", ""), override=body.get("override") is True
    ),
    "reject": lambda e, by, body: reject(e, by, body.get("reason", "")),
    "request_changes": lambda e, by, body: request_changes(e, by, body.get("reason", "")),
    "cancel": lambda e, by, body: cancel(e, by, body.get("reason", "")),
    "complete": lambda e, by, body: complete(e, by, body.get("actual_attendance")),
}
