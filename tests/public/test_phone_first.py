"""The phone-first public calendar (#16): collapsed filters with several values each and a
clear link, today's button and highlight, the series legend, holidays and make-up working
days, the chosen date kept across views, moved and cancelled dates on event pages, English
from Accept-Language, and the add-to-Google link of a repeating event."""

import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from scheduler.enums import EventKind
from scheduler.extensions import db
from scheduler.timeutil import local_today
from tests.factories import local, make_campaign, make_event, make_series, make_venue

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def links(html: str, pattern: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html) if re.search(pattern, h)]


def anchor(html: str, text: str) -> str:
    """The href of the link whose text is ``text``."""
    match = re.search(r'<a[^>]*href="([^"]*)"[^>]*>\s*' + re.escape(text) + r"\s*</a>", html)
    assert match, text
    return unescape(match.group(1))


def args_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def test_filters_fold_behind_one_button_and_events_come_before_the_subscribe_panel(client):
    make_event(start=local(2031, 6, 10, 19), title="珠海海洋科普夜")
    make_campaign(name="科技活动周", slug="keji-zhou", start_date=date(2031, 5, 20),
                  end_date=date(2099, 5, 27))  # fmt: skip
    db.session.commit()
    html = client.get("/?view=month&month=2031-06").get_data(as_text=True)
    panel = re.search(r"<details class=\"filter-panel\"([^>]*)>", html)
    assert panel and "open" not in panel.group(1)  # one collapsed "筛选" button
    assert "<summary>筛选" in html
    assert html.index("珠海海洋科普夜") < html.index('class="subscribe"')
    # The phone's agenda names the weekday: 10 June 2031 is a Tuesday.
    assert '<span class="day-label">6月10日周二</span>' in html
    # Campaign banners subscribe by webcal:// to the campaign's own feed.
    assert "webcal://" in html and "/feeds/campaigns/keji-zhou.ics" in html


def test_several_values_per_filter_and_a_clear_link_that_keeps_view_and_date(client):
    gz, fs = make_venue(city="佛山"), make_venue(city="肇庆")
    make_event(start=local(2031, 6, 3, 9), title="肇庆讲座", kind=EventKind.LECTURE, venue=fs)
    make_event(start=local(2031, 6, 4, 9), title="佛山沙龙", kind=EventKind.SALON, venue=gz)
    make_event(start=local(2031, 6, 5, 9), title="佛山论坛", kind=EventKind.FORUM, venue=gz)
    db.session.commit()
    for query in ("kind=lecture&kind=salon", "kind=lecture,salon"):
        html = client.get(f"/?view=week&week=2031-06-04&{query}").get_data(as_text=True)
        assert "肇庆讲座" in html and "佛山沙龙" in html and "佛山论坛" not in html
        assert 'value="lecture" checked' in html and 'value="salon" checked' in html
        assert 'value="forum" checked' not in html
        assert "2 个筛选条件" in html
        clear = anchor(html, "清除")
        assert args_of(clear) == {"view": ["week"], "week": ["2031-06-04"]}
    # Cities combine too; the feed offered subscribes to the same two cities.
    html = client.get("/?from=2031-06-01&city=佛山&city=肇庆&kind=lecture").get_data(as_text=True)
    assert "肇庆讲座" in html and "佛山沙龙" not in html
    feed = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1)
    assert args_of(unescape(feed))["city"] == ["佛山", "肇庆"]
    response = client.get("/?kind=lecture&kind=picnic")
    assert response.status_code == 400 and "picnic" in response.get_data(as_text=True)


