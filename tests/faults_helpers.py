"""Helpers for the fault drills (tests/test_faults.py): gunicorn as a real process, its
workers, bounded API traffic that records every outcome, an SMTP server that can hold a
message half-way without refusing it, and the check that no event is half-written."""

import asyncio
import http.client
import itertools
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from scheduler import create_app
from scheduler.accounts.models import Role, User
from scheduler.audit.models import AuditEntry
from scheduler.enums import SLOT_HOLDING_STATUSES, EventStatus
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from scheduler.recurrence import expand
from scheduler.timeutil import local_zone
from tests.jobs.helpers import ROOT, Inbox, free_port, wait_for

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


# --- gunicorn ------------------------------------------------------------------------------


class Gunicorn:
    """`gunicorn -w N 'scheduler:create_app()'` on loopback, as the README deploys it."""

    def __init__(self, database_url: str, tmp_path: Path, workers: int = 4):
        self.port = free_port()
        self.workers_wanted = workers
        self.log = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SCHEDULER_CONFIG": "production",
            "SCHEDULER_INSTANCE": str(tmp_path / "instance"),
            "SECRET_KEY": "faults-secret-key",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "FEED_VERSION_FILE": str(tmp_path / "feed-version"),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    str(GUNICORN),
                    "-w",
                    str(workers),
                    "--timeout",
                    "120",
                    "--graceful-timeout",
                    "3",
                    "--no-control-socket",  # its default path is shared by every gunicorn
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "scheduler:create_app()",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> list[int]:
        """The master's children: its workers."""
        pids: list[int] = []
        task_dir = Path(f"/proc/{self.proc.pid}/task")
        for task in task_dir.iterdir() if task_dir.exists() else []:
            children = (task / "children").read_text().split()
            pids.extend(int(p) for p in children)
        return sorted(pids)

    def wait_ready(self, timeout: float = 90) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("gunicorn exited:\n" + self.output()[-3000:])
            if len(self.workers()) != self.workers_wanted:
                return False
            try:
                return request(self.port, "GET", "/healthz", timeout=5)[0] == 200
            except OSError:
                return False

        wait_for(ready, timeout=timeout, what="gunicorn and its workers:\n" + self.output())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in self.workers():  # none should be left; never leave one behind
            os.kill(pid, signal.SIGKILL)


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections whose local port is ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    inodes.add(fields[9])
    return inodes


def busy_worker(pids: list[int], port: int) -> int | None:
    """A worker that holds a client connection right now: it is in the middle of a request."""
    inodes = _established_inodes(port)
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            return pid
    return None


# --- HTTP traffic ----------------------------------------------------------------------------


