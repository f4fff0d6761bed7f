"""The demo province: its size and shape, and that it holds no hard conflicts."""

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import Role, User
from scheduler.campaigns.models import Campaign, CampaignKind
from scheduler.demo import DemoDataError, find_double_bookings, load_demo_data
from scheduler.enums import SLOT_HOLDING_STATUSES, Audience, EventKind, EventStatus
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.holidays.service import holidays_for_range
from scheduler.people.models import Person
from scheduler.rules import (
    Booking,
    CampaignFacts,
    Context,
    HolidayFacts,
    Proposal,
    SeriesFacts,
    VenueFacts,
    check,
)
from scheduler.rules.policy import policy_for
from scheduler.series.models import Series
from scheduler.societies.models import Society, SocietyKind
from scheduler.venues.models import Venue
from tests.snapshots import seeded

pytestmark = pytest.mark.slow

# The tests that read the demo's rows take them from one loading per worker and database
# (tests/snapshots.py); the last three load it themselves.

TODAY = date(2026, 11, 23)
TZ = ZoneInfo("Asia/Shanghai")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def rows(model):
    return db.session.scalars(sa.select(model).order_by(model.id)).all()


def local_year(event: Event) -> int:
    return event.start_at.astimezone(TZ).year


def test_directory_of_societies_venues_people_and_accounts(app):
    counts = seeded(load_demo_data, TODAY)

    societies = rows(Society)
    assert counts["societies"] == len(societies) >= 30
    assert set(Counter(s.kind for s in societies)) == set(SocietyKind)
    partners = {s.name for s in societies if s.kind == SocietyKind.PARTNER}
    assert {"广东省科学技术厅", "广东省工商业联合会"} <= partners
    assert {"广州", "深圳", "珠海", "佛山", "东莞", "汕头", "湛江"} <= {s.city for s in societies}
    slugs = [s.slug for s in societies]
    assert len(set(slugs)) == len(slugs) and all(SLUG.match(slug) for slug in slugs)
    for s in societies:
        assert s.short_name and s.discipline and s.contact_name
        assert s.contact_email.endswith("@example.org")

    venues = rows(Venue)
    assert counts["venues"] == len(venues) >= 8
    online = [v for v in venues if v.is_online]
    physical = [v for v in venues if not v.is_online]
    assert len(online) == 1 and online[0].stream_url.startswith("https://")
    assert len({v.city for v in physical}) >= 3
    for v in physical:
        assert 80 <= v.capacity <= 1200 and v.buffer_minutes in (30, 60) and v.address
        assert 20 < v.latitude < 26 and 109 < v.longitude < 118  # Guangdong

    people = rows(Person)
    assert len(people) >= 15
    titles = Counter(p.title for p in people)
    assert titles["中国科学院院士"] >= 1 and titles["中国工程院院士"] >= 1 and titles["教授"] >= 3

    users = {u.email: u for u in rows(User)}
    assert users["organizer@demo.example"].role == Role.ORGANIZER
    editors = [u for u in users.values() if u.role == Role.EDITOR]
    assert len(editors) == 3 and len({u.society_id for u in editors}) == 3
    assert "editor.lingnan@demo.example" in users
    assert all(u.check_password("demo-password") for u in users.values())


def test_series_and_campaigns(app):
    seeded(load_demo_data, TODAY)
    series = {s.slug: s for s in rows(Series)}
    lingnan = series["lingnan-forum"]
    assert lingnan.name == "岭南科学论坛" and lingnan.kind == EventKind.FORUM
    assert (lingnan.target_min, lingnan.target_max, lingnan.max_per_host) == (10, 10, 1)
    assert lingnan.duration_minutes == 180 and lingnan.preferred_months
    biweekly = series["enterprise-biweekly"]
    assert biweekly.cadence_rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    assert biweekly.max_per_host == 3 and 24 <= biweekly.target_min <= biweekly.target_max <= 26
    hall = series["society-lecture-hall"]
    assert hall.kind == EventKind.LECTURE and hall.cadence_rrule == "FREQ=WEEKLY;BYDAY=SA"
    assert hall.default_venue is not None and hall.max_per_host == 4
    assert series["secretary-salon"].kind == EventKind.SALON
    assert series["secretary-salon"].target_max == 3
    assert series["journal-forum"].preferred_months == [3]
    assert all(re.match(r"^#[0-9a-f]{6}$", s.color) for s in series.values())

    campaigns = {c.slug: c for c in rows(Campaign)}
    for year in (TODAY.year, TODAY.year + 1):
        month = campaigns[f"academic-month-{year}"]
        assert month.kind == CampaignKind.ACADEMIC_MONTH and month.theme
        assert (month.start_date, month.end_date) == (date(year, 10, 1), date(year, 10, 31))
        assert month.launch_at.tzinfo is not None and month.participation_target == 0.6
        launch = month.launch_at.astimezone(TZ)
        assert launch.month == 10 and launch.weekday() < 5 and launch.strftime("%H:%M") == "09:30"
        week = campaigns[f"science-day-{year}"]
        assert week.start_date.month == 9 and (week.end_date - week.start_date).days == 6
        day = campaigns[f"scientists-day-{year}"]
        assert day.start_date == day.end_date == date(year, 5, 30)
        assert campaigns[f"innovation-week-{year}"].kind == CampaignKind.INNOVATION_WEEK


