"""An XSS corpus sent through every text field comes back escaped in HTML, exact in JSON and
.ics, as text (never a formula) in CSV and Excel, and on one line in mail headers.

Every payload goes in through the real input paths where there is one — the write API, the
portal's event form, decisions with a reason, the admin .ics import, host applications,
planner settings, private feed names — and through the factories for what only organizers seed
(societies, venues, people, series, campaigns, user names). Each value ends with ``#field`` so
a page that shows one field but not another cannot pass by accident. The world is built once
per test function; failures are collected and reported together.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import g
from icalendar import Calendar
from icalendar import Event as VEvent
from markupsafe import escape
from openpyxl import load_workbook
from werkzeug.security import generate_password_hash

from scheduler.accounts.models import Role, User
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.notifications.mailer import Claimed, MailSettings, build_mime
from scheduler.notifications.models import OutboxMessage
from tests.conftest import FreshGlobalsClient, bearer, sign_in
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_venue,
)

pytestmark = pytest.mark.slow  # left out by -m "not slow"
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>x</script>",
    "javascript:alert(1)",
    "{{7*7}} {% raw %}{{ config }}{% endraw %} ${7*7} <%= 7*7 %>",
    "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil",
    "y\nEND:VCALENDAR\nBEGIN:VEVENT\nUID:evil",
    "a;b,c\\d:e \"q\" \\n\\, 's'",
    "\u202eevil\u202c zero\u200bwidth\ufeff 🧪 科学讲座 line\u2028sep next\x85line",
    '=HYPERLINK("http://evil.example/?x","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "&lt;b&gt; &amp;amp; &#x3C;i&#x3E;",
)
N = len(PAYLOADS)
# Reflected and refused input: five payloads per request keeps the request count down.
GROUPS = [" | ".join(PAYLOADS[k : k + 5]) for k in range(0, N, 5)]
YEAR = 2027
# Payloads that also get a draft double-booking their speaker (2, 6 and 10: and their hall).
DRAFTS = (1, 2, 3, 6, 9, 10)
# A sample for the pages that repeat what other pages already show for every payload.
SAMPLE = (0, 1, 2, 3, 6, 9, 10)
FORMULA_START = ("=", "+", "-", "@")
# One cheap hash for every account: scrypt would cost half a second per user and sign-in.
PASSWORD_HASH = generate_password_hash("password-123", method="pbkdf2:sha256:1")


def value(i: int, name: str) -> str:
    """Payload ``i`` as the value of field ``name`` (the suffix names the field)."""
    return f"{PAYLOADS[i]} #{name}"


def ical_text(text: str) -> str:
    """iCalendar TEXT has no carriage return: a line break is \\n (RFC 5545 3.3.11)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unescape_text(raw: str) -> str:
    """RFC 5545 TEXT unescaped (icalendar reads NAME and X-WR-CALNAME as unknown, raw)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def param_text(text: str) -> str:
    """A parameter value as RFC 6868 writes it (^^, ^n, ^' for ^, line break, quote)."""
    return ical_text(text).replace("^", "^^").replace("\n", "^n").replace('"', "^'")


def spreadsheet_text(text: str) -> str:
    """What the CSV export must write: text a spreadsheet would run as a formula is quoted."""
    return "'" + text if text.startswith(FORMULA_START) else text


# --- checking ------------------------------------------------------------------------------


class Page(HTMLParser):
    """Elements, attributes, text nodes and inline scripts of a page, as a browser sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list]] = []
        self.texts: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: tuple[dict, list] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)
        else:
            self.texts.append(data)

    def attribute_values(self) -> list[str]:
        return [v for _tag, attrs in self.elements for _name, v in attrs if v]


# Elements the application never renders: any of them on a page was injected.
FOREIGN_ELEMENTS = {"img", "svg", "math", "iframe", "frame", "object", "embed", "base", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
SCRIPT_URL = re.compile(r"^(javascript|vbscript|data):")
# The only images the application renders: its own QR codes (scheduler/share/views.py).
OWN_IMAGE = re.compile(r"^/(qr\.svg\?url=[^\s\"<>]*|events/\d+/qr\.svg)$")


def own_image(tag: str, attrs) -> bool:
    values = dict(attrs)
    return tag == "img" and bool(OWN_IMAGE.match(values.get("src") or "")) and len(values) <= 5


# A content line of an unfolded .ics: a property name, parameters, a colon, the value.
ICS_LINE = re.compile(rb"^[A-Z][A-Z0-9-]*[;:]")

VEVENT_PROPERTIES = {
    "UID", "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND", "RRULE",
    "EXDATE", "RECURRENCE-ID", "SUMMARY", "DESCRIPTION", "LOCATION", "GEO", "URL", "CATEGORIES",
    "ORGANIZER", "STATUS", "COLOR",
}  # fmt: skip
VCALENDAR_PROPERTIES = {
    "PRODID", "VERSION", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME", "DESCRIPTION",
    "X-WR-CALDESC", "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "COLOR",
    "X-APPLE-CALENDAR-COLOR",
}  # fmt: skip


@dataclass
class Checks:
    """Collects failures instead of stopping at the first, and counts what was checked."""

    failures: list[str] = field(default_factory=list)
    pairs: set = field(default_factory=set)  # (field, representation)
    count: int = 0

    def fail(self, where: str, message: str) -> None:
        self.failures.append(f"{where}: {message}")

    def saw(self, representation: str, text: str) -> None:
        self.count += 1
        name = text.rsplit(" #", 1)[-1] if " #" in text else "?"
        self.pairs.add((name, representation))

    def html(self, response, where: str, kind: str, values=(), status: int = 200) -> Page | None:
        """The page is HTML, has no injected element, attribute, script or script URL, and
        shows every value as text (its escaped form is in the source)."""
        if response.status_code != status:
            self.fail(where, f"status {response.status_code}, wanted {status}")
            return None
        if not response.content_type.startswith("text/html"):
            self.fail(where, f"content type {response.content_type}")
        source = response.get_data(as_text=True)
        page = Page(source)
        for tag, attrs in page.elements:
            if tag in FOREIGN_ELEMENTS and not own_image(tag, attrs):
                self.fail(where, f"injected <{tag}> {attrs}")
            for name, attr in attrs:
                if name.startswith("on"):
                    self.fail(where, f"event handler attribute {name}={attr!r} on <{tag}>")
                plain = re.sub(r"[\x00-\x20]", "", attr or "").lower()
                if name in URL_ATTRIBUTES and SCRIPT_URL.match(plain):
                    self.fail(where, f"script URL in <{tag} {name}={attr!r}>")
                if name == "style" and ("javascript:" in plain or "expression(" in plain):
                    self.fail(where, f"script in a style attribute on <{tag}>")
        for attrs, content in page.scripts:
            if attrs.get("type") == "application/json":
                try:
                    json.loads(content)
                except ValueError:
                    self.fail(where, "an inline JSON script that does not parse")
            elif not (attrs.get("src") or "").startswith("/static/") or content.strip():
                self.fail(where, f"a script the application did not write: {attrs} {content!r}")
        values = list(values)
        texts = page.texts + page.attribute_values()
        for text in values:
            self.saw(f"html:{kind}", text)
            if not any(text in chunk for chunk in texts):
                self.fail(where, f"{text!r} is not shown as one text or attribute value")
            if str(escape(text)) not in source:
                self.fail(where, f"the escaped form of {text!r} is missing")
            if any(c in text for c in "<>\"'&") and text in source:
                self.fail(where, f"{text!r} appears unescaped")
        return page

    def ics(self, response, where: str, expected_events: int) -> Calendar | None:
        """A well-formed feed: only known components and properties, the expected number of
        VEVENTs, every line break a CRLF, nothing the parser had to skip."""
        if response.status_code != 200:
            self.fail(where, f"status {response.status_code}")
            return None
        if response.headers["Content-Type"] != "text/calendar; charset=utf-8":
            self.fail(where, f"content type {response.headers['Content-Type']}")
        body = response.get_data()
        if b"\r" in body.replace(b"\r\n", b"") or b"\n" in body.replace(b"\r\n", b""):
            self.fail(where, "a bare CR or LF (a lenient client would start a new line there)")
        lines = re.sub(rb"\r\n[ \t]", b"", body).split(b"\r\n")
        for line in lines[:-1]:
            if not ICS_LINE.match(line):
                self.fail(where, f"not a content line: {line[:80]!r}")
        if lines.count(b"BEGIN:VEVENT") != expected_events:
            self.fail(where, f"{lines.count(b'BEGIN:VEVENT')} VEVENTs, wanted {expected_events}")
        calendar = Calendar.from_ical(body)
        for component in calendar.walk():
            if component.errors:
                self.fail(where, f"{component.name} had parse errors: {component.errors}")
            if component.name == "VEVENT":
                extra = set(component) - VEVENT_PROPERTIES
            elif component.name == "VCALENDAR":
                extra = set(component) - VCALENDAR_PROPERTIES
            elif component.name in ("VTIMEZONE", "STANDARD", "DAYLIGHT"):
                extra = set()
            else:
                extra = {component.name}
            if extra:
                self.fail(where, f"unexpected {sorted(extra)} in {component.name}")
        if len(calendar.walk("VEVENT")) != expected_events:
            self.fail(where, f"icalendar read {len(calendar.walk('VEVENT'))} VEVENTs")
        return calendar

    def equal(self, representation: str, where: str, got, wanted: str) -> None:
        self.saw(representation, wanted)
        if got != wanted:
            self.fail(where, f"{representation}: got {got!r}, wanted {wanted!r}")

    def contains(self, representation: str, where: str, text: str, part: str) -> None:
        self.saw(representation, part)
        if part not in text:
            self.fail(where, f"{representation}: {part!r} not in {text!r}")

    def done(self) -> None:
        shown = "\n".join(self.failures[:400])
        more = f"\n… and {len(self.failures) - 400} more" if len(self.failures) > 400 else ""
        assert not self.failures, f"{len(self.failures)} problems:\n{shown}{more}"


# --- the world -----------------------------------------------------------------------------


class Client(FreshGlobalsClient):
    """Flask-WTF keeps the CSRF token it put on a page in ``g``, which the test's app context
    shares between requests: clear it so that each of several signed-in clients gets its own."""

    def open(self, *args, **kwargs):
        g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


def make_account(role: Role, society=None, **kw) -> User:
    user = User(role=role, society=society, **kw)
    user.password_hash = PASSWORD_HASH
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class World:
    societies: list
    venues: list
    people: list
    series: list
    campaigns: list
    editors: list
    organizer: User
    org: object  # the organizer's signed-in client
    org_csrf: str
    editor: object  # editor 0's signed-in client
    editor_csrf: str
    api: list = field(default_factory=list)  # event ids, by payload
    form: list = field(default_factory=list)
    drafts: dict = field(default_factory=dict)  # payload -> event id
    imported: list = field(default_factory=list)
    import_page: object = None
    feed_tokens: dict = field(default_factory=dict)  # "editor" / "organizer" -> plain

    def events(self, ids) -> list[Event]:
        return [db.session.get(Event, i) for i in ids]


def api_body(w: World, i: int) -> dict:
    online = i % 2 == 1  # odd payloads: an online event without a venue
    return {
        "title": value(i, "title"),
        "description": value(i, "description"),
        "kind": "lecture",
        "host": w.societies[i].slug,
        "cohosts": [w.societies[(i + 1) % N].slug],
        "organizers": [w.societies[(i + 2) % N].slug],
        "speakers": [w.people[i].slug],
        "series": w.series[i].slug,
        "campaign": w.campaigns[i].slug,
        "venue": None if online else w.venues[i].slug,
        "online_url": f"https://example.org/live?{i}#{PAYLOADS[i]}",
        "start": f"{YEAR}-04-{1 + i:02d}T14:30",
        "end": f"{YEAR}-04-{1 + i:02d}T16:30",
        "expected_attendance": 100,
        "audiences": ["public"],
    }


def import_file(w: World) -> bytes:
    """A calendar another system wrote (with icalendar, properly escaped)."""
    cal = Calendar()
    cal.add("prodid", "-//other//calendar//EN")
    cal.add("version", "2.0")
    for i in range(N):
        v = VEvent()
        v.add("uid", f"xss-{i}@other.example")
        v.add("summary", value(i, "ititle"))
        v.add("description", value(i, "idesc"))
        v.add("dtstart", local(YEAR, 5, 1 + i, 10, 0))
        v.add("dtend", local(YEAR, 5, 1 + i, 12, 0))
        v.add("location", w.venues[i].name)
        cal.add_component(v)
    return cal.to_ical()


def build_world(app) -> World:
    societies = [
        make_society(
            slug=f"xss-society-{i}",
            name=value(i, "society"),
            short_name=value(i, "short_name") if i % 2 == 0 else "",
            city=value(i, "society_city"),
            discipline=value(i, "discipline"),
            contact_name=value(i, "contact"),
            contact_email=f"contact{i}@example.org",
        )
        for i in range(N)
    ]
    venues = [
        make_venue(
            slug=f"xss-venue-{i}",
            name=value(i, "venue"),
            address=value(i, "address"),
            city=value(i, "venue_city"),
            capacity=500,
            latitude=23.1,
            longitude=113.3,
        )
        for i in range(N)
    ]
    people = [
        make_person(
            slug=f"xss-person-{i}",
            name=value(i, "person"),
            title=value(i, "person_title"),
            affiliation=value(i, "affiliation"),
        )
        for i in range(N)
    ]
    series = [
        make_series(slug=f"xss-series-{i}", name=value(i, "series"), max_per_host=3)
        for i in range(N)
    ]
    campaigns = [
        make_campaign(
            slug=f"xss-campaign-{i}",
            name=value(i, "campaign"),
            theme=value(i, "theme"),
            start_date=local(YEAR, 3, 1 + i).date(),
            end_date=local(YEAR, 6, 30).date(),
        )
        for i in range(N)
    ]
    editors = [
        make_account(
            Role.EDITOR, societies[i], email=f"editor{i}@example.org", name=value(i, "user")
        )
        for i in range(N)
    ]
    organizer = make_account(
        Role.ORGANIZER, email="organizer@example.org", name=value(5, "organizer")
    )
    editor_tokens = [bearer(u, commit=False) for u in editors]
    organizer_token = bearer(organizer, commit=False)
    db.session.commit()

    app.test_client_class = Client
    org = app.test_client()
    org_csrf = sign_in(org, organizer.email)
    editor = app.test_client()
    editor_csrf = sign_in(editor, editors[0].email)
    w = World(
        societies, venues, people, series, campaigns, editors, organizer,
        org, org_csrf, editor, editor_csrf,
    )  # fmt: skip

    # The write API: each society's editor registers and submits, the organizer approves
    # with a reason, the editors of every fourth payload cancel with one.
    for i in range(N):
        created = org.post("/api/v1/events", json=api_body(w, i), headers=editor_tokens[i])
        assert created.status_code == 201, created.get_json()
        eid = created.get_json()["id"]
        w.api.append(eid)
        submitted = org.post(f"/api/v1/events/{eid}/submit", headers=editor_tokens[i])
        assert submitted.status_code == 200, submitted.get_json()
        approved = org.post(
            f"/api/v1/events/{eid}/approve",
            json={"reason": value(i, "approve_reason")},
            headers=organizer_token,
        )
        assert approved.status_code == 200, approved.get_json()
        if i % 4 == 0:
            cancelled = org.post(
                f"/api/v1/events/{eid}/cancel",
                json={"reason": value(i, "cancel_reason")},
                headers=editor_tokens[i],
            )
            assert cancelled.status_code == 200, cancelled.get_json()
        if i not in DRAFTS:
            continue
        # A draft double-booking the speaker (and the hall): its page lists the findings.
        draft = org.post(
            "/api/v1/events",
            json={**api_body(w, i), "title": value(i, "draft_title"), "cohosts": []},
            headers=editor_tokens[i],
        )
        assert draft.status_code == 201, draft.get_json()
        w.drafts[i] = draft.get_json()["id"]

    # The portal's event form (the organizer registers for any society), then decisions
    # with a reason through the event page's forms.
    for i in range(N):
        form = {
            "csrf_token": org_csrf,
            "title": value(i, "form_title"),
            "description": value(i, "form_description"),
            "kind": "forum",
            "host": societies[i].slug,
            "venue": venues[i].slug,
            "online_url": "",
            "series": "",
            "campaign": "",
            "start": f"{YEAR}-04-{1 + i:02d}T09:00",
            "end": f"{YEAR}-04-{1 + i:02d}T11:00",
            "expected_attendance": "80",
            "cohosts": [societies[(i + 3) % N].slug],
            "speakers": [people[i].slug],
            "audiences": ["youth"],
            "repeat": "",
        }
        created = org.post("/portal/events/new", data=form)
        assert created.status_code == 302, created.get_data(as_text=True)[:2000]
        eid = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        w.form.append(eid)
        submitted = org.post(f"/portal/events/{eid}/submit", data={"csrf_token": org_csrf})
        assert submitted.status_code == 302, submitted.get_data(as_text=True)[:2000]
        action = ("request_changes", "reject", None)[i % 3]
        if action:
            decided = org.post(
                f"/portal/events/{eid}/{action}",
                data={"csrf_token": org_csrf, "reason": value(i, f"{action}_reason")},
            )
            assert decided.status_code == 302, decided.get_data(as_text=True)[:2000]

    # The organizers' .ics import, approving what it creates.
    page = org.post(
        "/admin/import",
        data={
            "csrf_token": org_csrf,
            "society": societies[0].slug,
            "approve": "on",
            "file": (io.BytesIO(import_file(w)), "other.ics"),
        },
    )
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    w.import_page = page
    for i in range(N):
        event = db.session.scalar(
            sa.select(Event).where(Event.imported_uid == f"xss-{i}@other.example")
        )
        assert event is not None and event.status == EventStatus.APPROVED, i
        w.imported.append(event.id)

    # Host applications (editor 0, one per series), planner settings and venue closures,
    # private feed links.
    for i in range(N):
        applied = editor.post(
            "/portal/applications",
            data={
                "csrf_token": editor_csrf,
                "year": str(YEAR),
                "series": series[i].slug,
                "months": ["3", "9"],
                "preferred_dates": "",
                "unavailable_dates": "",
                "speakers": [people[i].slug],
                "note": value(i, "note"),
            },
        )
        assert applied.status_code == 302, applied.get_data(as_text=True)[:2000]
        for data in (
            {"action": "series", "series": series[i].slug, "time_slots": "14:30",
             "city": value(i, "planner_city")},
            {"action": "add_closure", "venue": venues[i].slug, "first_day": f"{YEAR}-08-01",
             "last_day": f"{YEAR}-08-02", "reason": value(i, "closure_reason")},
        ):  # fmt: skip
            saved = org.post("/admin/planner/settings", data={"csrf_token": org_csrf, **data})
            assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
        made = editor.post(
            "/portal/feeds", data={"csrf_token": editor_csrf, "name": value(i, "feed_name")}
        )
        assert made.status_code == 302
        w.feed_tokens.setdefault(
            "editor", parse_qs(urlsplit(made.headers["Location"]).query)["new"][0]
        )
    made = org.post("/portal/feeds", data={"csrf_token": org_csrf, "name": value(0, "feed_name")})
    w.feed_tokens["organizer"] = parse_qs(urlsplit(made.headers["Location"]).query)["new"][0]
    db.session.expire_all()
    return w


# --- the test ------------------------------------------------------------------------------


def public(w: World) -> list[Event]:
    return w.events(w.api) + w.events(w.imported)


def event_values(event: Event) -> list[str]:
    """What an event's public page shows of it."""
    values = [event.title, event.host.name]
    if event.description:
        values.append(event.description)
    values += [s.name for s in event.cohosts] + [s.name for s in event.organizing_societies]
    values += [p.name for p in event.speakers] + [p.title for p in event.speakers if p.title]
    if event.series:
        values.append(event.series.name)
    if event.campaign:
        values.append(event.campaign.name)
    if event.venue:
        values += [event.venue.name, event.venue.address]
    if event.online_url:
        values.append(event.online_url)
    return values


def check_html(w: World, c: Checks, anon) -> None:
    api, form, imported = (w.events(ids) for ids in (w.api, w.form, w.imported))
    drafts = {i: db.session.get(Event, eid) for i, eid in w.drafts.items()}
    published = api + imported
    cities = [v.city for v in w.venues]

    # The public calendar: list, week and month views, filters, campaign banner.
    shown_campaigns = sorted(w.campaigns, key=lambda x: x.start_date)[:3]
    banner = [x.name for x in shown_campaigns] + [x.theme for x in shown_campaigns]
    filters = [s.name for s in w.societies] + [s.name for s in w.series] + cities
    occurrence = [e.title for e in published] + [e.host.display_name for e in published]
    occurrence += [e.venue.name for e in published if e.venue]
    c.html(anon.get("/"), "/", "calendar-list", occurrence + filters + banner)
    week = api[4:11]  # 2027-04-05 (Monday) to 2027-04-11
    c.html(
        anon.get(f"/?view=week&week={YEAR}-04-05"), "week", "calendar-week",
        [e.title for e in week] + [e.series.name for e in week],
    )  # fmt: skip
    c.html(anon.get(f"/?month={YEAR}-04"), "month 4", "calendar-month", [e.title for e in api])
    c.html(anon.get(f"/?month={YEAR}-05"), "month 5", "calendar-month", [e.title for e in imported])
    for i in SAMPLE:  # a hostile city as a filter, reflected in the form
        city = cities[i]
        if "," in city:
            continue  # a comma separates cities in a filter
        only = [e.title for e in published if e.venue_id == w.venues[i].id]
        c.html(anon.get("/", query_string={"city": city}), f"city {i}", "calendar-filter", only)
    for i, text in enumerate(GROUPS):  # reflected search text and a refused filter value
        c.html(anon.get("/", query_string={"q": text}), f"q {i}", "search", [text])
        parts = [p.strip() for p in text.split(",") if p.strip()]  # a list of slugs
        c.html(
            anon.get("/", query_string={"series": text}), f"bad series {i}", "error", parts,
            status=400,
        )  # fmt: skip

    # Public event pages, for the public and for the organizer (who also sees the history).
    for event in published:
        values = event_values(event)
        if event.status == EventStatus.CANCELLED:
            values.append(event.decision_reason)
        c.html(anon.get(f"/events/{event.id}"), f"public event {event.id}", "event", values)
    for i, event in enumerate(api):
        history = [value(i, "approve_reason"), w.organizer.name, w.editors[i].name]
        if i % 4 == 0:
            history.append(value(i, "cancel_reason"))
        c.html(
            w.org.get(f"/events/{event.id}"), f"event {event.id} (organizer)", "event-history",
            history,
        )  # fmt: skip

    # The portal: list, event pages (with findings and history), the edit form.
    reasons = [e.decision_reason for e in api + form if e.decision_reason]
    c.html(
        w.org.get("/portal/"), "/portal/", "portal-list",
        [e.title for e in api + form + list(drafts.values()) + imported] + reasons,
    )  # fmt: skip
    for event in form:
        values = [event.title, event.host.name, event.venue.name]
        if event.decision_reason:
            values.append(event.decision_reason)
        c.html(
            w.org.get(f"/portal/events/{event.id}"), f"portal {event.id}", "portal-event", values
        )
        edit = [event.title, event.description] + [s.name for s in w.societies]
        edit += [x.name for x in w.series] + [x.name for x in w.campaigns]
        edit += [p.name for p in w.people] + [p.title for p in w.people] + cities
        edit += [v.name for v in w.venues]
        c.html(w.org.get(f"/portal/events/{event.id}/edit"), f"edit {event.id}", "event-form", edit)
    for i, event in drafts.items():
        findings = [api[i].title, w.people[i].name]
        if event.venue:
            findings.append(event.venue.name)
        c.html(w.org.get(f"/portal/events/{event.id}"), f"draft {event.id}", "findings", findings)
        live = w.org.post(
            "/portal/check",
            data={**{k: v for k, v in api_body(w, i).items() if isinstance(v, str)},
                  "speakers": [w.people[i].slug], "csrf_token": w.org_csrf},
        )  # fmt: skip
        messages = " ".join(f["message"] for f in live.get_json()["findings"])
        c.contains("json:live-findings", f"check {i}", messages, api[i].title)
    for event in (api[0], api[1], api[3], api[6]):
        c.html(
            w.org.get(f"/portal/events/{event.id}/attendance"), f"attendance {event.id}",
            "attendance", [event.title],
        )  # fmt: skip
    for i, text in enumerate(GROUPS):  # a refused form keeps what was typed, escaped
        title, description = f"{text} #form_title", f"{text}\r\n{text} #form_description"
        refused = w.org.post(
            "/portal/events/new",
            data={"csrf_token": w.org_csrf, "title": title, "kind": "forum",
                  "host": w.societies[i].slug, "description": description,
                  "start": f"{YEAR}-04-02T10:00", "end": f"{YEAR}-04-01T10:00"},
        )  # fmt: skip
        c.html(refused, f"refused form {i}", "event-form-refused", [title, description], status=400)

    # Organizers' pages: approvals, import result, quotas, records, planner, outbox.
    waiting = [e for e in form if e.status == EventStatus.SUBMITTED]
    c.html(
        w.org.get("/admin/approvals"), "approvals", "approvals",
        [e.title for e in waiting] + [e.host.name for e in waiting],
    )  # fmt: skip
    for i, text in enumerate(GROUPS):
        c.html(
            w.org.get("/admin/approvals", query_string={"q": text}), f"approvals q {i}", "search",
            [text],
        )  # fmt: skip
    c.html(w.import_page, "import", "import-result", [e.title for e in imported])
    sessions = [e for e in api if e.status == EventStatus.APPROVED]
    c.html(
        w.org.get(f"/admin/quotas?year={YEAR}"), "quotas", "quota-dashboard",
        [s.name for s in w.series] + [e.title for e in sessions]
        + [e.host.display_name for e in sessions] + [x.name for x in w.campaigns],
    )  # fmt: skip
    c.html(w.org.get("/admin/quotas/settings"), "quota settings", "quota-settings",
           [s.name for s in w.series] + [x.name for x in w.campaigns])  # fmt: skip
    for i in SAMPLE:
        society = w.societies[i]
        hosted = [e.title for e in api + form + imported if e.host_id == society.id]
        c.html(
            w.org.get(f"/societies/{society.slug}/record?year={YEAR}"), f"record {i}", "record",
            [society.name, *hosted],
        )  # fmt: skip
    c.html(
        w.org.get(f"/admin/planner?year={YEAR}"), "planner", "planner",
        [s.name for s in w.series] + [w.societies[0].name],
    )  # fmt: skip
    c.html(
        w.org.get("/admin/planner/settings"), "planner settings", "planner-settings",
        [s.name for s in w.series] + [value(i, "planner_city") for i in range(N)]
        + [value(i, "closure_reason") for i in range(N)] + [v.name for v in w.venues],
    )  # fmt: skip
    c.html(
        w.editor.get(f"/portal/applications?year={YEAR}"), "applications", "applications",
        [s.name for s in w.series] + [p.name for p in w.people],
    )  # fmt: skip
    note = "\r\n".join(PAYLOADS) + " #note"  # a refused application keeps the note, escaped
    refused = w.editor.post(
        "/portal/applications",
        data={"csrf_token": w.editor_csrf, "year": str(YEAR), "series": "no-such-series",
              "note": note},
    )  # fmt: skip
    c.html(refused, "refused application", "application-refused", [note], status=400)
    c.html(
        w.editor.get("/portal/feeds"), "feeds", "feed-links",
        [value(i, "feed_name") for i in range(N)],
    )  # fmt: skip
    shown = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    c.html(
        w.org.get("/admin/outbox"), "outbox", "outbox",
        [m.subject for m in shown] + [m.body for m in shown],
    )  # fmt: skip


def check_ics(w: World, c: Checks, anon) -> None:
    published = public(w)
    everything = w.events(w.api + w.form + list(w.drafts.values()) + w.imported)
    by_uid = {e.uid: e for e in everything}
    unfolded = ""

    def events_of(calendar, where: str) -> dict:
        found = {}
        for vevent in calendar.walk("VEVENT"):
            event = by_uid.get(str(vevent["UID"]))
            if event is None:
                c.fail(where, f"a VEVENT with an unknown UID {str(vevent['UID'])!r}")
            else:
                found[event.id] = vevent
        return found

    def check_vevent(vevent, event: Event, where: str) -> None:
        c.equal("ics:SUMMARY", where, str(vevent["SUMMARY"]), ical_text(event.title))
        description = str(vevent["DESCRIPTION"])
        if event.description:
            c.saw("ics:DESCRIPTION", event.description)
            if not description.startswith(ical_text(event.description) + "\n"):
                c.fail(where, f"DESCRIPTION {description!r} does not start with the description")
        names = [event.host.name] + [s.name for s in event.cohosts]
        names += [f"{p.name}（{p.title}）" for p in event.speakers]
        lines = [f": {ical_text(name)}\n" for name in names]  # "Host: …", "Speakers: …"
        if event.online_url:
            lines.append(f"\n{ical_text(event.online_url)}\n")
        for line in lines:
            c.contains("ics:DESCRIPTION", where, description, line)
        if event.venue:
            location = f"{event.venue.name}，{event.venue.address}"
            c.equal("ics:LOCATION", where, str(vevent["LOCATION"]), ical_text(location))
        elif event.online_url:
            c.equal("ics:LOCATION", where, str(vevent["LOCATION"]), ical_text(event.online_url))
        # icalendar's reader drops the backslash of "\\,"; the raw text is what clients read.
        cn = param_text(event.host.name)
        c.saw("ics:ORGANIZER-CN", event.host.name)
        if f'CN="{cn}":' not in unfolded and f"CN={cn}:" not in unfolded:
            c.fail(where, f"ORGANIZER;CN={cn!r} not in the feed")
        if event.series:
            categories = [str(x) for x in vevent["CATEGORIES"].cats]
            c.saw("ics:CATEGORIES", event.series.name)
            if ical_text(event.series.name) not in categories:
                c.fail(where, f"CATEGORIES {categories!r} lack {event.series.name!r}")

    def feed(path: str, wanted: list[Event], name: str | None = None, **kw) -> None:
        nonlocal unfolded
        response = anon.get(path, **kw)
        calendar = c.ics(response, path, len(wanted))
        if calendar is None:
            return
        unfolded = re.sub(r"\r\n[ \t]", "", response.get_data(as_text=True))
        if name is not None:
            for key in ("NAME", "X-WR-CALNAME"):
                got = unescape_text(calendar[key].to_ical().decode())
                c.equal(f"ics:{key}", path, got, ical_text(name))
        found = events_of(calendar, path)
        if set(found) != {e.id for e in wanted}:
            c.fail(path, f"events {sorted(found)}, wanted {sorted(e.id for e in wanted)}")
        for event in wanted:
            if event.id in found:
                check_vevent(found[event.id], event, f"{path} event {event.id}")

    feed("/calendar.ics", published)
    feed("/calendar.ics?lang=en", published)
    feed("/feeds/kinds/lecture.ics", [e for e in published if e.kind.value == "lecture"])
    for i in range(N):
        s, v = w.societies[i], w.venues[i]
        feed(
            f"/feeds/series/{w.series[i].slug}.ics",
            [e for e in published if e.series_id == w.series[i].id],
            w.series[i].name,
        )
        feed(
            f"/feeds/societies/{s.slug}.ics",
            [e for e in published if e.host_id == s.id or s in e.cohosts],
            s.name,
        )
        feed(f"/feeds/venues/{v.slug}.ics", [e for e in published if e.venue_id == v.id], v.name)
        feed(
            f"/feeds/campaigns/{w.campaigns[i].slug}.ics",
            [e for e in published if e.campaign_id == w.campaigns[i].id],
            w.campaigns[i].name,
        )
        if i in SAMPLE and "," not in v.city:
            feed(f"/feeds/venues/{v.slug}.ics", [e for e in published if e.venue_id == v.id],
                 query_string={"city": v.city})  # fmt: skip
    for event in published:
        feed(f"/events/{event.id}.ics", [event], event.title)

    # Private feeds: the society's own events including pending ones; the organizers' view.
    pending = (EventStatus.SUBMITTED, EventStatus.CHANGES_REQUESTED)
    mine = [
        e for e in everything
        if (e.status in pending or e in published)
        and (e.host_id == w.societies[0].id or w.societies[0] in e.cohosts)
    ]  # fmt: skip
    all_open = [e for e in everything if e.status in pending or e in published]
    feed(f"/feeds/private/{w.feed_tokens['editor']}.ics", mine)
    feed(f"/feeds/private/{w.feed_tokens['organizer']}.ics", all_open)


def check_json(w: World, c: Checks, anon) -> None:
    def same(where: str, got: dict, event: Event) -> None:
        c.equal("json:title", where, got["title"], event.title)
        c.equal("json:description", where, got["description"], event.description)
        c.equal("json:decision_reason", where, got["decision_reason"], event.decision_reason)
        c.equal("json:host", where, got["host"]["name"], event.host.name)
        c.equal("json:host-city", where, got["host"]["city"], event.host.city)
        for key, rows in (("cohosts", event.cohosts), ("organizers", event.organizing_societies)):
            for item, row in zip(got[key], rows, strict=True):
                c.equal(f"json:{key}", where, item["name"], row.name)
        for item, person in zip(got["speakers"], event.speakers, strict=True):
            c.equal("json:speaker", where, item["name"], person.name)
            c.equal("json:speaker-title", where, item["title"], person.title)
        if event.venue:
            c.equal("json:venue", where, got["venue"]["name"], event.venue.name)
            c.equal("json:venue-city", where, got["venue"]["city"], event.venue.city)
        for key, row in (("series", event.series), ("campaign", event.campaign)):
            if row is not None:
                c.equal(f"json:{key}", where, got[key]["name"], row.name)
        if event.online_url:
            c.equal("json:online_url", where, got["online_url"], event.online_url)

    def fetch(client, path: str, **kw):
        response = client.get(path, **kw)
        if response.status_code != 200 or response.mimetype != "application/json":
            c.fail(path, f"{response.status_code} {response.content_type}")
            return None
        return response.get_json()

    # Stored exactly as entered (the API, the form, the decisions, the import), so that
    # comparing the JSON with the rows below compares it with the input.
    for i, event in enumerate(w.events(w.api)):
        reason = value(i, "cancel_reason" if i % 4 == 0 else "approve_reason")
        for key, wanted in (("title", value(i, "title")), ("decision_reason", reason),
                            ("description", value(i, "description"))):  # fmt: skip
            c.equal(f"stored:{key}", f"api event {i}", getattr(event, key), wanted)
    for i, event in enumerate(w.events(w.form)):
        action = ("request_changes", "reject", None)[i % 3]
        reason = value(i, f"{action}_reason") if action else ""
        for key, wanted in (("title", value(i, "form_title")), ("decision_reason", reason),
                            ("description", value(i, "form_description"))):  # fmt: skip
            c.equal(f"stored:{key}", f"form event {i}", getattr(event, key), wanted)
    for i, event in enumerate(w.events(w.imported)):
        c.equal("import:title", f"imported {i}", event.title, ical_text(value(i, "ititle")))
        c.saw("import:description", value(i, "idesc"))
        if not event.description.startswith(ical_text(value(i, "idesc"))):
            c.fail(f"imported {i}", f"description {event.description!r}")

    everything = w.events(w.api + w.form + list(w.drafts.values()) + w.imported)
    for event in everything:
        got = fetch(w.org, f"/api/v1/events/{event.id}")
        if got is not None:
            same(f"show {event.id}", got, event)
    listed = fetch(
        w.org, "/api/v1/events",
        query_string={"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "per_page": 500,
                      "status": "draft,submitted,approved,rejected,changes_requested,cancelled"},
    )  # fmt: skip
    by_id = {item["id"]: item for item in listed["items"]} if listed else {}
    for event in everything:
        if event.id not in by_id:
            c.fail("list", f"event {event.id} is missing")
        else:
            same(f"list {event.id}", by_id[event.id], event)
    public_list = fetch(anon, "/api/v1/events", query_string={"q": PAYLOADS[0], "per_page": 500})
    if public_list is not None:
        titles = {item["title"] for item in public_list["items"]}
        c.saw("json:search", value(0, "title"))
        # Search also finds events by the names they show (venue, host, ...: search/).
        if not {value(0, "title"), value(0, "ititle")} <= titles:
            c.fail("search", f"found {titles!r}")
    for path, rows in (
        ("/api/v1/societies", w.societies),
        ("/api/v1/venues", w.venues),
        ("/api/v1/series", w.series),
        ("/api/v1/campaigns", w.campaigns),
    ):
        body = fetch(anon, path, query_string={"per_page": 500})
        items = body["items"] if isinstance(body, dict) else body or []
        names = {item["slug"]: item["name"] for item in items}
        for row in rows:
            c.equal(f"json:{path.rsplit('/', 1)[1]}", path, names.get(row.slug), row.name)
    apps = fetch(w.org, f"/api/v1/applications?year={YEAR}")
    items = apps["items"] if isinstance(apps, dict) else apps or []
    notes = {item["series"]: item["note"] for item in items}
    for i, series in enumerate(w.series):
        c.equal("json:application-note", "applications", notes.get(series.slug), value(i, "note"))


def check_mail(w: World, c: Checks, app) -> None:
    """Mail is plain text: bodies carry the exact text (no HTML escaping), subjects are one
    line, and every message builds into MIME with only the headers the mailer sets."""
    settings = MailSettings.from_config(app.config)
    headers = {
        "From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted", "Content-Language",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    }  # fmt: skip
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(messages) > 3 * N
    for message in messages:
        where = f"mail {message.id}"
        try:
            parsed = BytesParser(policy=policy.default).parsebytes(
                build_mime(Claimed.of(message), settings)
            )
        except ValueError as exc:
            c.fail(where, f"cannot be sent: {exc}")
            continue
        if set(parsed.keys()) - headers:
            c.fail(where, f"extra headers {set(parsed.keys()) - headers}")
        c.equal("mail:Subject", where, str(parsed["Subject"]), message.subject)
        if message.event_id is not None:
            event = db.session.get(Event, message.event_id)
            c.contains("mail:body", where, message.body, event.title)
    for i, eid in enumerate(w.api):
        bodies = [m.body for m in messages if m.event_id == eid and m.kind == "event_approved"]
        c.contains("mail:reason", f"approval mail {i}", "".join(bodies), value(i, "approve_reason"))


def check_exports(w: World, c: Checks) -> None:
    """CSV: text that starts like a formula gets a leading apostrophe (OWASP); Excel: every
    name and title is a text cell, never a formula."""
    api = w.events(w.api)
    sessions = {e.title: e for e in api if e.status == EventStatus.APPROVED}
    for report in ("societies", "series", "sessions"):
        response = w.org.get(f"/admin/quotas/export.csv?year={YEAR}&report={report}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        cells = [cell for row in rows[1:] for cell in row]
        for cell in cells:
            if cell.startswith(FORMULA_START):
                c.fail(f"csv {report}", f"a cell starts like a formula: {cell!r}")
        wanted = {
            "societies": [s.name for s in w.societies] + [s.city for s in w.societies],
            "series": [s.name for s in w.series],
            "sessions": list(sessions) + [e.host.name for e in sessions.values()],
        }[report]
        for text in wanted:
            c.saw(f"csv:{report}", text)
            if spreadsheet_text(text) not in cells:
                c.fail(f"csv {report}", f"{spreadsheet_text(text)!r} is not a cell")
    response = w.org.get(f"/admin/quotas/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    texts = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    c.fail(
                        f"xlsx {sheet.title}", f"a formula cell {cell.coordinate}: {cell.value!r}"
                    )
                if isinstance(cell.value, str):
                    texts[cell.value] = cell
    wanted = [s.name for s in w.societies] + [s.city for s in w.societies]
    wanted += [s.name for s in w.series] + list(sessions)
    for text in wanted:
        c.saw("xlsx", text)
        cell = texts.get(text.replace("\r\n", "\n"))  # XML reads a CRLF as LF
        if cell is None:
            c.fail("xlsx", f"{text!r} is not a cell")
        elif text.startswith(FORMULA_START) and not cell.quotePrefix:
            c.fail("xlsx", f"{text!r} lacks Excel's quote prefix")


def test_the_xss_corpus_comes_back_escaped_everywhere(app, client):
    w = build_world(app)
    c = Checks()
    check_html(w, c, client)
    check_ics(w, c, client)
    check_json(w, c, client)
    check_mail(w, c, app)
    check_exports(w, c)
    print(f"\nXSS corpus: {c.count} checks of {len(c.pairs)} (field, representation) pairs")
    c.done()


# --- what is refused, and what exports drop ----------------------------------------------


@pytest.mark.parametrize("text", ["bell\x07ring", "nul\x00byte", "escape\x1b[31m", "del\x7f"])
def test_control_characters_are_refused_with_a_clear_error(app, client, text):
    """iCalendar and XML cannot carry them and PostgreSQL refuses NUL: a 400 naming the
    field, never a broken feed, a broken export or a 500."""
    society = make_society(slug="ctl")
    editor = make_account(Role.EDITOR, society, email="ctl@example.org")
    headers = bearer(editor, commit=False)
    make_series(slug="ctl-series")
    db.session.commit()
    body = {"title": "ok", "kind": "forum", "host": "ctl", "start": f"{YEAR}-04-01T10:00",
            "end": f"{YEAR}-04-01T12:00"}  # fmt: skip
    for name in ("title", "description"):
        refused = client.post("/api/v1/events", json={**body, name: text}, headers=headers)
        assert refused.status_code == 400 and refused.get_json()["field"] == name
    eid = client.post("/api/v1/events", json=body, headers=headers).get_json()["id"]
    submitted = client.post(f"/api/v1/events/{eid}/submit", headers=headers)
    assert submitted.status_code == 200
    refused = client.post(f"/api/v1/events/{eid}/withdraw", json={"reason": text}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["field"] == "reason"
    csrf = sign_in(client, editor.email)
    form = client.post(
        "/portal/events/new",
        data={"csrf_token": csrf, "title": text, "kind": "forum", "start": f"{YEAR}-04-02T10:00",
              "end": f"{YEAR}-04-02T12:00"},
    )  # fmt: skip
    assert form.status_code == 400
    note = client.post(
        "/portal/applications",
        data={"csrf_token": csrf, "year": str(YEAR), "series": "ctl-series", "note": text},
    )
    assert note.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_script_urls_are_refused_as_online_links(app, client):
    society = make_society(slug="links")
    headers = bearer(make_account(Role.EDITOR, society, email="links@example.org"), commit=False)
    db.session.commit()
    body = {"title": "ok", "kind": "forum", "host": "links", "start": f"{YEAR}-04-01T10:00",
            "end": f"{YEAR}-04-01T12:00"}  # fmt: skip
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>",
                "vbscript:x", "//evil.example", "java\nscript:alert(1)"):  # fmt: skip
        refused = client.post("/api/v1/events", json={**body, "online_url": url}, headers=headers)
        assert refused.status_code == 400, url
        assert refused.get_json()["field"] == "online_url"


def test_exports_drop_characters_a_workbook_cannot_hold(app, client):
    """Names seeded by organizers are not validated like form input: the workbook still opens."""
    society = make_society(slug="bell", name="bell\x07 =1+1")
    make_event(start=local(YEAR, 3, 5, 14), host=society, series=make_series(slug="s"))
    organizer = make_account(Role.ORGANIZER, email="o@example.org")
    db.session.commit()
    sign_in(client, organizer.email)
    response = client.get(f"/admin/quotas/export.xlsx?year={YEAR}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "bell =1+1" in cells and not any(isinstance(v, str) and "\x07" in v for v in cells)
