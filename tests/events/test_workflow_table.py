"""Every transition of scheduler/events/workflow.py, as a table: for each status × action,
the status it leads to, or the 409 that refuses it and writes nothing (no status change, no
audit entry). Then who may act: organizer-only actions refuse a host's editor (403), and an
editor of another society may do nothing to the event (403). The expectations are written
out here, not read from workflow.TRANSITIONS, so a change to that table shows up as a
failure.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.errors import BadInput, RequestError
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.extensions import db
from tests.factories import local, make_event, make_society, make_user

S = EventStatus
# action -> {status it may start from: status it leads to}; any other status is a 409.
ALLOWED = {
    "submit": {S.DRAFT: S.SUBMITTED, S.CHANGES_REQUESTED: S.SUBMITTED, S.WITHDRAWN: S.SUBMITTED},
    "withdraw": {S.SUBMITTED: S.WITHDRAWN, S.CHANGES_REQUESTED: S.WITHDRAWN},
    "approve": {S.SUBMITTED: S.APPROVED},
    "reject": {S.SUBMITTED: S.REJECTED},
    "request_changes": {S.SUBMITTED: S.CHANGES_REQUESTED},
    "cancel": {S.APPROVED: S.CANCELLED},
    "complete": {S.APPROVED: S.COMPLETED},
    "delete_draft": {S.DRAFT: None},  # None: the event is gone
    "record_attendance": {S.COMPLETED: S.COMPLETED},
}
ORGANIZER_ONLY = {"approve", "reject", "request_changes", "complete"}
START = local(2031, 9, 17, 19, 0)  # in Chengdu's evening, far from any other test's dates
AFTER_IT_ENDED = START + timedelta(days=1)


def act(action: str, event: Event, by) -> None:
    """Run ``action`` through the workflow's own function, with what it needs to pass."""
    if action == "complete":
        workflow.complete(event, by, now=AFTER_IT_ENDED)
    elif action == "delete_draft":
        workflow.delete_draft(event, by)
    elif action == "record_attendance":
        workflow.record_attendance(event, by, 37)
    else:
        workflow.ACTIONS[action](event, by, {"reason": "成都场地另有安排"})


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


class Cells:
    """Runs the table's cells. A refused action writes nothing, so the events it was tried
    on are used again for the next cell; an event that changed is replaced by a new one."""

    def __init__(self, host):
        self.host = host
        self.unchanged: dict[EventStatus, int] = {}

    def event(self, status: EventStatus) -> Event:
        if status not in self.unchanged:
            event = make_event(start=START, status=status, host=self.host)
            db.session.commit()
            self.unchanged[status] = event.id
        return db.session.get(Event, self.unchanged[status])

    def run(self, action: str, status: EventStatus, by) -> str:
        """The new status's value, "gone", or the refusal's status code ("409", "403",
        "400") when nothing was written; "wrote" when a refusal left changes behind."""
        event = self.event(status)
        event_id, entries = event.id, audit_count()
        try:
            act(action, event, by)
        except RequestError as refused:  # any refusal: 400, 403 or 409
            db.session.rollback()
            left = db.session.get(Event, event_id)
            unchanged = left is not None and left.status == status and audit_count() == entries
            return str(refused.status) if unchanged else "wrote"
        del self.unchanged[status]
        db.session.expire_all()
        left = db.session.get(Event, event_id)
        return "gone" if left is None else left.status.value


def expected(action: str, status: EventStatus) -> str:
    if status not in ALLOWED[action]:
        return "409"
    target = ALLOWED[action][status]
    return "gone" if target is None else target.value


def test_every_status_and_action_as_an_organizer(app):
    organizer = make_user(Role.ORGANIZER, email="zhuren@chengdu.example")
    host = make_society(city="成都", name="四川省天文学会")
    cells, got, want = Cells(host), {}, {}
    for action in ALLOWED:
        for status in S:
            got[action, status.value] = cells.run(action, status, organizer)
            want[action, status.value] = expected(action, status)
    wrong = {cell: (got[cell], want[cell]) for cell in want if got[cell] != want[cell]}
    assert wrong == {}, wrong


@pytest.mark.parametrize("who", ["host_editor", "other_editor"])
def test_who_may_take_each_allowed_transition(app, who):
    host = make_society(city="成都", name="成都市科普作家协会")
    society = host if who == "host_editor" else make_society(city="拉萨", name="西藏气象学会")
    editor = make_user(Role.EDITOR, society=society, email=f"{who}@chengdu.example")
    cells, got, want = Cells(host), {}, {}
    for action, moves in ALLOWED.items():
        for status in moves:
            got[action, status.value] = cells.run(action, status, editor)
            if who == "other_editor" or action in ORGANIZER_ONLY:
                want[action, status.value] = "403"
            else:
                want[action, status.value] = expected(action, status)
    wrong = {cell: (got[cell], want[cell]) for cell in want if got[cell] != want[cell]}
    assert wrong == {}, wrong


@pytest.mark.parametrize("action", ["reject", "request_changes", "cancel"])
def test_a_decision_that_needs_a_reason_is_refused_without_one(app, action):
    source = next(iter(ALLOWED[action]))
    organizer = make_user(Role.ORGANIZER, email=f"{action}@chengdu.example")
    event = make_event(start=START, status=source, host=make_society(city="成都"))
    db.session.commit()
    with pytest.raises(BadInput) as refused:
        workflow.ACTIONS[action](event, organizer, {"reason": "  "})
    assert refused.value.status == 400 and refused.value.field == "reason"
    db.session.rollback()
    assert db.session.get(Event, event.id).status == source
