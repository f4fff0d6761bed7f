"""The campaigns' events (academic month, 双创周, 科普日, 科技工作者日), repeating events, and
assorted filings in every state of the approval workflow."""

from datetime import date, timedelta

from ..enums import EventKind, EventStatus
from ..recurrence import exdate_key, expand
from .builder import DemoBuilder
from .calendar import at, day_range, innovation_week_dates, midnight, nth_weekday, science_day_week
from .data import (
    ACADEMIC_MONTH_HOSTS,
    ACADEMIC_TITLES,
    ACADEMICIANS,
    ASSORTED,
    CITY_VENUES,
    EXPERTS,
    ONLINE,
    TZ,
    A,
)
from .ledger import DemoDataError


class CampaignEvents(DemoBuilder):
    def academic_month(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            campaign = self.campaigns[f"academic-month-{year}"]
            launch = campaign.launch_at
            launch_day = launch.astimezone(TZ).date()
            ceremony_host = ("guangzhou-cast", "shenzhen-cast")[offset]
            ceremony_venue = ("gd-science-center-hall", "shenzhen-convention-hall5")[offset]
            keynote = self.people[ACADEMICIANS[offset]]
            self.event(
                f"{campaign.name}启动仪式暨主旨报告会",
                EventKind.ACADEMIC_MONTH,
                ceremony_host,
                launch,
                launch + timedelta(minutes=120),
                self.venues[ceremony_venue],
                status=EventStatus.APPROVED if launch > self.now else None,
                campaign=campaign.slug,
                speakers=[keynote],
                cohosts=("sysu-cast", "scut-cast"),
                audiences=(A.SCIENTISTS, A.OFFICIALS),
                expected=500,
                is_major=True,
                description=f"主题：{campaign.theme}。全省科协系统在同一时间统一启动学术活动月。",
            )
            days = [d for d in day_range(launch_day, date(year, 10, 31)) if self.free_day(d)]
            for i, host in enumerate(ACADEMIC_MONTH_HOSTS[offset]):
                city = self.societies[host].city
                venues = CITY_VENUES.get(city, CITY_VENUES["广州"])
                venues = venues[i % len(venues) :] + venues[: i % len(venues)]
                online = i % 6 == 5
                shift = (i * 5) % len(days)
                order = days[shift:] + days[:shift]
                choices = [[]] if i % 3 else [[EXPERTS[(i + k) % len(EXPERTS)]] for k in range(6)]
                start, end, venue, people = self.place(
                    self.timed(order, ["14:30", "09:00"], 180),
                    [ONLINE] if online else venues,
                    choices,
                    not_before=launch,
                )
                topic = self.topic(host)
                self.event(
                    ACADEMIC_TITLES[i % 3].format(topic=topic),
                    EventKind.ACADEMIC_MONTH,
                    host,
                    start,
                    end,
                    venue,
                    campaign=campaign.slug,
                    speakers=people,
                    online=online,
                    audiences=(A.SCIENTISTS,) if i % 4 else (A.SCIENTISTS, A.YOUTH),
                    expected=self.rng.randint(60, 260),
                )

    def innovation_week(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            slug = f"innovation-week-{year}"
            first, last = innovation_week_dates(year)
            week = day_range(first, last)
            start, end, venue, _ = self.place(
                self.all_days(week[:5], 3), ["shenzhen-convention-hall5"]
            )
            self.event(
                f"{year}年双创活动周·粤港澳大湾区科技成果展",
                EventKind.EXHIBITION,
                "shenzhen-cast",
                start,
                end,
                venue,
                campaign=slug,
                all_day=True,
                is_major=True,
                cohosts=("pengwan-electronics-cast", "sustech-cast"),
                audiences=(A.ENTERPRISES, A.PUBLIC),
                expected=1000,
            )
            start, end, venue, _ = self.place(
                self.timed(week[4:] + week[:4], ["09:00"], 510), ["zhuhai-convention-center"]
            )
            self.event(
                f"{year}年粤港澳大湾区青年创新创业大赛决赛",
                EventKind.COMPETITION,
                "zhuhai-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("haiyun-energy-cast",),
                audiences=(A.YOUTH, A.ENTERPRISES),
                expected=self.rng.randint(400, 700),
            )
            if offset:
                continue
            start, end, venue, _ = self.place(
                self.timed(self.working(week), ["14:00"], 210), ["gd-science-center-hall"]
            )
            self.event(
                "高校科技成果转化路演",
                EventKind.FORUM,
                "scut-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("sysu-cast",),
                audiences=(A.ENTERPRISES,),
            )
            start, end, venue, _ = self.place(
                self.timed(self.working(week), ["19:00"], 120), [ONLINE]
            )
            self.event(
                "专利布局与科技成果转化实务培训（线上）",
                EventKind.TRAINING,
                "songhu-biomed-cast",
                start,
                end,
                venue,
                campaign=slug,
                online=True,
                audiences=(A.ENTERPRISES, A.SCIENTISTS),
                expected=self.rng.randint(300, 900),
            )

    def science_day(self) -> None:
        # host, title, audiences, venues, all-day length (0 = timed), start times, minutes
        activities = [
            ("zhanjiang-cast", "科技助农：热带水果高效栽培技术现场培训", (A.FARMERS,),
             ("zhanjiang-gdou-hall",), 0, ("09:30", "14:30"), 150),
            ("dongguan-cast", "产业工人科学素质提升讲座", (A.WORKERS,),
             ("dongguan-songshanhu-center",), 0, ("19:00", "14:30"), 120),
            ("foshan-cast", "银龄科普：识骗防骗与健康生活", (A.ELDERLY,),
             ("foshan-science-museum",), 0, ("09:30", "14:30"), 120),
            ("shenzhen-cast", "深圳科普开放日：走进科技企业", (A.YOUTH, A.PUBLIC),
             ("shenzhen-science-museum",), 1, (), 0),
            ("gd-meteorological-society", "台风来了怎么办——气象防灾减灾科普", (A.PUBLIC, A.YOUTH),
             ("gd-science-hall-lecture", "gd-science-hall-forum"), 0, ("14:30", "19:00"), 120),
            ("shantou-cast", "潮汕健康科普进社区", (A.ELDERLY, A.PUBLIC),
             ("shantou-stu-center",), 0, ("09:30", "14:30"), 150),
            ("zhuhai-cast", "航空航天科普展", (A.YOUTH, A.PUBLIC),
             ("zhuhai-convention-center",), 2, (), 0),
            ("gd-psychological-society", "青少年心理健康科普讲座", (A.YOUTH,),
             ("gd-science-hall-forum", "gd-science-hall-lecture"), 0, ("14:30", "19:00"), 120),
            ("gd-nutrition-society", "老年人合理膳食科普直播", (A.ELDERLY,),
             (ONLINE,), 0, ("10:00", "15:00"), 90),
            ("gd-tcm-society", "中医药文化进校园", (A.YOUTH,),
             ("gd-science-hall-room1",), 0, ("14:30", "09:30"), 120),
            ("guangzhou-cast", "领导干部和公务员科学素质提升专题报告", (A.OFFICIALS,),
             ("gd-science-hall-forum", "gd-science-center-hall"), 0, ("09:00", "14:30"), 150),
        ]  # fmt: skip
        next_year = {0, 2, 3, 6}  # the activities already planned for next year
        for offset in (0, 1):
            year = self.year + offset
            slug = f"science-day-{year}"
            first, last = science_day_week(year)
            week = day_range(first, last)
            start, end, venue, _ = self.place(
                self.all_days(week[:2], 2), ["gd-science-center-plaza"]
            )
            self.event(
                f"{year}年全国科普日广东主场活动暨广东科普嘉年华",
                EventKind.SCIENCE_DAY,
                "guangzhou-cast",
                start,
                end,
                venue,
                campaign=slug,
                all_day=True,
                is_major=True,
                cohosts=("sysu-cast", "gd-physics-society", "gd-aerospace-society"),
                audiences=(A.PUBLIC, A.YOUTH, A.ELDERLY),
                expected=1100,
            )
            for i, (host, title, audiences, venues, length, times, minutes) in enumerate(
                activities
            ):
                if offset and i not in next_year:
                    continue
                shift = (i * 2) % len(week)
                order = week[shift:] + week[:shift]
                if length:
                    fits = [d for d in order if d + timedelta(days=length - 1) <= last]
                    candidates = self.all_days(fits, length)
                else:
                    candidates = self.timed(order, times, minutes)
                start, end, venue, _ = self.place(candidates, venues)
                status, reason = None, ""
                if offset == 0 and host == "zhanjiang-cast":
                    status = EventStatus.CANCELLED
                    reason = "受台风影响，根据湛江市气象台预警取消现场活动，改期另行通知。"
                self.event(
                    title,
                    EventKind.SCIENCE_DAY,
                    host,
                    start,
                    end,
                    venue,
                    status=status,
                    reason=reason,
                    campaign=slug,
                    all_day=bool(length),
                    online=venue.is_online,
                    audiences=audiences,
                )

    def scientists_day(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            slug = f"scientists-day-{year}"
            day = date(year, 5, 30)
            start, end, venue, _ = self.place(
                self.timed([day], ["09:30", "14:30"], 120), ["gd-science-hall-forum"]
            )
            self.event(
                f"{year}年全国科技工作者日座谈会",
                EventKind.SCIENCE_DAY,
                "guangzhou-cast",
                start,
                end,
                venue,
                campaign=slug,
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(120, 200),
            )
            choices = [[a] for a in ACADEMICIANS]
            start, end, venue, people = self.place(
                self.timed([day], ["14:30", "09:30", "19:00"], 150),
                ["gd-science-center-hall"],
                choices,
            )
            self.event(
                "院士面对面：弘扬科学家精神报告会",
                EventKind.SCIENCE_DAY,
                "sysu-cast",
                start,
                end,
                venue,
                campaign=slug,
                speakers=people,
                audiences=(A.SCIENTISTS, A.YOUTH),
                expected=self.rng.randint(350, 550),
            )
            if offset:
                continue
            start, end, venue, _ = self.place(
                self.timed([day], ["14:30", "19:00"], 150), ["shenzhen-science-museum"]
            )
            self.event(
                "深圳青年科技工作者主题沙龙",
                EventKind.SALON,
                "shenzhen-cast",
                start,
                end,
                venue,
                campaign=slug,
                cohosts=("sustech-cast",),
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(80, 150),
            )
            start, end, venue, _ = self.place(self.timed([day], ["19:30"], 90), [ONLINE])
            self.event(
                "科技工作者心理压力调适线上讲座",
                EventKind.LECTURE,
                "gd-psychological-society",
                start,
                end,
                venue,
                campaign=slug,
                online=True,
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(300, 800),
            )

    # ----------------------------------------------------------------- the rest

    def recurring(self) -> None:
        y = self.year
        # host, title, rule, first-start candidates, time, minutes, venue, audiences, exdate#
        plans = [
            ("shenzhen-cast", "青少年人工智能科普课堂", "FREQ=WEEKLY;COUNT=8;BYDAY=WE",
             [d for d in day_range(date(y, 3, 1), date(y, 4, 30)) if d.weekday() == 2],
             "19:00", 90, "shenzhen-science-museum", (A.YOUTH,), 2),
            ("foshan-cast", "银龄智能手机课堂", "FREQ=WEEKLY;COUNT=10;BYDAY=TU",
             [d for d in day_range(date(y, 4, 7), date(y, 5, 31)) if d.weekday() == 1],
             "09:30", 90, "foshan-science-museum", (A.ELDERLY,), 4),
            ("gdou-cast", "海洋科普进校园", "FREQ=MONTHLY;COUNT=6;BYDAY=2TH",
             [nth_weekday(y, m, 3, 2) for m in (3, 4, 5)],
             "15:00", 90, "zhanjiang-gdou-hall", (A.YOUTH,), None),
            ("gd-agricultural-society", "乡村振兴农技直播课", "FREQ=MONTHLY;COUNT=6;BYDAY=3WE",
             [nth_weekday(y, m, 2, 3) for m in (9, 10)],
             "19:30", 90, ONLINE, (A.FARMERS,), 1),
            ("gd-medical-association", "科技期刊编辑能力提升培训班", "FREQ=DAILY;COUNT=2",
             self.working(day_range(date(y, 6, 8), date(y, 6, 30)), (1, 2, 3)),
             "09:00", 480, "gd-science-hall-room1", (A.SCIENTISTS,), None),
            ("dongguan-cast", "产业工人技能提升夜校", "FREQ=WEEKLY;COUNT=6;BYDAY=MO",
             [d for d in day_range(date(y + 1, 3, 1), date(y + 1, 4, 30)) if d.weekday() == 0],
             "19:00", 120, "dongguan-songshanhu-center", (A.WORKERS,), None),
            ("stu-cast", "校园科学开放日", "FREQ=MONTHLY;COUNT=4;BYDAY=1SA",
             [nth_weekday(y + 1, m, 5, 1) for m in (3, 4, 5)],
             None, 0, "shantou-stu-center", (A.PUBLIC, A.YOUTH), None),
        ]  # fmt: skip
        for host, title, rule, days, hhmm, minutes, venue_slug, audiences, skip in plans:
            venue = self.venues[venue_slug]
            all_day = hhmm is None
            for day in days:
                start = midnight(day) if all_day else at(day, hhmm)
                end = (
                    midnight(day + timedelta(days=1))
                    if all_day
                    else start + timedelta(minutes=minutes)
                )
                slots = expand(start, end, rule, [], TZ, all_day=all_day)
                exdates = []
                if skip is not None:
                    local = slots[skip].start.astimezone(TZ).replace(tzinfo=None)
                    exdates = [exdate_key(local, all_day)]
                    slots = [s for i, s in enumerate(slots) if i != skip]
                if self.ledger.free(venue, (), slots):
                    break
            else:
                raise DemoDataError(f"no free start for the recurring event {title!r}")
            self.event(
                title,
                EventKind.EXHIBITION
                if all_day
                else EventKind.TRAINING
                if minutes >= 480
                else EventKind.LECTURE,
                host,
                start,
                end,
                venue,
                rrule=rule,
                exdates=exdates,
                all_day=all_day,
                online=venue.is_online,
                audiences=audiences,
                expected=min(venue.capacity, self.rng.randint(40, 150)),
            )

    def window(self, year, month, first, last, weekdays=(0, 1, 2, 3, 4)) -> list[date]:
        return self.working(day_range(date(year, month, first), date(year, month, last)), weekdays)

    def assorted(self) -> None:
        """Conferences, competitions and filings in every state of the approval workflow."""
        self.annual_conference()
        for (
            offset,
            month,
            host,
            title,
            kind,
            venues,
            hhmm,
            minutes,
            status,
            reason,
            extra,
        ) in ASSORTED:
            year = self.year + offset
            start, end, venue, _ = self.place(
                self.timed(self.window(year, month, 10, 28), [hhmm], minutes), venues
            )
            self.event(
                title.format(year=year),
                kind,
                host,
                start,
                end,
                venue,
                status=status,
                reason=reason,
                is_major=extra.get("major", False),
                cohosts=extra.get("cohosts", ()),
                audiences=extra.get("aud", (A.SCIENTISTS,)),
            )
        self.typhoon_cancellation()
        self.forum_clash()

    def annual_conference(self) -> None:
        """A two-day annual conference, filed as a major event."""
        y = self.year
        days = self.window(y, 11, 3, 27, (1, 3))
        start, end, venue, people = self.place(
            ((at(d, "09:00"), at(d + timedelta(days=1), "17:30")) for d in days),
            ["zhanjiang-gdou-hall"],
            [["huang-zhenhua", "xie-yutong"], ["lin-haichuan", "xie-yutong"]],
        )
        self.event(
            f"{y}年南海海洋科学学术年会",
            EventKind.CONFERENCE,
            "chinese-society-oceanography",
            start,
            end,
            venue,
            is_major=True,
            speakers=people,
            cohosts=("gdou-cast", "gd-ocean-fisheries-society"),
            audiences=(A.SCIENTISTS,),
            expected=180,
        )

    def typhoon_cancellation(self) -> None:
        """A cancelled event of the current year (keeps the feeds' CANCELLED case visible)."""
        y, S = self.year, EventStatus
        start, end, venue, _ = self.place(
            self.timed(self.window(y, 9, 1, 11), ["09:30"], 180), ["zhanjiang-gdou-hall"]
        )
        self.event(
            "海洋牧场研学营",
            EventKind.TRAINING,
            "gdou-cast",
            start,
            end,
            venue,
            status=S.CANCELLED,
            reason="受台风影响，根据气象预警取消。",
            audiences=(A.YOUTH,),
        )

    def forum_clash(self) -> None:
        """A request for changes: the slot collides with an enterprise forum session."""
        y, S = self.year, EventStatus
        forum = self.venues["gd-science-hall-forum"]
        clash = next(
            e
            for e in self.events
            if e.series is self.series["enterprise-biweekly"]
            and e.venue is forum
            and e.start_at.year == y + 1
        )
        self.event(
            "新能源汽车产业链协同创新研讨会",
            EventKind.FORUM,
            "gd-automotive-engineering",
            clash.start_at + timedelta(hours=1),
            clash.end_at + timedelta(hours=1),
            forum,
            status=S.CHANGES_REQUESTED,
            reason="所选时段与企业双周论坛在广东科学馆多功能厅的场地安排冲突，请调整时间或场地。",
            allow_overlap=True,
            audiences=(A.ENTERPRISES,),
        )
