"""Loading the demo into an empty database, and its self-check for double bookings."""

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..campaigns.models import Campaign
from ..enums import SLOT_HOLDING_STATUSES
from ..events.models import Event, Occurrence, event_speakers
from ..extensions import db
from ..people.models import Person
from ..planner.models import HostApplication
from ..series.models import Series
from ..societies.models import Society, SocietyKind
from ..venues.models import Venue
from .campaign_events import CampaignEvents
from .data import BIWEEKLY_HOSTS, SALON_HOSTS
from .ledger import DemoDataError
from .series_events import SeriesEvents


class Demo(SeriesEvents, CampaignEvents):
    def build(self) -> None:
        self.load_holidays()  # commits the Holiday rows it fills, before anything else
        self.build_directory()
        self.build_users()
        db.session.flush()
        self.build_series()
        self.build_campaigns()
        db.session.flush()
        # Fixed, regular slots first; flexible activities then fill the free ones.
        self.lecture_hall()
        self.biweekly()
        self.lingnan()
        self.academic_month()
        self.innovation_week()
        self.science_day()
        self.scientists_day()
        self.salons_and_meetings()
        self.recurring()
        self.assorted()
        db.session.flush()


def find_double_bookings() -> list[str]:
    """Venue (buffer included) and speaker double bookings among slot-holding occurrences."""
    rows = db.session.execute(
        sa.select(Occurrence, Event, Venue)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Venue, Occurrence.venue_id == Venue.id)
        .where(Event.status.in_(SLOT_HOLDING_STATUSES), Venue.is_online.is_(False))
        .order_by(Occurrence.venue_id, Occurrence.start_at)
    ).all()
    problems = []
    by_venue: dict[int, list] = defaultdict(list)
    for occ, event, venue in rows:
        by_venue[venue.id].append((occ, event, venue))
    for items in by_venue.values():
        latest = None  # the booking ending last so far, with its title
        for occ, event, venue in items:
            pad = timedelta(minutes=venue.buffer_minutes)
            if latest is not None and occ.start_at < latest[0] + pad:
                problems.append(f"venue {venue.slug}: {latest[1]!r} / {event.title!r}")
            if latest is None or occ.end_at > latest[0]:
                latest = (occ.end_at, event.title)
            if event.expected_attendance > venue.capacity:
                problems.append(f"capacity {venue.slug}: {event.title!r}")
    talks: dict[int, list] = defaultdict(list)
    for person_id, start, end, title in db.session.execute(
        sa.select(event_speakers.c.person_id, Occurrence.start_at, Occurrence.end_at, Event.title)
        .join(Event, Event.id == event_speakers.c.event_id)
        .join(Occurrence, Occurrence.event_id == Event.id)
        .where(Event.status.in_(SLOT_HOLDING_STATUSES))
    ):
        talks[person_id].append((start, end, title))
    for person_id, items in talks.items():
        latest = None
        for start, end, title in sorted(items):
            if latest is not None and start < latest[0]:
                problems.append(f"speaker {person_id}: {latest[1]!r} / {title!r}")
            if latest is None or end > latest[0]:
                latest = (end, title)
    return problems


def load_demo_data(today: date | None = None) -> dict:
    """Fill an empty database with the Guangdong demo set-up; returns counts per entity.

    Runs inside an application context and commits. The holiday calendar of the two years is
    filled first (through the holiday service, which commits on its own) so that the demo
    avoids the same days the conflict rules warn about. Raises DemoDataError when the database
    already holds societies, venues or events, or when the built data would double-book.
    """
    for model in (Society, Venue, Event):
        if db.session.scalar(sa.select(sa.func.count()).select_from(model)):
            raise DemoDataError("the database is not empty; demo data is loaded only once")
    demo = Demo(today or date.today())
    try:
        demo.build()
        host_applications((today or date.today()).year + 1)
        problems = find_double_bookings()
        if problems:
            raise DemoDataError("demo data double-books: " + "; ".join(problems[:5]))
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()

    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return {
        "societies": count(Society),
        "venues": count(Venue),
        "people": count(Person),
        "series": count(Series),
        "campaigns": count(Campaign),
        "events": count(Event),
        "occurrences": count(Occurrence),
        "users": count(User),
        "host applications": count(HostApplication),
    }


def host_applications(year: int) -> None:
    """Fourteen provincial societies apply to host next year's 岭南科学论坛, each naming a
    preferred month; the usual hosts of the biweekly forum, the salons and the journal forum
    apply for next year too. So every series can be planned on the demo data whatever the
    day it was loaded (学会大讲堂 has a fixed host and needs no application)."""
    series = db.session.scalar(sa.select(Series).where(Series.slug == "lingnan-forum"))
    societies = db.session.scalars(
        sa.select(Society).where(Society.kind == SocietyKind.PROVINCIAL).order_by(Society.id)
    ).all()[:14]
    for n, society in enumerate(societies):
        db.session.add(
            HostApplication(
                society_id=society.id,
                series_id=series.id,
                year=year,
                preferred_months=[3 + n % 10],
                note="申请承办岭南科学论坛（演示数据）",
            )
        )
    wishes = [("enterprise-biweekly", slug, []) for slug in BIWEEKLY_HOSTS]
    wishes += [("secretary-salon", slug, [m]) for slug, m in zip(SALON_HOSTS[1], (4, 7, 11))]
    wishes.append(("journal-forum", "gd-chemical-society", [3]))
    series = {s.slug: s for s in db.session.scalars(sa.select(Series))}
    societies = {s.slug: s for s in db.session.scalars(sa.select(Society))}
    for slug, host, months in wishes:
        db.session.add(
            HostApplication(
                society_id=societies[host].id,
                series_id=series[slug].id,
                year=year,
                preferred_months=months,
                note=f"申请承办{series[slug].name}（演示数据）",
            )
        )
    db.session.flush()
