"""Imported events keep their own time zone, Outlook's custom zones are read, RDATE is kept
(issue #17): the occurrences equal recurring_ical_events' reading of the same file, and a
second import changes nothing."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import sqlalchemy as sa
import x_wr_timezone
from flask_babel import force_locale

from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from tests.factories import make_society

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")

OUTLOOK_BERLIN = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""
CUSTOM_CET = OUTLOOK_BERLIN.replace("W. Europe Standard Time", "Customized Time Zone")
# Brazil's old rules as Windows keeps them: Brazil has had no daylight saving time since 2019.
CUSTOM_BRASILIA = """BEGIN:VTIMEZONE
TZID:(UTC-03:00) Brasília
BEGIN:STANDARD
DTSTART:16010101T235959
TZOFFSETFROM:-0200
TZOFFSETTO:-0300
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=3SA;BYMONTH=2
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T235959
TZOFFSETFROM:-0300
TZOFFSETTO:-0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SA;BYMONTH=10
END:DAYLIGHT
END:VTIMEZONE
"""
DATE_LINE = """BEGIN:VTIMEZONE
TZID:(UTC-12:00) International Date Line West
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:-1200
TZOFFSETTO:-1200
END:STANDARD
END:VTIMEZONE
"""


def ics(*events: str, head: str = "") -> bytes:
    body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//zones//EN\n" + head
    for event in events:
        body += "BEGIN:VEVENT\n" + event.strip() + "\nEND:VEVENT\n"
    return (body + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def society():
    made = make_society(slug="hrb-ice", name="哈尔滨市冰雕艺术研究会", city="哈尔滨")
    db.session.commit()
    return made


def event(uid: str) -> Event:
    return db.session.scalar(sa.select(Event).where(Event.imported_uid == uid))


def starts(uid: str) -> list[tuple]:
    return [(o.start_at, o.end_at) for o in event(uid).occurrences]


def reference(data: bytes, uid: str) -> list[tuple]:
    """(start, end) in UTC of the occurrences recurring_ical_events gives, less cancelled."""
    calendar = x_wr_timezone.to_standard(icalendar.Calendar.from_ical(data))
    found = recurring_ical_events.of(calendar).between(date(2030, 1, 1), date(2034, 1, 1))
    return sorted(
        (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
        for e in found
        if str(e["UID"]) == uid and e.get("STATUS") != "CANCELLED"
    )


def import_twice(data: bytes):
    """The first import's result; the second must change nothing."""
    first = import_ics(data, "hrb-ice")
    db.session.commit()
    before = [(e.id, e.sequence, e.updated_at) for e in db.session.scalars(sa.select(Event))]
    again = import_ics(data, "hrb-ice")
    db.session.commit()
    assert {i.outcome for i in again.items} == {"unchanged"}
    assert [(e.id, e.sequence, e.updated_at) for e in db.session.scalars(sa.select(Event))] == (
        before
    )
    return first


WEEKLY_BERLIN = """UID:skating@harbin.example
SUMMARY:滑冰训练
DTSTART;TZID=W. Europe Standard Time:20310317T100000
DTEND;TZID=W. Europe Standard Time:20310317T113000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=W. Europe Standard Time:20310407T100000"""

MON_WED_NEW_YORK = """UID:curling@harbin.example
SUMMARY:冰壶夜课
DTSTART;TZID=America/New_York:20310303T200000
DTEND;TZID=America/New_York:20310303T213000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6"""


def test_a_rule_repeats_in_its_own_zone_across_the_change_of_clocks(app):
    society()
    data = ics(WEEKLY_BERLIN, MON_WED_NEW_YORK, head=OUTLOOK_BERLIN)
    result = import_twice(data)
    assert [i.outcome for i in result.items] == ["created", "created"]
    skating = event("skating@harbin.example")
    assert skating.timezone == "Europe/Berlin"  # the Windows name, mapped
    assert skating.exdates == ["2031-04-07T10:00"]  # a date after the change still matches
    local = [s.astimezone(BERLIN) for s, _ in starts("skating@harbin.example")]
    assert [(s.day, s.hour) for s in local] == [(17, 10), (24, 10), (31, 10), (14, 10)]
    assert local[2].utcoffset() != local[0].utcoffset()  # 10:00 Berlin on both sides
    assert starts("skating@harbin.example") == reference(data, "skating@harbin.example")

    curling = [s.astimezone(NEW_YORK) for s, _ in starts("curling@harbin.example")]
    assert event("curling@harbin.example").timezone == "America/New_York"
    assert {s.strftime("%a %H:%M") for s in curling} == {"Mon 20:00", "Wed 20:00"}
    assert starts("curling@harbin.example") == reference(data, "curling@harbin.example")


def test_floating_times_repeat_in_the_calendars_x_wr_timezone(app):
    society()
    data = ics(
        MON_WED_NEW_YORK.replace(";TZID=America/New_York", ""),
        head="X-WR-TIMEZONE:America/New_York\n",
    )
    import_twice(data)
    assert event("curling@harbin.example").timezone == "America/New_York"
    assert starts("curling@harbin.example") == reference(data, "curling@harbin.example")


