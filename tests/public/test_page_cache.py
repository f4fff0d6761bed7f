"""Anonymous reads kept per data version (scheduler/pagecache): served before the view with
no query, 304 on revalidation, rebuilt after a change made through any path, never for a
signed-in visitor or a token, kept on disk for the next worker, bounded."""

import re

import pytest

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.accounts.service import issue_token
from scheduler.enums import EventStatus
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from scheduler.pagecache import Pending, request_key
from scheduler.pagecache.store import DiskStore, Entry, MemoryStore, PageStore
from tests.conftest import app_with, counting_queries, sign_in
from tests.factories import local, make_event, make_society, make_user, make_venue

CSRF_META = re.compile(rb'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(backend, database_url, tmp_path):
    """The suite's app (tests/conftest.py) with the page cache on, its folder in tmp_path."""
    with app_with(backend, database_url, tmp_path, PAGE_CACHE=True) as app:
        yield app


@pytest.fixture
def harbin(app):
    """A lecture in Harbin in February 2031, and an organizer."""
    venue = make_venue(slug="ice-hall", name="冰雪大世界报告厅", city="哈尔滨")
    host = make_society(slug="hlj-glaciology", name="黑龙江省冰川学会", city="哈尔滨")
    event = make_event(start=local(2031, 2, 3, 10), title="冰雕里的物理学", venue=venue, host=host)
    organizer = make_user(Role.ORGANIZER, email="organizer@hlj-cast.example")
    db.session.commit()
    return {"event": event, "venue": venue, "host": host, "organizer": organizer}


def without_token(response) -> bytes:
    """The body without its CSRF token, which is signed with the time (one per second)."""
    return CSRF_META.sub(b"", response.data)


def urls(event_id: int) -> list[str]:
    return [
        "/?view=list&from=2031-02-01",
        "/?view=week&week=2031-02-03",
        "/?view=month&month=2031-02",
        f"/events/{event_id}",
        "/api/v1/events?from=2031-02-01&to=2031-02-28",
        f"/api/v1/events/{event_id}",
    ]


def test_anonymous_reads_are_built_once_then_served_without_a_query(client, harbin, count_queries):
    for url in urls(harbin["event"].id):
        first = client.get(url)
        assert first.status_code == 200, url
        assert "冰雕里的物理学" in first.get_data(as_text=True), url
        with count_queries() as queries:
            second = client.get(url)
            head = client.head(url)
        assert queries == [], url
        assert second.status_code == 200, url
        assert without_token(second) == without_token(first), url
        assert second.headers["ETag"] == first.headers["ETag"], url
        assert head.status_code == 200 and head.data == b"", url
        assert "Cookie" in second.headers["Vary"], url
        assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    # Argument order does not matter; of two values of one name the first counts.
    reordered = client.get("/?from=2031-02-01&view=list")
    assert without_token(reordered) == without_token(client.get(urls(1)[0]))
    both = "week=2031-02-03&month=2031-02"
    week_first = without_token(client.get(f"/?view=week&view=month&{both}"))
    assert week_first == without_token(client.get(f"/?{both}&view=week&view=month"))
    assert week_first != without_token(client.get(f"/?view=month&view=week&{both}"))


def test_revalidation_is_a_304_and_each_visitor_gets_their_own_csrf_token(
    app, client, harbin, count_queries
):
    url = f"/events/{harbin['event'].id}"
    first = client.get(url)
    with count_queries() as queries:
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert queries == []
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]

    other = app.test_client()
    with count_queries() as queries:
        page = other.get(url)
    assert queries == [] and page.status_code == 200
    mine, theirs = CSRF_META.search(first.data).group(1), CSRF_META.search(page.data).group(1)
    assert mine != theirs and b"\x00" not in page.data
    # The token in the kept page is the visitor's own: their sign-in form accepts it.
    signed_in = other.post(
        "/login",
        data={"email": "organizer@hlj-cast.example", "password": "password-123",
              "csrf_token": theirs.decode()},
    )  # fmt: skip
    assert signed_in.status_code == 302


