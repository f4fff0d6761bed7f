"""The cold path of the public reads (issue #19): pages and API reads load what they show as
rows in a few statements, none of which grows with the data."""

import re
from datetime import timedelta

import pytest

from scheduler.enums import EventKind, EventStatus
from scheduler.events.models import Event
from scheduler.events.occurrences import sync_occurrences
from scheduler.events.queries import MAX_FILTER_VALUES
from scheduler.extensions import db
from tests.bounded_params import MAX_PARAMETERS, analyze_event_tables, bounded_parameters
from tests.conftest import sign_in
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

HOURS = (8, 11, 14, 19)  # four events a day: a month cell is full


def busy_july(days: int = 31) -> dict:
    """Four events on every day of July 2032 in Urumqi and Lhasa (over a hundred rows)."""
    host = make_society(name="新疆维吾尔自治区天文学会", short_name="新疆天文学会", city="乌鲁木齐")
    venues = [
        make_venue(name="天山天文台报告厅", city="乌鲁木齐"),
        make_venue(name="拉萨科技馆", city="拉萨"),
    ]
    series = make_series(name="丝路星空讲堂", color="#8a2be2")
    events = []
    for day in range(1, days + 1):
        for i, hour in enumerate(HOURS):
            start = local(2032, 7, day, hour)
            event = Event(
                title=f"星空{day}日{hour}时",
                kind=EventKind.LECTURE,
                status=EventStatus.APPROVED,
                start_at=start,
                end_at=start + timedelta(hours=1.5),
                host=host,
                venue=venues[(day + i) % 2],
                series=series if i == 0 else None,
            )
            sync_occurrences(event)  # one flush for all: the month is built in bulk
            events.append(event)
    db.session.add_all(events)
    db.session.commit()
    analyze_event_tables()
    return {"host": host, "events": events, "series": series}


def test_month_week_list_and_api_month_send_bounded_parameter_lists(client, count_queries):
    world = busy_july()
    assert len(world["events"]) > MAX_PARAMETERS
    pages = {
        "/?view=month&month=2032-07": 8,
        "/?view=week&week=2032-07-12": 8,
        "/?from=2032-07-01": 7,
        "/api/v1/events?from=2032-07-01&to=2032-07-31&per_page=200": 7,
    }
    for url, most in pages.items():
        with count_queries() as statements, bounded_parameters(db.engine):
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(statements) <= most, (url, statements)
    month = client.get("/?view=month&month=2032-07").get_data(as_text=True)
    assert month.count('class="occ') == 124  # four a day, every day shown
    listing = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&per_page=200").get_json()
    assert listing["total"] == 124 and len(listing["items"]) == 124
    assert listing["items"][0]["title"] == "星空1日8时"
    assert listing["items"][0]["host"]["name"] == "新疆维吾尔自治区天文学会"


def test_a_calendar_cell_shows_times_names_and_links_from_rows(client):
    host = make_society(name="西藏自治区地质学会", short_name="藏地学会", city="拉萨")
    venue = make_venue(name="布达拉宫广场展厅", city="拉萨")
    series = make_series(name="高原地学沙龙", color="#2e8b57")
    event = make_event(
        start=local(2032, 8, 9, 19, 0), host=host, venue=venue, series=series, title="冰川"
    )
    make_event(start=local(2032, 8, 9, 7, 5), host=host, title="晨讲", status=EventStatus.CANCELLED)
    db.session.commit()
    for lang in ("zh", "en"):
        html = client.get(f"/?view=month&month=2032-08&lang={lang}").get_data(as_text=True)
        cell = html.split('<span class="day">9</span>')[1].split("</td>")[0]
        # 24-hour "HH:mm" in every language, never seconds or AM/PM.
        assert "19:00–21:00" in cell and "07:05–09:05" in cell, cell
        assert "19:00:00" not in cell and "PM" not in cell
        assert f'href="/events/{event.id}"' in cell
        text = re.sub(r"<[^>]+>", "", cell)  # names are links to their own pages
        assert "高原地学沙龙" in text and "藏地学会" in text and "布达拉宫广场展厅（拉萨）" in text
        assert "--series: #2e8b57" in cell
    english = client.get("/?view=month&month=2032-08&lang=en").get_data(as_text=True)
    assert "Cancelled" in english and "Forum" in english


