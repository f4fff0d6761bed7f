"""The brand series' sessions: lecture hall, enterprise forum, 岭南科学论坛, salons and meetings."""

from collections import defaultdict
from datetime import date, timedelta

from ..enums import EventKind, EventStatus
from .builder import DemoBuilder
from .calendar import day_range
from .data import (
    _CITY_SLUG,
    ACADEMICIANS,
    BIWEEKLY_HOSTS,
    BIWEEKLY_TOPICS,
    BIWEEKLY_VISITS,
    CITY_VENUES,
    EXPERTS,
    INDUSTRY_SPEAKERS,
    LINGNAN_NEXT_YEAR,
    LINGNAN_THIS_YEAR,
    SALON_HOSTS,
    SALON_THEMES,
    SOCIETIES,
    A,
    P,
    U,
)


class SeriesEvents(DemoBuilder):
    def lecture_hall(self) -> None:
        hall = "gd-science-hall-lecture"
        hosts = [s[0] for s in SOCIETIES if s[3] in (P, U)]
        speakers = [ACADEMICIANS[i // 6 % 4] if i % 6 == 5 else EXPERTS[i % len(EXPERTS)]
                    for i in range(48)]  # fmt: skip
        index, typhoon_cancelled = 0, False
        for year, last_month in ((self.year, 12), (self.year + 1, 6)):
            saturdays = [
                d
                for d in day_range(
                    date(year, 1, 1), date(year, last_month, 30 if last_month == 6 else 31)
                )
                if d.weekday() == 5
            ]
            number = 0
            for sat in saturdays:
                fri, mon = sat - timedelta(days=1), sat + timedelta(days=2)
                if fri in self.off and mon in self.off:  # Spring Festival, May Day, National Day
                    continue
                number += 1
                host = hosts[index % len(hosts)]
                choices = [[speakers[(index + k) % len(speakers)]] for k in range(len(speakers))]
                start, end, venue, people = self.place(
                    self.timed([sat], ["10:00"], 120), [hall], choices
                )
                status, reason = None, ""
                if year == self.year and sat.month == 9 and not typhoon_cancelled:
                    status, reason = EventStatus.CANCELLED, "受台风影响，根据气象预警本讲取消。"
                    typhoon_cancelled = True
                self.event(
                    f"学会大讲堂（第{number}讲）：{self.topic(host)}",
                    EventKind.LECTURE,
                    host,
                    start,
                    end,
                    venue,
                    status=status,
                    reason=reason,
                    series="society-lecture-hall",
                    speakers=people,
                    audiences=(A.PUBLIC, A.YOUTH),
                    expected=self.rng.randint(180, 360),
                )
                index += 1

    def biweekly(self) -> None:
        first = date(self.year, 1, 5)
        first += timedelta(days=(3 - first.weekday()) % 7)
        day, index = first, 0
        numbers = {self.year: 0, self.year + 1: 0}
        while day.year <= self.year + 1:
            if self.free_day(day):
                numbers[day.year] += 1
                host = BIWEEKLY_HOSTS[index % len(BIWEEKLY_HOSTS)]
                visit = index % 4 == 3
                venues = [BIWEEKLY_VISITS[index // 4 % 3]] if visit else []
                venues.append("gd-science-hall-forum")
                choices = [[INDUSTRY_SPEAKERS[(index + k) % len(INDUSTRY_SPEAKERS)]]
                           for k in range(len(INDUSTRY_SPEAKERS))]  # fmt: skip
                start, end, venue, people = self.place(
                    self.timed([day], ["14:30"], 150), venues, choices
                )
                topic = BIWEEKLY_TOPICS[index % len(BIWEEKLY_TOPICS)]
                self.event(
                    f"企业双周论坛第{numbers[day.year]}期：{topic}",
                    EventKind.FORUM,
                    host,
                    start,
                    end,
                    venue,
                    series="enterprise-biweekly",
                    organizers=("gd-science-tech-dept", "gd-federation-commerce"),
                    speakers=people,
                    audiences=(A.ENTERPRISES, A.SCIENTISTS),
                    expected=self.rng.randint(120, 240),
                )
                index += 1
            day += timedelta(days=14)

    def lingnan(self) -> None:
        y = self.year
        plans = [(y, 3 + i, host, theme, venue, None)
                 for i, (host, theme, venue) in enumerate(LINGNAN_THIS_YEAR)]  # fmt: skip
        plans += [(y + 1, 3 + i, host, theme, venue, status)
                  for i, (host, theme, venue, status) in enumerate(LINGNAN_NEXT_YEAR)]  # fmt: skip
        numbers: dict[int, int] = defaultdict(int)
        for i, (year, month, host, theme, venue_slug, status) in enumerate(plans):
            numbers[year] += 1
            last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
            days = self.working(day_range(date(year, month, 12), last), weekdays=(1, 2, 3, 4))
            city = self.venues[venue_slug].city
            venues = [venue_slug, *[v for v in CITY_VENUES[city] if v != venue_slug]]
            choices = [
                [ACADEMICIANS[(i + k) % 4], EXPERTS[(i * 5 + k) % len(EXPERTS)]] for k in range(8)
            ]
            start, end, venue, people = self.place(
                self.timed(days, ["14:30"], 180), venues, choices
            )
            cohost = "guangzhou-cast" if city == "广州" else f"{_CITY_SLUG[city]}-cast"
            self.event(
                f"{year}年岭南科学论坛第{numbers[year]}期：{theme}",
                EventKind.FORUM,
                host,
                start,
                end,
                venue,
                status=status,
                series="lingnan-forum",
                speakers=people,
                cohosts=(cohost,),
                audiences=(A.SCIENTISTS,),
                expected=min(venue.capacity, self.rng.randint(180, 350)),
            )

    def salons_and_meetings(self) -> None:
        for offset in (0, 1):
            year = self.year + offset
            for k, month in enumerate((4, 7, 11)):
                host = SALON_HOSTS[offset][k]
                days = self.working(
                    day_range(date(year, month, 8), date(year, month, 25)), (1, 2, 3)
                )
                start, end, venue, _ = self.place(
                    self.timed(days, ["14:30"], 150), ["gd-science-hall-room1"]
                )
                self.event(
                    f"{year}年第{k + 1}次秘书长沙龙：{SALON_THEMES[k]}",
                    EventKind.SALON,
                    host,
                    start,
                    end,
                    venue,
                    series="secretary-salon",
                    audiences=(A.OFFICIALS,),
                    expected=self.rng.randint(40, 70),
                )
            host = ("gd-medical-association", "gd-chemical-society")[offset]
            days = self.working(day_range(date(year, 3, 10), date(year, 3, 31)), (1, 2))
            start, end, venue, _ = self.place(
                self.timed(days, ["09:00"], 480),
                ["gd-science-hall-forum", "gd-science-center-hall"],
            )
            self.event(
                f"{year}年广东省省级学会科技期刊发展论坛",
                EventKind.CONFERENCE,
                host,
                start,
                end,
                venue,
                series="journal-forum",
                cohosts=("gd-computer-society", "gd-pharmaceutical-association"),
                speakers=[self.people["cai-qiuyun"]],
                audiences=(A.SCIENTISTS,),
                expected=self.rng.randint(150, 240),
            )
            days = self.working(day_range(date(year, 12, 1), date(year, 12, 20)), (1, 2, 3, 4))
            start, end, venue, _ = self.place(
                self.timed(days, ["09:00"], 210), ["gd-science-center-hall"]
            )
            self.event(
                f"{year}年全省学会工作会议",
                EventKind.CONFERENCE,
                "guangzhou-cast",
                start,
                end,
                venue,
                is_major=True,
                audiences=(A.OFFICIALS,),
                expected=450,
                description="总结全年学会工作，部署下一年度重点任务，通报学会综合能力评估结果。",
            )
