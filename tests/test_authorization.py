"""The authorization matrix: every route and method × {anonymous, editor of society A, editor
of society B, organizer} → the expected status. Refused changes write nothing; A's drafts and
pending filings never reach anonymous callers or B; every form needs its CSRF token; the API
(exempt from CSRF) takes writes from bearer tokens only, never from a session cookie.

ROWS must name every (endpoint, method) of the URL map: a new route fails
test_every_route_and_method_is_in_the_matrix until its expectations are written down here.
Pages are signed in through the login form; the API is called with ``Authorization: Bearer``.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.security import generate_password_hash

from scheduler.accounts.models import ApiToken, Role, User
from scheduler.calendar_sync.models import CalendarSource
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.models import FeedToken
from scheduler.notifications.models import OutboxMessage
from scheduler.planner.apply import accept_plan
from scheduler.planner.models import HostApplication, Plan, PlanSession, SolverStatus
from scheduler.types import utcnow
from scheduler.venues.models import Venue, VenueClosure
from tests.conftest import FreshGlobalsClient, counting_queries, csrf_token, sign_in
from tests.factories import (
    SHANGHAI,
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_venue,
)

# A long module: -m "not slow" leaves it out.
pytestmark = pytest.mark.slow

S = EventStatus
ENDED = "ended"  # fresh_event: an approved event whose only session is over
PRINCIPALS = ("anonymous", "editor_a", "editor_b", "organizer")
EMAILS = {
    "editor_a": "editor.a@authz.example",
    "editor_b": "editor.b@authz.example",
    "organizer": "organizer@authz.example",
}
# A's events that only A's editors and organizers may see (ASCII markers: feeds fold and
# escape text, JSON and HTML keep these as they are).
SECRETS = {
    "draft": "ZQDRAFTA",
    "submitted": "ZQPENDINGA",
    "changes": "ZQCHANGESA",
    "rejected": "ZQREJECTEDA",
    "withdrawn": "ZQWITHDRAWNA",
    "repeating_draft": "ZQREPDRAFTA",
}
SECRET_NOTE = "ZQNOTEA"  # A's host application
SECRET_DATE = "2027-05-22"  # ... and the date it wishes
PASSWORD = "password-123"  # what tests.conftest.sign_in sends
PUBLIC = "ZQPUBLICA"  # A's approved event: the control that pages do show events
BUSY = ("2027-03-10T14:00", "2027-03-10T16:00")  # the hall, held by A's pending filing


# --- expectations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    refused: bool = False  # the request must change nothing in the database
    to: str = ""  # a redirect's Location path must match this (regular expression)


def ok(status: int = 200, to: str = "") -> Expect:
    return Expect(status, False, to)


LOGIN = Expect(302, True, "/login")  # anonymous: sent to the sign-in page
UNAUTHORIZED = Expect(401, True)  # API without a token
FORBIDDEN = Expect(403, True)
MISSING = Expect(404, True)  # unpublished or not yours: the same answer as "no such thing"
CONFLICT = Expect(409, True)
BAD = Expect(400, True)
# The portal shows a refused action as a message on the event page (nothing changes).
BACK_TO_EVENT = Expect(302, True, r"/portal/events/\d+")
TO_EVENT = ok(302, r"/portal/events/\d+")
TO_DATES = ok(302, r"/portal/events/\d+/occurrences")  # the page of a repeating event's dates
ALL_OK = (ok(),) * 4
ORGANIZERS_ONLY = (LOGIN, FORBIDDEN, FORBIDDEN, ok())
API_ORGANIZERS_ONLY = (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok())


@dataclass
class Call:
    method: str
    path: str
    form: dict | None = None  # an HTML form: the caller's CSRF token is added
    json: dict | None = None
    own_session: bool = False  # on a throw-away client: the request changes who is signed in


# build(world, principal, allowed) -> Call. Allowed principals act on fresh objects, so
# every row finds the world as it was built; refused ones aim at the shared objects.
Build = Callable[["World", str, bool], Call]
# check(world, principal, response) -> a problem, or None
Check = Callable[["World", str, object], str | None]


@dataclass
class Row:
    endpoint: str
    method: str
    build: Build
    expect: tuple[Expect, Expect, Expect, Expect]  # in the order of PRINCIPALS
    check: Check | None = None

    @property
    def api(self) -> bool:
        return self.endpoint.startswith("api.")


# --- the world -----------------------------------------------------------------------------


class Browser(FreshGlobalsClient):
    """Several browsers share the test's app context: Flask-WTF keeps the signed CSRF token
    and "this request passed CSRF" on ``g``, so clear them too, or one browser's token (or
    check) would stand in for another's."""

    def open(self, *args, **kwargs):
        for key in ("csrf_token", "csrf_valid"):
            g.pop(key, None)
        return super().open(*args, **kwargs)


def quick_user(role: Role, society, email: str) -> User:
    """A user whose password hash is cheap to check (the test signs in a dozen times)."""
    user = User(role=role, society=society, email=email)
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.flush()
    return user


