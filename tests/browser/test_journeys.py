"""The main paths people take, in a real browser."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scheduler.accounts.models import Role
from scheduler.extensions import db
from tests.browser.conftest import shot
from tests.factories import local, make_event, make_society, make_user, make_venue

pytestmark = pytest.mark.browser


def seed(app):
    with app.app_context():
        gz = make_venue(slug="gz-hall", name="广州科学馆报告厅", city="广州", capacity=300)
        sz = make_venue(slug="sz-hall", name="深圳科技馆", city="深圳", capacity=300)
        other = make_society(slug="gd-chem", name="广东省化学学会", city="广州")
        mine = make_society(slug="gd-robot", name="广东省机器人学会", city="广州")
        make_event(start=local(2031, 6, 6, 9), venue=gz, host=other, title="化学之美科普展")
        make_event(start=local(2031, 6, 10, 14), venue=sz, host=other, title="深圳青少年科技节")
        editor = make_user(Role.EDITOR, society=mine, email="editor@example.org")
        organizer = make_user(Role.ORGANIZER, email="organizer@example.org")
        db.session.commit()
        return editor.email, organizer.email


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "password-123")
    page.click("button[type=submit]")


def test_the_public_browses_filters_opens_and_subscribes(page, live_app):
    app, base = live_app
    seed(app)
    page.goto(f"{base}/?view=month&month=2031-06")
    assert page.locator("text=化学之美科普展").count() == 1
    shot(page, "public-month")
    page.click("details.filter-panel summary")
    page.check("input[name=city][value=深圳]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"city="))
    expect(page.locator("text=深圳青少年科技节")).to_have_count(1)
    assert page.locator("text=化学之美科普展").count() == 0
    page.click("details.subscribe summary")
    feed = page.input_value("#feed-url")
    assert "/calendar.ics?" in feed and "city=" in feed
    page.click("text=深圳青少年科技节")
    # The click returns once navigation starts; wait for the event page itself.
    expect(page.locator("h1", has_text="深圳青少年科技节")).to_have_count(1)
    with page.expect_download() as download:
        page.click("a[href$='.ics']")
    path = download.value.path()
    assert b"BEGIN:VCALENDAR" in Path(path).read_bytes()
    shot(page, "public-event")


def test_editor_sees_the_conflict_picks_a_free_slot_and_submits(page, live_app):
    app, base = live_app
    editor, _ = seed(app)
    sign_in(page, base, editor)
    page.goto(f"{base}/portal/events/new")
    page.fill("#f-title", "青少年机器人工作坊")
    page.select_option("#f-kind", "training")
    page.select_option("#f-venue", "gz-hall")
    page.fill("#f-start", "2031-06-06T09:00")
    page.fill("#f-end", "2031-06-06T11:00")
    finding = page.locator("#findings .finding.error")
    finding.wait_for()
    assert "化学之美科普展" in finding.inner_text() or "广州科学馆报告厅" in finding.inner_text()
    shot(page, "portal-conflict")
    page.locator("#findings button.suggestion").first.click()
    page.locator("#findings p.ok").wait_for()
    assert page.input_value("#f-start") != "2031-06-06T09:00"
    page.click("form#event-form > button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/events/\d+$"))
    page.click("form.decide button[value=submit]")
    page.locator(".status.submitted").first.wait_for()
    shot(page, "portal-submitted")


def test_organizer_approves_and_the_event_is_published(page, live_app):
    app, base = live_app
    editor, organizer = seed(app)
    with app.app_context():
        import sqlalchemy as sa

        from scheduler.accounts.models import User
        from scheduler.events import workflow

        user = db.session.scalar(sa.select(User).where(User.email == editor))
        body = {
            "title": "机器人开放日",
            "kind": "exhibition",
            "host": "gd-robot",
            "venue": "gz-hall",
            "start": "2031-06-08T09:00",
            "end": "2031-06-08T12:00",
        }
        event = workflow.create_event(body, user).event
        workflow.submit(event, user)
        event_id = event.id
    sign_in(page, base, organizer)
    page.goto(f"{base}/admin/approvals")
    page.click("text=机器人开放日")
    page.fill("#reason", "同意")
    page.click("form.decide button[value=approve]")
    # The queue is empty after this decision: the organizer is taken back to it.
    page.wait_for_url(re.compile(r"/admin/approvals"))
    page.goto(f"{base}/portal/events/{event_id}")
    page.locator(".status.approved").first.wait_for()
    shot(page, "organizer-approved")
    page.goto(f"{base}/?view=month&month=2031-06")
    assert page.locator("text=机器人开放日").count() == 1
    feed = page.request.get(f"{base}/calendar.ics").text()
    assert "机器人开放日" in feed and f"event-{event_id}@" in feed


def test_language_switch_turns_pages_into_english_and_back(page, live_app):
    app, base = live_app
    seed(app)
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("text=English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1", has_text="Upcoming events")).to_have_count(1)
    page.goto(f"{base}/login")
    assert page.locator("h1", has_text="Sign in").count() == 1
    page.click("text=中文")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_calendar_reads_well_on_a_phone(browser, live_app):
    app, base = live_app
    seed(app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone = context.new_page()
    for path in ("/?from=2031-06-01", "/?view=month&month=2031-06", "/events/1"):
        phone.goto(f"{base}{path}")
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)  # nothing wider than the screen
    assert phone.locator("text=化学之美科普展").is_visible()
    shot(phone, "phone-month")
    context.close()
