"""scheduler/recurrence.expand, case by case: each row gives the rule and its
options and the occurrences expected (local start–end in the event's zone, and the rule's
own start when an override moved it), or the code of the RecurrenceError. Pure: no app, no
database. (Changes of clocks and RDATE lists have their own tests in the zone tests.)"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.recurrence import RecurrenceError, expand

URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6, no summer time: not the association's zone
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30: a half-hour offset catches rounding
SHANGHAI = ZoneInfo("Asia/Shanghai")

# A Friday lecture in Urumqi, 10:00–11:30 local (04:00 UTC).
START = datetime(2030, 11, 1, 10, 0, tzinfo=URUMQI)
END = START + timedelta(minutes=90)


def case(rule, expected, exdates=(), tz=URUMQI, start=START, end=END, **options):
    return {"rule": rule, "exdates": list(exdates), "tz": tz, "start": start, "end": end,
            "options": options, "expected": expected}  # fmt: skip


FRIDAYS = ["2030-11-01T10:00–11:30", "2030-11-08T10:00–11:30", "2030-11-15T10:00–11:30"]

CASES = {
    "no rule: the one occurrence": case("", FRIDAYS[:1]),
    "COUNT": case("FREQ=WEEKLY;COUNT=3", FRIDAYS),
    "RRULE: prefix and lower case": case("rrule:freq=weekly;count=3", FRIDAYS),
    "INTERVAL and BYDAY": case(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=4",
        [
            "2030-11-01T10:00–11:30",
            "2030-11-11T10:00–11:30",
            "2030-11-15T10:00–11:30",
            "2030-11-25T10:00–11:30",
        ],
    ),
    "UNTIL in UTC, at the last start exactly": case("FREQ=WEEKLY;UNTIL=20301115T040000Z", FRIDAYS),
    "UNTIL in UTC, a second before the last start": case(
        "FREQ=WEEKLY;UNTIL=20301115T035959Z", FRIDAYS[:2]
    ),
    "UNTIL in local time": case("FREQ=WEEKLY;UNTIL=20301115T100000", FRIDAYS),
    "UNTIL a local time before the last start": case(
        "FREQ=WEEKLY;UNTIL=20301115T095900", FRIDAYS[:2]
    ),
    "UNTIL a date: that whole local day": case("FREQ=WEEKLY;UNTIL=20301115", FRIDAYS),
    "UNTIL in UTC, half-hour zone": case(
        "FREQ=DAILY;UNTIL=20300102T033000Z",
        ["2030-01-01T09:00–10:00", "2030-01-02T09:00–10:00"],
        tz=KOLKATA,
        start=datetime(2030, 1, 1, 9, 0, tzinfo=KOLKATA),
        end=datetime(2030, 1, 1, 10, 0, tzinfo=KOLKATA),
    ),
    "an aware start in another zone repeats in the event's zone": case(
        "FREQ=WEEKLY;COUNT=3", FRIDAYS, start=START.astimezone(SHANGHAI), end=END.astimezone(UTC)
    ),
    "EXDATE removes one": case(
        "FREQ=WEEKLY;COUNT=3", [FRIDAYS[0], FRIDAYS[2]], exdates=["2030-11-08T10:00"]
    ),
    "EXDATE of a date the rule never gives: nothing removed": case(
        "FREQ=WEEKLY;COUNT=3", FRIDAYS, exdates=["2030-11-09T10:00", "2030-11-08T11:00"]
    ),
    "EXDATE on an all-day event is a date": case(
        "FREQ=DAILY;COUNT=3",
        ["2030-11-01T00:00–2030-11-02T00:00", "2030-11-03T00:00–2030-11-04T00:00"],
        exdates=["2030-11-02"],
        start=datetime(2030, 11, 1, tzinfo=URUMQI),
        end=datetime(2030, 11, 2, tzinfo=URUMQI),
        all_day=True,
    ),
    "an override moves one and keeps its rule start": case(
        "FREQ=WEEKLY;COUNT=3",
        [FRIDAYS[0], "2030-11-09T15:00–17:00 (rule: 2030-11-08T10:00)", FRIDAYS[2]],
        overrides={"2030-11-08T10:00": {"start": "2030-11-09T15:00", "end": "2030-11-09T17:00"}},
    ),
    "an override of an excluded date is dropped with it": case(
        "FREQ=WEEKLY;COUNT=3",
        [FRIDAYS[0], FRIDAYS[2]],
        exdates=["2030-11-08T10:00"],
        overrides={"2030-11-08T10:00": {"start": "2030-11-09T15:00", "end": "2030-11-09T17:00"}},
    ),
    "an override of no occurrence": case(
        "FREQ=WEEKLY;COUNT=3",
        "override",
        overrides={"2030-11-22T10:00": {"start": "2030-11-23T15:00", "end": "2030-11-23T17:00"}},
    ),
    "never matching: 30 February": case("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "never"),
    "never matching: the sixth Monday of a month": case(
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6;COUNT=2", "never"
    ),
    "unbounded": case("FREQ=WEEKLY", "unbounded"),
    "at the limit": case("FREQ=DAILY;COUNT=4", 4, max_count=4),
    "too many": case("FREQ=DAILY;COUNT=5", "too_many", max_count=4),
    "too many by default (500)": case("FREQ=DAILY;COUNT=501", "too_many"),
    "INTERVAL=0": case("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "invalid"),
    "BYSECOND=60": case("FREQ=DAILY;BYSECOND=60;COUNT=2", "invalid"),
    "BYHOUR=24": case("FREQ=DAILY;BYHOUR=24;COUNT=2", "invalid"),
    "an unknown FREQ": case("FREQ=FORTNIGHTLY;COUNT=2", "invalid"),
    "not a rule at all": case("每周五;COUNT=2", "invalid"),
}


def local_text(slot, tz) -> str:
    start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    same_day = start.date() == end.date()
    text = (
        f"{start:%Y-%m-%dT%H:%M}–{end:%H:%M}"
        if same_day
        else f"{start:%Y-%m-%dT%H:%M}–{end:%Y-%m-%dT%H:%M}"
    )
    if slot.recurrence_id != slot.start:
        text += f" (rule: {slot.recurrence_id.astimezone(tz):%Y-%m-%dT%H:%M})"
    return text


@pytest.mark.parametrize("name", CASES)
def test_expand(name):
    row = CASES[name]
    args = (row["start"], row["end"], row["rule"], row["exdates"], row["tz"])
    if isinstance(row["expected"], str):
        with pytest.raises(RecurrenceError) as refused:
            expand(*args, **row["options"])
        assert refused.value.code == row["expected"]
        return
    slots = expand(*args, **row["options"])
    if row["rule"]:  # (without a rule the given start comes back as it was given)
        assert all(s.start.tzinfo == UTC and s.end.tzinfo == UTC for s in slots)
    if isinstance(row["expected"], int):
        assert len(slots) == row["expected"]
    else:
        assert [local_text(s, row["tz"]) for s in slots] == row["expected"]