class World:
    """Society A with an editor, society B with an editor, an organizer; A's events in every
    state, feed and API tokens, a host application, plans, an outbox message."""

    def __init__(self, app):
        self.app = app
        app.test_client_class = Browser
        self.clients = {"anonymous": app.test_client()}
        self.csrf: dict[str, str] = {}
        self.api_client = app.test_client()  # never signed in: the API sees only the token
        self.n = 0

        a = make_society(slug="authz-a", name="甲学会", city="广州")
        b = make_society(slug="authz-b", name="乙学会", city="深圳")
        hall = make_venue(slug="authz-hall", name="甲报告厅", city="广州", capacity=300)
        self.plan_series = make_series(
            slug="authz-series", name="轮值论坛", target_min=1, target_max=1, max_per_host=1,
            preferred_weekdays=[5], default_start_time="14:30", duration_minutes=120,
            expected_attendance=100, avoid_holidays=False,
        )  # fmt: skip
        self.accept_series = make_series(
            slug="authz-accept", name="采纳论坛", target_max=50, max_per_host=50
        )
        make_series(slug="authz-quota", name="配额论坛")
        make_campaign(slug="authz-campaign")
        self.editor_a = quick_user(Role.EDITOR, a, EMAILS["editor_a"])
        self.editor_b = quick_user(Role.EDITOR, b, EMAILS["editor_b"])
        self.organizer = quick_user(Role.ORGANIZER, None, EMAILS["organizer"])
        self.a, self.hall = a.id, hall.id

        def event(title, status, start, hours=2, **kw):
            return make_event(start=start, hours=hours, title=title, status=status, **kw).id

        # A speaker of a public event has a public page; one only in a draft has none.
        speaker = make_person(slug="authz-speaker", name="甲专家")
        unheard = make_person(slug="authz-unheard", name="草稿专家")
        self.approved_a = event(f"公开论坛 {PUBLIC}", S.APPROVED, local(2027, 3, 9, 14, 30),
                                host=a, venue=hall, speakers=[speaker])  # fmt: skip
        self.draft_a = event(f"机密草稿 {SECRETS['draft']}", S.DRAFT, local(2027, 3, 10, 9),
                             host=a, venue=hall, speakers=[unheard])  # fmt: skip
        self.submitted_a = event(
            f"机密待审 {SECRETS['submitted']}", S.SUBMITTED, local(2027, 3, 10, 14),
            host=a, venue=hall, submitted_at=utcnow(),
        )  # fmt: skip
        self.changes_a = event(f"机密退回 {SECRETS['changes']}", S.CHANGES_REQUESTED,
                               local(2027, 3, 11, 9), host=a)  # fmt: skip
        event(f"机密驳回 {SECRETS['rejected']}", S.REJECTED, local(2027, 3, 11, 14), host=a)
        event(f"机密撤回 {SECRETS['withdrawn']}", S.WITHDRAWN, local(2027, 3, 12, 9), host=a)
        self.repeating_draft_a = event(
            f"机密系列 {SECRETS['repeating_draft']}", S.DRAFT, local(2027, 3, 8, 19),
            host=a, rrule="FREQ=WEEKLY;COUNT=3",
        )  # fmt: skip
        self.repeating_approved_a = event("每周讲座", S.APPROVED, local(2027, 4, 5, 19), host=a,
                                          rrule="FREQ=WEEKLY;COUNT=3")  # fmt: skip
        self.ended_a = event("已结束论坛", S.APPROVED, local(2026, 10, 17, 14), host=a)
        self.completed_a = event("已举办论坛", S.COMPLETED, local(2026, 10, 10, 14), host=a)
        self.draft_b = event("乙的草稿", S.DRAFT, local(2027, 3, 10, 9), host=b)
        self.approved_b = event("乙的讲座", S.APPROVED, local(2027, 3, 12, 14), host=b)

        self.application_a = self._application(a.id, 2027, note=SECRET_NOTE,
                                               dates=[SECRET_DATE])  # fmt: skip
        message = OutboxMessage(
            kind="reminder", recipient="host@authz.example", subject="提醒", body="正文",
            attachment_name="event.ics", attachment="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )  # fmt: skip
        db.session.add(message)
        db.session.flush()
        self.outbox = message.id
        self.feed_a, self.feed_a_id = self._feed_token(self.editor_a)
        self.feed_b, _ = self._feed_token(self.editor_b)
        revoked, revoked_id = self._feed_token(self.editor_a)
        db.session.get(FeedToken, revoked_id).revoked_at = utcnow()
        self.revoked_feed = revoked
        self.tokens = {}
        for who in ("editor_a", "editor_b", "organizer"):
            row, self.tokens[who] = ApiToken.issue(self.user(who))
            db.session.add(row)
        db.session.commit()
        self.plan = self.fresh_plan()
        self.accepted_plan = self.fresh_plan(accepted=True)

    # -- principals

    def user(self, who: str):
        return {"editor_a": self.editor_a, "editor_b": self.editor_b}.get(who, self.organizer)

    def society(self, who: str) -> str:
        return {"editor_a": "authz-a", "editor_b": "authz-b"}.get(who, "authz-a")

    def client(self, who: str):
        """The principal's browser, signed in through the login form on first use."""
        if who not in self.clients:
            client = self.app.test_client()
            self.csrf[who] = sign_in(client, EMAILS[who])
            self.clients[who] = client
        if who not in self.csrf:
            self.csrf[who] = csrf_token(self.clients[who], "/login")
        return self.clients[who]

    def send(self, who: str, call: Call, *, with_csrf: bool = True, auth: str = "default"):
        """Pages go through the principal's session, the API through its bearer token.
        ``auth="bearer"`` sends a page request with the token and no cookie instead."""
        headers = {}
        if call.path.startswith("/api/") or auth == "bearer":
            client = self.api_client
            if who != "anonymous":
                headers["Authorization"] = f"Bearer {self.tokens[who]}"
            token = None
        elif call.own_session:
            client = self.app.test_client()
            if who == "anonymous":
                token = csrf_token(client, "/login")
            else:
                token = sign_in(client, EMAILS[who])
        else:
            client = self.client(who)
            token = self.csrf[who]
        self.last_client = client
        data = None
        if call.form is not None:
            data = dict(call.form)
            if with_csrf and token:
                data["csrf_token"] = token
        return client.open(
            call.path, method=call.method, data=data, json=call.json, headers=headers
        )

    # -- fresh objects for the principals that may change them

    def _next(self) -> int:
        self.n += 1
        return self.n

    def fresh_event(self, status=S.DRAFT, **kw) -> int:
        """An event of A on a day of its own (ENDED: approved, and over)."""
        n = self._next()
        start = local(2028, 1, 3, 9) + timedelta(days=n)
        if status in (S.COMPLETED, ENDED):
            start = local(2026, 1, 3, 9) + timedelta(days=n)
            status = S.APPROVED if status == ENDED else status
        event = make_event(start=start, status=status, title=f"新活动{n}",
                           host_id=self.a, **kw)  # fmt: skip
        db.session.commit()
        return event.id

    def fresh_repeating(self, status=S.DRAFT) -> tuple[int, str]:
        """A weekly event of A and the key of its second occurrence."""
        event_id = self.fresh_event(status, rrule="FREQ=WEEKLY;COUNT=3")
        start = db.session.get(Event, event_id).start_at + timedelta(weeks=1)
        return event_id, start.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")

    def _application(self, society: int, year: int, note: str = "", dates=()) -> int:
        app = HostApplication(
            society_id=society, series_id=self.plan_series.id, year=year,
            preferred_months=[5], preferred_dates=list(dates), unavailable_dates=[],
            speaker_ids=[], note=note,
        )  # fmt: skip
        db.session.add(app)
        db.session.commit()
        return app.id

    def fresh_application(self) -> int:
        return self._application(self.a, 2040 + self._next())

    def _feed_token(self, user) -> tuple[str, int]:
        row, plain = FeedToken.issue(user, "日历")
        db.session.add(row)
        db.session.commit()
        return plain, row.id

    def fresh_feed_token(self, who: str) -> int:
        return self._feed_token(self.user(who))[1]

    def fresh_plan(self, accepted: bool = False) -> int:
        """A one-session plan for A in the hall on a day of its own."""
        start = local(2027, 6, 1, 14, 30) + timedelta(days=self._next())
        plan = Plan(
            year=2027, series_slugs=["authz-accept"], time_limit=5,
            solver_status=SolverStatus.OPTIMAL, objective=0, best_bound=0, gap=0,
        )  # fmt: skip
        plan.sessions.append(
            PlanSession(
                series_id=self.accept_series.id,
                start_at=start,
                end_at=start + timedelta(hours=2),
                venue_id=self.hall,
                host_id=self.a,
                explanation=[],
            )
        )
        db.session.add(plan)
        db.session.commit()
        if accepted:
            accept_plan(plan, self.organizer)
        return plan.id


_SNAPSHOT: dict = {}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (what a refused request must leave as it was)."""
    if not _SNAPSHOT:
        for table in db.metadata.sorted_tables:
            if table.name == "sign_in_failures":
                continue  # a refused sign-in is counted there (the lock-out), on purpose
            # Using a token stamps it (at most once a minute): not a change of state.
            columns = [c for c in table.c if c is not ApiToken.__table__.c.last_used_at]
            _SNAPSHOT[table.name] = sa.select(*columns).order_by(*table.primary_key.columns)
    connection = db.session.connection()
    return {name: [tuple(r) for r in connection.execute(s)] for name, s in _SNAPSHOT.items()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# --- request builders ----------------------------------------------------------------------


def get(path: str | Callable[["World"], str]) -> Build:
    return lambda w, who, allowed: Call("GET", path(w) if callable(path) else path)


def post(path: str, form: dict | None = None, own_session: bool = False) -> Build:
    """A form with fixed fields."""
    return lambda w, who, allowed: Call("POST", path, form=form or {}, own_session=own_session)


def on(path: str, fresh: Callable[["World", str], int], shared: str, method: str = "POST",
       form: dict | None = None, json: dict | None = None) -> Build:  # fmt: skip
    """A request about one object (its id fills ``{}``): a fresh one for the principals that
    may change it, the world's shared one (attribute ``shared``) for those refused."""

    def build(w, who, allowed):
        target = fresh(w, who) if allowed else getattr(w, shared)
        return Call(method, path.format(target), form=form, json=json)

    return build


def new(status=S.DRAFT) -> Callable[["World", str], int]:
    return lambda w, who: w.fresh_event(status)


def new_plan(accepted: bool = False) -> Callable[["World", str], int]:
    return lambda w, who: w.fresh_plan(accepted)


def new_application(w, who) -> int:
    return w.fresh_application()


def new_feed_link(w, who) -> int:
    return w.fresh_feed_token(who)


def event_form(title: str, host: str = "authz-a", day: str = "2028-06-01") -> dict:
    return {
        "title": title, "kind": "forum", "host": host, "venue": "", "repeat": "",
        "start": f"{day}T09:00", "end": f"{day}T11:00", "expected_attendance": "50",
    }  # fmt: skip


def event_body(host: str, day: str = "2028-06-02") -> dict:
    return {"title": "接口活动", "kind": "forum", "host": host,
            "start": f"{day}T09:00", "end": f"{day}T11:00"}  # fmt: skip


def ics(n: int) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//authz//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:authz-import-{n}@example.org\r\nDTSTAMP:20261101T000000Z\r\n"
        f"DTSTART:2029010{n % 9 + 1}T060000Z\r\nDTEND:2029010{n % 9 + 1}T080000Z\r\n"
        f"SUMMARY:导入活动{n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def import_file(w, who, allowed) -> Call:
    form = {"society": "authz-b", "file": (io.BytesIO(ics(w._next())), "import.ics")}
    return Call("POST", "/admin/import", form=form)


def bulk_approve(w, who, allowed) -> Call:
    event = w.fresh_event(S.SUBMITTED) if allowed else w.submitted_a
    return Call("POST", "/admin/approvals/bulk", form={"event": [str(event)], "reason": ""})


def apply_page(w, who, allowed) -> Call:
    form = {"series": "authz-series", "year": str(2040 + w._next()), "months": ["5"]}
    if who == "organizer":
        form["society"] = "authz-b"
    return Call("POST", "/portal/applications", form=form)


def apply_api(society: str | None = None) -> Build:
    """Apply to host (a year of its own each time); organizers name a society."""

    def build(w, who, allowed):
        body = {"series": "authz-series", "year": 2040 + w._next()}
        if society or who == "organizer":
            body["society"] = society or "authz-b"
        return Call("POST", "/api/v1/applications", json=body)

    return build


def change_occurrence(status, shared: str) -> Build:
    """Cancel the second session of a weekly event of A."""

    def build(w, who, allowed):
        if allowed:
            event, key = w.fresh_repeating(status)
        else:
            event = getattr(w, shared)
            start = db.session.get(Event, event).start_at + timedelta(weeks=1)
            key = start.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        path = f"/api/v1/events/{event}/occurrences/{key}"
        return Call("PATCH", path, json={"cancelled": True})

    return build


def portal_occurrence(status, shared: str) -> Build:
    """The same through the portal's page of dates (a form)."""

    def build(w, who, allowed):
        path = change_occurrence(status, shared)(w, who, allowed).path
        return Call("POST", path.replace("/api/v1/", "/portal/"), form={"op": "cancel"})

    return build


# --- checks on the body --------------------------------------------------------------------


def shows(marker: str, *who_sees: str) -> Check:
    """The body contains ``marker`` exactly for ``who_sees``."""

    def check(w, who, response):
        present = marker in response.get_data(as_text=True)
        if present != (who in who_sees):
            return f"{marker} {'shown' if present else 'missing'}"
        return None

    return check


def created_for(organizer_host: str) -> Check:
    """A new event is hosted by the editor's own society whatever the request said; an
    organizer's by the society it named."""

    def check(w, who, response):
        if response.status_code not in (201, 302) or who == "anonymous":
            return None
        if response.status_code == 302:
            event_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        else:
            event_id = response.get_json()["id"]
        host = db.session.get(Event, event_id).host.slug
        expected = organizer_host if who == "organizer" else w.society(who)
        return None if host == expected else f"created for {host}, not {expected}"

    return check


def refused_preview(w, who, response):
    """The live check answers B with an error and no findings about A's draft."""
    body = response.get_json(silent=True) or {}
    if who == "editor_b" and (body.get("findings") or "error" not in body):
        return f"B previewed A's draft: {body}"
    return None


# --- the matrix ----------------------------------------------------------------------------
# (anonymous, editor of A, editor of B, organizer)
SIGNED_IN = (LOGIN, ok(), ok(), ok())
A_SIDE = (LOGIN, ok(), FORBIDDEN, ok())  # A's editors and organizers
API_SIGNED_IN = (UNAUTHORIZED, ok(), ok(), ok())
API_A_SIDE = (UNAUTHORIZED, ok(), FORBIDDEN, ok())
MANAGE = (LOGIN, TO_EVENT, FORBIDDEN, TO_EVENT)  # portal changes to one of A's events
# After a decision in the portal the organizer goes on to the next event of the approval
# queue, or back to the queue when it is empty.
TO_NEXT_IN_QUEUE = ok(302, r"/portal/events/\d+|/admin/approvals")
DECIDE = (LOGIN, BACK_TO_EVENT, FORBIDDEN, TO_NEXT_IN_QUEUE)  # organizers' decisions
API_DECIDE = API_ORGANIZERS_ONLY
NO_REASON = {"reason": ""}


def to(path: str) -> tuple[Expect, ...]:
    """Organizers only; they are sent on to ``path``."""
    return (LOGIN, FORBIDDEN, FORBIDDEN, ok(302, path))


def everyone(path: str) -> tuple[Expect, ...]:
    """Any signed-in principal, sent on to ``path``."""
    return (LOGIN, *(ok(302, path),) * 3)


# One row per request; several rows may share a route. Hand-aligned, so not formatted.
# fmt: off
ROWS = [
    # Public pages and feeds: open to all; unpublished events are missing for everyone.
    Row("public.calendar", "GET", get("/?view=week&week=2027-03-08"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("public.event_page", "GET", get(lambda w: f"/events/{w.approved_a}"), ALL_OK),
    Row("public.event_page", "GET", get(lambda w: f"/events/{w.draft_a}"), (MISSING,) * 4),
    Row("public.event_page", "GET", get(lambda w: f"/events/{w.submitted_a}"), (MISSING,) * 4),
    # Sharing: QR codes, share cards and the embeddable list show published events only.
    Row("share.event_qr", "GET", get(lambda w: f"/events/{w.approved_a}/qr.svg"), ALL_OK),
    Row("share.event_qr", "GET", get(lambda w: f"/events/{w.draft_a}/qr.svg"), (MISSING,) * 4),
    Row("share.event_card", "GET", get(lambda w: f"/events/{w.approved_a}/card.png"), ALL_OK),
    Row("share.event_card", "GET", get(lambda w: f"/events/{w.submitted_a}/card.png"),
        (MISSING,) * 4),
    Row("share.qr", "GET", get("/qr.svg?url=http://127.0.0.1:5000/feeds/societies/authz-a.ics"),
        ALL_OK),
    Row("share.qr", "GET", get("/qr.svg?url=https://elsewhere.example/calendar.ics"), (BAD,) * 4),
    Row("share.embed", "GET", get("/embed?society=authz-a&from=2027-03-01"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("public.healthz", "GET", get("/healthz"), ALL_OK),
    # Search finds published events only, whoever asks (the API's ?q= follows visibility.py).
    Row("public.search", "GET", get("/search?q=甲学会"), ALL_OK, shows(PUBLIC, *PRINCIPALS)),
    # The directory's public pages; drafts stay hidden, a draft's speaker has no page.
    Row("public.society_page", "GET", get("/societies/authz-a"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("public.venue_page", "GET", get("/venues/authz-hall"), ALL_OK),
    Row("public.series_page", "GET", get("/series/authz-series"), ALL_OK),
    Row("public.speaker_page", "GET", get("/speakers/authz-speaker"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("public.speaker_page", "GET", get("/speakers/authz-unheard"), (MISSING,) * 4),
    Row("public.society_index", "GET", get("/societies"), ALL_OK),
    Row("public.venue_index", "GET", get("/venues"), ALL_OK),
    Row("public.series_index", "GET", get("/series"), ALL_OK),
    Row("public.speaker_index", "GET", get("/speakers"), ALL_OK,
        shows("authz-speaker", *PRINCIPALS)),
    Row("favicon", "GET", get("/favicon.ico"), ALL_OK),
    Row("feeds.calendar", "GET", get("/calendar.ics"), ALL_OK, shows(PUBLIC, *PRINCIPALS)),
    Row("feeds.scoped", "GET", get("/feeds/societies/authz-a.ics"), ALL_OK),
    Row("feeds.scoped", "GET", get("/feeds/speakers/authz-speaker.ics"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("feeds.scoped", "GET", get("/feeds/speakers/authz-unheard.ics"), (MISSING,) * 4),
    Row("feeds.scoped", "GET", get("/feeds/societies/authz-a.ics?status=draft"), (BAD,) * 4),
    Row("feeds.by_kind", "GET", get("/feeds/kinds/forum.ics"), ALL_OK),
    Row("feeds.one_event", "GET", get(lambda w: f"/events/{w.approved_a}.ics"), ALL_OK),
    Row("feeds.one_event", "GET", get(lambda w: f"/events/{w.draft_a}.ics"), (MISSING,) * 4),
    # The secret URL is the credential: whoever holds it reads it; revoked, it is gone.
    Row("feeds.private", "GET", get(lambda w: f"/feeds/private/{w.feed_a}.ics"), ALL_OK,
        shows(SECRETS["submitted"], *PRINCIPALS)),
    Row("feeds.private", "GET", get(lambda w: f"/feeds/private/{w.revoked_feed}.ics"),
        (MISSING,) * 4),
    # Signing in and out (on throw-away browsers: these change who is signed in).
    Row("accounts.login", "GET", get("/login"), ALL_OK),
    Row("accounts.login", "POST",
        post("/login", {"email": "nobody@authz.example", "password": "wrong-password"}),
        (Expect(401, True),) * 4),
    Row("accounts.login", "POST",
        post("/login", {"email": EMAILS["editor_a"], "password": PASSWORD}, own_session=True),
        (ok(302, "/portal/"),) * 4),
    Row("accounts.logout", "POST", post("/logout", own_session=True),
        (LOGIN, ok(302, "/"), ok(302, "/"), ok(302, "/"))),
    # The portal: signed-in users; an event is managed by its host's editors and organizers.
    Row("portal.my_events", "GET", get("/portal/"), SIGNED_IN,
        shows(SECRETS["draft"], "editor_a", "organizer")),
    Row("portal.new_event", "GET", get("/portal/events/new"), SIGNED_IN),
    Row("portal.new_event", "POST", post("/portal/events/new", event_form("门户新活动")),
        (LOGIN, TO_EVENT, TO_EVENT, TO_EVENT), created_for("authz-a")),
    Row("portal.edit_event", "GET", get(lambda w: f"/portal/events/{w.draft_a}/edit"), A_SIDE),
    Row("portal.edit_event", "POST",
        on("/portal/events/{}/edit", new(), "draft_a", form=event_form("改过的标题")), MANAGE),
    Row("portal.event_page", "GET", get(lambda w: f"/portal/events/{w.draft_a}"), A_SIDE),
    Row("portal.event_page", "GET", get(lambda w: f"/portal/events/{w.submitted_a}"), A_SIDE),
    Row("portal.act", "POST", on("/portal/events/{}/submit", new(), "draft_a", form=NO_REASON),
        MANAGE),
    Row("portal.act", "POST",
        on("/portal/events/{}/withdraw", new(S.SUBMITTED), "submitted_a", form=NO_REASON),
        MANAGE),
    Row("portal.act", "POST",
        on("/portal/events/{}/approve", new(S.SUBMITTED), "submitted_a", form=NO_REASON),
        DECIDE),
    Row("portal.act", "POST",
        on("/portal/events/{}/reject", new(S.SUBMITTED), "submitted_a", form={"reason": "否"}),
        DECIDE),
    Row("portal.act", "POST",
        on("/portal/events/{}/request_changes", new(S.SUBMITTED), "submitted_a",
           form={"reason": "请修改"}),
        DECIDE),
    Row("portal.act", "POST",
        on("/portal/events/{}/cancel", new(S.APPROVED), "approved_a", form={"reason": "台风"}),
        MANAGE),
    Row("portal.act", "POST", on("/portal/events/{}/publish", new(), "draft_a", form={}),
        (LOGIN, MISSING, MISSING, MISSING)),
    Row("portal.check", "POST", post("/portal/check", event_form("预检")), SIGNED_IN),
    Row("portal.occurrences", "GET",
        get(lambda w: f"/portal/events/{w.repeating_draft_a}/occurrences"), A_SIDE),
    Row("portal.change_occurrence", "POST", portal_occurrence(S.DRAFT, "repeating_draft_a"),
        (LOGIN, TO_DATES, FORBIDDEN, TO_DATES)),
    Row("portal.change_occurrence", "POST", portal_occurrence(S.APPROVED, "repeating_approved_a"),
        (LOGIN, CONFLICT, FORBIDDEN, TO_DATES)),
    # Adding a speaker from the event form: any signed-in user, back to the form with it.
    Row("portal.new_speaker", "GET", get("/portal/speakers/new"), SIGNED_IN),
    Row("portal.new_speaker", "POST",
        post("/portal/speakers/new", {"name": "矩阵讲者", "affiliation": "授权大学"}),
        everyone("/portal/events/new")),
    # B may not preview a change to A's draft: an error in the JSON, and no findings.
    Row("portal.check", "POST",
        lambda w, who, allowed: Call(
            "POST", "/portal/check", form={**event_form("预检"), "event_id": str(w.draft_a)}
        ),
        (LOGIN, ok(), Expect(200, True), ok()), refused_preview),
    Row("portal.feeds", "GET", get("/portal/feeds"), SIGNED_IN),
    Row("portal.create_feed", "POST", post("/portal/feeds", {"name": "我的日历"}),
        everyone("/portal/feeds")),
    # A feed link is revoked by its owner only (organizers too: it is not theirs).
    Row("portal.revoke_feed", "POST",
        on("/portal/feeds/{}/revoke", new_feed_link, "feed_a_id", form={}),
        (LOGIN, ok(302, "/portal/feeds"), MISSING, MISSING)),
    Row("portal.attendance", "GET", get(lambda w: f"/portal/events/{w.completed_a}/attendance"),
        A_SIDE),
    Row("portal.attendance", "POST",
        on("/portal/events/{}/attendance", new(S.COMPLETED), "completed_a",
           form={"actual_attendance": "120"}),
        MANAGE),
    Row("planner.applications_page", "GET", get("/portal/applications?year=2027"), SIGNED_IN,
        shows(SECRET_DATE, "editor_a", "organizer")),
    Row("planner.applications_page", "POST", apply_page, everyone("/portal/applications")),
    Row("planner.withdraw_application", "POST",
        on("/portal/applications/{}/withdraw", new_application, "application_a", form={}),
        (LOGIN, ok(302, "/portal/applications"), MISSING, ok(302, "/portal/applications"))),
    # A society's record: its own editors and organizers.
    Row("quotas.society_record", "GET", get("/societies/authz-a/record?year=2027"), A_SIDE),
    Row("quotas.society_record", "GET", get("/societies/authz-b/record?year=2027"),
        (LOGIN, FORBIDDEN, ok(), ok())),
    # Organizers' pages.
    Row("admin.approvals", "GET", get("/admin/approvals"), ORGANIZERS_ONLY),
    Row("admin.bulk_approve", "POST", bulk_approve, to("/admin/approvals")),
    Row("admin.import_calendar", "GET", get("/admin/import"), ORGANIZERS_ONLY),
    Row("admin.import_calendar", "POST", import_file, ORGANIZERS_ONLY),
    Row("jobs.jobs_page", "GET", get("/admin/jobs"), ORGANIZERS_ONLY),
    Row("jobs.run_now", "POST", post("/admin/jobs/quota_digest/run"), to("/admin/jobs")),
    Row("notifications.outbox", "GET", get("/admin/outbox"), ORGANIZERS_ONLY),
    Row("notifications.attachment", "GET", get(lambda w: f"/admin/outbox/{w.outbox}/attachment"),
        ORGANIZERS_ONLY),
    Row("planner.planner", "GET", get("/admin/planner?year=2027"), ORGANIZERS_ONLY),
    Row("planner.show_plan", "GET", get(lambda w: f"/admin/planner/plans/{w.plan}"),
        ORGANIZERS_ONLY),
    Row("planner.run", "POST",
        post("/admin/planner/run",
             {"year": "2027", "series": ["authz-series"], "time_limit": "5"}),
        to(r"/admin/planner/plans/\d+")),
    Row("planner.accept", "POST",
        on("/admin/planner/plans/{}/accept", new_plan(), "plan", form={}),
        to(r"/admin/planner/plans/\d+")),
    Row("planner.undo", "POST",
        on("/admin/planner/plans/{}/undo", new_plan(accepted=True), "accepted_plan", form={}),
        to(r"/admin/planner/plans/\d+")),
    Row("planner.settings", "GET", get("/admin/planner/settings"), ORGANIZERS_ONLY),
    Row("planner.settings", "POST",
        post("/admin/planner/settings",
             {"action": "add_closure", "venue": "authz-hall", "first_day": "2035-01-01",
              "last_day": "2035-01-02", "reason": "维修"}),
        to("/admin/planner/settings")),
    Row("quotas.dashboard", "GET", get("/admin/quotas?year=2027"), ORGANIZERS_ONLY),
    Row("quotas.export_csv", "GET", get("/admin/quotas/export.csv?year=2027"), ORGANIZERS_ONLY),
    Row("quotas.export_xlsx", "GET", get("/admin/quotas/export.xlsx?year=2027"),
        ORGANIZERS_ONLY),
    Row("quotas.settings", "GET", get("/admin/quotas/settings"), ORGANIZERS_ONLY),
    Row("quotas.update_series", "POST",
        post("/admin/quotas/series/authz-quota",
             {"target_min": "2", "target_max": "6", "max_per_host": "2"}),
        to("/admin/quotas/settings")),
    Row("quotas.update_campaign", "POST",
        post("/admin/quotas/campaigns/authz-campaign", {"participation_target": "40"}),
        to("/admin/quotas/settings")),
    Row("quotas.update_society", "POST",
        post("/admin/quotas/societies/authz-a", {"min_events_per_year": "3"}),
        to("/societies/authz-a/record")),
    # The API: published events and directories are public; the rest needs a token.
    Row("api.openapi_document", "GET", get("/api/v1/openapi.json"), ALL_OK),
    Row("api.directory.list_societies", "GET", get("/api/v1/societies"), ALL_OK),
    Row("api.directory.list_venues", "GET", get("/api/v1/venues"), ALL_OK),
    Row("api.directory.list_series", "GET", get("/api/v1/series"), ALL_OK),
    Row("api.directory.list_campaigns", "GET", get("/api/v1/campaigns"), ALL_OK),
    Row("api.events.list_events", "GET",
        get("/api/v1/events?from=2027-03-01&to=2027-03-31"), ALL_OK,
        shows(PUBLIC, *PRINCIPALS)),
    Row("api.events.list_events", "GET", get("/api/v1/events?status=draft&society=authz-a"),
        (BAD, ok(), ok(), ok()), shows(SECRETS["draft"], "editor_a", "organizer")),
    Row("api.events.show_event", "GET", get(lambda w: f"/api/v1/events/{w.approved_a}"), ALL_OK),
    Row("api.events.show_event", "GET", get(lambda w: f"/api/v1/events/{w.draft_a}"),
        (MISSING, ok(), MISSING, ok())),
    Row("api.events.show_event", "GET", get(lambda w: f"/api/v1/events/{w.changes_a}"),
        (MISSING, ok(), MISSING, ok())),
    Row("api.events.create", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/events", json=event_body(w.society(who))),
        (UNAUTHORIZED, ok(201), ok(201), ok(201)), created_for("authz-a")),
    Row("api.events.create", "POST", lambda w, who, allowed: Call(
        "POST", "/api/v1/events", json=event_body("authz-a")),
        (UNAUTHORIZED, ok(201), FORBIDDEN, ok(201))),
    Row("api.events.update", "PATCH",
        on("/api/v1/events/{}", new(), "draft_a", "PATCH", json={"title": "改名"}), API_A_SIDE),
    # Editors change drafts and events sent back to them; organizers may edit later ones.
    Row("api.events.update", "PATCH",
        on("/api/v1/events/{}", new(S.APPROVED), "approved_a", "PATCH", json={"title": "改名"}),
        (UNAUTHORIZED, CONFLICT, FORBIDDEN, ok())),
    Row("api.events.delete", "DELETE", on("/api/v1/events/{}", new(), "draft_a", "DELETE"),
        (UNAUTHORIZED, ok(204), FORBIDDEN, ok(204))),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/submit", new(), "draft_a", json=NO_REASON), API_A_SIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/withdraw", new(S.SUBMITTED), "submitted_a", json=NO_REASON),
        API_A_SIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/approve", new(S.SUBMITTED), "submitted_a", json=NO_REASON),
        API_DECIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/reject", new(S.SUBMITTED), "submitted_a", json={"reason": "否"}),
        API_DECIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/request-changes", new(S.SUBMITTED), "submitted_a",
           json={"reason": "请修改"}),
        API_DECIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/cancel", new(S.APPROVED), "approved_a", json={"reason": "台风"}),
        API_A_SIDE),
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/complete", new(ENDED), "ended_a", json={}), API_DECIDE),
    # Permission comes before state: only the organizer learns it has not ended yet.
    Row("api.events.transition", "POST",
        on("/api/v1/events/{}/complete", new(S.APPROVED), "approved_a", json={}),
        (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, CONFLICT)),
    Row("api.events.transition", "POST", on("/api/v1/events/{}/publish", new(), "draft_a", json={}),
        (MISSING,) * 4),
    Row("api.events.change_occurrence", "PATCH", change_occurrence(S.DRAFT, "repeating_draft_a"),
        API_A_SIDE),
    Row("api.events.change_occurrence", "PATCH",
        change_occurrence(S.APPROVED, "repeating_approved_a"),
        (UNAUTHORIZED, CONFLICT, FORBIDDEN, ok())),
    Row("api.events.check_conflicts", "POST", lambda w, who, allowed: Call(
        "POST", "/api/v1/conflicts/check", json=event_body(w.society(who))), API_SIGNED_IN),
    Row("api.events.check_conflicts", "POST", lambda w, who, allowed: Call(
        "POST", "/api/v1/conflicts/check", json={"id": w.draft_a, "title": "改"}), API_A_SIDE),
    Row("api.quotas.quotas", "GET", get("/api/v1/quotas?year=2027"), API_SIGNED_IN),
    Row("api.quotas.quotas", "GET", get("/api/v1/quotas?year=2027&society=authz-a"), API_A_SIDE),
    Row("api.planner.list_plans", "GET", get("/api/v1/plans?year=2027"), API_ORGANIZERS_ONLY),
    Row("api.planner.show_plan", "GET",
        get(lambda w: f"/api/v1/plans/{w.plan}"), API_ORGANIZERS_ONLY),
    Row("api.planner.create_plan", "POST", lambda w, who, allowed: Call(
        "POST", "/api/v1/plans", json={"year": 2027, "series": ["authz-series"], "time_limit": 5}),
        (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(201))),
    Row("api.planner.accept", "POST", on("/api/v1/plans/{}/accept", new_plan(), "plan"),
        API_ORGANIZERS_ONLY),
    Row("api.planner.undo", "POST", on("/api/v1/plans/{}/undo", new_plan(True), "accepted_plan"),
        API_ORGANIZERS_ONLY),
    Row("api.planner.apply_to_host", "POST",
        apply_api(), (UNAUTHORIZED, ok(201), ok(201), ok(201))),
    Row("api.planner.apply_to_host", "POST", apply_api("authz-a"),
        (UNAUTHORIZED, ok(201), FORBIDDEN, ok(201))),
    Row("api.planner.list_host_applications", "GET", get("/api/v1/applications?year=2027"),
        API_SIGNED_IN, shows(SECRET_NOTE, "editor_a", "organizer")),
    Row("api.planner.withdraw", "DELETE",
        on("/api/v1/applications/{}", new_application, "application_a", "DELETE"),
        (UNAUTHORIZED, ok(204), MISSING, ok(204))),
]


# --- the directory (societies, venues with closures, people): h1 ----------------------------
DIRECTORY_SHARED = {"societies": "authz-b", "venues": "authz-hall", "people": "authz-nobody"}


def new_directory_row(w, area: str) -> str:
    """A fresh society, venue or person (unused, so it may be changed or deleted)."""
    n = w._next()
    if area == "societies":
        row = make_society(slug=f"authz-soc-{n}", name=f"新学会{n}", city="珠海")
    elif area == "venues":
        row = make_venue(slug=f"authz-room-{n}", name=f"新场馆{n}", city="佛山")
    else:
        row = make_person(slug=f"authz-person-{n}", name=f"新专家{n}")
    db.session.commit()
    return row.slug


def on_directory(area: str, path: str, method: str = "POST", form=None, json=None) -> Build:
    """``path`` with ``{}`` = a fresh row's slug for allowed principals, a shared one else."""

    def build(w, who, allowed):
        slug = new_directory_row(w, area) if allowed else DIRECTORY_SHARED[area]
        return Call(method, path.format(slug), form=form, json=json)

    return build


def on_closure(path: str, method: str = "POST", form=None, json=None) -> Build:
    """``path`` with ``{venue}`` and ``{closure}``: a fresh venue's closure when allowed."""

    def build(w, who, allowed):
        if not allowed:  # refused before any look-up: no row needed
            return Call(method, path.format(venue="authz-hall", closure=999), form=form, json=json)
        slug = new_directory_row(w, "venues")
        venue = db.session.scalar(sa.select(Venue).where(Venue.slug == slug))
        closure = VenueClosure(venue=venue, first_day=date(2036, 1, 5), last_day=date(2036, 1, 6))
        db.session.add(closure)
        db.session.commit()
        return Call(method, path.format(venue=slug, closure=closure.id), form=form, json=json)

    return build


def fresh_person_page(w, who, allowed) -> Call:
    return Call("GET", f"/api/v1/people/{new_directory_row(w, 'people')}")


DIRECTORY_FORMS = {
    "societies": {"name": "表单学会", "kind": "city", "city": "珠海", "min_events_per_year": "2"},
    "venues": {"name": "表单场馆", "city": "佛山", "capacity": "80", "buffer_minutes": "15"},
    "people": {"name": "表单专家", "title": "教授", "scarce": "y", "monthly_limit": "2"},
}
API_CREATED = (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(201))
API_DELETED = (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(204))
DIRECTORY_ROWS = [
    Row("directory.index", "GET", get("/admin/directory"), ORGANIZERS_ONLY),
    Row("directory.list_rows", "GET", get("/admin/directory/societies?inactive=1&q=学会"),
        ORGANIZERS_ONLY),
    Row("directory.new_row", "GET", get("/admin/directory/venues/new"), ORGANIZERS_ONLY),
    Row("directory.edit_row", "GET", get("/admin/directory/venues/authz-hall"), ORGANIZERS_ONLY),
    Row("directory.add_closure", "POST",
        post("/admin/directory/venues/authz-hall/closures",
             {"first_day": "2037-02-01", "last_day": "2037-02-03", "reason": "检修"}),
        to("/admin/directory/venues/authz-hall")),
    Row("directory.edit_closure", "POST",
        on_closure("/admin/directory/venues/{venue}/closures/{closure}",
                   form={"first_day": "2036-01-05", "last_day": "2036-01-09", "reason": "延期"}),
        to(r"/admin/directory/venues/authz-[a-z0-9-]+")),
    Row("directory.delete_closure", "POST",
        on_closure("/admin/directory/venues/{venue}/closures/{closure}/delete", form={}),
        to(r"/admin/directory/venues/authz-[a-z0-9-]+")),
    Row("api.directory.list_people", "GET", get("/api/v1/people"), ALL_OK),
    Row("api.directory.show_person", "GET", fresh_person_page, ALL_OK),
    Row("api.venues.list_closures", "GET", get("/api/v1/venues/authz-hall/closures"), ALL_OK),
    Row("api.venues.create_closure", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/venues/authz-hall/closures", json={
            "first_day": f"2038-01-{w._next() % 28 + 1:02d}", "last_day": "2038-02-01"}),
        API_CREATED),
    Row("api.venues.update_closure", "PATCH",
        on_closure("/api/v1/venues/{venue}/closures/{closure}", "PATCH",
                   json={"reason": "改期"}),
        API_ORGANIZERS_ONLY),
    Row("api.venues.delete_closure", "DELETE",
        on_closure("/api/v1/venues/{venue}/closures/{closure}", "DELETE"), API_DELETED),
]
for _area, _one in (("societies", "society"), ("venues", "venue"), ("people", "person")):
    DIRECTORY_ROWS += [
        Row("directory.new_row", "POST",
            post(f"/admin/directory/{_area}/new", DIRECTORY_FORMS[_area]),
            to(rf"/admin/directory/{_area}/[a-z0-9-]+")),
        Row("directory.edit_row", "POST",
            on_directory(_area, f"/admin/directory/{_area}/{{}}",
                         form={**DIRECTORY_FORMS[_area], "name": "改名后的名称"}),
            to(rf"/admin/directory/{_area}/authz-[a-z0-9-]+")),
        Row("directory.set_active", "POST",
            on_directory(_area, f"/admin/directory/{_area}/{{}}/active",
                         form={"active": "false"}),
            to(rf"/admin/directory/{_area}/authz-[a-z0-9-]+")),
        Row("directory.delete_row", "POST",
            on_directory(_area, f"/admin/directory/{_area}/{{}}/delete", form={}),
            to(f"/admin/directory/{_area}")),
        Row(f"api.{_area}.create_{_one}", "POST",
            lambda w, who, allowed, _area=_area: Call(
                "POST", f"/api/v1/{_area}", json={**DIRECTORY_FORMS[_area], "name": "接口新建"}),
            API_CREATED),
        Row(f"api.{_area}.update_{_one}", "PATCH",
            on_directory(_area, f"/api/v1/{_area}/{{}}", "PATCH", json={"name": "接口改名"}),
            API_ORGANIZERS_ONLY),
        Row(f"api.{_area}.delete_{_one}", "DELETE",
            on_directory(_area, f"/api/v1/{_area}/{{}}", "DELETE"), API_DELETED),
    ]
ROWS += DIRECTORY_ROWS


# --- series and campaigns administration: h2 ------------------------------------------------
def new_series_or_campaign(w, area: str) -> str:
    """A fresh series or campaign that no event uses (it may be changed or deleted)."""
    n = w._next()
    if area == "series":
        row = make_series(slug=f"authz-ser-{n}", name=f"新系列{n}")
    else:
        row = make_campaign(slug=f"authz-camp-{n}", name=f"新活动{n}")
    db.session.commit()
    return row.slug


def on_series_or_campaign(area: str, path: str, method: str = "POST", form=None,
                          json=None) -> Build:
    """``path`` with ``{}`` = a fresh row's slug for organizers, a shared one for the others
    (refused before any look-up)."""

    def build(w, who, allowed):
        slug = new_series_or_campaign(w, area) if allowed else "authz-series"
        return Call(method, path.format(slug), form=form, json=json)

    return build


SERIES_FORM = {
    "name": "表单系列", "kind": "lecture", "target_min": "2", "target_max": "4",
    "max_per_host": "1", "min_spacing_days": "7", "duration_minutes": "120",
    "default_start_time": "19:00", "expected_attendance": "40", "color": "#225588",
    "host_mode": "applications", "cadence_rrule": "FREQ=MONTHLY;BYDAY=1TU",
}
CAMPAIGN_FORM = {"name": "表单活动周", "kind": "other", "start_date": "2037-05-10",
                 "end_date": "2037-05-16", "launch_at": "2037-05-10T09:00"}
SERIES_CAMPAIGN_ROWS = [
    Row("series_admin.list_series", "GET", get("/admin/series?inactive=1"), ORGANIZERS_ONLY),
    Row("series_admin.new_series", "GET", get("/admin/series/new"), ORGANIZERS_ONLY),
    Row("series_admin.new_series", "POST", post("/admin/series/new", SERIES_FORM),
        to(r"/admin/series/[a-z0-9-]+")),
    Row("series_admin.edit_series", "GET", get("/admin/series/authz-series"), ORGANIZERS_ONLY),
    Row("series_admin.edit_series", "POST",
        on_series_or_campaign("series", "/admin/series/{}",
                              form={**SERIES_FORM, "name": "改名后的系列"}),
        to(r"/admin/series/authz-ser-[0-9]+")),
    Row("series_admin.set_active", "POST",
        on_series_or_campaign("series", "/admin/series/{}/active", form={"active": "false"}),
        to(r"/admin/series/authz-ser-[0-9]+")),
    Row("series_admin.delete_series", "POST",
        on_series_or_campaign("series", "/admin/series/{}/delete", form={}),
        to("/admin/series")),
    Row("campaigns_admin.list_campaigns", "GET", get("/admin/campaigns"), ORGANIZERS_ONLY),
    Row("campaigns_admin.new_campaign", "GET", get("/admin/campaigns/new"), ORGANIZERS_ONLY),
    Row("campaigns_admin.new_campaign", "POST", post("/admin/campaigns/new", CAMPAIGN_FORM),
        to(r"/admin/campaigns/[a-z0-9-]+")),
    Row("campaigns_admin.edit_campaign", "GET",
        on_series_or_campaign("campaign", "/admin/campaigns/{}", "GET"), ORGANIZERS_ONLY),
    Row("campaigns_admin.edit_campaign", "POST",
        on_series_or_campaign("campaign", "/admin/campaigns/{}",
                              form={**CAMPAIGN_FORM, "name": "改名后的活动"}),
        to(r"/admin/campaigns/authz-camp-[0-9]+")),
    Row("campaigns_admin.delete_campaign", "POST",
        on_series_or_campaign("campaign", "/admin/campaigns/{}/delete", form={}),
        to("/admin/campaigns")),
    Row("api.series.create_series", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/series", json={**SERIES_FORM,
                                                                     "name": "接口系列"}),
        API_CREATED),
    Row("api.series.update_series", "PATCH",
        on_series_or_campaign("series", "/api/v1/series/{}", "PATCH", json={"target_max": 6}),
        API_ORGANIZERS_ONLY),
    Row("api.series.delete_series", "DELETE",
        on_series_or_campaign("series", "/api/v1/series/{}", "DELETE"), API_DELETED),
    Row("api.campaigns.create_campaign", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/campaigns", json={**CAMPAIGN_FORM,
                                                                        "name": "接口活动"}),
        API_CREATED),
    Row("api.campaigns.update_campaign", "PATCH",
        on_series_or_campaign("campaign", "/api/v1/campaigns/{}", "PATCH",
                              json={"theme": "新主题"}),
        API_ORGANIZERS_ONLY),
    Row("api.campaigns.delete_campaign", "DELETE",
        on_series_or_campaign("campaign", "/api/v1/campaigns/{}", "DELETE"), API_DELETED),
]
ROWS += SERIES_CAMPAIGN_ROWS


# --- users, one-time links and API tokens: h3 ----------------------------------------------


def fresh_invited(w) -> tuple[int, str]:
    """A user invited to A (no password yet) and the token of their one-time link."""
    from scheduler.accounts.service import invite_user

    user, url = invite_user({"email": f"invited{w._next()}@authz.example", "role": "editor",
                             "society": "authz-a"}, None)
    db.session.commit()
    return user.id, url.rsplit("/", 1)[1]


def fresh_api_token(w, who: str) -> int:
    row, _plain = ApiToken.issue(w.user(who), "新令牌")
    db.session.add(row)
    db.session.commit()
    return row.id


def first_token_of(w, who: str) -> int:
    """The principal's own bearer token (read only: refused rows aim at it)."""
    user = w.user(who).id
    return db.session.scalar(sa.select(sa.func.min(ApiToken.id)).where(ApiToken.user_id == user))


def on_user(path: str, method: str = "POST", form=None, json=None) -> Build:
    """``path`` with ``{}`` = a fresh invited user for allowed principals, A's editor else."""

    def build(w, who, allowed):
        target = fresh_invited(w)[0] if allowed else w.editor_a.id
        return Call(method, path.format(target), form=form, json=json)

    return build


def on_link(method: str, form=None) -> Build:
    return lambda w, who, allowed: Call(method, f"/account/set-password/{fresh_invited(w)[1]}",
                                        form=form)


def spent_link(w, who, allowed) -> Call:
    """A link already used to set a password (its GET answers 410 for everyone)."""
    from scheduler.accounts.service import set_password_with_link

    token = fresh_invited(w)[1]
    set_password_with_link(token, "authz-password", "authz-password")
    db.session.commit()
    return Call("GET", f"/account/set-password/{token}")


def invite_form(w, who, allowed) -> Call:
    return Call("POST", "/admin/users", form={"email": f"new{w._next()}@authz.example",
                                              "role": "editor", "society": "authz-b"})


def revoke_own_token(path: str, method: str) -> Build:
    def build(w, who, allowed):
        target = fresh_api_token(w, who) if allowed else first_token_of(w, "editor_a")
        return Call(method, path.format(target), form={} if method == "POST" else None)

    return build


NEW_PASSWORD = {"password": "authz-password", "confirmation": "authz-password"}


def change_own_password(w, who, allowed) -> Call:
    """To the same password, in a session of its own. That signs the principal's usual
    browser out (a new hash), so it signs in afresh at its next request."""
    if who != "anonymous":
        w.clients.pop(who, None)
        w.csrf.pop(who, None)
    form = {"current": PASSWORD, "password": PASSWORD, "confirmation": PASSWORD}
    return Call("POST", "/account/password", form=form, own_session=True)
OWN_ONLY = (LOGIN, ok(302, "/account/tokens"), MISSING, MISSING)
ACCOUNT_ROWS = [
    Row("accounts.forgot", "GET", get("/account/forgot"), ALL_OK),
    # An unknown address: the usual answer, and nothing written.
    Row("accounts.forgot", "POST", post("/account/forgot", {"email": "nobody@authz.example"}),
        (Expect(200, True),) * 4),
    Row("accounts.forgot", "POST", post("/account/forgot", {"email": EMAILS["editor_a"]}),
        ALL_OK),
    # The link is the credential: whoever holds it may use it, signed in or not.
    Row("accounts.set_password", "GET", on_link("GET"), ALL_OK),
    Row("accounts.set_password", "POST", on_link("POST", NEW_PASSWORD), (ok(302, "/login"),) * 4),
    Row("accounts.set_password", "GET", spent_link, (Expect(410),) * 4),
    Row("accounts.users", "GET", get("/admin/users"), ORGANIZERS_ONLY),
    Row("accounts.invite", "POST", invite_form, to("/admin/users")),
    Row("accounts.update", "POST", on_user("/admin/users/{}", form={"name": "改名"}),
        to("/admin/users")),
    Row("accounts.resend", "POST", on_user("/admin/users/{}/invitation", form={}),
        to("/admin/users")),
    Row("accounts.set_active", "POST", on_user("/admin/users/{}/active", form={"active": "0"}),
        to("/admin/users")),
    Row("accounts.tokens", "GET", get("/account/tokens"), SIGNED_IN),
    Row("accounts.change_password", "GET", get("/account/password"), SIGNED_IN),
    # A wrong current password: refused, nothing changed (the attempt is counted).
    Row("accounts.change_password", "POST", post("/account/password", {
        "current": "not-the-password", **NEW_PASSWORD}), (LOGIN, BAD, BAD, BAD)),
    Row("accounts.change_password", "POST", change_own_password,
        (LOGIN, *(ok(302, "/account/password"),) * 3)),
    Row("accounts.create_token", "POST", post("/account/tokens", {"name": "脚本"}), SIGNED_IN),
    Row("accounts.revoke_token", "POST", revoke_own_token("/account/tokens/{}/revoke", "POST"),
        OWN_ONLY),
    Row("api.accounts.list_users", "GET", get("/api/v1/users"), API_ORGANIZERS_ONLY),
    Row("api.accounts.invite_user", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/users", json={
        "email": f"api{w._next()}@authz.example", "role": "editor", "society": "authz-b"}),
        (UNAUTHORIZED, FORBIDDEN, FORBIDDEN, ok(201))),
    Row("api.accounts.update_user", "PATCH",
        on_user("/api/v1/users/{}", "PATCH", json={"name": "改名"}),
        API_ORGANIZERS_ONLY),
    Row("api.accounts.resend_invitation", "POST", on_user("/api/v1/users/{}/invitation", json={}),
        API_ORGANIZERS_ONLY),
    Row("api.accounts.list_tokens", "GET", get("/api/v1/tokens"), API_SIGNED_IN),
    Row("api.accounts.create_token", "POST",
        lambda w, who, allowed: Call("POST", "/api/v1/tokens", json={"name": "接口"}),
        (UNAUTHORIZED, ok(201), ok(201), ok(201))),
    Row("api.accounts.revoke_token", "DELETE", revoke_own_token("/api/v1/tokens/{}", "DELETE"),
        (UNAUTHORIZED, ok(204), MISSING, MISSING)),
]
ROWS += ACCOUNT_ROWS


