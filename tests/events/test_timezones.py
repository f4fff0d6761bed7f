"""Repeating events keep their own time zone (issue #17): the rule repeats in the event's
wall time across changes of clocks, extra dates (RDATE) join it, and the API, the
occurrences table and the feed agree on the instants."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.feeds.service import FEEDS, FRAGMENTS
from scheduler.recurrence import RecurrenceError, expand
from tests.conftest import assert_matches_schema, bearer, sign_in
from tests.factories import make_event, make_society, make_user, make_venue

BERLIN = ZoneInfo("Europe/Berlin")  # clocks go forward on 2031-03-30
NEW_YORK = ZoneInfo("America/New_York")  # clocks go forward on 2031-03-09
SHANGHAI = ZoneInfo("Asia/Shanghai")


def berlin_weekly(count=5, exdates=(), rdates=None, max_count=500):
    start = datetime(2031, 3, 17, 10, 0, tzinfo=BERLIN)
    return expand(
        start,
        start + timedelta(hours=2),
        f"FREQ=WEEKLY;COUNT={count}",
        list(exdates),
        BERLIN,
        max_count=max_count,
        rdates=rdates,
    )


# --- expand: pure, no database ------------------------------------------------------------


def test_a_weekly_berlin_series_stays_at_ten_in_berlin_across_the_change_of_clocks():
    slots = berlin_weekly()
    assert [s.start.astimezone(BERLIN).strftime("%d %H:%M") for s in slots] == [
        "17 10:00", "24 10:00", "31 10:00", "07 10:00", "14 10:00",
    ]  # fmt: skip
    shanghai = [s.start.astimezone(SHANGHAI).hour for s in slots]
    assert shanghai == [17, 17, 16, 16, 16]
    assert all(s.end - s.start == timedelta(hours=2) for s in slots)
    assert all(s.recurrence_id == s.start for s in slots)


def test_an_exdate_after_the_change_of_clocks_still_removes_its_session():
    slots = berlin_weekly(exdates=["2031-04-07T10:00"])
    days = [s.start.astimezone(BERLIN).date().isoformat() for s in slots]
    assert days == ["2031-03-17", "2031-03-24", "2031-03-31", "2031-04-14"]


def test_monday_and_wednesday_evenings_in_new_york_stay_monday_and_wednesday():
    start = datetime(2031, 3, 3, 20, 0, tzinfo=NEW_YORK)
    slots = expand(start, start + timedelta(hours=1), "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6", [],
                   NEW_YORK)  # fmt: skip
    local = [s.start.astimezone(NEW_YORK) for s in slots]
    assert [t.strftime("%a %H:%M") for t in local] == ["Mon 20:00", "Wed 20:00"] * 3
    assert [t.day for t in local] == [3, 5, 10, 12, 17, 19]
    # In Shanghai they fall on the next mornings, 09:00 before New York's change, 08:00 after.
    assert [s.start.astimezone(SHANGHAI).strftime("%a %H") for s in slots[1:3]] == [
        "Thu 09", "Tue 08",
    ]  # fmt: skip


def test_rdates_join_the_rule_once_and_exdates_remove_them_too():
    slots = berlin_weekly(
        count=3,
        rdates=["2031-03-24T10:00", "2031-03-26T18:30", "2031-04-20T09:00"],
        exdates=["2031-04-20T09:00"],
    )
    local = [s.start.astimezone(BERLIN).strftime("%m-%d %H:%M") for s in slots]
    # 24 March is a date of the rule already: one occurrence, not two.
    assert local == ["03-17 10:00", "03-24 10:00", "03-26 18:30", "03-31 10:00"]
    assert slots[2].end - slots[2].start == timedelta(hours=2)


def test_rdates_without_a_rule_and_their_share_of_the_limit():
    start = datetime(2031, 5, 2, 9, 0, tzinfo=NEW_YORK)
    slots = expand(start, start + timedelta(hours=1), "", [], NEW_YORK,
                   rdates=["2031-11-07T09:00"])  # fmt: skip
    assert [s.start.astimezone(UTC).hour for s in slots] == [13, 14]  # EDT, then EST
    with pytest.raises(RecurrenceError) as refused:
        berlin_weekly(count=3, rdates=["2031-05-01T10:00", "2031-05-02T10:00"], max_count=4)
    assert refused.value.code == "too_many"


# --- through the API, the occurrences table and the feed ------------------------------------


@pytest.fixture
def tokens(app):
    FEEDS.clear()
    FRAGMENTS.clear()
    host = make_society(slug="de-cn-scientists", name="旅德华人科学家协会", city="柏林")
    editor = make_user(Role.EDITOR, society=host)
    organizer = make_user(Role.ORGANIZER)
    out = {}
    for name, user in (("editor", editor), ("organizer", organizer)):
        out[name] = bearer(user, commit=False)
    out["editor_email"] = editor.email
    db.session.commit()
    return out


def salon(**kw) -> dict:
    values = {
        "title": "中德青年科学沙龙",
        "kind": "salon",
        "host": "de-cn-scientists",
        "start": "2031-03-17T10:00",
        "end": "2031-03-17T12:00",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;COUNT=5",
        "exdates": ["2031-04-07T10:00"],
        "rdates": ["2031-04-09T18:30"],
    }
    return {**values, **kw}


def stored_starts(event_id: int) -> list[datetime]:
    return sorted(
        db.session.scalars(sa.select(Occurrence.start_at).where(Occurrence.event_id == event_id))
    )


def test_an_event_in_its_own_zone_from_the_api_to_the_feed(client, tokens):
    created = client.post("/api/v1/events", json=salon(), headers=tokens["editor"])
    assert created.status_code == 201, created.get_json()
    event = created.get_json()
    assert event["timezone"] == "Europe/Berlin" and event["rdates"] == ["2031-04-09T18:30"]
    assert event["start"] == "2031-03-17T10:00:00+01:00"
    assert [o["start"][5:] for o in event["occurrences"]] == [
        "03-17T10:00:00+01:00", "03-24T10:00:00+01:00", "03-31T10:00:00+02:00",
        "04-09T18:30:00+02:00", "04-14T10:00:00+02:00",
    ]  # fmt: skip
    eid = event["id"]
    assert [t.astimezone(SHANGHAI).strftime("%m-%d %H:%M") for t in stored_starts(eid)] == [
        "03-17 17:00", "03-24 17:00", "03-31 16:00", "04-10 00:30", "04-14 16:00",
    ]  # fmt: skip
    # One occurrence moved by its key in Berlin time, after the change of clocks.
    moved = client.patch(
        f"/api/v1/events/{eid}/occurrences/2031-04-14T10:00",
        json={"start": "2031-04-15T11:00", "end": "2031-04-15T13:00"},
        headers=tokens["editor"],
    )
    assert moved.status_code == 200, moved.get_json()
    assert client.post(f"/api/v1/events/{eid}/submit", headers=tokens["editor"]).status_code == 200
    approved = client.post(
        f"/api/v1/events/{eid}/approve", json={"reason": "ok"}, headers=tokens["organizer"]
    )
    assert approved.status_code == 200, approved.get_json()
    shown = client.get(f"/api/v1/events/{eid}").get_json()
    assert_matches_schema(client.get("/api/v1/openapi.json").get_json(), "Event", shown)

    feed = client.get("/calendar.ics")
    assert feed.status_code == 200
    raw = feed.get_data(as_text=True)
    assert "DTSTART;TZID=Europe/Berlin:20310317T100000" in raw
    assert "RDATE;TZID=Europe/Berlin:20310409T183000" in raw
    assert "EXDATE;TZID=Europe/Berlin:20310407T100000" in raw
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20310414T100000" in raw
    cal = icalendar.Calendar.from_ical(feed.data)
    assert sorted(str(z["TZID"]) for z in cal.walk("VTIMEZONE")) == [
        "Asia/Shanghai",
        "Europe/Berlin",
    ]
    window = (datetime(2031, 3, 1, tzinfo=UTC), datetime(2031, 6, 1, tzinfo=UTC))
    from_feed = sorted(
        e.decoded("DTSTART").astimezone(UTC) for e in recurring_ical_events.of(cal).between(*window)
    )
    expected = stored_starts(eid)
    assert from_feed == expected
    assert datetime(2031, 4, 15, 9, 0, tzinfo=UTC) in expected  # 11:00 Berlin summer time

    # Pages show the association's time, and the event's own zone's time beside it.
    page = client.get(f"/events/{eid}").get_data(as_text=True)
    dates = re.findall(r"<li>([^<]*)<span class=\"muted\">\(([^)]*)\)</span></li>", page)
    clock = re.compile(r"\d\d:\d\d")
    assert [(clock.findall(shown)[-1], own) for shown, own in dates[:3]] == [
        ("17:00", "10:00 Europe/Berlin"), ("17:00", "10:00 Europe/Berlin"),
        ("16:00", "10:00 Europe/Berlin"),
    ]  # fmt: skip
    assert 'class="own-zone"' in page
    week = client.get("/?view=week&week=2031-03-31").get_data(as_text=True)
    assert '16:00–18:00 <span class="own-zone">(10:00 Europe/Berlin)</span>' in week


def test_an_event_with_extra_dates_and_no_rule_lists_its_dates_on_its_page(client, tokens):
    body = salon(rrule="", exdates=[], rdates=["2031-03-20T10:00", "2031-03-27T19:30"])
    created = client.post("/api/v1/events", json=body, headers=tokens["editor"])
    assert created.status_code == 201, created.get_json()
    eid = created.get_json()["id"]
    assert client.post(f"/api/v1/events/{eid}/submit", headers=tokens["editor"]).status_code == 200
    approved = client.post(
        f"/api/v1/events/{eid}/approve", json={"reason": "ok"}, headers=tokens["organizer"]
    )
    assert approved.status_code == 200, approved.get_json()
    page = client.get(f"/events/{eid}").get_data(as_text=True)
    own = re.findall(r"<li>[^<]*<span class=\"muted\">\(([^)]*)\)</span></li>", page)
    assert own == ["10:00 Europe/Berlin", "10:00 Europe/Berlin", "19:30 Europe/Berlin"]


def test_bad_zones_and_extra_dates_are_refused_naming_the_field(client, tokens):
    bad = [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
        ({"timezone": 8}, "timezone", None),
        ({"timezone": "localtime"}, "timezone", None),
        ({"rdates": ["2031-04-09"]}, "rdates", None),  # a date for a timed event
        ({"rdates": "2031-04-09T18:30"}, "rdates", None),
        ({"rdates": ["next tuesday"]}, "rdates", None),
        ({"rdates": ["2031-03-01T10:00"]}, "rdates", "2031-03-01T10:00"),  # before the start
        ({"rdates": ["2150-01-01T10:00"]}, "rdates", None),
        ({"rdates": [f"2031-05-{d:02}T10:00" for d in range(1, 32)] * 17}, "rdates", None),
        ({"all_day": True, "start": "2031-03-17", "end": "2031-03-17",
          "exdates": [], "rdates": ["2031-03-20T10:00"]}, "rdates", None),
    ]  # fmt: skip
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    for change, field_name, named in bad:
        response = client.post("/api/v1/events", json=salon(**change), headers=tokens["editor"])
        assert response.status_code == 400, (change, response.get_json())
        payload = response.get_json()
        assert payload["field"] == field_name, (change, payload)
        assert named is None or named in payload["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == before
    # The association's own zone, and any zone on an all-day event, are stored as "".
    same = client.post("/api/v1/events", json=salon(timezone="Asia/Shanghai"),
                       headers=tokens["editor"])  # fmt: skip
    assert same.status_code == 201 and same.get_json()["timezone"] == ""
    all_day = salon(all_day=True, start="2031-03-17", end="2031-03-17", exdates=[],
                    rdates=["2031-03-20"])  # fmt: skip
    day = client.post("/api/v1/events", json=all_day, headers=tokens["editor"]).get_json()
    assert day["timezone"] == "" and day["rdates"] == ["2031-03-20"]
    assert len(day["occurrences"]) == 6


def test_changing_the_zone_keeps_the_instants_and_refuses_what_the_rule_cannot_keep(client, tokens):
    body = salon(
        timezone="America/New_York",
        start="2031-03-03T20:00",
        end="2031-03-03T21:00",
        rrule="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
        exdates=["2031-03-10T20:00"],
        rdates=[],
    )
    created = client.post("/api/v1/events", json=body, headers=tokens["editor"]).get_json()
    eid = created["id"]
    before = stored_starts(eid)
    assert [t.astimezone(NEW_YORK).strftime("%a %d") for t in before] == [
        "Mon 03", "Wed 05", "Wed 12", "Mon 17", "Wed 19",
    ]  # fmt: skip
    # Chicago changes clocks with New York: same instants, keys written an hour earlier.
    url, headers = f"/api/v1/events/{eid}", tokens["editor"]
    chicago = client.patch(url, json={"timezone": "America/Chicago"}, headers=headers)
    assert chicago.status_code == 200, chicago.get_json()
    assert chicago.get_json()["exdates"] == ["2031-03-10T19:00"]
    assert stored_starts(eid) == before
    # In Shanghai Monday 20:00 New York is a Tuesday morning: not a date of BYDAY=MO,WE.
    refused = client.patch(url, json={"timezone": ""}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["field"] == "start"
    assert db.session.get(Event, eid).timezone == "America/Chicago"
    assert stored_starts(eid) == before


def test_the_portal_form_takes_a_zone_and_extra_dates_and_shows_times_in_that_zone(client, tokens):
    csrf = sign_in(client, tokens["editor_email"])
    form = {
        "title": "纽约校友科普夜谈",
        "kind": "lecture",
        "start": "2031-03-03T20:00",
        "end": "2031-03-03T21:30",
        "repeat": "custom",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
        "timezone": "America/New_York",
        "rdates": "2031-03-14T20:00\r\n",
        "csrf_token": csrf,
    }
    # The live check writes its times on New York's clock: a suggestion fills the form.
    hall = make_venue(slug="queens-hall", name="皇后区科学馆")
    make_event(start=datetime(2031, 3, 5, 20, 30, tzinfo=NEW_YORK), venue=hall)
    db.session.commit()
    found = client.post("/portal/check", data={**form, "venue": "queens-hall"}).get_json()
    overlap = next(f for f in found["findings"] if f["rule"] == "venue_overlap")
    assert overlap["conflicts_with"]["start"] == "2031-03-05T20:30:00-05:00"
    assert overlap["suggestions"] and overlap["suggestions"][0]["start"].endswith("-05:00")
    refused = client.post("/portal/events/new", data={**form, "timezone": "New York"})
    assert refused.status_code == 400 and "New York" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
    created = client.post("/portal/events/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)[:300]
    event = db.session.scalar(sa.select(Event).where(Event.title == "纽约校友科普夜谈"))
    assert (event.timezone, event.rdates) == ("America/New_York", ["2031-03-14T20:00"])
    local = [t.astimezone(NEW_YORK).strftime("%a %d %H:%M") for t in stored_starts(event.id)]
    assert local == ["Mon 03 20:00", "Wed 05 20:00", "Mon 10 20:00", "Wed 12 20:00",
                     "Fri 14 20:00"]  # fmt: skip
    edit = client.get(f"/portal/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2031-03-03T20:00"' in edit and 'value="America/New_York"' in edit
    assert "2031-03-14T20:00</textarea>" in edit
