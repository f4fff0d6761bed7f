"""Public pages: the calendar (list and month), event pages, /healthz."""

import re

import pytest

from scheduler.enums import EventStatus
from scheduler.extensions import db
from tests.factories import fill_events, local, make_campaign, make_event, make_series, make_venue


def test_list_view_shows_published_events_only(client):
    shown = make_event(start=local(2030, 3, 5, 14, 30), title="岭南科学论坛第一期")
    make_event(start=local(2030, 3, 6, 14, 30), title="草稿活动", status=EventStatus.DRAFT)
    cancelled = make_event(
        start=local(2030, 3, 7, 9), title="取消的讲座", status=EventStatus.CANCELLED
    )
    db.session.commit()
    html = client.get("/?from=2030-03-01").get_data(as_text=True)
    assert "岭南科学论坛第一期" in html
    assert f"/events/{shown.id}" in html
    assert "草稿活动" not in html
    assert "取消的讲座" in html and f"/events/{cancelled.id}" in html


def test_month_view_places_occurrences_on_their_local_day(client):
    # 00:30 in Shanghai is the previous day in UTC: it must show on the 10th.
    make_event(start=local(2030, 4, 10, 0, 30), title="午夜天文观测")
    db.session.commit()
    html = client.get("/?view=month&month=2030-04").get_data(as_text=True)
    day_cell = html.split('<span class="day">10</span>')[1].split("</td>")[0]
    assert "午夜天文观测" in day_cell


def test_filters_narrow_the_calendar(client):
    gz, sz = make_venue(city="广州"), make_venue(city="深圳")
    series = make_series(slug="lingnan", name="岭南科学论坛")
    make_event(start=local(2030, 5, 1, 9), venue=gz, series=series, title="广州论坛")
    make_event(start=local(2030, 5, 2, 9), venue=sz, title="深圳讲座", audiences=["youth"])
    db.session.commit()
    by_city = client.get("/?from=2030-05-01&city=深圳").get_data(as_text=True)
    assert "深圳讲座" in by_city and "广州论坛" not in by_city
    by_series = client.get("/?from=2030-05-01&series=lingnan").get_data(as_text=True)
    assert "广州论坛" in by_series and "深圳讲座" not in by_series
    by_text = client.get("/?from=2030-05-01&q=讲座").get_data(as_text=True)
    assert "深圳讲座" in by_text and "广州论坛" not in by_text