# --- bulk directory import: h4 ------------------------------------------------------------------
def import_directory(w, who, allowed) -> Call:
    sheet = f"名称,类型,城市\n矩阵导入学会{w._next()},市级科协,襄阳\n".encode()
    form = {"action": "import", "file": (io.BytesIO(sheet), "societies.csv")}
    return Call("POST", "/admin/directory/import", form=form)


ROWS += [
    Row("directory_import.upload", "GET", get("/admin/directory/import"), ORGANIZERS_ONLY),
    Row("directory_import.upload", "POST", import_directory, ORGANIZERS_ONLY),
    Row("directory_import.template_workbook", "GET",
        get("/admin/directory/import/template.xlsx"), ORGANIZERS_ONLY),
    Row("directory_import.template_sheet", "GET",
        get("/admin/directory/import/template/venues.csv"), ORGANIZERS_ONLY),
]  # fmt: skip


# --- a society's synced calendar: h4-sync -------------------------------------------------------
SYNC_URL = "http://localhost:9/authz.ics"  # loopback: a sync fails at once and sends nothing
SYNC_PAGE = "/societies/authz-a/calendar"
SYNC_API = "/api/v1/societies/authz-a/calendar-source"


def calendar_source(method: str, path: str, present: bool, form=None, json=None) -> Build:
    """Allowed principals find A's synced calendar registered (or not) before the request."""

    def build(w, who, allowed):
        if allowed:
            found = db.session.scalar(
                sa.select(CalendarSource).where(CalendarSource.society_id == w.a)
            )
            if present and found is None:
                db.session.add(CalendarSource(society_id=w.a, url=SYNC_URL, last_report={}))
            elif not present and found is not None:
                db.session.delete(found)
            db.session.commit()
        return Call(method, path, form=form, json=json)

    return build