def test_events_span_two_years_in_every_state(app):
    counts = seeded(load_demo_data, TODAY)
    events = rows(Event)
    assert counts["events"] == len(events) >= 150
    years = Counter(local_year(e) for e in events)
    assert years[TODAY.year] >= 60 and years[TODAY.year + 1] >= 60 and len(years) == 2

    statuses = Counter(e.status for e in events)
    assert statuses.most_common(1)[0][0] in (EventStatus.APPROVED, EventStatus.COMPLETED)
    for status in (
        EventStatus.APPROVED,
        EventStatus.COMPLETED,
        EventStatus.SUBMITTED,
        EventStatus.DRAFT,
        EventStatus.CHANGES_REQUESTED,
        EventStatus.REJECTED,
        EventStatus.CANCELLED,
    ):
        assert statuses[status] >= 1, status
    decided = (EventStatus.CANCELLED, EventStatus.REJECTED, EventStatus.CHANGES_REQUESTED)
    assert all(e.decision_reason for e in events if e.status in decided)
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=TZ)
    for e in events:
        assert e.end_at > e.start_at and e.start_at.tzinfo is not None
        if e.status == EventStatus.COMPLETED:
            assert e.actual_attendance is not None and e.end_at < now
        if e.venue is not None:
            assert e.expected_attendance <= e.venue.capacity
        if e.status != EventStatus.DRAFT:
            assert e.submitted_at is not None and e.submitted_at < e.start_at

    assert any(e.is_major for e in events)
    assert any(e.cohosts for e in events)
    online = [e for e in events if e.venue is not None and e.venue.is_online]
    assert online and all(e.online_url for e in online)
    all_day = [e for e in events if e.all_day]
    assert all_day
    for e in all_day:
        start, end = e.start_at.astimezone(TZ), e.end_at.astimezone(TZ)
        assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)

    recurring = [e for e in events if e.rrule]
    assert len(recurring) >= 3
    assert all(len(e.occurrences) > 1 for e in recurring)
    assert any(
        re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", x) for e in recurring for x in e.exdates
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Occurrence)) > len(events)


def test_series_sessions_and_campaign_activities(app):
    seeded(load_demo_data, TODAY)
    events = rows(Event)
    by_series = defaultdict(list)
    for e in events:
        if e.series is not None:
            by_series[(e.series.slug, local_year(e))].append(e)

    lingnan = by_series[("lingnan-forum", TODAY.year)]
    assert len(lingnan) == 10
    assert len({e.host_id for e in lingnan}) == 10
    assert sorted(e.start_at.astimezone(TZ).month for e in lingnan) == list(range(3, 13))
    assert all(e.status in SLOT_HOLDING_STATUSES for e in lingnan)

    partners = {"gd-science-tech-dept", "gd-federation-commerce"}
    for year in (TODAY.year, TODAY.year + 1):
        sessions = by_series[("enterprise-biweekly", year)]
        assert 24 <= len(sessions) <= 26
        assert all({o.slug for o in e.organizing_societies} == partners for e in sessions)
        assert all(e.start_at.astimezone(TZ).weekday() == 3 for e in sessions)
        assert max(Counter(e.host_id for e in sessions).values()) <= 3

    lectures = by_series[("society-lecture-hall", TODAY.year)]
    assert len(lectures) >= 45
    assert all(e.speakers for e in lectures)
    assert max(Counter(e.host_id for e in lectures).values()) <= 4

    for e in events:
        if e.campaign is None:
            continue
        first = e.start_at.astimezone(TZ).date()
        last = (e.end_at - timedelta(seconds=1)).astimezone(TZ).date()
        assert e.campaign.start_date <= first and last <= e.campaign.end_date, e.title
        if e.campaign.launch_at is not None:
            assert e.start_at >= e.campaign.launch_at, e.title
    month = [e for e in events if e.kind == EventKind.ACADEMIC_MONTH]
    assert len(month) >= 20
    assert all(e.campaign.kind == CampaignKind.ACADEMIC_MONTH for e in month)
    assert len({e.host_id for e in month if local_year(e) == TODAY.year}) >= 15
    science = [e for e in events if e.kind == EventKind.SCIENCE_DAY and e.campaign is not None]
    audiences = {a for e in science for a in e.audiences}
    assert {Audience.YOUTH, Audience.FARMERS, Audience.WORKERS, Audience.ELDERLY} <= audiences


