"""Benchmark: the public site as a visitor sees it, over HTTP, against the deploy defaults.

    .venv/bin/python bench/pages.py                    # province: 3,000 events (about 5 min)
    .venv/bin/python bench/pages.py --nation           # nation: 100,000 events
    .venv/bin/python bench/pages.py --seconds 3 --concurrency 8   # a quick look
    WEB_MAX_REQUESTS=0 .venv/bin/python bench/pages.py # any deploy setting, from the env

A throw-away PostgreSQL cluster (tests/pg.py) gets the bulk seed of bench/seed_nation.py
(ten series, the October campaign) while deploy/serve.sh migrates it and starts gunicorn with
deploy/gunicorn.conf.py's defaults (4 sync workers, worker recycling) beside the scheduler.
wrk (`apt-get install wrk`) then drives each public endpoint, one at a time, at each
concurrency: /healthz, the month, week and list views, an event page, the API's month of
events, a conflict check (POST, bearer token) and /calendar.ics. Each is measured warm (after
one second of warm-up) and right after a change (an event renamed through the API just
before the run, so the run starts on rebuilt pages; one more request sent beside wrk times
the first answer). Prints req/s, p50/p99, that first answer, the ratio to /healthz at the
same concurrency in this run, the non-2xx/3xx count, the RSS of each worker at the start and
the end, and how many times gunicorn recycled a worker. Exit status 1 when a warm ratio
misses its target (month, week, list, event, API >= 0.5; conflict check >= 0.3;
/calendar.ics >= 1.0), a response was not 2xx/3xx or a run got no answer at all; --json
FILE writes the figures.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import MIGRATED, Server, free_port, wait_for_log, wait_ready  # noqa: E402
from bench.seed_nation import NATION, PROVINCE, YEAR, seed_scale  # noqa: E402
from scheduler import create_app  # noqa: E402
from scheduler.events.models import Event  # noqa: E402
from scheduler.extensions import db  # noqa: E402

TARGETS = {"month": 0.5, "week": 0.5, "list": 0.5, "event": 0.5, "api": 0.5,
           "conflicts": 0.3, "ics": 1.0}  # fmt: skip
ORGANIZER = "organizer@example.org"  # made by seed_scale
WARM_UP_SECONDS = 120


@dataclass
class Figure:
    endpoint: str
    concurrency: int
    state: str  # "warm" or "after change"
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # not 2xx/3xx, or socket errors and timeouts
    first_ms: float | None = None  # after a change: the first answer, timed beside wrk
    ratio: float | None = None


def endpoints(event_id: int) -> dict[str, str]:
    return {
        "healthz": "/healthz",
        "month": f"/?view=month&month={YEAR}-10",
        "week": f"/?view=week&week={YEAR}-10-11",
        "list": f"/?view=list&from={YEAR}-10-01",
        "event": f"/events/{event_id}",
        "api": f"/api/v1/events?from={YEAR}-10-01&to={YEAR}-10-31",
        "conflicts": "/api/v1/conflicts/check",
        "ics": "/calendar.ics",
    }


def conflict_body(venue_slug: str) -> str:
    return json.dumps({
        "title": "压测冲突检查", "kind": "lecture", "host": "s1", "venue": venue_slug,
        "start": f"{YEAR}-10-15T09:00", "end": f"{YEAR}-10-15T11:00",
        "expected_attendance": 80,
    }, ensure_ascii=False)  # fmt: skip


def lua_script(folder: Path, token: str, body: str) -> Path:
    """wrk's request for the conflict check: POST, JSON, bearer token."""
    path = folder / "conflicts.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body, ensure_ascii=False)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    )
    return path


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def run_wrk(url: str, concurrency: int, seconds: int, script: Path | None) -> dict:
    command = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{seconds}s",
               "--latency", "--timeout", "120s", url]  # fmt: skip
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 180).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    if not (rps and done and p50 and p99):
        raise RuntimeError(f"wrk printed no figures for {url}:\n{out}")
    failures = int(bad.group(1)) if bad else 0
    if errors:  # connect errors do not count: a recycled worker's closed socket is retried
        failures += int(errors.group(2)) + int(errors.group(3)) + int(errors.group(4))
    return {"rps": float(rps.group(1)), "requests": int(done.group(1)), "bad": failures,
            "p50_ms": _ms(p50.group(1)), "p99_ms": _ms(p99.group(1))}  # fmt: skip