TO_SYNC_PAGE = (LOGIN, ok(302, SYNC_PAGE), FORBIDDEN, ok(302, SYNC_PAGE))
ROWS += [
    Row("calendar_sync.page", "GET", calendar_source("GET", SYNC_PAGE, True), A_SIDE),
    Row("calendar_sync.save", "POST",
        calendar_source("POST", SYNC_PAGE, False, form={"url": SYNC_URL, "mode": "draft"}),
        TO_SYNC_PAGE),
    Row("calendar_sync.sync_now", "POST",
        calendar_source("POST", SYNC_PAGE + "/sync", True, form={}), TO_SYNC_PAGE),
    Row("calendar_sync.delete", "POST",
        calendar_source("POST", SYNC_PAGE + "/delete", True, form={}), TO_SYNC_PAGE),
    Row("api.calendar_sync.show_calendar_source", "GET",
        calendar_source("GET", SYNC_API, True), API_A_SIDE),
    Row("api.calendar_sync.save_calendar_source", "PUT",
        calendar_source("PUT", SYNC_API, False, json={"url": SYNC_URL, "mode": "submit"}),
        (UNAUTHORIZED, ok(201), FORBIDDEN, ok(201))),
    Row("api.calendar_sync.delete_calendar_source", "DELETE",
        calendar_source("DELETE", SYNC_API, True),
        (UNAUTHORIZED, ok(204), FORBIDDEN, ok(204))),
    Row("api.calendar_sync.sync_calendar_source", "POST",
        calendar_source("POST", SYNC_API + "/sync", True, json={}), API_A_SIDE),
]  # fmt: skip
# fmt: on
SKIPPED_ENDPOINTS = {"static"}  # files, no authorization


