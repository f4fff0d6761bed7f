"""Feed URLs: the public calendar, scoped feeds, one event, private token feeds.

HTTP: text/calendar, a strong ETag per representation, Last-Modified, 304 on conditional
requests (decided from one query, before anything is built), gzip when accepted.
"""

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound as HTTPNotFound

from ..campaigns.models import Campaign
from ..enums import EventKind
from ..errors import RequestError
from ..events.models import Event
from ..events.queries import EventFilters, parse_filters, speaks_in_public
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..types import utcnow
from ..venues.models import Venue
from .fastpath import Entry
from .service import PUBLISHED, FeedScope, build_feed, etag_for
from .tokens import scope_for_token
from .version import current_version

bp = Blueprint("feeds", __name__)

SCOPES = {
    "series": (Series, "series_ids"),
    "societies": (Society, "society_ids"),
    "venues": (Venue, "venue_ids"),
    "campaigns": (Campaign, "campaign_ids"),
    "speakers": (Person, "speaker_ids"),
}


def plain_error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.before_request
def rate_limit():
    """The same per-address limit as the fast path (they share one counter)."""
    rate = current_app.extensions["feed_fastpath"].rate
    if not rate.allow(request.remote_addr or ""):
        response = plain_error(429, _("Too many requests; please slow down."))
        response.headers["Retry-After"] = str(rate.retry_after(request.remote_addr or ""))
        return response


@bp.errorhandler(RequestError)
def bad_input(exc: RequestError):
    return plain_error(exc.status, exc.message)


@bp.errorhandler(HTTPNotFound)
def not_found(exc):
    return plain_error(
        404, exc.description if getattr(exc, "_plain", False) else _("No such feed.")
    )


def _missing(message: str):
    exc = HTTPNotFound(description=message)
    exc._plain = True
    raise exc


def _locale() -> str:
    # Calendar apps send no cookies: a feed is Chinese unless its URL asks for ?lang=en.
    # (Also much cheaper than get_locale(), which loads the session and parses a Locale.)
    return "en" if request.args.get("lang") == "en" else "zh_CN"


def serve(scope: FeedScope, filename: str) -> Response:
    version = current_version()
    # Header parsing only when the header is there: most polls are cheap this way.
    accept = request.headers.get("Accept-Encoding", "")
    gz = "gzip" in accept and ("q=" not in accept or "gzip" in request.accept_encodings)
    etag = etag_for(scope, version, _locale(), "gzip" if gz else "identity")
    last_modified = version.last_change.replace(microsecond=0)
    headers = {
        "Cache-Control": "public, no-cache",
        "Vary": "Accept-Encoding",
        "Content-Disposition": f'inline; filename="{filename}"',
    }
    if "If-None-Match" in request.headers:
        not_modified = request.if_none_match.contains(etag)
    else:
        since = request.if_modified_since if "If-Modified-Since" in request.headers else None
        not_modified = since is not None and last_modified <= since
    if not_modified:
        response = Response(status=304, headers=headers)
    else:
        built = build_feed(scope, _locale(), version)
        body = built.gzipped if gz else built.body
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        if built.truncated:  # FEED_MAX_EVENTS cut it (the description says so too)
            headers["X-Feed-Truncated"] = str(current_app.config["FEED_MAX_EVENTS"])
        if gz:
            headers["Content-Encoding"] = "gzip"
        response = Response(body, headers=headers)
        _remember(body, headers, etag, last_modified, version)
    response.set_etag(etag)
    response.last_modified = last_modified
    return response


def _remember(body: bytes, headers: dict, etag: str, last_modified, version) -> None:
    """Let the fast path answer the next identical request without running Flask."""
    if current_app.config["FEED_VERSION_SOURCE"] != "stamp":
        return
    fastpath = current_app.extensions["feed_fastpath"]
    key = fastpath.key(request.environ)
    if key is not None:
        entry = Entry(
            token=version.token,
            day=utcnow().date().isoformat(),
            etag=f'"{etag}"',
            last_modified=last_modified,
            headers=tuple(headers.items()),
            body=body,
        )
        fastpath.remember(key, entry)


def _public_scope(key: str, name: str, description: str, **changes) -> FeedScope:
    filters = parse_filters(request.args) if request.args else EventFilters()
    color = changes.pop("color", None)
    for attribute, value in changes.items():
        setattr(filters, attribute, value)
    return FeedScope((key, filters.cache_key()), name, description, filters, color=color)


@bp.get("/calendar.ics")
def calendar():
    scope = _public_scope(
        "all", _l("Science events"), _l("Published science events of the associations.")
    )
    return serve(scope, "calendar.ics")


@bp.get("/feeds/<any(series, societies, venues, campaigns, speakers):kind>/<slug>.ics")
def scoped(kind: str, slug: str):
    model, attribute = SCOPES[kind]
    stmt = sa.select(model).where(model.slug == slug)
    if model is Person:  # a person is public only as the speaker of a public event
        stmt = stmt.where(speaks_in_public())
    row = db.session.scalar(stmt)
    if row is None:
        _missing(_("No such feed: %(slug)s.", slug=slug))
    color = getattr(row, "color", None)
    scope = _public_scope(
        f"{kind}/{slug}",
        row.name,
        _("Science events: %(name)s", name=row.name),
        color=color,
        **{attribute: [row.id]},
    )
    return serve(scope, f"{slug}.ics")


@bp.get("/feeds/kinds/<kind>.ics")
def by_kind(kind: str):
    try:
        member = EventKind(kind)
    except ValueError:
        _missing(_("No such feed: %(slug)s.", slug=kind))
    scope = _public_scope(
        f"kinds/{kind}",
        str(member.label),
        _("Science events: %(name)s", name=member.label),
        kinds=[member],
    )
    return serve(scope, f"{kind}.ics")


@bp.get("/events/<int:event_id>.ics")
def one_event(event_id: int):
    # Its title alone: the build loads the event itself (one query, not ten).
    title = db.session.scalar(
        sa.select(Event.title).where(Event.id == event_id, Event.status.in_(PUBLISHED))
    )
    if title is None:
        _missing(_("Event %(id)s does not exist.", id=event_id))
    filters = EventFilters(event_ids=[event_id])
    scope = FeedScope(("event", filters.cache_key()), title, title, filters)
    return serve(scope, f"event-{event_id}.ics")


@bp.get("/feeds/private/<token>.ics")
def private(token: str):
    scope = scope_for_token(token)
    if scope is None:
        _missing(_("This private feed does not exist or was revoked."))
    return serve(scope, "private.ics")
