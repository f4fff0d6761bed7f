"""Real-world .ics quirks: re-imports are no-ops, lenient reading, odd starts (issue #17)."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa
from dateutil.rrule import rrulestr
from flask_babel import force_locale

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.errors import BadInput
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from tests.conftest import bearer
from tests.factories import local, make_society, make_user


def ics(*events: str, head: str = "") -> bytes:
    body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//quirks//EN\n" + head
    for event in events:
        body += "BEGIN:VEVENT\n" + event.strip() + "\nEND:VEVENT\n"
    return (body + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def society(slug="hz-geo"):
    made = make_society(slug=slug, name="杭州市地质学会")
    db.session.commit()
    return made


def state():
    events = db.session.scalars(sa.select(Event).order_by(Event.id))
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return [
        (e.id, e.sequence, e.exdates, e.overrides, e.start_at, e.end_at) for e in events
    ], audits


def reference_starts(data: bytes, uid: str) -> list:
    """The starts recurring_ical_events gives for one UID (not cancelled), in UTC."""
    cal = icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(cal).between(datetime(2030, 1, 1), datetime(2033, 1, 1))
    starts = [
        e.decoded("DTSTART")
        for e in found
        if str(e["UID"]) == uid and e.get("STATUS") != "CANCELLED"  # it keeps them, marked
    ]
    return sorted(
        s.astimezone(UTC) if isinstance(s, datetime) else local(s.year, s.month, s.day)
        for s in starts
    )


def event(uid: str) -> Event:
    return db.session.scalar(sa.select(Event).where(Event.imported_uid == uid))


WEEKLY = """UID:rocks@hz.example
SUMMARY:岩石标本课
DTSTART:20310303T020000Z
DTEND:20310303T040000Z
RRULE:FREQ=WEEKLY;COUNT=5"""

CANCELLED = """UID:rocks@hz.example
RECURRENCE-ID:20310310T020000Z
STATUS:CANCELLED
SUMMARY:岩石标本课
DTSTART:20310310T020000Z
DTEND:20310310T040000Z"""

ALL_DAY_SERIES = """UID:camp@hz.example
SUMMARY:野外营地
DTSTART;VALUE=DATE:20310405
RRULE:FREQ=WEEKLY;COUNT=3"""

ALL_DAY_MOVED = """UID:camp@hz.example
RECURRENCE-ID;VALUE=DATE:20310412
SUMMARY:野外营地（改期）
DTSTART;VALUE=DATE:20310413
DTEND;VALUE=DATE:20310414"""


def test_a_cancelled_instance_is_an_exception_date_and_reimporting_changes_nothing(app):
    society()
    data = ics(WEEKLY, CANCELLED)
    first = import_ics(data, "hz-geo")
    assert [i.outcome for i in first.items] == ["created", "created"]
    rocks = event("rocks@hz.example")
    assert rocks.timezone == "UTC"  # a DTSTART in UTC: the rule repeats in UTC
    assert rocks.exdates == ["2031-03-10T02:00"]
    assert local(2031, 3, 10, 10) not in [o.start_at for o in rocks.occurrences]
    assert [o.start_at for o in rocks.occurrences] == reference_starts(data, "rocks@hz.example")
    before = state()
    for _again in range(2):
        again = import_ics(data, "hz-geo")
        assert [i.outcome for i in again.items] == ["unchanged", "unchanged"]
        assert state() == before  # no SEQUENCE bump, no audit entry


def test_an_all_day_moved_instance_is_not_updated_on_every_import(app):
    society()
    data = ics(ALL_DAY_SERIES, ALL_DAY_MOVED)
    first = import_ics(data, "hz-geo")
    assert first.count("skipped") == 0
    camp = event("camp@hz.example")
    assert local(2031, 4, 13) in [o.start_at for o in camp.occurrences]
    assert local(2031, 4, 12) not in [o.start_at for o in camp.occurrences]
    assert sorted(o.start_at for o in camp.occurrences) == reference_starts(data, "camp@hz.example")
    before = state()
    again = import_ics(data, "hz-geo")
    assert [i.outcome for i in again.items] == ["unchanged", "unchanged"]
    assert state() == before


def test_dropping_the_cancellation_from_the_file_restores_the_date(app):
    society()
    import_ics(ics(WEEKLY, CANCELLED), "hz-geo")
    result = import_ics(ics(WEEKLY), "hz-geo")
    assert [i.outcome for i in result.items] == ["updated"]
    assert event("rocks@hz.example").exdates == []


def test_all_day_events_ending_on_their_start_day_last_one_day(app):
    society()
    holidays = [
        f"UID:holiday-{n}@cal.example\nSUMMARY:假日{n}\nDTSTART;VALUE=DATE:2031100{n}\n"
        f"DTEND;VALUE=DATE:2031100{n}"
        for n in (1, 2)
    ]
    result = import_ics(ics(*holidays), "hz-geo")
    assert result.count("created") == 2
    day = event("holiday-2@cal.example")
    assert day.all_day and (day.start_at, day.end_at) == (local(2031, 10, 2), local(2031, 10, 3))
    backwards = (
        "UID:b@cal.example\nSUMMARY:倒序\nDTSTART;VALUE=DATE:20311005\nDTEND;VALUE=DATE:20311004"
    )
    assert [i.outcome for i in import_ics(ics(backwards), "hz-geo").items] == ["skipped"]


def test_a_timed_event_without_an_end_is_one_minute_and_duration_is_honoured(app):
    society()
    data = ics(
        "UID:point@cal.example\nSUMMARY:开幕时刻\nDTSTART:20310501T013000Z",
        "UID:long@cal.example\nSUMMARY:三刻钟\nDTSTART:20310502T013000Z\nDURATION:PT45M",
    )
    with force_locale("en"):
        result = import_ics(data, "hz-geo")
    assert result.count("created") == 2
    (point,) = [i for i in result.items if i.uid == "point@cal.example"]
    assert "one minute" in point.reason
    made = event("point@cal.example")
    assert made.end_at - made.start_at == timedelta(minutes=1)
    made = event("long@cal.example")
    assert made.end_at - made.start_at == timedelta(minutes=45)
    assert import_ics(data, "hz-geo").count("unchanged") == 2


def test_a_misfolded_line_and_text_after_the_end_are_left_out_with_a_note(app):
    society()
    data = ics(
        "UID:fold@cal.example\nSUMMARY:折行错误\nDESCRIPTION:第一部分\n第二部分没有前导空格\n"
        "DTSTART:20310601T020000Z\nDTEND:20310601T030000Z"
    )
    with force_locale("en"):
        result = import_ics(data + b"<p>served by example</p>\r\n", "hz-geo")
    assert result.count("created") == 1
    assert any("Line 8" in n and "第二部分" in n for n in result.notes)
    assert [n for n in result.notes if "END:VCALENDAR" in n] == [
        "Line 13: the text after END:VCALENDAR was left out."
    ]
    assert event("fold@cal.example").description == "第一部分"


def test_many_bad_lines_or_a_second_calendar_still_refuse_the_file(app):
    society()
    noisy = ics("UID:n@cal.example\nDTSTART:20310601T020000Z\n" + "junk words\n" * 11)
    for data in (noisy, ics("UID:a@x\nDTSTART:20310601T020000Z") * 2):
        with pytest.raises(BadInput):
            import_ics(data, "hz-geo")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_floating_times_are_read_in_the_calendars_x_wr_timezone(app):
    society()
    data = ics(
        "UID:berlin@cal.example\nSUMMARY:柏林线上交流\nDTSTART:20310115T100000\n"
        "DTEND:20310115T110000",
        "UID:utc@cal.example\nSUMMARY:UTC时间\nDTSTART:20310116T100000Z\nDTEND:20310116T110000Z",
        head="X-WR-TIMEZONE:Europe/Berlin\n",
    )
    assert import_ics(data, "hz-geo").count("created") == 2
    assert event("berlin@cal.example").start_at == local(2031, 1, 15, 17)  # 10:00 CET
    assert event("utc@cal.example").start_at == local(2031, 1, 16, 18)
    unknown = data.replace(b"Europe/Berlin", b"Atlantis/Capital")
    result = import_ics(unknown.replace(b"berlin@", b"b2@").replace(b"utc@", b"u2@"), "hz-geo")
    assert any("X-WR-TIMEZONE" in n for n in result.notes)
    assert event("b2@cal.example").start_at == local(2031, 1, 15, 10)


def test_extra_dates_rdate_do_not_refuse_the_file(app):
    society()
    data = ics(
        "UID:bday@cal.example\nSUMMARY:生日\nDTSTART;VALUE=DATE:20310301\n"
        "RRULE:FREQ=YEARLY;COUNT=3\nRDATE;VALUE=DATE:20310704,20310801",
        "UID:plain@cal.example\nSUMMARY:普通活动\nDTSTART:20310302T020000Z\nDTEND:20310302T030000Z",
    )
    result = import_ics(data, "hz-geo")
    assert result.count("created") == 2
    assert event("bday@cal.example").rdates == ["2031-07-04", "2031-08-01"]  # kept (issue #17)
    assert len(event("bday@cal.example").occurrences) == 5


def test_the_api_refuses_a_start_that_is_not_a_date_of_its_rule(client, app):
    made = society()
    editor = make_user(Role.EDITOR, society=made)
    db.session.commit()
    headers = bearer(editor)
    body = {
        "title": "周一矿物鉴定",
        "kind": "lecture",
        "host": "hz-geo",
        "start": "2031-03-04T19:00",  # a Tuesday
        "end": "2031-03-04T20:30",
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
    }
    response = client.post("/api/v1/events", json=body, headers=headers)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "2031-03-04 19:00 (Tue)" in message and "2031-03-10 19:00 (Mon)" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    good = {**body, "start": "2031-03-10T19:00", "end": "2031-03-10T20:30"}
    assert client.post("/api/v1/events", json=good, headers=headers).status_code == 201


TUESDAY_START = """UID:minerals@hz.example
SUMMARY:周一矿物鉴定
DTSTART;TZID=Asia/Shanghai:20310304T190000
DTEND;TZID=Asia/Shanghai:20310304T203000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"""


def test_import_moves_a_start_off_its_rule_to_the_rules_first_date(app):
    society()
    data = ics(TUESDAY_START, "UID:all-day@hz.example\nSUMMARY:月末整理\n"
               "DTSTART;VALUE=DATE:20310302\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2")  # fmt: skip
    result = import_ics(data, "hz-geo")
    assert result.count("created") == 2
    minerals = event("minerals@hz.example")
    starts = [o.start_at for o in minerals.occurrences]
    # dateutil (and so ical.js and Radicale) give the Mondays only, COUNT unchanged
    reference = [
        local(d.year, d.month, d.day, d.hour, d.minute)
        for d in rrulestr("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4", dtstart=datetime(2031, 3, 4, 19))
    ]
    assert starts == reference and starts[0] == local(2031, 3, 10, 19)
    assert minerals.end_at - minerals.start_at == timedelta(minutes=90)
    (item,) = [i for i in result.items if i.uid == "minerals@hz.example"]
    assert "2031-03-04 19:00 (Tue)" in item.reason and "2031-03-10 19:00 (Mon)" in item.reason
    month_end = event("all-day@hz.example")
    assert [o.start_at for o in month_end.occurrences] == [local(2031, 3, 31), local(2031, 4, 30)]
    assert month_end.end_at == local(2031, 4, 1)
    assert import_ics(data, "hz-geo").count("unchanged") == 2


def test_skip_reasons_name_icalendar_properties_not_api_fields(app):
    society()
    data = ics(
        "UID:nameless@cal.example\nDTSTART:20310701T020000Z\nDTEND:20310701T030000Z",
        "UID:backwards@cal.example\nSUMMARY:倒序\nDTSTART:20310701T020000Z\nDTEND:20310701T010000Z",
    )
    with force_locale("en"):
        reasons = [i.reason for i in import_ics(data, "hz-geo").items]
    assert reasons == ["SUMMARY is required.", "DTEND: The end must be after the start."]
    with force_locale("zh"):
        reasons = [i.reason for i in import_ics(data, "hz-geo").items]
    assert reasons[0].startswith("SUMMARY") and "title" not in reasons[0]
    assert reasons[1].startswith("DTEND: ")


def test_an_empty_feed_holds_its_time_zone(app, client):
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.data)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE"]
    assert cal.walk("VEVENT") == []


def test_the_feed_rate_limit_says_when_to_come_back(app, database_url):
    limited = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        FEED_RATE_LIMIT="2 per minute",
    )
    client = limited.test_client()
    responses = [client.get("/calendar.ics") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert "Retry-After" not in responses[0].headers
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60