def route_methods(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIPPED_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_and_method_is_in_the_matrix(app):
    routes = route_methods(app)
    covered = {(row.endpoint, row.method) for row in ROWS}
    assert not routes - covered, f"routes without expectations in ROWS: {sorted(routes - covered)}"
    assert not covered - routes, f"ROWS name routes that do not exist: {sorted(covered - routes)}"


# --- the matrix ----------------------------------------------------------------------------


def _mismatch(row: Row, who: str, expect: Expect, call: Call, response, w: World) -> str | None:
    problems = []
    if response.status_code != expect.status:
        problems.append(f"status {response.status_code}, expected {expect.status}")
    elif expect.to:
        location = urlsplit(response.headers.get("Location", "")).path
        if not re.fullmatch(expect.to, location):
            problems.append(f"redirect to {location!r}, expected {expect.to!r}")
    if row.check is not None:
        problem = row.check(w, who, response)
        if problem:
            problems.append(problem)
    if problems:
        body = response.get_data(as_text=True)[:200].replace("\n", " ")
        return f"{row.endpoint} {call.method} {call.path} as {who}: {'; '.join(problems)} | {body}"
    return None


@pytest.fixture
def tables(app):
    with counting_queries(db.engine) as statements:
        yield Tables(statements)


def test_authorization_matrix(app, tables):
    """Every row × principal: the exact status (and redirect target); a refused request
    that could change something (not a GET) leaves every table as it was."""
    w = World(app)
    mismatches, cells = [], 0
    for row in ROWS:
        for who, expect in zip(PRINCIPALS, row.expect, strict=True):
            call = row.build(w, who, not expect.refused)
            watch = expect.refused and row.method != "GET"
            before = tables.now() if watch else None
            response = w.send(who, call)
            cells += 1
            problem = _mismatch(row, who, expect, call, response, w)
            if problem:
                mismatches.append(problem)
            changed = changed_tables(before, tables.now()) if watch else None
            if changed:
                mismatches.append(
                    f"{row.endpoint} {call.method} {call.path} as {who} was refused "
                    f"but changed {changed}"
                )
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)
    assert cells == 4 * len(ROWS)


