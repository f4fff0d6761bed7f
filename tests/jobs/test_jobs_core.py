"""The pure core of the jobs: offsets, which reminders are wanted and due, how they follow a
moved event, filing deadlines, the digest's pace, back-off. No database, no Flask."""

import smtplib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config import Config
from scheduler.jobs import failpoints
from scheduler.jobs.models import ReminderState
from scheduler.jobs.notices import SeriesPace, filing_due, month_period, series_gaps, week_period
from scheduler.jobs.reminders import (
    STARTED,
    SUPERSEDED,
    Slot,
    Stored,
    Wanted,
    due,
    follow,
    local_shift,
    reconcile,
    wanted,
)
from scheduler.jobs.settings import JobsConfigError, JobSettings, parse_offsets
from scheduler.notifications.mailer import backoff, is_permanent

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2027, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = (7 * DAY, DAY)
P, SENT = ReminderState.PENDING, ReminderState.SENT


def stored(id, start, offset_days, state=P, recipient="a@x", event_id=1, rid=None):
    minutes = offset_days * 24 * 60
    return Stored(
        id,
        event_id,
        rid or start,
        minutes,
        recipient,
        state,
        start,
        start - timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("7d,1d", (7 * DAY, DAY)),
        ("1d, 7d ,1d", (7 * DAY, DAY)),
        ("36h", (timedelta(hours=36),)),
        ("2", (2 * DAY,)),
        ("365d", (365 * DAY,)),
        ([3, "12h"], (3 * DAY, timedelta(hours=12))),
    ],
)
def test_offsets_are_read_longest_first(raw, expected):
    assert parse_offsets(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("-1d", "not after zero"),
        ("7d,-2h", "not after zero"),
        ("0d", "not after zero"),
        ("366d", "longer than a year"),
        ("9000h", "longer than a year"),
        ("a week", "not an offset"),
        ("", "no offset given"),
    ],
)
def test_bad_offsets_are_refused_with_a_clear_message(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_offsets(raw)


def test_settings_name_every_bad_value_at_once():
    defaults = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
    config = {
        **defaults,
        "REMINDER_OFFSETS": "-3d",
        "JOBS_QUOTA_DIGEST_CRON": "every monday",
        "JOBS_LEASE_SECONDS": 10,
        "JOBS_HEARTBEAT_SECONDS": 8,
        "JOBS_FAILPOINT": "nowhere",
    }
    with pytest.raises(JobsConfigError) as refused:
        JobSettings.from_config(config)
    text = str(refused.value)
    for name in ("REMINDER_OFFSETS", "JOBS_QUOTA_DIGEST_CRON", "JOBS_HEARTBEAT_SECONDS"):
        assert name in text
    assert "JOBS_FAILPOINT" in text


def test_wanted_covers_upcoming_occurrences_within_reach():
    slots = [
        Slot(1, T0 + 3 * DAY, T0 + 3 * DAY),  # both offsets; the 7-day one is already due
        Slot(1, T0 + 8 * DAY, T0 + 8 * DAY),  # within reach (7 days + 1)
        Slot(2, T0 + 9 * DAY, T0 + 9 * DAY),  # beyond reach
        Slot(3, T0 - DAY, T0 - DAY),  # past
    ]
    recipients = {1: [("a@x", "zh_CN"), ("b@x", "en")], 2: [("c@x", "zh_CN")]}
    wishes = wanted(slots, recipients, OFFSETS, T0)
    assert len(wishes) == 2 * 2 * 2
    assert {w.recipient for w in wishes} == {"a@x", "b@x"}
    first = [w for w in wishes if w.starts_at == T0 + 3 * DAY and w.offset_minutes == 7 * 1440]
    assert first[0].due_at == T0 - 4 * DAY


def test_reconcile_creates_once_reanchors_pending_and_never_resends():
    start = T0 + 2 * DAY
    wishes = [
        Wanted(1, start, 7 * 1440, "a@x", "zh_CN", start + DAY),  # the occurrence moved
        Wanted(1, start, 1440, "a@x", "zh_CN", start + DAY),
        Wanted(1, start, 1440, "new@x", "zh_CN", start + DAY),
    ]
    rows = [
        stored(10, start, 7, state=SENT),  # sent: stays as it was
        stored(11, start, 1),  # pending: re-anchored
        stored(12, start, 1, recipient="gone@x"),  # no longer wanted: dropped
        stored(13, T0 - DAY, 1, recipient="late@x"),  # started: left to due() to close
    ]
    plan = reconcile(wishes, rows, T0)
    assert [w.recipient for w in plan.create] == ["new@x"]
    assert plan.move == {11: (start, start + DAY, start)}
    assert plan.drop == [12]


def test_due_sends_only_the_nearest_reminder_and_none_after_the_start():
    start = T0 + timedelta(hours=12)
    rows = [
        stored(1, start, 7),  # due long ago (the scheduler was down)
        stored(2, start, 1),  # due now: the one that goes out
        stored(3, start, 1, recipient="b@x"),
        stored(4, T0 - timedelta(hours=1), 1, recipient="c@x"),  # already started
        stored(5, T0 + 3 * DAY, 1, recipient="d@x"),  # not due yet
    ]
    send, skip = due(rows, T0)
    assert send == [2, 3]
    assert skip == {1: SUPERSEDED, 4: STARTED}


def test_follow_carries_reminders_along_when_the_event_moves():
    old = T0 + 5 * DAY
    new = old + timedelta(days=2, hours=3)
    rows = [
        stored(1, old, 7, state=SENT),
        stored(2, old, 1),
        stored(3, old, 1, recipient="gone@x"),
    ]
    slots = [Slot(1, new, new)]
    plan = follow(rows, slots, {"a@x"}, local_shift(old, new, TZ))
    assert plan.move[1] == (new, old, old - 7 * DAY)  # sent: re-keyed, history kept
    assert plan.move[2] == (new, new, new - DAY)  # pending: re-anchored
    assert plan.drop == [3]


def test_follow_keeps_a_moved_single_occurrence_and_drops_removed_ones():
    rid1, rid2 = T0 + 2 * DAY, T0 + 9 * DAY
    moved = rid1 + timedelta(hours=5)
    rows = [stored(1, rid1, 1, rid=rid1), stored(2, rid2, 1, rid=rid2)]
    plan = follow(rows, [Slot(1, rid1, moved)], {"a@x"})  # rid2 was excluded (EXDATE)
    assert plan.move == {1: (rid1, moved, moved - DAY)}
    assert plan.drop == [2]


def test_local_shift_moves_recurrence_ids_by_the_same_wall_time():
    shift = local_shift(T0, T0 + timedelta(days=1, hours=2), TZ)
    assert shift(T0 + 7 * DAY) == T0 + 8 * DAY + timedelta(hours=2)


@pytest.mark.parametrize(
    "start, expected",
    [
        (T0 + 19 * DAY, True),  # deadline in 4 days, notice 3 + 1: due
        (T0 + 20 * DAY, False),  # deadline in 5 days: not yet
        (T0 + 10 * DAY, True),  # deadline passed, not started: still due
        (T0 - DAY, False),  # started
    ],
)
def test_filing_is_due_as_the_deadline_nears(start, expected):
    result = filing_due([(1, start)], T0, lead=15 * DAY, notice=4 * DAY)
    assert bool(result) is expected
    if expected:
        assert result[0] == (1, start - 15 * DAY)


def test_series_gaps_find_series_behind_pace_or_short_of_target():
    on_pace = SeriesPace("岭南科学论坛", 12, [1, 1, 1] + [0] * 9, 12)
    behind = SeriesPace("企业双周论坛", 12, [0, 1, 0] + [0] * 9, 12)
    short = SeriesPace("学会大讲堂", 10, [1, 1, 1] + [0] * 9, 8, ["A", "B", "C", "D", "E", "F"])
    no_target = SeriesPace("沙龙", 0, [0] * 12, 0)
    gaps = series_gaps([on_pace, behind, short, no_target], month=4)
    assert [g.name for g in gaps] == ["企业双周论坛", "学会大讲堂"]
    assert (gaps[0].held, gaps[0].expected, gaps[0].missing) == (1, 3, 0)
    assert gaps[1].missing == 2 and gaps[1].candidates == ("A", "B", "C", "D", "E")


def test_periods_are_local_weeks_and_months():
    late_sunday_utc = datetime(2027, 3, 7, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    assert week_period(late_sunday_utc, TZ) == "2027-W10"
    assert month_period(datetime(2027, 3, 31, 17, tzinfo=UTC), TZ) == "2027-04"


def test_backoff_doubles_up_to_a_cap():
    base, cap = timedelta(minutes=1), timedelta(hours=6)
    waits = [backoff(n, base, cap) for n in range(12)]
    assert waits[:5] == [timedelta(0), base, 2 * base, 4 * base, 8 * base]
    assert waits[-1] == cap


def test_only_5xx_answers_are_permanent():
    assert is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}))
    assert not is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")}))
    assert is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not is_permanent(ConnectionRefusedError(111, "refused"))
    assert not is_permanent(smtplib.SMTPServerDisconnected("gone"))


def test_failpoints_are_checked():
    assert failpoints.parse("") is None
    assert failpoints.parse("sent:3") == ("sent", 3)
    with pytest.raises(ValueError):
        failpoints.parse("elsewhere")
