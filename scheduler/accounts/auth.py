"""Who is calling: session users for pages, bearer tokens for the API."""

from flask import Flask, Request

from ..extensions import db, login_manager
from ..types import utcnow
from .models import ApiToken, User, hash_token


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
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    @login_manager.request_loader
    def load_user_from_request(request: Request) -> User | None:
        return user_from_bearer(request)