class Tables:
    """Every table's rows, read again only when a statement since the last reading could
    have changed one: a request that wrote nothing left the tables as they were."""

    def __init__(self, statements: list[str]):
        self.statements, self.rows, self.read_at = statements, None, 0

    def now(self) -> dict[str, list[tuple]]:
        if self.rows is None or _writes(self.statements[self.read_at :]):
            self.rows = snapshot()
            self.read_at = len(self.statements)
        return self.rows


def _writes(statements: list[str]) -> bool:
    """Whether any statement could have changed a row. A word anywhere counts (a CTE's
    UPDATE, SELECT … FOR UPDATE): at worst the tables are read once more."""
    return any(WRITES.search(s) for s in statements)


WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def test_the_matrix_sees_every_write_a_request_makes(app, tables):
    """The tables are read again only after a statement that could write: the counter must
    see the ORM's flushes and core statements on the app's engine, and the rows then differ."""
    before = tables.now()
    db.session.execute(sa.select(Venue.id).limit(1)).all()
    assert tables.now() is before  # a read is not read again
    society = make_society(name="写入检测学会")
    db.session.flush()
    after = tables.now()
    assert after is not before and changed_tables(before, after) == ["societies"]
    db.session.execute(sa.delete(Event).where(Event.host_id == society.id))
    assert tables.now() is not after
    db.session.rollback()


