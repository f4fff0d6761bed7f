"""The quota dashboard draws its charts in a real browser."""

import pytest

from tests.browser.conftest import shot
from tests.browser.test_journeys import seed, sign_in

pytestmark = pytest.mark.browser


def test_quota_dashboard_renders_its_charts(page, live_app):
    app, base = live_app
    _editor, organizer = seed(app)
    with app.app_context():
        from scheduler.extensions import db
        from tests.factories import local, make_event, make_series

        series = make_series(slug="lingnan", name="岭南科学论坛", target_min=10, target_max=10)
        make_event(start=local(2031, 3, 5, 14), series=series, title="第一期")
        db.session.commit()
    sign_in(page, base, organizer)
    page.goto(f"{base}/admin/quotas?year=2031")
    page.locator("canvas").first.wait_for()
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].filter(c => window.Chart && "
        "Chart.getChart(c) && c.width > 0).length"
    )
    assert drawn >= 1
    assert page.locator("table").count() >= 1  # the same figures without JavaScript
    shot(page, "quota-dashboard")
