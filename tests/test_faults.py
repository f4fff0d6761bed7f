"""Fault drills on PostgreSQL: a web worker killed in the middle of requests, PostgreSQL
restarted under load, and the scheduler delivering mail across a PostgreSQL restart.

Everything runs as real processes (gunicorn as the README deploys it, `flask --app scheduler
jobs`, an SMTP server on loopback) against a throw-away cluster of this module's own: the
session's shared cluster must not be restarted under the other tests. The app must recover by
itself: a dead worker is replaced by the gunicorn master, the connection pool drops dead
connections (pool_pre_ping), the database outage is a clean 503 with Retry-After, and the
scheduler keeps (or retakes) its lease and delivers every reminder exactly once.
"""

import os
import signal
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import Role, User
from scheduler.accounts.service import issue_token
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.jobs.models import Reminder, ReminderState
from scheduler.migrate import upgrade
from scheduler.notifications.models import Delivery, OutboxMessage
from tests.factories import local, make_event, make_society, make_venue
from tests.faults_helpers import (
    Gunicorn,
    HoldingInbox,
    Traffic,
    busy_worker,
    half_written_events,
    request,
)
from tests.jobs.helpers import NOW, SchedulerProcess, wait_for
from tests.pg import Cluster, PostgresUnavailable

pytestmark = pytest.mark.slow

WORKERS = 4
# After PostgreSQL is back, every request started later than this must succeed.
RECOVERY_SECONDS = 5.0


@pytest.fixture(scope="module")
def cluster():
    """A cluster of this module's own: the tests stop and start it."""
    cluster = Cluster()
    try:
        cluster.start()
    except PostgresUnavailable as exc:
        cluster.stop()
        pytest.fail(f"PostgreSQL could not start, so the fault drills cannot run: {exc}")
    yield cluster
    cluster.stop()


def _migrated(cluster: Cluster, name: str, seed) -> tuple[str, object]:
    url = cluster.create_database(name)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        try:
            upgrade()
            return url, seed()
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def site(cluster):
    """The web database, migrated, with a host society, three halls, an editor with an API
    token and one organizer (who gets one notice per submission)."""

    def seed():
        host = make_society(slug="faults-host", contact_email="host@faults.example")
        venues = [make_venue(slug=f"faults-hall-{n}", capacity=300) for n in range(3)]
        db.session.add_all(
            [
                User(email="editor@faults.example", role=Role.EDITOR, society=host,
                     password_hash="!"),
                User(email="organizer@faults.example", role=Role.ORGANIZER, password_hash="!"),
            ]
        )  # fmt: skip
        db.session.commit()
        return SimpleNamespace(
            token=issue_token("editor@faults.example", "faults"),
            host=host.slug,
            venues=[v.slug for v in venues],
        )

    url, seeded = _migrated(cluster, "faults_web", seed)
    seeded.url = url
    return seeded


@pytest.fixture(scope="module")
def web(site, tmp_path_factory):
    server = Gunicorn(site.url, tmp_path_factory.mktemp("gunicorn"), workers=WORKERS)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _traffic(web, site, **kw) -> Traffic:
    return Traffic(web.port, site.token, site.host, site.venues, **kw)


