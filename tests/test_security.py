"""Security headers, the sign-in lock-out, and /healthz reporting the scheduler's lease."""

from datetime import timedelta

from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.jobs.lease import NAME
from scheduler.jobs.models import SchedulerLease
from scheduler.types import utcnow
from tests.conftest import csrf_token
from tests.factories import make_user


def test_every_page_has_security_headers_and_a_csp_without_inline_scripts(client):
    for path in ("/", "/login", "/api/v1/events", "/calendar.ics"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html  # no inline scripts anywhere on the page


def test_repeated_wrong_passwords_lock_the_address(client):
    user = make_user(Role.ORGANIZER, email="target@example.org")
    db.session.commit()

    def attempt(password):
        token = csrf_token(client, "/login")
        return client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        ).status_code

    assert [attempt("wrong") for _ in range(5)] == [401] * 5
    assert attempt("password-123") == 429  # even the right password waits now


def test_healthz_reports_the_scheduler_lease(client):
    assert client.get("/healthz").get_json()["scheduler"] == "missing"
    now = utcnow()
    db.session.add(
        SchedulerLease(
            name=NAME,
            holder="test",
            acquired_at=now,
            renewed_at=now,
            expires_at=now + timedelta(minutes=1),
        )
    )
    db.session.commit()
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "database": "ok",
        "scheduler": "ok",
    }
