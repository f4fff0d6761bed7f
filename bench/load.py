"""Benchmark: the production stack (deploy/serve.sh: gunicorn + the scheduler process) on
PostgreSQL under mixed traffic, over loopback HTTP.

    .venv/bin/python bench/load.py                      # throw-away cluster, 3,000 events
    .venv/bin/python bench/load.py --requests 400 --seconds 40 --events 1000
    DATABASE_URL=postgresql://... .venv/bin/python bench/load.py --url http://127.0.0.1:8000

By default it starts a throw-away PostgreSQL cluster (tests/pg.py) and deploy/serve.sh on a
free loopback port (serve.sh migrates the new database), seeds a province year while the
workers boot (bench/_seed.py: next year, all approved) and waits for /healthz. With --url it
targets a server that is already running (DATABASE_URL must name its database: users,
tokens and the final check need it; the racing events it files stay there, so point it at a
staging copy).

Once every worker has built the calendar feed (the warm-up, timed but not measured), client
threads (a requests.Session each) send calendar pages (list, week, month), feeds (a first
GET, then If-None-Match with the ETag, as calendar apps poll), event pages and API reads with
a bearer token. Meanwhile editors of different societies race for the same venue slots: each
files a draft for the same venue and time, then, evenly spread between the reader requests
(one slot per 250 by default), they submit together. Traffic stops after --requests reader
requests or --seconds seconds, whichever comes first (each request may take at most 120 s,
gunicorn's worker timeout).

Prints, measured in this one run: requests per second, p50/p95/p99 latency per traffic class
and overall, the status histogram, the 5xx count, the share of conditional feed GETs
answered 304, the winners per contested slot, /healthz while serving, and the result of a
SQL query for venue slots held twice. Exit status 1 on any 5xx or unanswered request, a
contested slot without exactly one winner (in the responses and in the database), a
double-held slot, /healthz not ok, or serve.sh not exiting 0 on SIGTERM; --json FILE writes
the figures. Every process it started and the cluster are stopped at exit, also on Ctrl-C.
"""

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._seed import seed  # noqa: E402
from config import Config  # noqa: E402
from scheduler import create_app  # noqa: E402
from scheduler.enums import SLOT_HOLDING_STATUSES  # noqa: E402
from scheduler.extensions import db  # noqa: E402

CLASSES = ("page", "feed", "event", "api", "race")
TIMEOUT = 120  # seconds a request may take: gunicorn's worker timeout (deploy/gunicorn.conf.py)
MIX = {"page": 25, "feed": 40, "event": 15, "api": 20}  # reader traffic, percent
HOLDING = ", ".join(f"'{s.value}'" for s in SLOT_HOLDING_STATUSES)
# Two occurrences hold one venue slot when both belong to events in a slot-holding status
# (scheduler/enums.py: SLOT_HOLDING_STATUSES, what the rules engine and the exclusion
# constraint count), neither is cancelled, and their blocked ranges (start to end plus the
# venue's buffer) overlap. Status, not the holds_slot flag, so a flag out of step shows too.
DOUBLE_HOLDS_SQL = f"""
SELECT a.venue_id, a.event_id AS first_event, b.event_id AS second_event,
       a.start_at AS first_start, a.blocked_until AS first_blocked_until,
       b.start_at AS second_start, b.blocked_until AS second_blocked_until
FROM occurrences a
JOIN events ea ON ea.id = a.event_id
JOIN occurrences b ON b.venue_id = a.venue_id AND b.id > a.id
JOIN events eb ON eb.id = b.event_id
WHERE NOT a.cancelled AND NOT b.cancelled
  AND ea.status IN ({HOLDING}) AND eb.status IN ({HOLDING})
  AND a.start_at < b.blocked_until AND b.start_at < a.blocked_until
ORDER BY a.venue_id, a.start_at
""".strip()
HOLDERS_SQL = f"""
SELECT count(*) FROM occurrences o JOIN events e ON e.id = o.event_id
JOIN venues v ON v.id = o.venue_id
WHERE v.slug = :venue AND o.start_at = :start AND NOT o.cancelled AND e.status IN ({HOLDING})
""".strip()
FLAG_OUT_OF_STEP_SQL = f"""
SELECT count(*) FROM occurrences o JOIN events e ON e.id = o.event_id
WHERE o.holds_slot <> (e.status IN ({HOLDING}))
""".strip()


