"""Fast synthetic data for benchmarks: bulk inserts of approved events and occurrences.

Resources grow with the data (a venue hosts about 50 events a year, a society hosts about
20), as in a real province or nation, so an indexed look-up touches the same number of rows
at every scale and only a scan would grow.
"""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from scheduler.events.models import Event, EventAudience, Occurrence, event_speakers
from scheduler.extensions import db
from scheduler.people.models import Person
from scheduler.societies.models import Society
from scheduler.venues.models import Venue

CITIES = ["广州", "深圳", "珠海", "佛山", "东莞", "汕头", "湛江", "惠州", "江门", "肇庆"]
AUDIENCES = ["public", "youth", "farmers", "workers", "elderly", "scientists"]


def seed(n_events: int, year: int = 2027, rng_seed: int = 7) -> dict:
    rng = random.Random(rng_seed)
    n_venues = max(20, n_events // 50)
    n_societies = max(50, n_events // 20)
    n_people = max(30, n_events // 30)
    conn = db.session.connection()
    conn.execute(
        sa.insert(Society),
        [
            {"slug": f"s{i}", "name": f"学会{i}", "short_name": "", "kind": "provincial",
             "discipline": "", "city": CITIES[i % len(CITIES)], "contact_name": "",
             "contact_email": "", "contact_phone": "", "active": True, "min_events_per_year": 1,
             "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
            for i in range(n_societies)
        ],
    )  # fmt: skip
    conn.execute(
        sa.insert(Venue),
        [
            {"slug": f"v{i}", "name": f"报告厅{i}", "address": "", "city": CITIES[i % len(CITIES)],
             "capacity": 100 + (i % 10) * 50, "buffer_minutes": 30, "is_online": False,
             "stream_url": "", "active": True}
            for i in range(n_venues)
        ],
    )  # fmt: skip
    conn.execute(
        sa.insert(Person),
        [
            {"slug": f"p{i}", "name": f"专家{i}", "title": "", "affiliation": ""}
            for i in range(n_people)
        ],
    )
    start_of_year = datetime(year, 1, 1, tzinfo=UTC)
    events, occurrences, speakers, audiences = [], [], [], []
    used: set = set()
    event_id = 0
    while event_id < n_events:
        venue = rng.randrange(n_venues) + 1
        day = rng.randrange(365)
        hour = rng.choice((1, 4, 7, 10))  # UTC: 09:00, 12:00, 15:00, 18:00 in Shanghai
        if (venue, day, hour) in used:
            continue
        used.add((venue, day, hour))
        event_id += 1
        start = start_of_year + timedelta(days=day, hours=hour)
        end = start + timedelta(hours=2)
        host = rng.randrange(n_societies) + 1
        city = CITIES[(venue - 1) % len(CITIES)]
        events.append(
            {"id": event_id, "title": f"活动{event_id}", "description": "", "kind": "forum",
             "status": "approved", "decision_reason": "", "host_id": host, "venue_id": venue,
             "online_url": "", "start_at": start, "end_at": end, "all_day": False, "rrule": "",
             "exdates": [], "expected_attendance": 80, "is_major": False, "sequence": 1,
             "created_at": start_of_year, "updated_at": start_of_year}
        )  # fmt: skip
        occurrences.append(
            {"event_id": event_id, "recurrence_id": start, "start_at": start, "end_at": end,
             "blocked_until": end + timedelta(minutes=30), "venue_id": venue, "host_id": host,
             "series_id": None, "city": city, "holds_slot": True, "cancelled": False,
             "public": True}
        )  # fmt: skip
        if rng.random() < 0.3:
            speakers.append({"event_id": event_id, "person_id": rng.randrange(n_people) + 1})
        if rng.random() < 0.5:
            audiences.append({"event_id": event_id, "audience": rng.choice(AUDIENCES)})
    for chunk in range(0, len(events), 5000):
        conn.execute(sa.insert(Event), events[chunk : chunk + 5000])
        conn.execute(sa.insert(Occurrence), occurrences[chunk : chunk + 5000])
    if speakers:
        conn.execute(sa.insert(event_speakers), speakers)
    if audiences:
        conn.execute(sa.insert(EventAudience), audiences)
    if db.engine.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval('events_id_seq', :n)"), {"n": n_events})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum would do soon after a bulk load: give the planner statistics.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as analyze:
            analyze.execute(sa.text("ANALYZE"))
    return {"events": n_events, "venues": n_venues, "societies": n_societies, "people": n_people}
