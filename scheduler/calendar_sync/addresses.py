"""Which calendar URLs may be fetched: http(s) only, and only from public addresses.

A society types the URL, and the server fetches it: without these checks the form would let
anyone make the server read its own admin ports, the cloud's metadata service
(169.254.169.254) or the intranet. Every address a host name resolves to is checked, and
the fetch then connects to the checked address itself (fetch.py), so a second DNS answer
cannot swap in another one.
"""

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from flask_babel import gettext as _

from ..errors import BadInput
from .models import MAX_URL

SCHEMES = ("http", "https")
# Calendar apps hand out webcal:// links for the same https:// address.
ALIASES = {"webcal": "https", "webcals": "https"}
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses behind a NAT64 gateway
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_url(raw, allow_private=False) -> str:
    """The URL to store, or BadInput saying what is wrong with it. Host names are not
    resolved here (that happens at every fetch); a literal address is checked at once."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadInput(_("Give the address (URL) of the calendar."), field="url")
    url = raw.strip()
    if len(url) > MAX_URL:
        raise BadInput(_("The address is longer than %(n)s characters.", n=MAX_URL), "url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise BadInput(_("The address contains spaces or control characters."), "url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadInput(_("This is not a valid address."), field="url") from None
    scheme = ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in SCHEMES:
        raise BadInput(
            _("Only http:// and https:// addresses can be synced, not %(scheme)s.",
              scheme=(parts.scheme or "?") + "://"),
            field="url",
        )  # fmt: skip
    if not parts.hostname:
        raise BadInput(_("The address has no host name."), field="url")
    if parts.username is not None or parts.password is not None:
        raise BadInput(_("Put no user name or password in the address."), field="url")
    if port == 0:
        raise BadInput(_("This is not a valid address."), field="url")
    literal = _literal(parts.hostname)
    if literal is not None:
        refusal = address_refusal(literal, port or default_port(scheme), allow_private)
        if refusal:
            raise BadInput(refusal, field="url")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: Address) -> str:
    """What kind of non-public address this is, or "" for a public one."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return _kind(inner)
    kinds = (
        (address.is_unspecified, _("unspecified")),
        (address.is_loopback, _("loopback")),
        (address.is_link_local, _("link-local")),
        (address.is_multicast, _("multicast")),
        (address.is_reserved, _("reserved")),
        (address.is_private, _("private")),
        (not address.is_global, _("not public")),
    )
    return next((label for hit, label in kinds if hit), "")


def address_refusal(address: Address, port: int, allow_private=False) -> str:
    """Why the calendar may not be fetched from this address, or "" when it may.
    ``allow_private`` is the CALENDAR_SYNC_ALLOW_PRIVATE setting: True lets every address
    through; a collection of "address:port" lets just those through (the tests' server)."""
    if allow_private is True or _endpoint(address, port) in (allow_private or ()):
        return ""
    kind = _kind(address)
    if not kind:
        return ""
    return _(
        "The address %(address)s is %(kind)s: calendars are only fetched from public addresses.",
        address=str(address),
        kind=kind,
    )


def _endpoint(address: Address, port: int) -> str:
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def parse_allow_private(value) -> bool | frozenset[str]:
    """CALENDAR_SYNC_ALLOW_PRIVATE from the environment: "true"/"1", "false"/"0"/"" or a
    comma-separated list of address:port endpoints."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v) for v in value)
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    return frozenset(part.strip() for part in text.split(",") if part.strip())
