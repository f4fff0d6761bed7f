"""Filing reminders, completion with the attendance request, the weekly quota digest and
the monthly dormant-society scan: each notice once per period and recipient."""

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.errors import BadInput
from scheduler.events import workflow
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from tests.conftest import sign_in
from tests.factories import local, make_event, make_series, make_society, make_user
from tests.jobs.helpers import run_job


def messages(kind: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_major_events_not_yet_approved_get_one_filing_reminder(world, clock):
    # Filing deadline (15 days before) is Mar 20, three days from "now" on Mar 17.
    clock.at = local(2027, 3, 17, 9, 0)
    draft = make_event(
        start=local(2027, 4, 4, 9, 0), host=world["host"], is_major=True, title="院士论坛"
    )
    make_event(start=local(2027, 4, 4, 9, 0), host=world["host"], is_major=True)  # approved
    make_event(
        start=local(2027, 4, 4, 9, 0), host=world["host"], status=EventStatus.DRAFT
    )  # not major
    draft.status = EventStatus.DRAFT
    db.session.commit()
    result = run_job("filing_reminders", clock)
    assert result.counts == {"events": 1, "notified": 4}
    sent = messages("filing_reminder")
    assert sorted(m.recipient for m in sent) == [
        "editor@physics.example",
        "en.organizer@cast.example",
        "host@physics.example",
        "organizer@cast.example",
    ]
    chinese = next(m for m in sent if m.recipient == "host@physics.example")
    assert chinese.subject == "重大活动备案提醒：院士论坛"
    assert "2027年3月20日" in chinese.body and "15" in chinese.body
    english = next(m for m in sent if m.locale == "en")
    assert english.subject == "Filing due: 院士论坛"
    assert run_job("filing_reminders", clock).counts == {"events": 1, "notified": 0}


def test_ended_events_are_completed_and_the_host_is_asked_for_attendance(world, clock, client):
    held = make_event(start=local(2027, 3, 3, 14, 0), host=world["host"], title="科普讲座")
    running = make_event(start=local(2027, 3, 4, 7, 30), host=world["host"])  # ends 9:30
    db.session.commit()
    assert run_job("complete_events", clock).counts == {"completed": 1}
    assert run_job("complete_events", clock).counts == {"completed": 0}
    db.session.rollback()
    assert held.status == EventStatus.COMPLETED and running.status == EventStatus.APPROVED
    audit = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_id == held.id, AuditEntry.action == "complete"
        )
    )
    assert audit is not None and audit.actor_id is None  # done by the system
    asked = messages("event_completed")
    assert sorted(m.recipient for m in asked) == ["editor@physics.example", "host@physics.example"]
    link = f"/portal/events/{held.id}/attendance"
    assert link in asked[0].body and "请填报" in asked[0].subject

    editor = make_user(Role.EDITOR, society=world["host"])
    db.session.commit()
    token = sign_in(client, editor.email)
    page = client.get(link)
    assert page.status_code == 200 and "实际参加人数" in page.get_data(as_text=True)
    refused = client.post(link, data={"actual_attendance": "-5", "csrf_token": token})
    assert refused.status_code == 400
    saved = client.post(link, data={"actual_attendance": "180", "csrf_token": token})
    assert saved.status_code == 302
    db.session.rollback()
    assert held.actual_attendance == 180


def test_other_societies_cannot_record_attendance(world, clock, client):
    event = make_event(start=local(2027, 3, 3, 14, 0), host=world["host"])
    stranger = make_user(Role.EDITOR, society=make_society())
    db.session.commit()
    run_job("complete_events", clock)
    token = sign_in(client, stranger.email)
    link = f"/portal/events/{event.id}/attendance"
    assert (
        client.post(link, data={"actual_attendance": "9", "csrf_token": token}).status_code == 403
    )


def test_the_weekly_digest_lists_series_behind_pace_once_a_week(world, clock):
    forum = make_series(name="岭南科学论坛", target_min=10, target_max=10)
    make_event(start=local(2027, 1, 20, 14, 0), host=world["host"], series=forum)
    db.session.commit()
    result = run_job("quota_digest", clock)
    assert result.counts == {"series_behind": 1, "notified": 2}
    digest = next(m for m in messages("quota_digest") if m.locale == "zh_CN")
    assert "岭南科学论坛" in digest.body and "还有 9 场尚未确定日期和承办单位" in digest.body
    assert "广州市科协" in digest.body  # a society that has not hosted it yet
    assert run_job("quota_digest", clock).counts["notified"] == 0  # same week: no repeat
    clock.advance(days=7)
    assert run_job("quota_digest", clock).counts["notified"] == 2
    assert run_job("quota_digest", clock, manual=True, run_id=99).counts["notified"] == 2


def test_the_monthly_scan_warns_dormant_societies_and_tells_organizers(world, clock):
    make_event(start=local(2027, 3, 20, 14, 0), host=world["host"])  # planned: not dormant
    make_event(start=local(2025, 6, 1, 14, 0), host=world["cohost"])  # long ago: dormant
    db.session.commit()
    result = run_job("dormant_scan", clock)
    assert result.counts == {"dormant": 1, "notified": 3}
    notice = messages("dormant_notice")
    assert [m.recipient for m in notice] == ["office@gz-cast.example"]
    assert "2025年6月1日" in notice[0].body
    summary = messages("dormant_summary")
    assert len(summary) == 2 and "广州市科协" in summary[0].body
    assert run_job("dormant_scan", clock).counts["notified"] == 0  # same month: no repeat


def test_completion_waits_for_the_end_and_checks_the_attendance_first(world, clock):
    future = make_event(start=local(2027, 3, 4, 14, 0), host=world["host"])
    past = make_event(start=local(2027, 3, 1, 14, 0), host=world["host"])
    db.session.commit()
    organizer, now = world["organizer"], clock.now()
    with pytest.raises(workflow.TransitionRefused):
        workflow.complete(future, organizer, now=now)
    with pytest.raises(BadInput):
        workflow.complete(past, organizer, actual_attendance="lots", now=now)
    assert past.status == EventStatus.APPROVED
    workflow.complete(past, organizer, actual_attendance="120", now=now)
    db.session.rollback()
    assert (past.status, past.actual_attendance) == (EventStatus.COMPLETED, 120)
