"""The .ics reader belongs to the pure core: it loads no Flask or SQLAlchemy, reads without an
application, obeys the limits it is given and says every message with the caller's
``translate``; importer.py gives it the settings and Flask-Babel's gettext."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from scheduler.errors import BadInput
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from scheduler.feeds.reader import Limits, ReadError, plain, read_calendar
from tests.factories import make_society

ROOT = Path(__file__).resolve().parents[2]


def calendar(*lines: str) -> bytes:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR", ""]).encode()


def lecture(*extra: str, uid: str = "ice-1@harbin.example") -> list[str]:
    """A VEVENT on lines 3 (BEGIN) to 6 + len(extra) of a calendar: UID on 4, SUMMARY on 5."""
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "SUMMARY:冰雪运动与体育科学讲座",
        "DTSTART;TZID=Asia/Harbin:20310110T190000",
        *extra,
        "END:VEVENT",
    ]


TWICE = calendar(*lecture("SUMMARY:冰雕技艺"))  # SUMMARY again on line 7
TWICE_EN = (
    "The file was not imported; nothing was changed:\n"
    "Line 7: SUMMARY appears twice in one event (first on line 5)."
)


def test_the_reader_imports_and_reads_without_flask_or_sqlalchemy():
    code = textwrap.dedent(
        f"""
        import sys
        from scheduler.feeds.reader import ReadError, read_calendar
        try:
            read_calendar({TWICE!r})
        except ReadError as exc:
            print(exc.message)
        heavy = ("flask", "flask_babel", "sqlalchemy")
        heavy = [m for m in sys.modules if m.split(".")[0] in heavy]
        assert not heavy, sorted(heavy)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == TWICE_EN + "\n"


def test_every_message_goes_through_the_callers_translate():
    asked = []

    def shouting(msgid: str, **params) -> str:
        asked.append(msgid)
        return plain(msgid, **params).upper()

    with pytest.raises(ReadError) as refused:
        read_calendar(TWICE, translate=shouting)
    assert refused.value.message == TWICE_EN.upper()  # the problem inside its line, too
    assert asked == [
        "%(name)s appears twice in one event (first on line %(first)s).",
        "Line %(line)s: %(problem)s",
        "The file was not imported; nothing was changed:",
    ]

    gbk = calendar(*lecture()).decode().encode("gb18030")
    read = read_calendar(gbk, translate=shouting)
    assert read.notes == ["THE FILE IS NOT UTF-8; IT WAS READ AS GB18030 (GBK). CHECK THE TITLES."]
    assert [e.title for e in read.entries] == ["冰雪运动与体育科学讲座"]


def test_the_limits_are_the_callers():
    two = calendar(*lecture(), *lecture(uid="ice-2@harbin.example"))
    with pytest.raises(ReadError, match=r"^The file has more than 1 events\.$"):
        read_calendar(two, Limits(max_events=1))
    with pytest.raises(ReadError, match=r"^The file is larger than 1 KB\.$"):
        read_calendar(two, Limits(max_bytes=len(two) - 1))

    exdates = "EXDATE;TZID=Asia/Harbin:20310117T190000,20310124T190000,20310131T190000"
    weekly = calendar(*lecture("RRULE:FREQ=WEEKLY;COUNT=6", exdates))
    (entry,) = read_calendar(weekly, Limits(max_occurrences=2)).entries
    assert entry.skip == "the event has more than 2 exception dates (EXDATE)."
    (entry,) = read_calendar(weekly).entries  # the default: RECURRENCE_MAX_OCCURRENCES, 500
    assert entry.skip == "" and len(entry.exdates) == 3


def test_the_importer_gives_the_reader_the_settings_and_the_users_language(app):
    society = make_society(slug="hrb-ice", name="哈尔滨市冰雪运动协会", city="哈尔滨")
    db.session.commit()
    with force_locale("zh"), pytest.raises(BadInput) as refused:
        import_ics(TWICE, society.slug)
    assert (refused.value.status, refused.value.field) == (400, "file")
    assert refused.value.message == (
        "文件未导入，没有任何改动：\n第 7 行：同一活动中 SUMMARY 出现了两次（第一次在第 5 行）。"
    )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    app.config["RECURRENCE_MAX_OCCURRENCES"] = 2
    exdates = "EXDATE;TZID=Asia/Harbin:20310117T190000,20310124T190000,20310131T190000"
    weekly = calendar(*lecture("RRULE:FREQ=WEEKLY;COUNT=6", exdates))
    with force_locale("zh"):
        (item,) = import_ics(weekly, society.slug).items
    assert (item.outcome, item.reason) == ("skipped", "该活动的排除日期（EXDATE）超过 2 个。")
