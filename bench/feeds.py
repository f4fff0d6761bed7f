"""Benchmark: the calendar feed on a province year of 3,000 events.

    .venv/bin/python bench/feeds.py              # SQLite
    .venv/bin/python bench/feeds.py --postgres   # DATABASE_URL, or a throw-away cluster

Prints, each measured in this one run:
- warm feed throughput / throughput of the same app returning precomputed bytes (>= 0.8)
  (a warm feed is answered by the fast path before Flask runs, see feeds/fastpath.py);
- rebuild after one event changed / full cold build (<= 0.1);
- 304 revalidation / a trivial endpoint (<= 1.2);
- SQL queries of a cold build at 300 and 3,000 events: one for the rows, then one per
  FRAGMENT_CHUNK (1,000) events serialized (scheduler/feeds/service.py bounds the memory).
"""

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._seed import seed
from scheduler import create_app
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.service import FEEDS, FRAGMENT_CHUNK, FRAGMENTS
from tests.pg import postgres_url

REQUESTS = 400


def rate(client, path: str, headers=None, n: int = REQUESTS) -> float:
    """Requests per second, best of three rounds (the machine is noisy)."""
    best = 0.0
    for _ in range(3):
        begin = time.perf_counter()
        for _ in range(n):
            response = client.get(path, headers=headers or {})
            assert response.status_code in (200, 304), response.status_code
        best = max(best, n / (time.perf_counter() - begin))
    return best


def timed(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def count_queries(fn) -> int:
    statements = []

    def listen(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return len(statements)


def measure(url: str, n_events: int) -> dict:
    stamp = Path(tempfile.mkdtemp()) / "feed-version"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(stamp))
    precomputed = {}
    app.add_url_rule(
        "/bench/bytes.ics",
        "bench_bytes",
        lambda: Response(precomputed["body"], content_type="text/calendar; charset=utf-8"),
    )
    app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
    client = app.test_client()
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed(n_events, year=time.localtime().tm_year)
    out = {}
    with app.app_context():

        def cold():
            FEEDS.clear()
            FRAGMENTS.clear()
            app.extensions["feed_fastpath"].entries.clear()
            assert client.get("/calendar.ics").status_code == 200

        out["queries"] = count_queries(cold)
        if n_events < 3000:
            return out
        body = client.get("/calendar.ics").data
        out["size"] = len(body)
        precomputed["body"] = body
        client.get("/calendar.ics")
        out["warm"] = rate(client, "/calendar.ics")
        out["bytes"] = rate(client, "/bench/bytes.ics")
        etag = client.get("/calendar.ics").headers["ETag"]
        out["revalidate"] = rate(client, "/calendar.ics", {"If-None-Match": etag})
        out["trivial"] = rate(client, "/bench/trivial")
        out["full"] = timed(cold)
        event_ids = db.session.scalars(sa.select(Event.id).limit(5)).all()

        def one_change():
            event = db.session.get(Event, event_ids[0])
            event.title = event.title + "·"
            db.session.commit()
            assert client.get("/calendar.ics").status_code == 200

        out["rebuild"] = timed(one_change)
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with postgres_url("bench") as url:
                results = {n: measure(url, n) for n in (300, 3000)}
        else:
            results = {n: measure(f"sqlite:///{tmp}/feeds-{n}.db", n) for n in (300, 3000)}
    r = results[3000]
    checks = [
        ("warm feed / precomputed bytes", r["warm"] / r["bytes"], ">=", 0.8),
        ("rebuild after one change / full build", r["rebuild"] / r["full"], "<=", 0.1),
        ("304 revalidation / trivial endpoint (time)", r["trivial"] / r["revalidate"], "<=", 1.2),
    ]
    print(f"backend: {'postgresql' if args.postgres else 'sqlite'}; feed of 3,000 events: "
          f"{r['size'] / 1024:.0f} KiB")  # fmt: skip
    print(f"warm {r['warm']:.0f} req/s, bytes {r['bytes']:.0f} req/s, 304 {r['revalidate']:.0f} "
          f"req/s, trivial {r['trivial']:.0f} req/s, full build {r['full'] * 1000:.0f} ms, "
          f"rebuild {r['rebuild'] * 1000:.1f} ms")  # fmt: skip
    ok = True
    for name, value, op, target in checks:
        good = value >= target if op == ">=" else value <= target
        ok &= good
        print(f"{name}: {value:.2f} (target {op} {target}) {'ok' if good else 'MISSED'}")
    queries = (results[300]["queries"], results[3000]["queries"])
    expected = tuple(1 + math.ceil(n / FRAGMENT_CHUNK) for n in (300, 3000))
    print(f"SQL queries of a cold build, 300 -> 3,000 events: {queries[0]} -> {queries[1]} "
          f"(1 + one per {FRAGMENT_CHUNK:,} events: {expected[0]} -> {expected[1]})")  # fmt: skip
    ok &= queries == expected
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