def _told_but_not_stored(url: str, created: dict[int, str]) -> list[str]:
    """What the client was told succeeded (201 created, 200 submitted) must be stored."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            stored = dict(conn.execute(sa.select(Event.id, Event.status)).all())
    finally:
        engine.dispose()
    problems = []
    for event_id, told in created.items():
        status = stored.get(event_id)
        status = getattr(status, "value", status)
        if status is None or (told == "submitted" and status != "submitted"):
            problems.append(f"event {event_id}: told {told}, stored {status}")
    return problems


def _summary(outcomes) -> str:
    lines = [
        f"{o.op} +{o.started:.2f}s {o.status} {o.error} {o.body[:200]}"
        for o in outcomes
        if not o.ok
    ]
    return "\n".join(lines[:40])


def test_a_worker_killed_mid_request_is_replaced_and_nothing_is_half_written(web, site):
    with _traffic(web, site) as traffic:
        wait_for(lambda: traffic.successes_after(0) >= 30, timeout=60, what="traffic going")
        workers = web.workers()
        assert len(workers) == WORKERS, web.output()
        victim = wait_for(
            lambda: busy_worker(workers, web.port), timeout=20, what="a worker mid-request"
        )
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        replaced = wait_for(
            lambda: (w := web.workers()) and len(w) == WORKERS and victim not in w,
            timeout=60,
            what="the master to replace the worker:\n" + web.output()[-2000:],
        )
        respawned_at = time.monotonic()
        wait_for(
            lambda: traffic.successes_after(respawned_at) >= 40,
            timeout=60,
            what="traffic after the respawn",
        )
    outcomes = traffic.snapshot()
    failed = [o for o in outcomes if not o.ok]

    print(
        f"worker kill: {len(failed)} request(s) cut, replaced in {respawned_at - killed_at:.2f}s, "
        f"{len(outcomes)} requests"
    )
    assert replaced and web.proc.poll() is None
    # Only the request in flight on the killed worker may fail, without an answer; no request
    # is ever answered with an error.
    assert all(o.status is None for o in failed), _summary(outcomes)
    assert len(failed) <= 1, _summary(outcomes)
    assert all(o.started <= killed_at for o in failed), _summary(outcomes)
    assert all(o.ok for o in outcomes if o.started >= killed_at), _summary(outcomes)
    assert sum(o.op == "submit" and o.ok for o in outcomes) >= 5
    assert _told_but_not_stored(site.url, traffic.created) == []
    assert half_written_events(site.url) == []


def test_a_postgresql_restart_under_load_is_a_clean_503_then_recovers_by_itself(web, site, cluster):
    probes: dict[str, tuple] = {}

    def while_down():
        down_at = time.monotonic()
        probes["healthz"] = request(web.port, "GET", "/healthz")
        probes["page"] = request(web.port, "GET", "/", token=site.token)  # a signed-in page
        probes["api"] = request(web.port, "GET", "/api/v1/events")
        wait_for(
            lambda: sum(o.status == 503 for o in traffic.snapshot() if o.started >= down_at) >= 12,
            timeout=20,
            what="traffic meeting the stopped database",
        )

    with _traffic(web, site) as traffic:
        wait_for(lambda: traffic.successes_after(0) >= 30, timeout=60, what="traffic going")
        down_at = time.monotonic()
        cluster.restart(while_down=while_down)
        up_at = time.monotonic()
        wait_for(
            lambda: traffic.successes_after(up_at + RECOVERY_SECONDS) >= 30,
            timeout=60,
            what="traffic after the restart:\n" + _summary(traffic.snapshot()),
        )
    outcomes = traffic.snapshot()

    # During the outage: a clean 503 that says when to come back, never a 500 or a dead worker.
    status, headers, body = probes["healthz"]
    assert status == 503 and '"database"' in body, body
    status, headers, body = probes["page"]
    assert status == 503 and "Retry-After" in headers, body[:500]
    status, headers, body = probes["api"]
    assert status == 503 and headers.get("Retry-After"), body[:500]
    assert '"database_unavailable"' in body, body
    assert all(o.status in (200, 201, 503) for o in outcomes), _summary(outcomes)
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable and all(o.started >= down_at - 1 for o in unavailable)
    assert all(o.retry_after for o in unavailable if o.op != "health"), _summary(outcomes)
    assert web.proc.poll() is None and len(web.workers()) == WORKERS

    # After it: gunicorn was not restarted, and every request succeeds within a few seconds.
    late = [o for o in outcomes if o.started >= up_at + RECOVERY_SECONDS and not o.ok]
    assert late == [], _summary(late)
    firsts = {
        op: min(o.ended for o in outcomes if o.op == op and o.ok and o.started >= up_at) - up_at
        for op in ("create", "submit", "list", "show", "health")
    }
    after = [o for o in outcomes if o.started >= up_at]
    print(
        f"PostgreSQL restart: {len(unavailable)} answers 503, "
        f"first success {min(o.ended for o in after if o.ok) - up_at:.2f}s after it was back, "
        f"{sum(not o.ok for o in after)} failure(s) after it; first success per request (s):",
        {k: round(v, 2) for k, v in firsts.items()},
    )
    assert max(firsts.values()) < RECOVERY_SECONDS, firsts
    assert _told_but_not_stored(site.url, traffic.created) == []
    assert half_written_events(site.url) == []


# --- the scheduler across a PostgreSQL restart ----------------------------------------------

EVENTS = 4  # each with a host and a co-host: eight reminders due
LEASE_SECONDS = 5


@pytest.fixture(scope="module")
def jobs_db(cluster):
    """A database of its own for the scheduler: approved events whose 1-day reminders are
    due at NOW (the scheduler's clock is moved there)."""

    def seed():
        host = make_society(slug="faults-physics", contact_email="host@physics.example")
        cohost = make_society(slug="faults-cast", contact_email="office@cast.example")
        for n in range(EVENTS):
            event = make_event(start=local(2027, 3, 4, 20, n), host=host, title=f"讲座{n}")
            event.cohosts = [cohost]
        db.session.commit()

    url, _ = _migrated(cluster, "faults_jobs", seed)
    return url


# Where the SMTP server holds a message while PostgreSQL restarts (see the phases below).
HOLDS = [("rcpt", 2), ("data", 4), ("rcpt", 6), ("data", 7)]


@pytest.fixture
def inbox():
    server = HoldingInbox(HOLDS).start()
    yield server
    server.stop()


class Database:
    """Counts in the scheduler's database, on a connection per question (it restarts)."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def scalar(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def count(self, model, *where) -> int:
        return self.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    def sent(self) -> int:
        return self.count(OutboxMessage, OutboxMessage.delivery == Delivery.SENT)


def test_the_scheduler_delivers_every_reminder_exactly_once_across_postgresql_restarts(
    cluster, jobs_db, inbox, tmp_path
):
    database = Database(jobs_db)
    process = SchedulerProcess(
        jobs_db,
        tmp_path,
        "faults",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=inbox.port,
        MAIL_RETRY_BASE_SECONDS=1,
        MAIL_RETRY_MAX_SECONDS=2,
        JOBS_CLOCK_OFFSET_SECONDS=(NOW - datetime.now(UTC)).total_seconds(),
        JOBS_REMINDER_SECONDS=1,
        JOBS_DELIVERY_SECONDS=1,
        JOBS_POLL_SECONDS=0.5,
        JOBS_LEASE_SECONDS=LEASE_SECONDS,
        JOBS_HEARTBEAT_SECONDS=0.5,
        JOBS_BATCH_SIZE=2,
    )
    recoveries: dict[str, float] = {}

    def seen(text: str) -> int:
        return process.output().count(text)

    def outage(name: str, step: str, n: int, *until: tuple[str, int]) -> None:
        """Wait for the SMTP server to hold the n-th message at ``step``, stop PostgreSQL, let
        the message go on, keep the database down until the scheduler has logged each
        (text, times) of ``until`` that many more times, in turn, then start it again and
        time the next delivery."""
        assert (step, n) in HOLDS
        wait_for(
            lambda: inbox.holding == (step, n) or process.proc.poll() is not None,
            timeout=60,
            what=f"message {n} held at {step}:\n" + process.output()[-3000:],
        )
        assert process.proc.poll() is None, process.output()
        sent_before = database.sent()

        def while_down():
            inbox.let_through()
            for text, times in until:
                wanted = seen(text) + times
                wait_for(
                    lambda t=text, w=wanted: seen(t) >= w or process.proc.poll() is not None,
                    timeout=30,
                    what=f"the scheduler to log {text!r}:\n" + process.output()[-3000:],
                )

        cluster.restart(while_down=while_down)
        up_at = time.monotonic()
        wait_for(
            lambda: process.proc.poll() is not None or database.sent() > sent_before,
            timeout=60,
            what=f"delivery after the {name} restart:\n" + process.output()[-3000:],
        )
        recoveries[name] = time.monotonic() - up_at
        assert process.proc.poll() is None, "the scheduler exited:\n" + process.output()

    try:
        # 1. the 2nd message is claimed and its RCPT TO accepted when the database goes away:
        #    the scheduler must mark it "sending" before its body goes out
        outage("claimed", "rcpt", 2, ("could not renew the lease", 2))
        # 2. the server has the 4th message's body and answers 250 while the database is away:
        #    the scheduler knows it was accepted and must record it, not send it again
        outage("accepted", "data", 4, ("could not renew the lease", 2))
        # 3. the database stays away longer than the lease while the 6th message is claimed,
        #    until the scheduler waits for it to take the lease back: it must not exit, must
        #    retake the lease and send what it had claimed, once
        outage("lease lost, claimed", "rcpt", 6, ("cannot reach the database for the lease", 2))
        # 4. the server answers 250 to the 7th message and the database stays away until the
        #    lease has run out, and a while longer: the scheduler must record the message once
        #    the database is back, not send it again
        outage(
            "lease lost, accepted",
            "data",
            7,
            ("lost the scheduler lease", 1),
            ("cannot reach the database to record a delivery", 2),
        )

        expected = 2 * EVENTS
        wait_for(
            lambda: (
                database.count(Reminder, Reminder.state == ReminderState.PENDING) == 0
                and database.count(OutboxMessage, OutboxMessage.delivery != Delivery.SENT) == 0
                and len(inbox.received()) >= expected
            ),
            timeout=60,
            what="every reminder delivered:\n" + process.output()[-3000:],
        )
        assert process.proc.poll() is None, process.output()
        assert process.stop() == 0, process.output()
    finally:
        process.ensure_dead()
        database.engine.dispose()
    print(
        "delivery after PostgreSQL came back (s):", {k: round(v, 2) for k, v in recoveries.items()}
    )

    ids = inbox.message_ids()
    assert len(ids) == expected and len(set(ids)) == expected, sorted(ids)  # exactly once
    with database.engine.connect() as conn:
        keys = conn.execute(sa.select(OutboxMessage.message_key)).scalars().all()
        flagged = conn.execute(
            sa.select(sa.func.count()).where(OutboxMessage.possible_duplicate)
        ).scalar()
    assert sorted(ids) == sorted(f"<outbox-{k}@scheduler.local>" for k in keys)
    assert flagged == 0
    assert database.count(OutboxMessage, OutboxMessage.delivery == Delivery.SENT) == expected