# --- the server ------------------------------------------------------------------------


MIGRATED = "database is at the latest revision"  # what `flask init-db` prints when done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """deploy/serve.sh in its own process group, its output in a log file."""

    def __init__(self, env: dict, log_path: Path):
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "serve.sh")],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 90) -> int | None:
        """SIGTERM to serve.sh (it stops gunicorn and the scheduler, SIGKILL after its
        STOP_TIMEOUT). Should serve.sh itself hang, SIGKILL to its process group and to the
        groups of the processes it started. Returns serve.sh's exit status."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                for group in [self.process.pid, *self.started()]:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(group, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(10)
        self.log.close()
        return self.process.returncode

    def started(self) -> list[int]:
        """The process (and group) ids of gunicorn and the scheduler, as serve.sh logs them."""
        text = self.log_path.read_text(errors="replace")
        return [int(pid) for pid in re.findall(r"\(pid (\d+)[,)]", text)]

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def booted_workers(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count("Booting worker with pid")
        except OSError:
            return 0


def wait_for_log(server: Server, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log_path.read_text(errors="replace"):
        if not server.running():
            raise RuntimeError(f"serve.sh exited ({server.process.returncode}):\n{server.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"serve.sh did not print {text!r} in {timeout:.0f} s")
        time.sleep(0.2)


def wait_ready(url: str, server: Server | None, workers: int, timeout: float) -> dict:
    """Poll /healthz until the database and the scheduler lease are ok (and, for our own
    server, every worker has booted); bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if server is not None and not server.running():
            raise RuntimeError(f"serve.sh exited ({server.process.returncode}):\n{server.tail()}")
        with contextlib.suppress(requests.RequestException, ValueError):
            last = requests.get(f"{url}/healthz", timeout=5).json()
            booted = server is None or server.booted_workers() >= workers
            if last.get("database") == "ok" and last.get("scheduler") == "ok" and booted:
                return last
        time.sleep(0.25)
    tail = server.tail() if server else ""
    raise RuntimeError(f"/healthz not ok after {timeout:.0f} s (last: {last})\n{tail}")


# --- what the traffic uses -------------------------------------------------------------


@dataclass
class Plan:
    year: int
    event_ids: list[int]
    venue_slugs: list[str]
    society_slugs: list[str]
    reader_token: str
    editors: list[tuple[str, str]]  # (society slug, bearer token)
    slots: list[tuple[str, str, str]]  # contested (venue slug, local start, local end)


