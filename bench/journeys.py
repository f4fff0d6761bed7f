"""Benchmark: every page of the three users' journeys (issue #16) on the demo data, timed
over HTTP from localhost, as each user sees it.

    .venv/bin/python bench/journeys.py                 # PostgreSQL + deploy/serve.sh, 20 each
    .venv/bin/python bench/journeys.py --sqlite        # the demo's SQLite file, same gunicorn
    .venv/bin/python bench/journeys.py -n 50 --json journeys.json

A throw-away database gets `flask init-db` and `flask demo-data` (as `make run` loads it):
by default a PostgreSQL cluster (tests/pg.py) served by deploy/serve.sh with its defaults (4
sync workers and the scheduler); with --sqlite a SQLite file served by gunicorn with
deploy/gunicorn.conf.py (serve.sh refuses SQLite). Each page is requested N times in a row
(after two warm-up requests per worker) by the right user: the public anonymously (its
pages come from the page cache), the organizer and a society editor signed in. Prints p50
and p95 of the whole request per page and flags any p50 of BUDGET_MS (300 ms) or more;
exit status 1 when a page is flagged or answers anything but 200. Pages another area has
not built yet (search, entity pages) are listed as absent, not failed. Planner runs are not
timed (the issue excepts them); the plan page is timed when the demo has a plan.
"""

import argparse
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import MIGRATED, Server, free_port, wait_for_log, wait_ready  # noqa: E402

BUDGET_MS = 300.0
PASSWORD = "demo-password"  # scheduler/demo/data.py: DEMO_PASSWORD
ORGANIZER = "organizer@demo.example"
EDITOR = "editor.lingnan@demo.example"
EDITOR_SOCIETY = "gd-computer-society"
VENV = ROOT / ".venv" / "bin"
OPTIONAL = {"search", "society page", "venue page", "speaker page", "series page"}


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(VENV / "flask"), "--app", "scheduler", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def facts(env: dict) -> dict:
    """Ids and slugs the pages need, read from the seeded database."""
    code = (
        "import json, sqlalchemy as sa\n"
        "from scheduler import create_app\nfrom scheduler.extensions import db\n"
        "from scheduler.events.models import Event, event_speakers\n"
        "from scheduler.societies.models import Society\n"
        "from scheduler.venues.models import Venue\nfrom scheduler.people.models import Person\n"
        "from scheduler.series.models import Series\nfrom scheduler.planner.models import Plan\n"
        "app = create_app(None)\n"
        "with app.app_context():\n"
        "    s = db.session\n"
        "    first = lambda q: s.scalar(q.limit(1))\n"
        "    mine = sa.select(Society.id).where(Society.slug == SLUG).scalar_subquery()\n"
        "    print(json.dumps({\n"
        "      'submitted': first(sa.select(Event.id).where(Event.status == 'submitted')"
        ".order_by(Event.is_major.desc(), Event.start_at, Event.id)),\n"
        "      'approved': first(sa.select(Event.id).where(Event.status == 'approved')"
        ".order_by(Event.start_at.desc())),\n"
        "      'own': first(sa.select(Event.id).where(Event.host_id == mine)"
        ".order_by(Event.start_at.desc())),\n"
        "      'venue': first(sa.select(Venue.slug).where(Venue.is_online.is_(False))"
        ".order_by(Venue.id)),\n"
        "      'speaker': first(sa.select(Person.slug).join(event_speakers,"
        " event_speakers.c.person_id == Person.id).order_by(Person.id)),\n"
        "      'series': first(sa.select(Series.slug).order_by(Series.id)),\n"
        "      'plan': first(sa.select(Plan.id).order_by(Plan.id.desc())),\n"
        "    }))\n"
    ).replace("SLUG", repr(EDITOR_SOCIETY))
    done = subprocess.run([str(VENV / "python"), "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"reading the demo's ids failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pages(f: dict) -> list[tuple[str, str, str]]:
    """(who, page, path) of each journey."""
    out = [
        ("public", "list", "/"),
        ("public", "month", "/?view=month"),
        ("public", "week", "/?view=week"),
        ("public", "event", f"/events/{f['approved']}"),
        ("public", "search", "/search?q=%E5%B9%BF%E4%B8%9C%E7%A7%91%E5%AD%A6%E9%A6%86"),
        ("public", "society page", f"/societies/{EDITOR_SOCIETY}"),
        ("public", "venue page", f"/venues/{f['venue']}"),
        ("public", "speaker page", f"/speakers/{f['speaker']}"),
        ("public", "series page", f"/series/{f['series']}"),
        ("editor", "portal list", "/portal/"),
        ("editor", "portal event", f"/portal/events/{f['own']}"),
        ("editor", "portal form", "/portal/events/new"),
        ("editor", "edit form", f"/portal/events/{f['own']}/edit"),
        ("editor", "feeds page", "/portal/feeds"),
        ("editor", "society record", f"/societies/{EDITOR_SOCIETY}/record"),
        ("organizer", "approval queue", "/admin/approvals"),
        ("organizer", "decision page", f"/portal/events/{f['submitted']}"),
        ("organizer", "quota dashboard", "/admin/quotas"),
        ("organizer", "planner page", "/admin/planner"),
        ("organizer", "users", "/admin/users"),
        ("organizer", "outbox", "/admin/outbox"),
    ]
    if f.get("plan"):
        out.append(("organizer", "plan page", f"/admin/planner/plans/{f['plan']}"))
    return out


def plain_http(session: requests.Session) -> None:
    """Send the production config's Secure cookies over plain http to localhost."""
    for cookie in session.cookies:
        cookie.secure = False


def signed_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=60).text
    plain_http(session)
    token = re.search(r'name="csrf-token" content="([^"]+)"', form).group(1)
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    answer = session.post(f"{base}/login", data=data, timeout=60, allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"{email} could not sign in: {answer.status_code}")
    plain_http(session)
    return session


def time_page(session, url: str, n: int, warm: int) -> tuple[int, list[float]]:
    status = 0
    for _ in range(warm):  # templates compiled and caches filled in (probably) every worker
        status = session.get(url, timeout=120).status_code
        plain_http(session)
    times = []
    for _ in range(n):
        clock = time.perf_counter()
        status = session.get(url, timeout=120).status_code
        times.append((time.perf_counter() - clock) * 1000)
    return status, sorted(times)


def measure(base: str, f: dict, n: int, warm: int) -> list[dict]:
    sessions = {
        "public": requests.Session(),
        "editor": signed_in(base, EDITOR),
        "organizer": signed_in(base, ORGANIZER),
    }
    rows = []
    for who, name, path in pages(f):
        status, times = time_page(sessions[who], base + path, n, warm)
        row = {"who": who, "page": name, "path": path, "status": status}
        if status == 404 and name in OPTIONAL:
            row["absent"] = True
        else:
            row["p50_ms"] = round(statistics.median(times), 1)
            row["p95_ms"] = round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)
        rows.append(row)
        shown = "absent (404)" if row.get("absent") else (
            f"p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  {status}")  # fmt: skip
        slow = "  SLOW" if row.get("p50_ms", 0) >= BUDGET_MS else ""
        print(f"  {who:9} {name:16} {shown}{slow}", flush=True)
    return rows


