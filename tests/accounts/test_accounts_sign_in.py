"""Sign-in hardening: the lock-out counted in the database (shared by app instances and
concurrent requests), equal timing for unknown addresses, and ``next=`` kept on this site."""

import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.security import DatabaseSignInGuard, RedisSignInGuard, safe_next, sign_in_guard
from scheduler.types import utcnow
from tests.accounts.conftest import PASSWORD, quick_user
from tests.conftest import csrf_token
from tests.factories import make_user


def attempt(client, email: str, password: str, next_: str | None = None):
    path = "/login" if next_ is None else f"/login?next={next_}"
    token = csrf_token(client, "/login")
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


def test_five_failures_lock_the_address_and_success_clears_the_count(app, client):
    user = quick_user(Role.ORGANIZER, "zhao.lei@taizhou-kx.example")
    db.session.commit()
    guard = app.extensions["sign_in_guard"]
    assert isinstance(guard, DatabaseSignInGuard)
    assert [attempt(client, user.email, "wrong").status_code for _ in range(4)] == [401] * 4
    assert attempt(client, user.email, PASSWORD).status_code == 302  # clears the count
    assert guard.count(user.email) == 0
    assert [attempt(client, user.email, "wrong").status_code for _ in range(5)] == [401] * 5
    assert guard.locked(user.email)
    assert attempt(client, user.email, PASSWORD).status_code == 429  # even the right one
    assert guard.count(user.email) == 6  # every attempt counts, before its password is checked


def test_the_lock_ends_when_the_window_has_passed(app, client):
    user = quick_user(Role.ORGANIZER, "qin.yu@taizhou-kx.example")
    db.session.commit()
    guard = app.extensions["sign_in_guard"]
    for _ in range(5):
        attempt(client, user.email, "wrong")
    assert attempt(client, user.email, PASSWORD).status_code == 429
    start = utcnow()
    guard.clock = lambda: start + timedelta(minutes=15, seconds=1)
    try:
        assert attempt(client, user.email, "wrong").status_code == 401  # a fresh window
        assert guard.count(user.email) == 1
        assert attempt(client, user.email, PASSWORD).status_code == 302
    finally:
        guard.clock = utcnow


def test_unknown_addresses_are_counted_too(app, client):
    for _ in range(5):
        assert attempt(client, "nobody@taizhou-kx.example", "guess").status_code == 401
    assert attempt(client, "NOBODY@taizhou-kx.example", "guess").status_code == 429


def test_two_app_instances_share_the_count(app, client, database_url, tmp_path):
    """Two create_app on one database (two hosts, no shared memory): five means five."""
    user = quick_user(Role.ORGANIZER, "wei.ning@taizhou-kx.example")
    db.session.commit()
    other = create_app("test", SQLALCHEMY_DATABASE_URI=database_url,
                       FEED_VERSION_FILE=str(tmp_path / "other-version"))  # fmt: skip
    try:
        with other.app_context():
            second = other.test_client()
            assert [attempt(second, user.email, "x").status_code for _ in range(3)] == [401] * 3
        assert [attempt(client, user.email, "y").status_code for _ in range(2)] == [401] * 2
        with other.app_context():
            assert attempt(other.test_client(), user.email, PASSWORD).status_code == 429
            db.session.remove()
            db.engine.dispose()
        assert attempt(client, user.email, PASSWORD).status_code == 429
    finally:
        with other.app_context():
            db.engine.dispose()


def test_concurrent_attempts_are_all_counted_and_five_get_through(app):
    """Eight threads with a connection each try three times at once: 24 counted, none lost,
    and exactly five of them were let through to the password check."""
    guard = app.extensions["sign_in_guard"]
    allowed: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def try_three_times():
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(3):
                    allowed.append(guard.attempt("racing@taizhou-kx.example"))
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=try_three_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert guard.count("racing@taizhou-kx.example") == 24
    assert allowed.count(True) == 5 and guard.locked("racing@taizhou-kx.example")