def test_no_venue_or_speaker_double_booking(app):
    seeded(load_demo_data, TODAY)
    assert find_double_bookings() == []
    # The same, counted independently from the occurrence rows.
    held = db.session.execute(
        sa.select(Occurrence.venue_id, Occurrence.start_at, Occurrence.end_at, Venue.buffer_minutes)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Venue, Occurrence.venue_id == Venue.id)
        .where(Event.status.in_(SLOT_HOLDING_STATUSES), Venue.is_online.is_(False))
    ).all()
    by_venue = defaultdict(list)
    for venue_id, start, end, buffer in held:
        by_venue[venue_id].append((start, end, timedelta(minutes=buffer)))
    for items in by_venue.values():
        items.sort()
        for i, (_, end, pad) in enumerate(items):
            for start, _, _ in items[i + 1 :]:
                if start >= end + pad:
                    break
                pytest.fail(f"venue {items[i]} overlaps a booking starting {start}")
    # Slot-holding occurrences are exactly those of submitted/approved/completed events.
    holding = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Occurrence)
        .join(Event, Occurrence.event_id == Event.id)
        .join(Venue, Occurrence.venue_id == Venue.id)
        .where(Occurrence.holds_slot.is_(True))
    )
    assert holding == len(held)


def engine_errors(now: datetime) -> list:
    """Run the conflict engine over every slot-holding event of the database."""
    events = db.session.scalars(
        sa.select(Event).where(Event.status.in_(SLOT_HOLDING_STATUSES)).order_by(Event.id)
    ).all()
    first = min(e.start_at for e in events).astimezone(TZ).date()
    last = max(e.end_at for e in events).astimezone(TZ).date()
    years = holidays_for_range(first, last).values()
    holidays = HolidayFacts(
        days_off={d: n for y in years for d, n in y.days_off.items()},
        workdays={d: n for y in years for d, n in y.workdays.items()},
        provisional_years=frozenset(y.year for y in years if not y.official),
    )

    def facts(e: Event) -> dict:
        return {
            "speaker_ids": frozenset(p.id for p in e.speakers),
            "audiences": frozenset(e.audiences),
            "city": e.venue.city if e.venue is not None else "",
            "series_id": e.series_id,
            "venue_id": e.venue_id,
        }

    bookings = tuple(
        Booking(e.id, e.title, o.start_at, o.end_at, e.host_id, **facts(e))
        for e in events
        for o in e.occurrences
    )
    per_series, per_host = Counter(), Counter()
    for e in events:
        for o in e.occurrences:
            year = o.start_at.astimezone(TZ).year
            per_series[(e.series_id, year)] += 1
            per_host[(e.series_id, e.host_id, year)] += 1

    errors = []
    for e in events:
        mine = Counter(o.start_at.astimezone(TZ).year for o in e.occurrences)
        v, s, c = e.venue, e.series, e.campaign
        context = Context(
            tz=TZ,
            now=now,
            policy=policy_for(e.kind.value),
            venue=v and VenueFacts(v.id, v.name, v.city, v.capacity, v.buffer_minutes, v.is_online),
            series=s
            and SeriesFacts(
                s.id, s.name, s.target_max, s.max_per_host, s.min_spacing_days, s.avoid_holidays
            ),
            campaign=c and CampaignFacts(c.id, c.name, c.start_date, c.end_date, c.launch_at),
            holidays=holidays,
            bookings=bookings,
            series_year_counts={y: per_series[(s.id, y)] - mine[y] for y in mine} if s else {},
            host_year_counts=(
                {y: per_host[(s.id, e.host_id, y)] - mine[y] for y in mine} if s else {}
            ),
        )
        proposal = Proposal(
            title=e.title,
            kind=e.kind.value,
            host_id=e.host_id,
            slots=tuple((o.start_at, o.end_at) for o in e.occurrences),
            event_id=e.id,
            campaign_id=e.campaign_id,
            expected_attendance=e.expected_attendance,
            is_major=e.is_major,
            all_day=e.all_day,
            filed_at=e.submitted_at,
            **facts(e),
        )
        errors += [
            (e.title, f.rule, f.message) for f in check(proposal, context) if f.severity == "error"
        ]
    return errors


def test_conflict_engine_finds_no_errors(app):
    seeded(load_demo_data, TODAY)
    assert engine_errors(datetime(2026, 11, 23, 1, tzinfo=UTC)) == []


def test_needs_an_empty_database(app):
    load_demo_data(TODAY)
    with pytest.raises(DemoDataError):
        load_demo_data(TODAY)


def test_same_day_gives_same_data(app):
    def snapshot():
        return [
            (e.title, e.start_at, e.end_at, e.status.value, e.host.slug, e.venue and e.venue.slug)
            for e in rows(Event)
        ]

    load_demo_data(TODAY)
    first = snapshot()
    other = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with other.app_context():
        db.create_all()
        load_demo_data(TODAY)
        second = snapshot()
        db.session.remove()
    assert first == second


def test_other_dates_load_cleanly(app):
    today = date(2028, 2, 29)
    counts = load_demo_data(today)
    assert counts["events"] >= 150
    assert find_double_bookings() == []
    lingnan = [
        e
        for e in rows(Event)
        if e.series is not None and e.series.slug == "lingnan-forum" and local_year(e) == 2028
    ]
    assert len({e.host_id for e in lingnan}) == len(lingnan) == 10
    assert engine_errors(datetime(2028, 2, 29, 1, tzinfo=UTC)) == []