def report(rows: list[dict], setting: str) -> list[str]:
    print(f"\n{setting}\n")
    print("| user | page | path | p50 ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        if r.get("absent"):
            print(f"| {r['who']} | {r['page']} | `{r['path']}` | absent | |")
        else:
            print(f"| {r['who']} | {r['page']} | `{r['path']}` | {r['p50_ms']:.0f} | "
                  f"{r['p95_ms']:.0f} |")  # fmt: skip
    problems = [f"{r['page']} ({r['path']}): status {r['status']}"
                for r in rows if not r.get("absent") and r["status"] != 200]  # fmt: skip
    problems += [f"{r['page']} ({r['path']}): p50 {r['p50_ms']} ms >= {BUDGET_MS:.0f} ms"
                 for r in rows if r.get("p50_ms", 0) >= BUDGET_MS]  # fmt: skip
    return problems


def serve_sqlite(env: dict, folder: Path) -> subprocess.Popen:
    """gunicorn with deploy/gunicorn.conf.py on the SQLite file (no scheduler process)."""
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen([str(VENV / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py")],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def wait_http(base: str, web: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({web.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{base} did not answer in {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20, help="timed requests per page")
    parser.add_argument("--sqlite", action="store_true", help="SQLite + gunicorn, not serve.sh")
    parser.add_argument("--startup-timeout", type=float, default=300)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    def interrupted(signum, frame):  # SIGTERM cleans up like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    tmp = tempfile.TemporaryDirectory(prefix="scheduler-journeys-")
    folder = Path(tmp.name)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "JOBS_"))}
    env.update(
        SECRET_KEY=secrets.token_hex(32), SCHEDULER_CONFIG="production",
        SCHEDULER_INSTANCE=str(folder / "instance"), BIND=f"127.0.0.1:{port}",
        FEED_VERSION_FILE=str(folder / "instance" / "feed-version"), PUBLIC_BASE_URL=base,
        STOP_TIMEOUT="60", WEB_WORKERS=env.get("WEB_WORKERS", "4"),
    )  # fmt: skip
    cluster = server = web = None
    load_before = os.getloadavg()
    try:
        if args.sqlite:
            env["DATABASE_URL"] = f"sqlite:///{folder / 'demo.db'}"
            flask(env, "init-db")
        else:
            from tests.pg import Cluster

            cluster = Cluster()
            cluster.start()
            env["DATABASE_URL"] = cluster.create_database("journeys")
            server = Server(env, folder / "serve.log")
            wait_for_log(server, MIGRATED, args.startup_timeout)
        clock = time.monotonic()
        flask(env, "demo-data")
        seeded = time.monotonic() - clock
        f = facts(env)
        if args.sqlite:
            web = serve_sqlite(env, folder)
            wait_http(base, web, folder / "gunicorn.log", args.startup_timeout)
        else:
            wait_ready(base, server, int(env["WEB_WORKERS"]), args.startup_timeout)
        print(f"demo data loaded in {seeded:.0f} s; {env['WEB_WORKERS']} workers; "
              f"load average before {load_before[0]:.1f}", flush=True)  # fmt: skip
        rows = measure(base, f, args.n, 2 * int(env["WEB_WORKERS"]))
        database = "SQLite, gunicorn" if args.sqlite else "PostgreSQL, deploy/serve.sh"
        setting = (
            f"bench/journeys.py: demo data, {database} ({env['WEB_WORKERS']} workers), "
            f"{args.n} sequential requests per page after {2 * int(env['WEB_WORKERS'])} to warm "
            f"up; load average "
            f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores, shared)"
        )
        problems = report(rows, setting)
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"setting": setting, "pages": rows, "problems": problems},
                ensure_ascii=False, indent=1))  # fmt: skip
        for problem in problems:
            print(f"MISSED: {problem}")
        return 1 if problems else 0
    finally:
        if web is not None:
            web.terminate()
            web.wait(60)
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