def serve(database_url: str, instance: Path) -> tuple:
    """A real threaded HTTP server on its own app (its own instance folder: another host)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url,
                     FEED_VERSION_FILE=str(instance / "feed-version"))  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def browser_login(base: str, email: str, password: str, barrier=None) -> int:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    if barrier is not None:
        barrier.wait()
    data = {"email": email, "password": password, "csrf_token": token}
    return session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60).status_code


def test_racing_attempts_through_two_real_servers_let_five_through(app, database_url, tmp_path):
    """Twelve wrong passwords at once, six through each of two servers (two app instances on
    one database, as two hosts): exactly five are checked (401), seven refused (429), and the
    right password is refused on both afterwards."""
    email = quick_user(Role.ORGANIZER, "racing.target@taizhou-kx.example").email
    db.session.commit()
    servers = [serve(database_url, tmp_path / name) for name in ("host-a", "host-b")]
    try:
        barrier = threading.Barrier(12)
        bases = [base for _app, _server, base in servers] * 6

        def guess(base: str) -> int:
            return browser_login(base, email, "wrong-guess", barrier)

        with ThreadPoolExecutor(12) as pool:
            statuses = sorted(pool.map(guess, bases))
        assert statuses == [401] * 5 + [429] * 7, statuses
        for _app, _server, base in servers:
            assert browser_login(base, email, PASSWORD) == 429
    finally:
        for other, server, _base in servers:
            server.shutdown()
            with other.app_context():
                db.engine.dispose()


def test_unknown_addresses_take_as_long_as_wrong_passwords(app, client):
    """Ratio of the medians, never an absolute time: within 0.5 to 2. Real (slow) hashes."""
    app.extensions["sign_in_guard"].max_failures = 1000
    known = make_user(Role.ORGANIZER, email="real@taizhou-kx.example")  # the default hash
    invited = make_user(Role.ORGANIZER, email="invited@taizhou-kx.example")
    invited.password_hash = ""  # invited, no password yet: also checks a hash
    db.session.commit()
    token = csrf_token(client, "/login")
    timings: dict[str, list[float]] = {"known": [], "unknown": [], "invited": []}
    emails = {"known": known.email, "invited": invited.email}
    for i in range(5):
        for kind in timings:
            email = emails.get(kind, f"ghost{i}@taizhou-kx.example")
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "password": "wrong-guess",
                                                   "csrf_token": token})  # fmt: skip
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 401
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    assert 0.5 <= medians["unknown"] / medians["known"] <= 2, medians
    assert 0.5 <= medians["invited"] / medians["known"] <= 2, medians


# --- next= ---------------------------------------------------------------------------------

ATTACKS = [
    "//evil.example",
    "///evil.example",
    "/%09/evil.example",
    "/%0A/evil",
    "/%0D%0A/evil",
    "/\t/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    "%2F%2Fevil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /evil",
    "/%00/evil",
    "/ /evil.example",
    "/" + "a" * 3000,
    "",
]
SAFE = ["/portal/events/new", "/admin/approvals?kind=forum", "/?city=%E5%8F%B0%E5%B7%9E&view=list"]


@pytest.mark.parametrize("target", ATTACKS)
def test_next_refuses_anything_but_a_local_path(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "next_, location",
    [
        ("/%09/evil.example", "/admin/approvals"),
        ("/%0A/evil", "/admin/approvals"),
        ("/%5Cevil.example", "/admin/approvals"),
        ("https://evil.example", "/admin/approvals"),
        ("%2Fadmin%2Fquotas%3Fyear%3D2027", "/admin/quotas?year=2027"),
        ("/portal/events/new", "/portal/events/new"),
    ],
)
def test_sign_in_redirects_only_on_this_site(app, client, next_, location):
    user = quick_user(Role.ORGANIZER, "gao.yan@taizhou-kx.example")
    db.session.commit()
    response = attempt(client, user.email, PASSWORD, next_=next_)
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_the_guard_is_the_database_unless_redis_is_configured():
    config = {"RATELIMIT_STORAGE_URI": "memory://", "LOGIN_LOCKOUT": "3 per 10 minutes"}
    guard = sign_in_guard(config)
    assert isinstance(guard, DatabaseSignInGuard)
    assert (guard.max_failures, guard.window) == (3, timedelta(minutes=10))
    # The Redis guard's logic, on the limits library's in-memory store (no Redis here).
    redis_like = RedisSignInGuard(config)
    assert [redis_like.attempt("a@b.example") for _ in range(4)] == [True] * 3 + [False]
    redis_like.succeeded("a@b.example")
    assert redis_like.attempt("a@b.example")
