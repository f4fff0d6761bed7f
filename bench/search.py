"""Benchmark: full-text search over 5,000 events (scheduler/search/), on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py              # SQLite file
    .venv/bin/python bench/search.py --postgres   # a throw-away PostgreSQL cluster

Seeds 5,000 approved events in bulk (bench/_seed.py: names 活动N, 报告厅N, 学会N, 专家N),
writes every search document (rebuild_all, timed), then for each query prints the median
of in-process search_public() calls (one page of 20 and the total), the statements it sent,
and the median answer of /search and /api/v1/events?q= through a real HTTP server (page
cache off: every answer is built). Also times a venue rename's commit, which rewrites the
documents of the venue's events. Exit status 1 when a page answer's median exceeds 300 ms.
"""

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._seed import seed  # noqa: E402
from scheduler import create_app  # noqa: E402
from scheduler.extensions import db  # noqa: E402
from scheduler.search.index import rebuild_all  # noqa: E402
from scheduler.search.query import search_public, split_terms  # noqa: E402
from scheduler.timeutil import local_midnight_utc, local_today  # noqa: E402
from scheduler.venues.models import Venue  # noqa: E402
from tests.pg import postgres_url  # noqa: E402

N_EVENTS = 5000
RUNS = 15
TARGET_MS = 300
QUERIES = {
    "venue name (indexed)": "报告厅17",
    "speaker (indexed)": "专家42",
    "one title (indexed)": "活动4321",
    "two characters, every event (scan)": "学会",
    "two words": "报告厅3 专家1",
    "nothing matches": "不存在的词",
}


def median_ms(action, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def statements(action) -> int:
    sent = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len([s for s in sent if not s.startswith("BEGIN")])


def measure(url: str) -> list[tuple]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stamp = Path(tempfile.mkdtemp()) / "feed-version"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(stamp))
    rows = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed(N_EVENTS, year=local_today().year)
        start = time.perf_counter()
        rebuild_all(db.session.connection())
        db.session.commit()
        elapsed = (time.perf_counter() - start) * 1000
        rows.append(("write all 5,000 documents (rebuild_all)", elapsed))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        now = local_midnight_utc(local_today())
        for name, text in QUERIES.items():
            terms = split_terms(text)
            total = search_public(terms, None, None, now, 1, 20)[1]

            def run(terms=terms):
                search_public(terms, None, None, now, 1, 20)
                db.session.rollback()

            rows.append((f"in-process: {name} «{text}» ({total} found)", median_ms(run),
                         statements(run)))  # fmt: skip

        def rename():
            venue = db.session.scalar(sa.select(Venue).where(Venue.slug == "v17"))
            venue.name = venue.name + "·"
            db.session.commit()

        rows.append(("commit of a venue rename (its documents rewritten)", median_ms(rename, 5)))
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    http = requests.Session()
    try:
        for name, text in QUERIES.items():
            for path in ("/search", "/api/v1/events"):

                def get(path=path, text=text):
                    response = http.get(base + path, params={"q": text}, timeout=30)
                    assert response.status_code == 200, response.text[:300]

                get()
                rows.append((f"HTTP {path}: {name}", median_ms(get)))
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with postgres_url("bench_search") as url:
                rows = measure(url)
        else:
            rows = measure(f"sqlite:///{tmp}/search.db")
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"backend: {backend}; {N_EVENTS:,} events; medians of {RUNS} runs")
    print("| measurement | median | statements |")
    print("| --- | --- | --- |")
    slow = []
    for row in rows:
        label, ms = row[0], row[1]
        print(f"| {label} | {ms:.1f} ms | {row[2] if len(row) > 2 else ''} |")
        if label.startswith("HTTP") and ms > TARGET_MS:
            slow.append(label)
    if slow:
        print(f"over {TARGET_MS} ms: {slow}")
        sys.exit(1)


if __name__ == "__main__":
    main()