@pytest.mark.parametrize("query", ["view=year", "month=2030-13", "kind=party", "from=tomorrow"])
def test_bad_filters_are_a_400_page(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert "<h1>400</h1>" in response.get_data(as_text=True)


def test_event_page_shows_details_and_escapes_text(client):
    venue = make_venue(name="科学馆报告厅", address="广州市天河区")
    event = make_event(
        venue=venue, title="<script>alert(1)</script>讲座", description="第一行\n第二行"
    )
    db.session.commit()
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "科学馆报告厅" in html and "广州市天河区" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;讲座" in html


def test_unknown_and_unpublished_events_are_404(client):
    draft = make_event(status=EventStatus.SUBMITTED)
    db.session.commit()
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert client.get("/events/987654").status_code == 404


def test_language_switch_persists(client):
    assert "English" in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english
    assert 'lang="en"' in client.get("/").get_data(as_text=True)  # remembered in the session


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_calendar_page_uses_a_constant_number_of_queries(client, count_queries):
    def fill(n, month):
        fill_events(n, year=2030, month=month)
        db.session.commit()

    def count(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    fill(10, 6)
    small = [count("/?from=2030-06-01"), count("/?view=month&month=2030-06")]
    fill(490, 6)
    large = [count("/?from=2030-06-01"), count("/?view=month&month=2030-06")]
    assert small == large


def test_error_pages_for_unknown_addresses_render(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "lang=en" in response.get_data(as_text=True)


def test_week_view_shows_the_week_of_the_given_day(client):
    make_event(start=local(2030, 6, 12, 10), title="周三讲座")  # a Wednesday
    make_event(start=local(2030, 6, 18, 10), title="下周活动")
    db.session.commit()
    html = client.get("/?view=week&week=2030-06-13").get_data(as_text=True)
    assert "周三讲座" in html and "下周活动" not in html
    assert "week=2030-06-17" in html  # next week starts on Monday the 17th
    assert client.get("/?view=week&week=someday").status_code == 400


def test_static_assets_are_fingerprinted_and_cached_long(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(href)
    assert response.status_code == 200
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"public", "max-age=31536000", "immutable"} <= directives
    # Not "no-cache" (send_file's default): it would make the browser ask again each time.
    assert "no-cache" not in directives
    unversioned = client.get("/static/css/app.css")
    assert "max-age=31536000" not in unversioned.headers.get("Cache-Control", "")


def test_home_page_leads_with_the_running_campaign(client):
    from datetime import date, timedelta

    today = date.today()
    make_campaign(
        slug="now-month",
        name="学术活动月",
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=20),
    )
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "学术活动月" in html and "进行中" in html
    assert "/feeds/campaigns/now-month.ics" in html


def test_busy_days_show_a_few_events_and_link_to_the_rest(client):
    # Seven events on 3 June (local), one on 4 June: the month shows four of the seven.
    for hour in range(8, 15):
        make_event(start=local(2030, 6, 3, hour), hours=0.5, title=f"六月三日{hour}点")
    make_event(start=local(2030, 6, 4, 9), title="六月四日")
    db.session.commit()
    html = client.get("/?view=month&month=2030-06&lang=en").get_data(as_text=True)
    shown = [hour for hour in range(8, 15) if f"六月三日{hour}点" in html]
    assert shown == [8, 9, 10, 11]  # the earliest first
    assert "六月四日" in html
    assert html.count('class="more"') == 1 and "+3 more" in html
    link = re.search(r'class="more" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "view=list" in link and "from=2030-06-03" in link and "to=2030-06-03" in link
    day = client.get(link).get_data(as_text=True)
    assert all(f"六月三日{hour}点" in day for hour in range(8, 15)) and "六月四日" not in day
    # The week view caps a day later: all seven fit.
    week = client.get("/?view=week&week=2030-06-03").get_data(as_text=True)
    assert all(f"六月三日{hour}点" in week for hour in range(8, 15))
    assert 'class="more"' not in week


def test_a_nation_of_societies_gets_a_text_filter_that_takes_names(client, monkeypatch):
    monkeypatch.setattr("scheduler.public.views.SOCIETY_CHOICES", 2)
    from tests.factories import make_society

    hosts = [make_society(name=f"第{i}学会", short_name=f"学{i}") for i in range(3)]
    make_event(start=local(2030, 6, 3, 9), host=hosts[0], title="甲的活动")
    make_event(start=local(2030, 6, 3, 9), host=hosts[1], title="乙的活动")
    db.session.commit()
    html = client.get("/?from=2030-06-01").get_data(as_text=True)
    assert '<input type="search" name="society"' in html and '<select name="society"' not in html
    for value in (hosts[0].slug, "第0学会", "学0"):  # code, name or short name
        html = client.get(f"/?from=2030-06-01&society={value}").get_data(as_text=True)
        assert "甲的活动" in html and "乙的活动" not in html, value
    assert client.get("/?from=2030-06-01&society=无此学会").status_code == 400


def test_the_month_shows_an_event_once_it_is_published_and_keeps_it_when_cancelled(client):
    from scheduler.events import workflow
    from tests.factories import make_user

    organizer = make_user()
    event = make_event(start=local(2030, 6, 3, 9), title="待批活动", status=EventStatus.SUBMITTED)
    db.session.commit()

    def shown():
        return "待批活动" in client.get("/?view=month&month=2030-06").get_data(as_text=True)

    assert not shown()
    workflow.approve(event, organizer, now=local(2030, 5, 1, 9))
    assert shown() and event.occurrences[0].public
    workflow.cancel(event, organizer, reason="台风")
    assert shown()
