"""Four times a province, as the planner's plain values (no database): 28 series with 168
sessions, 160 societies, 48 venues in eight cities of 四川, fixed bookings, closures and host
applications, generated deterministically from a seed. ``bench/planner.py`` measures it and
``tests/planner/test_planner_scale.py`` checks a first plan comes at once.

Three infeasible variants, each for one of the explanations the benchmark times:
``few_applicants`` (a series with fewer applicants than its minimum), ``closed_dates``
(a series whose halls close for most of its window, with its spacing) and ``shared_hall``
(two big series that only the one big hall holds, in the same short window).
"""

import random
from dataclasses import replace
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

YEAR = 2027
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 1, tzinfo=UTC)
CITIES = ["成都", "绵阳", "德阳", "宜宾", "南充", "乐山", "泸州", "自贡"]
CAPACITIES = [60, 100, 150, 220, 320, 500]  # six halls per city
BIG_HALL = 48  # the one hall for 1,000 people (成都)
SOCIETIES, BOOKINGS = 160, 1600
SCIENCE_WEEK = CampaignFacts(
    id=1, name="科技活动周", start_date=date(YEAR, 5, 16), end_date=date(YEAR, 5, 29)
)
ACADEMIC_MONTH = CampaignFacts(
    id=2, name="学术金秋月", start_date=date(YEAR, 10, 8), end_date=date(YEAR, 10, 31)
)

# name, kind, sessions, minutes, slots, weekdays, months, spacing, people, per host,
# campaign, avoid weekends, applicants — seven kinds, 42 sessions per region.
KINDS = [
    ("天府科技论坛", "forum", 8, 180, ("14:30",), (), range(3, 13), 21, 250, 1, None, True, 14),
    ("产业双周沙龙", "forum", 10, 150, ("14:00",), (3,), (), 14, 120, 2, None, True, 10),
    ("周末科普讲堂", "lecture", 12, 120, ("10:00",), (5,), (), 7, 200, 2, None, False, 12),
    ("青年学者茶叙", "salon", 3, 120, ("15:00",), (), (4, 7, 11), 45, 50, 1, None, True, 6),
    ("科技周主题活动", "science_day", 5, 180, ("09:30", "14:30"), (), (), 0, 150, 1,
     SCIENCE_WEEK, False, 10),
    ("学术月专题报告", "academic_month", 3, 180, ("09:00",), (), (), 3, 300, 1,
     ACADEMIC_MONTH, True, 8),
    ("学会年会", "conference", 1, 420, ("09:00",), (), (11, 12), 0, 400, 1, None, True, 5),
]  # fmt: skip


