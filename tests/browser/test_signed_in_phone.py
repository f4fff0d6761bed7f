"""Signed in on a phone (390x844): the header keeps the brand and a menu button on one line,
the menu opens its links in a column (keyboard too), and no signed-in page scrolls
sideways; wide tables scroll inside their own labelled region instead. (The desktop header,
links in one row and no menu button, is checked in test_organizer_journeys.py.)"""

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in
from tests.browser.test_organizer_journeys import EDITOR, ORGANIZER, SIZES, seed

pytestmark = pytest.mark.browser

ORGANIZER_PAGES = [
    "/admin/approvals", "/admin/quotas?year=2031", "/admin/quotas/settings", "/admin/planner",
    "/admin/planner/settings", "/admin/directory", "/admin/directory/societies",
    "/admin/directory/venues", "/admin/directory/people", "/admin/series", "/admin/campaigns",
    "/admin/import", "/admin/jobs", "/admin/outbox", "/admin/users", "/account/tokens",
]  # fmt: skip
EDITOR_PAGES = [
    "/portal/", "/portal/events/new", "/portal/feeds", "/portal/applications",
    "/societies/sc-optics/record", "/societies/sc-optics/calendar",
]  # fmt: skip
OVERFLOW = "() => document.scrollingElement.scrollWidth - innerWidth"


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_phone_menu_opens_a_column_and_no_page_scrolls_sideways(browser, live_app):
    app, base = live_app
    seed(app)
    context = browser.new_context(viewport=SIZES["phone"], locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, ORGANIZER)
    page.wait_for_url(re.compile(r"/(portal|admin)/"))
    for code in ("zh_CN", "en"):
        page.goto(f"{base}/admin/approvals?lang={code}")
        menu = page.locator("header.site details.menu > summary")
        brand = page.locator("header.site .brand")
        approvals = page.locator("nav.account a", has_text="Approvals" if code == "en" else "审批")
        # One line: the brand and the menu button side by side, the links hidden.
        assert abs(_box(brand)["y"] + _box(brand)["height"] / 2 - _box(menu)["y"]
                   - _box(menu)["height"] / 2) < 12  # fmt: skip
        assert _box(page.locator("header.site"))["height"] < 90
        expect(approvals).to_be_hidden()
        # The keyboard opens it: links in one column under the header.
        menu.focus()
        page.keyboard.press("Enter")
        expect(approvals).to_be_visible()
        expect(page.locator("details.menu")).to_have_attribute("open", "")
        links = page.locator("nav.account > a")
        boxes = [_box(links.nth(i)) for i in range(links.count())]
        assert len(boxes) >= 8 and len({round(b["x"]) for b in boxes}) == 1
        assert all(a["y"] < b["y"] for a, b in itertools.pairwise(boxes))
        shot(page, f"phone-menu-{code}")
        page.keyboard.press("Enter")  # the button has kept the focus: closes again
        expect(approvals).to_be_hidden()
    # Every page, in English (its words are longer: what fits in English fits in Chinese).
    for path in ORGANIZER_PAGES:
        page.goto(f"{base}{path}")
        assert page.evaluate(OVERFLOW) <= 0, path
    # A wide table scrolls inside its region, which takes the keyboard focus and has a name.
    page.goto(f"{base}/admin/users")
    region = page.locator(".table-scroll").first
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    context.close()

    editor = browser.new_context(viewport=SIZES["phone"], locale="zh-CN").new_page()
    sign_in(editor, base, EDITOR)
    editor.wait_for_url(re.compile(r"/portal/"))
    for path in EDITOR_PAGES:
        editor.goto(f"{base}{path}{'&' if '?' in path else '?'}lang=en")
        assert editor.evaluate(OVERFLOW) <= 0, path
    editor.context.close()
