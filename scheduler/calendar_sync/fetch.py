"""Fetching a calendar URL safely, with the standard library's http.client.

Each hop resolves the host, refuses it if any of its addresses is not public
(addresses.py), and connects to the checked address itself while TLS still checks the
certificate against the host name. Redirects are followed a few times, each one checked
again. Connecting, each read and the whole download have time limits, and the body stops
one byte past the size limit. A conditional request (ETag, Last-Modified) may answer 304.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flask_babel import gettext as _

from ..feeds.reader import Limits, too_large
from .addresses import SCHEMES, Address, _literal, address_refusal, default_port

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
USER_AGENT = "science-events-scheduler calendar sync"


class FetchFailed(Exception):
    """The calendar could not be fetched; the message (translated) says why."""


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_redirects: int = 3
    allow_private: bool | frozenset[str] = False


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304: not modified since the validators sent
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    url: str = ""  # where the calendar was found, after redirects


def fetch(url: str, policy: FetchPolicy, etag: str = "", last_modified: str = "") -> Fetched:
    """GET the calendar at ``url``; raises FetchFailed with the reason."""
    deadline = time.monotonic() + policy.total_timeout
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.1",
               "Accept-Encoding": "identity"}  # fmt: skip
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(policy.max_redirects + 1):
        response, connection = _request(url, headers, policy)
        try:
            if response.status in REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location").strip())
                continue
            if response.status == 304:
                return Fetched(304, etag=etag, last_modified=last_modified, url=url)
            if response.status != 200:
                raise FetchFailed(
                    _("The server answered HTTP %(status)s %(reason)s.",
                      status=response.status, reason=response.reason[:80])
                )  # fmt: skip
            body = _read(response, policy, deadline)
            return Fetched(
                200,
                body,
                (response.getheader("ETag") or "")[:500],
                (response.getheader("Last-Modified") or "")[:100],
                url,
            )
        finally:
            connection.close()
    raise FetchFailed(_("Too many redirects (more than %(n)s).", n=policy.max_redirects))


def _request(url: str, headers: dict, policy: FetchPolicy):
    """Send the GET to a checked address of the URL's host; the response and connection."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise FetchFailed(_("A redirect led to %(url)s, which is not an http(s) address.",
                            url=url[:200]))  # fmt: skip
    try:
        port = parts.port or default_port(scheme)
    except ValueError:
        raise FetchFailed(_("A redirect led to an invalid address.")) from None
    address = _vetted_address(parts.hostname, port, policy)
    connection_class = _Https if scheme == "https" else _Http
    connection = connection_class(parts.hostname, port, address, policy)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse(), connection
    except BaseException as exc:
        connection.close()
        raise _failure(exc, parts.hostname, policy) from None


def _vetted_address(host: str, port: int, policy: FetchPolicy) -> Address:
    """The address to connect to; every address of the host must be public."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise FetchFailed(_("The host name %(host)s could not be resolved.",
                                host=host[:200])) from None  # fmt: skip
        addresses = [_literal(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        refusal = address_refusal(address, port, policy.allow_private)
        if refusal:
            raise FetchFailed(refusal)
    return addresses[0]


class _Pinned:
    """Connects to the vetted address instead of resolving the host name again."""

    def __init__(self, host: str, port: int, address: Address, policy: FetchPolicy, **kw):
        super().__init__(host, port, timeout=policy.connect_timeout, **kw)
        self._address, self._read_timeout = str(address), policy.read_timeout
        self._create_connection = self._connect_to_address

    def _connect_to_address(self, _where, timeout, source_address=None):
        sock = socket.create_connection((self._address, self.port), timeout, source_address)
        sock.settimeout(self._read_timeout)
        return sock


class _Http(_Pinned, http.client.HTTPConnection):
    pass


class _Https(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host, port, address, policy):
        super().__init__(host, port, address, policy, context=ssl.create_default_context())


def _read(response, policy: FetchPolicy, deadline: float) -> bytes:
    length = response.getheader("Content-Length") or ""
    if length.isdigit() and int(length) > policy.max_bytes:
        raise FetchFailed(_too_large(policy))
    chunks, size = [], 0
    try:
        while size <= policy.max_bytes:
            chunk = response.read(min(CHUNK, policy.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise FetchFailed(
                    _("The download took longer than %(n)s seconds.", n=policy.total_timeout)
                )
    except (OSError, http.client.HTTPException) as exc:
        raise _failure(exc, "", policy) from None
    if size > policy.max_bytes:
        raise FetchFailed(_too_large(policy))
    return b"".join(chunks)


def _too_large(policy: FetchPolicy) -> str:
    return too_large(Limits(max_bytes=policy.max_bytes), _)


def _failure(exc: BaseException, host: str, policy: FetchPolicy) -> BaseException:
    """A FetchFailed in the user's words for a network error (other errors pass through)."""
    if isinstance(exc, FetchFailed):
        return exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return FetchFailed(_("The server did not answer in time (%(n)s seconds).",
                             n=max(policy.connect_timeout, policy.read_timeout)))  # fmt: skip
    if isinstance(exc, ConnectionRefusedError):
        return FetchFailed(_("The server refused the connection."))
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return FetchFailed(_("The secure connection failed: %(error)s", error=str(exc)[:200]))
    if isinstance(exc, http.client.HTTPException):
        return FetchFailed(_("The server's answer is not valid HTTP."))
    if isinstance(exc, OSError):
        return FetchFailed(_("The server could not be reached: %(error)s",
                             error=(exc.strerror or str(exc))[:200]))  # fmt: skip
    return exc
