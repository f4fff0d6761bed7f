"""Fetching a calendar URL: only http(s), only public addresses (every hop), timeouts, size,
conditional requests. Against a local server; no database."""

import ipaddress
import socket

import pytest
from flask_babel import force_locale

from scheduler import create_app
from scheduler.calendar_sync.addresses import address_refusal, check_url, parse_allow_private
from scheduler.calendar_sync.fetch import FetchFailed, FetchPolicy, fetch
from scheduler.errors import BadInput
from tests.calendar_sync.server import CalendarServer, ics, vevent

CALENDAR = ics(vevent("ice-lecture@hrb.example", "冰雪物理讲座", "20310310"))


@pytest.fixture(scope="module", autouse=True)
def english():
    """Messages are translated; read them in English (no database needed)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture(scope="module")
def server():
    server = CalendarServer()
    yield server
    server.stop()


def policy(server, **kw) -> FetchPolicy:
    values = {"max_bytes": 100_000, "connect_timeout": 1, "read_timeout": 1,
              "allow_private": frozenset({server.endpoint})}  # fmt: skip
    return FetchPolicy(**{**values, **kw})


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.20.30.40", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.10", "private"),
        ("::ffff:192.168.1.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud's metadata service
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not public"),  # carrier-grade NAT
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("8.8.8.8", ""),
        ("2001:4860:4860::8888", ""),
    ],
)
def test_only_public_addresses_are_fetched(address, kind):
    ip = ipaddress.ip_address(address)
    refusal = address_refusal(ip, 443)
    assert (kind in refusal and str(ip) in refusal) if kind else refusal == ""


def test_allowing_private_addresses_is_a_setting_by_endpoint():
    loopback = ipaddress.ip_address("127.0.0.1")
    assert address_refusal(loopback, 8080, True) == ""
    assert address_refusal(loopback, 8080, parse_allow_private("127.0.0.1:8080")) == ""
    assert address_refusal(loopback, 8081, parse_allow_private("127.0.0.1:8080"))
    assert parse_allow_private("false") is False and parse_allow_private("") is False


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "file://"),
        ("ftp://calendar.example.org/a.ics", "ftp://"),
        ("gopher://calendar.example.org/", "gopher://"),
        ("javascript:alert(1)", "javascript://"),
        ("https://", "no host name"),
        ("https://user:secret@calendar.example.org/a.ics", "user name"),
        ("http://127.0.0.1:8080/a.ics", "loopback"),
        ("http://[::ffff:127.0.0.1]/a.ics", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/cal.ics", "private"),
        ("https://calendar.example.org:99999/a.ics", "not a valid address"),
        ("https://calendar.example.org/a b.ics", "spaces"),
        ("https://calendar.example.org/" + "a" * 2000, "longer than"),
        ("", "Give the address"),
    ],
)
def test_registration_refuses_what_cannot_be_fetched(url, problem):
    with pytest.raises(BadInput) as refused:
        check_url(url)
    assert problem in refused.value.message and refused.value.field == "url"


def test_registration_keeps_good_addresses_and_reads_webcal_as_https():
    assert check_url(" webcal://p.example.cn/hrb.ics ") == "https://p.example.cn/hrb.ics"
    assert check_url("HTTP://Cal.Example.org") == "http://Cal.Example.org/"
    kept = "https://[2001:4860:4860::8888]/a.ics?key=1"
    assert check_url(kept + "#x") == kept


def test_a_calendar_is_fetched_and_a_conditional_request_answers_304(server):
    server.serve("/hrb.ics", CALENDAR, etag='"v1"', headers={"Last-Modified": "Sun, 06 Dec 2026"})
    fetched = fetch(server.url("/hrb.ics"), policy(server))
    assert (fetched.status, fetched.body, fetched.etag) == (200, CALENDAR.encode(), '"v1"')
    assert fetched.last_modified == "Sun, 06 Dec 2026"
    again = fetch(server.url("/hrb.ics"), policy(server), etag='"v1"')
    assert again.status == 304 and again.body == b""
    assert server.requests[-1][1]["If-None-Match"] == '"v1"'


def test_loopback_is_refused_unless_allowed(server):
    server.requests.clear()
    for url in (server.url("/hrb.ics"), f"http://localhost:{server.port}/hrb.ics"):
        with pytest.raises(FetchFailed, match="loopback"):
            fetch(url, policy(server, allow_private=False))
    assert server.requests == []  # never connected


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("http://127.0.0.1:1/admin", "loopback"),  # the same host, another port
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/cal.ics", "private"),
        ("http://[::ffff:10.0.0.7]/cal.ics", "private"),
        ("file:///etc/passwd", "not an http(s) address"),
        ("ftp://files.example.org/cal.ics", "not an http(s) address"),
    ],
)
def test_redirects_are_checked_again(server, location, problem):
    server.redirect("/moved.ics", location)
    with pytest.raises(FetchFailed, match=problem.replace("(", r"\(").replace(")", r"\)")):
        fetch(server.url("/moved.ics"), policy(server))


def test_redirects_are_followed_a_few_times(server):
    server.serve("/final.ics", CALENDAR)
    server.redirect("/one.ics", "/final.ics", 301)
    server.redirect("/two.ics", server.url("/one.ics"), 307)
    fetched = fetch(server.url("/two.ics"), policy(server))
    assert fetched.body == CALENDAR.encode() and fetched.url.endswith("/final.ics")
    server.redirect("/loop.ics", "/loop.ics")
    with pytest.raises(FetchFailed, match="Too many redirects"):
        fetch(server.url("/loop.ics"), policy(server))


def test_too_large_stops_at_the_limit(server):
    server.serve("/big.ics", "X" * 5000)
    with pytest.raises(FetchFailed, match="larger than"):
        fetch(server.url("/big.ics"), policy(server, max_bytes=1000))
    server.serve("/big-unannounced.ics", "X" * 5000, headers={"Content-Length": None})
    with pytest.raises(FetchFailed, match="larger than"):
        fetch(server.url("/big-unannounced.ics"), policy(server, max_bytes=1000))


def test_http_errors_are_reported(server):
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch(server.url("/gone.ics"), policy(server))
    # https:// goes through TLS to the checked address: a plain HTTP server fails the handshake.
    with pytest.raises(FetchFailed, match="secure connection failed"):
        fetch(f"https://{server.endpoint}/hrb.ics", policy(server))


def test_unreachable_servers_fail_quickly():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    allowed = FetchPolicy(100, 0.5, 0.2, allow_private=frozenset({f"127.0.0.1:{port}"}))
    with pytest.raises(FetchFailed, match="refused the connection"):
        fetch(f"http://127.0.0.1:{port}/a.ics", allowed)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        allowed = FetchPolicy(100, 0.5, 0.2, allow_private=frozenset({f"127.0.0.1:{port}"}))
        with pytest.raises(FetchFailed, match="did not answer in time"):
            fetch(f"http://127.0.0.1:{port}/a.ics", allowed)
    with pytest.raises(FetchFailed, match="could not be resolved"):
        fetch("http://no-such-host.invalid/a.ics", allowed)
