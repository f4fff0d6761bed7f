"""The series form's repeat-rule editor in a real browser (under the CSP, no inline script):
the controls build the RRULE text, a typed rule is read back, and the page saves it."""

import re

import pytest

from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.series.models import Series
from tests.browser.conftest import shot
from tests.factories import make_society, make_user

pytestmark = pytest.mark.browser


def test_the_editor_builds_the_rule_and_the_series_is_saved(page, live_app):
    app, base = live_app
    with app.app_context():
        make_society(slug="hz-cast", name="杭州市科学技术协会", city="杭州")
        make_user(Role.ORGANIZER, email="organizer@example.org")
        db.session.commit()
    page.goto(f"{base}/login")
    page.fill("#email", "organizer@example.org")
    page.fill("#password", "password-123")
    page.click("button[type=submit]")
    page.goto(f"{base}/admin/series/new")
    assert page.is_visible("#rrule-editor")  # shown only when the script runs
    page.select_option("#rr-freq", "MONTHLY")
    page.check(".rr-day[value=SA]")
    page.select_option("#rr-nth", "2")
    assert page.input_value("#f-cadence_rrule") == "FREQ=MONTHLY;BYDAY=2SA"
    page.select_option("#rr-freq", "WEEKLY")
    page.fill("#rr-interval", "2")
    page.dispatch_event("#rr-interval", "change")
    assert page.input_value("#f-cadence_rrule") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"
    page.fill("#f-cadence_rrule", "FREQ=MONTHLY;BYDAY=-1FR")  # typed: read back
    assert page.input_value("#rr-freq") == "MONTHLY" and page.input_value("#rr-nth") == "-1"
    assert page.is_checked(".rr-day[value=FR]") and not page.is_checked(".rr-day[value=SA]")

    page.fill("#f-name", "西湖科学沙龙")
    page.fill("#f-slug", "xihu-salon")
    page.fill("#f-target_max", "12")
    page.check("input[name=host_mode][value=fixed]")
    page.select_option("#f-fixed_host", "hz-cast")
    shot(page, "series-editor")
    page.click("form.event-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/series/xihu-salon$"))
    with app.app_context():
        series = db.session.scalar(db.select(Series).where(Series.slug == "xihu-salon"))
        assert series.cadence_rrule == "FREQ=MONTHLY;BYDAY=-1FR"
        assert series.fixed_host.slug == "hz-cast"