# --- nothing leaks -------------------------------------------------------------------------


def _text(response) -> str:
    # iCalendar folds long lines (CRLF + space); unfold before looking for a title.
    return response.get_data(as_text=True).replace("\r\n ", "")


def test_unpublished_events_of_a_never_reach_anonymous_callers_or_b(app):
    w = World(app)
    unpublished = [w.draft_a, w.submitted_a, w.changes_a, w.repeating_draft_a]
    in_march = "from=2027-03-01&to=2027-03-31"
    pages = [
        # (path, shows A's approved event: proves the window holds A's events)
        ("/", False),
        ("/?view=list&from=2027-03-01", True),
        ("/?view=week&week=2027-03-08", True),
        ("/?month=2027-03", True),
        ("/?view=week&week=2027-03-08&society=authz-a", True),
        ("/?from=2027-03-01&q=ZQ", True),
        ("/search?q=甲学会", True),  # every event A hosts holds its name
        ("/search?q=机密", False),
        ("/embed?from=2027-03-01&limit=50", True),
        ("/calendar.ics", True),
        ("/feeds/societies/authz-a.ics", True),
        ("/feeds/venues/authz-hall.ics", True),
        ("/feeds/kinds/forum.ics", True),
        ("/feeds/series/authz-series.ics", False),
        ("/feeds/campaigns/authz-campaign.ics", False),
        (f"/feeds/private/{w.feed_b}.ics", False),  # B's own private feed
        (f"/api/v1/events?{in_march}", True),
        (f"/api/v1/events?{in_march}&society=authz-a&per_page=500", True),
        ("/api/v1/events?q=ZQ&per_page=500", True),
        ("/api/v1/quotas?year=2027", False),
        ("/api/v1/applications?year=2027", False),
        ("/portal/", False),
        ("/portal/applications?year=2027", False),
        ("/societies/authz-b/record?year=2027", False),
        ("/societies/authz-a/record?year=2027", False),
        ("/admin/approvals", False),
    ]
    for event_id in unpublished:
        pages += [(f"/events/{event_id}", False), (f"/events/{event_id}.ics", False)]
        pages += [(f"/api/v1/events/{event_id}", False)]
    statuses = "draft,submitted,changes_requested,rejected,withdrawn"
    pages += [(f"/api/v1/events?status={statuses}&society=authz-a&per_page=500", False)]

    leaks, seen = [], 0
    secrets = [*SECRETS.values(), SECRET_NOTE, SECRET_DATE]
    for who in ("anonymous", "editor_b"):
        for path, public_control in pages:
            # B reads the API both with its token and with its browser session.
            ways = ["default", "session"] if path.startswith("/api/") else ["default"]
            for way in ways:
                call = Call("GET", path)
                if way == "session" and who != "anonymous":
                    response = w.client(who).get(path)
                else:
                    response = w.send(who, call)
                seen += 1
                body = _text(response)
                found = [s for s in secrets if s in body]
                if found:
                    leaks.append(f"{path} ({way}) as {who}: {response.status_code} shows {found}")
                if public_control and PUBLIC not in body:
                    leaks.append(f"{path} as {who}: the approved event is missing (bad window?)")
    # Conflict checks say what takes the slot: for B, not the title of A's pending filing.
    busy = {**event_body("authz-b"), "venue": "authz-hall", "start": BUSY[0], "end": BUSY[1]}
    for call in (
        Call("POST", "/api/v1/conflicts/check", json=busy),
        Call("POST", "/api/v1/events", json=busy),  # a draft comes back with its findings
        Call("POST", "/portal/check", form=busy),
    ):
        response = w.send("editor_b", call)
        rules = [f["rule"] for f in response.get_json()["findings"]]
        if "venue_overlap" not in rules:
            leaks.append(f"{call.path} as editor_b: no venue_overlap finding ({rules})")
        if SECRETS["submitted"] in _text(response):
            leaks.append(f"{call.path} as editor_b: names A's pending filing")
    assert not leaks, f"{len(leaks)} leaks in {seen} responses:\n" + "\n".join(leaks)

    # The controls: A's editors and organizers do see what the others must not.
    assert SECRETS["submitted"] in _text(
        w.send("editor_a", Call("GET", f"/feeds/private/{w.feed_a}.ics"))
    )
    assert SECRETS["submitted"] in _text(w.send("organizer", Call("GET", "/admin/approvals")))
    assert SECRETS["draft"] in _text(w.send("editor_a", Call("GET", "/portal/")))
    for who in ("editor_a", "organizer"):
        own = {**busy, "host": "authz-a"}
        response = w.send(who, Call("POST", "/api/v1/conflicts/check", json=own))
        assert SECRETS["submitted"] in _text(response), who


