"""The public calendar on a phone and a desktop, in Chinese and English (#16): the first
events in the first screen, filters folded behind one button, today's button, the series
legend, holidays, the chosen date kept across views, several values per filter and a clear
link, and an event page with a moved and a cancelled date; axe-core finds nothing serious."""

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scheduler.enums import EventKind
from scheduler.extensions import db
from scheduler.timeutil import local_today
from tests.browser.conftest import shot
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_series,
    make_user,
    make_venue,
)

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
WORDS = {
    "zh": {"week": "周历", "list": "列表", "month": "月历", "today": "今天", "filters": "筛选",
           "clear": "清除全部筛选条件", "holiday": "国庆节", "moved": "改期",
           "cancelled": "已取消"},
    "en": {"week": "Week", "list": "List", "month": "Month", "today": "Today",
           "filters": "Filters", "clear": "Clear all filters", "holiday": "National Day",
           "moved": "Moved", "cancelled": "Cancelled"},
}  # fmt: skip


def seed(app) -> int:
    with app.app_context():
        hall = make_venue(name="东莞科技馆", city="东莞")
        talks = make_series(name="松山湖讲坛", color="#0a7d4f")
        campaigns = {"科技活动周": (5, 18), "全国科普日": (9, 15), "学术活动月": (10, 1)}
        for n, (name, (month, day)) in enumerate(campaigns.items()):
            start = date(2031, month, day)
            make_campaign(name=name, slug=f"c{n}", start_date=start, end_date=start.replace(day=28))
        make_event(start=local(2031, 10, 2, 10), title="国庆亲子科学秀", venue=hall,
                   kind=EventKind.SCIENCE_DAY)  # fmt: skip
        make_event(start=local(2031, 10, 9, 19), title="松山湖院士讲座", venue=hall,
                   series=talks, kind=EventKind.LECTURE)  # fmt: skip
        make_event(start=local(2031, 10, 16, 14), title="东莞青年科学沙龙", venue=hall,
                   kind=EventKind.SALON)  # fmt: skip
        weekly = make_event(
            start=local(2031, 10, 7, 19), title="每周天文课", venue=hall, series=talks,
            rrule="FREQ=WEEKLY;COUNT=6", exdates=["2031-10-21T19:00"],
            overrides={"2031-10-14T19:00": {"start": "2031-10-15T19:00",
                                             "end": "2031-10-15T21:00"}},
        )  # fmt: skip
        make_user(email="organizer@example.org")  # a set-up site: no getting-started box
        db.session.commit()
        return weekly.id


def serious(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_public_calendar_on_phone_and_desktop_in_both_languages(browser, live_app):
    app, base = live_app
    weekly = seed(app)
    with app.app_context():
        today = local_today()
    found = {}
    # Every page in both languages at both sizes; the clicks once per size (one language
    # each, so that both languages and both sizes are walked).
    for size, walked in (("desktop", "zh"), ("phone", "en")):
        width, height = SIZES[size]
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        for lang in ("zh", "en") if walked == "en" else ("en", "zh"):
            found.update(check_pages(page, base, size, lang, weekly))
        walk(page, base, WORDS[walked], today, height)
        context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def check_pages(page, base: str, size: str, lang: str, weekly: int) -> dict:
    """The month page and the event page: what they show, axe, a screenshot of each."""
    words, height = WORDS[lang], SIZES[size][1]
    page.goto(f"{base}/?view=month&month=2031-10&lang={'en' if lang == 'en' else 'zh_CN'}")
    first = page.locator("table.month .occ").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box["y"] + box["height"] <= height, (size, box)  # in the first screen
    expect(page.locator("details.filter-panel")).not_to_have_attribute("open", "")
    expect(page.locator(".legend li", has_text="松山湖讲坛")).to_have_count(1)
    expect(page.locator(".day-mark", has_text=words["holiday"]).first).to_be_visible()
    found = {f"month-{size}-{lang}": serious(page)}
    shot(page, f"public-calendar-{size}-{lang}")
    page.goto(f"{base}/events/{weekly}")
    expect(page.locator(".dates li.moved", has_text=words["moved"])).to_be_visible()
    expect(page.locator(".dates li.cancelled", has_text=words["cancelled"])).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, size
    found[f"event-{size}-{lang}"] = serious(page)
    shot(page, f"public-event-{size}-{lang}")
    return found


def walk(page, base: str, words: dict, today, height: int) -> None:
    """Views keep the date (the list's first event in the first screen too), two kinds at
    once then clear, and the today button."""
    page.goto(f"{base}/?view=month&month=2031-10")
    page.click(f"nav.views >> text={words['week']}")
    page.wait_for_url(re.compile(r"week=2031-10-01"))
    page.click(f"nav.views >> text={words['list']}")
    page.wait_for_url(re.compile(r"from=2031-10-01"))
    box = page.locator("section.day .occ").first.bounding_box()
    assert box["y"] + box["height"] <= height, box
    page.click(f"nav.views >> text={words['month']}")
    page.wait_for_url(re.compile(r"month=2031-10"))

    page.click(f"details.filter-panel summary >> text={words['filters']}")
    page.check("input[name=kind][value=lecture]")
    page.check("input[name=kind][value=salon]")
    page.click("details.filter-panel button[type=submit]")
    page.wait_for_url(re.compile(r"kind=lecture&kind=salon"))
    expect(page.locator("table.month .occ", has_text="东莞青年科学沙龙")).to_be_visible()
    expect(page.locator("table.month .occ", has_text="国庆亲子科学秀")).to_have_count(0)
    page.click(f"text={words['clear']}")
    page.wait_for_url(lambda url: "kind=" not in url and "month=2031-10" in url)
    expect(page.locator("table.month .occ", has_text="国庆亲子科学秀")).to_have_count(1)

    page.click(f"a.today >> text={words['today']}")
    page.wait_for_url(re.compile(f"month={today:%Y-%m}"))
    expect(page.locator('td[aria-current="date"]')).to_be_visible()
