"""Small factories for tests: each returns a flushed object with sensible defaults."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.accounts.models import Role, User
from scheduler.campaigns.models import Campaign, CampaignKind
from scheduler.enums import EventKind, EventStatus
from scheduler.events.models import Event
from scheduler.events.occurrences import sync_occurrences
from scheduler.extensions import db
from scheduler.people.models import Person
from scheduler.series.models import Series
from scheduler.societies.models import Society, SocietyKind
from scheduler.venues.models import Venue

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def local(*args) -> datetime:
    """An aware Asia/Shanghai datetime: local(2027, 3, 5, 14, 30)."""
    return datetime(*args, tzinfo=SHANGHAI)


def make_society(**kw) -> Society:
    society = _new_society(**kw)
    db.session.flush()
    return society


def _new_society(**kw) -> Society:
    n = next(_seq)
    values = {
        "slug": f"society-{n}",
        "name": f"测试学会{n}",
        "kind": SocietyKind.PROVINCIAL,
        "city": "广州",
    }
    society = Society(**{**values, **kw})
    db.session.add(society)
    return society


def make_venue(**kw) -> Venue:
    n = next(_seq)
    values = {"slug": f"venue-{n}", "name": f"报告厅{n}", "city": "广州", "capacity": 200}
    venue = Venue(**{**values, **kw})
    db.session.add(venue)
    db.session.flush()
    return venue


def make_person(**kw) -> Person:
    n = next(_seq)
    person = Person(**{"slug": f"person-{n}", "name": f"专家{n}", **kw})
    db.session.add(person)
    db.session.flush()
    return person


def make_series(**kw) -> Series:
    n = next(_seq)
    values = {
        "slug": f"series-{n}",
        "name": f"论坛{n}",
        "kind": EventKind.FORUM,
        "target_min": 1,
        "target_max": 10,
    }
    series = Series(**{**values, **kw})
    db.session.add(series)
    db.session.flush()
    return series


def make_campaign(**kw) -> Campaign:
    n = next(_seq)
    values = {
        "slug": f"campaign-{n}",
        "name": f"活动月{n}",
        "kind": CampaignKind.ACADEMIC_MONTH,
        "start_date": datetime(2027, 10, 1).date(),
        "end_date": datetime(2027, 10, 31).date(),
    }
    campaign = Campaign(**{**values, **kw})
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_event(start: datetime | None = None, hours: float = 2, **kw) -> Event:
    """An approved event (by default) with its occurrences materialized."""
    if "host" not in kw and "host_id" not in kw:
        kw["host"] = make_society()
    event = _new_event(start, hours, **kw)
    db.session.flush()
    sync_occurrences(event)
    db.session.flush()
    return event


def _new_event(start: datetime | None, hours: float, **kw) -> Event:
    """make_event's event, added to the session but not flushed."""
    start = start or local(2027, 3, 5, 14, 30)
    audiences = kw.pop("audiences", [])
    values = {
        "title": f"活动{next(_seq)}",
        "kind": EventKind.FORUM,
        "status": EventStatus.APPROVED,
        "start_at": start,
        "end_at": start + timedelta(hours=hours),
    }
    event = Event(**{**values, **kw})
    event.audiences = audiences
    db.session.add(event)
    return event


def make_user(role: Role = Role.ORGANIZER, society: Society | None = None, **kw) -> User:
    n = next(_seq)
    kw.setdefault("email", f"user{n}@example.org")
    user = User(role=role, society=society, **kw)
    user.set_password("password-123")
    db.session.add(user)
    db.session.flush()
    return user


def fill_events(n: int, year: int = 2027, month: int = 6, **kw) -> list[Event]:
    """``n`` approved one-hour events in five venues, none overlapping another (n <= 500)."""
    venues = [make_venue() for _ in range(5)]
    series = make_series()
    events = []
    with db.session.no_autoflush:  # the same rows as make_event's, in two flushes, not 3n
        for i in range(n):
            day, hour = 1 + (i // 50) % 28, 8 + (i // 5) % 10
            host = {} if "host" in kw or "host_id" in kw else {"host": _new_society()}
            start = local(year, month, day, hour)
            event = _new_event(start, 1, venue=venues[i % 5], series=series, **host, **kw)
            event.occurrences = []  # known empty: no query for it after the flush
            events.append(event)
    db.session.flush()
    for event in events:
        sync_occurrences(event)
    db.session.flush()
    return events
