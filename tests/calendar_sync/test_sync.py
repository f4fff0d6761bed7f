"""A society's own calendar kept in sync: registered through the API and the page, fetched
by the job from a local server whose file changes between syncs; new, changed and removed
events go through the workflow; failures are counted, reported, and pause the source."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from scheduler.accounts.models import Role
from scheduler.api.openapi import build_document
from scheduler.calendar_sync import service
from scheduler.calendar_sync.models import CalendarSource
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.jobs.clock import FixedClock
from scheduler.notifications.models import OutboxMessage
from tests.calendar_sync.server import CalendarServer, ics, vevent
from tests.conftest import assert_matches_schema, sign_in
from tests.conftest import bearer as api_headers
from tests.factories import make_society, make_user
from tests.jobs.helpers import NOW, run_job

S = EventStatus
ICE = vevent("ice@hrb-physics.example", "冰雪物理讲座", "20310310")
STARS = vevent("stars@hrb-physics.example", "松花江观星夜", "20310312")
LASER = vevent("laser@hrb-physics.example", "激光与冰晶沙龙", "20310314")
ROBOTS = vevent("robots@hrb-physics.example", "极地机器人展", "20310316")


@pytest.fixture(scope="module")
def server():
    server = CalendarServer()
    yield server
    server.stop()


@pytest.fixture
def world(app, server):
    app.config["CALENDAR_SYNC_ALLOW_PRIVATE"] = server.endpoint
    app.config["CALENDAR_SYNC_READ_TIMEOUT"] = 2
    society = make_society(slug="hrb-physics", name="哈尔滨物理学会", city="哈尔滨")
    other = make_society(slug="urumqi-astro", name="乌鲁木齐天文学会", city="乌鲁木齐")
    editor = make_user(Role.EDITOR, society, email="editor@hrb-physics.example")
    stranger = make_user(Role.EDITOR, other, email="editor@urumqi-astro.example")
    organizer = make_user(Role.ORGANIZER, email="organizer@kx.example")
    users = (("editor", editor), ("organizer", organizer), ("stranger", stranger))
    tokens = {who: api_headers(user, commit=False) for who, user in users}
    db.session.commit()
    server.routes.clear()
    server.requests.clear()
    return {"society": society, "organizer": organizer, "tokens": tokens}


def bearer(world, who: str) -> dict:
    return world["tokens"][who]


def events() -> dict[str, Event]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    return {e.imported_uid.split("@")[0]: e for e in rows}


def test_the_job_imports_changes_and_retires_removed_events(client, world, server):
    path = "/societies/hrb-physics/calendar-source"
    body = {"url": server.url("/hrb.ics"), "mode": "submit"}
    response = client.put(f"/api/v1{path}", json=body, headers=bearer(world, "editor"))
    assert response.status_code == 201, response.get_json()
    server.serve("/hrb.ics", ics(ICE, STARS, LASER), etag='"v1"')

    result = run_job("calendar_sync", FixedClock(NOW))
    assert (result.counts, result.errors) == ({"synced": 1}, [])
    found = events()
    assert {uid: e.status for uid, e in found.items()} == dict.fromkeys(
        ("ice", "stars", "laser"), S.SUBMITTED
    )
    source = db.session.scalar(sa.select(CalendarSource))
    assert {e.calendar_source_id for e in found.values()} == {source.id}
    workflow.approve(found["laser"], world["organizer"])

    # The society renames one event, drops two (one pending, one approved), adds one.
    renamed = ICE.replace("冰雪物理讲座", "冰雪物理公开课")
    server.serve("/hrb.ics", ics(renamed, ROBOTS), etag='"v2"')
    response = client.post(f"/api/v1{path}/sync", headers=bearer(world, "editor"))
    assert response.status_code == 200
    report = response.get_json()["last_report"]
    assert report["counts"] == {"updated": 1, "created": 1, "withdrawn": 1, "cancelled": 1}
    assert_matches_schema(build_document(), "CalendarSource", response.get_json())
    found = events()
    assert len(found) == 4  # nothing deleted
    assert found["ice"].title == "冰雪物理公开课"
    assert (found["stars"].status, found["laser"].status) == (S.WITHDRAWN, S.CANCELLED)
    assert found["laser"].decision_reason  # the cancellation says why
    assert found["robots"].status == S.SUBMITTED

    # Unchanged since: the conditional request answers 304 and nothing moves.
    stamps = {uid: e.updated_at for uid, e in found.items()}
    response = client.post(f"/api/v1{path}/sync", headers=bearer(world, "editor"))
    assert response.get_json()["last_outcome"] == "not_modified"
    assert server.requests[-1][1].get("If-None-Match") == '"v2"'
    assert {uid: e.updated_at for uid, e in events().items()} == stamps
    shown = client.get(f"/api/v1{path}", headers=bearer(world, "organizer")).get_json()
    assert shown["failures"] == 0 and shown["last_success_at"]


def test_the_page_registers_a_draft_calendar_and_keeps_removed_drafts(client, world, server):
    token = sign_in(client, "editor@hrb-physics.example")
    page = "/societies/hrb-physics/calendar"
    server.serve("/drafts.ics", ics(ICE, STARS))
    refused = client.post(page, data={"url": "ftp://hrb.example/c.ics", "csrf_token": token})
    assert refused.status_code == 400 and "ftp://" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarSource)) == 0
    form = {"url": server.url("/drafts.ics"), "mode": "draft", "active": "on", "csrf_token": token}
    assert client.post(page, data=form).status_code == 302
    assert client.post(f"{page}/sync", data={"csrf_token": token}).status_code == 302
    found = events()
    assert [e.status for e in found.values()] == [S.DRAFT, S.DRAFT]

    server.serve("/drafts.ics", ics(ICE))
    client.post(f"{page}/sync", data={"csrf_token": token})
    found = events()
    assert found["stars"].status == S.DRAFT and found["stars"].calendar_source_id is None
    html = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "松花江观星夜" in html  # the report lists the removed draft with its reason
    # Another society's editor may not see or change it.
    other = client.application.test_client()
    other_token = sign_in(other, "editor@urumqi-astro.example")
    assert other.get(page).status_code == 403
    assert other.post(f"{page}/delete", data={"csrf_token": other_token}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarSource)) == 1


def test_failures_are_counted_reported_and_pause_the_source(app, world, server):
    app.config["CALENDAR_SYNC_MAX_FAILURES"] = 2
    society = world["society"]
    # Loopback is refused when private addresses are not allowed: no request is sent.
    app.config["CALENDAR_SYNC_ALLOW_PRIVATE"] = False
    url = f"http://localhost:{server.port}/hrb.ics"
    source, _ = service.save_source(society, {"url": url, "mode": "submit"}, world["organizer"])
    with force_locale("en"):
        report = service.sync_source(source)
    assert "loopback" in report.error and server.requests == []
    app.config["CALENDAR_SYNC_ALLOW_PRIVATE"] = server.endpoint

    server.serve("/page.html", "<!DOCTYPE html><html><body>日历</body></html>")
    source, _ = service.save_source(society, {"url": server.url("/page.html")}, world["organizer"])
    with force_locale("en"):
        report = service.sync_source(source)
    assert "HTML" in report.error and not report.paused
    source = db.session.get(CalendarSource, source.id)
    assert (source.failures, source.active, source.last_outcome.value) == (1, True, "failed")

    source.url = server.url("/vanished.ics")
    db.session.commit()
    counts, errors = service.sync_all(NOW)
    assert counts == {"failed": 1, "paused": 1} and "404" in errors[0]
    source = db.session.get(CalendarSource, source.id)
    assert (source.failures, source.active, source.last_report["paused"]) == (2, False, True)
    told = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "calendar_sync_paused")
    ).all()
    assert sorted(told) == ["editor@hrb-physics.example", "organizer@kx.example"]
    assert service.sync_all(NOW) == ({}, [])  # paused: no longer fetched
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    source, _ = service.save_source(society, {"active": True}, world["organizer"])
    assert (source.failures, source.active) == (0, True)


def test_bad_registrations_are_clear_4xx_and_write_nothing(client, world):
    path = "/api/v1/societies/hrb-physics/calendar-source"
    editor = bearer(world, "editor")
    for body, field in (
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "ftp://calendar.example.org/hrb.ics"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "https://calendar.example.org/a.ics", "mode": "publish"}, "mode"),
        ({"url": "https://calendar.example.org/a.ics", "active": "yes"}, "active"),
        ({"url": "https://calendar.example.org/a.ics", "owner": "me"}, "owner"),
        ({"mode": "draft"}, "url"),
    ):
        response = client.put(path, json=body, headers=editor)
        assert response.status_code == 400, body
        assert response.get_json()["field"] == field and response.get_json()["message"]
    good = {"url": "https://calendar.example.org/hrb.ics"}
    assert client.put(path, json=good).status_code == 401
    assert client.put(path, json=good, headers=bearer(world, "stranger")).status_code == 403
    assert client.get(path, headers=editor).status_code == 404
    assert client.post(path + "/sync", headers=editor).status_code == 404
    assert client.delete(path, headers=editor).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarSource)) == 0