def test_the_chosen_date_and_filters_are_kept_across_the_views(client):
    make_series(slug="zhujiang", name="珠江讲坛")
    db.session.commit()
    # month=2031-06 -> week of the 1st -> list from it; a chosen day rides along to the month
    # and comes back from it.
    pages = {
        "/?view=month&month=2031-06&series=zhujiang": ("2031-06", None, "2031-06-01"),
        "/?view=week&week=2031-06-17&series=zhujiang": ("2031-06", "2031-06-17", "2031-06-17"),
        "/?view=list&from=2031-06-18&series=zhujiang": ("2031-06", "2031-06-18", "2031-06-18"),
        "/?view=month&month=2031-06&day=2031-06-18&series=zhujiang": (
            "2031-06", "2031-06-18", "2031-06-18"
        ),
    }  # fmt: skip
    for path, (month, day, start) in pages.items():
        html = client.get(path).get_data(as_text=True)
        nav = html.split('class="views"')[1].split("</nav>")[0]
        by_view = {args_of(u)["view"][0]: args_of(u) for u in links(nav, r"view=")}
        assert by_view["month"]["month"] == [month], path
        assert by_view["month"].get("day") == ([day] if day else None), path
        assert by_view["week"]["week"] == [start], path
        assert by_view["list"]["from"] == [start], path
        assert all(a["series"] == ["zhujiang"] for a in by_view.values()), path
    for bad in ("day=2031-07-02", "day=soon"):
        response = client.get(f"/?view=month&month=2031-06&{bad}")
        assert response.status_code == 400 and "day" in response.get_data(as_text=True)


def test_today_button_and_highlight(client):
    today = local_today()
    make_event(start=local(today.year, today.month, today.day, 23, 0), title="今晚观星")
    db.session.commit()
    html = client.get("/?view=month&month=2031-06&audience=youth").get_data(as_text=True)
    today_link = args_of(anchor(html, "今天"))
    assert today_link["month"] == [f"{today:%Y-%m}"] and today_link["audience"] == ["youth"]
    month = client.get(f"/?view=month&month={today:%Y-%m}").get_data(as_text=True)
    cell = re.search(r'<td class="[^"]*today[^"]*" aria-current="date">(.*?)</td>', month, re.S)
    assert cell and "今晚观星" in cell.group(1)
    week = client.get(f"/?view=week&week={today.isoformat()}").get_data(as_text=True)
    assert week.count('aria-current="date"') == 1
    listed = client.get("/").get_data(as_text=True)
    assert re.search(r'<section class="day today" aria-current="date">\s*<h2>', listed)


def test_the_legend_lists_the_series_of_the_period_with_their_colours(client):
    shown = make_series(name="南粤院士讲堂", color="#0a7d4f")
    other = make_series(name="冬季天文课", color="#8250df")
    make_event(start=local(2031, 6, 9, 19), series=shown, title="院士谈海洋")
    make_event(start=local(2031, 8, 9, 19), series=other, title="冬季观星")
    db.session.commit()
    html = client.get("/?view=month&month=2031-06").get_data(as_text=True)
    legend = html.split('class="legend"')[1].split("</ul>")[0]
    assert "南粤院士讲堂" in legend and "#0a7d4f" in legend
    assert "冬季天文课" not in legend
    assert "--series: #0a7d4f" in html.split("院士谈海洋")[0]  # the event's own stripe


def test_holidays_and_make_up_working_days_in_month_week_and_list(client):
    # 2026: National Day from 1 to 8 October; Saturday 10 October is a working day.
    make_event(start=local(2026, 10, 10, 14), title="调休日的学术沙龙")
    db.session.commit()
    month = client.get("/?view=month&month=2026-10").get_data(as_text=True)
    first = month.split('<span class="day">1</span>')[1].split("</td>")[0]
    assert "国庆节" in first
    tenth = month.split('<span class="day">10</span>')[1].split("</td>")[0]
    assert "调休上班" in tenth and "调休日的学术沙龙" in tenth
    week = client.get("/?view=week&week=2026-10-05").get_data(as_text=True)
    assert "国庆节" in week and "调休上班" in week
    listed = client.get("/?from=2026-10-10&to=2026-10-10").get_data(as_text=True)
    heading = listed.split('<section class="day')[1].split("</h2>")[0]
    assert "调休上班" in heading
    english = client.get("/?view=month&month=2026-10", headers=ENGLISH).get_data(as_text=True)
    assert "National Day" in english and "Make-up working day" in english