def request(port: int, method: str, path: str, body=None, token: str = "", timeout: float = 15):
    """One request on a new connection: (status, headers, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept-Language": "en"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return (
            response.status,
            dict(response.getheaders()),
            response.read().decode(errors="replace"),
        )
    finally:
        conn.close()


@dataclass
class Outcome:
    op: str
    started: float  # time.monotonic()
    ended: float
    status: int | None  # None: no HTTP answer at all (the connection broke)
    error: str = ""
    retry_after: str | None = None
    body: str = ""  # the start of an unsuccessful answer
    payload: str = field(default="", repr=False)  # a successful answer

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# Every created event gets its own time: three venues take turns, three hours apart, so no
# two events ever meet in a venue (a submission never gets a 409), and every third event
# repeats yearly (two or three occurrences) to exercise the materialized occurrences.
_slots = itertools.count()
_slots_lock = threading.Lock()
FIRST_START = datetime(2028, 1, 3, 8, 0)  # local time


def event_body(host: str, venues: list[str]) -> dict:
    with _slots_lock:
        n = next(_slots)
    start = FIRST_START + timedelta(hours=3 * n)
    body = {
        "title": f"故障演练讲座 {n}",
        "kind": "lecture",
        "host": host,
        "venue": venues[n % len(venues)],
        "start": start.isoformat(timespec="minutes"),
        "end": (start + timedelta(hours=2)).isoformat(timespec="minutes"),
        "expected_attendance": 50,
    }
    if n % 3:
        body["rrule"] = f"FREQ=YEARLY;COUNT={1 + n % 3}"
    return body


class Traffic:
    """API traffic from a few threads until stopped, bounded in requests, events and time:
    each round creates a draft, submits it, lists events, reads the event and /healthz.
    Every request's outcome is recorded with its start and end."""

    def __init__(
        self,
        port: int,
        token: str,
        host: str,
        venues: list[str],
        threads: int = 4,
        max_requests: int = 1500,
        max_events: int = 150,
        max_seconds: float = 90,
    ):
        self.port, self.token, self.host, self.venues = port, token, host, venues
        self.max_requests, self.max_events = max_requests, max_events
        self.deadline = time.monotonic() + max_seconds
        self.outcomes: list[Outcome] = []
        self.created: dict[int, str] = {}  # event id -> status the client was told
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.events_made = 0
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "traffic threads did not stop"

    def _running(self) -> bool:
        return (
            not self.stopping.is_set()
            and time.monotonic() < self.deadline
            and len(self.outcomes) < self.max_requests
        )

    def _call(self, op: str, method: str, path: str, body=None) -> Outcome:
        started = time.monotonic()
        try:
            status, headers, text = request(self.port, method, path, body, self.token)
            outcome = Outcome(
                op,
                started,
                time.monotonic(),
                status,
                retry_after=headers.get("Retry-After"),
                body="" if 200 <= status < 300 else text[:500],
                payload=text if 200 <= status < 300 else "",
            )
        except (OSError, http.client.HTTPException) as exc:
            outcome = Outcome(op, started, time.monotonic(), None, f"{type(exc).__name__}: {exc}")
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def _take_event_slot(self) -> bool:
        with self.lock:
            if self.events_made >= self.max_events:
                return False
            self.events_made += 1
            return True

    def _loop(self) -> None:
        while self._running():
            event_id = None
            if self._take_event_slot():
                made = self._call(
                    "create", "POST", "/api/v1/events", event_body(self.host, self.venues)
                )
                if made.status == 201:
                    event_id = json.loads(made.payload)["id"]
                    with self.lock:
                        self.created[event_id] = "draft"
            if event_id is not None and self._running():
                sent = self._call("submit", "POST", f"/api/v1/events/{event_id}/submit", {})
                if sent.status == 200:
                    with self.lock:
                        self.created[event_id] = "submitted"
            if self._running():
                self._call("list", "GET", "/api/v1/events?status=submitted&per_page=20")
            if event_id is not None and self._running():
                self._call("show", "GET", f"/api/v1/events/{event_id}")
            if self._running():
                self._call("health", "GET", "/healthz")

    def snapshot(self) -> list[Outcome]:
        with self.lock:
            return list(self.outcomes)

    def successes_after(self, moment: float) -> int:
        return sum(1 for o in self.snapshot() if o.ok and o.started >= moment)


# --- SMTP ----------------------------------------------------------------------------------


class HoldingInbox(Inbox):
    """The jobs tests' SMTP server, plus holds that *accept* once let through: at ("rcpt", n)
    the n-th RCPT TO waits (the message is claimed, its body not sent); at ("data", n) the
    n-th message waits after its body arrived, before the 250 (the server has it, the
    scheduler has not recorded it). The holds are set up front: messages go one at a time,
    so each is reached in turn whatever the test is doing meanwhile."""

    def __init__(self, holds: list[tuple[str, int]]):
        super().__init__()
        self.datas = 0
        self.holds = set(holds)
        self.holding: tuple[str, int] | None = None
        self.let_go = threading.Event()

    def let_through(self) -> None:
        self.let_go.set()

    def stop(self) -> None:
        self.holds.clear()
        self.let_go.set()
        super().stop()

    async def _maybe_hold(self, step: str, n: int) -> None:
        if (step, n) not in self.holds:
            return
        self.let_go.clear()
        self.holding = (step, n)
        for _ in range(6000):  # at most a minute
            if self.let_go.is_set():
                break
            await asyncio.sleep(0.01)
        self.holding = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts += 1
            n = self.rcpts
        await self._maybe_hold("rcpt", n)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.datas += 1
            n = self.datas
        await self._maybe_hold("data", n)
        return await super().handle_DATA(server, session, envelope)