def _local(day: date, hh_mm: str) -> datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def _venues(rng: random.Random) -> list[VenueFacts]:
    busy = {v: [] for v in range(1, BIG_HALL + 1)}
    for _ in range(BOOKINGS):
        day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
        start = _local(day, rng.choice(("09:00", "13:30", "19:00")))
        busy[rng.randrange(1, BIG_HALL + 1)].append((start, start + timedelta(hours=3)))
    out = []
    for v in range(1, BIG_HALL):
        city = CITIES[(v - 1) // 6]
        closures = ()
        if v % 7 == 0:  # a few halls close for works
            first = date(YEAR, 1 + v % 12, 1)
            closures = ((first, first + timedelta(days=40)),)
        quarter = ["东", "西", "南", "北", "中", "新"][(v - 1) % 6]
        out.append(
            VenueFacts(id=v, name=f"{city}{quarter}区会堂",
                       city=city, capacity=CAPACITIES[(v - 1) % 6], buffer_minutes=30,
                       busy=tuple(sorted(busy[v])), closures=closures)
        )  # fmt: skip
    out.append(
        VenueFacts(id=BIG_HALL, name="天府国际会议中心", city="成都", capacity=1000,
                   buffer_minutes=60, busy=tuple(sorted(busy[BIG_HALL])))
    )  # fmt: skip
    return out


def _hosts(rng: random.Random) -> list[HostInput]:
    out = []
    for h in range(1, SOCIETIES + 1):
        spans = []
        for _ in range(rng.choice((0, 2, 4))):
            day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
            start = _local(day, "14:00")
            spans.append((start, start + timedelta(hours=3)))
        city = CITIES[h % len(CITIES)]
        out.append(HostInput(id=h, name=f"{city}第{h}学会", city=city, busy=tuple(sorted(spans))))
    return out


def _series(region: int, n: int, kind: tuple) -> SeriesFacts:
    (name, kind_name, sessions, minutes, slots, weekdays, months, spacing, people, per_host,
     campaign, weekends, _apps) = kind  # fmt: skip
    city = CITIES[region * 2]
    return SeriesFacts(
        id=n, slug=f"r{region}-{kind_name}-{n}", name=f"{city}{name}", kind=kind_name,
        sessions=sessions, target_min=sessions, target_max=sessions, duration_minutes=minutes,
        slots=tuple(time(*map(int, s.split(":"))) for s in slots), weekdays=frozenset(weekdays),
        preferred_months=frozenset(months), min_spacing_days=spacing, expected_attendance=people,
        max_per_host=per_host, avoid_weekends=weekends, campaign=campaign,
        city=city if kind_name in ("lecture", "salon") else "",
        default_venue_id=region * 12 + 5 if kind_name == "lecture" else None,
    )  # fmt: skip


def four_times(seed: int = 2027) -> Instance:
    """The 4x province: four regions of seven series each, sharing venues and societies."""
    rng = random.Random(seed)
    venues, hosts = _venues(rng), _hosts(rng)
    series, apps = [], []
    for region in range(4):
        for kind in KINDS:
            s = _series(region, len(series) + 1, kind)
            chosen = rng.sample(range(1, SOCIETIES + 1), kind[-1])
            s = replace(s, hosted_last_year=frozenset(chosen[: len(chosen) // 4]))
            series.append(s)
            for order, h in enumerate(chosen):
                wishes = rng.random()
                months = frozenset(rng.sample(range(1, 13), 2)) if wishes < 0.5 else frozenset()
                days = frozenset(
                    date(YEAR, 1, 1) + timedelta(days=rng.randrange(365)) for _ in range(3)
                )
                apps.append(
                    ApplicationInput(host_id=h, series_id=s.id, preferred_months=months,
                                     preferred_dates=days if 0.5 <= wishes < 0.6 else frozenset(),
                                     order=order)
                )  # fmt: skip
    return Instance(year=YEAR, tz=TZ, now=NOW, series=tuple(series), venues=tuple(venues),
                    hosts=tuple(hosts), applications=tuple(apps))  # fmt: skip


# --- infeasible variants ----------------------------------------------------------------------


def few_applicants(inst: Instance) -> Instance:
    """The first forum (8 sessions, one each) keeps only 3 of its applicants."""
    target = inst.series[0].id
    mine = [a for a in inst.applications if a.series_id == target][:3]
    others = [a for a in inst.applications if a.series_id != target]
    return replace(inst, applications=tuple(others + mine))


def closed_dates(inst: Instance) -> Instance:
    """The academic-month reports of the first region must be in 成都 for 300 people; the 成都
    halls that hold them close from 8 to 27 October, so with 3 days between sessions the
    four days left cannot hold three sessions."""
    s = next(s for s in inst.series if s.kind == "academic_month")
    big = {v.id for v in inst.venues if v.city == "成都" and v.capacity >= 300}
    closure = ((date(YEAR, 10, 8), date(YEAR, 10, 27)),)
    venues = tuple(replace(v, closures=v.closures + closure) if v.id in big else v
                   for v in inst.venues)  # fmt: skip
    series = tuple(replace(x, city="成都") if x.id == s.id else x for x in inst.series)
    return replace(inst, venues=venues, series=series)


def shared_hall(inst: Instance) -> Instance:
    """Two 900-people series (3 sessions each, 2 days apart) in the same ten days of
    November: only 天府国际会议中心 holds them, and it has five free days there (each series
    alone fits, both do not)."""
    first = date(YEAR, 11, 8)
    window = CampaignFacts(
        id=3, name="天府科学节", start_date=first, end_date=first + timedelta(days=9)
    )
    big = [replace(x, expected_attendance=900, campaign=window, min_spacing_days=2, city="",
                   weekdays=frozenset(), preferred_months=frozenset(), sessions=3,
                   target_min=3, target_max=3, slots=(time(9, 0),), duration_minutes=240)
           for x in inst.series if x.kind == "conference"][:2]  # fmt: skip
    ids = {x.id for x in big}
    series = tuple(next((b for b in big if b.id == x.id), x) for x in inst.series)
    busy = tuple(
        (_local(first + timedelta(days=d), "08:00"), _local(first + timedelta(days=d), "18:00"))
        for d in (1, 4, 7, 8, 9)
    )
    venues = tuple(replace(v, busy=busy) if v.id == BIG_HALL else v for v in inst.venues)
    apps = [a for a in inst.applications if a.series_id not in ids]
    for sid in sorted(ids):
        apps += [ApplicationInput(host_id=h, series_id=sid, order=h) for h in range(1, 7)]
    return replace(inst, series=series, venues=venues, applications=tuple(apps))


VARIANTS = {
    "too few applicants": few_applicants,
    "too few dates after closures": closed_dates,
    "two big series sharing the one big hall": shared_hall,
}
