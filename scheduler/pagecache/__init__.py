"""Anonymous reads answered before the view runs: public pages and the public API reads.

A response built for a visitor who is not signed in is kept under the public data version
(the feed stamp, scheduler/feeds/version.py) and the normalized request: path, query
arguments sorted by name, the negotiated language and the local day. While the version
stands, the same request is answered from memory or from the instance folder (store.py),
with an ETag and 304 for revalidations; any committed change moves the version, and the
next request rebuilds. Never for a signed-in session, a remember cookie or a bearer token,
never for a response that sets a cookie of its own, and only for 200s.

The one per-visitor value in a page is the CSRF token of base.html's meta tag: it is kept
as a marker and each response gets the visitor's own token. Pages carry no CSP nonce; a
response whose policy has one is never kept (a replayed nonce would be no nonce).
"""

import hashlib
import json
import time
from pathlib import Path
from typing import NamedTuple

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from ..feeds import version as feed_version
from ..timeutil import local_today
from .store import Entry, PageStore

# JSON reads of the API whose data the version covers (series plans and venue closures
# are not in it, so /series and closures are always built).
API_READS = frozenset({
    "api.events.list_events", "api.events.show_event", "api.openapi_document",
    "api.directory.list_societies", "api.directory.list_venues", "api.directory.list_people",
    "api.directory.show_person", "api.directory.list_campaigns",
})  # fmt: skip
UNCACHED = frozenset({"public.healthz"})
# An anonymous session holds at most these (Flask-Login marks any session without a user
# "_fresh": False): anything else (a flash message, a signed-in user, a pending sign-out)
# means the page is not the same for everyone.
ANONYMOUS_SESSION_KEYS = frozenset({"lang", "csrf_token", "_fresh"})
CSRF_MARKER = b"\x00csrf-token\x00"  # no page holds a NUL (scheduler/guards.py)
STATE = "scheduler.page_cache"  # request.environ: the pending key of a miss


class Pending(NamedTuple):
    version: str
    key: str


def cacheable_endpoint(endpoint: str | None) -> bool:
    """Every page of the public and share blueprints but /healthz, and the API reads above."""
    if endpoint is None or endpoint in UNCACHED:
        return False
    return endpoint.startswith(("public.", "share.")) or endpoint in API_READS


def anonymous() -> bool:
    """No bearer token, no remember cookie, a session without a user: decided without a
    query. ``?lang=`` stores the choice in the session, so it is always built."""
    if "Authorization" in request.headers or "lang" in request.args:
        return False
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    return set(session.keys()) <= ANONYMOUS_SESSION_KEYS


def request_key() -> str:
    """The normalized request. Arguments sort by name only: the values of one name keep
    their order, since the first one counts (request.args.get)."""
    args = sorted(request.args.items(multi=True), key=lambda item: item[0])
    parts = [request.script_root, request.path, args, str(get_locale()), local_today().isoformat()]
    return json.dumps(parts, ensure_ascii=False)


class PageCache:
    def __init__(self, app: Flask):
        # Beside the feed stamp: the instance folder, or a test's own folder.
        default = feed_version.stamp_path(app).parent / "page-cache"
        root = app.config.get("PAGE_CACHE_DIR") or default
        self.store = PageStore(
            Path(root), app.config["PAGE_CACHE_MEMORY_BYTES"], app.config["PAGE_CACHE_DISK_BYTES"]
        )
        self.max_entry = app.config["PAGE_CACHE_MAX_ENTRY_BYTES"]
        self.wait_seconds = app.config["PAGE_CACHE_WAIT_SECONDS"]
        # Two databases may share an instance folder (benchmarks): the version names both.
        self.database = hashlib.sha256(
            str(app.config["SQLALCHEMY_DATABASE_URI"]).encode()
        ).hexdigest()[:16]

    def serve(self):
        """before_request: the kept response, or None to let the view build it."""
        if request.method not in ("GET", "HEAD") or not cacheable_endpoint(request.endpoint):
            return None
        if not anonymous():
            return None
        # The version is read before the view reads any data: what it builds is then at
        # least as new as the version it is kept under.
        version = f"{self.database}|{feed_version.current_version().token}"
        pending = Pending(version, request_key())
        entry = self.store.get(pending.version, pending.key)
        if entry is None and not self.store.disk.claim(*pending, self.wait_seconds * 2):
            entry = self._wait(pending)  # another worker builds it
        if entry is None:
            request.environ[STATE] = pending
            return None
        return self._respond(entry)

    def _wait(self, pending: Pending) -> Entry | None:
        """Right after a change every worker misses at once: one builds each page while the
        others wait for its file, at most PAGE_CACHE_WAIT_SECONDS, then build it too."""
        deadline = time.monotonic() + self.wait_seconds
        while time.monotonic() < deadline:
            time.sleep(0.01)
            entry = self.store.get(*pending)
            if entry is not None:
                return entry
        return None

    @staticmethod
    def _respond(entry: Entry) -> Response:
        body = entry.body
        if CSRF_MARKER in body:
            body = body.replace(CSRF_MARKER, generate_csrf().encode())
        response = Response(body, status=200, headers=list(entry.headers))
        return response.make_conditional(request)

    def release(self, _error=None) -> None:
        """teardown_request: give up the claim to build, whatever came of it."""
        pending = request.environ.pop(STATE, None)
        if pending is not None:
            self.store.disk.release(*pending)

    def keep(self, response: Response) -> Response:
        """after_request, run last: keep a fresh 200 built for an anonymous visitor."""
        pending = request.environ.get(STATE)
        if pending is None or response.status_code != 200:
            return response
        if response.is_streamed or response.direct_passthrough:
            return response
        if "Set-Cookie" in response.headers or not anonymous():
            return response  # e.g. a flash message stored, or a remember cookie set
        if "nonce-" in response.headers.get("Content-Security-Policy", ""):
            return response
        body = response.get_data()
        if len(body) > self.max_entry:
            return response
        token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if token:
            body = body.replace(token.encode(), CSRF_MARKER)
        if response.get_etag()[0] is None:
            response.set_etag("p-" + hashlib.sha256(body).hexdigest()[:32])
        response.vary.add("Cookie")
        if request.path.startswith("/api/"):
            response.vary.add("Accept-Language")
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name not in ("Content-Length", "Set-Cookie")
        )
        self.store.put(pending.version, pending.key, Entry(response.get_etag()[0], headers, body))
        return response.make_conditional(request)


def install(app: Flask) -> None:
    """Register the cache when PAGE_CACHE is on: its lookup after the other app-wide
    before_request checks (input guards), its keeping after every after_request hook
    (security headers included), so a kept response is the one that was sent."""
    if not app.config.get("PAGE_CACHE"):
        return
    cache = PageCache(app)
    app.extensions["page_cache"] = cache
    app.before_request(cache.serve)
    app.teardown_request(cache.release)
    app.after_request_funcs.setdefault(None, []).insert(0, cache.keep)