def prepare(url: str, n_events: int, stamp: Path) -> dict:
    """Seed the database and find what the endpoints need; ``stamp`` is the server's."""
    from scheduler.accounts.service import issue_token
    from scheduler.venues.models import Venue

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(stamp))
    with app.app_context():
        seed_scale(n_events)
        october = sa.select(Event.id).where(Event.start_at >= sa.func.make_date(YEAR, 10, 12))
        event_id = db.session.scalar(october.order_by(Event.start_at).limit(1))
        venue = db.session.scalar(sa.select(Venue.slug).order_by(Venue.id).limit(1))
        token = issue_token(ORGANIZER, "bench/pages.py")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"event_id": event_id, "venue": venue, "token": token}


def change(base: str, token: str, event_id: int, n: int) -> None:
    """Rename one event through the API: the public data version moves."""
    response = requests.patch(
        f"{base}/api/v1/events/{event_id}",
        json={"title": f"活动{event_id}（第{n}次修改）"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    if response.status_code != 200:
        raise RuntimeError(f"the change was refused: {response.status_code} {response.text[:300]}")


def workers_rss(server: Server) -> list[float]:
    """MiB resident per gunicorn worker (the master's children)."""
    master = server.started()[0]
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        parent = re.search(r"PPid:\s+(\d+)", text)
        rss = re.search(r"VmRSS:\s+(\d+) kB", text)
        if parent and rss and int(parent.group(1)) == master:
            sizes.append(round(int(rss.group(1)) / 1024, 1))
    return sorted(sizes)


def send(url: str, plan: dict, post: bool) -> requests.Response:
    if not post:
        return requests.get(url, timeout=300)
    headers = {"Authorization": f"Bearer {plan['token']}", "Content-Type": "application/json"}
    return requests.post(url, data=plan["conflict_body"].encode(), headers=headers, timeout=300)


def timed_first(url: str, plan: dict, post: bool) -> tuple[threading.Thread, dict]:
    """One request sent beside wrk right after a change: how long the rebuild keeps a
    visitor waiting (a wrk run shorter than the rebuild completes no request at all)."""
    answer: dict = {}

    def go():
        clock = time.monotonic()
        try:
            answer["status"] = send(url, plan, post).status_code
        except requests.RequestException as exc:
            answer["status"] = repr(exc)
        answer["ms"] = (time.monotonic() - clock) * 1000

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, answer


def warm_up(url: str, plan: dict, post: bool, workers: int) -> None:
    """Sequential requests until each worker has probably served one (a cold build can
    take seconds on a busy machine: a short wrk run would end before any finished), for at
    most WARM_UP_SECONDS."""
    deadline = time.monotonic() + WARM_UP_SECONDS
    for _ in range(2 * workers):
        if time.monotonic() > deadline:
            break
        send(url, plan, post)


def measure(base: str, plan: dict, args, script: Path) -> list[Figure]:
    urls = endpoints(plan["event_id"])
    figures: list[Figure] = []
    changes = 0
    for concurrency in args.concurrency:
        for state in ("warm", "after change"):
            for name, path in urls.items():
                if state == "after change" and name == "healthz":
                    continue
                post, first = name == "conflicts", None
                if state == "warm":
                    warm_up(base + path, plan, post, args.workers)
                else:
                    changes += 1
                    change(base, plan["token"], plan["event_id"], changes)
                    first = timed_first(base + path, plan, post)
                result = run_wrk(base + path, concurrency, args.seconds, script if post else None)
                figure = Figure(name, concurrency, state, **result)
                if first:
                    first[0].join(300)
                    figure.first_ms = round(first[1].get("ms", 300_000), 1)
                    figure.bad += first[1].get("status") not in (200, 304)
                figures.append(figure)
                print(f"  {name:9} c={concurrency:<3} {state:12} {figure.rps:8.1f} req/s "
                      f"p50 {figure.p50_ms:8.1f} ms  p99 {figure.p99_ms:8.1f} ms  "
                      f"first {figure.first_ms} ms  bad {figure.bad}", flush=True)  # fmt: skip
    for figure in figures:
        health = next(f for f in figures if f.endpoint == "healthz"
                      and f.concurrency == figure.concurrency)  # fmt: skip
        figure.ratio = round(figure.rps / health.rps, 2) if health.rps else None
    return figures


def report(figures: list[Figure], setting: str) -> list[str]:
    print(f"\n{setting}\n")
    header = ("endpoint concurrency state req/s p50_ms p99_ms first_answer_ms "
              "ratio_to_/healthz not_2xx/3xx")  # fmt: skip
    print("| " + " | ".join(h.replace("_", " ") for h in header.split()) + " |")
    print("|" + " --- |" * len(header.split()))
    for f in figures:
        first = "" if f.first_ms is None else f"{f.first_ms:.0f}"
        print(f"| {f.endpoint} | {f.concurrency} | {f.state} | {f.rps:.0f} | {f.p50_ms:.1f} | "
              f"{f.p99_ms:.1f} | {first} | {f.ratio} | {f.bad} |")  # fmt: skip
    problems = [f"{f.endpoint} c={f.concurrency} {f.state}: {f.bad} responses not 2xx/3xx"
                for f in figures if f.bad]  # fmt: skip
    problems += [f"{f.endpoint} c={f.concurrency} {f.state}: no answer within the run"
                 for f in figures if not f.requests]  # fmt: skip
    for f in figures:
        target = TARGETS.get(f.endpoint)
        if f.state == "warm" and target and (f.ratio or 0) < target:
            problems.append(f"{f.endpoint} c={f.concurrency}: ratio {f.ratio} < {target}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nation", action="store_true", help="100,000 events, not 3,000")
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--startup-timeout", type=float, default=300)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    from tests.pg import Cluster

    def interrupted(signum, frame):  # SIGTERM stops the server and the cluster like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    n_events = NATION if args.nation else PROVINCE
    cluster, server = Cluster(), None
    tmp = tempfile.TemporaryDirectory(prefix="scheduler-pages-")
    folder = Path(tmp.name)
    load_before = os.getloadavg()
    try:
        cluster.start()
        url = cluster.create_database("pages")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        stamp = folder / "instance" / "feed-version"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "JOBS_"))}
        env.update(
            DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), SCHEDULER_CONFIG="production",
            SCHEDULER_INSTANCE=str(folder / "instance"), FEED_VERSION_FILE=str(stamp),
            BIND=f"127.0.0.1:{port}", PUBLIC_BASE_URL=base, STOP_TIMEOUT="60",
            # One client address: the per-address feed limit would measure the limiter.
            FEED_RATE_LIMIT="100000000 per minute",
        )  # fmt: skip
        server = Server(env, folder / "serve.log")
        wait_for_log(server, MIGRATED, args.startup_timeout)
        clock = time.monotonic()
        plan = prepare(url, n_events, stamp)
        seeded = time.monotonic() - clock
        workers = args.workers = int(os.environ.get("WEB_WORKERS", 4))
        plan["conflict_body"] = conflict_body(plan["venue"])
        wait_ready(base, server, workers, args.startup_timeout)
        booted = server.booted_workers()
        rss_start = workers_rss(server)
        script = lua_script(folder, plan["token"], plan["conflict_body"])
        print(f"seeded {n_events} events in {seeded:.0f} s; {workers} workers; "
              f"load average before {load_before[0]:.1f}", flush=True)  # fmt: skip
        figures = measure(base, plan, args, script)
        rss = workers_rss(server)
        recycled = server.booted_workers() - booted
        setting = (
            f"bench/pages.py: {'nation' if args.nation else 'province'} ({n_events} events), "
            f"deploy/serve.sh defaults ({workers} workers, WEB_MAX_REQUESTS="
            f"{os.environ.get('WEB_MAX_REQUESTS', 'default')}), wrk {args.seconds:g} s per run; "
            f"workers recycled {recycled} times; RSS per worker {rss_start} MiB at the start, "
            f"{rss} MiB at the end; load average "
            f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores, shared)"
        )
        problems = report(figures, setting)
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"setting": setting, "rss_mib": rss, "rss_start_mib": rss_start,
                 "recycled": recycled,
                 "figures": [asdict(f) for f in figures], "problems": problems},
                ensure_ascii=False, indent=1))  # fmt: skip
        for problem in problems:
            print(f"MISSED: {problem}")
        return 1 if problems else 0
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
