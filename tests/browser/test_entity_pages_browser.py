"""A visitor follows the names on an event page to the pages of its host, venue, speaker and
series, at desktop and phone sizes in Chinese and English; axe-core finds nothing serious."""

import re
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from scheduler.enums import EventStatus
from scheduler.extensions import db
from scheduler.societies.models import SocietyKind
from tests.browser.conftest import shot
from tests.browser.test_accessibility import violations
from tests.factories import SHANGHAI, make_event, make_person, make_series, make_society, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
FEED = re.compile(r"^https?://[^/]+/feeds/(societies|venues|speakers|series)/[a-z-]+\.ics$")
UPCOMING = {"zh": "近期活动", "en": "Upcoming events"}
# axe on each page at both sizes and in both languages, in two of the four combinations
# (the same markup in the other two): it is the slow part.
AXE_RUNS = {("desktop", "zh"), ("phone", "en")}
PAGES = {
    "society": "/societies/km-bio",
    "venue": "/venues/dianchi-hall",
    "speaker": "/speakers/he-yun",
    "series": "/series/plateau-talks",
}


def seed(app) -> int:
    """A Kunming university association's talks (two coming, one past); the first's id."""
    with app.app_context():
        host = make_society(slug="km-bio", name="昆明理工大学科协", short_name="昆工科协",
                            kind=SocietyKind.UNIVERSITY, city="昆明",
                            discipline="生物多样性")  # fmt: skip
        hall = make_venue(slug="dianchi-hall", name="滇池科普报告厅", city="昆明",
                          address="西山区滇池路1号", capacity=260)  # fmt: skip
        speaker = make_person(slug="he-yun", name="何云", title="研究员",
                              affiliation="中国科学院昆明植物研究所")  # fmt: skip
        series = make_series(slug="plateau-talks", name="高原生态讲坛", color="#2e7d32",
                             description="每月第一个星期六的高原生态讲座。",
                             cadence_rrule="FREQ=MONTHLY;BYDAY=1SA")  # fmt: skip
        ids = []
        for days, title, status in ((5, "云南植物多样性", EventStatus.APPROVED),
                                    (40, "高原湖泊保护", EventStatus.APPROVED),
                                    (-20, "野生菌的科学", EventStatus.COMPLETED)):  # fmt: skip
            day = date.today() + timedelta(days=days)
            start = datetime(day.year, day.month, day.day, 14, 30, tzinfo=SHANGHAI)
            event = make_event(start=start, title=title, status=status, host=host, venue=hall,
                               series=series, speakers=[speaker])  # fmt: skip
            ids.append(event.id)
        db.session.commit()
        return ids[0]


def test_event_names_lead_to_the_entity_pages(browser, live_app):
    app, base = live_app
    first = seed(app)
    found = {}
    for size, viewport in SIZES.items():
        context = browser.new_context(locale="zh-CN", viewport=viewport, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        for lang in ("zh", "en"):
            page.goto(f"{base}/events/{first}?lang={'zh_CN' if lang == 'zh' else 'en'}")
            page.get_by_role("link", name="昆明理工大学科协").first.click()
            page.wait_for_url(f"{base}/societies/km-bio")
            expect(page.get_by_role("heading", level=1)).to_have_text("昆明理工大学科协")
            expect(page.locator(".entity-events .title").first).to_have_text("云南植物多样性")
            for name, path in PAGES.items():
                page.goto(base + path)
                expect(page.locator("#feed-url")).to_have_value(FEED)
                expect(page.locator("#upcoming-title")).to_have_text(UPCOMING[lang])
                if (size, lang) in AXE_RUNS:
                    found[(name, size, lang)] = violations(page)
                shot(page, f"pages-{name}-{size}-{lang}")
            # The speaker's kind line leads to the index of speakers.
            page.goto(base + PAGES["speaker"])
            page.locator(".entity-kind a").click()
            page.wait_for_url(f"{base}/speakers")
            expect(page.locator(".entity-index a")).to_have_text(["何云"])
            if (size, lang) in AXE_RUNS:
                found[("index", size, lang)] = violations(page)
            shot(page, f"pages-index-{size}-{lang}")
        context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}
