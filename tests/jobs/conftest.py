"""Fixtures of the jobs tests: a clean job store, a fixed clock, a small world, an SMTP server."""

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role, User
from scheduler.extensions import db
from scheduler.jobs.clock import FixedClock
from tests.factories import make_society, make_venue
from tests.jobs.helpers import NOW, Inbox


@pytest.fixture(autouse=True)
def fresh_job_store(request):
    """APScheduler's table is not in our metadata, so the PostgreSQL tests' truncation
    leaves it alone: drop it so that every test starts without stored jobs."""
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS apscheduler_jobs"))
    yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def quick_user(email: str, role: Role = Role.ORGANIZER, **kw) -> User:
    """A user who cannot sign in (no password hashing: it is slow on purpose)."""
    user = User(email=email, role=role, password_hash="!", **kw)
    db.session.add(user)
    return user


@pytest.fixture
def world(app):
    """A host and a co-host society with contact addresses, an editor of the host, two
    organizers (one reading English) and a venue."""
    host = make_society(
        slug="gd-physics", name="广东省物理学会", contact_email="host@physics.example"
    )
    cohost = make_society(slug="gz-cast", name="广州市科协", contact_email="Office@GZ-Cast.example")
    editor = quick_user("editor@physics.example", Role.EDITOR, society=host)
    organizer = quick_user("organizer@cast.example")
    english = quick_user("en.organizer@cast.example", locale="en")
    venue = make_venue(slug="science-hall", name="科学馆报告厅", address="广州市越秀区连新路171号")
    db.session.commit()
    return {
        "host": host,
        "cohost": cohost,
        "editor": editor,
        "organizer": organizer,
        "english": english,
        "venue": venue,
    }


@pytest.fixture
def inbox():
    server = Inbox().start()
    yield server
    server.stop()
