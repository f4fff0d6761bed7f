"""The search page (#16) at desktop and phone size, in Chinese and English: the form is
filled and sent, a venue's name finds its events grouped into upcoming and past with the
field named, nothing overflows the phone's width, and axe-core finds nothing serious."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from scheduler.enums import EventStatus
from scheduler.extensions import db
from tests.browser.conftest import shot
from tests.factories import local, make_event, make_person, make_society, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
WORDS = {
    "zh": {"upcoming": "近期活动", "past": "往期活动", "venue": "场馆：", "found": "找到 2 场活动"},
    "en": {"upcoming": "Upcoming events", "past": "Past events", "venue": "Venue:",
           "found": "2 events found"},
}  # fmt: skip


def seed(app) -> None:
    with app.app_context():
        hall = make_venue(name="广东科学馆", address="广州市番禺区", city="广州")
        host = make_society(name="广东省海洋学会", short_name="海洋学会")
        expert = make_person(name="陈海明", title="研究员", affiliation="中山大学海洋科学学院")
        make_event(local(2031, 3, 14, 19), title="深海探测与海洋生物", venue=hall, host=host,
                   speakers=[expert], description="从万米深渊到珊瑚礁的科学之旅。")  # fmt: skip
        make_event(local(2024, 6, 8, 14), title="南海珊瑚礁保护讲座", venue=hall, host=host,
                   status=EventStatus.COMPLETED)  # fmt: skip
        make_event(local(2031, 3, 20, 9), title="内部筹备会", venue=hall, host=host,
                   status=EventStatus.DRAFT)  # fmt: skip
        db.session.commit()


def serious(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_search_page_on_desktop_and_phone_in_both_languages(browser, live_app):
    app, base = live_app
    seed(app)
    problems = {}
    for size, (width, height) in SIZES.items():
        context = browser.new_context(
            locale="zh-CN", bypass_csp=True, viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        for lang, words in WORDS.items():
            page.goto(f"{base}/search?lang={'zh_CN' if lang == 'zh' else 'en'}")
            page.locator("#search-q").fill("广东科学馆")
            page.locator("form.search-form button[type=submit]").click()
            page.wait_for_url("**/search?q=*")
            hits = page.locator(".search-hit")
            expect(hits).to_have_count(2)
            expect(page.locator("[role=status]")).to_contain_text(words["found"])
            expect(page.get_by_role("heading", name=words["upcoming"])).to_be_visible()
            expect(page.get_by_role("heading", name=words["past"])).to_be_visible()
            expect(hits.first).to_contain_text("深海探测与海洋生物")
            expect(hits.first.locator(".found")).to_contain_text(words["venue"])
            expect(hits.first.locator("mark")).to_have_text("广东科学馆")
            expect(page.get_by_text("内部筹备会")).to_have_count(0)  # a draft stays hidden
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (size, lang, wide)
            problems[(size, lang)] = serious(page)
            shot(page, f"search-results-{size}-{lang}")
        context.close()
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
