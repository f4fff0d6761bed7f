"""Who is calling: session users for pages, bearer tokens for the API."""

import hmac
from datetime import timedelta

from flask import Flask, Request

from ..database import MAX_ID, serialized_writes
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


def user_from_session(session_id: str) -> User | None:
    """The active user whose password is still the one the session was signed in with
    (User.get_id): a new password or a deactivation signs the session out."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or int(user_id) > MAX_ID:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    same = hmac.compare_digest(token.encode(), user.session_token().encode())
    return user if same else None


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        return user_from_session(session_id)

    @login_manager.request_loader
    def load_user_from_request(request: Request) -> User | None:
        return user_from_bearer(request)
