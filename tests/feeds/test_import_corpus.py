"""Real calendar files from public parser test suites (tests/feeds/corpus/, see its README):
every event the importer takes has the occurrences recurring_ical_events gives for the
source file, every event or file it refuses is refused for a documented reason, and
importing the same file again changes nothing (issue #17)."""

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa
import x_wr_timezone
from flask_babel import force_locale

from scheduler import create_app
from scheduler.errors import BadInput
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from scheduler.timeutil import local_zone
from tests.conftest import BACKENDS, _truncate_all
from tests.factories import make_society

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*/*.ics"))

# What the importer may refuse, as the README says (English messages).
UNSUPPORTED = {
    "unbounded RRULE": r"The repetition needs an end: give COUNT or UNTIL\.",
    "more dates than RECURRENCE_MAX_OCCURRENCES": r"The repetition gives more than \d+ dates\.",
    "no UID": r"the event has no UID",
    "no SUMMARY": r"SUMMARY is required\.",
    "RECURRENCE-ID without its repeating event": r"the repeating event it changes is unknown",
    "RECURRENCE-ID that is no date of its event": r"These are not dates of the repetition",
    "a whole event cancelled (STATUS:CANCELLED)": r"the event is cancelled in the file",
    "DTEND before DTSTART": r"DTEND: The end must be after the start\.",
    "RANGE=THISANDFUTURE": r"RANGE=THISANDFUTURE",
}
REFUSED = re.compile("|".join(f"(?:{pattern})" for pattern in UNSUPPORTED.values()))
OFF_RULE = "is not a date of its RRULE"
SHORTEST = timedelta(minutes=1)  # a zero-length event is given one minute


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_app(request, tmp_path_factory):
    """One database per backend for the whole corpus (an app per file would cost more than
    the imports)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'corpus.db'}"
    else:
        url = request.getfixturevalue("pg_schema")
    version = tmp_path_factory.mktemp("feed") / "version"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, FEED_VERSION_FILE=str(version))
    with app.app_context():
        if request.param == "sqlite":
            db.create_all()
        else:
            _truncate_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def _instant(value, zone) -> datetime:
    """A start or end as the importer stores it: floating times in the association's zone,
    a date at midnight in ``zone`` (the event's own)."""
    if isinstance(value, datetime):
        return _minute(value if value.tzinfo else value.replace(tzinfo=local_zone()))
    return _minute(datetime.combine(value, time(), zone))


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def expected(data: bytes, uids: set[str], off_rule: set[str]) -> list[tuple]:
    """(UID, start, end) in UTC of every occurrence recurring_ical_events gives for
    ``uids``, less cancelled ones, read as the importer reads the file: an all-day event
    lasts at least a day (a date DTEND makes it all-day whatever DTEND is), a timed one at
    least a minute, and an off-rule DTSTART is no occurrence (see the README)."""
    calendar = icalendar.Calendar.from_ical(data)
    calendar.subcomponents = [
        c for c in calendar.subcomponents if c.name != "VEVENT" or str(c.get("UID")) in uids
    ]
    calendar = x_wr_timezone.to_standard(calendar)
    starts = {
        str(c["UID"]): c.decoded("DTSTART")
        for c in calendar.walk("VEVENT")
        if "RECURRENCE-ID" not in c
    }
    out = []
    for occurrence in recurring_ical_events.of(calendar).between(
        date(1970, 1, 1), date(2101, 1, 1)
    ):
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        uid, first = str(occurrence["UID"]), starts[str(occurrence["UID"])]
        start = occurrence.decoded("DTSTART")
        end = occurrence.decoded("DTEND") if "DTEND" in occurrence else start
        if not isinstance(first, datetime):  # an all-day event
            start, end = _day(start), max(_day(end), _day(start) + timedelta(days=1))
        zone = getattr(first, "tzinfo", None) or local_zone()
        start, end = _instant(start, zone), _instant(end, zone)
        if uid in off_rule and start == _instant(first, zone):
            continue
        out.append((uid, start, end if end > start else start + SHORTEST))
    return sorted(out)


def imported(society_id: int, uids: set[str]) -> list[tuple]:
    rows = db.session.execute(
        sa.select(Event.imported_uid, Occurrence.start_at, Occurrence.end_at)
        .join(Occurrence.event)
        .where(Event.host_id == society_id, Event.imported_uid.in_(uids))
    )
    return sorted((uid, _minute(start), _minute(end)) for uid, start, end in rows)


def state(society_id: int) -> list[tuple]:
    events = db.session.scalars(
        sa.select(Event).where(Event.host_id == society_id).order_by(Event.id)
    )
    return [
        (e.id, e.sequence, e.updated_at, e.timezone, e.rdates, e.exdates, e.overrides)
        for e in events
    ]


def set_aside_uids() -> None:
    """Files of the corpus share UIDs: the events of the files before stop holding them."""
    db.session.execute(
        sa.update(Event).where(Event.imported_uid.is_not(None)).values(imported_uid=None)
    )
    db.session.commit()


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_file(corpus_app, path):
    data = path.read_bytes()
    set_aside_uids()
    society = make_society(
        slug=f"ice-{FILES.index(path)}", name="哈尔滨市冰雪运动协会", city="哈尔滨"
    )
    db.session.commit()
    # As drafts (calendar sync's draft mode): what is compared is how the file is read; the
    # conflict rules a submission runs are tested elsewhere and would double the time.
    with force_locale("en"):
        try:
            result = import_ics(data, society.slug, submit=False)
        except BadInput as exc:
            db.session.rollback()
            assert REFUSED.search(exc.message), exc.message
            assert state(society.id) == []
            return
        db.session.commit()
        for item in result.items:
            if item.outcome == "skipped":
                assert REFUSED.search(item.reason), (item.uid, item.reason)
        # An event the importer took only in part (a RECURRENCE-ID refused) is not compared.
        partial = {i.uid for i in result.items if i.outcome == "skipped"}
        taken = {i.uid for i in result.items if i.outcome == "created"} - partial
        off_rule = {i.uid for i in result.items if OFF_RULE in i.reason}
        assert imported(society.id, taken) == expected(data, taken, off_rule)

        before = state(society.id)
        again = import_ics(data, society.slug, submit=False)
        db.session.commit()
    assert {i.outcome for i in again.items} <= {"unchanged", "skipped"}
    assert [i.outcome == "skipped" for i in again.items] == [
        i.outcome == "skipped" for i in result.items
    ]
    assert state(society.id) == before
