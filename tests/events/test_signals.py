"""The workflow tells notifications and jobs about its changes through one signal, sent when
the unit of work is complete and inside its transaction: what the receivers write commits
with the change, and nothing is sent for a change (or a savepoint) that rolled back."""

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.events.signals import events_changed
from scheduler.extensions import db
from scheduler.jobs.models import Reminder
from scheduler.notifications.models import OutboxMessage
from tests.factories import local, make_event, make_society, make_user, make_venue

S = EventStatus
PACKAGE = Path(__file__).resolve().parents[2] / "scheduler"


def _imports(relative: str) -> set[str]:
    tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("module", ["events/workflow.py", "planner/apply.py"])
def test_events_and_the_planner_import_neither_jobs_nor_notifications(module):
    assert not [m for m in _imports(module) if "jobs" in m or "notifications" in m]


class Heard:
    def __init__(self):
        self.calls = []

    def __call__(self, sender, changes, summary=None, **extra):
        # Sent before the commit: the receiver's writes go into the change's transaction.
        self.calls.append(([(c.action, c.status, c.event_id) for c in changes], summary))


def _outbox(kind: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
    )


def _world():
    host = make_society(slug="xm-ocean", name="厦门海洋学会", city="厦门",
                        contact_email="ocean@xm.example")  # fmt: skip
    partner = make_society(slug="fz-bio", city="福州", contact_email="bio@fz.example")
    hall = make_venue(slug="gulangyu-hall", name="鼓浪屿礼堂", city="厦门")
    editor = make_user(Role.EDITOR, host, email="lin@xm.example")
    organizer = make_user(Role.ORGANIZER, None, email="wu@fj.example")
    return host, partner, hall, editor, organizer


def test_a_change_is_heard_once_and_its_notices_commit_with_it(app):
    host, partner, hall, editor, organizer = _world()
    event = make_event(start=local(2027, 9, 3, 15), status=S.DRAFT, host=host, venue=hall,
                       cohosts=[partner])  # fmt: skip
    db.session.commit()
    heard = Heard()
    with events_changed.connected_to(heard):
        workflow.submit(event, editor)
        workflow.approve(event, organizer)
        db.session.add(Reminder(event_id=event.id, recurrence_id=event.start_at,
                                offset_minutes=60, recipient="bio@fz.example", locale="zh_CN",
                                starts_at=event.start_at, due_at=event.start_at))  # fmt: skip
        db.session.commit()
        workflow.cancel(event, organizer, "台风预警")
    assert [c[0] for c in heard.calls] == [
        [("submit", "submitted", event.id)],
        [("approve", "approved", event.id)],
        [("cancel", "cancelled", event.id)],
    ]
    db.session.rollback()
    assert _outbox("event_submitted") == 1 and _outbox("event_approved") == 2
    # The cancellation reaches the host side and the co-host (who had the reminders).
    assert _outbox("event_cancelled") == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0


def test_a_refused_change_is_never_heard_and_queues_nothing(app):
    host, _, hall, editor, _ = _world()
    make_event(start=local(2027, 9, 3, 15), host=make_society(), venue=hall)  # holds the hall
    clash = make_event(start=local(2027, 9, 3, 16), status=S.DRAFT, host=host, venue=hall)
    db.session.commit()
    heard = Heard()
    with events_changed.connected_to(heard), pytest.raises(workflow.TransitionRefused):
        workflow.submit(clash, editor)
    assert heard.calls == [] and _outbox("event_submitted") == 0


def test_a_receiver_that_fails_takes_the_change_back_with_it(app):
    host, _, _, editor, _ = _world()
    event = make_event(start=local(2027, 9, 4, 15), status=S.DRAFT, host=host)
    db.session.commit()

    def broken(sender, **kw):
        raise RuntimeError("outbox full")

    with events_changed.connected_to(broken), pytest.raises(RuntimeError):
        workflow.submit(event, editor)
    db.session.rollback()
    assert db.session.get(Event, event.id).status == S.DRAFT
    assert _outbox("event_submitted") == 0


def test_a_batch_is_heard_once_without_what_its_savepoints_rolled_back(app):
    host, _, hall, _, organizer = _world()
    kept = make_event(start=local(2027, 9, 5, 15), status=S.DRAFT, host=host)
    make_event(start=local(2027, 9, 6, 15), host=make_society(), venue=hall)
    refused = make_event(start=local(2027, 9, 6, 15), status=S.DRAFT, host=host, venue=hall)
    db.session.commit()
    heard = Heard()
    with events_changed.connected_to(heard), workflow.batch():
        workflow.submit(kept, organizer)
        with pytest.raises(workflow.TransitionRefused), db.session.begin_nested():
            workflow.update_event(refused, {"title": "改名"}, organizer)
            workflow.submit(refused, organizer)
    assert [c[0] for c in heard.calls] == [[("submit", "submitted", kept.id)]]
    assert db.session.get(Event, refused.id).title != "改名"


def test_plan_helpers_refuse_to_run_outside_a_batch(app):
    host, _, _, _, organizer = _world()
    event = make_event(start=local(2027, 9, 7, 15), host=host)
    db.session.commit()
    with pytest.raises(RuntimeError):
        workflow.release_slots([event.id])
    with pytest.raises(RuntimeError):
        workflow.remove_planned(event, organizer, "undo plan #1", 1)
    assert db.session.get(Event, event.id).occurrences[0].holds_slot
