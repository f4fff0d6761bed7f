"""A local HTTP server in a thread that serves calendars the test changes as it goes."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    etag: str = ""  # answered 304 to a matching If-None-Match
    # When set, the answer waits for it (at most 10 s); ``arrived`` says a request is waiting.
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)


class CalendarServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []  # (path, headers) of every request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path, Route(404, b"not here"))
                if route.hold is not None:
                    route.arrived.set()
                    route.hold.wait(10)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                headers = {"Content-Type": "text/calendar; charset=utf-8", **route.headers}
                if route.etag:
                    headers["ETag"] = route.etag
                headers.setdefault("Content-Length", str(len(route.body)))
                for name, value in headers.items():
                    if value is not None:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.endpoint = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.endpoint}{path}"

    def serve(self, path: str, body: bytes | str, **kw) -> None:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **kw)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status, b"", {"Location": location})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ics(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Harbin Physics//Calendar//ZH\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


def vevent(uid: str, title: str, day: str, hour: int = 6) -> str:
    """A two-hour event on ``day`` (YYYYMMDD) from ``hour`` UTC."""
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART:{day}T{hour:02d}0000Z\r\nDTEND:{day}T{hour + 2:02d}0000Z\r\n"
        f"SUMMARY:{title}\r\nEND:VEVENT\r\n"
    )
