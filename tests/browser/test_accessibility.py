"""axe-core on the main pages: no serious or critical accessibility violation."""

from pathlib import Path

import pytest

from tests.browser.conftest import shot
from tests.browser.test_journeys import seed, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.inject_scripts]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_main_pages_have_no_serious_violations(browser, page, live_app, lang):
    app, base = live_app
    editor, organizer = seed(app)
    public = ["/", "/?view=month&month=2031-06", "/events/1", "/login", "/account/forgot"]
    found = {}
    for path in public:
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
        found[path] = violations(page)
    sign_in(page, base, editor)
    for path in ["/portal/", "/portal/events/new", "/portal/feeds", "/account/tokens"]:
        page.goto(f"{base}{path}")
        found[path] = violations(page)
    shot(page, f"axe-{lang}")
    staff = browser.new_context(locale="zh-CN", bypass_csp=True).new_page()
    sign_in(staff, base, organizer)
    for path in ["/admin/approvals", "/admin/import", "/admin/users"]:
        staff.goto(f"{base}{path}")
        found[path] = violations(staff)
    staff.context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}
