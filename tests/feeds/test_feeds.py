"""Calendar feeds: RFC 5545 content, HTTP caching, private tokens, speed in queries."""

import gzip
import re
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.extensions import db
from scheduler.feeds.models import FeedToken
from scheduler.feeds.service import FEEDS, FRAGMENTS
from scheduler.feeds.tokens import issue_feed_token, revoke_feed_token
from tests.conftest import sign_in
from tests.factories import (
    SHANGHAI,
    fill_events,
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)


@pytest.fixture(autouse=True)
def fresh_caches():
    FEEDS.clear()
    FRAGMENTS.clear()


def soon(days: int, hour: int = 14) -> datetime:
    """A local time some days from now (feeds show one year back to all future)."""
    day = date.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=SHANGHAI)


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.data)


def test_calendar_properties_and_vevent_content(client):
    venue = make_venue(
        name="广东科学馆", address="广州市越秀区连新路171号", latitude=23.13, longitude=113.27
    )
    series = make_series(name="岭南科学论坛", color="#c0392b")
    expert = make_person(name="王院士", title="中国科学院院士")
    event = make_event(
        start=soon(10),
        title="岭南科学论坛：量子科技",
        description="面向公众的前沿报告",
        venue=venue,
        series=series,
        speakers=[expert],
        cohosts=[make_society(name="广东省物理学会")],
        audiences=["youth"],
    )
    db.session.commit()
    cal = parse(client.get("/calendar.ics"))
    wanted = "PRODID VERSION CALSCALE METHOD NAME X-WR-CALNAME DESCRIPTION X-WR-CALDESC"
    for prop in (wanted + " X-WR-TIMEZONE REFRESH-INTERVAL X-PUBLISHED-TTL").split():
        assert prop in cal, prop
    assert str(cal["METHOD"]) == "PUBLISH" and str(cal["VERSION"]) == "2.0"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event.id}@scheduler.local"
    assert str(vevent["SUMMARY"]) == "岭南科学论坛：量子科技"
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent.decoded("DTSTART") == soon(10)
    description = str(vevent["DESCRIPTION"])
    assert "面向公众的前沿报告" in description and "广东省物理学会" in description
    assert "王院士" in description and f"/events/{event.id}" in description
    assert "广东科学馆" in str(vevent["LOCATION"])
    assert vevent.decoded("GEO") == (23.13, 113.27)
    assert str(vevent["URL"]).endswith(f"/events/{event.id}")
    categories = [str(c) for c in vevent["CATEGORIES"].cats]
    assert "岭南科学论坛" in categories
    assert vevent["ORGANIZER"].params["CN"] == event.host.name
    assert str(vevent["STATUS"]) == "CONFIRMED"
    for prop in ("DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE"):
        assert prop in vevent


def test_lines_are_folded_at_75_octets_with_crlf_and_whole_characters(client):
    make_event(start=soon(3), title="长" * 120, description="科普" * 200)
    db.session.commit()
    raw = client.get("/calendar.ics").data
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line for line in lines)
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # never a split character
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "长" * 120


def test_recurring_event_expands_to_the_occurrences_the_app_shows(client):
    start = soon(7, 19)
    exdate = (start + timedelta(weeks=2)).strftime("%Y-%m-%dT%H:%M")
    make_event(start=start, rrule="FREQ=WEEKLY;COUNT=6", exdates=[exdate], title="周三天文夜")
    make_event(start=soon(9), title="单次活动")
    db.session.commit()
    cal = parse(client.get("/calendar.ics"))
    window = (start - timedelta(days=1), start + timedelta(weeks=10))
    from_feed = sorted(
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(cal).between(*window)
        if str(e["SUMMARY"]) == "周三天文夜"
    )
    api = client.get(
        f"/api/v1/events?from={window[0].date()}&to={window[1].date()}&q=周三天文夜"
    ).get_json()
    from_app = sorted(datetime.fromisoformat(o["start"]) for o in api["items"][0]["occurrences"])
    assert from_feed == from_app
    assert len(from_app) == 5


def test_all_day_events_use_dates_with_an_exclusive_end(client):
    first = soon(20).date()
    make_event(
        start=local(first.year, first.month, first.day),
        hours=48,
        all_day=True,
        title="科普嘉年华",
    )
    db.session.commit()
    (vevent,) = parse(client.get("/calendar.ics")).walk("VEVENT")
    assert vevent.decoded("DTSTART") == first
    assert vevent.decoded("DTEND") == first + timedelta(days=2)
    assert "VALUE=DATE" in vevent.to_ical().decode()


def test_uid_stays_while_sequence_grows_and_cancelled_events_stay_marked(client, app):
    organizer = make_user(Role.ORGANIZER)
    event = make_event(start=soon(12), title="原标题")
    db.session.commit()
    first = parse(client.get("/calendar.ics")).walk("VEVENT")[0]
    workflow.update_event(event, {"title": "新标题"}, organizer)
    second = parse(client.get("/calendar.ics")).walk("VEVENT")[0]
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(second["SUMMARY"]) == "新标题"
    workflow.cancel(event, organizer, "场地维修")
    third = parse(client.get("/calendar.ics")).walk("VEVENT")[0]
    assert str(third["STATUS"]) == "CANCELLED"
    assert int(third["SEQUENCE"]) > int(second["SEQUENCE"])


