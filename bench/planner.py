"""Benchmark: plan a province's year with the solver and with a greedy baseline.

    .venv/bin/python bench/planner.py [--time-limit 30] [--seed 1]

Builds a throw-away SQLite database with bulk inserts: 300 societies, 100 venues, 60
experts, the year's campaigns, 3,000 approved events, 10 series (about 150 sessions: 10
岭南科学论坛, 26 biweekly enterprise forums, 52 weekly lectures, the academic-month launch
and forums, ...) and 400 host applications. Then it loads the planner's input, solves it
within the time limit, re-checks the plan with the conflict engine, runs the greedy baseline
(earliest free slot, first applicant) on the same input, and prints both side by side.
Exits non-zero when the solver's plan has a conflict or none is found.

    .venv/bin/python bench/planner.py --instance four-times [--time-limit 30]

Four times a province (``bench/planner_scale.py``: 28 series, 168 sessions, 160 societies,
48 venues, plain values): time to the first plan, optimal or the final gap, whether two runs
give the same plan, the deterministic seconds per wall second of the search, and the time
the explanations of three infeasible variants take. ``--instance all`` runs both.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from bench import planner_scale
from scheduler import create_app
from scheduler.campaigns.models import Campaign
from scheduler.events.models import Event, Occurrence, event_speakers
from scheduler.extensions import db
from scheduler.people.models import Person
from scheduler.planner.core import candidates as cd
from scheduler.planner.core import greedy, verify
from scheduler.planner.core.score import score, total
from scheduler.planner.core.solve import prepare, solve
from scheduler.planner.load import Request, find_series, load_instance
from scheduler.planner.models import HostApplication, SeriesPlanning
from scheduler.planner.phrases import phrase
from scheduler.series.models import Series
from scheduler.societies.models import Society
from scheduler.venues.models import Venue

YEAR = 2027
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
CITIES = ["广州", "深圳", "珠海", "佛山", "东莞", "汕头", "湛江", "惠州", "江门", "肇庆"]
CAPACITIES = [80, 120, 150, 200, 250, 300, 400, 500, 800, 1200]
N_SOCIETIES, N_VENUES, N_PEOPLE, N_EVENTS = 300, 100, 60, 3000
FIXED_HOURS = [(9, 0), (12, 0), (14, 30), (19, 0)]

# slug, name, kind, sessions, minutes, slots, weekdays, months, spacing, people,
# per host, avoid holidays, avoid weekends, default venue, campaign, launch, applications
SERIES = [
    ("lingnan-forum", "岭南科学论坛", "forum", 10, 180, ["14:30"], [], list(range(3, 13)),
     14, 300, 1, True, False, None, None, False, 40),
    ("enterprise-biweekly", "企业双周论坛", "forum", 26, 150, ["14:30"], [3], [],
     10, 180, 3, True, False, 1, None, False, 50),
    ("society-lecture-hall", "学会大讲堂", "lecture", 52, 120, ["10:00"], [5, 6], [],
     5, 250, 4, False, False, 2, None, False, 120),
    ("academic-month-launch", "学术活动月启动式", "academic_month", 1, 150, ["09:30"], [], [],
     0, 800, 1, False, False, None, "academic-month", True, 10),
    ("academic-month-forum", "学术活动月专题论坛", "academic_month", 16, 180,
     ["09:30", "14:30"], [], [], 0, 200, 1, True, False, None, "academic-month", False, 60),
    ("secretary-salon", "秘书长沙龙", "salon", 3, 150, ["14:30"], [], [4, 7, 11],
     60, 60, 1, True, True, None, None, False, 20),
    ("journal-forum", "期刊发展论坛", "conference", 1, 480, ["09:00"], [], [3],
     0, 200, 1, True, True, None, None, False, 10),
    ("science-day-activity", "全国科普日主题活动", "science_day", 10, 180, ["09:30", "14:30"],
     [], [], 0, 150, 1, False, False, None, "science-day", False, 40),
    ("popular-science-hall", "科普大讲堂", "lecture", 24, 120, ["15:00"], [6], [],
     10, 150, 2, False, False, None, None, False, 40),
    ("society-work-meeting", "全省学会工作会议", "conference", 1, 360, ["09:00"], [], [10, 11, 12],
     0, 300, 1, True, True, None, None, False, 10),
]  # fmt: skip
AVOID = {"lingnan-forum": ["science_day"], "enterprise-biweekly": ["academic_month"]}


def seed_province(rng: random.Random) -> None:
    conn = db.session.connection()
    created = datetime(2026, 1, 1, tzinfo=UTC)
    conn.execute(
        sa.insert(Society),
        [
            {"slug": f"s{i}", "name": f"学会{i}", "short_name": "", "kind": "provincial",
             "discipline": "", "city": CITIES[i % len(CITIES)], "contact_name": "",
             "contact_email": "", "contact_phone": "", "active": True, "min_events_per_year": 1,
             "created_at": created}
            for i in range(1, N_SOCIETIES + 1)
        ],
    )  # fmt: skip
    conn.execute(
        sa.insert(Venue),
        [
            {"slug": f"v{i}", "name": f"报告厅{i}", "address": "",
             "city": "广州" if i <= 2 else CITIES[i % len(CITIES)],
             "capacity": 400 if i <= 2 else CAPACITIES[i % len(CAPACITIES)],
             "buffer_minutes": 30, "is_online": False, "stream_url": "", "active": True}
            for i in range(1, N_VENUES + 1)
        ],
    )  # fmt: skip
    conn.execute(
        sa.insert(Person),
        [
            {"slug": f"p{i}", "name": f"专家{i}", "title": "", "affiliation": ""}
            for i in range(1, N_PEOPLE + 1)
        ],
    )
    launch = datetime(YEAR, 10, 8, 9, 30, tzinfo=TZ).astimezone(UTC)
    sd = date(YEAR, 9, 18)
    conn.execute(
        sa.insert(Campaign),
        [
            {"id": 1, "slug": f"academic-month-{YEAR}", "name": "学术活动月", "theme": "",
             "kind": "academic_month", "description": "", "start_date": date(YEAR, 10, 1),
             "end_date": date(YEAR, 10, 31), "launch_at": launch, "participation_target": None},
            {"id": 2, "slug": f"science-day-{YEAR}", "name": "全国科普日", "theme": "",
             "kind": "science_day", "description": "", "start_date": sd,
             "end_date": sd + timedelta(days=6), "launch_at": None, "participation_target": None},
        ],
    )  # fmt: skip
    campaign_ids = {"academic-month": 1, "science-day": 2}
    series_rows, planning_rows = [], []
    for n, row in enumerate(SERIES, start=1):
        (slug, name, kind, sessions, minutes, slots, weekdays, months, spacing, people,
         per_host, holidays, weekends, venue, campaign, launch_flag, _apps) = row  # fmt: skip
        series_rows.append(
            {"id": n, "slug": slug, "name": name, "kind": kind, "description": "",
             "cadence_rrule": "", "target_min": sessions, "target_max": sessions,
             "max_per_host": per_host, "preferred_months": months, "preferred_weekdays": weekdays,
             "default_venue_id": venue, "default_start_time": slots[0],
             "duration_minutes": minutes, "min_spacing_days": spacing,
             "expected_attendance": people, "avoid_holidays": holidays,
             "avoid_weekends": weekends, "color": "#1f6feb", "active": True}
        )  # fmt: skip
        planning_rows.append(
            {"series_id": n, "time_slots": slots, "at_launch": launch_flag, "city": "",
             "inside_campaign_id": campaign_ids.get(campaign),
             "avoid_campaigns": AVOID.get(slug, [])}
        )  # fmt: skip
    conn.execute(sa.insert(Series), series_rows)
    conn.execute(sa.insert(SeriesPlanning), planning_rows)
    applications = []
    for n, row in enumerate(SERIES, start=1):
        for k, society in enumerate(rng.sample(range(1, N_SOCIETIES + 1), row[-1])):
            wishes = rng.random()
            months = sorted(rng.sample(range(1, 13), rng.randint(1, 3))) if wishes < 0.5 else []
            dates = []
            if 0.5 <= wishes < 0.6:
                dates = [
                    (date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()
                    for _ in range(3)
                ]
            unavailable = [
                (date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()
                for _ in range(rng.choice((0, 0, 2, 5)))
            ]
            speakers = [rng.randrange(1, N_PEOPLE + 1)] if rng.random() < 0.1 else []
            applications.append(
                {"society_id": society, "series_id": n, "year": YEAR,
                 "preferred_months": months, "preferred_dates": dates,
                 "unavailable_dates": unavailable, "speaker_ids": speakers, "note": "",
                 "created_at": created + timedelta(minutes=k)}
            )  # fmt: skip
    conn.execute(sa.insert(HostApplication), applications)

    events, occurrences, speakers = [], [], []
    used: set = set()

    def add_event(venue, host, start, hours, series_id=None):
        event_id = len(events) + 1
        end = start + timedelta(hours=hours)
        events.append(
            {"id": event_id, "title": f"活动{event_id}", "description": "", "kind": "forum",
             "status": "approved", "decision_reason": "", "host_id": host, "venue_id": venue,
             "series_id": series_id, "online_url": "", "start_at": start, "end_at": end,
             "all_day": False, "rrule": "", "exdates": [], "overrides": {},
             "expected_attendance": 80, "is_major": False, "sequence": 1,
             "created_at": created, "updated_at": created}
        )  # fmt: skip
        occurrences.append(
            {"event_id": event_id, "recurrence_id": start, "start_at": start, "end_at": end,
             "blocked_until": end + timedelta(minutes=30), "venue_id": venue, "host_id": host,
             "series_id": series_id, "city": CITIES[venue % len(CITIES)], "holds_slot": True,
             "cancelled": False, "public": True}
        )  # fmt: skip
        return event_id

    # Last year's sessions of the series: who hosted them counts for the rotation.
    for n, row in enumerate(SERIES, start=1):
        for k in range(min(row[3], 10)):
            start = datetime(YEAR - 1, 3 + k % 9, 10 + k % 15, 14, 30, tzinfo=TZ).astimezone(UTC)
            add_event(1 + (n + k) % N_VENUES, rng.randrange(1, N_SOCIETIES + 1), start, 2, n)
    while len(events) < N_EVENTS + sum(min(row[3], 10) for row in SERIES):
        venue = rng.randrange(1, N_VENUES + 1)
        day = rng.randrange(365)
        hour, minute = rng.choice(FIXED_HOURS)
        if (venue, day, hour) in used:
            continue
        used.add((venue, day, hour))
        local = datetime(YEAR, 1, 1, hour, minute, tzinfo=TZ) + timedelta(days=day)
        event_id = add_event(venue, rng.randrange(1, N_SOCIETIES + 1), local.astimezone(UTC), 2)
        if rng.random() < 0.3:
            speakers.append({"event_id": event_id, "person_id": rng.randrange(1, N_PEOPLE + 1)})
    conn.execute(sa.insert(Event), events)
    conn.execute(sa.insert(Occurrence), occurrences)
    conn.execute(sa.insert(event_speakers), speakers)
    db.session.commit()


# --- measures -------------------------------------------------------------------------------


def measures(inst, assignments, bookings) -> dict:
    checks = verify.check_plan(inst, assignments, bookings)
    by_series = defaultdict(list)
    for a in assignments:
        by_series[a.series_id].append(a)
    deviation, gaps, second, wished, hits, home = 0, 0, 0, 0, 0, 0
    apps = {(a.series_id, a.host_id): a for a in inst.applications}
    hosts = {h.id: h for h in inst.hosts}
    venues = {v.id: v for v in inst.venues}
    for s in inst.series:
        items = sorted(by_series.get(s.id, []), key=lambda a: a.start)
        gap = cd.ideal_gap(inst, s, cd.series_candidates(inst, s))
        days = [a.start.astimezone(inst.tz).date() for a in items]
        if gap:
            for a, b in itertools.pairwise(days):
                deviation += abs((b - a).days - gap)
                gaps += 1
        counts = defaultdict(int, s.host_counts)
        for a in items:
            counts[a.host_id] += 1
        waiting = [
            x
            for x in cd.applicants(inst, s)
            if counts[x.host_id] == 0 and cd.remaining(s, x.host_id)
        ]
        if waiting:
            second += sum(max(0, n - 1) for n in counts.values())
        for a in items:
            app = apps.get((s.id, a.host_id))
            day = a.start.astimezone(inst.tz).date()
            if app and (app.preferred_months or app.preferred_dates):
                wished += 1
                hits += day.month in app.preferred_months or day in app.preferred_dates
            host = hosts.get(a.host_id)
            home += bool(host and host.city == venues[a.venue_id].city)
    planned = len(assignments)
    rules = defaultdict(int)
    for c in checks:
        for f in c.conflicts:
            rules[f.rule] += 1
    found = verify.conflicts(checks)
    detail = ", ".join(f"{n} {rule}" for rule, n in sorted(rules.items()))
    return {
        "sessions planned": f"{planned} / {sum(s.sessions for s in inst.series)}",
        "hard conflicts (conflict engine)": f"{found} ({detail})" if found else "0",
        "spread: mean deviation from the ideal gap (days)": f"{deviation / max(1, gaps):.1f}",
        "fairness: 2nd sessions while others waited": second,
        "host wishes met (sessions whose host had wishes)": f"{hits} / {wished}",
        "sessions in the host's city": f"{home} / {planned}",
        "hosted last year again": sum(
            1 for a in assignments if a.host_id in _series(inst)[a.series_id].hosted_last_year
        ),
        "objective (lower is better)": total(score(inst, assignments)),
    }


def _series(inst):
    return {s.id: s for s in inst.series}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1, help="the solver's random seed")
    parser.add_argument("--data-seed", type=int, default=7, help="seed of the generated province")
    parser.add_argument(
        "--instance", choices=("province", "four-times", "all"), default="all",
        help="which instance to measure",
    )  # fmt: skip
    args = parser.parse_args()
    ok = True
    if args.instance in ("province", "all"):
        ok = province(args)
    if args.instance in ("four-times", "all"):
        four_times_bench(args)
    if not ok:
        sys.exit(1)


def four_times_bench(args) -> None:
    """The 4x province: first plan, optimality, determinism, explanations."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context("/?lang=en"):
        inst = planner_scale.four_times()
        print(
            f"\n4x province: {len(inst.series)} series, "
            f"{sum(s.sessions for s in inst.series)} sessions, {len(inst.hosts)} societies, "
            f"{len(inst.venues)} venues, {len(inst.applications)} applications; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        runs = [solve(inst, args.time_limit, args.seed) for _ in range(2)]
        for n, r in enumerate(runs, start=1):
            st = r.stats
            rate = st["deterministic_seconds"] / max(1e-9, st["search_seconds"])
            print(
                f"run {n}: first plan after {st['first_plan_seconds']} s, "
                f"{st.get('first_plan_in_search')} s into the search ({st['hint']} greedy "
                f"hint); {r.status}, objective {r.objective}, best bound {r.best_bound:.0f}, gap "
                f"{100 * (r.gap or 0):.2f} %, {r.wall_seconds:.1f} s (limit "
                f"{args.time_limit:.0f} s), stopped by {st['stopped_by']}, "
                f"{st['deterministic_seconds']:.2f} deterministic s in {st['search_seconds']:.1f} "
                f"s of search ({rate:.3f} per wall second)"
            )
        same = [_key(r) for r in runs]
        stops = ", ".join(r.stats["stopped_by"] for r in runs)
        print(f"same plan on both runs: {'yes' if same[0] == same[1] else 'no'} ({stops})")
        # What the deterministic budget of the time limit reaches, whatever the load: the
        # wall clock (10x the limit) does not stop it. Twice, for determinism.
        fixed = [
            solve(inst, args.time_limit, args.seed, wall_limit=10 * args.time_limit)
            for _ in range(2)
        ]
        for r in fixed:
            print(
                f"deterministic budget only ({r.stats['deterministic_seconds']:.2f} s used): "
                f"{r.status}, objective {r.objective}, best bound {r.best_bound:.0f}, gap "
                f"{100 * (r.gap or 0):.2f} %, stopped by {r.stats['stopped_by']}, "
                f"{r.wall_seconds:.1f} s of wall clock at this load"
            )
        same = _key(fixed[0]) == _key(fixed[1])
        print(f"same plan on both deterministic runs: {'yes' if same else 'no'}")
        for name, variant in planner_scale.VARIANTS.items():
            r = solve(variant(planner_scale.four_times()), args.time_limit, args.seed)
            lines = [
                phrase(n.to_json()) for n in r.notes if n.code in ("not_planned", "fewer_counted")
            ]
            lines += [phrase(x.to_json()) for x in r.reasons]
            print(
                f"variant '{name}': {r.status}, explanation in {r.stats['explain_seconds']:.2f} s "
                f"({100 * r.stats['explain_seconds'] / args.time_limit:.1f} % of the limit), "
                f"run {r.wall_seconds:.1f} s"
            )
            for line in lines:
                print(f"    {line}")


def _key(result) -> list:
    return [(a.series_id, a.start, a.venue_id, a.host_id) for a in result.assignments]


def province(args) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/planner.db")
        with app.app_context(), app.test_request_context():
            db.create_all()
            began = time.perf_counter()
            seed_province(random.Random(args.data_seed))
            seeded = time.perf_counter() - began
            request = Request(year=YEAR, series=find_series(None), time_limit=args.time_limit)
            began = time.perf_counter()
            loaded = load_instance(request, now=NOW)
            load_seconds = time.perf_counter() - began
            inst = loaded.instance
            print(
                f"province: {N_SOCIETIES} societies, {N_VENUES} venues, {N_EVENTS:,} fixed events, "
                f"{len(inst.series)} series, {len(inst.applications)} applications "
                f"(seeded in {seeded:.1f} s, input loaded in {load_seconds:.2f} s)"
            )
            result = solve(inst, args.time_limit, args.seed)
            prepared, _notes, _counted = prepare(inst)
            st = result.stats
            print(
                f"model: {st['sessions']} sessions, {st['booleans']:,} booleans, "
                f"{st['constraints']:,} constraints, {st['intervals']:,} optional intervals"
            )
            print(
                f"solver: {result.status}, objective {result.objective}, best bound "
                f"{result.best_bound:.0f}, gap {100 * (result.gap or 0):.1f} %, "
                f"{result.wall_seconds:.1f} s (limit {args.time_limit:.0f} s, seed {args.seed}; "
                f"stopped by {st['stopped_by']}, {st['deterministic_seconds']:.2f} "
                "deterministic s)"
            )
            began = time.perf_counter()
            base = greedy.baseline(prepared)
            base_seconds = time.perf_counter() - began
            ours = measures(prepared, result.assignments, loaded.bookings)
            theirs = measures(prepared, base, loaded.bookings)
            print(f"greedy baseline: {base_seconds:.2f} s")
            print()
            print("| measure | CP-SAT planner | greedy baseline |")
            print("| --- | --- | --- |")
            for key in ours:
                print(f"| {key} | {ours[key]} | {theirs[key]} |")
            print()
            print("penalty by soft goal (planner):", {k: v for k, v in result.score.items() if v})
            return result.found and ours["hard conflicts (conflict engine)"] == "0"


if __name__ == "__main__":
    main()
