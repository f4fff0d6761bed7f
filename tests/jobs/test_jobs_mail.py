"""Mail delivery: the outbox without MAIL_SERVER; SMTP against a real server on localhost;
an unreachable server (back-off, nothing lost, the failure visible); refusals; claims left
behind by a scheduler that died."""

import sqlalchemy as sa
from flask import current_app

from scheduler.extensions import db
from scheduler.jobs import runs
from scheduler.jobs.models import JobRun, RunState
from scheduler.notifications import mailer
from scheduler.notifications.models import Delivery, OutboxMessage
from scheduler.notifications.service import queue_message
from tests.conftest import sign_in
from tests.factories import local, make_event, make_user
from tests.jobs.helpers import Inbox, count, free_port, run_job


def queue(*recipients: str) -> None:
    for email in recipients:
        queue_message("test", email, "zh_CN", f"通知 {email}", "正文：科普日活动安排")
    db.session.commit()


def rows() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def smtp(port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}


def test_without_a_mail_server_messages_are_delivered_to_the_outbox(app, clock):
    queue("a@example.org", "b@example.org")
    assert run_job("deliver_mail", clock).counts == {"to_outbox": 2}
    assert {(m.delivery, m.transport) for m in rows()} == {(Delivery.SENT, "outbox")}
    assert run_job("deliver_mail", clock).counts == {}


def test_smtp_gets_one_message_per_recipient_with_the_ics_and_a_stable_message_id(
    world, clock, inbox
):
    event = make_event(start=local(2027, 3, 10, 14, 30), host=world["host"], title="机器人赛")
    event.cohosts = [world["cohost"]]
    db.session.commit()
    run_job("host_reminders", clock)
    assert run_job("deliver_mail", clock, **smtp(inbox.port)).counts == {"delivered": 2}
    received = inbox.received()
    assert sorted(rcpts[0] for rcpts, _ in received) == [
        "host@physics.example",
        "office@gz-cast.example",
    ]
    assert all(len(rcpts) == 1 for rcpts, _ in received)  # no mass mail, no BCC
    _, message = received[0]
    assert message["Subject"] == "活动提醒：机器人赛"
    assert message.get_body(("plain",)).get_content().startswith("提醒：以下活动即将举行。")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"event-{event.id}.ics"
    assert "BEGIN:VEVENT" in attachment.get_content()
    keys = {f"<outbox-{m.message_key}@scheduler.local>" for m in rows()}
    assert set(inbox.message_ids()) == keys
    assert {(m.delivery, m.transport, m.attempts) for m in rows()} == {(Delivery.SENT, "smtp", 1)}


def test_an_unreachable_server_is_retried_with_back_off_and_nothing_is_lost(world, clock, client):
    port = free_port()  # nobody listens here yet
    queue("a@example.org", "b@example.org", "c@example.org")

    def deliver():
        return runs.record(
            "deliver_mail",
            lambda run_id: run_job("deliver_mail", clock, run_id=run_id, **smtp(port)),
            clock.now,
            "test-holder",
        )

    result = deliver()
    assert result.counts == {"retrying": 3} and "Connection refused" in result.errors[0]
    first = rows()
    assert {(m.delivery, m.attempts) for m in first} == {(Delivery.PENDING, 1)}
    assert {m.next_attempt_at for m in first} == {clock.now() + mailer.backoff(1, *backoffs())}

    clock.advance(seconds=30)  # too early: nothing is tried
    assert deliver().counts == {}
    clock.advance(seconds=31)
    assert deliver().counts == {"retrying": 3}
    assert {m.attempts for m in rows()} == {2}
    assert {m.next_attempt_at for m in rows()} == {clock.now() + mailer.backoff(2, *backoffs())}

    organizer = make_user(email="boss@cast.example")
    db.session.commit()
    sign_in(client, organizer.email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Connection refused" in page and "投递失败" in page and "c@example.org" in page
    last = db.session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()).limit(1))
    assert last.state == RunState.FAILED

    server = Inbox(port).start()  # the server is back
    try:
        clock.advance(minutes=5)
        assert deliver().counts == {"delivered": 3}
        assert sorted(server.recipients()) == ["a@example.org", "b@example.org", "c@example.org"]
    finally:
        server.stop()
    assert count(OutboxMessage, OutboxMessage.delivery == Delivery.SENT) == 3


def backoffs():
    settings = mailer.MailSettings.from_config(current_app.config)
    return settings.retry_base, settings.retry_max


def test_a_refused_recipient_is_kept_visible_and_not_retried(app, clock, inbox):
    inbox.refuse = {"nobody@example.org"}
    queue("nobody@example.org", "ok@example.org")
    counts = run_job("deliver_mail", clock, **smtp(inbox.port)).counts
    assert counts == {"delivered": 1, "refused": 1}
    refused, ok = rows()
    assert refused.delivery == Delivery.FAILED and "550" in refused.last_error
    assert ok.delivery == Delivery.SENT
    clock.advance(days=1)
    assert run_job("deliver_mail", clock, **smtp(inbox.port)).counts == {}


def test_claims_left_by_a_dead_scheduler_are_sent_by_the_next(app, clock, inbox):
    queue("a@example.org", "b@example.org")
    claimed = mailer.claim("dead-scheduler", clock.now(), 10)
    assert len(claimed) == 2
    db.session.execute(  # it died while handing the second one to the server
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == claimed[1].id)
        .values(delivery=Delivery.SENDING)
    )
    db.session.commit()
    assert run_job("deliver_mail", clock, **smtp(inbox.port)).counts == {"delivered": 2}
    assert [(m.delivery, m.possible_duplicate) for m in rows()] == [
        (Delivery.SENT, False),
        (Delivery.SENT, True),  # it may have reached the server before the crash
    ]
    assert len(inbox.received()) == 2
