""".ics import against hostile and broken files: a clear error naming the line, nothing
written, no 500, bounded memory.

Decision (kept from the README: one file, one transaction): a file that cannot be *read* —
broken structure, encoding, a value that is not a date, an unknown time zone, a limit — is
refused whole, every problem listed with its line, even if its other events are fine. An
event that can be read but that the rules refuse (no UID, no start, end before start, a
repetition without end, a conflict) is skipped with its reason and the others are imported.
"""

import contextlib
import random
import time
import tracemalloc
from datetime import date, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import event as count_as
from hypothesis import strategies as st

from scheduler.accounts.models import Role
from scheduler.errors import BadInput
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds import reader
from scheduler.feeds.importer import import_ics
from scheduler.feeds.reader import CalendarFile, Limits, ReadError, read_calendar
from scheduler.societies.models import Society
from tests.conftest import sign_in
from tests.factories import local, make_society, make_user

pytestmark = pytest.mark.slow  # left out by -m "not slow"

SOCIETY = "gd-ocean"


def ics(*lines: str) -> bytes:
    """A calendar around the given lines (an event() counts as several), with CRLF breaks."""
    text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//test//EN", *lines])
    return (text + "\nEND:VCALENDAR\n").replace("\n", "\r\n").encode()


def event(
    *extra: str,
    uid: str | None = "talk-1@other.example",
    summary: str | None = "海洋科普讲座",
    start: str | None = "DTSTART;TZID=Asia/Shanghai:20310310T143000",
    end: str | None = "DTEND;TZID=Asia/Shanghai:20310310T163000",
) -> str:
    """One VEVENT: in a calendar of its own it spans lines 4 (BEGIN) to 9 (END), UID on 5,
    SUMMARY on 6, DTSTART on 7, DTEND on 8; the extra lines come from line 9 on."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}" if uid is not None else None,
        f"SUMMARY:{summary}" if summary is not None else None,
        start,
        end,
        *extra,
        "END:VEVENT",
    ]
    return "\n".join(line for line in lines if line is not None)


SECOND = event(
    uid="birds-2@other.example",
    summary="观鸟",
    start="DTSTART:20310312T010000Z",
    end="DTEND:20310312T030000Z",
)


def bomb_zone(rule: str) -> str:
    return "\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:Bomb Time",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0900",
            f"RRULE:{rule}",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )


def _garbage() -> bytes:
    noise = random.Random(5545).randbytes(4096)
    return noise.replace(b"\0", b"\1")


# (id, file, fragments of the English message). Every one is refused whole.
UNREADABLE = [
    ("empty", b"", ["The file is empty."]),
    ("only blank lines", b"\r\n \r\n\t\r\n", ["The file is empty."]),
    (
        "no END:VCALENDAR",
        ics(event()).removesuffix(b"END:VCALENDAR\r\n"),
        ["Line 1: BEGIN:VCALENDAR is never closed"],
    ),
    (
        "cut inside an event",
        b"\r\n".join(ics(event()).split(b"\r\n")[:7]),
        ["Line 4: BEGIN:VEVENT is never closed", "cut off"],
    ),
    ("END without BEGIN", ics("END:VEVENT", event()), ["Line 4: END:VEVENT has no BEGIN:VEVENT"]),
    (
        "END in the wrong order",
        ics(event("BEGIN:VALARM", "ACTION:DISPLAY")),
        ["Line 11: END:VEVENT comes before END:VALARM (BEGIN:VALARM is on line 9)"],
    ),
    (
        "only END:VCALENDAR",
        b"END:VCALENDAR\r\n",
        ["must begin with BEGIN:VCALENDAR, not with “END:VCALENDAR” (line 1)"],
    ),
    ("garbage bytes", _garbage(), ["cannot be read", "Save it as UTF-8"]),
    (
        "a first line of 60,000 characters",
        ics(event()).replace(b"VCALENDAR\r\n", b"VCALENDAR" + b"X" * 60_000 + b"\r\n", 1),
        ["must begin with BEGIN:VCALENDAR, not with “BEGIN:VCALENDARXXX"],
    ),
    ("garbage text", b"lorem ipsum dolor\r\nsit amet\r\n", ["not an iCalendar", "lorem ipsum"]),
    ("HTML", b"<!DOCTYPE html>\n<html><body>404</body></html>", ["it looks like HTML"]),
    ("JSON", b'{"events": []}', ["it looks like JSON"]),
    ("PNG", b"\x89PNG\r\n\x1a\n" + bytes(range(1, 64)), ["it looks like PNG"]),
    ("PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", ["it looks like PDF"]),
    (
        "eleven lines that are not NAME:value (one is left out with a note)",
        ics(event(*["just some words"] * 11)),
        ["Line 9: “just some words” is not an iCalendar line"],
    ),
    (
        "DTSTART in the year 0000",
        ics(event(start="DTSTART:00000101T100000Z")),
        ["Line 7 (talk-1@other.example): DTSTART cannot be read: “00000101T100000Z”"],
    ),
    (
        "DTSTART in the year 99999",
        ics(event(start="DTSTART:999990310T143000Z")),
        ["Line 7 (talk-1@other.example): DTSTART cannot be read"],
    ),
    (
        "DTSTART in month 13",
        ics(event(start="DTSTART;TZID=Asia/Shanghai:20311310T143000")),
        ["Line 7 (talk-1@other.example): DTSTART cannot be read"],
    ),
    (
        "DTEND not a date",
        ics(event(end="DTEND:tomorrow")),
        ["Line 8 (talk-1@other.example): DTEND cannot be read: “tomorrow”"],
    ),
    (
        "TZID defined nowhere",
        ics(event(start="DTSTART;TZID=Mars/Olympus_Mons:20310310T143000")),
        ["Line 7 (talk-1@other.example): the time zone “Mars/Olympus_Mons” is neither defined"],
    ),
    (
        "DURATION a date",
        ics(event("DURATION:20310101", end=None)),
        ["Line 8 (talk-1@other.example): DURATION cannot be read: “20310101”"],
    ),
    (
        "RRULE not a rule",
        ics(event("RRULE:FREQ=SOMETIMES")),
        ["Line 9 (talk-1@other.example): RRULE cannot be read: “FREQ=SOMETIMES”"],
    ),
    (
        "EXDATE not a date",
        ics(event("RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:2031-03-17")),
        ["Line 10 (talk-1@other.example): EXDATE cannot be read"],
    ),
    (
        "a VEVENT inside a VEVENT",
        ics(event("BEGIN:VEVENT", "UID:inner@x", "DTSTART:20310311T010000Z", "END:VEVENT")),
        ["Line 9: a VEVENT must be directly inside the VCALENDAR, not inside VEVENT of line 4"],
    ),
    (
        "BEGIN:X nested 10,000 deep",
        ics(*["BEGIN:X"] * 10_000, *["END:X"] * 10_000),
        ["Line 11: components are nested more than 8 deep"],
    ),
    (
        "BEGIN:X nested 10,000 deep, never closed",
        ics(*["BEGIN:X"] * 10_000).removesuffix(b"END:VCALENDAR\r\n"),
        ["Line 11: components are nested more than 8 deep"],
    ),
    (
        "a calendar inside the calendar",
        ics(event(), "BEGIN:VCALENDAR", "END:VCALENDAR"),
        ["Line 10: BEGIN:VCALENDAR inside VCALENDAR of line 1"],
    ),
    ("two calendars", ics(event()) + ics(SECOND), ["Line 11: there is more after END:VCALENDAR"]),
    (
        "DTSTART twice",
        ics(event("DTSTART:20310311T010000Z")),
        ["Line 9: DTSTART appears twice in one event (first on line 7)"],
    ),
    (
        "a control character",
        ics(event(summary="讲座\x07")),
        ["Line 6: SUMMARY contains the control character U+0007"],
    ),
    ("a NUL byte", ics(event(uid="talk\x00-1")), ["Line 5 contains a NUL byte"]),
    (
        "UTF-16 without a byte-order mark",
        ics(event()).decode().encode("utf-16-le"),
        ["NUL byte", "UTF-16 without a byte-order mark"],
    ),
    (
        "latin-1",
        ics(event(summary="Café Scientifique")).replace("Café".encode(), "Café".encode("latin-1")),
        ["not valid UTF-8 / GB18030 (GBK) text: line 6 cannot be read"],
    ),
    (
        "damaged UTF-8",
        ics(event(summary="海洋科普讲座 海洋科普讲座 #")).replace(b"#", b"\xe6\xb5"),
        ["not valid UTF-8 text: line 6 cannot be read"],
    ),
    (
        "a DESCRIPTION over the line limit",
        ics(event("DESCRIPTION:" + "科" * 50_001)),
        ["Line 9: the DESCRIPTION line is longer than 50000 characters"],
    ),
    (
        "a folding bomb",
        ics(event("DESCRIPTION:" + "ab\n " * 40_000)),
        ["Line 9: the DESCRIPTION line is longer than 50000 characters"],
    ),
    (
        "a time zone repeating every second",
        ics(bomb_zone("FREQ=SECONDLY"), event(start="DTSTART;TZID=Bomb Time:20310310T143000")),
        ["Line 4: the time zone “Bomb Time” repeats its changes by a rule"],
    ),
    (
        "a time zone changing on 30 February",
        ics(bomb_zone("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"), event()),
        ["Line 4: the time zone “Bomb Time” repeats its changes by a rule"],
    ),
    (
        "one unreadable event among good ones",
        ics(event(), SECOND, event(uid="broken-3@x", start="DTSTART:20311340T100000Z")),
        ["Line 19 (broken-3@x): DTSTART cannot be read"],
    ),
]


def setup():
    make_society(slug=SOCIETY, name="广东省海洋学会")
    db.session.commit()


def row_counts() -> dict[str, int]:
    """Rows in every table: what the importer writes (events, occurrences, audit, outbox, …)."""
    db.session.expire_all()
    tables = db.metadata.sorted_tables
    counts = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables)
    )  # one statement, one round trip
    return dict(zip((t.name for t in tables), db.session.execute(counts).one(), strict=True))


def refused(data: bytes) -> str:
    with force_locale("en"), pytest.raises(BadInput) as caught:
        import_ics(data, SOCIETY)
    db.session.rollback()
    return caught.value.message


@pytest.mark.parametrize(
    ("data", "fragments"), [case[1:] for case in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
def test_an_unreadable_file_is_refused_whole_with_the_line(app, data, fragments):
    setup()
    before = row_counts()
    message = refused(data)
    for fragment in fragments:
        assert fragment in message, message
    assert len(message) < 3000
    assert row_counts() == before


def test_every_unreadable_file_is_a_clear_400_on_the_upload_form(app, client):
    setup()
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    csrf = sign_in(client, organizer.email)
    before = row_counts()
    for name, data, fragments in UNREADABLE:
        page = client.post(
            "/admin/import",
            data={"file": (BytesIO(data), "cal.ics"), "society": SOCIETY, "csrf_token": csrf},
            content_type="multipart/form-data",
        )
        html = page.get_data(as_text=True)
        assert page.status_code == 400, (name, html[:300])
        assert 'class="flash error description" role="alert"' in html, name
        line = fragments[0].split(":")[0] if fragments[0].startswith("Line ") else None
        if line:  # translated: "第 9 行"
            assert f"第 {line.split()[1]} 行" in html, (name, html[:2000])
    assert row_counts() == before


def test_the_command_line_says_why_and_writes_nothing(app, tmp_path):
    setup()
    before = row_counts()
    path = tmp_path / "broken.ics"
    path.write_bytes(ics(event(start="DTSTART:00000101T100000Z")))
    out = app.test_cli_runner().invoke(args=["import-ics", str(path), "--society", SOCIETY])
    assert out.exit_code == 1
    assert "第 7 行（talk-1@other.example）" in out.output, out.output
    path.write_bytes(ics(event()) + b"X" * (6 * 1024 * 1024))
    out = app.test_cli_runner().invoke(args=["import-ics", str(path), "--society", SOCIETY])
    assert out.exit_code == 1 and "5 MB" in out.output, out.output
    assert row_counts() == before


# --- events that can be read but are refused: skipped, the rest imported -------------------

HUGE_BY_LISTS = "FREQ=YEARLY;COUNT=3;BYSECOND={s};BYMINUTE={s};BYHOUR={h};BYMONTHDAY={d}".format(
    s=",".join(map(str, range(60))),
    h=",".join(map(str, range(24))),
    d=",".join(map(str, range(1, 32))),
)
EXDATES = [f"{date(2032, 1, 1) + timedelta(days=n):%Y%m%d}T063000Z" for n in range(600)]
SKIPPED = [
    ("no UID", event(uid=None), "the event has no UID"),
    ("no DTSTART", event(start=None, end=None), "the event has no start"),
    ("no SUMMARY", event(summary=None), "SUMMARY is required."),
    (
        "DTEND before DTSTART",
        event(end="DTEND;TZID=Asia/Shanghai:20310310T120000"),
        "DTEND: The end must be after the start.",
    ),
    (
        "DTSTART in 1900",
        event(start="DTSTART:19000310T063000Z", end=None),
        "DTSTART must be between 1970 and 2100.",
    ),
    ("DURATION of 9999 weeks", event("DURATION:P9999W", end=None), "at most a year"),
    ("a 300-character UID", event(uid="u" * 300), "the UID is longer than 255 characters."),
    ("a 300-character title", event(summary="讲" * 300), "SUMMARY is longer than 200 characters."),
    (
        "a 30,000-character description",
        event("DESCRIPTION:" + "述" * 30_000),
        "DESCRIPTION is longer than 20000 characters.",
    ),
    (
        "RRULE every second, no end",
        event("RRULE:FREQ=SECONDLY"),
        "RRULE: The repetition needs an end",
    ),
    ("RRULE COUNT=10^9", event("RRULE:FREQ=SECONDLY;COUNT=1000000000"), "more than 500 dates"),
    (
        "RRULE until 2099, daily",
        event("RRULE:FREQ=DAILY;UNTIL=20991231T000000Z"),
        "more than 500 dates",
    ),
    ("RRULE with huge BYxxx lists", event("RRULE:" + HUGE_BY_LISTS), "longer than 500 characters"),
    (  # dateutil alone would walk this to the year 9999 (tens of seconds)
        "RRULE that never matches",
        event("RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1"),
        "never gives a date",
    ),
    (
        "600 exception dates",
        event("RRULE:FREQ=DAILY;COUNT=3", "EXDATE:" + ",".join(EXDATES)),
        "more than 500 exception dates",
    ),
    ("cancelled", event("STATUS:CANCELLED"), "the event is cancelled in the file"),
]


@pytest.mark.parametrize(
    ("bad", "reason"), [case[1:] for case in SKIPPED], ids=[c[0] for c in SKIPPED]
)
def test_a_refused_event_is_skipped_and_the_others_are_imported(app, bad, reason):
    setup()
    events_before = row_counts()["events"]
    started = time.perf_counter()
    with force_locale("en"):
        result = import_ics(ics(SECOND, bad), SOCIETY)
    assert time.perf_counter() - started < 20  # no RRULE bomb keeps a worker busy
    (good,) = [item for item in result.items if item.uid == "birds-2@other.example"]
    (skipped,) = [item for item in result.items if item is not good]
    assert good.outcome == "created"
    assert skipped.outcome == "skipped" and reason in skipped.reason, skipped.reason
    assert skipped.line == 10  # its BEGIN:VEVENT
    assert row_counts()["events"] == events_before + 1


def test_an_override_without_a_start_is_skipped_not_a_500(app):
    setup()
    weekly = event("RRULE:FREQ=WEEKLY;COUNT=4")
    moved = event("RECURRENCE-ID;TZID=Asia/Shanghai:20310317T143000", start=None, end=None)
    with force_locale("en"):
        result = import_ics(ics(weekly, moved), SOCIETY)
    assert [(i.outcome, i.reason) for i in result.items] == [
        ("created", ""),
        ("skipped", "the event has no start"),
    ]


def test_an_own_uid_with_a_huge_number_is_not_a_database_error(app):
    setup()
    result = import_ics(ics(event(uid="event-99999999999999999999@scheduler.local")), SOCIETY)
    assert [i.outcome for i in result.items] == ["created"]


def test_a_failure_halfway_writes_nothing(app, monkeypatch):
    """The file is one transaction: an unexpected error after some events rolls all back."""
    setup()
    before = row_counts()
    submit, calls = workflow.submit, []

    def failing_submit(event, by):
        calls.append(event)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return submit(event, by)

    monkeypatch.setattr(workflow, "submit", failing_submit)
    with pytest.raises(RuntimeError):
        import_ics(ics(event(), SECOND), SOCIETY)
    db.session.rollback()
    assert row_counts() == before


# --- encodings -------------------------------------------------------------------------------

ENCODINGS = [
    ("UTF-8 with a byte-order mark", lambda text: b"\xef\xbb\xbf" + text.encode(), False),
    ("UTF-16 with a byte-order mark", lambda text: text.encode("utf-16"), False),
    ("UTF-16BE with a byte-order mark", lambda text: b"\xfe\xff" + text.encode("utf-16-be"), False),
    ("UTF-32 with a byte-order mark", lambda text: text.encode("utf-32"), False),
    ("GBK", lambda text: text.encode("gbk"), True),
    ("GB18030", lambda text: text.encode("gb18030"), True),
]


@pytest.mark.parametrize(
    ("encode", "noted"), [case[1:] for case in ENCODINGS], ids=[c[0] for c in ENCODINGS]
)
def test_chinese_encodings_are_read(app, encode, noted):
    setup()
    text = ics(event("DESCRIPTION:面向中学生，欢迎家长陪同")).decode()
    with force_locale("en"):
        result = import_ics(encode(text), SOCIETY)
    assert [i.outcome for i in result.items] == ["created"]
    created = db.session.scalar(sa.select(Event))
    assert created.title == "海洋科普讲座" and created.description == "面向中学生，欢迎家长陪同"
    assert created.start_at == local(2031, 3, 10, 14, 30)
    assert bool(result.notes) == noted
    if noted:
        assert "GB18030" in result.notes[0]


def test_the_upload_shows_the_encoding_note(app, client):
    setup()
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    csrf = sign_in(client, organizer.email)
    data = ics(event()).decode().encode("gbk")
    page = client.post(
        "/admin/import",
        data={"file": (BytesIO(data), "cal.ics"), "society": SOCIETY, "csrf_token": csrf},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "GB18030" in html and "海洋科普讲座" in html


def test_a_time_zone_defined_in_the_file_is_used(app):
    setup()
    zone = "\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:Beijing Time (custom)",
            "X-LIC-LOCATION:Asia/Shanghai",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "TZNAME:CST",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )
    start = "DTSTART;TZID=Beijing Time (custom):20310310T143000"
    end = "DTEND;TZID=Beijing Time (custom):20310310T163000"
    result = import_ics(ics(zone, event(start=start, end=end)), SOCIETY)
    assert [i.outcome for i in result.items] == ["created"]
    assert db.session.scalar(sa.select(Event)).start_at == local(2031, 3, 10, 14, 30)


# --- limits ----------------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_is_refused_before_it_is_decoded(app, monkeypatch):
    setup()
    app.config["IMPORT_MAX_BYTES"] = 64 * 1024
    monkeypatch.setattr(reader, "_decode", pytest.fail)
    before = row_counts()
    data = ics(event(*["X-PAD:" + "x" * 70] * 1000))
    assert len(data) > 64 * 1024
    assert refused(data) == "The file is larger than 64 KB."
    assert row_counts() == before


def test_too_many_events_are_refused_before_any_is_parsed(app, monkeypatch):
    setup()
    app.config["IMPORT_MAX_EVENTS"] = 3
    monkeypatch.setattr(reader.Component, "from_ical", pytest.fail)
    data = ics(*[event(uid=f"talk-{n}@other.example") for n in range(4)])
    before = row_counts()
    assert refused(data) == "The file has more than 3 events."
    assert row_counts() == before


def test_lines_that_are_not_read_cost_nothing(app):
    """Inline attachments, HTML descriptions, alarms and vendor lines are skipped unparsed,
    however long they are."""
    setup()
    big = event(
        "X-ALT-DESC;FMTTYPE=text/html:" + "<p>讲座</p>" * 20_000,
        "ATTACH;ENCODING=BASE64;VALUE=BINARY:" + "QUJD" * 75_000,
        *[f"X-VENDOR-{n}:{n}" for n in range(5000)],
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        "END:VALARM",
    )
    result = import_ics(ics(big), SOCIETY)
    assert [i.outcome for i in result.items] == ["created"]


def test_an_upload_over_the_request_limit_is_a_413_page_before_it_is_read(app, client, monkeypatch):
    setup()
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    app.config["MAX_CONTENT_LENGTH"] = 128 * 1024
    monkeypatch.setattr("scheduler.admin.views.import_ics", pytest.fail)
    data = ics(event(*["X-PAD:" + "x" * 70] * 3000))
    csrf = sign_in(client, organizer.email)
    before = row_counts()
    form = {"file": (BytesIO(data), "cal.ics"), "society": SOCIETY, "csrf_token": csrf}
    page = client.post("/admin/import", data=form, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 413
    assert "文件大于 5 MB" in html and 'name="society"' in html  # the form, with why
    client.post("/logout", data={"csrf_token": csrf})
    form["file"] = (BytesIO(data), "cal.ics")
    anonymous = client.post("/admin/import", data=form, content_type="multipart/form-data")
    assert anonymous.status_code == 413
    assert "广东省海洋学会" not in anonymous.get_data(as_text=True)  # no form for strangers
    assert row_counts() == before


# --- bounded memory --------------------------------------------------------------------------

MEMORY_LIMIT = 1024 * 1024  # IMPORT_MAX_BYTES for these runs (the default is 5 MB)
MEMORY_EVENTS = 100
PEAK_BOUND = 20  # documented: reading never holds more than 20 × IMPORT_MAX_BYTES


def _to_limit(prefix: bytes, unit: bytes, suffix: bytes) -> bytes:
    return prefix + unit * ((MEMORY_LIMIT - len(prefix) - len(suffix)) // len(unit)) + suffix


def _events(description: bytes) -> bytes:
    head, tail = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", b"END:VCALENDAR\r\n"
    one = (
        b"BEGIN:VEVENT\r\nUID:e%d@x\r\nSUMMARY:t\r\nDTSTART:20310101T100000Z\r\n"
        b"DESCRIPTION:%s\r\nEND:VEVENT\r\n"
    )
    return head + b"".join(one % (n, description) for n in range(MEMORY_EVENTS)) + tail


H, T = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n",
    b"END:VEVENT\r\nEND:VCALENDAR\r\n",
)
WORST = {
    "one property of the whole size": _to_limit(H + b"DESCRIPTION:", b"a", b"\r\n" + T),
    "a folding bomb": _to_limit(H + b"DESCRIPTION:", b"ab\r\n ", b"\r\n" + T),
    "tiny lines that are skipped": _to_limit(H + b"DTSTART:20310101T100000Z\r\n", b"X:\r\n", T),
    "tiny lines that are not iCalendar": _to_limit(H, b"x\r\n", T),
    "BEGIN:VEVENT bomb": _to_limit(b"BEGIN:VCALENDAR\r\n", b"BEGIN:VEVENT\r\n", b""),
    "deep nesting": _to_limit(b"BEGIN:VCALENDAR\r\n", b"BEGIN:X\r\n", b""),
    "the most events, long descriptions": _events(b"d" * 10_300),
    "the most events, GB18030": _events("科学普及".encode("gb18030") * 1280),
    "one emoji making the text 4 bytes a character": _events("😀".encode() + b"d" * 10_200),
    "damaged UTF-8": _to_limit(H + b"DESCRIPTION:", "科".encode(), b"\xff\r\n" + T),
}


READING = Limits(max_bytes=MEMORY_LIMIT, max_events=MEMORY_EVENTS)  # the reader alone: no app


@pytest.mark.parametrize("name", list(WORST))
def test_reading_the_worst_files_stays_within_bounded_memory(name):
    data = WORST[name]
    assert MEMORY_LIMIT * 0.97 < len(data) <= MEMORY_LIMIT
    tracemalloc.start()
    with contextlib.suppress(ReadError):
        read_calendar(data, READING)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < PEAK_BOUND * MEMORY_LIMIT, f"{name}: {peak / MEMORY_LIMIT:.1f} × the limit"


# --- property-based: mutations of a valid calendar -------------------------------------------

BASE = ics(
    event("DESCRIPTION:面向中学生\\n欢迎家长", "LOCATION:海洋馆报告厅", "CATEGORIES:lecture"),
    event(
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE:20310308T010000Z",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        "END:VALARM",
        uid="weekly-1@other.example",
        summary="每周观鸟，从海边出发，一直走到红树林保护区的观测站再折返",
        start="DTSTART:20310301T010000Z",
        end="DURATION:PT2H",
    ),
    event(
        "RECURRENCE-ID:20310315T010000Z",
        uid="weekly-1@other.example",
        summary="某次改期",
        start="DTSTART:20310316T010000Z",
        end="DTEND:20310316T030000Z",
    ),
    event(uid="fair-1@x", start="DTSTART;VALUE=DATE:20310401", end="DTEND;VALUE=DATE:20310403"),
).split(b"\r\n")
TRICKY = [
    b"BEGIN:VEVENT",
    b"END:VEVENT",
    b"BEGIN:X",
    b"END:VCALENDAR",
    b" folded onto nothing",
    b"DTSTART:00000101T000000",
    b"DTSTART;TZID=Nowhere/Else:20310101T100000",
    b"RRULE:FREQ=SECONDLY",
    b"RRULE:FREQ=SECONDLY;COUNT=1000000000",
    b"DURATION:-P9999W",
    b"UID:" + b"u" * 300,
    b"\xff\xfe\x00",
    "SUMMARY:中文".encode("gbk"),
    b"STATUS:CANCELLED",
    b"",
]
LINE = st.integers(min_value=0, max_value=len(BASE))
MUTATION = st.one_of(
    st.tuples(st.just("delete"), LINE),
    st.tuples(st.just("duplicate"), LINE),
    st.tuples(st.just("swap"), LINE, LINE),
    st.tuples(st.just("flip"), LINE, st.integers(0, 120), st.integers(1, 255)),
    st.tuples(st.just("insert"), LINE, st.sampled_from(TRICKY)),
    st.tuples(st.just("truncate"), st.integers(0, 2000)),
)
FAST = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def mutate(mutations) -> bytes:
    lines = list(BASE)
    for kind, *args in mutations:
        at = args[0] % len(lines) if lines and kind != "truncate" else 0
        if kind == "delete" and lines:
            del lines[at]
        elif kind == "duplicate" and lines:
            lines.insert(at, lines[at])
        elif kind == "swap" and lines:
            other = args[1] % len(lines)
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "flip" and lines and lines[at]:
            line = bytearray(lines[at])
            line[args[1] % len(line)] ^= args[2]
            lines[at] = bytes(line)
        elif kind == "insert":
            lines.insert(at, args[1])
        elif kind == "truncate":
            return b"\r\n".join(lines)[: args[0]]
    return b"\r\n".join(lines)


def check_refusal(message: str) -> None:
    assert message.strip() and len(message) < 3000
    assert "Traceback" not in message


@FAST
@given(st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_calendars_are_read_or_refused_clearly(mutations):
    try:
        calendar = read_calendar(mutate(mutations), READING)
    except ReadError as exc:
        check_refusal(exc.message)
    else:
        assert isinstance(calendar, CalendarFile)


@settings(FAST, max_examples=100)
@given(st.lists(MUTATION, min_size=1, max_size=2))
def test_mutated_calendars_are_imported_or_refused_whole(app, mutations):
    if db.session.scalar(sa.select(Society).where(Society.slug == SOCIETY)) is None:
        setup()  # once: the examples share the database, as repeated imports do
    before = row_counts()
    try:
        with force_locale("en"):
            result = import_ics(mutate(mutations), SOCIETY)
    except BadInput as exc:
        db.session.rollback()
        check_refusal(exc.message)
        assert row_counts() == before
        count_as("refused")  # --hypothesis-show-statistics shows the mix
        return
    count_as("imported: " + ", ".join(sorted({i.outcome for i in result.items})))
    after = row_counts()
    assert after["events"] - before["events"] == result.count("created")
    for item in result.items:
        assert item.outcome in ("created", "updated", "unchanged", "skipped")
        assert item.outcome != "skipped" or item.reason
