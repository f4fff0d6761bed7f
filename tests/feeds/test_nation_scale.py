"""Feeds at nation scale (issue #19): no statement grows with the events, a feed over
FEED_MAX_EVENTS is cut by a visible rule instead of failing, and only a lost database is
reported as unavailable."""

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from scheduler.enums import EventKind, EventStatus
from scheduler.errors import is_unavailable
from scheduler.events.models import Event
from scheduler.events.occurrences import sync_occurrences
from scheduler.extensions import db
from scheduler.feeds.build import vevent_bytes
from scheduler.feeds.service import FEEDS, FRAGMENTS
from scheduler.types import utcnow
from tests.bounded_params import MAX_PARAMETERS, analyze_event_tables, bounded_parameters
from tests.factories import make_society


@pytest.fixture(autouse=True)
def fresh_caches():
    FEEDS.clear()
    FRAGMENTS.clear()


def add_events(days: list[int], host, title: str) -> list[Event]:
    """Approved one-hour events ``days`` from now (negative: past), flushed together."""
    events = []
    for n, day in enumerate(days):
        start = utcnow().replace(microsecond=0) + timedelta(days=day, hours=n % 5)
        event = Event(
            title=f"{title}{n}",
            kind=EventKind.EXHIBITION,
            status=EventStatus.APPROVED,
            start_at=start,
            end_at=start + timedelta(hours=1),
            host=host,
        )
        sync_occurrences(event)
        events.append(event)
    db.session.add_all(events)
    db.session.commit()
    analyze_event_tables()
    return events


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    calendar = icalendar.Calendar.from_ical(response.data)
    return [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]


def test_a_cold_feed_of_many_events_sends_bounded_parameter_lists(client):
    host = make_society(name="内蒙古自治区草原学会", city="呼和浩特")
    add_events([3 + i % 90 for i in range(MAX_PARAMETERS + 5)], host, "草原展")
    with bounded_parameters(db.engine) as seen:
        response = client.get("/calendar.ics")
    assert len(titles(response)) == MAX_PARAMETERS + 5 and len(seen) <= 3
    assert "X-Feed-Truncated" not in response.headers


def test_a_feed_over_the_cap_keeps_the_upcoming_events_and_says_so(app, client):
    app.config["FEED_MAX_EVENTS"] = 5
    host = make_society(name="海南省海洋学会", city="海口")
    add_events([-200, -100, -30, -2], host, "往期")  # past, inside FEED_PAST_DAYS
    add_events([1, 40, 90, 300], host, "预告")
    response = client.get("/calendar.ics")
    # The four upcoming ones, then the latest past one, in date order.
    assert titles(response) == ["往期3", "预告0", "预告1", "预告2", "预告3"]
    assert response.headers["X-Feed-Truncated"] == "5"
    calendar = icalendar.Calendar.from_ical(response.data)
    description = str(calendar["X-WR-CALDESC"])
    assert "最多只含 5 场活动" in description and "http" in description  # where to go instead
    # The rule is stated where people subscribe too.
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "A feed holds at most 5 events" in page
    # A feed under the cap is whole and unmarked.
    app.config["FEED_MAX_EVENTS"] = 8
    FEEDS.clear()
    whole = client.get("/calendar.ics?lang=en")
    assert len(titles(whole)) == 8 and "X-Feed-Truncated" not in whole.headers


def test_one_change_rebuilds_one_event(client, monkeypatch):
    host = make_society(name="宁夏回族自治区水利学会", city="银川")
    events = add_events(list(range(2, 14)), host, "引黄")
    serialized = []

    def counted(event, *args):
        serialized.append(event.id)
        return vevent_bytes(event, *args)

    monkeypatch.setattr("scheduler.feeds.service.vevent_bytes", counted)
    assert len(titles(client.get("/calendar.ics"))) == 12 and len(serialized) == 12
    events[7].title = "引黄灌区改期"
    events[7].sequence += 1
    db.session.commit()
    changed = titles(client.get("/calendar.ics"))
    assert "引黄灌区改期" in changed and "引黄8" in changed and len(changed) == 12
    assert serialized[12:] == [events[7].id]  # the others come from the fragment cache


class Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


def db_error(message, sqlstate=None, statement="SELECT 1", invalidated=False, cls=None):
    cls = cls or sa.exc.OperationalError
    return cls(statement, {}, Orig(message, sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        # psycopg on a healthy connection: a bug in the statement, not an outage
        (db_error("number of parameters must be between 0 and 65535"), False),
        (db_error("too many SQL variables"), False),  # SQLite's words for the same
        (db_error('near "FORM": syntax error'), False),
        (db_error("column x does not exist", "42703", cls=sa.exc.ProgrammingError), False),
        # the database cannot be used now
        (db_error("server closed the connection unexpectedly", invalidated=True), True),
        (db_error("connection refused", statement=None), True),
        (db_error("terminating connection due to administrator command", "57P01"), True),
        (db_error("the database system is starting up", "57P03"), True),
        (db_error("sorry, too many clients already", "53300"), True),
        (db_error("canceling statement due to statement timeout", "57014"), True),
        (db_error("database is locked"), True),
    ],
)
def test_only_a_lost_database_counts_as_unavailable(exc, unavailable):
    assert is_unavailable(exc) is unavailable


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (db_error("number of parameters must be between 0 and 65535"), 500),
        (db_error("server closed the connection unexpectedly", invalidated=True), 503),
    ],
)
def test_a_refused_statement_is_a_500_and_an_outage_a_503(app, client, monkeypatch, exc, status):
    def fail(*args, **kwargs):
        raise exc

    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production
    monkeypatch.setattr("scheduler.feeds.views.build_feed", fail)
    response = client.get("/calendar.ics")
    assert response.status_code == status
    assert ("Retry-After" in response.headers) is (status == 503)


def test_the_one_event_download_reads_only_that_event(client, count_queries):
    host = make_society(name="西藏自治区天文学会", city="拉萨")
    shown, draft = add_events([5, 6], host, "纳木错观星")
    draft.status = EventStatus.DRAFT
    db.session.commit()
    with count_queries() as statements:
        response = client.get(f"/events/{shown.id}.ics")
    # The status look-up, the feed's rows and the event (get_event alone took ten).
    assert titles(response) == ["纳木错观星0"] and len(statements) <= 4, statements
    assert client.get(f"/events/{draft.id}.ics").status_code == 404