def test_event_page_marks_moved_and_cancelled_dates_and_bounds_the_list(client):
    weekly = make_event(
        start=local(2031, 6, 3, 19),
        title="海珠周二讲堂",
        rrule="FREQ=WEEKLY;COUNT=30",
        exdates=["2031-06-17T19:00"],
        overrides={"2031-06-10T19:00": {"start": "2031-06-11T19:30", "end": "2031-06-11T21:30"}},
    )
    db.session.commit()
    html = client.get(f"/events/{weekly.id}").get_data(as_text=True)
    dates = html.split('<ul class="dates">')[1].split("</ul>")[0]
    moved = re.search(r'<li class="moved">(.*?)</li>', dates, re.S).group(1)
    assert "改期" in moved and "原 2031年6月10日周二 19:00 → 2031年6月11日周三 19:30" in moved
    cancelled = re.search(r'<li class="cancelled">(.*?)</li>', dates, re.S).group(1)
    assert "<s>2031年6月17日周二 19:00</s>" in cancelled and "已取消" in cancelled
    assert dates.count("<li") == 20
    # 29 dates remain and the cancelled one is listed: 10 more than shown.
    assert "另有 10 次" in html
    assert not re.search(r"\d\d:\d\d:\d\d", html)  # times read 19:00, never 19:00:00


def test_english_follows_accept_language_with_24_hour_times(client):
    event = make_event(
        start=local(2031, 6, 3, 19), title="Pearl River Talks", rrule="FREQ=DAILY;COUNT=3",
        exdates=["2031-06-04T19:00"],
    )  # fmt: skip
    db.session.commit()
    response = client.get(f"/events/{event.id}", headers=ENGLISH)
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and "Cancelled" in html
    assert "19:00" in html and not re.search(r"\b\d{1,2}:\d\d\s?[AP]M", html)
    assert "Accept-Language" in response.headers["Vary"]
    for header, lang in [("zh-TW,en;q=0.5", "zh-CN"), ("fr-FR", "zh-CN"), ("fr, en;q=0.3", "en")]:
        page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
        assert f'<html lang="{lang}">' in page, header
    # A language chosen on the site wins over the browser's.
    client.get("/?lang=zh_CN")
    assert '<html lang="zh-CN">' in client.get("/", headers=ENGLISH).get_data(as_text=True)


def test_add_to_google_carries_the_recurrence(client):
    weekly = make_event(
        start=local(2031, 6, 3, 19),
        title="周二讲堂",
        rrule="FREQ=WEEKLY;UNTIL=20310701",
        exdates=["2031-06-17T19:00"],
        overrides={"2031-06-10T19:00": {"start": "2031-06-11T19:00", "end": "2031-06-11T21:00"}},
        rdates=["2031-07-05T10:00"],
    )
    single = make_event(start=local(2031, 6, 3, 9), title="单次活动")
    db.session.commit()
    html = client.get(f"/events/{weekly.id}").get_data(as_text=True)
    google = parse_qs(urlsplit(links(html, r"calendar\.google\.com")[0]).query)
    assert google["dates"] == ["20310603T110000Z/20310603T130000Z"]
    assert google["ctz"] == ["Asia/Shanghai"]
    rrule, exdate, rdate = google["recur"][0].split("\n")
    # UNTIL is the end of 1 July in Shanghai, in UTC as RFC 5545 asks with a UTC start.
    assert rrule == "RRULE:FREQ=WEEKLY;UNTIL=20310701T155959Z"
    assert exdate == "EXDATE:20310617T110000Z,20310610T110000Z"
    assert rdate == "RDATE:20310705T020000Z,20310611T110000Z"
    html = client.get(f"/events/{single.id}").get_data(as_text=True)
    assert "recur" not in parse_qs(urlsplit(links(html, r"calendar\.google\.com")[0]).query)


def test_month_page_reads_only_what_it_shows(client, count_queries):
    series = make_series(name="番禺科普", color="#bf3989")
    start = local(2031, 6, 1, 8)
    for n in range(12):
        make_event(start=start + timedelta(days=n % 6, hours=n), series=series)
    db.session.commit()
    client.get("/?view=month&month=2031-05")  # warm caches of the first request
    with count_queries() as few:
        client.get("/?view=month&month=2031-06")
    make_event(start=local(2031, 6, 20, 9), series=make_series(name="增城讲坛"))
    db.session.commit()
    with count_queries() as more:
        html = client.get("/?view=month&month=2031-06").get_data(as_text=True)
    assert "增城讲坛" in html
    assert len(more) == len(few)