def test_outlook_custom_zones_become_the_iana_zone_that_agrees_or_keep_their_rules(app):
    society()
    cet = ics(WEEKLY_BERLIN.replace("W. Europe Standard Time", "Customized Time Zone"),
              head=CUSTOM_CET)  # fmt: skip
    with force_locale("en"):
        result = import_twice(cet)
    (item,) = result.items
    assert "agrees with Europe/Berlin in 2031" in item.reason
    assert event("skating@harbin.example").timezone == "Europe/Berlin"
    assert starts("skating@harbin.example") == reference(cet, "skating@harbin.example")

    # Weekly across the custom zone's change of clocks; no IANA zone has it in 2031.
    brasilia = ics(
        "UID:samba@harbin.example\nSUMMARY:冰上桑巴\n"
        'DTSTART;TZID="(UTC-03:00) Brasília":20311005T100000\n'
        'DTEND;TZID="(UTC-03:00) Brasília":20311005T110000\n'
        "RRULE:FREQ=WEEKLY;COUNT=3",
        head=CUSTOM_BRASILIA,
    )
    with force_locale("en"):
        result = import_twice(brasilia)
    assert "the times were converted with the file's own rules" in result.items[0].reason
    samba = event("samba@harbin.example")
    assert (samba.timezone, samba.rrule, len(samba.rdates)) == ("UTC", "", 2)
    assert starts("samba@harbin.example") == reference(brasilia, "samba@harbin.example")
    hours = [s.hour for s, _ in starts("samba@harbin.example")]
    assert hours == [13, 12, 12]  # 10:00 at UTC-3, then at UTC-2

    date_line = ics(
        "UID:dateline@harbin.example\nSUMMARY:日界线\n"
        'DTSTART;TZID="(UTC-12:00) International Date Line West":20310601T090000\n'
        'DTEND;TZID="(UTC-12:00) International Date Line West":20310601T100000\n'
        "RRULE:FREQ=DAILY;COUNT=2",
        head=DATE_LINE,
    )
    import_twice(date_line)
    assert event("dateline@harbin.example").timezone == "Etc/GMT+12"
    assert starts("dateline@harbin.example")[0][0] == datetime(2031, 6, 1, 21, tzinfo=UTC)


RDATES = """UID:talks@harbin.example
SUMMARY:冰雕讲座
DTSTART;TZID=America/New_York:20310905T190000
DTEND;TZID=America/New_York:20310905T203000
RDATE;TZID=America/New_York:20310912T190000,20310919T190000
RDATE;VALUE=PERIOD:20310926T230000Z/PT3H
RDATE;TZID=America/New_York:20311107T190000"""

RDATE_MOVED = """UID:talks@harbin.example
RECURRENCE-ID;TZID=America/New_York:20310912T190000
SUMMARY:冰雕讲座（改期）
DTSTART;TZID=America/New_York:20310913T100000
DTEND;TZID=America/New_York:20310913T113000"""

RDATE_CANCELLED = """UID:talks@harbin.example
RECURRENCE-ID;TZID=America/New_York:20310919T190000
STATUS:CANCELLED
SUMMARY:冰雕讲座
DTSTART;TZID=America/New_York:20310919T190000"""

BIRTHDAYS = """UID:birthday@harbin.example
SUMMARY:会员生日
DTSTART;VALUE=DATE:20310212
RDATE;VALUE=DATE:20320212,20330212"""


def test_rdates_are_kept_and_their_occurrences_can_be_moved_or_cancelled(app):
    society()
    data = ics(RDATES, RDATE_MOVED, RDATE_CANCELLED, BIRTHDAYS)
    result = import_twice(data)
    assert result.count("skipped") == 0
    assert result.uids == {"talks@harbin.example", "birthday@harbin.example"}
    talks = event("talks@harbin.example")
    assert talks.rdates == [
        "2031-09-12T19:00", "2031-09-19T19:00", "2031-09-26T19:00", "2031-11-07T19:00"
    ]  # fmt: skip
    assert talks.exdates == ["2031-09-19T19:00"]
    assert talks.overrides == {
        "2031-09-12T19:00": {"start": "2031-09-13T10:00", "end": "2031-09-13T11:30"},
        "2031-09-26T19:00": {"start": "2031-09-26T19:00", "end": "2031-09-26T22:00"},  # PERIOD
    }
    assert starts("talks@harbin.example") == reference(data, "talks@harbin.example")
    assert starts("talks@harbin.example")[-1][0] == datetime(2031, 11, 8, 0, tzinfo=UTC)  # EST

    birthdays = event("birthday@harbin.example")
    assert (birthdays.rrule, birthdays.rdates) == ("", ["2032-02-12", "2033-02-12"])
    assert len(birthdays.occurrences) == 3


def test_the_public_feed_gives_the_source_files_occurrences(client, app):
    society()
    data = ics(WEEKLY_BERLIN, MON_WED_NEW_YORK, RDATES, RDATE_MOVED, RDATE_CANCELLED,
               head=OUTLOOK_BERLIN)  # fmt: skip
    result = import_ics(data, "hrb-ice", approve=True)
    db.session.commit()
    assert result.count("skipped") == 0
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert b"DTSTART;TZID=Europe/Berlin:20310317T100000" in response.data
    for uid in ("skating@harbin.example", "curling@harbin.example", "talks@harbin.example"):
        assert reference(response.data, uid) == reference(data, uid)
