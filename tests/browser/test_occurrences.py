"""The dates of a repeating event in a real browser (#16), desktop and phone, Chinese and
English: the host's editor moves one date, cancels another and puts it back; axe-clean."""

import re

import pytest
from playwright.sync_api import expect

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from tests.browser.conftest import shot
from tests.browser.test_accessibility import violations
from tests.browser.test_journeys import sign_in
from tests.factories import SHANGHAI, local, make_event, make_society, make_user, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
WORDS = {
    "zh_CN": {"moved": "已调整", "cancelled": "已取消", "back": "已恢复为原计划"},
    "en": {"moved": "The date was moved.", "cancelled": "The date was cancelled.",
           "back": "The date is back as planned."},
}  # fmt: skip


def _seed(app) -> int:
    with app.app_context():
        host = make_society(slug="cd-astro", name="成都天文学会", city="成都")
        hall = make_venue(slug="jinjiang-hall", name="锦江科普馆", city="成都", capacity=150)
        make_user(Role.EDITOR, host, email="tang@cd.example")
        event = make_event(start=local(2027, 4, 6, 19, 30), hours=1.5, title="星空下的周二讲座",
                           status=EventStatus.DRAFT, host=host, venue=hall,
                           rrule="FREQ=WEEKLY;COUNT=10")  # fmt: skip
        db.session.commit()
        return event.id


def _walk(page, base: str, event_id: int, lang: str, n: int) -> None:
    """Move date n, cancel date n + 1, restore it."""
    words = WORDS[lang]
    page.goto(f"{base}/portal/events/{event_id}?lang={lang}")
    page.locator(f"a[href$='/portal/events/{event_id}/occurrences']").click()
    page.wait_for_url(re.compile(r"/occurrences$"))
    row = page.locator(f"#date-{n}")
    row.locator("summary").click()
    row.locator("input[name=start]").fill(f"2027-09-{n:02d}T20:00")
    row.locator("input[name=end]").fill(f"2027-09-{n:02d}T21:30")
    row.locator("button[value=move]").click()
    expect(page.locator(".flash", has_text=words["moved"])).to_be_visible()
    expect(page.locator(f"#date-{n} .occ-flag.moved")).to_be_visible()
    page.locator(f"#date-{n + 1} button[value=cancel]").click()
    expect(page.locator(".flash", has_text=words["cancelled"])).to_be_visible()
    expect(page.locator(f"#date-{n + 1} .occ-flag.cancelled")).to_be_visible()
    page.locator(f"#date-{n + 1} button[value=restore]").click()
    expect(page.locator(".flash", has_text=words["back"])).to_be_visible()
    expect(page.locator(f"#date-{n + 1} .occ-flag")).to_have_count(0)


def test_an_editor_moves_cancels_and_restores_dates_in_both_sizes_and_languages(browser, live_app):
    app, base = live_app
    event_id = _seed(app)
    found, n = {}, 1
    for size, (width, height) in SIZES.items():
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, "tang@cd.example")
        for lang in ("zh_CN", "en"):
            _walk(page, base, event_id, lang, n)
            found[f"{size}-{lang}"] = violations(page)
            shot(page, f"portal-occurrences-{size}-{'zh' if lang == 'zh_CN' else 'en'}")
            n += 2
        context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.exdates == [] and len(event.overrides) == 4
        days = sorted(o.start_at.astimezone(SHANGHAI).day for o in event.occurrences)
        assert len(days) == 10 and {1, 3, 5, 7} <= set(days)