# --- CSRF ----------------------------------------------------------------------------------


def _form_cases() -> list[tuple[Row, str]]:
    """Per HTML form route (every non-API POST), its first row with a principal the app lets
    through, and that principal (anonymous for signing in: the login CSRF attack)."""
    cases = {}
    for row in ROWS:
        if row.api or row.method != "POST" or row.endpoint in cases:
            continue
        for who in ("anonymous", "organizer", "editor_a", "editor_b"):
            if not row.expect[PRINCIPALS.index(who)].refused:
                cases[row.endpoint] = (row, who)
                break
    return list(cases.values())


def test_every_form_route_has_a_csrf_case(app):
    forms = {e for e, m in route_methods(app) if m == "POST" and not e.startswith("api.")}
    assert {row.endpoint for row, _who in _form_cases()} == forms


@pytest.mark.parametrize("credential", ["session", "bearer"])
def test_every_form_needs_its_csrf_token(app, credential, tables):
    """A form posted without the token is a 400 and changes nothing, also for a principal
    the form would otherwise let through, and also with a bearer token instead of a cookie
    (the token authenticates pages too; it must not stand in for the CSRF token)."""
    w = World(app)
    problems = []
    for row, who in _form_cases():
        if credential == "bearer" and who == "anonymous":
            continue
        call = row.build(w, who, True)
        before = tables.now()
        response = w.send(who, call, with_csrf=False, auth=credential)
        if response.status_code != 400:
            problems.append(f"{row.endpoint} as {who}: {response.status_code}, expected 400")
        changed = changed_tables(before, tables.now())
        if changed:
            problems.append(f"{row.endpoint} as {who} without a CSRF token changed {changed}")
        if call.own_session and credential == "session":  # nobody was signed in, or out
            portal = w.last_client.get("/portal/").status_code
            if portal != (302 if who == "anonymous" else 200):
                problems.append(f"{row.endpoint} as {who} without a CSRF token: /portal/ {portal}")
    assert not problems, "\n".join(problems)


def test_api_writes_refuse_a_session_cookie(app, tables):
    """The API is exempt from CSRF, so only a bearer token may authorize a write: an
    organizer's browser session (no token, no CSRF token) is answered as an anonymous
    caller is (401) and changes nothing.
    The conflict check takes the session (the portal form asks while typing) but writes
    nothing."""
    w = World(app)
    browser = w.client("organizer")
    problems = []
    for row in ROWS:
        if not row.api or row.method == "GET":
            continue
        call = row.build(w, "organizer", True)
        before = tables.now()
        response = browser.open(call.path, method=call.method, json=call.json)
        # Without its token the organizer is anonymous to an API write.
        expected = 200 if row.endpoint == "api.events.check_conflicts" else row.expect[0].status
        if response.status_code != expected:
            problems.append(
                f"{call.method} {call.path}: {response.status_code}, expected {expected}"
            )
        changed = changed_tables(before, tables.now())
        if changed:
            problems.append(f"{call.method} {call.path} with a session cookie changed {changed}")
    assert not problems, "\n".join(problems)