def test_signed_in_visitors_and_tokens_are_never_served_or_kept(app, client, harbin, count_queries):
    draft = make_event(start=local(2031, 2, 5, 10), title="未公开的草稿", status=EventStatus.DRAFT)
    db.session.commit()
    page, api = "/?view=list&from=2031-02-01", "/api/v1/events?from=2031-02-01&to=2031-02-28"
    anonymous_page = client.get(page).get_data(as_text=True)
    client.get(api)
    assert "/admin/approvals" not in anonymous_page

    organizer = app.test_client()
    sign_in(organizer, "organizer@hlj-cast.example")
    with count_queries() as queries:
        own = organizer.get(page).get_data(as_text=True)
    assert queries and "/admin/approvals" in own
    assert "/admin/approvals" not in client.get(page).get_data(as_text=True)

    token = issue_token("organizer@hlj-cast.example", "test")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    drafts = client.get(api + "&status=draft", headers=bearer)
    assert drafts.status_code == 200 and [e["id"] for e in drafts.json["items"]] == [draft.id]
    assert client.get(api + "&status=draft").status_code == 400  # anonymous: refused, not kept
    with count_queries() as queries:
        listed = client.get(api, headers=bearer)
    assert queries and listed.status_code == 200


def test_what_is_not_the_same_for_everyone_is_built_every_time(client, harbin, count_queries):
    client.get("/events/999999")
    with count_queries() as queries:
        assert client.get("/events/999999").status_code == 404
    assert queries  # errors are not kept
    with count_queries() as queries:
        client.get("/healthz")
        client.get("/healthz")
    assert len(queries) >= 2

    url = "/?view=list&from=2031-02-01"
    chinese = client.get(url).get_data(as_text=True)
    with client.session_transaction() as session:
        session["_flashes"] = [("ok", "欢迎来到哈尔滨")]
    assert "欢迎来到哈尔滨" in client.get(url).get_data(as_text=True)
    english = client.get(url + "&lang=en").get_data(as_text=True)
    assert english != chinese and 'lang="en"' in english
    # The choice is in the session now: the plain URL is English for this visitor only.
    assert 'lang="en"' in client.get(url).get_data(as_text=True)
    assert 'lang="zh-CN"' in client.application.test_client().get(url).get_data(as_text=True)


