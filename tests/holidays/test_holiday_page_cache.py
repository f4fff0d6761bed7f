"""Importing a holiday schedule moves the public data version, so a cached calendar page
(scheduler/pagecache) shows the new holiday marks at the next request."""

import pytest

from scheduler.extensions import db
from tests.conftest import app_with

# 2034 is beyond the packages' official schedules; the names are unlike the built-in ones.
SCHEDULE = """date,name,type
2034-10-01,国庆节,holiday
2034-10-02,国庆节,holiday
2034-10-16,鄂尔多斯草原节（测试）,holiday
2034-10-14,国庆调休,workday
"""
MONTH = "/?view=month&month=2034-10"


@pytest.fixture(params=["stamp", "database"])
def app(request, backend, database_url, tmp_path):
    """The page cache on, the version from the stamp file or (PostgreSQL) the database."""
    if request.param == "database" and backend == "sqlite":
        pytest.skip("SQLite serves one host: the stamp file is its version")
    settings = {"PAGE_CACHE": True, "FEED_VERSION_SOURCE": request.param}
    with app_with(backend, database_url, tmp_path, **settings) as app:
        yield app


def test_an_imported_holiday_shows_on_the_cached_month_at_once(app, client, tmp_path):
    before = client.get(MONTH)
    assert before.status_code == 200 and "鄂尔多斯草原节" not in before.get_data(as_text=True)
    assert client.get(MONTH).get_data() == before.get_data()  # served from the cache

    path = tmp_path / "ordos-2034.csv"
    path.write_text(SCHEDULE, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-holidays", str(path)])
    assert result.exit_code == 0, result.output
    db.session.remove()

    after = client.get(MONTH).get_data(as_text=True)
    assert "鄂尔多斯草原节（测试）" in after
    assert 'day-mark workday">' in after  # the make-up working day of 14 October
