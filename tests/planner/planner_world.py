"""Plain planner instances for the core tests, small enough to know their optimum."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.planner.core.types import (
    ApplicationInput,
    CampaignFacts,
    HostInput,
    Instance,
    SeriesFacts,
    VenueFacts,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


def at(*args) -> datetime:
    """Local wall time as aware UTC: at(2027, 5, 1, 14, 30)."""
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


# Three Saturdays in a two-week window: with 14 days between sessions, only 1 and 15 May.
MAY = CampaignFacts(
    id=1, name="五月论坛周", start_date=date(2027, 5, 1), end_date=date(2027, 5, 16)
)


def forum(**kw) -> SeriesFacts:
    values = {
        "id": 1,
        "slug": "lingnan",
        "name": "岭南科学论坛",
        "kind": "forum",
        "sessions": 2,
        "target_min": 2,
        "target_max": 2,
        "duration_minutes": 180,
        "slots": (time(14, 30),),
        "weekdays": frozenset({5}),
        "min_spacing_days": 14,
        "expected_attendance": 100,
        "max_per_host": 1,
        "avoid_holidays": False,
        "campaign": MAY,
        "hosted_last_year": frozenset({3}),
    }
    values.update(kw)
    return SeriesFacts(**values)


def venues(**kw):
    return (
        VenueFacts(id=1, name="广州报告厅", city="广州", capacity=120, buffer_minutes=30, **kw),
        VenueFacts(id=2, name="深圳会堂", city="深圳", capacity=300, buffer_minutes=30),
    )


HOSTS = (
    HostInput(id=1, name="广州甲学会", city="广州"),
    HostInput(id=2, name="深圳乙学会", city="深圳"),
    HostInput(id=3, name="广州丙学会", city="广州"),
)


def applications(series_id: int = 1):
    return (
        ApplicationInput(host_id=1, series_id=series_id, preferred_months=frozenset({5}), order=0),
        ApplicationInput(
            host_id=2, series_id=series_id, preferred_dates=frozenset({date(2027, 5, 8)}), order=1
        ),
        ApplicationInput(
            host_id=3,
            series_id=series_id,
            unavailable_dates=frozenset({date(2027, 5, 15)}),
            order=2,
        ),
    )


def small(**kw) -> Instance:
    """The known-optimum instance (see test_planner_core)."""
    values = {
        "year": 2027,
        "tz": TZ,
        "now": NOW,
        "series": (forum(),),
        "venues": venues(),
        "hosts": HOSTS,
        "applications": applications(),
    }
    values.update(kw)
    return Instance(**values)


def province(seed: int = 3, events: int = 300) -> Instance:
    """A random county: 3 series (26 sessions), 8 venues, 30 societies, fixed bookings."""
    rng = random.Random(seed)
    cities = ["广州", "深圳", "佛山"]
    busy = {v: [] for v in range(1, 9)}
    host_busy = {h: [] for h in range(1, 31)}
    for _ in range(events):
        start = at(2027, 1, 1, rng.choice((9, 14, 19)), 0) + timedelta(days=rng.randrange(365))
        span = (start, start + timedelta(hours=2))
        busy[rng.randrange(1, 9)].append(span)
        host_busy[rng.randrange(1, 31)].append(span)
    venue_list = tuple(
        VenueFacts(
            id=v,
            name=f"场馆{v}",
            city=cities[v % 3],
            capacity=100 + 60 * v,
            buffer_minutes=30,
            busy=tuple(sorted(busy[v])),
        )
        for v in range(1, 9)
    )
    hosts = tuple(
        HostInput(id=h, name=f"学会{h}", city=cities[h % 3], busy=tuple(sorted(host_busy[h])))
        for h in range(1, 31)
    )
    series = (
        forum(campaign=None, sessions=6, target_min=6, target_max=6, weekdays=frozenset(),
              preferred_months=frozenset(range(3, 13)), expected_attendance=300),
        SeriesFacts(id=2, slug="biweekly", name="企业双周论坛", kind="forum", sessions=12,
                    target_min=12, target_max=12, duration_minutes=150, slots=(time(14, 30),),
                    weekdays=frozenset({3}), min_spacing_days=10, expected_attendance=180,
                    max_per_host=2, default_venue_id=5),
        SeriesFacts(id=3, slug="lecture", name="学会大讲堂", kind="lecture", sessions=8,
                    target_min=8, target_max=8, duration_minutes=120, slots=(time(14, 0),),
                    weekdays=frozenset({5, 6}), min_spacing_days=20, expected_attendance=150,
                    max_per_host=1, avoid_holidays=False),
    )  # fmt: skip
    apps = []
    for s in series:
        for n, h in enumerate(rng.sample(range(1, 31), 12)):
            months = frozenset(rng.sample(range(1, 13), 2)) if rng.random() < 0.5 else frozenset()
            apps.append(ApplicationInput(host_id=h, series_id=s.id, preferred_months=months,
                                         order=n))  # fmt: skip
    return Instance(
        year=2027,
        tz=TZ,
        now=NOW,
        series=series,
        venues=venue_list,
        hosts=hosts,
        applications=tuple(apps),
    )


# --- a small province in the database (tests that take the ``app`` fixture) -------------------


def build_db_world():
    """Four societies (three applied to host 岭南科学论坛 in 2027), two halls, one booking.

    岭南科学论坛: three Saturday afternoons 14 days apart, preferably in May and June, for 150
    people. 丙 hosted it in 2026. The 广州 hall is booked on Saturday 8 May 2027 at 14:00.
    """
    from scheduler.accounts.models import Role
    from scheduler.enums import EventKind
    from scheduler.extensions import db
    from scheduler.planner.models import HostApplication
    from tests.factories import local, make_event, make_series, make_society, make_user
    from tests.factories import make_venue as venue

    a = make_society(slug="gd-a", name="广东甲学会", city="广州")
    b = make_society(slug="sz-b", name="深圳乙学会", city="深圳")
    c = make_society(slug="gd-c", name="广东丙学会", city="广州")
    d = make_society(slug="fs-d", name="佛山丁学会", city="佛山")
    hall = venue(slug="gz-hall", name="广州科学馆", city="广州", capacity=300, buffer_minutes=30)
    room = venue(slug="sz-room", name="深圳报告厅", city="深圳", capacity=200)
    venue(slug="tiny", name="小会议室", city="广州", capacity=30)
    lingnan = make_series(
        slug="lingnan",
        name="岭南科学论坛",
        kind=EventKind.FORUM,
        target_min=3,
        target_max=3,
        max_per_host=1,
        preferred_months=[5, 6],
        preferred_weekdays=[5],
        default_start_time="14:30",
        duration_minutes=180,
        min_spacing_days=14,
        expected_attendance=150,
        avoid_holidays=False,
    )
    make_event(start=local(2027, 5, 8, 14, 0), hours=2, venue=hall, host=d, title="已有活动")
    make_event(start=local(2026, 6, 6, 14, 30), hours=3, venue=hall, host=c, series=lingnan)
    for n, (society, months) in enumerate(((a, [5]), (b, [6]), (c, []))):
        db.session.add(
            HostApplication(
                society_id=society.id,
                series_id=lingnan.id,
                year=2027,
                preferred_months=months,
                preferred_dates=[],
                unavailable_dates=[],
                speaker_ids=[],
                created_at=at(2026, 10, 1 + n, 9, 0),
            )
        )
    organizer = make_user(Role.ORGANIZER, email="organizer@example.org")
    editor = make_user(Role.EDITOR, society=a, email="editor@example.org")
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "hall": hall,
        "room": room,
        "lingnan": lingnan,
        "organizer": organizer,
        "editor": editor,
    }
