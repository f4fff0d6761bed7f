"""Nation scale on PostgreSQL: 100,000 events a year, 5,000 societies, 2,000 venues.

    .venv/bin/python bench/seed_nation.py              # province vs nation, one run
    .venv/bin/python bench/seed_nation.py --explain    # also EXPLAIN ANALYZE the hot queries
    DATABASE_URL=postgresql://... .venv/bin/python bench/seed_nation.py --seed-only

Without DATABASE_URL a throw-away cluster (tests/pg.py) holds two databases, a province
(3,000 events, 150 societies, 60 venues) and a nation (100,000 events, 5,000 societies,
2,000 venues), both with ten series and the October campaign. Then, interleaving the two so
that machine noise hits both alike, it measures the four hot paths:

- the public month page (``/?view=month``);
- a society's feed built cold (``/feeds/societies/<slug>.ics``, caches cleared);
- a conflict check of a new event (``check_event``);
- the organizers' quota dashboard (``/admin/quotas``), first page.

and prints, per path, the median time at each scale, the ratio nation / province (target
<= 2) and the SQL queries per request at each scale (target: equal). Exits 1 if a target
is missed. ``--seed-only`` fills DATABASE_URL with the nation and stops.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._seed import seed
from bench.conflicts import candidate
from scheduler import create_app
from scheduler.accounts.models import Role, User
from scheduler.campaigns.models import Campaign, CampaignKind
from scheduler.enums import EventKind
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.feeds.service import FEEDS, FRAGMENTS
from scheduler.series.models import Series

PROVINCE, NATION = 3_000, 100_000
SERIES = 10
REPEATS = 15
YEAR = 2027


def seed_scale(n_events: int) -> dict:
    """The bulk seed of bench/_seed.py plus ten series, the October campaign and an organizer."""
    counts = seed(n_events, year=YEAR)
    conn = db.session.connection()
    for i in range(SERIES):
        db.session.add(
            Series(
                slug=f"series-{i}",
                name=f"品牌论坛{i}",
                kind=EventKind.FORUM,
                target_min=10,
                target_max=12,
                max_per_host=2,
            )
        )
    campaign = Campaign(
        slug=f"month-{YEAR}",
        name="学术活动月",
        kind=CampaignKind.ACADEMIC_MONTH,
        start_date=datetime(YEAR, 10, 1).date(),
        end_date=datetime(YEAR, 10, 31).date(),
    )
    db.session.add(campaign)
    db.session.flush()
    # Series sessions: a fixed number per series (brands do not multiply with the nation).
    series_ids = list(db.session.scalars(sa.select(Series.id).order_by(Series.id)))
    for i, series_id in enumerate(series_ids):
        first = 1 + i * 997 % (n_events - 20)
        ids = list(range(first, first + 11))
        conn.execute(sa.update(Event).where(Event.id.in_(ids)).values(series_id=series_id))
        conn.execute(
            sa.update(Occurrence).where(Occurrence.event_id.in_(ids)).values(series_id=series_id)
        )
    october = sa.and_(
        Event.start_at >= datetime(YEAR, 9, 30, 16, tzinfo=UTC),
        Event.start_at < datetime(YEAR, 10, 31, 16, tzinfo=UTC),
    )
    conn.execute(sa.update(Event).where(october).values(campaign_id=campaign.id))
    organizer = User(email="organizer@example.org", role=Role.ORGANIZER, name="组织者")
    organizer.set_password("password-123")
    db.session.add(organizer)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as analyze:
            analyze.execute(sa.text("ANALYZE"))
    return counts | {"series": SERIES, "organizer_id": organizer.id}


class Scale:
    """One seeded database and an app over it, with the four measured operations."""

    def __init__(self, url: str, n_events: int, instance: Path):
        self.n = n_events
        self.app = create_app(
            "test", SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(instance / f"v{n_events}")
        )
        with self.app.app_context():
            db.drop_all()
            db.create_all()
            self.counts = seed_scale(n_events)
        self.client = self.app.test_client()
        self.organizer = self.app.test_client()
        with self.organizer.session_transaction() as session:
            session["_user_id"] = str(self.counts["organizer_id"])
            session["_fresh"] = True
        self.statements: list[str] = []

        self.captured: list[tuple] = []

        def listen(conn, cursor, statement, parameters, *args):
            self.statements.append(statement)
            self.captured.append((statement, parameters))

        with self.app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", listen)
        self.turn = 0

    def _get(self, client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    def month_page(self) -> None:
        self._get(self.client, f"/?view=month&month={YEAR}-06")

    def society_feed(self) -> None:
        FEEDS.clear()
        FRAGMENTS.clear()
        self.turn += 1
        self._get(self.client, f"/feeds/societies/s{self.turn % 40}.ics")

    def conflict_check(self) -> None:
        with self.app.app_context(), self.app.test_request_context():
            self.turn += 1
            event = candidate(self.turn)
            self.statements.clear()  # the look-ups of its venue and host are the caller's
            self.captured.clear()
            check_event(event)
            db.session.rollback()

    def quota_dashboard(self) -> None:
        self._get(self.organizer, f"/admin/quotas?year={YEAR}")

    def quota_recompute(self) -> None:
        self._get(self.organizer, f"/admin/quotas?year={YEAR}&fresh=1")

    OPERATIONS = ("month_page", "society_feed", "conflict_check", "quota_dashboard")
    # Printed for the record, not held to the target: what a worker pays when it recomputes
    # the figures (at most once a minute after changes, see QUOTA_DASHBOARD_STALE_SECONDS).
    INFORMATIONAL = ("quota_recompute",)

    def measure(self, name: str) -> tuple[float, int]:
        operation = getattr(self, name)
        self.statements.clear()
        self.captured.clear()
        begin = time.perf_counter()
        operation()
        elapsed = time.perf_counter() - begin
        queries = sum(1 for s in self.statements if not s.startswith(("BEGIN", "SAVEPOINT")))
        return elapsed, queries


def compare(province: Scale, nation: Scale) -> bool:
    ok = True
    print(f"{'operation':<16} {'province ms':>11} {'nation ms':>10} {'ratio':>6}  queries")
    for name in Scale.OPERATIONS + Scale.INFORMATIONAL:
        province.measure(name), nation.measure(name)  # warm both
        times: dict[int, list[float]] = {PROVINCE: [], NATION: []}
        queries: dict[int, set[int]] = {PROVINCE: set(), NATION: set()}
        for _ in range(REPEATS):  # interleaved: noise hits both scales alike
            for scale in (province, nation):
                elapsed, n = scale.measure(name)
                times[scale.n].append(elapsed)
                queries[scale.n].add(n)
        small, large = statistics.median(times[PROVINCE]), statistics.median(times[NATION])
        ratio = large / small
        # Constant: no more queries at nation scale than at province scale, whatever the
        # data (an eager load is skipped when no row needs it), and one count per scale.
        same = len(queries[NATION]) == 1 and max(queries[NATION]) <= min(queries[PROVINCE])
        if name in Scale.INFORMATIONAL:
            name += " *"
        else:
            ok = ok and ratio <= 2 and same
        q = f"{sorted(queries[PROVINCE])} -> {sorted(queries[NATION])}"
        print(f"{name:<16} {small * 1000:11.1f} {large * 1000:10.1f} {ratio:6.2f}  {q}")
    print("* for the record, no target: a worker recomputing the quota figures")
    return ok


def explain(scale: Scale) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT each operation issues at this scale."""
    for name in Scale.OPERATIONS:
        scale.measure(name)  # outside an app context: each request gets its own
        statements = [(s, p) for s, p in scale.captured if s.lstrip().upper().startswith("SELECT")]
        print(f"\n### {name}: {len(statements)} SELECT statements")
        with scale.app.app_context():
            raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print("\n```sql\n" + statement.strip() + "\n```\n```\n" + plan + "\n```")
            raw.rollback()
        finally:
            raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed-only", action="store_true", help="fill DATABASE_URL and stop")
    parser.add_argument("--explain", action="store_true", help="print the hot queries' plans")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp())
    if args.seed_only:
        url = os.environ.get("DATABASE_URL")
        if not url:
            sys.exit("--seed-only needs DATABASE_URL (a PostgreSQL database to fill)")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        begin = time.perf_counter()
        scale = Scale(url, NATION, instance)
        print(f"seeded {scale.counts} in {time.perf_counter() - begin:.0f} s")
        return
    from tests.pg import Cluster

    cluster = Cluster()
    cluster.start()
    try:
        urls = {n: cluster.create_database(f"scale{n}") for n in (PROVINCE, NATION)}
        scales = {}
        for n, url in urls.items():
            begin = time.perf_counter()
            scales[n] = Scale(url.replace("postgresql://", "postgresql+psycopg://", 1), n, instance)
            print(f"seeded {n:,} events {scales[n].counts} in {time.perf_counter() - begin:.0f} s")
        ok = compare(scales[PROVINCE], scales[NATION])
        if args.explain:
            explain(scales[NATION])
        for scale in scales.values():
            with scale.app.app_context():
                db.engine.dispose()
    finally:
        cluster.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
