"""Benchmark: one conflict check against 1,000 and against 100,000 existing events.

    .venv/bin/python bench/conflicts.py              # SQLite (default)
    .venv/bin/python bench/conflicts.py --postgres   # DATABASE_URL, or a throw-away cluster

Prints the median time per check at each size, the time ratio (must stay at or below 2:
no full scans) and the SQL queries per check (must not grow).
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._seed import seed
from scheduler import create_app
from scheduler.enums import EventKind, EventStatus
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.people.models import Person
from scheduler.societies.models import Society
from scheduler.venues.models import Venue
from tests.pg import postgres_url

SIZES = (1_000, 100_000)
REPEATS = 40


def candidate(i: int) -> Event:
    """An unsaved event on day ``i * 9`` of the year at a busy venue, with an audience."""
    start = datetime(2027, 1, 1, 6, tzinfo=UTC) + timedelta(days=(i * 9) % 360)
    event = Event(
        title=f"候选{i}",
        kind=EventKind.FORUM,
        status=EventStatus.DRAFT,
        start_at=start,
        end_at=start + timedelta(hours=2),
        expected_attendance=80,
        exdates=[],
        rrule="",
    )
    event.venue = db.session.get(Venue, 1 + (i * 7) % 20)
    event.host = db.session.get(Society, 1 + (i * 11) % 50)
    event.audiences = ["youth"]
    return event


def candidates(n: int) -> list[Event]:
    """Unsaved events spread over the year, each at a busy venue with a speaker and audience."""
    events = []
    for i in range(REPEATS):
        event = candidate(i)
        event.speakers = [db.session.get(Person, 1 + i % 30)]
        db.session.expunge(event) if event in db.session else None
        events.append(event)
    return events


def measure(url: str, n: int) -> tuple[float, int, int]:
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context(), app.test_request_context():
        db.drop_all()
        db.create_all()
        seed(n)
        events = candidates(n)
        check_event(events[0])  # warm caches
        statements: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        times, findings = [], 0
        for event in events:
            begin = time.perf_counter()
            findings += len(check_event(event))
            times.append(time.perf_counter() - begin)
        db.session.rollback()
        db.engine.dispose()
    return statistics.median(times), len(statements) // len(events), findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="use DATABASE_URL (PostgreSQL)")
    args = parser.parse_args()
    results = {}
    print(f"backend: {'postgresql' if args.postgres else 'sqlite'}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with postgres_url("bench") as url:
                run(lambda n: url, results)
        else:
            run(lambda n: f"sqlite:///{tmp}/bench-{n}.db", results)
    small, large = results[SIZES[0]], results[SIZES[-1]]
    ratio = large[0] / small[0]
    print(f"time ratio {SIZES[-1]:,} / {SIZES[0]:,} events: {ratio:.2f} (target <= 2)")
    print(f"queries per check: {small[1]} -> {large[1]} (target: equal)")
    if ratio > 2 or small[1] != large[1]:
        sys.exit(1)


def run(url_for, results) -> None:
    """Measures each size on the database ``url_for(size)`` names."""
    for n in SIZES:
        url = url_for(n)
        results[n] = measure(url, n)
        median, queries, findings = results[n]
        print(f"{n:>7} events: {median * 1000:7.2f} ms per check, {queries} SQL queries, "
              f"{findings} findings in {REPEATS} checks")  # fmt: skip


if __name__ == "__main__":
    main()
