"""The race matrix: every pair of changes that can start from one state, sent at the same
instant (a barrier) through a real multi-process server — gunicorn with four workers, on
PostgreSQL and on SQLite — racing on one event, on one venue or speaker slot and on one
plan; then the invariants of tests/events/invariants.py.

A race passes when every answer is 200 or 409 and the result is what the two changes made
one after the other would give: the status, one audit entry per 200, one set of notices
per accepted transition. RACE_ROUNDS (default 1) sets the rounds per pair.
"""

import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.database import serialized_writes
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.notifications.service import organizers, society_people
from scheduler.planner.models import HostApplication, Plan, PlanSession, PlanStatus, SolverStatus
from scheduler.types import utcnow
from tests.conftest import CSRF_META, bearer
from tests.events.invariants import audit_count, broken_invariants, notice_count
from tests.factories import (
    SHANGHAI,
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # left out by -m "not slow"
ROUNDS = int(os.environ.get("RACE_ROUNDS", "1"))
WORKERS = 4
RACES_AT_ONCE = 2  # two pairs (four requests) at a time: one request per worker
S = EventStatus
EDITABLE = {S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.WITHDRAWN, S.APPROVED}
# action: (statuses it may start from, status it leads to; None: an edit keeps the status)
TABLE = {
    "submit": ({S.DRAFT, S.CHANGES_REQUESTED, S.WITHDRAWN}, S.SUBMITTED),
    "withdraw": ({S.SUBMITTED, S.CHANGES_REQUESTED}, S.WITHDRAWN),
    "approve": ({S.SUBMITTED}, S.APPROVED),
    "reject": ({S.SUBMITTED}, S.REJECTED),
    "request_changes": ({S.SUBMITTED}, S.CHANGES_REQUESTED),
    "cancel": ({S.APPROVED}, S.CANCELLED),
    "patch": (EDITABLE, None),
    "move": (EDITABLE, None),
    "occurrence_cancel": (EDITABLE, None),
}
STARTS = (S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED)
PAIRS = [
    (start, a, b)
    for start in STARTS
    for a, b in itertools.combinations_with_replacement(
        [name for name, (sources, _) in TABLE.items() if start in sources], 2
    )
]


# --- the server -----------------------------------------------------------------------------


@dataclass
class Served:
    backend: str
    url: str
    base: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(url: str, tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    """deploy/gunicorn.conf.py with four sync workers, the production configuration."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "JOBS_"))}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(16),
        SCHEDULER_CONFIG="production",
        SCHEDULER_INSTANCE=str(tmp / "instance"),
        FEED_VERSION_FILE=str(tmp / "feed-version"),
        PUBLIC_BASE_URL=base,
        WEB_WORKERS=str(WORKERS),
        WEB_MAX_REQUESTS="0",  # no recycling in the middle of a race
        SPEAKER_CREATE_LIMIT=f"{SPEAKER_LIMIT} per hour",
        CALENDAR_SYNC_ALLOW_PRIVATE="true",  # the societies' calendars are on this machine
        BIND=f"127.0.0.1:{port}",
    )
    log = tmp / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, base, log


def _wait_ready(process: subprocess.Popen, base: str, log: Path, timeout: float = 90) -> None:
    """Every worker booted, and four requests at once all answered by the app."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        if log.read_text(errors="replace").count("Booting worker") >= WORKERS:
            try:
                answers = _at_once([("GET", base + "/healthz", None, None)] * WORKERS)
            except requests.RequestException:
                answers = []
            if answers and all(r.json().get("database") == "ok" for r in answers):
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"races-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'races.db'}"
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    else:
        url = request.getfixturevalue("pg_schema")
    process, base, log = _start_gunicorn(url, tmp)
    try:
        _wait_ready(process, base, log)
        yield Served(request.param, url, base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def world(served, tmp_path):
    """This test's app context on the served database, emptied first."""
    app = create_app(
        "test", SQLALCHEMY_DATABASE_URI=served.url, FEED_VERSION_FILE=str(tmp_path / "fv")
    )
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            if served.backend == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
        organizer = make_user(Role.ORGANIZER)
        host = make_society(slug="race-host", contact_email="office@race-host.example")
        editor = make_user(Role.EDITOR, society=host)
        yield World(served, bearer(organizer, commit=False), bearer(editor, commit=False), host)
        db.session.remove()
        db.engine.dispose()


@dataclass
class World:
    served: Served
    organizer: dict
    editor: dict
    host: object
    failures: list = field(default_factory=list)
    races: int = 0
    errors_5xx: int = 0


def _at_once(specs: list) -> list[requests.Response]:
    """Send the requests (method, url, headers, json) together, released by one barrier."""
    barrier = threading.Barrier(len(specs))

    def send(spec):
        method, url, headers, body = spec
        barrier.wait()
        return requests.request(method, url, headers=headers, json=body, timeout=120)

    with ThreadPoolExecutor(len(specs)) as pool:
        return list(pool.map(send, specs))


def _race_all(world: World, races: list) -> list[list[requests.Response]]:
    """Each race is a list of (method, path, headers, json); RACES_AT_ONCE run together."""
    answers = []
    for n in range(0, len(races), RACES_AT_ONCE):
        group = races[n : n + RACES_AT_ONCE]
        flat = [(m, world.served.base + p, h, b) for race in group for (m, p, h, b) in race]
        responses = iter(_at_once(flat))
        answers.extend([next(responses) for _ in race] for race in group)
    world.races += len(races)
    for pair in answers:
        world.errors_5xx += sum(r.status_code >= 500 for r in pair)
    return answers


def _report(world: World, name: str) -> None:
    print(
        f"\n{world.served.backend} {name}: {world.races} races, {len(world.failures)} failed, "
        f"{world.errors_5xx} answers 5xx"
    )
    assert not world.failures, "\n".join(world.failures[:20])
    assert world.errors_5xx == 0


# --- one event, two changes -----------------------------------------------------------------

WEEK = timedelta(days=7)


def _request(world: World, action: str, event: Event, n: int) -> tuple:
    """The HTTP request for ``action`` on ``event``: host-side changes by the host's editor,
    decisions and edits by an organizer."""
    second = (event.start_at + WEEK).astimezone(SHANGHAI)
    key, third = _keys(event)
    path = f"/api/v1/events/{event.id}"
    org, editor = world.organizer, world.editor
    return {
        "submit": ("POST", f"{path}/submit", editor, {}),
        "withdraw": ("POST", f"{path}/withdraw", editor, {"reason": "日程调整"}),
        "approve": ("POST", f"{path}/approve", org, {}),
        "reject": ("POST", f"{path}/reject", org, {"reason": "材料不全"}),
        "request_changes": ("POST", f"{path}/request-changes", org, {"reason": "请补充议程"}),
        "cancel": ("POST", f"{path}/cancel", editor, {"reason": "主讲人抱恙"}),
        "patch": ("PATCH", path, org, {"title": f"昆明高原生态讲座 第{n}版"}),
        "move": (
            "PATCH",
            f"{path}/occurrences/{key}",
            org,
            {
                "start": (second + timedelta(hours=n % 3 + 1)).strftime("%Y-%m-%dT%H:%M"),
                "end": (second + timedelta(hours=n % 3 + 2)).strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        "occurrence_cancel": (
            "PATCH",
            f"{path}/occurrences/{third}",
            org,
            {"cancelled": True},
        ),
    }[action]


def _keys(event: Event) -> tuple[str, str]:
    """The local starts of the second and third weekly occurrence (moved, cancelled)."""
    starts = [(event.start_at + n * WEEK).astimezone(SHANGHAI) for n in (1, 2)]
    return starts[0].strftime("%Y-%m-%dT%H:%M"), starts[1].strftime("%Y-%m-%dT%H:%M")


def _edits_lost(event: Event, actions, ok) -> list[str]:
    """Edits answered 200 whose effect is not in the event (a lost update)."""
    moved, cancelled = _keys(event)
    kept = {
        "patch": event.title.startswith("昆明高原生态讲座"),
        "move": moved in (event.overrides or {}),
        "occurrence_cancel": cancelled in (event.exdates or []),
    }
    return [
        f"{a} answered 200 but was lost"
        for a, good in zip(actions, ok)
        if good and not kept.get(a, True)
    ]


def serial_outcomes(start: EventStatus, actions: tuple[str, str]) -> set:
    """(which requests succeed, final status) for both orders of the two changes."""
    outcomes = set()
    for order in ((0, 1), (1, 0)):
        status, ok = start, [False, False]
        for i in order:
            sources, target = TABLE[actions[i]]
            if status in sources:
                ok[i] = True
                status = target or status
        outcomes.add((tuple(ok), status))
    return outcomes


NOTICE = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
    "cancel": "cancelled",
}


def _check_pair(world: World, label: str, event_id: int, start, actions, pair) -> None:
    codes = [r.status_code for r in pair]
    event = db.session.get(Event, event_id)
    ok = tuple(code == 200 for code in codes)
    wrong = []
    if set(codes) - {200, 409}:
        wrong.append(f"answers {codes}: {[r.text[:200] for r in pair if r.status_code != 200]}")
    elif (ok, event.status) not in serial_outcomes(start, actions):
        wrong.append(f"answers {codes} but the event is {event.status.value}")
    wrong += _edits_lost(event, actions, ok)
    if audit_count("event", event_id) != sum(ok):
        wrong.append(f"{audit_count('event', event_id)} audit entries for {sum(ok)} changes")
    for kind in {NOTICE[a] for a in actions if a in NOTICE}:
        per_change = len(
            organizers() if kind in ("submitted", "withdrawn") else society_people(event.host)
        )
        done = sum(1 for a, good in zip(actions, ok) if good and NOTICE.get(a) == kind)
        if notice_count(event_id, kind) != done * per_change:
            wrong.append(f"{notice_count(event_id, kind)} {kind} notices for {done} changes")
    if wrong:
        world.failures.append(f"{label}: {'; '.join(wrong)}")


def test_every_pair_of_changes_racing_on_one_event(world):
    races, cases = [], []
    for n, (start, a, b) in enumerate(PAIRS * ROUNDS):
        venue = make_venue(slug=f"hall-{n}", city="昆明", capacity=300)
        event = make_event(
            start=local(2031, 1, 6, 9) + timedelta(days=15 * n),
            host=world.host,
            venue=venue,
            status=start,
            rrule="FREQ=WEEKLY;COUNT=3",
            submitted_at=utcnow() if start != S.DRAFT else None,
        )
        races.append([_request(world, a, event, 1), _request(world, b, event, 2)])
        cases.append(
            (f"{start.value}: {a} × {b} (round {n // len(PAIRS) + 1})", event.id, start, (a, b))
        )
    db.session.commit()

    for (label, event_id, start, actions), pair in zip(cases, _race_all(world, races)):
        _check_pair(world, label, event_id, start, actions, pair)
    broken = broken_invariants()
    if broken:
        world.failures.append(f"invariants: {broken}")
    _report(world, "one event")


# --- two events, one slot -------------------------------------------------------------------


def _slot_races(world: World, n: int) -> list[tuple[str, list, bool]]:
    """(name, requests, exactly one must win) for round ``n``: two events of different
    societies want one hall at one time, or one speaker."""
    day = local(2033, 3, 1, 14) + timedelta(days=10 * n)
    other = make_society(slug=f"rival-{n}", city="兰州")
    hall = make_venue(slug=f"slot-hall-{n}", city="兰州", buffer_minutes=20)
    aside = make_venue(slug=f"aside-{n}", city="兰州")
    aside2 = make_venue(slug=f"aside2-{n}", city="兰州")
    expert = make_person(slug=f"expert-{n}", name=f"欧阳院士{n}")
    ev = {"host": world.host, "start": day}
    mine_hall = make_event(status=S.DRAFT, venue=hall, **ev)
    theirs_hall = make_event(
        status=S.DRAFT, venue=hall, host=other, start=day + timedelta(minutes=30)
    )
    mine_talk = make_event(
        status=S.DRAFT, venue=aside, speakers=[expert], **{**ev, "start": day + 2 * WEEK}
    )
    theirs_talk = make_event(
        status=S.DRAFT, venue=aside2, host=other, speakers=[expert], start=day + 2 * WEEK
    )
    # An approved event holds the hall; a submitted one elsewhere is moved into it.
    holder = make_event(status=S.APPROVED, venue=hall, host=other, start=day - 4 * WEEK)
    waiting = make_event(status=S.DRAFT, venue=hall, **{**ev, "start": day - 4 * WEEK})
    mover = make_event(status=S.SUBMITTED, venue=aside, host=other, start=day - 2 * WEEK,
                       submitted_at=utcnow())  # fmt: skip
    wanting = make_event(
        status=S.DRAFT, venue=hall, **{**ev, "start": day - 2 * WEEK + timedelta(hours=3)}
    )
    speaker_less = make_event(status=S.SUBMITTED, venue=aside2, host=other,
                              start=day + 4 * WEEK, submitted_at=utcnow())  # fmt: skip
    speaking = make_event(
        status=S.DRAFT, venue=aside, speakers=[expert], **{**ev, "start": day + 4 * WEEK}
    )
    org, editor = world.organizer, world.editor
    api = "/api/v1/events"
    to_hall = {
        "venue": hall.slug,
        "start": (day - 2 * WEEK + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "end": (day - 2 * WEEK + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    }

    def post(event, action, who, body=None):
        return ("POST", f"{api}/{event.id}/{action}", who, body or {})

    return [
        ("one hall: submit × submit",
         [post(mine_hall, "submit", editor), post(theirs_hall, "submit", org)], True),
        ("one speaker: submit × submit",
         [post(mine_talk, "submit", editor), post(theirs_talk, "submit", org)], True),
        ("the holder cancels × another submits",
         [post(holder, "cancel", org, {"reason": "场馆检修"}), post(waiting, "submit", editor)],
         False),
        ("a submitted event moves into the hall × another submits",
         [("PATCH", f"{api}/{mover.id}", org, to_hall), post(wanting, "submit", editor)], True),
        ("a submitted event gains the speaker × another submits",
         [("PATCH", f"{api}/{speaker_less.id}", org, {"speakers": [expert.slug]}),
          post(speaking, "submit", editor)], True),
    ]  # fmt: skip


def test_two_events_racing_for_one_venue_or_speaker_slot(world):
    names, races, exclusive = [], [], []
    for n in range(ROUNDS * 2):
        for name, pair, one_wins in _slot_races(world, n):
            names.append(f"{name} (round {n + 1})")
            races.append(pair)
            exclusive.append(one_wins)
    db.session.commit()
    for name, pair, one_wins in zip(names, _race_all(world, races), exclusive):
        codes = sorted(r.status_code for r in pair)
        if set(codes) - {200, 409} or (one_wins and codes != [200, 409]):
            world.failures.append(f"{name}: answers {codes} {[r.text[:160] for r in pair]}")
    broken = broken_invariants()
    if broken:
        world.failures.append(f"invariants: {broken}")
    _report(world, "one slot")


# --- plans ----------------------------------------------------------------------------------


def _plan(series, year: int, starts: list, venue, host) -> Plan:
    plan = Plan(
        year=year,
        series_slugs=[series.slug],
        status=PlanStatus.DRAFT,
        time_limit=5,
        solver_status=SolverStatus.OPTIMAL,
        conflicts=[],
        created_at=utcnow(),
    )
    for position, start in enumerate(starts, 1):
        plan.sessions.append(
            PlanSession(
                series_id=series.id,
                position=position,
                start_at=start,
                end_at=start + timedelta(hours=2),
                venue_id=venue.id,
                host_id=host.id,
            )
        )
    db.session.add(plan)
    db.session.flush()
    return plan


def _accepted(plan: Plan, by_headers: dict, base: str) -> None:
    """Accept through the server a plan made just now (not stale for those before it)."""
    url = f"{base}/api/v1/plans/{plan.id}/accept"
    with serialized_writes():  # SQLite: a read, the server's write, then ours would fail
        plan.created_at = utcnow()
        db.session.commit()
    answer = requests.post(url, headers=by_headers, timeout=60)
    assert answer.status_code == 200, answer.text


def test_plans_racing_with_plans_and_with_changes_of_their_events(world):
    base, org = world.served.base, world.organizer
    cases = []  # (name, requests, exactly one wins, plan ids to check)
    for n in range(ROUNDS * 2):
        year = 2035 + n
        series = make_series(slug=f"lecture-hall-{n}", name=f"黄河科学讲堂{n}", max_per_host=9)
        contested = make_series(slug=f"salon-{n}", name=f"中原青年沙龙{n}", max_per_host=9)
        hall = make_venue(slug=f"plan-hall-{n}", city="郑州")
        starts = [local(year, m, 10, 19) for m in (3, 6, 9)]
        twice = _plan(make_series(max_per_host=9), year, starts, hall, world.host)
        rival_a = _plan(contested, year, [local(year, 4, 8, 19)], hall, world.host)
        rival_b = _plan(contested, year, [local(year, 5, 8, 19)], hall, world.host)
        done = _plan(series, year, [local(year, 10, 8, 19)], hall, world.host)
        done2 = _plan(series, year, [local(year, 11, 8, 19)], hall, world.host)
        done3 = _plan(series, year, [local(year, 12, 8, 19)], hall, world.host)
        for plan in (done, done2, done3):
            _accepted(plan, org, base)
        db.session.commit()  # a fresh snapshot
        first2 = db.session.get(Event, done2.sessions[0].event_id)
        first3 = db.session.get(Event, done3.sessions[0].event_id)
        p = "/api/v1/plans"
        cases += [
            ("accept × accept one plan", [("POST", f"{p}/{twice.id}/accept", org, None)] * 2,
             True, [twice.id]),
            ("accept × accept two plans of one series",
             [("POST", f"{p}/{rival_a.id}/accept", org, None),
              ("POST", f"{p}/{rival_b.id}/accept", org, None)], True, [rival_a.id, rival_b.id]),
            ("undo × undo", [("POST", f"{p}/{done.id}/undo", org, None)] * 2, True, [done.id]),
            ("undo × the host cancels a session",
             [("POST", f"{p}/{done2.id}/undo", org, None),
              ("POST", f"/api/v1/events/{first2.id}/cancel", world.editor, {"reason": "改期"})],
             False, [done2.id]),
            ("undo × an organizer edits a session",
             [("POST", f"{p}/{done3.id}/undo", org, None),
              ("PATCH", f"/api/v1/events/{first3.id}", org, {"title": "黄河科学讲堂 特别场"})],
             False, [done3.id]),
        ]  # fmt: skip
    db.session.commit()
    answers = _race_all(world, [pair for _, pair, _, _ in cases])
    for (name, _, one_wins, plan_ids), pair in zip(cases, answers):
        codes = sorted(r.status_code for r in pair)
        wrong = []
        # An undo removes the plan's events: a change arriving after it finds none (404).
        allowed = {200, 409} if one_wins else {200, 404, 409}
        if set(codes) - allowed or (one_wins and codes != [200, 409]):
            wrong.append(f"answers {codes} {[r.text[:160] for r in pair]}")
        for plan in (db.session.get(Plan, i) for i in plan_ids):
            wrong += _plan_consistent(plan)
        if wrong:
            world.failures.append(f"{name}: {'; '.join(wrong)}")
    broken = broken_invariants()
    if broken:
        world.failures.append(f"invariants: {broken}")
    _report(world, "plans")


def _plan_consistent(plan: Plan) -> list[str]:
    """An accepted plan has one live event per session and one audit entry; a draft or
    undone plan has none left on the calendar."""
    db.session.refresh(plan)
    live = [
        s.event_id
        for s in plan.sessions
        if s.event_id and (e := db.session.get(Event, s.event_id)) and e.status != S.CANCELLED
    ]
    accepts = audit_count("plan", plan.id, "accept")
    undos = audit_count("plan", plan.id, "undo")
    if plan.status == PlanStatus.ACCEPTED and (len(live) != len(plan.sessions) or accepts != 1):
        return [f"plan {plan.id} accepted with {len(live)} live events, {accepts} accept entries"]
    if plan.status != PlanStatus.ACCEPTED and live:
        return [f"plan {plan.id} is {plan.status.value} but events {live} remain"]
    if undos > 1:
        return [f"plan {plan.id} undone {undos} times"]
    return []


# --- host applications ----------------------------------------------------------------------

APPLICANTS = 12


def test_concurrent_host_applications_upsert(world):
    series = make_series(slug="qinling-forum", name="秦岭生态论坛")
    db.session.commit()
    bodies = [
        {"series": series.slug, "year": 2034, "preferred_months": [1 + n % 12]}
        for n in range(APPLICANTS)
    ]
    specs = [("POST", world.served.base + "/api/v1/applications", world.editor, b) for b in bodies]
    answers = _at_once(specs)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * (APPLICANTS - 1) + [201], [r.text[:200] for r in answers]
    db.session.commit()
    rows = db.session.scalars(sa.select(HostApplication)).all()
    assert len(rows) == 1 and rows[0].society_id == world.host.id
    # One "apply", then one "update" per change (each body asks for another month).
    assert audit_count("host_application", rows[0].id, "apply") == 1
    assert audit_count("host_application", rows[0].id) == APPLICANTS


# --- the directory ----------------------------------------------------------------------------

CREATORS = 8
SPEAKER_LIMIT = 3  # new speakers an editor may add from the event form (the server's setting)


def test_concurrent_directory_writes_keep_one_row_and_one_audit_entry(world):
    """Organizers entering the same society at once (a double click, two tabs): one is
    created, the others are told it exists, and one audit entry is written."""
    from scheduler.audit.models import AuditEntry
    from scheduler.societies.models import Society

    db.session.commit()  # the organizer's token

    body = {"name": "秦皇岛市海洋学会", "slug": "qhd-ocean", "kind": "city", "city": "秦皇岛"}
    specs = [("POST", world.served.base + "/api/v1/societies", world.organizer, body)]
    answers = _at_once(specs * CREATORS)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (CREATORS - 1), [r.text[:200] for r in answers]
    db.session.commit()
    (society,) = db.session.scalars(sa.select(Society).where(Society.slug == "qhd-ocean")).all()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "society", AuditEntry.entity_id == society.id
        )
    ).all()
    assert [e.action for e in entries] == ["create"]


def _signed_in(base: str, email: str) -> tuple[dict, str]:
    """A browser session of ``email``: its cookie header and a CSRF token. (The production
    configuration marks the cookie Secure; the test sends it back over http itself.)"""
    login = requests.get(base + "/login", timeout=30)
    token = CSRF_META.search(login.text).group(1)
    cookie = {"Cookie": login.headers["Set-Cookie"].split(";")[0]}
    form = {"csrf_token": token, "email": email, "password": "password-123"}
    answer = requests.post(base + "/login", data=form, headers=cookie, allow_redirects=False,
                           timeout=30)  # fmt: skip
    assert answer.status_code == 302, answer.text[:300]
    cookie = {"Cookie": answer.headers["Set-Cookie"].split(";")[0]}
    page = requests.get(base + "/portal/speakers/new", headers=cookie, timeout=30)
    return cookie, CSRF_META.search(page.text).group(1)


def test_an_editor_adding_speakers_at_once_stays_within_the_limit(world):
    """Eight new speakers sent at once from one editor's event form through the workers: the
    limit's count is read inside the write, serialized per user, so exactly SPEAKER_LIMIT
    are added and the others are told why (429); nothing else is written."""
    from scheduler.people.models import Person

    make_user(Role.EDITOR, society=world.host, email="lecturer.desk@race-host.example")
    db.session.commit()
    cookie, token = _signed_in(world.served.base, "lecturer.desk@race-host.example")
    headers = {**cookie, "Accept": "application/json"}
    url = world.served.base + "/portal/speakers/new"

    def send(n: int, barrier: threading.Barrier) -> requests.Response:
        form = {"csrf_token": token, "name": f"海洋讲者{n}", "affiliation": "国家海洋局北海分局"}
        barrier.wait()
        return requests.post(url, data=form, headers=headers, timeout=120)

    barrier = threading.Barrier(CREATORS)
    with ThreadPoolExecutor(CREATORS) as pool:
        answers = list(pool.map(lambda n: send(n, barrier), range(CREATORS)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * SPEAKER_LIMIT + [429] * (CREATORS - SPEAKER_LIMIT), [
        r.text[:200] for r in answers
    ]
    db.session.commit()
    added = db.session.scalars(sa.select(Person.name).where(Person.name.like("海洋讲者%"))).all()
    assert len(added) == SPEAKER_LIMIT


def test_syncs_of_one_calendar_at_once_import_it_once(world):
    """Four "sync now" at once through the workers while the society's server is slow: on
    PostgreSQL one sync fetches and imports, the others answer 409 at once without fetching;
    on either database the calendar's events exist once."""
    from concurrent.futures import wait

    from scheduler.calendar_sync.models import CalendarSource
    from tests.calendar_sync.server import CalendarServer, ics, vevent

    calendar, hold = CalendarServer(), threading.Event()
    tide = vevent("tide@race-host.example", "潮汐与海岸讲座", "20310512")
    reef = vevent("reef@race-host.example", "珊瑚礁保护沙龙", "20310514")
    calendar.serve("/tides.ics", ics(tide, reef), etag='"v1"', hold=hold)
    db.session.add(CalendarSource(society=world.host, url=calendar.url("/tides.ics"),
                                  last_report={}))  # fmt: skip
    db.session.commit()
    url = world.served.base + "/api/v1/societies/race-host/calendar-source/sync"
    try:
        with ThreadPoolExecutor(4) as pool:
            post = [requests.post, url]
            sent = [pool.submit(*post, headers=world.editor, timeout=120) for _ in range(4)]
            assert calendar.routes["/tides.ics"].arrived.wait(30)  # one sync is fetching
            if world.served.backend == "postgresql":
                done, _ = wait(sent, timeout=30, return_when="FIRST_COMPLETED")
                assert done  # the others did not wait for the slow server
            hold.set()
            codes = sorted(f.result().status_code for f in sent)
    finally:
        hold.set()
        calendar.stop()
    titles = db.session.scalars(sa.select(Event.title).order_by(Event.title)).all()
    assert titles == ["潮汐与海岸讲座", "珊瑚礁保护沙龙"]
    if world.served.backend == "postgresql":
        assert codes == [200, 409, 409, 409] and len(calendar.requests) == 1
    else:  # one writer at a time: the syncs run one after the other, the rest unchanged
        assert set(codes) <= {200, 409}
