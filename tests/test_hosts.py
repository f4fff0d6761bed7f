"""One canonical address (scheduler/hosts.py): every absolute link is built on
PUBLIC_BASE_URL, a forged Host header is refused (400) and reaches neither a cached feed nor
a queued mail; production refuses to start without PUBLIC_BASE_URL."""

import os
import subprocess

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import ApiToken, Role
from scheduler.enums import EventStatus
from scheduler.extensions import db
from scheduler.hosts import PublicAddressMissing
from scheduler.notifications.models import OutboxMessage
from tests.conftest import FreshGlobalsClient
from tests.factories import local, make_event, make_society, make_user, make_venue
from tests.jobs.helpers import ROOT

PUBLIC = "https://kexie.example.cn/calendar-app"
ALIAS = "alias.example.net"  # trusted (say a second load balancer name), never canonical


@pytest.fixture
def site(app, database_url, tmp_path):
    """An app on the test's database whose public address is not the test client's host."""
    other = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url,
        FEED_VERSION_FILE=str(tmp_path / "site-feed-version"),
        PUBLIC_BASE_URL=PUBLIC,
        TRUSTED_HOSTS=f"kexie.example.cn, {ALIAS}, localhost",
    )
    other.test_client_class = FreshGlobalsClient
    with other.app_context():
        society = make_society(
            slug="sz-robotics",
            name="深圳市机器人学会",
            city="深圳",
            contact_email="office@robotics.example.cn",
        )
        hall = make_venue(slug="bay-hall", name="湾区会堂", city="深圳")
        approved = make_event(
            host=society, venue=hall, title="仿生机器人展", start=local(2031, 10, 3, 10)
        )
        submitted = make_event(
            host=society,
            venue=hall,
            title="无人机编程营",
            status=EventStatus.SUBMITTED,
            start=local(2031, 10, 4, 10),
        )
        organizer = make_user(Role.ORGANIZER, email="staff@gd.example.cn")
        row, plain = ApiToken.issue(organizer)
        db.session.add(row)
        db.session.commit()
        yield {
            "app": other,
            "client": other.test_client(),
            "approved": approved.id,
            "submitted": submitted.id,
            "token": plain,
        }
        db.session.remove()


def unfolded(response) -> str:
    return response.get_data(as_text=True).replace("\r\n ", "")


@pytest.mark.parametrize("path", ["/", "/calendar.ics", "/api/v1/events", "/login", "/nowhere"])
def test_a_host_outside_trusted_hosts_is_refused_with_a_clear_400(site, path):
    response = site["client"].get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    assert response.get_data(as_text=True).strip()


def test_a_forged_host_never_reaches_a_cached_feed(site):
    client = site["client"]
    assert client.get("/calendar.ics", headers={"Host": "evil.example"}).status_code == 400
    first = client.get("/calendar.ics", headers={"Host": ALIAS})
    assert first.status_code == 200
    body = unfolded(first)
    assert f"URL:{PUBLIC}/events/{site['approved']}" in body
    assert ALIAS not in body and "localhost" not in body
    # Cached now (the fast path answers before Flask): a forged host still gets the 400.
    assert client.get("/calendar.ics", headers={"Host": "evil.example"}).status_code == 400
    again = client.get("/calendar.ics")
    assert unfolded(again) == body
    one = client.get(f"/events/{site['approved']}.ics", headers={"Host": ALIAS})
    assert f"URL:{PUBLIC}/events/{site['approved']}" in unfolded(one)


def test_mail_queued_during_a_request_links_to_the_public_address(site):
    headers = {"Authorization": f"Bearer {site['token']}", "Host": ALIAS}
    response = site["client"].post(
        f"/api/v1/events/{site['submitted']}/approve", json={}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with site["app"].app_context():
        bodies = db.session.scalars(sa.select(OutboxMessage.body)).all()
    assert bodies
    for body in bodies:
        assert f"{PUBLIC}/events/{site['submitted']}" in body
        assert ALIAS not in body and "localhost" not in body


def test_pages_link_feeds_on_the_public_address(site):
    page = site["client"].get("/?city=深圳", headers={"Host": ALIAS}).get_data(as_text=True)
    assert "webcal://kexie.example.cn/calendar-app/calendar.ics?city=" in page
    assert ALIAS not in page


def test_production_refuses_to_start_without_a_public_address(tmp_path):
    with pytest.raises(PublicAddressMissing, match="PUBLIC_BASE_URL must be set"):
        create_app(
            "production",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}",
            SECRET_KEY="k",
            PUBLIC_BASE_URL="",
        )


def test_serve_sh_refuses_to_start_without_a_public_address(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    env.update(
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        SECRET_KEY="k",
        SCHEDULER_INSTANCE=str(tmp_path / "instance"),
    )
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "serve.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "PUBLIC_BASE_URL must be set" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
