"""Accounts fixtures: a society far from the demo's, an organizer signed in through the form,
and helpers that read one-time links from the outbox."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from scheduler.accounts.models import Role, User
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from tests.conftest import sign_in
from tests.factories import make_society

PASSWORD = "password-123"
LINK = re.compile(r"(https?://\S+)/account/set-password/(scl_[A-Za-z0-9_-]+)")


def quick_user(role: Role, email: str, society=None, **kw) -> User:
    """A user with a cheap password hash (the slow default is tested where timing matters)."""
    user = User(role=role, society=society, email=email, **kw)
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def society():
    return make_society(slug="wz-cast", name="温州市科协", city="温州")


@pytest.fixture
def organizer():
    user = quick_user(Role.ORGANIZER, "chen.jing@wz-kx.example", name="陈静")
    db.session.commit()
    return user


@pytest.fixture
def organizer_client(app, client, organizer):
    client.csrf = sign_in(client, organizer.email, PASSWORD)
    return client


def mails_to(email: str) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).where(OutboxMessage.recipient == email)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> tuple[str, str]:
    """(base URL, plain token) of the link in a mail."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1), found.group(2)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
