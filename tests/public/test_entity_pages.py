"""The public pages of societies, venues, speakers and series, and the speakers' feeds."""

import re
from datetime import date, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from scheduler.enums import EventKind, EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.series.cadence import describe_cadence
from scheduler.societies.models import SocietyKind
from tests.factories import (
    SHANGHAI,
    make_event,
    make_person,
    make_series,
    make_society,
    make_venue,
)

S = EventStatus


def days_from_now(days: int, hour: int = 19) -> datetime:
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def section(html: str, title_id: str) -> str:
    """The HTML of the page's section labelled by ``title_id`` (upcoming / past)."""
    return html.split(f'aria-labelledby="{title_id}"', 1)[1].split("</section>\n  <section", 1)[0]


def titles(html: str) -> list[str]:
    return re.findall(r'<span class="title">([^<]*)</span>', html)


@pytest.fixture
def harbin(app):
    """An enterprise association in Harbin hosting, co-hosting and losing events of every
    status, with a hall, a speaker and a monthly series."""
    society = make_society(
        slug="hrb-ent", name="哈尔滨市企业科协", short_name="哈企科协",
        kind=SocietyKind.ENTERPRISE, city="哈尔滨", discipline="冰雪装备",
    )  # fmt: skip
    other = make_society(slug="dl-uni", name="大连理工大学科协", kind=SocietyKind.UNIVERSITY,
                         city="大连")  # fmt: skip
    hall = make_venue(slug="ice-hall", name="冰城科技馆报告厅", city="哈尔滨",
                      address="松北区世博路1号", capacity=320)  # fmt: skip
    speaker = make_person(slug="zhao-bing", name="赵冰", title="研究员",
                          affiliation="哈尔滨工业大学")  # fmt: skip
    series = make_series(slug="ice-salon", name="冰雪沙龙", color="#0a7c86",
                         description="每月一次的冰雪科技沙龙",
                         cadence_rrule="FREQ=MONTHLY;BYDAY=1SA")  # fmt: skip

    def event(title, days, status=S.APPROVED, **kw):
        return make_event(start=days_from_now(days), title=title, status=status, **kw)

    common = {"venue": hall, "series": series, "speakers": [speaker]}
    event("冰雪论坛下周", 7, host=society, **common)
    event("冰雪论坛明天", 1, host=society, **common)
    event("合办讲座", 3, host=other, cohosts=[society], venue=hall)
    event("去年沙龙", -30, S.COMPLETED, host=society, **common)
    event("上月取消", -10, S.CANCELLED, host=society, **common)
    event("草稿沙龙", 5, S.DRAFT, host=society, **common)
    event("待审沙龙", 6, S.SUBMITTED, host=society, **common)
    event("别人的活动", 4, host=other)
    # A three-day exhibition that started yesterday: still upcoming, not past.
    make_event(start=days_from_now(-1, 9), hours=72, title="冰雕展览", host=society,
               kind=EventKind.EXHIBITION)  # fmt: skip
    db.session.commit()
    return society


def test_society_page_lists_upcoming_and_past_public_events(client, harbin):
    html = client.get("/societies/hrb-ent").get_data(as_text=True)
    assert "<h1>哈尔滨市企业科协</h1>" in html
    assert "企业科协" in html and "哈尔滨" in html and "冰雪装备" in html
    upcoming, past = section(html, "upcoming-title"), section(html, "past-title")
    assert titles(upcoming) == ["冰雕展览", "冰雪论坛明天", "合办讲座", "冰雪论坛下周"]
    assert titles(past) == ["上月取消", "去年沙龙"]  # newest first; cancelled stays, marked
    assert "草稿沙龙" not in html and "待审沙龙" not in html and "别人的活动" not in html
    # Its feed (https and webcal) and the calendar filtered by it.
    assert "/feeds/societies/hrb-ent.ics" in html
    assert 'href="webcal://' in html
    assert 'href="/?society=hrb-ent"' in html


def test_venue_speaker_and_series_pages(client, harbin):
    venue = client.get("/venues/ice-hall").get_data(as_text=True)
    assert "松北区世博路1号" in venue and "320" in venue
    assert "https://uri.amap.com/search?keyword=" in venue
    assert "https://www.openstreetmap.org/search?query=" in venue
    assert titles(section(venue, "upcoming-title")) == ["冰雪论坛明天", "合办讲座", "冰雪论坛下周"]
    assert "/feeds/venues/ice-hall.ics" in venue

    speaker = client.get("/speakers/zhao-bing").get_data(as_text=True)
    assert "研究员" in speaker and "哈尔滨工业大学" in speaker
    assert titles(section(speaker, "past-title")) == ["上月取消", "去年沙龙"]
    assert "/feeds/speakers/zhao-bing.ics" in speaker and 'href="/?speaker=zhao-bing"' in speaker
    filtered = client.get("/?speaker=zhao-bing").get_data(as_text=True)
    assert titles(filtered) == ["冰雪论坛明天", "冰雪论坛下周"]

    series = client.get("/series/ice-salon").get_data(as_text=True)
    assert "每月一次的冰雪科技沙龙" in series and "#0a7c86" in series
    assert "每月第一个星期六" in series  # the cadence in words
    english = client.get("/series/ice-salon?lang=en")
    assert "Every month on the first Saturday" in english.get_data(as_text=True)