def prepare(url: str, args, run_id: str, stamp: Path) -> Plan:
    """The seeded year (unless --url), users, tokens and the contested slots, written
    straight to the database; ``stamp`` is the server's feed version file."""
    from scheduler.accounts.service import create_user, issue_token
    from scheduler.enums import EventStatus
    from scheduler.events.models import Event, Occurrence
    from scheduler.societies.models import Society
    from scheduler.venues.models import Venue

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(stamp))
    with app.app_context():
        if args.url is None:
            seed(args.events, year=args.year)
        approved = Event.status == EventStatus.APPROVED
        event_ids = db.session.scalars(
            sa.select(Event.id).where(approved).order_by(Event.id).limit(2000)
        ).all()
        # Pages and API reads browse the year with the most approved events.
        starts = db.session.scalars(sa.select(Event.start_at).where(approved).limit(5000)).all()
        browse_year = Counter(s.year for s in starts).most_common(1)[0][0] if starts else args.year
        venues = db.session.scalars(
            sa.select(Venue).where(Venue.active.is_(True), Venue.is_online.is_(False))
            .order_by(Venue.id).limit(50)
        ).all()  # fmt: skip
        societies = db.session.scalars(
            sa.select(Society).where(Society.active.is_(True)).order_by(Society.id).limit(50)
        ).all()
        if len(societies) < args.racers + 1 or not venues or not event_ids:
            raise RuntimeError("the database needs approved events, venues and societies")
        password = secrets.token_urlsafe(16)
        editors = []
        for n, society in enumerate(societies[: args.racers + 1]):
            email = f"load-{run_id}-{n}@bench.invalid"
            create_user(email, password, "editor", society.slug, name=f"load editor {n}")
            editors.append((society.slug, issue_token(email, "bench/load.py")))
        reader = editors.pop()  # a society outside the races reads the API
        slots = []
        day = date(args.year, 1, 4)  # the contested slots lie in the future
        for k in range(args.races):
            venue = venues[k % len(venues)]
            # 21:00-22:00 local: after the seeded sessions; moved on until the venue is free.
            while True:
                start = f"{day.isoformat()}T21:00"
                begin, end = _local(day, 21), _local(day, 22) + timedelta(hours=3)
                taken = db.session.scalar(
                    sa.select(sa.func.count()).select_from(Occurrence).where(
                        Occurrence.venue_id == venue.id, Occurrence.start_at < end,
                        Occurrence.blocked_until > begin,
                    )
                )  # fmt: skip
                if not taken:
                    break
                day += timedelta(days=1)
            slots.append((venue.slug, start, f"{day.isoformat()}T22:00"))
            day += timedelta(days=max(1, 330 // max(1, args.races)))
        plan = Plan(
            year=browse_year,
            event_ids=list(event_ids),
            venue_slugs=[v.slug for v in venues],
            society_slugs=[s.slug for s in societies],
            reader_token=reader[1],
            editors=editors,
            slots=slots,
        )
        db.session.remove()
        db.engine.dispose()
    return plan


def _local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(Config.TIMEZONE))


def _naive_utc(day: date, hour: int) -> datetime:
    """As the occurrences table stores times (UTC, without a zone)."""
    return _local(day, hour).astimezone(UTC).replace(tzinfo=None)


# --- traffic -----------------------------------------------------------------------------


def warm_up(base: str, workers: int) -> float:
    """Each worker builds the whole calendar feed once, as after a deploy (sync workers each
    take one of these concurrent requests). Seconds taken; not part of the measurement."""
    begin = time.monotonic()

    def fetch():
        with contextlib.suppress(requests.RequestException):
            requests.get(f"{base}/calendar.ics", timeout=TIMEOUT)

    threads = [threading.Thread(target=fetch, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    return time.monotonic() - begin


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float


@dataclass
class Run:
    """What the threads share: the request budget, the clock and the results."""

    limit: int
    deadline: float
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    samples: list[Sample] = field(default_factory=list)
    conditional: Counter = field(default_factory=Counter)  # "304" / "200" / "other"
    errors: list[str] = field(default_factory=list)

    def take(self) -> bool:
        """One more reader request, if the budget and the clock allow it."""
        with self.lock:
            if self.stop.is_set() or self.issued >= self.limit or time.monotonic() >= self.deadline:
                self.stop.set()
                return False
            self.issued += 1
            return True

    def share_done(self) -> float:
        with self.lock:
            return self.issued / self.limit

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def timed_request(session, run: Run, kind: str, method: str, url: str, **kwargs):
    begin = time.perf_counter()
    try:
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        run.record(Sample(kind, 0, time.perf_counter() - begin))
        with run.lock:
            run.errors.append(f"{method} {url}: {exc.__class__.__name__}: {exc}")
        return None
    # The body has been read by now (requests reads it unless stream=True).
    run.record(Sample(kind, response.status_code, time.perf_counter() - begin))
    if response.status_code >= 500:
        with run.lock:
            run.errors.append(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return response


def reader(run: Run, base: str, plan: Plan, seed_value: int) -> None:
    """A visitor, a calendar app and an API client in one: the mix in MIX."""
    rng = random.Random(seed_value)
    session = requests.Session()
    etags: dict[str, str] = {}
    api_headers = {"Authorization": f"Bearer {plan.reader_token}", "Accept-Language": "en"}
    # Like a calendar app, each thread subscribes to the whole calendar and one more feed.
    feeds = [
        "/calendar.ics",
        rng.choice(
            [
                f"/feeds/venues/{rng.choice(plan.venue_slugs)}.ics",
                f"/feeds/societies/{rng.choice(plan.society_slugs)}.ics",
                "/feeds/kinds/forum.ics",
                f"/events/{rng.choice(plan.event_ids)}.ics",
            ]
        ),
    ]
    kinds, weights = zip(*MIX.items(), strict=True)
    while run.take():
        kind = rng.choices(kinds, weights)[0]
        month = rng.randrange(1, 13)
        if kind == "page":
            path = rng.choice(
                [
                    "/",
                    f"/?view=week&week={date(plan.year, month, rng.randrange(1, 28)).isoformat()}",
                    f"/?view=month&month={plan.year}-{month:02d}",
                ]
            )
            timed_request(session, run, kind, "GET", base + path)
        elif kind == "feed":
            path = rng.choice(feeds)
            headers = {"If-None-Match": etags[path]} if path in etags else {}
            response = timed_request(session, run, kind, "GET", base + path, headers=headers)
            if response is not None and headers:
                outcome = {304: "304", 200: "200"}.get(response.status_code, "other")
                with run.lock:
                    run.conditional[outcome] += 1
            if response is not None and response.headers.get("ETag"):
                etags[path] = response.headers["ETag"]
        elif kind == "event":
            path = f"/events/{rng.choice(plan.event_ids)}"
            timed_request(session, run, kind, "GET", base + path)
        else:
            last = 28 if month == 2 else 30
            path = rng.choice(
                [
                    f"/api/v1/events?from={plan.year}-{month:02d}-01&to={plan.year}-{month:02d}-{last}",
                    f"/api/v1/events?venue={rng.choice(plan.venue_slugs)}&per_page=20",
                    f"/api/v1/events/{rng.choice(plan.event_ids)}",
                    "/api/v1/venues",
                    "/api/v1/societies",
                ]
            )
            timed_request(session, run, kind, "GET", base + path, headers=api_headers)
    session.close()


@dataclass
class Race:
    venue: str
    start: str
    end: str
    creates: list[int] = field(default_factory=list)
    submits: list[int] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # why submissions were refused
    broken: bool = False
    during_traffic: bool = False

    @property
    def winners(self) -> int:
        return self.submits.count(200)


def racer(run: Run, base: str, token: str, society: str, races: list, gates: list) -> None:
    """One society editor. First a draft for every contested slot, while the other editors
    file theirs for the same venues and times; then, spread over the run, the submissions:
    a barrier lets the editors submit each slot together, so they really race. (Drafts hold
    nothing, so each race's winning submission is the one change the feeds then see.)"""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    drafts: dict[int, int] = {}
    with contextlib.suppress(threading.BrokenBarrierError):
        gates[0].wait()
    for k, race in enumerate(races):
        body = {
            "title": f"压测抢场 {k} · {society}",
            "kind": "lecture",
            "host": society,
            "venue": race.venue,
            "start": race.start,
            "end": race.end,
            "expected_attendance": 80,
        }
        created = timed_request(session, run, "race", "POST", f"{base}/api/v1/events",
                                json=body, headers=headers)  # fmt: skip
        with run.lock:
            race.creates.append(created.status_code if created is not None else 0)
        if created is not None and created.status_code == 201:
            drafts[k] = created.json()["id"]
    for k, race in enumerate(races):
        # Evenly between the reader requests (writes stay rare next to the reads, as in
        # life); the races the run's time limit leaves over follow at its end.
        while run.share_done() < (k + 1) / (len(races) + 1):
            if run.stop.wait(0.02):
                break
        try:
            gates[k + 1].wait()
        except threading.BrokenBarrierError:
            race.broken = True
            continue
        race.during_traffic = not run.stop.is_set()
        if k not in drafts:
            continue
        submitted = timed_request(session, run, "race", "POST",
                                  f"{base}/api/v1/events/{drafts[k]}/submit",
                                  headers=headers)  # fmt: skip
        with run.lock:
            race.submits.append(submitted.status_code if submitted is not None else 0)
            if submitted is not None and submitted.status_code != 200:
                race.refusals.append(_refusal(submitted))
    session.close()


def _refusal(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:120]}"
    rules = sorted({f.get("rule", "?") for f in body.get("findings", [])})
    return f"{response.status_code} {body.get('message', '')} {rules}"


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(share * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def traffic(base: str, plan: Plan, args) -> tuple[Run, list[Race], float, list[dict]]:
    started = time.monotonic()
    run = Run(limit=args.requests, deadline=started + args.seconds, started=started)
    races = [Race(*slot) for slot in plan.slots]
    gates = [threading.Barrier(len(plan.editors), timeout=60) for _ in range(len(races) + 1)]
    threads = [
        threading.Thread(target=reader, args=(run, base, plan, n), daemon=True)
        for n in range(args.clients)
    ]
    threads += [
        threading.Thread(target=racer, args=(run, base, token, society, races, gates), daemon=True)
        for society, token in plan.editors
    ]
    for thread in threads:
        thread.start()
    health = []
    readers = threads[: args.clients]
    # /healthz while serving, about every second, from this thread.
    while any(t.is_alive() for t in readers):
        with contextlib.suppress(requests.RequestException, ValueError):
            health.append(requests.get(f"{base}/healthz", timeout=10).json())
        if run.stop.wait(1.0):
            for t in readers:
                t.join(timeout=40)
    # Racers run the races not yet run, back to back (bounded: two requests a race each).
    for thread in threads[args.clients :]:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    with contextlib.suppress(requests.RequestException, ValueError):
        health.append(requests.get(f"{base}/healthz", timeout=10).json())
    return run, races, elapsed, health


# --- the report --------------------------------------------------------------------------


def check_database(url: str, races: list[Race]) -> tuple[list, int, list[int]]:
    """The double-hold query, occurrences whose holds_slot flag disagrees with their event's
    status, and how many events hold each contested slot (must be exactly one)."""
    engine = sa.create_engine(url)
    holders = []
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(DOUBLE_HOLDS_SQL)).all()
            out_of_step = conn.execute(sa.text(FLAG_OUT_OF_STEP_SQL)).scalar_one()
            for race in races:
                day = date.fromisoformat(race.start[:10])
                holders.append(
                    conn.execute(
                        sa.text(HOLDERS_SQL),
                        {"venue": race.venue, "start": _naive_utc(day, int(race.start[11:13]))},
                    ).scalar_one()
                )
    finally:
        engine.dispose()
    return rows, out_of_step, holders


def summarize(run: Run, races: list[Race], elapsed: float, health: list[dict]) -> dict:
    by_kind: dict[str, list[float]] = {k: [] for k in CLASSES}
    for s in run.samples:
        by_kind[s.kind].append(s.seconds)
    latency = {}
    everything = sorted(s.seconds for s in run.samples)
    for kind, values in [*by_kind.items(), ("all", everything)]:
        values = sorted(values)
        latency[kind] = {
            "n": len(values),
            **{f"p{p}": round(percentile(values, p / 100) * 1000, 1) for p in (50, 95, 99)},
        }
    statuses = Counter(s.status for s in run.samples)
    conditional = sum(run.conditional.values())
    contested = [r for r in races if r.submits or r.creates]
    return {
        "requests": len(run.samples),
        "seconds": round(elapsed, 2),
        "rps": round(len(run.samples) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": latency,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "no_answer": statuses.get(0, 0),
        "conditional_feed_gets": conditional,
        "conditional_304": run.conditional["304"],
        "share_304": round(run.conditional["304"] / conditional, 4) if conditional else 0.0,
        "races": len(contested),
        "races_during_traffic": sum(r.during_traffic for r in contested),
        "race_submissions": sum(len(r.submits) for r in contested),
        "winners_per_slot": [r.winners for r in contested],
        "refusals": sorted({text for r in contested for text in r.refusals}),
        "race_losers_409": sum(r.submits.count(409) for r in contested),
        "races_broken": sum(r.broken for r in races),
        "healthz_checks": len(health),
        "healthz_ok": bool(health)
        and all(h.get("database") == "ok" and h.get("scheduler") == "ok" for h in health),
        "healthz_last": health[-1] if health else None,
        "errors": run.errors[:20],
    }


def print_report(result: dict, setting: str) -> None:
    print(setting)
    print(f"requests {result['requests']} in {result['seconds']:.1f} s: {result['rps']:.1f} req/s")
    print(f"{'class':6} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  p99/p50")
    for kind, row in result["latency_ms"].items():
        ratio = row["p99"] / row["p50"] if row["p50"] else 0.0
        print(f"{kind:6} {row['n']:6d} {row['p50']:8.1f} {row['p95']:8.1f} {row['p99']:8.1f}"
              f"  {ratio:.1f}")  # fmt: skip
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in result["statuses"].items()))
    print(f"5xx: {result['5xx']}  (no answer: {result['no_answer']})")
    print(f"conditional feed GETs: {result['conditional_feed_gets']}, answered 304: "
          f"{result['conditional_304']} ({result['share_304']:.1%})")  # fmt: skip
    winners = result["winners_per_slot"]
    print(
        f"contested slots: {result['races']} ({result['races_during_traffic']} during the "
        f"reader traffic), submissions {result['race_submissions']}, "
        f"refused 409 {result['race_losers_409']}, winners per slot {winners}"
        f"{', broken races ' + str(result['races_broken']) if result['races_broken'] else ''}"
    )
    health = result["healthz_last"]
    print(f"/healthz while serving: {result['healthz_checks']} checks, "
          f"{'all ok' if result['healthz_ok'] else 'NOT ok'} (last: {health})")  # fmt: skip
    for line in result["refusals"]:
        print(f"  refused: {line}")
    for line in result["errors"]:
        print(f"  error: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="an already running server (DATABASE_URL names its db)")
    parser.add_argument("--requests", type=int, default=3000, help="reader requests at most")
    parser.add_argument("--seconds", type=float, default=60, help="traffic time at most")
    parser.add_argument("--clients", type=int, default=8, help="reader threads")
    parser.add_argument("--racers", type=int, default=3, help="editors racing per slot")
    parser.add_argument(
        "--races", type=int, help="contested venue slots (default: one per 250 requests)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (WEB_WORKERS)")
    parser.add_argument("--events", type=int, default=3000, help="events seeded")
    parser.add_argument(
        "--year", type=int, default=date.today().year + 1, help="of the seeded events and the races"
    )
    parser.add_argument("--startup-timeout", type=float, default=120)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.racers < 2:
        parser.error("--racers must be at least 2")
    args.races = args.races or max(2, args.requests // 250)
    if args.url and not os.environ.get("DATABASE_URL"):
        parser.error("--url needs DATABASE_URL (users, tokens and the final check use it)")

    # SIGTERM ends the run like Ctrl-C: the finally blocks stop the server and the cluster.
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    cluster = server = None
    tmp = tempfile.TemporaryDirectory(prefix="scheduler-load-")
    args.tmp = tmp.name
    failed = True
    phases: dict[str, float] = {}
    clock = time.monotonic()
    try:
        if args.url:
            from config import _database_url

            url, base = _database_url(), args.url.rstrip("/")
        else:
            from tests.pg import Cluster

            cluster = Cluster()
            cluster.start()
            url = cluster.create_database("load")
            phases["cluster"] = time.monotonic() - clock
        clock = time.monotonic()
        stamp = Path(args.tmp) / "feed-version"
        if not args.url:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "JOBS_"))}
            env.update(
                DATABASE_URL=url,
                SECRET_KEY=secrets.token_hex(32),
                SCHEDULER_CONFIG="production",
                SCHEDULER_INSTANCE=str(Path(args.tmp) / "instance"),
                FEED_VERSION_FILE=str(stamp),
                WEB_WORKERS=str(args.workers),
                BIND=f"127.0.0.1:{port}",
                PUBLIC_BASE_URL=base,
                # Every client here shares one address: the per-address feed limit (600 a
                # minute by default) would measure the limiter, not the server.
                FEED_RATE_LIMIT="1000000 per minute",
                STOP_TIMEOUT="60",
            )
            server = Server(env, Path(args.tmp) / "serve.log")
            # serve.sh migrates the new database first; the data goes in while workers boot.
            wait_for_log(server, MIGRATED, args.startup_timeout)
            phases["serve.sh migrates"] = time.monotonic() - clock
            clock = time.monotonic()
        plan = prepare(url, args, secrets.token_hex(3), stamp)
        phases["users" if args.url else "seed"] = time.monotonic() - clock
        clock = time.monotonic()
        ready = wait_ready(base, server, args.workers if server else 0, args.startup_timeout)
        phases["workers + scheduler ready"] = time.monotonic() - clock
        phases["warm-up (each worker builds /calendar.ics)"] = warm_up(base, args.workers)
        setup = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        print(f"setup: {setup}; /healthz {ready}", flush=True)
        run, races, elapsed, health = traffic(base, plan, args)
        if server is not None and not server.running():
            run.errors.append(f"serve.sh exited during the run ({server.process.returncode})")
        result = summarize(run, races, elapsed, health)
        rows, out_of_step, holders = check_database(url, races)
        result["double_holds"] = len(rows)
        result["holds_flag_out_of_step"] = out_of_step
        result["holders_per_slot"] = holders
        result["workers"] = args.workers if server else None
        result["workers_booted"] = server.booted_workers() if server else None
        result["setup_seconds"] = {k: round(v, 1) for k, v in phases.items()}
        setting = (
            f"load: {args.workers} gunicorn workers + 1 scheduler (deploy/serve.sh) on "
            f"PostgreSQL, {args.events} events of {args.year}; {args.clients} reader threads, "
            f"{len(plan.editors)} editors racing for {len(plan.slots)} slots"
            if server
            else f"load: {base}; {args.clients} reader threads, {len(plan.editors)} editors"
        )
        print_report(result, setting)
        print("venue slots held twice (SQL below): " + str(len(rows)))
        print(DOUBLE_HOLDS_SQL)
        for row in rows[:20]:
            print(f"  {tuple(row)}")
        print(f"occurrences whose holds_slot disagrees with their event's status: {out_of_step}")
        print(f"events holding each contested slot (database): {holders}")
        problems = []
        if result["5xx"]:
            problems.append(f"{result['5xx']} responses were 5xx")
        if result["no_answer"]:
            problems.append(f"{result['no_answer']} requests got no answer")
        if rows:
            problems.append(f"{len(rows)} venue slots are held twice")
        if not result["races"] or any(w != 1 for w in result["winners_per_slot"]):
            problems.append("a contested slot did not have exactly one winning submission")
        if any(n != 1 for n in holders):
            problems.append("a contested slot is not held by exactly one event")
        if result["races_broken"]:
            problems.append(f"{result['races_broken']} races broke off")
        if not result["healthz_ok"]:
            problems.append("/healthz was not ok while serving")
        if server is not None:
            clock = time.monotonic()
            status = server.stop()
            result["serve_exit"] = status
            print(f"serve.sh stopped with SIGTERM in {time.monotonic() - clock:.1f} s: "
                  f"exit status {status}")  # fmt: skip
            if status != 0:
                problems.append(f"serve.sh exited {status} on SIGTERM")
        for problem in problems:
            print(f"FAILED: {problem}")
        if server is not None and problems:
            print(server.tail())
        result["problems"] = problems
        if args.json:
            text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
            Path(args.json).write_text(text)
        failed = bool(problems)
    except KeyboardInterrupt:
        print("interrupted: stopping the server and the cluster", file=sys.stderr)
    finally:
        # A second Ctrl-C or SIGTERM must not skip the clean-up (itself bounded in time).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if server is not None and server.log and not server.log.closed:
                if failed:
                    print(server.tail(), file=sys.stderr)
                server.stop()
            if cluster is not None:
                cluster.stop()
            tmp.cleanup()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
