"""The demo's directory, accounts, series and campaigns, and the one way it adds an event."""

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from ..accounts.models import Role, User
from ..campaigns.models import Campaign, CampaignKind
from ..enums import Audience, EventKind, EventStatus
from ..events.models import Event
from ..events.occurrences import sync_occurrences
from ..extensions import db
from ..people.models import Person
from ..recurrence import Slot, expand
from ..series.models import Series
from ..societies.models import Society
from ..venues.models import Venue
from .calendar import academic_month_launch, at, innovation_week_dates, midnight, science_day_week
from .data import (
    ACADEMIC_MONTH_THEMES,
    DEMO_PASSWORD,
    ONLINE,
    PEOPLE,
    SEED,
    SERIES,
    SOCIETIES,
    TZ,
    VENUES,
    X,
)
from .ledger import DemoDataError, Ledger


class DemoBuilder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.year = today.year
        self.now = at(today, "09:00")
        self.rng = random.Random(SEED)
        self.ledger = Ledger()
        self.off: set[date] = set()  # statutory days off
        self.workdays: set[date] = set()  # make-up working days on weekends (调休)
        self.societies: dict[str, Society] = {}
        self.venues: dict[str, Venue] = {}
        self.people: dict[str, Person] = {}
        self.series: dict[str, Series] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.editors: dict[str, User] = {}
        self.organizer: User | None = None
        self.events: list[Event] = []
        self.host_topics: dict[str, tuple[str, ...]] = {}
        self.topic_turn: dict[str, int] = defaultdict(int)

    # ----------------------------------------------------------------- reference data

    def load_holidays(self) -> None:
        """The official (or provisional) holidays, as the conflict engine will see them."""
        from ..holidays.service import holidays_for_range

        found = holidays_for_range(date(self.year, 1, 1), date(self.year + 1, 12, 31))
        for year in found.values():
            self.off |= set(year.days_off)
            self.workdays |= set(year.workdays)

    def free_day(self, day: date) -> bool:
        """Neither a day off nor a make-up working day (both draw holiday warnings)."""
        return day not in self.off and day not in self.workdays

    def build_directory(self) -> None:
        for slug, name, short, kind, discipline, city, contact, topics in SOCIETIES:
            society = Society(
                slug=slug,
                name=name,
                short_name=short,
                kind=kind,
                discipline=discipline,
                city=city,
                contact_name=contact,
                contact_email=f"{slug}@example.org",
                min_events_per_year=0 if kind == X else 1,
            )
            self.societies[slug] = society
            self.host_topics[slug] = topics
        for slug, name, address, city, capacity, lat, lon, buffer in VENUES:
            self.venues[slug] = Venue(
                slug=slug,
                name=name,
                address=address,
                city=city,
                capacity=capacity,
                latitude=lat,
                longitude=lon,
                buffer_minutes=buffer,
            )
        self.venues[ONLINE] = Venue(
            slug=ONLINE,
            name="广东科协线上直播间",
            address="线上",
            city="",
            capacity=1200,
            buffer_minutes=0,
            is_online=True,
            stream_url="https://live.example.org/gd-cast",
        )
        for slug, name, title, affiliation in PEOPLE:
            self.people[slug] = Person(slug=slug, name=name, title=title, affiliation=affiliation)
        db.session.add_all([*self.societies.values(), *self.venues.values()])
        db.session.add_all(self.people.values())

    def build_users(self) -> None:
        self.organizer = User(
            email="organizer@demo.example", name="陈晓雯（省科协学会学术部）", role=Role.ORGANIZER
        )
        editors = [
            ("editor.lingnan@demo.example", "黄丽娟", "gd-computer-society"),
            ("editor.shenzhen@demo.example", "曾志华", "shenzhen-cast"),
            ("editor.scut@demo.example", "彭海军", "scut-cast"),
        ]
        users = [self.organizer]
        for email, name, society in editors:
            user = User(email=email, name=name, role=Role.EDITOR, society=self.societies[society])
            self.editors[society] = user
            users.append(user)
        self.organizer.set_password(DEMO_PASSWORD)
        for user in users[1:]:  # the same password: hash it once (scrypt is slow on purpose)
            user.password_hash = self.organizer.password_hash
        db.session.add_all(users)

    def build_series(self) -> None:
        for spec in SERIES:
            fields = dict(spec)
            if "default_venue" in fields:
                fields["default_venue"] = self.venues[fields["default_venue"]]
            if "fixed_host" in fields:
                fields["fixed_host"] = self.societies[fields["fixed_host"]]
            self.series[fields["slug"]] = Series(**fields)
        db.session.add_all(self.series.values())

    def build_campaigns(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            launch = academic_month_launch(year, self.off)
            sd_start, sd_end = science_day_week(year)
            iw_start, iw_end = innovation_week_dates(year)
            items = [
                Campaign(
                    slug=f"academic-month-{year}",
                    name=f"第{year - 2002}届广东省科协学术活动月",
                    kind=CampaignKind.ACADEMIC_MONTH,
                    theme=ACADEMIC_MONTH_THEMES[offset],
                    description="全省科协系统统一主题、同一时间启动，结合全国“双创”活动周开展。",
                    start_date=date(year, 10, 1),
                    end_date=date(year, 10, 31),
                    launch_at=at(launch, "09:30"),
                    participation_target=0.6,
                ),
                Campaign(
                    slug=f"science-day-{year}",
                    name=f"{year}年全国科普日（广东）",
                    kind=CampaignKind.SCIENCE_DAY,
                    theme="提升全民科学素质 协力建设科技强国",
                    description="面向青少年、农民、产业工人、老年人和领导干部的群众性科普活动。",
                    start_date=sd_start,
                    end_date=sd_end,
                    participation_target=0.4,
                ),
                Campaign(
                    slug=f"scientists-day-{year}",
                    name=f"{year}年全国科技工作者日",
                    kind=CampaignKind.SCIENCE_DAY,
                    theme="弘扬科学家精神",
                    description="5月30日全国科技工作者日系列活动。",
                    start_date=date(year, 5, 30),
                    end_date=date(year, 5, 30),
                ),
                Campaign(
                    slug=f"innovation-week-{year}",
                    name=f"{year}年全国大众创业万众创新活动周（广东）",
                    kind=CampaignKind.INNOVATION_WEEK,
                    theme="创新创造 创业兴业",
                    description="与学术活动月联动举办的双创成果展示、路演与大赛。",
                    start_date=iw_start,
                    end_date=iw_end,
                ),
            ]
            for campaign in items:
                self.campaigns[campaign.slug] = campaign
        db.session.add_all(self.campaigns.values())

    # ----------------------------------------------------------------- events

    def auto_status(self, start: datetime, last_end: datetime) -> EventStatus:
        if last_end <= self.now:
            if self.now - last_end < timedelta(days=10):
                return EventStatus.APPROVED  # held, attendance not yet recorded
            return EventStatus.COMPLETED
        if start <= self.now:
            return EventStatus.APPROVED  # a recurring event under way
        ahead = (start - self.now).days
        roll = self.rng.random()
        if ahead < 90:
            return EventStatus.APPROVED if roll < 0.85 else EventStatus.SUBMITTED
        if ahead < 240:
            if roll < 0.55:
                return EventStatus.APPROVED
            return EventStatus.SUBMITTED if roll < 0.9 else EventStatus.DRAFT
        if roll < 0.3:
            return EventStatus.APPROVED
        return EventStatus.SUBMITTED if roll < 0.7 else EventStatus.DRAFT

    def place(
        self,
        candidates: Iterable[tuple[datetime, datetime]],
        venues: Sequence[str],
        speaker_choices: Sequence[Sequence[str]] = ((),),
        not_before: datetime | None = None,
    ) -> tuple[datetime, datetime, Venue, list[Person]]:
        """The first candidate slot, venue and speakers that are all free."""
        for start, end in candidates:
            if not_before is not None and start < not_before:
                continue
            slots = [Slot(start, end, start)]
            for venue_slug in venues:
                venue = self.venues[venue_slug]
                for choice in speaker_choices:
                    speakers = [self.people[s] for s in choice]
                    if self.ledger.free(venue, speakers, slots):
                        return start, end, venue, speakers
        raise DemoDataError(f"no free slot in {list(venues)}")

    def timed(self, days: Iterable[date], times: Sequence[str], minutes: int):
        for day in days:
            for hhmm in times:
                start = at(day, hhmm)
                yield start, start + timedelta(minutes=minutes)

    def all_days(self, days: Iterable[date], length: int):
        for day in days:
            yield midnight(day), midnight(day + timedelta(days=length))

    def working(self, days: Iterable[date], weekdays=(0, 1, 2, 3, 4)) -> list[date]:
        return [d for d in days if d.weekday() in weekdays and self.free_day(d)]

    def topic(self, host: str) -> str:
        topics = self.host_topics[host]
        turn = self.topic_turn[host]
        self.topic_turn[host] += 1
        return topics[turn % len(topics)]

    def describe(self, title: str, society: Society, cohosts: Sequence[str]) -> str:
        helpers = "、".join(self.societies[c].name for c in cohosts)
        return f"{title}。本活动由{society.name}承办" + (f"，{helpers}协办。" if helpers else "。")

    def stamps(self, status: EventStatus, start: datetime, last_end: datetime, is_major: bool):
        """When the event was created, submitted and last updated, plausible for its status."""
        lead = timedelta(days=45 if is_major else self.rng.randint(20, 40))
        created = min(start - lead, self.now - timedelta(days=self.rng.randint(2, 20)))
        submitted = None if status == EventStatus.DRAFT else created + timedelta(days=1)
        updated = submitted or created
        if status in (
            EventStatus.APPROVED,
            EventStatus.REJECTED,
            EventStatus.CHANGES_REQUESTED,
            EventStatus.WITHDRAWN,
        ):
            updated = min(updated + timedelta(days=3), self.now)
        elif status == EventStatus.COMPLETED:
            updated = min(last_end + timedelta(days=2), self.now)
        elif status == EventStatus.CANCELLED:
            updated = min(start - timedelta(days=1), self.now)
        return created, submitted, updated

    def turnout(self, status: EventStatus, expected: int, capacity: int) -> int | None:
        if status != EventStatus.COMPLETED:
            return None
        return min(capacity, round(expected * self.rng.uniform(0.72, 1.05)))

    def event(
        self,
        title: str,
        kind: EventKind,
        host: str,
        start: datetime,
        end: datetime,
        venue: Venue | None,
        *,
        status: EventStatus | None = None,
        series: str | None = None,
        campaign: str | None = None,
        all_day: bool = False,
        rrule: str = "",
        exdates: Sequence[str] = (),
        speakers: Sequence[Person] = (),
        cohosts: Sequence[str] = (),
        organizers: Sequence[str] = (),
        audiences: Sequence[Audience] = (),
        expected: int | None = None,
        is_major: bool = False,
        online: bool = False,
        description: str = "",
        reason: str = "",
        allow_overlap: bool = False,
    ) -> Event:
        if online:
            venue = self.venues[ONLINE]
        slots = expand(start, end, rrule, list(exdates), TZ, all_day=all_day)
        if not allow_overlap:
            if not self.ledger.free(venue, speakers, slots):
                raise DemoDataError(f"demo event {title!r} would double-book")
            self.ledger.hold(venue, speakers, slots)
        if status is None:
            status = self.auto_status(slots[0].start, slots[-1].end)
        capacity = venue.capacity if venue is not None else 300
        if expected is None:
            expected = int(capacity * self.rng.uniform(0.5, 0.85))
        expected = min(expected, capacity)
        society = self.societies[host]
        description = description or self.describe(title, society, cohosts)
        created, submitted, updated = self.stamps(status, start, slots[-1].end, is_major)
        editor = self.editors.get(host)
        ev = Event(
            title=title,
            description=description,
            kind=kind,
            status=status,
            decision_reason=reason,
            series=self.series[series] if series else None,
            campaign=self.campaigns[campaign] if campaign else None,
            host=society,
            venue=venue,
            online_url=f"https://live.example.org/room/{len(self.events) + 1:04d}"
            if online
            else "",
            start_at=start,
            end_at=end,
            all_day=all_day,
            rrule=rrule,
            exdates=list(exdates),
            expected_attendance=expected,
            actual_attendance=self.turnout(status, expected, capacity),
            is_major=is_major,
            sequence=1 if status == EventStatus.CANCELLED else 0,
            submitted_at=submitted,
            created_at=created,
            updated_at=updated,
            created_by_id=(editor or self.organizer).id,
        )
        ev.cohosts = [self.societies[c] for c in cohosts]
        ev.organizing_societies = [self.societies[o] for o in organizers]
        ev.speakers = list(speakers)
        ev.audiences = audiences
        db.session.add(ev)
        sync_occurrences(ev)
        self.events.append(ev)
        return ev

    # ----------------------------------------------------------------- the series
