"""Two syncs of one calendar never run at once: the job and "sync now" in another worker
find the source busy (a PostgreSQL advisory lock held for the whole sync) and say so; the
running sync imports the events once."""

import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.api.openapi import build_document
from scheduler.calendar_sync import service
from scheduler.calendar_sync.models import CalendarSource, SyncOutcome
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.jobs.clock import FixedClock
from tests.calendar_sync.server import CalendarServer, ics, vevent
from tests.conftest import bearer, sign_in
from tests.factories import make_society, make_user
from tests.jobs.helpers import NOW, run_job

DUNES = vevent("dunes@ordos-geo.example", "库布其沙漠地质讲座", "20310420")
WIND = vevent("wind@ordos-geo.example", "鄂尔多斯风能沙龙", "20310422")
API = "/api/v1/societies/ordos-geo/calendar-source/sync"


@pytest.fixture
def server():
    server = CalendarServer()
    yield server
    server.stop()


@pytest.fixture
def source(app, server):
    app.config["CALENDAR_SYNC_ALLOW_PRIVATE"] = server.endpoint
    society = make_society(slug="ordos-geo", name="鄂尔多斯地质学会", city="鄂尔多斯")
    editor = make_user(Role.EDITOR, society, email="editor@ordos-geo.example")
    source = CalendarSource(society=society, url=server.url("/ordos.ics"), last_report={})
    db.session.add(source)
    db.session.commit()
    return {"id": source.id, "headers": bearer(editor), "editor": editor}


def event_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Event))


def test_a_sync_started_while_another_runs_is_skipped(app, backend, client, server, source):
    if backend != "postgresql":
        pytest.skip("SQLite lets one writer in at a time anyway")
    hold = threading.Event()
    server.serve("/ordos.ics", ics(DUNES, WIND), etag='"v1"', hold=hold)
    first = {}

    def sync_in_another_worker():
        with app.app_context():
            running = db.session.get(CalendarSource, source["id"])
            first["report"] = service.sync_source(running)
            db.session.remove()

    thread = threading.Thread(target=sync_in_another_worker)
    thread.start()
    try:
        assert server.routes["/ordos.ics"].arrived.wait(10)  # the first sync is fetching
        response = client.post(API, headers=source["headers"])
        assert response.status_code == 409
        assert response.get_json()["message"] == service.busy_message()
        job = run_job("calendar_sync", FixedClock(NOW))
        assert (job.counts, job.errors) == ({"busy": 1}, [])
    finally:
        hold.set()
        thread.join(20)
    assert first["report"].outcome == SyncOutcome.SYNCED
    assert len(server.requests) == 1  # the skipped syncs fetched nothing
    assert event_count() == 2
    db.session.expire_all()
    assert db.session.get(CalendarSource, source["id"]).last_outcome == SyncOutcome.SYNCED

    # The lock was let go: the next sync runs (and finds the file unchanged).
    server.routes["/ordos.ics"].hold = None
    assert client.post(API, headers=source["headers"]).get_json()["last_outcome"] == "not_modified"
    assert event_count() == 2


def test_the_page_and_the_api_say_the_sync_was_skipped(client, server, source, monkeypatch):
    @contextmanager
    def busy(_source_id):
        yield False

    monkeypatch.setattr(service, "_exclusive", busy)
    server.serve("/ordos.ics", ics(DUNES))
    response = client.post(API, headers=source["headers"])
    assert response.status_code == 409 and "正在同步" in response.get_json()["message"]
    documented = build_document()["paths"]["/societies/{slug}/calendar-source/sync"]["post"]
    assert "409" in documented["responses"]  # the API document says so too
    token = sign_in(client, "editor@ordos-geo.example")
    page = "/societies/ordos-geo/calendar"
    shown = client.post(f"{page}/sync", data={"csrf_token": token}, follow_redirects=True)
    assert "正在同步" in shown.get_data(as_text=True)
    assert server.requests == [] and event_count() == 0