def test_unknown_inactive_and_private_entities_are_404(client, harbin):
    quiet = make_person(slug="quiet-expert", name="未公开专家")
    make_event(start=days_from_now(9), title="草稿报告", status=S.DRAFT, host=harbin,
               speakers=[quiet])  # fmt: skip
    make_society(slug="closed-society", name="已注销学会", active=False)
    make_venue(slug="closed-hall", active=False)
    make_series(slug="old-series", active=False)
    retired = make_person(slug="retired", name="退休专家", active=False)
    make_event(start=days_from_now(8), host=harbin, speakers=[retired])
    db.session.commit()
    for path in (
        "/societies/no-such", "/venues/no-such", "/speakers/no-such", "/series/no-such",
        "/speakers/quiet-expert", "/societies/closed-society", "/venues/closed-hall",
        "/series/old-series", "/speakers/retired",
    ):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        assert "<h1>404</h1>" in response.get_data(as_text=True)
    assert client.get("/feeds/speakers/quiet-expert.ics").status_code == 404
    # The indexes list the same: active entities, speakers of public events only.
    speakers = client.get("/speakers").get_data(as_text=True)
    assert 'href="/speakers/zhao-bing"' in speakers and "未公开专家" not in speakers
    assert "退休专家" not in speakers
    societies = client.get("/societies").get_data(as_text=True)
    assert 'href="/societies/hrb-ent"' in societies and "已注销学会" not in societies
    assert "closed-hall" not in client.get("/venues").get_data(as_text=True)
    series = client.get("/series").get_data(as_text=True)
    assert 'href="/series/ice-salon"' in series and "old-series" not in series
    # The signed-in calendar sync page under the society's address is still there.
    assert client.get("/societies/hrb-ent/calendar").status_code == 302


def test_event_page_and_calendar_rows_link_to_the_pages(client, harbin):
    event = db.session.scalar(sa.select(Event).where(Event.title == "合办讲座"))
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'href="/societies/dl-uni"' in html and 'href="/societies/hrb-ent"' in html
    assert 'href="/venues/ice-hall"' in html
    calendar = client.get("/").get_data(as_text=True)
    assert 'href="/series/ice-salon"' in calendar and 'href="/venues/ice-hall"' in calendar
    assert 'href="/societies/hrb-ent"' in calendar


def test_speaker_feed_carries_only_that_speakers_public_events(client, harbin):
    other = make_person(slug="qian-xue", name="钱雪")
    make_event(start=days_from_now(12), title="钱雪报告", host=harbin, speakers=[other])
    db.session.commit()
    response = client.get("/feeds/speakers/zhao-bing.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["上月取消", "冰雪论坛下周", "冰雪论坛明天", "去年沙龙"]
    assert str(calendar["X-WR-CALNAME"]) == "赵冰"
    again = client.get(
        "/feeds/speakers/zhao-bing.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_more_link_when_upcoming_events_exceed_the_page(client):
    series = make_series(
        slug="weekly-hall", name="周末大讲堂", cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU"
    )
    host = make_society(slug="cq-city", name="重庆市科协", kind=SocietyKind.CITY, city="重庆")
    for n in range(21):
        make_event(start=days_from_now(n + 1), title=f"大讲堂{n}", series=series, host=host)
    db.session.commit()
    html = client.get("/series/weekly-hall").get_data(as_text=True)
    assert len(titles(section(html, "upcoming-title"))) == 20
    assert "大讲堂19" in html and "大讲堂20" not in html
    assert 'href="/?series=weekly-hall"' in html
    assert "每2周的星期六、星期日" in html


def test_pages_use_a_constant_number_of_queries(client, count_queries):
    host = make_society(slug="xm-partner", name="厦门市科技局", kind=SocietyKind.PARTNER,
                        city="厦门")  # fmt: skip
    hall = make_venue(slug="xm-hall", city="厦门")
    series = make_series(slug="xm-series")
    person = make_person(slug="xm-expert")
    paths = ["/societies/xm-partner", "/venues/xm-hall", "/series/xm-series", "/speakers/xm-expert"]

    def add(n: int, first: int) -> None:  # half upcoming, half past
        for i in range(n):
            days = first + i if i % 2 else -(first + i)
            make_event(start=days_from_now(days), host=host, venue=hall, series=series,
                       speakers=[person, make_person()])  # fmt: skip
        db.session.commit()

    def count(path: str) -> int:
        with count_queries() as statements:
            assert client.get(path).status_code == 200, path
        return len(statements)

    add(2, 1)
    small = [count(p) for p in paths]
    add(24, 10)
    assert [count(p) for p in paths] == small


def test_cadence_in_words(app):
    cases = {
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH": "Every 2 weeks on Thursday",
        "FREQ=WEEKLY": "Every week",
        "FREQ=MONTHLY;BYDAY=-1FR": "Every month on the last Friday",
        "FREQ=MONTHLY;BYMONTHDAY=1,15": "Every month on day 1, 15",
        "FREQ=DAILY;INTERVAL=3": "Every 3 days",
        "FREQ=YEARLY": "Every year",
        "FREQ=MONTHLY;BYDAY=SA": None,  # every Saturday: not put in words
        "FREQ=WEEKLY;BYHOUR=9": None,
        "FREQ=WEEKLY;INTERVAL=x": None,
        "": None,
    }
    with app.test_request_context("/?lang=en"):
        assert {rule: describe_cadence(rule) for rule in cases} == cases