def test_the_more_link_keeps_the_filters_and_lists_the_day(client):
    world = busy_july(days=2)
    make_event(start=local(2032, 7, 1, 21), host=world["host"], title="第五场")
    db.session.commit()
    slug = world["host"].slug
    html = client.get(f"/?view=month&month=2032-07&society={slug}").get_data(as_text=True)
    link = re.search(r'class="more" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"society={slug}" in link and "view=list" in link and "month=" not in link
    day = client.get(link).get_data(as_text=True)
    assert "第五场" in day and "星空1日8时" in day and "星空2日8时" not in day


def test_the_event_page_takes_at_most_four_queries(client, count_queries):
    host = make_society(name="青海省生态学会")
    cohost = make_society(name="三江源国家公园科普中心")
    organizer = make_society(name="青海省科学技术协会")
    speakers = [make_person(name="卓玛", title="研究员"), make_person(name="马晓东")]
    event = make_event(
        start=local(2032, 9, 1, 9, 30),
        host=host,
        venue=make_venue(name="西宁科学馆", address="西宁市城西区"),
        title="湿地与候鸟",
        rrule="FREQ=WEEKLY;COUNT=3",
        audiences=["youth", "farmers"],
        cohosts=[cohost],
        organizing_societies=[organizer],
        speakers=speakers,
    )
    db.session.commit()
    event_id = event.id
    db.session.expunge_all()  # nothing loaded before the request
    with count_queries() as statements:
        html = client.get(f"/events/{event_id}").get_data(as_text=True)
    # The event with its names, its speakers, and the dates of a repeating event (moved and
    # cancelled ones marked: scheduler/public/occurrences.py); a single event takes three.
    assert len(statements) <= 4, statements
    for text in ("湿地与候鸟", "青海省生态学会", "三江源国家公园科普中心", "青海省科学技术协会"):
        assert text in html
    text = re.sub(r"<[^>]+>", "", html)  # names are links to their own pages
    assert "卓玛（研究员）、马晓东" in text and "西宁科学馆, 西宁市城西区" in text
    dates = html.split('<ul class="dates">')[1].split("</ul>")[0]
    assert dates.count("<li") == 3 and ": 3 " in html  # three dates, "Repeats: 3 times"
    assert "09:30 – 11:30" in html


def test_an_unpublished_event_page_is_404_without_loading_it(client):
    draft = make_event(status=EventStatus.DRAFT, title="未公开的草稿")
    db.session.commit()
    response = client.get(f"/events/{draft.id}")
    assert response.status_code == 404 and "未公开的草稿" not in response.get_data(as_text=True)


def test_api_month_pages_count_once_and_past_the_end_is_404(client, count_queries):
    busy_july(days=3)
    first = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&per_page=5").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (12, 3, 5)
    last = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&per_page=5&page=3")
    assert last.get_json()["total"] == 12 and len(last.get_json()["items"]) == 2
    beyond = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&per_page=5&page=4")
    assert beyond.status_code == 404 and "3" in beyond.get_json()["message"]
    # A filter that needs the events (a kind) gives the same answer by another plan.
    lectures = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&kind=lecture")
    assert lectures.get_json()["total"] == 12
    none = client.get("/api/v1/events?from=2032-07-01&to=2032-07-31&kind=forum").get_json()
    assert (none["total"], none["items"]) == (0, [])


@pytest.mark.parametrize("url", ["/?society={values}", "/api/v1/events?city={values}"])
def test_too_many_filter_values_are_a_400(client, url):
    values = ",".join(f"s{i}" for i in range(MAX_FILTER_VALUES + 1))
    response = client.get(url.format(values=values))
    assert response.status_code == 400
    assert str(MAX_FILTER_VALUES) in response.get_data(as_text=True)


def test_the_conflict_check_reads_bookings_and_free_venues_in_few_statements(client, count_queries):
    make_society(slug="gs-geo", name="甘肃省地理学会", city="兰州")
    other = make_society(name="兰州大学科协", city="兰州")
    busy_hall = make_venue(slug="gs-hall", name="甘肃科技馆报告厅", city="兰州", capacity=300)
    make_venue(name="兰州图书馆讲堂", city="兰州", capacity=200)
    taken = make_venue(name="黄河楼", city="兰州", capacity=250)
    expert = make_person(slug="zhang-ys", name="张院士")
    for venue in (busy_hall, taken):
        make_event(
            start=local(2032, 5, 20, 14),
            host=other,
            venue=venue,
            speakers=[expert],
            audiences=["youth"],
            title=f"{venue.name}的讲座",
        )
    organizer = make_user(email="gs-organizer@example.org")
    db.session.commit()
    analyze_event_tables()
    sign_in(client, organizer.email)
    proposal = {
        "title": "丝绸之路地理",
        "kind": "lecture",
        "host": "gs-geo",
        "venue": "gs-hall",
        "start": "2032-05-20T14:30",
        "end": "2032-05-20T16:30",
        "expected_attendance": 100,
        "audiences": ["youth"],
        "speakers": ["zhang-ys"],
    }
    with count_queries() as statements, bounded_parameters(db.engine):
        response = client.post("/api/v1/conflicts/check", json=proposal)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(statements) <= 8, statements
    findings = response.get_json()["findings"]
    rules = {f["rule"] for f in findings}
    assert {"venue_overlap", "speaker_overlap", "audience_overlap"} <= rules
    venue_finding = next(f for f in findings if f["rule"] == "venue_overlap")
    # The expert speaks elsewhere then: another hall at that time would keep that error.
    assert all(s["start"][:16] != "2032-05-20T14:30" for s in venue_finding["suggestions"])
    alone = client.post("/api/v1/conflicts/check", json={**proposal, "speakers": []})
    venue_finding = next(f for f in alone.get_json()["findings"] if f["rule"] == "venue_overlap")
    elsewhere = {s["venue"]["name"] for s in venue_finding["suggestions"] if s["venue"]}
    assert "兰州图书馆讲堂" in elsewhere and "黄河楼" not in elsewhere
