"""Journeys of organizers and society editors (#16) at desktop and phone size, in Chinese and
English: each page axe-clean, no sideways scrolling, one screenshot per page, size and
language (test-artifacts/browser/journey-<page>-<size>-<lang>.png; docs/screenshots/ keeps
a few for the README)."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from scheduler.accounts.models import Role, User
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.models import FeedToken
from scheduler.feeds.tokens import issue_feed_token
from scheduler.societies.models import Society
from scheduler.venues.models import Venue
from tests.browser.conftest import shot
from tests.browser.test_accessibility import violations
from tests.browser.test_journeys import sign_in
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGS = {"zh": "zh_CN", "en": "en"}
EDITOR, ORGANIZER = "bian@chengdu.example", "he@sast.example"
YEAR = 2031


def _body(title: str, day: int, hour: int, **extra) -> dict:
    when = f"{YEAR}-05-{day:02d}T"
    return {
        "title": title, "kind": "lecture", "host": "sc-optics", "venue": "tianfu-hall",
        "start": f"{when}{hour:02d}:00", "end": f"{when}{hour + 2:02d}:00", **extra,
    }  # fmt: skip


def seed(app) -> dict:
    """A Chengdu society with a queue of five filings (four without errors, the third
    with a warning, the last one clashing with an approved event in its hall), a speaker,
    a series and four private feed links."""
    with app.app_context():
        make_venue(slug="tianfu-hall", name="天府科技报告厅", city="成都", capacity=260)
        mine = make_society(slug="sc-optics", name="四川省光学学会", city="成都")
        make_society(slug="cd-cast", name="成都市科学技术协会", city="成都")
        make_person(slug="wang-lan", name="王岚", title="研究员", affiliation="西南交通大学")
        make_series(slug="tianfu-forum", name="天府科学论坛", target_min=4, target_max=6)
        editor = make_user(Role.EDITOR, society=mine, email=EDITOR, name="卞编辑")
        organizer = make_user(Role.ORGANIZER, email=ORGANIZER, name="何审批")
        db.session.commit()
        whole = {"description": "面向中学生的光学科普讲座，现场演示激光与全息。",
                 "speakers": ["wang-lan"], "cohosts": ["cd-cast"], "expected_attendance": 180,
                 "audiences": ["youth"]}  # fmt: skip
        ids = [
            workflow.create_event(
                _body(f"光学与生活系列讲座（{n}）", day, 14, is_major=n == 1, **whole), editor
            ).event.id
            for n, day in ((1, 6), (2, 8), (3, 10), (4, 12))
        ]
        clash = workflow.create_event(_body("激光安全工作坊", 30, 10), organizer).event
        for event_id in ids:
            workflow.submit(db.session.get(Event, event_id), db.session.get(User, editor.id))
        workflow.submit(clash, db.session.get(User, organizer.id))
        # Approved after the filing (an import, say): the filing now clashes in its hall.
        other = db.session.scalar(sa.select(Society).where(Society.slug == "cd-cast"))
        hall = db.session.scalar(sa.select(Venue).where(Venue.slug == "tianfu-hall"))
        make_event(start=local(YEAR, 5, 30, 9), hours=3, venue=hall, host=other,
                   title="成都青少年科技嘉年华")  # fmt: skip
        # The same young audience in Chengdu at the time of the third lecture: a warning.
        make_event(start=local(YEAR, 5, 10, 14), host=other, title="成都青少年科学营",
                   venue=make_venue(slug="jinjiang", name="锦江科普馆", city="成都"),
                   audiences=["youth"])  # fmt: skip
        db.session.commit()
        for n in range(4):
            issue_feed_token(db.session.get(User, editor.id), f"办公室日历{n + 1}")
        return {"queue": ids, "clash": clash.id}


# axe runs on the diagonal (desktop in Chinese, phone in English): layout problems depend on
# the size, wording and language attributes on the language, and axe is the slow part.
AXE_ON = {("desktop", "zh"), ("phone", "en")}


def check_page(page, name: str, size: str, lang: str) -> None:
    """No sideways scrolling, no serious or critical axe violation, one screenshot."""
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - innerWidth")
    assert overflow <= 0, (name, size, lang, overflow)
    if (size, lang) in AXE_ON:
        found = violations(page)
        assert not found, (name, size, lang, found)
    shot(page, f"journey-{name}-{size}-{lang}")


def test_organizer_decides_with_everything_in_view(browser, live_app):
    app, base = live_app
    ids = seed(app)
    approved = []
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, ORGANIZER)
        page.wait_for_url(re.compile(r"/(portal|admin)/"))
        for lang, code in LANGS.items():
            page.goto(f"{base}/admin/approvals?lang={code}")
            header = page.locator("table.list thead th").nth(5)
            expect(header).to_have_text("Findings" if lang == "en" else re.compile(r"\S"))
            clash_row = page.locator("tr", has_text="激光安全工作坊")
            expect(clash_row.locator(".finding-count.error")).to_have_count(1)
            if len(approved) < 3:
                third = page.locator("tr", has_text="光学与生活系列讲座（3）")
                expect(third.locator(".finding-count.warning")).to_have_count(1)
            check_page(page, "queue", size, lang)

            # The first filing in the queue: the whole event, findings and history.
            expected = ids["queue"][len(approved)]
            page.locator("table.list tbody tr a").first.click()
            page.wait_for_url(f"**/portal/events/{expected}")
            facts = page.locator("dl.facts")
            for text in ("王岚", "西南交通大学", "成都市科学技术协会", "180", "天府科技报告厅"):
                expect(facts).to_contain_text(text)
            expect(page.locator(".description")).to_contain_text("面向中学生")
            if expected == ids["queue"][2]:  # the live findings, on the decision page too
                expect(page.locator(".finding")).to_contain_text("成都青少年科学营")
            history = page.locator("section.history li")
            expect(history.first).to_contain_text("卞编辑")
            assert "start_at" not in page.locator("section.history").inner_text()
            check_page(page, "decision", size, lang)

            # Approve: the next filing of the queue opens.
            page.fill("#reason", "同意举办" if lang == "zh" else "Approved")
            page.click("form.decide button[value=approve]")
            following = ids["queue"][len(approved) + 1] if len(approved) < 3 else ids["clash"]
            page.wait_for_url(f"**/portal/events/{following}")
            approved.append(expected)

            # Mark as held is not offered before the end.
            page.goto(f"{base}/portal/events/{expected}?lang={code}")
            expect(page.locator(".status.approved").first).to_be_visible()
            assert page.locator("button[value=complete]").count() == 0
            expect(page.locator(".decision-actions p.muted")).to_contain_text(str(YEAR))

            page.goto(f"{base}/admin/quotas?year={YEAR}&lang={code}")
            computed = "computed" if lang == "en" else "计算于"
            expect(page.locator(".computed")).to_contain_text(computed)
            if size == "desktop":  # the header's links in one row, no menu button
                expect(page.locator("details.menu > summary")).to_be_hidden()
                current = page.locator("nav.account a[aria-current=page]")
                expect(current).to_have_text("Quotas" if lang == "en" else "指标")
                tops = {round(a.bounding_box()["y"]) for a in page.locator("nav.account > a").all()}
                assert len(tops) == 1, tops
            check_page(page, "dashboard", size, lang)

            page.goto(f"{base}/admin/planner?year={YEAR}&lang={code}")
            expect(page.locator("main")).to_contain_text("天府科学论坛")
            assert "tianfu-forum" not in page.locator("main").inner_text()
            check_page(page, "planner", size, lang)
        if size == "desktop":
            # "My events": what this organizer filed or decided, nothing else.
            page.goto(f"{base}/admin/approvals?mine=1")
            titles = page.locator("table.list tbody tr a").all_inner_texts()
            assert titles == ["激光安全工作坊"], titles  # filed by this organizer
        context.close()
    assert approved == ids["queue"]


def test_editor_reads_the_event_and_revokes_a_feed_link(browser, live_app):
    app, base = live_app
    ids = seed(app)
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, EDITOR)
        page.wait_for_url(re.compile(r"/portal/"))
        for lang, code in LANGS.items():
            page.goto(f"{base}/portal/?lang={code}")
            expect(page.locator("table.list")).to_contain_text("光学与生活系列讲座（1）")
            check_page(page, "portal-list", size, lang)

            page.goto(f"{base}/portal/events/{ids['queue'][0]}?lang={code}")
            facts = page.locator("dl.facts")
            for text in ("王岚", "180", "天府科技报告厅"):
                expect(facts).to_contain_text(text)
            expect(facts).to_contain_text("Lecture" if lang == "en" else "讲座")
            check_page(page, "portal-event", size, lang)

            page.goto(f"{base}/portal/feeds?lang={code}")
            active = page.locator("details.confirm")
            before = active.count()
            active.first.locator("summary").click()
            confirm = active.first.locator("button.danger")
            expect(confirm).to_be_visible()
            check_page(page, "feeds", size, lang)
            confirm.click()
            expect(page.locator(".flash").first).to_be_visible()
            expect(page.locator("details.confirm")).to_have_count(before - 1)
        context.close()
    with app.app_context():
        editor = db.session.scalar(sa.select(User.id).where(User.email == EDITOR))
        states = db.session.scalars(
            sa.select(FeedToken.revoked_at).where(FeedToken.user_id == editor)
        )
        assert all(states.all())  # one revoked per size and language, none left