def test_conditional_requests_and_changes_on_the_next_request(client, app):
    event = make_event(start=soon(5))
    db.session.commit()
    first = client.get("/calendar.ics")
    etag = first.headers["ETag"]
    assert etag.startswith('"')  # strong
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    since = first.headers["Last-Modified"]
    assert client.get("/calendar.ics", headers={"If-Modified-Since": since}).status_code == 304
    assert client.head("/calendar.ics").status_code == 200
    organizer = make_user(Role.ORGANIZER)
    workflow.update_event(event, {"title": "改期通知"}, organizer)
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 200 and "改期通知" in again.get_data(as_text=True)


def test_gzip_when_accepted(client):
    make_event(start=soon(4), description="内容" * 500)
    db.session.commit()
    plain = client.get("/calendar.ics")
    zipped = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert len(zipped.data) < len(plain.data)


def test_scoped_feeds_and_filters_combine(client):
    series = make_series(slug="lingnan", name="岭南科学论坛")
    sz = make_venue(slug="sz-hall", city="深圳")
    host = make_society(slug="gd-phys")
    a = make_event(start=soon(3), series=series, title="A论坛", host=host)
    make_event(start=soon(4), venue=sz, title="B讲座", kind="lecture", audiences=["youth"])
    make_event(start=soon(5), title="C展览", kind="exhibition", host=host)
    db.session.commit()

    def titles(url):
        return sorted(str(e["SUMMARY"]) for e in parse(client.get(url)).walk("VEVENT"))

    assert titles("/feeds/series/lingnan.ics") == ["A论坛"]
    assert titles("/feeds/venues/sz-hall.ics") == ["B讲座"]
    assert titles("/feeds/kinds/exhibition.ics") == ["C展览"]
    assert titles("/feeds/societies/gd-phys.ics") == ["A论坛", "C展览"]
    assert titles("/feeds/societies/gd-phys.ics?kind=exhibition") == ["C展览"]
    assert titles("/calendar.ics?city=深圳&audience=youth") == ["B讲座"]
    assert str(parse(client.get("/feeds/series/lingnan.ics"))["X-WR-CALNAME"]) == "岭南科学论坛"
    assert titles(f"/events/{a.id}.ics") == ["A论坛"]