def test_a_change_through_the_api_a_page_an_import_or_a_job_rebuilds(
    app, client, harbin, count_queries
):
    event, organizer = harbin["event"], harbin["organizer"]
    page, api_item = f"/events/{event.id}", f"/api/v1/events/{event.id}"
    listing = "/api/v1/events?from=2031-02-01&to=2031-03-31"
    for url in (page, api_item, listing):
        client.get(url)

    # The API: an organizer cancels the lecture with a token.
    token = issue_token(organizer.email, "test")
    db.session.commit()
    cancelled = client.post(
        f"/api/v1/events/{event.id}/cancel",
        json={"reason": "暴风雪"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert cancelled.status_code == 200, cancelled.json
    assert "暴风雪" in client.get(page).get_data(as_text=True)

    # A page: an organizer approves a submitted event on the approvals page.
    submitted = make_event(
        start=local(2031, 3, 2, 10), title="松花江水文讲座", status=EventStatus.SUBMITTED,
        venue=harbin["venue"],
    )  # fmt: skip
    db.session.commit()
    assert "松花江水文讲座" not in client.get(listing).get_data(as_text=True)
    browser = app.test_client()
    csrf = sign_in(browser, organizer.email)
    approved = browser.post(
        "/admin/approvals/bulk", data={"event": str(submitted.id), "csrf_token": csrf}
    )
    assert approved.status_code == 302
    assert "松花江水文讲座" in client.get(listing).get_data(as_text=True)

    # An import of a society's calendar, approved on the way in.
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hlj//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:aurora-1@hlj.example\r\nSUMMARY:北极光观测夜\r\n"
        "DTSTART;TZID=Asia/Shanghai:20310320T200000\r\n"
        "DTEND;TZID=Asia/Shanghai:20310320T220000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    result = import_ics(ics, "hlj-glaciology", approve=True)
    db.session.commit()
    assert [item.outcome for item in result.items] == ["created"]
    assert "北极光观测夜" in client.get(listing).get_data(as_text=True)

    # A job: the scheduler marks ended events completed (here: the approved one of 2031,
    # ended by the clock of the job's context).
    from datetime import UTC, datetime

    from tests.jobs.helpers import run_job

    class Later:
        def now(self):
            return datetime(2031, 3, 3, tzinfo=UTC)

    item = f"/api/v1/events/{submitted.id}"
    assert client.get(item).json["status"] == "approved"
    assert run_job("complete_events", Later()).counts == {"completed": 1}
    db.session.commit()
    assert client.get(item).json["status"] == "completed"


def test_a_plan_accepted_by_the_planner_rebuilds(app, client):
    from scheduler.planner.apply import accept_plan, run_plan
    from scheduler.planner.load import parse_request
    from tests.planner.planner_world import NOW, build_db_world

    world = build_db_world()
    listing = "/api/v1/events?from=2027-05-01&to=2027-06-30"
    before = {e["title"] for e in client.get(listing).json["items"]}
    request = parse_request({"year": 2027, "series": ["lingnan"], "time_limit": 5})
    accept_plan(run_plan(request, world["organizer"], NOW), world["organizer"], NOW)
    after = {e["title"] for e in client.get(listing).json["items"]}
    assert "岭南科学论坛 2027年第1期" in after - before


def test_a_fresh_worker_reuses_the_kept_bytes_and_old_versions_are_swept(
    app, client, harbin, tmp_path
):
    url = "/?view=month&month=2031-02"
    built = client.get(url)
    assert built.status_code == 200
    folder = tmp_path / "instance" / "page-cache"
    assert len(list(folder.iterdir())) == 1

    # A recycled worker: a new app object over the same database and instance folder.
    fresh = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        FEED_VERSION_FILE=app.config["FEED_VERSION_FILE"],
        PAGE_CACHE=True,
    )
    with fresh.app_context():
        with counting_queries(db.engine) as queries:
            served = fresh.test_client().get(url)
        assert queries == [] and served.status_code == 200
        assert served.headers["ETag"] == built.headers["ETag"]
        # Another worker is building the week (its claim is on disk): after waiting at most
        # PAGE_CACHE_WAIT_SECONDS for its file this one builds the page itself.
        fresh.extensions["page_cache"].wait_seconds = 0.05
        week = "/?view=week&week=2031-02-03"
        store = fresh.extensions["page_cache"].store
        with fresh.test_request_context(week):
            claimed = Pending(store.version, request_key())
        assert store.disk.claim(*claimed, stale_seconds=60)
        assert "冰雕里的物理学" in fresh.test_client().get(week).get_data(as_text=True)
        db.engine.dispose()

    harbin["venue"].name = "冰雪大世界一号厅"
    db.session.commit()
    renamed = client.get(url, headers={"If-None-Match": built.headers["ETag"]})
    assert renamed.status_code == 200 and renamed.headers["ETag"] != built.headers["ETag"]
    assert "冰雪大世界一号厅" in renamed.get_data(as_text=True)
    assert len(list(folder.iterdir())) == 1  # the old version's folder is gone


# --- the stores, without an app ------------------------------------------------------------


def entry(size: int, tag: str = "x") -> Entry:
    return Entry(tag, (("Content-Type", "text/html"),), b"a" * size)


def test_memory_is_bounded_in_bytes_and_drops_the_least_recently_used():
    store = MemoryStore(capacity=3 * entry(1000).size)
    for key in "abc":
        store.put(key, entry(1000))
    store.get("a")  # used: "b" is now the oldest
    store.put("d", entry(1000))
    assert store.get("b") is None and all(store.get(k) for k in "acd")
    assert store.used <= store.capacity
    store.put("huge", entry(10_000))
    assert store.get("huge") is None and store.get("a") is not None


def test_disk_is_bounded_ignores_torn_files_and_sweeps_old_versions(tmp_path):
    disk = DiskStore(tmp_path, capacity=8 * entry(1000).size)
    disk.adopt("v1")
    for n in range(20):
        disk.put("v1", f"key-{n}", entry(1000, tag=str(n)))
    stored = sum(p.stat().st_size for p in disk.folder("v1").iterdir())
    assert stored <= disk.capacity
    assert disk.get("v1", "key-19").etag == "19" and disk.get("v1", "key-0") is None
    path = disk.folder("v1") / next(p.name for p in disk.folder("v1").iterdir())
    path.write_bytes(path.read_bytes()[:-10])  # a torn write
    survivors = [n for n in range(20) if disk.get("v1", f"key-{n}")]
    assert len(survivors) == len(list(disk.folder("v1").iterdir())) - 1

    pages = PageStore(tmp_path, memory_bytes=10**6, disk_bytes=10**6)
    pages.get("v2", "k")
    pages.put("v2", "k", entry(10))
    assert [p.name for p in tmp_path.iterdir()] == [disk.folder("v2").name]
    pages.put("v1", "k", entry(10))  # built under a version that has passed: not kept
    assert pages.get("v2", "k").body == b"a" * 10 and not disk.folder("v1").exists()


def test_one_worker_builds_a_page_while_the_others_wait_for_it(tmp_path):
    disk = DiskStore(tmp_path, capacity=10**6)
    disk.adopt("v1")
    assert disk.claim("v1", "month", stale_seconds=10)
    assert not disk.claim("v1", "month", stale_seconds=10)  # another worker waits
    assert disk.claim("v1", "week", stale_seconds=10)
    assert disk.claim("v1", "month", stale_seconds=-1)  # a dead worker's claim is taken over
    disk.release("v1", "month")
    assert disk.claim("v1", "month", stale_seconds=10)
