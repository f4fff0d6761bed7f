"""Sharing pages: QR codes of events and feeds, an event's share card, the embeddable list.

Public and the same for every visitor, so the page cache keeps them (scheduler/pagecache).
"""

import hashlib
from html import escape

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from ..enums import PUBLIC_STATUSES, EventKind
from ..errors import BadInput, NotFound
from ..events.models import Event
from ..events.queries import get_public_event, list_occurrences, parse_filters
from ..extensions import db
from ..feeds.links import FILTER_ARGS
from ..hosts import absolute_url
from ..timeutil import local_day_range, local_today, local_zone
from .card import render_card
from .content import card_content, card_fonts
from .links import build_site_url, embed_args, parse_site_url
from .qr import qr_svg

bp = Blueprint("share", __name__)

QR_MAX_AGE = 24 * 3600  # an address's code never changes
CARD_MAX_AGE = 600  # a card follows its event's edits within minutes
EMBED_LIMIT, EMBED_MAX_LIMIT = 20, 50
EMBED_HEIGHT = 600  # px, the snippet's frame


@bp.get("/events/<int:event_id>/qr.svg")
def event_qr(event_id: int):
    published = sa.select(Event.id).where(Event.id == event_id, Event.status.in_(PUBLIC_STATUSES))
    if db.session.scalar(published) is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    return _svg(absolute_url("public.event_page", event_id=event_id))


@bp.get("/qr.svg")
def qr():
    """The QR code of a public page or feed of this site: ``?url=<its address>``; without
    one, of the public calendar itself."""
    if "url" not in request.args:
        return _svg(absolute_url("public.calendar"))
    return _svg(build_site_url(parse_site_url(request.args["url"])))


def _svg(url: str) -> Response:
    response = Response(qr_svg(url), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = QR_MAX_AGE
    return response


@bp.get("/events/<int:event_id>/card.png")
def event_card(event_id: int):
    found = get_public_event(event_id)
    if found is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    png = render_card(card_content(*found), card_fonts())
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="event-{event_id}.png"'
    response.cache_control.public = True
    response.cache_control.max_age = CARD_MAX_AGE
    response.set_etag(hashlib.sha256(png).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/embed")
def embed():
    """Upcoming events for a frame on another site (EMBED_ORIGINS); links open a new tab."""
    filters = parse_filters(request.args)
    if filters.start is None:
        filters.start = local_day_range(local_today(), local_today())[0]
    limit = _limit(request.args.get("limit"))
    rows = list_occurrences(filters, limit=limit)
    args = {key: request.args.getlist(key) for key in FILTER_ARGS if key in request.args}
    response = Response(
        render_template(
            "public/embed.html",
            rows=rows,
            zone=local_zone(),
            kind_labels={kind: str(kind.label) for kind in EventKind},
            event_url=absolute_url("public.event_page", event_id=0).removesuffix("0"),
            calendar_url=absolute_url("public.calendar", **args),
            more=len(rows) >= limit,
        )
    )
    response.headers["Content-Security-Policy"] = current_app.extensions["embed_csp"]
    return response


def _limit(value: str | None) -> int:
    if not value:
        return EMBED_LIMIT
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= EMBED_MAX_LIMIT):
        raise BadInput(
            _("limit must be a whole number from 1 to %(max)s.", max=EMBED_MAX_LIMIT),
            field="limit",
        )
    return int(value)


@bp.app_template_global()
def share_panel(subscribe: dict) -> dict:
    """For the subscribe panel: the QR code of its feed and the snippet that embeds it."""
    try:  # the page built the feed's address from arguments it already checked
        address = parse_site_url(subscribe["https"], check_filters=False)
    except BadInput:
        return {"qr": None, "embed": None}
    args = embed_args(address)
    snippet = None
    if args is not None:
        src, title = escape(absolute_url("share.embed", **args)), escape(_("Science events"))
        snippet = (
            f'<iframe src="{src}" title="{title}" width="100%" height="{EMBED_HEIGHT}" '
            'style="border:0" loading="lazy"></iframe>'
        )
    return {"qr": url_for("share.qr", url=subscribe["https"]), "embed": snippet}
