"""The scheduler process: the lease, catch-up of missed runs, and crashes.

The crash tests start `flask --app scheduler jobs` as a real process on the test database,
kill it with SIGKILL at known points (an SMTP server that holds a message half-way, or a
failpoint, scheduler/jobs/failpoints.py) and start it again, counting what a real SMTP
server received.
Time is injected with JOBS_CLOCK_OFFSET_SECONDS: each restart moves the clock past the dead
scheduler's lease instead of waiting for it to expire.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.extensions import db
from scheduler.jobs import lease as leases
from scheduler.jobs.models import JobRun, Reminder, ReminderState, RunState, SchedulerLease
from scheduler.jobs.runner import JOBSTORE_TABLE, SchedulerProcess, execute
from scheduler.jobs.runs import next_run_times
from scheduler.jobs.settings import JobSettings
from scheduler.jobs.tasks import JOBS
from scheduler.notifications.models import Delivery, OutboxMessage
from tests.factories import local, make_event
from tests.jobs.helpers import NOW, count, fresh, wait_for
from tests.jobs.helpers import SchedulerProcess as Process

# A long module: -m "not slow" leaves it out.
pytestmark = pytest.mark.slow

TTL = timedelta(seconds=30)


def test_one_holder_at_a_time_and_a_takeover_after_expiry(app):
    t0 = NOW
    first = leases.try_acquire("first", t0, TTL)
    assert first is not None and first.epoch == 1
    assert leases.try_acquire("second", t0 + timedelta(seconds=10), TTL) is None
    first = leases.renew(first, t0 + timedelta(seconds=20), TTL)
    assert leases.try_acquire("second", t0 + timedelta(seconds=45), TTL) is None  # renewed
    second = leases.try_acquire("second", t0 + timedelta(seconds=51), TTL)  # first went silent
    assert second is not None and second.epoch == 2
    assert leases.renew(first, t0 + timedelta(seconds=52), TTL) is None  # first lost it
    leases.release(second, t0 + timedelta(seconds=60))
    assert leases.try_acquire("first", t0 + timedelta(seconds=61), TTL).epoch == 3


def test_missed_runs_are_caught_up_once_on_start(app, world):
    """The weekly digest was due three times while the scheduler was down: one run."""
    app.config.update(JOBS_HEARTBEAT_SECONDS=0.2, JOBS_LEASE_SECONDS=5, JOBS_POLL_SECONDS=60)
    settings = JobSettings.from_config(app.config)
    store, stopped = _store(), BackgroundScheduler(timezone=settings.timezone)
    store.start(stopped, "default")
    store.add_job(  # as a scheduler stopped three weeks ago left it
        Job(
            stopped,
            id="quota_digest",
            func=execute,
            args=["quota_digest"],
            kwargs={},
            trigger=JOBS["quota_digest"].trigger(settings),
            executor="default",
            name="quota_digest",
            misfire_grace_time=settings.misfire_grace,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC) - timedelta(days=21),
        )
    )

    process = SchedulerProcess(app)
    thread = threading.Thread(target=process.run, daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: count(JobRun, JobRun.job_id == "quota_digest", JobRun.state == RunState.OK),
            what="the digest's catch-up run",
        )
        next_run = wait_for(lambda: fresh(next_run_times).get("quota_digest"))
        assert next_run > datetime.now(UTC)  # the three missed runs are behind it
    finally:
        process.stop()
        thread.join(timeout=20)
    assert count(JobRun, JobRun.job_id == "quota_digest") == 1
    assert count(OutboxMessage, OutboxMessage.kind == "quota_digest") == 2  # two organizers
    assert not thread.is_alive()
    assert fresh(leases.current).expires_at <= datetime.now(UTC)  # released on stop


def _store():
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE)


# --- crashes of the real process ------------------------------------------------------------

EVENTS = 3  # each with a host and a co-host: six reminders


@pytest.fixture
def due_reminders(world):
    """Three events starting twelve hours after NOW: their 1-day reminders are due."""
    for n in range(EVENTS):
        event = make_event(start=local(2027, 3, 4, 20, n), host=world["host"], title=f"讲座{n}")
        event.cohosts = [world["cohost"]]
    db.session.commit()
    return 2 * EVENTS


class Drill:
    """Starts the scheduler again and again on one database, each time on a clock moved
    past the previous one's lease."""

    def __init__(self, database_url, tmp_path, inbox, lease_seconds=30):
        self.database_url, self.tmp_path, self.inbox = database_url, tmp_path, inbox
        self.offset = (NOW - datetime.now(UTC)).total_seconds()
        self.lease_seconds = lease_seconds
        self.started: list[Process] = []

    def start(self, failpoint: str = "", jump: bool = True) -> Process:
        if jump and self.started:
            self.offset += self.lease_seconds + 1
        process = Process(
            self.database_url,
            self.tmp_path,
            str(len(self.started)),
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=self.inbox.port,
            JOBS_CLOCK_OFFSET_SECONDS=self.offset,
            JOBS_FAILPOINT=failpoint,
            JOBS_REMINDER_SECONDS=1,
            JOBS_DELIVERY_SECONDS=1,
            JOBS_POLL_SECONDS=0.5,
            JOBS_LEASE_SECONDS=self.lease_seconds,
            JOBS_HEARTBEAT_SECONDS=0.5,
            JOBS_BATCH_SIZE=2,
        )
        self.started.append(process)
        return process

    def crash(self, failpoint: str) -> None:
        process = self.start(failpoint)
        assert process.died_of_sigkill(), process.output()

    def finish(self, expected: int) -> Process:
        """A clean run until everything is delivered, then SIGTERM."""
        process = self.start()
        wait_for(
            lambda: (
                count(Reminder, Reminder.state == ReminderState.PENDING) == 0
                and count(OutboxMessage, OutboxMessage.delivery != Delivery.SENT) == 0
                and len(self.inbox.received()) >= expected
            ),
            timeout=30,
            what="every reminder delivered:\n" + process.output()[-3000:],
        )
        assert process.stop() == 0, process.output()
        return process

    def cleanup(self) -> None:
        for process in self.started:
            process.ensure_dead()


