"""The README's "Setting up your association", followed through HTTP on an empty database:
first organizer, the directory from docs/directory-example/, a campaign and two series
through the API, host applications, a planned and accepted year, published feeds."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.extensions import db
from scheduler.migrate import upgrade
from scheduler.timeutil import local_today
from tests.conftest import FreshGlobalsClient, sign_in

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "directory-example"
ADMIN = "admin@yc-kexie.example.org"
APPLICANTS = ("yc-physics", "yc-medicine", "yc-agri", "ctgu-kexie", "xy-kexie")


@pytest.fixture
def fresh(empty_database_url, tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url,
                     FEED_VERSION_FILE=str(tmp_path / "feed-version"))  # fmt: skip
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        upgrade()  # make init-db
        yield app
        db.session.remove()
        db.engine.dispose()


def flask(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()
    assert result.exit_code == 0, result.output
    return result.output


def api(client, token, method, path, body, status=201):
    response = client.open(f"/api/v1{path}", method=method, json=body,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def test_an_association_goes_from_an_empty_database_to_a_planned_published_year(fresh):
    client = fresh.test_client()
    assert "create-user --email" in client.get("/").get_data(as_text=True)
    flask(fresh, "create-user", "--email", ADMIN, "--password", "a-long-password",
          "--role", "organizer")  # fmt: skip
    csrf = sign_in(client, ADMIN, "a-long-password")
    assert "/admin/directory/import" in client.get("/").get_data(as_text=True)

    for kind in ("societies", "venues", "people", "users"):
        data = (EXAMPLE / f"{kind}.csv").read_bytes()
        form = {"csrf_token": csrf, "action": "import", "file": (io.BytesIO(data), f"{kind}.csv")}
        page = client.post("/admin/directory/import", data=form)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "outcome-error" not in html, html[-3000:]
    tables = ("societies", "venues", "people", "users", "outbox")
    found = [db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables]
    assert found == [6, 4, 3, 4, 3]  # three editors invited by e-mail

    token = flask(fresh, "create-token", "--email", ADMIN).strip()
    year = local_today().year + 1
    api(client, token, "POST", "/campaigns", {
        "name": "宜昌市学术活动月", "slug": "yc-academic-month", "kind": "academic_month",
        "start_date": f"{year}-10-01", "end_date": f"{year}-10-31",
        "launch_at": f"{year}-10-09T09:00", "theme": "科技创新 助力三峡"})  # fmt: skip
    api(client, token, "POST", "/series", {
        "name": "三峡科学论坛", "slug": "sanxia-forum", "kind": "forum", "target_min": 4,
        "target_max": 5, "max_per_host": 1, "duration_minutes": 180,
        "default_start_time": "14:30", "expected_attendance": 200,
        "preferred_months": [3, 4, 5, 9, 10, 11], "default_venue": "ctgu-hall"})  # fmt: skip
    api(client, token, "POST", "/series", {
        "name": "宜昌科普大讲堂", "slug": "yc-lecture-hall", "kind": "lecture",
        "cadence_rrule": "FREQ=MONTHLY;BYDAY=SA;BYSETPOS=1", "target_min": 10,
        "target_max": 12, "duration_minutes": 120, "default_start_time": "09:30",
        "expected_attendance": 150, "default_venue": "yc-science-hall", "host_mode": "fixed",
        "fixed_host": "yc-kexie"})  # fmt: skip
    for society in APPLICANTS:
        api(client, token, "POST", "/applications", {"series": "sanxia-forum",
            "society": society, "year": year, "preferred_months": [4, 10]})  # fmt: skip
    api(client, token, "POST", "/users", {"email": "agri-editor@yc-kexie.example.org",
        "name": "陈军", "role": "editor", "society": "yc-agri"})  # fmt: skip

    plan = api(client, token, "POST", "/plans", {"year": year, "time_limit": 5})
    sessions = plan["sessions"]
    by_series = {s["series"] for s in sessions}
    assert by_series == {"sanxia-forum", "yc-lecture-hall"}, plan.get("status")
    forum_hosts = [s["host"]["slug"] for s in sessions if s["series"] == "sanxia-forum"]
    assert 4 <= len(forum_hosts) <= 5 and len(set(forum_hosts)) == len(forum_hosts)
    api(client, token, "POST", f"/plans/{plan['id']}/accept", {}, status=200)

    feed = client.get("/calendar.ics").get_data(as_text=True)
    assert feed.count("BEGIN:VEVENT") == len(sessions)
    assert "三峡科学论坛" in feed and "宜昌科普大讲堂" in feed
    forum = client.get("/feeds/series/sanxia-forum.ics").get_data(as_text=True)
    assert forum.count("BEGIN:VEVENT") == len(forum_hosts)
    home = client.get(f"/?from={year}-01-01").get_data(as_text=True)
    assert "No events yet" not in home and "宜昌科普大讲堂" in home
