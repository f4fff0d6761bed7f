"""Importing .ics files: create/update by UID, conflicts and odd items reported, all or nothing."""

from io import BytesIO

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.errors import BadInput
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from scheduler.venues.models import Venue
from tests.conftest import sign_in
from tests.factories import local, make_event, make_society, make_user, make_venue

GOOD = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//other//calendar//EN
BEGIN:VEVENT
UID:lecture-1@other.example
SUMMARY:海洋科普讲座
DESCRIPTION:面向中学生
DTSTART;TZID=Asia/Shanghai:20310310T143000
DTEND;TZID=Asia/Shanghai:20310310T163000
LOCATION:海洋馆报告厅
CATEGORIES:lecture
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@other.example
SUMMARY:每周观鸟
DTSTART:20310301T010000Z
DURATION:PT2H
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE:20310308T010000Z
END:VEVENT
BEGIN:VEVENT
UID:fair-1@other.example
SUMMARY:科普嘉年华
DTSTART;VALUE=DATE:20310401
DTEND;VALUE=DATE:20310403
END:VEVENT
BEGIN:VEVENT
UID:floating-1@other.example
SUMMARY:浮动时间沙龙
DTSTART:20310405T190000
DTEND:20310405T210000
END:VEVENT
BEGIN:VEVENT
UID:tokyo-1@other.example
SUMMARY:东京时区会议
DTSTART;TZID=Asia/Tokyo:20310406T100000
DTEND;TZID=Asia/Tokyo:20310406T120000
END:VEVENT
BEGIN:VEVENT
UID:override-1@other.example
RECURRENCE-ID:20310315T010000Z
SUMMARY:某次改期
DTSTART:20310316T010000Z
DTEND:20310316T030000Z
END:VEVENT
BEGIN:VEVENT
SUMMARY:没有UID
DTSTART:20310407T010000Z
END:VEVENT
END:VCALENDAR
""".replace("\\n", "\\r\\n").encode()


def setup():
    society = make_society(slug="gd-ocean", name="广东省海洋学会")
    make_venue(slug="ocean-hall", name="海洋馆报告厅", capacity=200)
    db.session.commit()
    return society


def events_by_title():
    return {e.title: e for e in db.session.scalars(sa.select(Event))}


def test_import_creates_every_representable_event_and_reports_the_rest(app):
    setup()
    result = import_ics(GOOD, "gd-ocean")
    outcomes = {item.title: (item.outcome, item.reason) for item in result.items}
    assert [
        outcomes[t][0]
        for t in ("海洋科普讲座", "每周观鸟", "科普嘉年华", "浮动时间沙龙", "东京时区会议")
    ] == ["created"] * 5
    assert outcomes["某次改期"][0] == "skipped"  # its repeating event is not in the file
    assert outcomes["没有UID"][0] == "skipped"
    events = events_by_title()
    lecture = events["海洋科普讲座"]
    assert lecture.status == EventStatus.SUBMITTED and lecture.venue.slug == "ocean-hall"
    assert lecture.kind.value == "lecture" and lecture.imported_uid == "lecture-1@other.example"
    assert lecture.start_at == local(2031, 3, 10, 14, 30)
    weekly = events["每周观鸟"]
    assert len(weekly.occurrences) == 3  # 4 weeks minus the excluded one
    fair = events["科普嘉年华"]
    assert fair.all_day and fair.end_at == local(2031, 4, 3)
    assert events["浮动时间沙龙"].start_at == local(2031, 4, 5, 19)  # floating = local time
    assert events["东京时区会议"].start_at == local(2031, 4, 6, 9)  # 10:00 Tokyo = 09:00 here


def test_importing_the_same_file_twice_changes_nothing(app):
    setup()
    import_ics(GOOD, "gd-ocean")
    before = {
        e.id: (e.title, e.sequence, e.updated_at) for e in db.session.scalars(sa.select(Event))
    }
    again = import_ics(GOOD, "gd-ocean")
    assert again.count("created") == 0 and again.count("updated") == 0
    assert again.count("unchanged") == 5
    after = {
        e.id: (e.title, e.sequence, e.updated_at) for e in db.session.scalars(sa.select(Event))
    }
    assert after == before


def test_changed_items_are_updated_by_uid(app):
    setup()
    import_ics(GOOD, "gd-ocean", approve=True)
    changed = GOOD.replace("海洋科普讲座".encode(), "海洋科普讲座（改）".encode())
    result = import_ics(changed, "gd-ocean")
    assert [i.outcome for i in result.items if i.uid == "lecture-1@other.example"] == ["updated"]
    lecture = db.session.scalar(
        sa.select(Event).where(Event.imported_uid == "lecture-1@other.example")
    )
    assert lecture.title == "海洋科普讲座（改）" and lecture.status == EventStatus.APPROVED
    assert lecture.sequence >= 2


def test_conflicting_items_are_skipped_with_the_reason(app):
    society = setup()
    other = make_society()
    hall = db.session.scalar(sa.select(Venue).where(Venue.slug == "ocean-hall"))
    make_event(start=local(2031, 3, 10, 15), venue=hall, host=other, title="已占用")
    db.session.commit()
    result = import_ics(GOOD, society.slug)
    (lecture,) = [i for i in result.items if i.uid == "lecture-1@other.example"]
    assert lecture.outcome == "skipped" and "海洋馆报告厅" in lecture.reason
    assert "海洋科普讲座" not in events_by_title()
    assert result.count("created") == 4


def test_a_malformed_file_writes_nothing(app):
    setup()
    broken = GOOD.replace(b"END:VCALENDAR", b"")
    for data in (b"not a calendar", broken, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"):
        with pytest.raises(BadInput):
            import_ics(data, "gd-ocean")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_cli_and_upload_page(app, client, tmp_path):
    setup()
    path = tmp_path / "import-test.ics"
    path.write_bytes(GOOD)
    out = app.test_cli_runner().invoke(args=["import-ics", str(path), "--society", "gd-ocean"])
    assert out.exit_code == 0, out.output
    assert "created 5" in out.output and "skipped 2" in out.output
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    csrf = sign_in(client, organizer.email)
    page = client.post(
        "/admin/import",
        data={"file": (BytesIO(GOOD), "cal.ics"), "society": "gd-ocean", "csrf_token": csrf},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("lecture-1@other.example") == 1
    bad = client.post(
        "/admin/import",
        data={"file": (BytesIO(b"junk"), "x.ics"), "society": "gd-ocean", "csrf_token": csrf},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400


def test_a_moved_occurrence_in_the_file_becomes_an_override(app):
    setup()
    moved = GOOD.replace(b"UID:override-1@other.example", b"UID:weekly-1@other.example")
    result = import_ics(moved, "gd-ocean")
    (item,) = [i for i in result.items if i.title == "某次改期"]
    assert item.outcome == "updated"
    weekly = db.session.scalar(
        sa.select(Event).where(Event.imported_uid == "weekly-1@other.example")
    )
    # Its DTSTART is in UTC: the rule repeats in UTC (RFC 5545), so its keys are UTC times.
    assert weekly.timezone == "UTC"
    assert weekly.overrides == {
        "2031-03-15T01:00": {"start": "2031-03-16T01:00", "end": "2031-03-16T03:00"}
    }
    assert local(2031, 3, 16, 9) in [o.start_at for o in weekly.occurrences]
    again = import_ics(moved, "gd-ocean")
    assert again.count("created") == again.count("updated") == 0
