"""Who is calling: session users for pages, bearer tokens for the API."""

from datetime import timedelta

from flask import Flask, Request

from ..database import serialized_writes
from ..extensions import db, login_manager
from ..types import utcnow
from .models import ApiToken, User, hash_token

LAST_USED_GRANULARITY = timedelta(minutes=1)


def user_from_bearer(request: Request) -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    plain = header[len("Bearer ") :].strip()
    token = db.session.scalar(
        db.select(ApiToken).where(
            ApiToken.token_hash == hash_token(plain), ApiToken.revoked_at.is_(None)
        )
    )
    # The hash lookup already found it; compare again in constant time for good measure.
    if token is None or not token.matches(plain) or not token.user.active:
        return None
    now = utcnow()
    # Record use at most once a minute, in a write transaction of its own (SQLite: IMMEDIATE).
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        with serialized_writes():
            token.last_used_at = now
            db.session.commit()
    return token.user


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None  # deactivated: signed out

    @login_manager.request_loader
    def load_user_from_request(request: Request) -> User | None:
        return user_from_bearer(request)