# --- no half-written event -------------------------------------------------------------------


def half_written_events(database_url: str) -> list[str]:
    """Every way the database could show a half-written event, as readable lines (empty when
    all is whole). An event is whole when:

    - its occurrence rows are exactly the expansion of its start, end, rule, exception dates
      and moved occurrences (``recurrence.expand``, as ``sync_occurrences`` writes them), and
      each carries the event's host and venue, ``holds_slot`` as its status says and
      ``cancelled`` only when it is cancelled;
    - its audit trail has its ``create`` entry, and a ``submit`` entry when it is submitted;
    - a submitted event has its submission time and exactly one "submitted" notice per
      organizer in the outbox (written in the same transaction);
    - no occurrence, audit entry or notice points at an event that does not exist.
    """
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    problems: list[str] = []
    with app.app_context():
        try:
            _check_events(app, problems)
        finally:
            db.session.remove()
            db.engine.dispose()
    return problems


def _check_events(app, problems: list[str]) -> None:
    tz, limit = local_zone(), app.config["RECURRENCE_MAX_OCCURRENCES"]
    events = db.session.scalars(
        sa.select(Event).options(selectinload(Event.occurrences), selectinload(Event.venue))
    ).all()
    ids = {e.id for e in events}
    audit = Counter(
        db.session.execute(
            sa.select(AuditEntry.entity_id, AuditEntry.action).where(
                AuditEntry.entity_type == "event"
            )
        ).all()
    )
    notices = Counter(
        db.session.scalars(
            sa.select(OutboxMessage.event_id).where(OutboxMessage.kind == "event_submitted")
        )
    )
    organizers = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ORGANIZER)
    )
    for e in events:
        slots = expand(
            e.start_at,
            e.end_at,
            e.rrule,
            e.exdates,
            tz,
            all_day=e.all_day,
            max_count=limit,
            overrides=e.overrides,
        )
        want = sorted((s.recurrence_id, s.start, s.end) for s in slots)
        have = sorted((o.recurrence_id, o.start_at, o.end_at) for o in e.occurrences)
        if want != have:
            problems.append(f"event {e.id}: {len(have)} occurrence(s), its rule gives {len(want)}")
        holds = e.status in SLOT_HOLDING_STATUSES
        venue_id = e.venue_id if e.venue is not None and not e.venue.is_online else None
        for o in e.occurrences:
            if (o.holds_slot, o.cancelled, o.host_id, o.venue_id) != (
                holds,
                e.status == EventStatus.CANCELLED,
                e.host_id,
                venue_id,
            ):
                problems.append(f"event {e.id} ({e.status.value}): occurrence {o.id} disagrees")
        if audit[(e.id, "create")] != 1:
            problems.append(f"event {e.id}: {audit[(e.id, 'create')]} create audit entries")
        if e.status == EventStatus.SUBMITTED:
            if audit[(e.id, "submit")] != 1 or e.submitted_at is None:
                problems.append(f"event {e.id}: submitted without its submit audit entry")
            if notices[e.id] != organizers:
                problems.append(f"event {e.id}: {notices[e.id]} submission notice(s)")
        elif audit[(e.id, "submit")] or notices[e.id]:
            problems.append(f"event {e.id} ({e.status.value}) has a submission trail")
    orphans = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Occurrence)
        .outerjoin(Event, Event.id == Occurrence.event_id)
        .where(Event.id.is_(None))
    )
    if orphans:
        problems.append(f"{orphans} occurrence(s) without an event")
    lost = {i for (i, _action) in audit if i not in ids}
    if lost:
        problems.append(f"audit entries for events that do not exist: {sorted(lost)[:10]}")
    stray = {i for i in notices if i is not None and i not in ids}
    if stray:
        problems.append(f"notices for events that do not exist: {sorted(stray)[:10]}")
