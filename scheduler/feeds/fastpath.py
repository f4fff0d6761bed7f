"""Serving unchanged feeds before Flask runs.

Calendar apps poll the same URLs all day. Once the feed view has built a feed, its bytes,
ETag and the feed version they belong to are kept here; a later request for the same URL
and encoding is answered (200, or 304 when the client has it) straight from the WSGI layer
as long as the version stamp is unchanged. Any change touches the stamp (feeds.version), so
the next request misses and goes to the view, which rebuilds. Both paths count against the
same rate limit (the `limits` library, as in scheduler/security.py, same storage setting).
"""

import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_date
from werkzeug.wsgi import get_host

FEED_PREFIXES = ("/calendar.ics", "/feeds/", "/events/")


@dataclass(frozen=True)
class Entry:
    token: str  # the feed version the body belongs to
    day: str  # feeds show "one year back": a new day needs a rebuild
    etag: str  # quoted
    last_modified: datetime
    headers: tuple  # (name, value) pairs for a 200, without Content-Length
    body: bytes


class FeedRateLimit:
    """One moving-window limit per client address for every feed request."""

    def __init__(self, config):
        self.enabled = config.get("RATELIMIT_ENABLED", True)
        self.item = limits.parse(config["FEED_RATE_LIMIT"])
        self.limiter = MovingWindowRateLimiter(storage_from_string(config["RATELIMIT_STORAGE_URI"]))

    def allow(self, address: str) -> bool:
        return not self.enabled or self.limiter.hit(self.item, "feeds", address or "-")

    def retry_after(self, address: str) -> int:
        """Whole seconds until the oldest request in the window leaves it (at least 1)."""
        reset, _remaining = self.limiter.get_window_stats(self.item, "feeds", address or "-")
        return max(1, math.ceil(reset - time.time()))


class FeedFastPath:
    """WSGI middleware in front of the Flask app (see the module doc)."""

    def __init__(self, wsgi_app, stamp_path, rate: FeedRateLimit, trusted_hosts=None):
        self.wsgi_app = wsgi_app
        self.stamp_path = stamp_path
        self.rate = rate
        self.trusted_hosts = trusted_hosts
        self.entries: dict = {}
        self.lock = threading.Lock()

    def remember(self, key: tuple, entry: Entry) -> None:
        with self.lock:
            if len(self.entries) > 2048:
                self.entries.clear()
            self.entries[key] = entry

    @staticmethod
    def key(environ) -> tuple | None:
        accept = environ.get("HTTP_ACCEPT_ENCODING", "")
        if "q=" in accept:  # weighted preferences: let the full parser decide
            return None
        encoding = "gzip" if "gzip" in accept else "identity"
        return environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), encoding

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not (
            path.endswith(".ics") and path.startswith(FEED_PREFIXES)
        ):
            return self.wsgi_app(environ, start_response)
        key = self.key(environ) if self._trusted(environ) else None  # else Flask says 400
        entry = self.entries.get(key) if key else None
        if entry is None or not self._current(entry):
            return self.wsgi_app(environ, start_response)
        if not self.rate.allow(environ.get("REMOTE_ADDR", "")):
            return self.wsgi_app(environ, start_response)  # the view answers 429
        common = [("ETag", entry.etag), ("Last-Modified", _http_date(entry.last_modified))]
        if self._not_modified(environ, entry):
            start_response("304 NOT MODIFIED", common + [h for h in entry.headers if h[0] in (
                "Cache-Control", "Vary", "Content-Disposition")])  # fmt: skip
            return [b""]
        headers = list(entry.headers) + common + [("Content-Length", str(len(entry.body)))]
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _trusted(self, environ) -> bool:
        try:
            get_host(environ, self.trusted_hosts)
        except SecurityError:
            return False
        return True

    def _current(self, entry: Entry) -> bool:
        try:
            token = str(os.stat(self.stamp_path).st_mtime_ns)
        except FileNotFoundError:
            return False
        return token == entry.token and entry.day == datetime.now(UTC).date().isoformat()

    @staticmethod
    def _not_modified(environ, entry: Entry) -> bool:
        match = environ.get("HTTP_IF_NONE_MATCH")
        if match:
            tags = {t.strip().removeprefix("W/") for t in match.split(",")}
            return entry.etag in tags or "*" in tags
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        return since is not None and entry.last_modified <= since


def _http_date(value: datetime) -> str:
    from werkzeug.http import http_date

    return http_date(value)