def test_unknown_feeds_are_plain_404(client):
    for url in ("/feeds/series/nope.ics", "/feeds/kinds/party.ics", "/feeds/private/nope.ics",
                "/events/999999.ics"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404
        assert response.mimetype == "text/plain" and response.get_data(as_text=True).strip()


def test_private_feed_shows_pending_events_to_its_owner_only(client, app):
    mine, theirs = make_society(), make_society()
    editor = make_user(Role.EDITOR, society=mine)
    make_event(start=soon(6), host=mine, status=EventStatus.SUBMITTED, title="待审活动")
    make_event(start=soon(6, 9), host=theirs, status=EventStatus.SUBMITTED, title="别家待审")
    make_event(start=soon(7), host=mine, status=EventStatus.DRAFT, title="草稿")
    db.session.commit()
    assert "待审活动" not in client.get("/calendar.ics").get_data(as_text=True)
    token = issue_feed_token(editor, "办公室")
    assert len(token) >= 32  # 192 random bits, url-safe
    cal = parse(client.get(f"/feeds/private/{token}.ics"))
    events = {str(e["SUMMARY"]): str(e["STATUS"]) for e in cal.walk("VEVENT")}
    assert events == {"待审活动": "TENTATIVE"}
    token_row = db.session.scalars(db.select(FeedToken)).one()
    assert token not in token_row.token_hash
    assert revoke_feed_token(editor, token_row.id)
    assert client.get(f"/feeds/private/{token}.ics").status_code == 404


def test_private_feed_links_are_made_and_revoked_in_the_portal(app, client):
    society = make_society()
    editor = make_user(Role.EDITOR, society=society)
    db.session.commit()
    csrf = sign_in(client, editor.email)
    created = client.post("/portal/feeds", data={"name": "手机", "csrf_token": csrf})
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    url = re.search(r'value="(http[^"]+/feeds/private/[^"]+\.ics)"', page).group(1)
    base = app.config["PUBLIC_BASE_URL"]  # links are canonical, whatever the request's host
    assert url.startswith(base + "/feeds/private/")
    path = url.removeprefix(base)
    assert client.get(path).status_code == 200
    token_id = re.search(r"/portal/feeds/(\d+)/revoke", page).group(1)
    client.post(f"/portal/feeds/{token_id}/revoke", data={"csrf_token": csrf})
    assert client.get(path).status_code == 404


def test_feed_build_uses_at_most_three_queries_whatever_the_size(client, count_queries):
    def count():
        FEEDS.clear()
        FRAGMENTS.clear()
        with count_queries() as statements:
            assert client.get("/calendar.ics").status_code == 200
        return len(statements)

    today = date.today() + timedelta(days=30)
    fill_events(10, year=today.year, month=today.month, audiences=["youth"])
    db.session.commit()
    small = count()
    fill_events(490, year=today.year, month=today.month, audiences=["youth"])
    db.session.commit()
    assert count() == small <= 3
    with count_queries() as statements:
        client.get("/calendar.ics")
    assert statements == []  # warm: the version is a stamp file, the feed is cached


def test_database_version_source_also_shows_changes(database_url, app):
    other = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, FEED_VERSION_SOURCE="database")
    client = other.test_client()
    event = make_event(start=soon(3), title="版本甲")
    db.session.commit()
    first = client.get("/calendar.ics")
    assert "版本甲" in first.get_data(as_text=True)
    assert (
        client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    workflow.update_event(event, {"title": "版本乙"}, make_user(Role.ORGANIZER))
    assert "版本乙" in client.get("/calendar.ics").get_data(as_text=True)


def test_subscribe_links_follow_the_filters(app, client):
    html = client.get("/?city=广州&kind=forum").get_data(as_text=True)
    public = app.config["PUBLIC_BASE_URL"].split("://", 1)[1]
    assert f"webcal://{public}/calendar.ics?" in html
    assert "calendar.google.com/calendar/r?cid=webcal" in html
    assert "kind=forum" in html


def test_anonymous_feed_requests_are_rate_limited(app, database_url):
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        FEED_RATE_LIMIT="3 per minute",
    )
    client = app.test_client()
    codes = [client.get("/calendar.ics").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_a_moved_occurrence_becomes_a_recurrence_id_override(client, app):
    from scheduler.accounts.models import ApiToken

    host = make_society()
    organizer = make_user(Role.ORGANIZER)  # editors cannot change approved events
    row, plain = ApiToken.issue(organizer)
    db.session.add(row)
    start = soon(14, 19)
    event = make_event(start=start, rrule="FREQ=WEEKLY;COUNT=4", host=host, title="每周讲座")
    db.session.commit()
    key = (start + timedelta(weeks=1)).strftime("%Y-%m-%dT%H:%M")
    moved_to = start + timedelta(weeks=1, days=1)
    response = client.patch(
        f"/api/v1/events/{event.id}/occurrences/{key}",
        json={
            "start": moved_to.strftime("%Y-%m-%dT%H:%M"),
            "end": (moved_to + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 200, response.get_json()
    cal = parse(client.get("/calendar.ics"))
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 2 and len({str(v["UID"]) for v in vevents}) == 1
    override = next(v for v in vevents if "RECURRENCE-ID" in v)
    assert override.decoded("RECURRENCE-ID") == start + timedelta(weeks=1)
    assert override.decoded("DTSTART") == moved_to
    window = (start - timedelta(days=1), start + timedelta(weeks=6))
    from_feed = sorted(e.decoded("DTSTART") for e in recurring_ical_events.of(cal).between(*window))
    from_app = sorted(o.start_at for o in db.session.get(type(event), event.id).occurrences)
    assert from_feed == from_app
    assert moved_to in from_feed and start + timedelta(weeks=1) not in from_feed
    bad = client.patch(
        f"/api/v1/events/{event.id}/occurrences/2099-01-01T10:00",
        json={"start": "2099-01-02T10:00", "end": "2099-01-02T11:00"},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "overrides"
    cancelled = client.patch(
        f"/api/v1/events/{event.id}/occurrences/{key}",
        json={"cancelled": True},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert cancelled.status_code == 200
    assert len(parse(client.get("/calendar.ics")).walk("VEVENT")) == 1
    assert len(db.session.get(type(event), event.id).occurrences) == 3


def test_the_fast_path_answers_unchanged_feeds_and_steps_aside_after_a_change(client, app):
    event = make_event(start=soon(8), title="快速路径")
    db.session.commit()
    first = client.get("/calendar.ics")
    fastpath = app.extensions["feed_fastpath"]
    flask_app, calls = fastpath.wsgi_app, []

    def counting(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    fastpath.wsgi_app = counting
    try:
        again = client.get("/calendar.ics")
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
        assert (
            client.get(
                "/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
            ).status_code
            == 304
        )
        assert client.head("/calendar.ics").status_code == 200
        assert calls == []  # all three answered before Flask
        workflow.update_event(event, {"title": "已改名"}, make_user(Role.ORGANIZER))
        changed = client.get("/calendar.ics")
        assert "已改名" in changed.get_data(as_text=True)
        assert calls == ["/calendar.ics"]  # the change sent it back to the view
    finally:
        fastpath.wsgi_app = flask_app


def test_renaming_a_venue_or_host_reaches_the_cached_events(client):
    event = make_event(start=soon(5), title="更名测试", venue=make_venue())
    db.session.commit()
    assert event.venue.name in client.get("/calendar.ics").get_data(as_text=True)
    event.venue.name = "新命名报告厅"
    event.host.name = "新命名学会"
    db.session.commit()
    body = client.get("/calendar.ics").get_data(as_text=True)
    assert "新命名报告厅" in body and "新命名学会" in body
