"""Addresses of this site that may become a QR code or an embedded calendar: an address is
matched against the site's own routes and rebuilt on PUBLIC_BASE_URL, so a QR code never
carries a foreign host or arguments the page would not read."""

from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..errors import BadInput
from ..events.queries import parse_filters
from ..feeds.links import FILTER_ARGS
from ..hosts import absolute_url, public_base
from .qr import MAX_URL_LENGTH

# The query arguments a shared address keeps: the calendar's filters and its period.
KEPT_ARGS = (*FILTER_ARGS, "from", "to")
# A private feed's address is its secret: never drawn into an image that may be cached.
NOT_SHARED = frozenset({"public.healthz", "feeds.private"})
# A scoped feed (/feeds/<kind>/<slug>.ics) as the calendar's filter argument.
SCOPE_ARGS = {"series": "series", "societies": "society", "venues": "venue",
              "campaigns": "campaign", "speakers": "speaker"}  # fmt: skip


class SiteAddress(NamedTuple):
    endpoint: str
    view_args: dict
    args: MultiDict
    webcal: bool


def parse_site_url(raw: str, check_filters: bool = True) -> SiteAddress:
    """A public page or feed of this site, or BadInput."""
    refused = BadInput(_("Only addresses of this site's public pages and feeds have a QR code."),
                       field="url")  # fmt: skip
    if not raw or len(raw) > MAX_URL_LENGTH:
        raise refused
    scheme, netloc, prefix = public_base(current_app.config)
    try:
        parts = urlsplit(raw)
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 host)
        raise refused from None
    if parts.scheme not in (scheme, "webcal") or parts.netloc != netloc or parts.fragment:
        raise refused
    if not parts.path.startswith(prefix + "/"):
        raise refused
    adapter = current_app.url_map.bind(netloc, script_name=prefix or "/", url_scheme=scheme)
    try:
        endpoint, view_args = adapter.match(parts.path[len(prefix) :], method="GET")
    except HTTPException:
        raise refused from None
    if endpoint in NOT_SHARED or not endpoint.startswith(("public.", "feeds.")):
        raise refused
    args = MultiDict((k, v) for k, v in parse_qsl(parts.query) if k in KEPT_ARGS)
    if check_filters:
        parse_filters(args)  # unknown series, kinds, dates: a clear 400
    return SiteAddress(endpoint, view_args, args, parts.scheme == "webcal")


def build_site_url(address: SiteAddress) -> str:
    args = {key: address.args.getlist(key) for key in address.args}
    url = absolute_url(address.endpoint, **address.view_args, **args)
    return "webcal://" + url.split("://", 1)[1] if address.webcal else url


def embed_args(address: SiteAddress) -> dict | None:
    """The /embed arguments that show the events of a feed, or None (no such filter)."""
    if address.endpoint == "feeds.calendar":
        return {key: address.args.getlist(key) for key in address.args if key in FILTER_ARGS}
    if address.endpoint == "feeds.by_kind":
        return {"kind": address.view_args["kind"]}
    if address.endpoint == "feeds.scoped" and address.view_args["kind"] in SCOPE_ARGS:
        return {SCOPE_ARGS[address.view_args["kind"]]: address.view_args["slug"]}
    return None
