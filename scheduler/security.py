"""Security headers on every response, and the sign-in guard against password guessing."""

import limits
from flask import Flask
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

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


class SignInGuard:
    """After LOGIN_MAX_FAILURES failed sign-ins for one address within LOGIN_LOCKOUT, the
    address is locked until the window has passed (per process unless the storage is shared,
    see RATELIMIT_STORAGE_URI)."""

    def __init__(self, config):
        self.item = limits.parse(config["LOGIN_LOCKOUT"])
        self.limiter = MovingWindowRateLimiter(storage_from_string(config["RATELIMIT_STORAGE_URI"]))

    def locked(self, email: str) -> bool:
        return not self.limiter.test(self.item, "login", email)

    def failed(self, email: str) -> None:
        self.limiter.hit(self.item, "login", email)

    def succeeded(self, email: str) -> None:
        self.limiter.clear(self.item, "login", email)


def init_security(app: Flask) -> None:
    app.extensions["sign_in_guard"] = SignInGuard(app.config)

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
