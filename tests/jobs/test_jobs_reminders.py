"""Host reminders through the database: who gets them, the .ics, exactly one per occurrence,
offset and recipient, re-anchoring when the event moves, dropping when it is cancelled."""

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from scheduler.accounts.models import Role
from scheduler.events import workflow
from scheduler.extensions import db
from scheduler.jobs.models import Reminder, ReminderState
from scheduler.jobs.reminders import STARTED, SUPERSEDED
from scheduler.notifications.models import OutboxMessage
from tests.factories import local, make_event
from tests.jobs.conftest import quick_user
from tests.jobs.helpers import run_job


def messages(kind="reminder") -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def reminder_rows(event) -> list[Reminder]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.event_id == event.id)
            .order_by(Reminder.offset_minutes.desc(), Reminder.recipient)
        )
    )


def approved_event(world, start=None, **kw):
    event = make_event(
        start=start or local(2027, 3, 10, 14, 30),
        host=world["host"],
        cohosts=[world["cohost"]],
        venue=world["venue"],
        title="量子计算前沿讲座",
        **kw,
    )
    db.session.commit()
    return event


def test_reminders_go_to_host_and_cohost_once_each_with_the_event_ics(world, clock):
    event = approved_event(world)
    run_job("host_reminders", clock)  # the 7-day reminder is due (since Mar 3 14:30)
    sent = messages()
    assert [m.recipient for m in sent] == ["host@physics.example", "office@gz-cast.example"]
    for message in sent:
        assert message.subject == "活动提醒：量子计算前沿讲座"
        assert "科学馆报告厅" in message.body and "2027年3月10日" in message.body
        assert f"/events/{event.id}" in message.body
        calendar = Calendar.from_ical(message.attachment)
        vevent = calendar.walk("VEVENT")[0]
        assert str(vevent["UID"]) == f"event-{event.id}@scheduler.local"
        assert message.attachment_name == f"event-{event.id}.ics"

    run_job("host_reminders", clock)  # a second run (or a catch-up) sends nothing again
    assert len(messages()) == 2

    clock.at = local(2027, 3, 9, 15, 0)  # the 1-day reminder is due
    run_job("host_reminders", clock)
    run_job("host_reminders", clock)
    assert len(messages()) == 4
    rows = reminder_rows(event)
    assert [(r.offset_minutes // 1440, r.state) for r in rows] == [
        (7, ReminderState.SENT),
        (7, ReminderState.SENT),
        (1, ReminderState.SENT),
        (1, ReminderState.SENT),
    ]
    assert all(r.outbox_id and r.sent_at for r in rows)


def test_a_recipient_who_chose_english_gets_english(world, clock):
    quick_user("office@gz-cast.example", Role.EDITOR, society=world["cohost"], locale="en")
    db.session.commit()
    approved_event(world)
    run_job("host_reminders", clock)
    english = next(m for m in messages() if m.recipient == "office@gz-cast.example")
    assert english.locale == "en" and english.subject == "Reminder: 量子计算前沿讲座"
    assert "A reminder: this event is coming up." in english.body
    assert "Co-hosts" in english.body


def test_catching_up_sends_only_the_reminder_nearest_the_start(world, clock):
    event = approved_event(world, start=local(2027, 3, 4, 20, 0))  # in twelve hours
    run_job("host_reminders", clock)
    assert len(messages()) == 2
    notes = {(r.offset_minutes // 1440, r.state, r.note) for r in reminder_rows(event)}
    assert notes == {(7, ReminderState.SKIPPED, SUPERSEDED), (1, ReminderState.SENT, "")}


def test_reminders_of_a_started_occurrence_are_closed_unsent(world, clock):
    event = approved_event(world, start=local(2027, 3, 6, 9, 0))
    run_job("host_reminders", clock)  # 7-day reminders go out; 1-day ones wait
    clock.at = local(2027, 3, 6, 10, 0)  # the scheduler was down through the 1-day time
    run_job("host_reminders", clock)
    assert len(messages()) == 2
    skipped = [r for r in reminder_rows(event) if r.state == ReminderState.SKIPPED]
    assert len(skipped) == 2 and {r.note for r in skipped} == {STARTED}


def test_moving_an_event_reanchors_unsent_reminders_and_never_resends(world, clock):
    event = approved_event(world)
    run_job("host_reminders", clock)  # 7-day reminders sent for Mar 10
    assert len(messages()) == 2
    workflow.update_event(
        event,
        {"start": "2027-03-20T14:30", "end": "2027-03-20T16:30"},
        world["organizer"],
        now=clock.now(),
    )
    pending = [r for r in reminder_rows(event) if r.state == ReminderState.PENDING]
    assert {r.due_at for r in pending} == {local(2027, 3, 19, 14, 30)}
    assert all(r.recurrence_id == local(2027, 3, 20, 14, 30) for r in reminder_rows(event))

    clock.at = local(2027, 3, 13, 15, 0)  # 7 days before the new date: already sent
    run_job("host_reminders", clock)
    assert len(messages()) == 2
    clock.at = local(2027, 3, 19, 15, 0)
    run_job("host_reminders", clock)
    assert len(messages()) == 4
    assert "2027年3月20日" in messages()[-1].body


def test_a_new_cohost_gets_reminders_and_a_removed_one_loses_the_pending_ones(world, clock):
    event = approved_event(world)
    run_job("host_reminders", clock)
    workflow.update_event(event, {"cohosts": []}, world["organizer"], now=clock.now())
    recipients = {r.recipient for r in reminder_rows(event) if r.state == ReminderState.PENDING}
    assert recipients == {"host@physics.example"}


def test_cancelling_drops_pending_reminders_and_tells_each_person_once(world, clock):
    event = approved_event(world)
    run_job("host_reminders", clock)
    workflow.cancel(event, world["editor"], "台风预警")
    assert [r.state for r in reminder_rows(event)] == [ReminderState.SENT] * 2
    told = sorted(m.recipient for m in messages("event_cancelled"))
    assert told == ["editor@physics.example", "host@physics.example", "office@gz-cast.example"]
    assert all("台风预警" in m.body for m in messages("event_cancelled"))
    clock.at = local(2027, 3, 9, 15, 0)
    run_job("host_reminders", clock)
    assert len(messages()) == 2


def test_reminders_exist_once_per_occurrence_offset_and_recipient(world, clock):
    event = approved_event(world)
    run_job("host_reminders", clock)
    row = reminder_rows(event)[0]
    db.session.add(
        Reminder(
            event_id=row.event_id,
            recurrence_id=row.recurrence_id,
            offset_minutes=row.offset_minutes,
            recipient=row.recipient,
            starts_at=row.starts_at,
            due_at=row.due_at,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_each_session_of_a_repeating_event_has_its_reminders_and_they_move_with_it(world, clock):
    event = approved_event(world, start=local(2027, 3, 4, 19, 0), rrule="FREQ=WEEKLY;COUNT=4")
    run_job("host_reminders", clock)  # sessions on Mar 4 and Mar 11 are within reach
    assert sorted({r.starts_at for r in reminder_rows(event)}) == [
        local(2027, 3, 4, 19, 0),
        local(2027, 3, 11, 19, 0),
    ]
    assert len(messages()) == 2  # the 1-day reminders of tonight's session
    workflow.update_event(
        event,
        {"start": "2027-03-05T19:00", "end": "2027-03-05T21:00"},
        world["organizer"],
        now=clock.now(),
    )
    pending = {r.starts_at for r in reminder_rows(event) if r.state == ReminderState.PENDING}
    assert pending == {local(2027, 3, 12, 19, 0)}
    clock.at = local(2027, 3, 4, 20, 0)  # the first session's reminders went out: not again
    run_job("host_reminders", clock)
    assert len(messages()) == 2
