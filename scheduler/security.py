"""Security headers on every response, the sign-in guard against password guessing, and the
check that keeps ``next=`` on this site."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

import limits
import sqlalchemy as sa
from flask import Flask
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from config import ConfigError

from .database import serialized_writes
from .extensions import db
from .types import utcnow

# No inline or remote scripts; inline style attributes are allowed (series colours, charts).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


# Other sites may frame /embed only (scheduler/share): EMBED_ORIGINS lists them.
EMBED_ANCESTORS = "frame-ancestors 'self'"
ORIGIN = re.compile(
    r"https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?"
)


def embed_origins(value: str) -> tuple[str, ...]:
    """EMBED_ORIGINS ("https://a.org, https://b.org") as origins, or ConfigError at start-up:
    each goes into a CSP header as it is, so nothing but scheme, host and port."""
    origins = []
    for item in re.split(r"[\s,]+", value or ""):
        origin = item.lower().removesuffix("/")
        if not origin:
            continue
        if not ORIGIN.fullmatch(origin):
            raise ConfigError(
                f"EMBED_ORIGINS: {item!r} is not an origin such as https://www.example.org "
                "(scheme, host and an optional port; no path)"
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def embed_csp(origins: tuple[str, ...]) -> str:
    """The site's policy with frame-ancestors opened to this site and ``origins``."""
    return CSP.replace("frame-ancestors 'none'", " ".join((EMBED_ANCESTORS, *origins)))


class RedisSignInGuard:
    """The lock-out kept in Redis (RATELIMIT_STORAGE_URI=redis://...), shared by every
    worker and host that uses that Redis; its moving window counts atomically."""

    def __init__(self, config):
        self.item = limits.parse(config["LOGIN_LOCKOUT"])
        self.limiter = MovingWindowRateLimiter(storage_from_string(config["RATELIMIT_STORAGE_URI"]))

    def attempt(self, email: str) -> bool:
        return self.limiter.hit(self.item, "login", email)

    def locked(self, email: str) -> bool:
        return not self.limiter.test(self.item, "login", email)

    def succeeded(self, email: str) -> None:
        self.limiter.clear(self.item, "login", email)


class DatabaseSignInGuard:
    """At most ``max_failures`` sign-in attempts for one address within ``window`` (counted
    from the first of them) unless one succeeds; further attempts are refused until the
    window has passed. The count is a row of ``sign_in_failures``, so every worker and every
    host sees the same number. Each attempt is counted *before* its password is checked, by
    one atomic upsert that returns the new count: concurrent attempts can neither lose an
    increment nor all slip through a check made before the others counted (five means five)."""

    def __init__(self, max_failures: int, window: timedelta, clock: Callable[[], datetime]):
        self.max_failures, self.window, self.clock = max_failures, window, clock

    @classmethod
    def from_config(cls, config) -> "DatabaseSignInGuard":
        item = limits.parse(config["LOGIN_LOCKOUT"])  # "5 per 15 minutes"
        return cls(item.amount, timedelta(seconds=item.get_expiry()), utcnow)

    def _table(self):
        from .accounts.models import SignInFailure

        return SignInFailure.__table__

    def attempt(self, email: str) -> bool:
        """Count one attempt; False when it is over the limit (the caller answers 429)."""
        t, now = self._table(), self.clock()
        fresh = t.c.first_at > now - self.window  # the stored window still runs
        insert = _upsert_for(db.engine.dialect.name)(t).values(
            email=email, failures=1, first_at=now, last_at=now
        )
        statement = insert.on_conflict_do_update(
            index_elements=[t.c.email],
            set_={
                "failures": sa.case((fresh, t.c.failures + 1), else_=1),
                "first_at": sa.case((fresh, t.c.first_at), else_=insert.excluded.first_at),
                "last_at": insert.excluded.last_at,
            },
        ).returning(t.c.failures)
        with serialized_writes():
            failures = db.session.execute(statement).scalar_one()
            db.session.commit()
        return failures <= self.max_failures

    def locked(self, email: str) -> bool:
        t = self._table()
        row = db.session.execute(
            sa.select(t.c.failures, t.c.first_at).where(t.c.email == email)
        ).first()
        return bool(
            row and row.failures >= self.max_failures and row.first_at > self.clock() - self.window
        )

    def succeeded(self, email: str) -> None:
        t = self._table()
        with serialized_writes():
            db.session.execute(sa.delete(t).where(t.c.email == email))
            db.session.commit()

    def count(self, email: str) -> int:
        t = self._table()
        return db.session.scalar(sa.select(t.c.failures).where(t.c.email == email)) or 0


def _upsert_for(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite spell it alike)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def sign_in_guard(config):
    """Redis when the rate-limit storage is Redis, else the database."""
    if config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+")):
        return RedisSignInGuard(config)
    return DatabaseSignInGuard.from_config(config)


# --- next= ---------------------------------------------------------------------------------

MAX_NEXT = 2000
UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")  # controls, blanks, backslashes


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None. Browsers drop tabs and line
    breaks, read ``\\`` as ``/`` and some decode percent-escapes, so every one of those
    readings must still be a local path: a single leading ``/``, no scheme, no host."""
    if not target or len(target) > MAX_NEXT:
        return None
    readings, value = [target], target
    for _ in range(3):  # %2525... decodes layer by layer
        value = unquote(value)
        readings.append(value)
    for reading in readings:
        if UNSAFE_IN_PATH.search(reading):
            return None
        parts = urlsplit(reading)
        if parts.scheme or parts.netloc or not reading.startswith("/") or reading[1:2] == "/":
            return None
    return target


def init_security(app: Flask) -> None:
    app.extensions["sign_in_guard"] = sign_in_guard(app.config)
    app.extensions["embed_csp"] = embed_csp(embed_origins(app.config.get("EMBED_ORIGINS", "")))

    @app.after_request
    def security_headers(response):
        # X-Frame-Options cannot name origins: a page that may be framed goes without it.
        framable = EMBED_ANCESTORS in response.headers.get("Content-Security-Policy", "")
        for name, value in HEADERS.items():
            if not (framable and name == "X-Frame-Options"):
                response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