@pytest.fixture
def drill(database_url, tmp_path, inbox):
    d = Drill(database_url, tmp_path, inbox)
    yield d
    d.cleanup()


def test_sigkill_in_the_middle_of_a_batch_still_delivers_every_reminder_exactly_once(
    due_reminders, drill, inbox
):
    # 1. before any claim: killed after the first two reminders went to the outbox
    drill.crash("reminders_queued:1")
    assert count(Reminder, Reminder.state == ReminderState.SENT) == 2
    # 2. after the claim, before the send: killed from outside while the SMTP server holds
    #    the second message of a batch at RCPT TO (the rest of the batch is claimed too)
    inbox.block_rcpt(inbox.rcpts + 2)
    blocked = drill.start()
    wait_for(inbox.blocked.is_set, what="a message held half-way:\n" + blocked.output())
    blocked.kill()
    inbox.release()
    # 3. after a send and its mark: killed right after one message was recorded as sent
    drill.crash("sent:1")
    # 4. a clean run finishes the work
    drill.finish(due_reminders)

    received = inbox.received()
    assert len(received) == due_reminders
    pairs = {(rcpts[0], message["Subject"]) for rcpts, message in received}
    assert len(pairs) == due_reminders  # every reminder once, to its one recipient
    keys = fresh(lambda: db.session.scalars(sa.select(OutboxMessage.message_key)).all())
    assert sorted(inbox.message_ids()) == sorted(f"<outbox-{k}@scheduler.local>" for k in keys)
    assert count(OutboxMessage, OutboxMessage.possible_duplicate.is_(True)) == 0
    assert count(JobRun, JobRun.state == RunState.INTERRUPTED) >= 1  # the killed runs


def test_a_crash_while_the_server_takes_a_message_resends_it_with_the_same_message_id(
    due_reminders, drill, inbox
):
    """The one window no client can close: the server accepted the message, the process
    died before recording it. It is sent again, with the same Message-ID, and flagged."""
    drill.crash("accepted:2")  # the server took the second message; nothing recorded it
    drill.finish(due_reminders + 1)

    ids = inbox.message_ids()
    assert len(ids) == due_reminders + 1 and len(set(ids)) == due_reminders
    (twice,) = {i for i in ids if ids.count(i) == 2}
    flagged = fresh(
        lambda: db.session.scalars(
            sa.select(OutboxMessage.message_key).where(OutboxMessage.possible_duplicate)
        ).all()
    )
    assert [f"<outbox-{k}@scheduler.local>" for k in flagged] == [twice]


def test_a_second_scheduler_waits_and_takes_over_when_the_first_dies(
    due_reminders, database_url, tmp_path, inbox
):
    drill = Drill(database_url, tmp_path, inbox, lease_seconds=4)
    try:
        first = drill.start()
        wait_for(lambda: _holder_pid() == first.pid, what="the first scheduler's lease")
        second = drill.start(jump=False)
        wait_for(lambda: "waiting:" in second.output(), what="the second one waiting")
        assert _holder_pid() == first.pid
        assert count(JobRun, JobRun.holder.contains(f":{second.pid}:")) == 0
        first.kill()
        wait_for(lambda: _holder_pid() == second.pid, what="the takeover")
        wait_for(lambda: count(JobRun, JobRun.holder.contains(f":{second.pid}:")))
        wait_for(lambda: len(inbox.received()) >= due_reminders, what="the reminders")
        assert second.stop() == 0
        assert len(inbox.received()) == due_reminders
    finally:
        drill.cleanup()


def _holder_pid() -> int | None:
    row = fresh(lambda: db.session.get(SchedulerLease, leases.NAME))
    return int(row.holder.split(":")[1]) if row else None
